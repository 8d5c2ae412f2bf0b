package index

import (
	"bytes"
	"testing"
	"time"

	"github.com/vigil-dev/vigil/event"
	"github.com/vigil-dev/vigil/testdata/demo"
)

// benchEvents are n generated events, normalised, with seqs, as the index
// receives them from the store.
func benchEvents(b testing.TB, n int) []*event.Event {
	b.Helper()
	var buf bytes.Buffer
	if _, err := demo.WriteJSONL(&buf, demo.Config{Events: n, Days: 30, Seed: 3, End: time.Date(2025, 2, 1, 0, 0, 0, 0, time.UTC)}); err != nil {
		b.Fatal(err)
	}
	cat := event.BuiltinCatalogue()
	var evs []*event.Event
	for i, l := range bytes.Split(bytes.TrimSpace(buf.Bytes()), []byte{'\n'}) {
		ev, err := event.Decode(l)
		if err != nil {
			b.Fatal(err)
		}
		cat.Normalize(ev)
		ev.Seq = uint64(i + 1)
		evs = append(evs, ev)
	}
	return evs
}

// BenchmarkAdd indexes 100k events in the batches CatchUp uses; the
// baseline is building the documents alone. Run it with GOGC=400, as
// cmd/vigil sets it: go test ./index -run X -bench Add -benchtime 1x.
func BenchmarkAdd(b *testing.B) {
	evs := benchEvents(b, 100000)
	b.Run("documents", func(b *testing.B) {
		for b.Loop() {
			bld := newBuilder()
			for _, ev := range evs {
				bld.document(ev)
			}
		}
		b.ReportMetric(float64(len(evs)*b.N)/b.Elapsed().Seconds(), "events/s")
	})
	b.Run("index", func(b *testing.B) {
		cpu0 := cpuTime()
		for b.Loop() {
			x, err := Open(b.TempDir(), Options{})
			if err != nil {
				b.Fatal(err)
			}
			for i := 0; i < len(evs); i += 8192 {
				if err := x.Add(evs[i:min(i+8192, len(evs))]); err != nil {
					b.Fatal(err)
				}
			}
			if err := x.Close(); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(len(evs)*b.N)/b.Elapsed().Seconds(), "events/s")
		// CPU time of the whole process (Bleve's background persister and
		// merger included): on a shared machine the fairer figure.
		b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/float64(len(evs)*b.N), "cpu-µs/event")
	})
}
