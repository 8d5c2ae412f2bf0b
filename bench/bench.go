// Package bench measures vigil on generated events, each figure beside a
// baseline measured in the same run on the same data, since the machines
// this runs on are shared and noisy: a ratio holds where a raw rate does
// not. `vigil bench` prints what it measures.
package bench

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/dgraph-io/badger/v4"

	"github.com/vigil-dev/vigil/event"
	"github.com/vigil-dev/vigil/ingest"
	"github.com/vigil-dev/vigil/store"
	"github.com/vigil-dev/vigil/testdata/demo"
)

// Result is one measurement.
type Result struct {
	Name     string
	Events   int
	Duration time.Duration
	// Baseline names the result this one is compared with; "" for a
	// baseline itself.
	Baseline string
}

// Rate is events per second.
func (r Result) Rate() float64 { return float64(r.Events) / r.Duration.Seconds() }

// Config chooses the workload.
type Config struct {
	Events int
	Seed   int64
	// Dir holds the stores made; a temporary directory when "".
	Dir string
	// Progress, when set, is told the name of each measurement as it
	// starts.
	Progress func(name string)
}

// Run measures ingest, append (plain and encrypted) and verify, each with
// its baseline, and returns the results in order.
func Run(ctx context.Context, cfg Config) ([]Result, error) {
	dir := cfg.Dir
	if dir == "" {
		d, err := os.MkdirTemp("", "vigil-bench")
		if err != nil {
			return nil, fmt.Errorf("bench: %w", err)
		}
		defer os.RemoveAll(d)
		dir = d
	}
	say := func(name string) {
		if cfg.Progress != nil {
			cfg.Progress(name)
		}
	}
	var out []Result
	timed := func(name, baseline string, n int, f func() error) error {
		say(name)
		start := time.Now()
		if err := f(); err != nil {
			return fmt.Errorf("bench %s: %w", name, err)
		}
		out = append(out, Result{Name: name, Events: n, Duration: time.Since(start), Baseline: baseline})
		return nil
	}

	say("generate events")
	var jsonl bytes.Buffer
	n, err := demo.WriteJSONL(&jsonl, demo.Config{Events: cfg.Events, Days: 30, Seed: cfg.Seed, End: time.Date(2025, 2, 1, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		return nil, err
	}
	lines := bytes.Split(bytes.TrimSpace(jsonl.Bytes()), []byte{'\n'})

	const decodeBase = "decode with encoding/json (jq's job, 1 core)"
	if err := timed(decodeBase, "", n, func() error {
		for _, l := range lines {
			var m map[string]any
			if err := json.Unmarshal(l, &m); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		return out, err
	}
	st, err := store.Open(filepath.Join(dir, "ingest"), store.Options{})
	if err != nil {
		return out, err
	}
	err = timed("vigil ingest, end to end (durable)", decodeBase, n, func() error {
		stats, err := ingest.Run(ctx, st, []ingest.Source{{Name: "bench", R: bytes.NewReader(jsonl.Bytes())}}, ingest.Options{})
		if err == nil && stats.Stored.Load() != int64(n) {
			err = fmt.Errorf("stored %d of %d", stats.Stored.Load(), n)
		}
		return err
	})
	st.Close()
	if err != nil {
		return out, err
	}

	// Decoded once, appended to fresh stores.
	cat := event.BuiltinCatalogue()
	var dec event.Decoder
	events := make([]*event.Event, len(lines))
	records := make([][]byte, len(lines))
	for i, l := range lines {
		ev, err := dec.Decode(l)
		if err != nil {
			return out, err
		}
		cat.Normalize(ev)
		ev.AssignID()
		events[i] = ev
		if records[i], err = event.EncodeRecord(ev, uint64(i+1), time.Now()); err != nil {
			return out, err
		}
	}
	const badgerBase = "Badger writing the same records (no chain, dedup, time index)"
	if err := timed(badgerBase, "", n, func() error { return badgerWrites(filepath.Join(dir, "badger"), records) }); err != nil {
		return out, err
	}
	for _, enc := range []struct {
		name string
		key  []byte
	}{{"store append", nil}, {"store append, encrypted", bytes.Repeat([]byte{7}, 32)}} {
		st, err := store.Open(filepath.Join(dir, enc.name), store.Options{EncryptionKey: enc.key})
		if err != nil {
			return out, err
		}
		err = timed(enc.name, badgerBase, n, func() error { return appendAll(ctx, st, events) })
		if enc.key == nil && err == nil {
			const shaBase = "SHA-256 of the records in memory (1 core)"
			err = timed(shaBase, "", n, func() error { shaChain(records); return nil })
			if err == nil {
				err = timed("vigil verify", shaBase, n, func() error {
					rep, err := st.Verify(ctx, store.VerifyOptions{})
					if err == nil && !rep.Intact {
						err = fmt.Errorf("chain broken: %v", rep.Break)
					}
					return err
				})
			}
		}
		st.Close()
		if err != nil {
			return out, err
		}
	}
	return out, nil
}

// appendAll appends in batches with several in flight, as ingest does.
func appendAll(ctx context.Context, st *store.Store, events []*event.Event) error {
	const batch = 2048
	var pending []*store.Pending
	wait := func() error {
		res, err := pending[0].Wait(ctx)
		pending = pending[1:]
		if err == nil && res.Dups > 0 {
			err = fmt.Errorf("%d unexpected duplicates", res.Dups)
		}
		return err
	}
	for i := 0; i < len(events); i += batch {
		chunk := events[i:min(i+batch, len(events))]
		ps := make([]store.Prepared, len(chunk))
		for j, ev := range chunk {
			p, err := st.Prepare(ev)
			if err != nil {
				return err
			}
			ps[j] = p
		}
		p, err := st.Submit(ctx, ps)
		if err != nil {
			return err
		}
		pending = append(pending, p)
		if len(pending) == 4 {
			if err := wait(); err != nil {
				return err
			}
		}
	}
	for len(pending) > 0 {
		if err := wait(); err != nil {
			return err
		}
	}
	return nil
}

func badgerWrites(dir string, records [][]byte) error {
	db, err := badger.Open(badger.DefaultOptions(dir).WithLogger(nil).WithSyncWrites(true).
		WithValueThreshold(64).WithDetectConflicts(false))
	if err != nil {
		return err
	}
	defer db.Close()
	key := make([]byte, 9)
	for i := 0; i < len(records); i += 2048 {
		wb := db.NewWriteBatch()
		for j := i; j < min(i+2048, len(records)); j++ {
			key[0] = 'r'
			binary.BigEndian.PutUint64(key[1:], uint64(j+1))
			if err := wb.Set(bytes.Clone(key), records[j]); err != nil {
				return err
			}
		}
		if err := wb.Flush(); err != nil {
			return err
		}
	}
	return nil
}

func shaChain(records [][]byte) [32]byte {
	var prev [32]byte
	var seq [8]byte
	for i, rec := range records {
		binary.BigEndian.PutUint64(seq[:], uint64(i+1))
		h := sha256.New()
		h.Write(prev[:])
		h.Write(seq[:])
		h.Write(rec)
		h.Sum(prev[:0])
	}
	return prev
}
