package follow_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/vigil-dev/vigil/event"
	"github.com/vigil-dev/vigil/follow"
	"github.com/vigil-dev/vigil/ingest"
	"github.com/vigil-dev/vigil/store"
	"github.com/vigil-dev/vigil/testdata/demo"
)

// BenchmarkFollowVsIngest measures following a file that already holds
// 100k events (read, stored and checkpointed chunk by chunk, until every
// event is durable) against `vigil ingest` of the same file (ingest.Run),
// each into a fresh store on disk, in the same iteration. The ratio
// follow/ingest is what to compare between machines.
func BenchmarkFollowVsIngest(b *testing.B) {
	const n = 100_000
	var buf bytes.Buffer
	if _, err := demo.WriteJSONL(&buf, demo.Config{Events: n, Days: 30, Seed: 1, End: time.Date(2025, 2, 1, 0, 0, 0, 0, time.UTC)}); err != nil {
		b.Fatal(err)
	}
	path := filepath.Join(b.TempDir(), "events.jsonl")
	if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
		b.Fatal(err)
	}
	cat := event.BuiltinCatalogue()
	var ingestTime, followTime time.Duration
	b.SetBytes(int64(buf.Len()))
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		dir := b.TempDir()
		st, err := store.Open(filepath.Join(dir, "ingest"), store.Options{})
		if err != nil {
			b.Fatal(err)
		}
		f, err := os.Open(path)
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		start := time.Now()
		stats, err := ingest.Run(context.Background(), st, []ingest.Source{{Name: path, R: f}}, ingest.Options{Catalogue: cat})
		if err != nil {
			b.Fatal(err)
		}
		ingestTime += time.Since(start)
		b.StopTimer()
		f.Close()
		st.Close()
		if stats.Stored.Load() != n {
			b.Fatalf("ingest stored %d", stats.Stored.Load())
		}

		st, err = store.Open(filepath.Join(dir, "follow"), store.Options{})
		if err != nil {
			b.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		var fstats ingest.Stats
		done := make(chan error, 1)
		b.StartTimer()
		start = time.Now()
		go func() {
			done <- follow.Run(ctx, st, []string{path}, follow.Options{
				Catalogue: cat, StateDir: filepath.Join(dir, "state"), Stats: &fstats,
				TailOptions: follow.TailOptions{OnNotice: func(follow.Notice) {}},
			})
		}()
		for fstats.Stored.Load() < n {
			time.Sleep(time.Millisecond)
		}
		followTime += time.Since(start)
		b.StopTimer()
		cancel()
		if err := <-done; err != nil {
			b.Fatal(err)
		}
		st.Close()
		b.StartTimer()
	}
	b.ReportMetric(float64(n*b.N)/ingestTime.Seconds(), "ingest-events/s")
	b.ReportMetric(float64(n*b.N)/followTime.Seconds(), "follow-events/s")
	b.ReportMetric(ingestTime.Seconds()/followTime.Seconds(), "follow/ingest")
}
