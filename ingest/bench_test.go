package ingest

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/vigil-dev/vigil/event"
	"github.com/vigil-dev/vigil/store"
	"github.com/vigil-dev/vigil/testdata/demo"
)

// benchEvents is the JSON Lines input of the ingest benchmarks.
func benchEvents(b *testing.B, n int) []byte {
	b.Helper()
	var buf bytes.Buffer
	if _, err := demo.WriteJSONL(&buf, demo.Config{Events: n, Days: 30, Seed: 1, End: time.Date(2025, 2, 1, 0, 0, 0, 0, time.UTC)}); err != nil {
		b.Fatal(err)
	}
	return buf.Bytes()
}

// BenchmarkIngest measures `vigil ingest` end to end without the command
// line: split, decode and normalise on every core, append to a real store on
// disk with the fsync of every group commit.
func BenchmarkIngest(b *testing.B) {
	const n = 200_000
	data := benchEvents(b, n)
	cat := event.BuiltinCatalogue()
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		st, err := store.Open(b.TempDir(), store.Options{})
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		stats, err := Run(context.Background(), st, []Source{{Name: "bench", R: bytes.NewReader(data)}}, Options{Catalogue: cat})
		if err != nil {
			b.Fatal(err)
		}
		if stats.Stored.Load() != n {
			b.Fatalf("stored %d", stats.Stored.Load())
		}
		b.StopTimer()
		st.Close()
		b.StartTimer()
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "events/s")
}
