package store

import (
	"bytes"
	"context"
	"crypto/sha256"
	"testing"
	"time"

	"github.com/dgraph-io/badger/v4"

	"github.com/vigil-dev/vigil/event"
	"github.com/vigil-dev/vigil/testdata/demo"
)

// benchEvents decodes n generated events once per benchmark.
func benchEvents(b *testing.B, n int) []*event.Event {
	b.Helper()
	g := demo.New(demo.Config{Events: n, Days: 30, Seed: 1, End: time.Date(2025, 2, 1, 0, 0, 0, 0, time.UTC)})
	cat := event.BuiltinCatalogue()
	var dec event.Decoder
	evs := make([]*event.Event, 0, n)
	for {
		line, ok := g.Next()
		if !ok {
			break
		}
		ev, err := dec.Decode(line)
		if err != nil {
			b.Fatal(err)
		}
		cat.Normalize(ev)
		evs = append(evs, ev)
	}
	return evs
}

// appendAll appends events in batches with several batches in flight, as
// ingest does, and returns once all are durable.
func appendAll(b *testing.B, s *Store, evs []*event.Event) {
	const batch = 2048
	ctx := context.Background()
	var pending []*Pending
	for i := 0; i < len(evs); i += batch {
		end := min(i+batch, len(evs))
		ps := make([]Prepared, 0, end-i)
		for _, ev := range evs[i:end] {
			p, err := s.Prepare(ev)
			if err != nil {
				b.Fatal(err)
			}
			ps = append(ps, p)
		}
		p, err := s.Submit(ctx, ps)
		if err != nil {
			b.Fatal(err)
		}
		pending = append(pending, p)
		if len(pending) == 4 {
			if _, err := pending[0].Wait(ctx); err != nil {
				b.Fatal(err)
			}
			pending = pending[1:]
		}
	}
	for _, p := range pending {
		if _, err := p.Wait(ctx); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAppend measures the store's append rate, plain and encrypted,
// against a baseline measured in the same run: Badger writing the same
// record bytes under their seq with the same durability (fsync per batch),
// without the chain, the dedup lookup or the time index.
func BenchmarkAppend(b *testing.B) {
	const n = 200_000
	evs := benchEvents(b, n)
	for _, tc := range []struct {
		name string
		key  []byte
	}{{"plain", nil}, {"encrypted", bytes.Repeat([]byte{1}, 32)}} {
		b.Run(tc.name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				s, err := Open(b.TempDir(), Options{EncryptionKey: tc.key})
				if err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				appendAll(b, s, evs)
				b.StopTimer()
				s.Close()
				b.StartTimer()
			}
			b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "events/s")
		})
	}
	b.Run("badger-baseline", func(b *testing.B) {
		recs := make([][]byte, n)
		for i, ev := range evs {
			rec, err := event.EncodeRecord(ev, uint64(i+1), time.Now())
			if err != nil {
				b.Fatal(err)
			}
			recs[i] = rec
		}
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			b.StopTimer()
			db, err := badger.Open(badger.DefaultOptions(b.TempDir()).WithLogger(nil).
				WithSyncWrites(true).WithValueThreshold(64).WithDetectConflicts(false))
			if err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
			for j := 0; j < n; j += 2048 {
				wb := db.NewWriteBatch()
				for k := j; k < min(j+2048, n); k++ {
					if err := wb.Set(recordKey(uint64(k+1)), recs[k]); err != nil {
						b.Fatal(err)
					}
				}
				if err := wb.Flush(); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			db.Close()
			b.StartTimer()
		}
		b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "events/s")
	})
}

// BenchmarkVerify measures verification against a baseline measured in the
// same run: SHA-256 over the same record bytes in memory on one core, the
// least any verifier has to do.
func BenchmarkVerify(b *testing.B) {
	const n = 200_000
	s, err := Open(b.TempDir(), Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	appendAll(b, s, benchEvents(b, n))
	b.Run("verify", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			rep, err := s.Verify(context.Background(), VerifyOptions{})
			if err != nil || !rep.Intact {
				b.Fatalf("%+v %v", rep, err)
			}
		}
		b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "events/s")
	})
	b.Run("sha256-baseline", func(b *testing.B) {
		var recs [][]byte
		_ = s.Scan(context.Background(), 0, 0, false, func(r Record) error {
			recs = append(recs, bytes.Clone(r.Data))
			return nil
		})
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			var prev [32]byte
			for j, rec := range recs {
				h := sha256.New()
				h.Write(prev[:])
				h.Write([]byte{0, 0, 0, 0, byte(j >> 24), byte(j >> 16), byte(j >> 8), byte(j)})
				h.Write(rec)
				h.Sum(prev[:0])
			}
		}
		b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "events/s")
	})
}
