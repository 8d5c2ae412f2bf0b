package bench

import (
	"context"
	"testing"
	"time"
)

// TestRunServe runs a small load: every event is acknowledged, stored and
// indexed in every phase, and the figures are filled in.
func TestRunServe(t *testing.T) {
	res, err := RunServe(context.Background(), ServeConfig{Events: 3000, Clients: 4, Batch: 100, Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	for _, ph := range []Phase{res.Direct, res.HTTP, res.Live} {
		if ph.Duration <= 0 || ph.P99 < ph.P50 || ph.Max < ph.P99 || ph.Rate() <= 0 {
			t.Fatalf("%+v", ph)
		}
	}
	if res.Events != 3000 || res.Requests != 30 || res.IndexRate() <= 0 {
		t.Fatalf("%+v", res)
	}
}

// BenchmarkServe posts generated events to POST /v1/events of a real
// server on loopback (8 clients, 500 events a request, each answered once
// durable) while the index follows, and reports the accepted events/s, the
// p99 acknowledgement latency and the index lag; and, with no indexer, the
// HTTP rate against its baseline of the same run: the same batches
// appended directly to the engine. One iteration is one run of 100k
// events: run it with -benchtime=1x.
func BenchmarkServe(b *testing.B) {
	for range b.N {
		res, err := RunServe(context.Background(), ServeConfig{Events: 100_000, Clients: 8, Batch: 500, Dir: b.TempDir()})
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(res.Live.Rate(), "events/s")
		b.ReportMetric(float64(res.Live.P99)/float64(time.Millisecond), "p99-ms")
		b.ReportMetric(float64(res.MaxIndexLag), "max-index-lag-events")
		b.ReportMetric(res.IndexDelay.Seconds(), "max-index-delay-s")
		b.ReportMetric(res.IndexRate(), "indexed-events/s")
		b.ReportMetric(res.HTTP.Rate(), "http-noindex-events/s")
		b.ReportMetric(res.Direct.Rate(), "direct-noindex-events/s")
		b.ReportMetric(res.HTTP.Rate()/res.Direct.Rate(), "http/direct")
	}
}
