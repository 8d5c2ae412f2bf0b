package alerts

import (
	"testing"
	"time"

	"github.com/vigil-dev/vigil/event"
	"github.com/vigil-dev/vigil/testdata/demo"
)

// benchEvents are 20,000 demo events (every seed catalogue, planted
// incidents included), decoded and normalised as the live bus delivers
// them, with their stored records.
func benchEvents(b *testing.B) ([]*event.Event, [][]byte) {
	b.Helper()
	g := demo.New(demo.Config{Events: 20000, Days: 7, Seed: 11, End: time.Date(2025, time.March, 1, 0, 0, 0, 0, time.UTC)})
	var evs []*event.Event
	var recs [][]byte
	for {
		raw, ok := g.Next()
		if !ok {
			break
		}
		x, err := event.Decode(raw)
		if err != nil {
			b.Fatal(err)
		}
		catalogue().Normalize(x)
		seq := uint64(len(evs) + 1)
		rec, err := event.EncodeRecord(x, seq, t0)
		if err != nil {
			b.Fatal(err)
		}
		if x, err = event.DecodeRecord(rec); err != nil {
			b.Fatal(err)
		}
		evs = append(evs, x)
		recs = append(recs, rec)
	}
	return evs, recs
}

// BenchmarkEvaluate measures evaluation with the built-in rules against two
// baselines of the same run: matching one rule's filter alone, and
// decoding the stored record (what the live bus does for every event
// before evaluation).
func BenchmarkEvaluate(b *testing.B) {
	evs, recs := benchEvents(b)
	rs := Builtin()
	report := func(b *testing.B, n int) {
		b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "events/s")
	}
	b.Run("builtin-rules", func(b *testing.B) {
		b.ReportAllocs()
		var e *Evaluator
		n, fired := 0, 0
		for b.Loop() {
			i := n % len(evs)
			if i == 0 {
				e = NewEvaluator(rs) // each pass over the events starts afresh
			}
			fired += len(e.Evaluate(evs[i], evs[i].Seq))
			n++
		}
		report(b, n)
		_ = fired
	})
	b.Run("baseline-match-one-rule", func(b *testing.B) {
		m := rs.Rule("brute-force-user").matcher
		n, hits := 0, 0
		for b.Loop() {
			if m.Match(evs[n%len(evs)]) {
				hits++
			}
			n++
		}
		report(b, n)
	})
	b.Run("baseline-decode-record", func(b *testing.B) {
		n := 0
		for b.Loop() {
			if _, err := event.DecodeRecord(recs[n%len(recs)]); err != nil {
				b.Fatal(err)
			}
			n++
		}
		report(b, n)
	})
}
