package store

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"time"

	"github.com/dgraph-io/badger/v4"

	"github.com/vigil-dev/vigil/event"
)

// BreakKind says how the chain is broken.
type BreakKind string

// The kinds of break verification tells apart.
const (
	Changed   BreakKind = "changed"   // a record's bytes (or its stored hash) differ from what was chained
	Missing   BreakKind = "missing"   // an event is gone
	Inserted  BreakKind = "inserted"  // an event is there that was never chained at that place
	Reordered BreakKind = "reordered" // chained events appear in another order
)

// Break is the first place where the chain does not hold.
type Break struct {
	Seq    uint64
	Kind   BreakKind
	Detail string
}

func (b *Break) String() string {
	return fmt.Sprintf("seq %d: %s: %s", b.Seq, b.Kind, b.Detail)
}

// VerifyOptions choose the range to verify. Zero values mean the whole chain.
type VerifyOptions struct {
	From, To uint64
	// Since starts at the oldest seq of the events whose time is at or
	// after it (when it is later than From).
	Since time.Time
	// Progress, when set, is called now and then with the records checked
	// so far and the number in the range.
	Progress func(done, total uint64)
}

// VerifyReport is the outcome of Verify.
type VerifyReport struct {
	From, To uint64
	// Events is the number of records that verified.
	Events uint64
	// Head is the hash of the last record that verified.
	Head   [32]byte
	Intact bool
	// Break is the first break; nil when intact.
	Break *Break
}

type verifyItem struct {
	seq uint64
	val []byte
	ok  bool // the record hashes to its stored hash at this seq
}

type verifyBatch struct {
	items []verifyItem
	done  chan struct{}
}

// Verify recomputes the chain over a range of seqs and reports the first
// break. It hashes records on every core and checks the links in order. It
// reads one consistent snapshot, so appends may go on meanwhile.
func (s *Store) Verify(ctx context.Context, opts VerifyOptions) (VerifyReport, error) {
	head := s.Head()
	s.mu.RLock()
	first := s.first
	s.mu.RUnlock()
	rep := VerifyReport{From: opts.From, To: opts.To}
	if rep.From < first {
		rep.From = first
	}
	wholeTail := rep.To == 0 || rep.To >= head.Seq
	if wholeTail {
		rep.To = head.Seq
	}
	if !opts.Since.IsZero() {
		from, ok, err := s.firstSeqSince(ctx, opts.Since)
		if err != nil {
			return rep, err
		}
		if !ok {
			rep.From = rep.To + 1 // nothing since then
		} else if from > rep.From {
			rep.From = from
		}
	}
	if head.Seq == 0 || rep.From > rep.To {
		rep.Intact = true
		return rep, nil
	}
	prev, err := s.prevOf(rep.From, first)
	if err != nil {
		return rep, err
	}
	total := rep.To - rep.From + 1

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	work := make(chan *verifyBatch, 8)
	order := make(chan *verifyBatch, 16)
	var readErr error
	go func() {
		defer close(work)
		defer close(order)
		readErr = s.readRange(ctx, rep.From, wholeTail, rep.To, work, order)
	}()
	var wg sync.WaitGroup
	for i := 0; i < runtime.GOMAXPROCS(0); i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for b := range work {
				for j := range b.items {
					it := &b.items[j]
					r, err := decodeValue(it.seq, it.val)
					it.ok = err == nil && Hash(r.Prev, it.seq, r.Data) == r.Hash
				}
				close(b.done)
			}
		}()
	}
	defer wg.Wait()

	expected := rep.From
	var lastProgress uint64
	for b := range order {
		<-b.done
		for _, it := range b.items {
			if rep.Break != nil {
				break
			}
			r, _ := decodeValue(it.seq, it.val)
			if it.seq == expected && it.seq <= head.Seq && it.ok && r.Prev == prev {
				prev = r.Hash
				rep.Events++
				expected++
				continue
			}
			rep.Break = s.classify(expected, prev, head, it)
		}
		if rep.Break != nil {
			cancel()
			for range order { // let the reader finish
			}
			break
		}
		if opts.Progress != nil && rep.Events-lastProgress >= 65536 {
			lastProgress = rep.Events
			opts.Progress(rep.Events, total)
		}
	}
	if rep.Break == nil {
		if readErr != nil {
			return rep, fmt.Errorf("verify: %w", readErr)
		}
		if err := ctx.Err(); err != nil {
			return rep, err
		}
		if expected <= rep.To {
			rep.Break = &Break{Seq: expected, Kind: Missing,
				Detail: fmt.Sprintf("the chain ends at seq %d but its head is seq %d", expected-1, rep.To)}
		}
	}
	if opts.Progress != nil {
		opts.Progress(rep.Events, total)
	}
	rep.Head = prev
	rep.Intact = rep.Break == nil
	if rep.Intact && wholeTail && prev != head.Hash {
		rep.Intact = false
		rep.Break = &Break{Seq: head.Seq, Kind: Changed, Detail: "the stored head hash differs from the chain's last hash"}
	}
	return rep, nil
}

// readRange sends the records from..to (or to the end of the keys, when
// wholeTail, so that records beyond the head are seen) in batches.
func (s *Store) readRange(ctx context.Context, from uint64, wholeTail bool, to uint64, work, order chan<- *verifyBatch) error {
	const batchSize = 1024
	return s.db.View(func(txn *badger.Txn) error {
		io := badger.DefaultIteratorOptions
		io.Prefix = []byte{prefixRecord}
		io.PrefetchSize = 512
		it := txn.NewIterator(io)
		defer it.Close()
		b := &verifyBatch{done: make(chan struct{})}
		send := func() error {
			select {
			case work <- b:
			case <-ctx.Done():
				return ctx.Err()
			}
			select {
			case order <- b:
			case <-ctx.Done():
				return ctx.Err()
			}
			b = &verifyBatch{done: make(chan struct{})}
			return nil
		}
		for it.Seek(recordKey(from)); it.Valid(); it.Next() {
			seq := u64(it.Item().Key()[1:])
			if !wholeTail && seq > to {
				break
			}
			val, err := it.Item().ValueCopy(nil)
			if err != nil {
				return fmt.Errorf("read seq %d: %w", seq, err)
			}
			b.items = append(b.items, verifyItem{seq: seq, val: val})
			if len(b.items) == batchSize {
				if err := send(); err != nil {
					return err
				}
			}
		}
		if len(b.items) > 0 {
			return send()
		}
		return nil
	})
}

// prevOf returns the hash the record at seq must link to: the anchor for
// the first record kept, else the stored hash of the record before it.
func (s *Store) prevOf(seq, first uint64) ([32]byte, error) {
	var prev [32]byte
	if seq <= first {
		err := s.db.View(func(txn *badger.Txn) error {
			item, err := txn.Get(keyAnchor)
			if errors.Is(err, badger.ErrKeyNotFound) {
				return nil // a new store's anchor: 32 zero bytes
			}
			if err != nil {
				return err
			}
			return item.Value(func(v []byte) error { copy(prev[:], v); return nil })
		})
		return prev, err
	}
	r, err := s.Get(seq - 1)
	if err != nil {
		return prev, fmt.Errorf("verify from seq %d: %w", seq, err)
	}
	return r.Hash, nil
}

func (s *Store) firstSeqSince(ctx context.Context, since time.Time) (uint64, bool, error) {
	var min uint64
	found := false
	err := s.ScanTime(ctx, since, time.Time{}, false, func(seq uint64, _ time.Time) error {
		if !found || seq < min {
			min, found = seq, true
		}
		return nil
	})
	return min, found, err
}

// selfCheck reads what a record says of itself: the seq in its JSON and
// whether it hashes to its stored hash at that seq with its stored prev.
func selfCheck(seq uint64, val []byte) (r Record, claimed uint64, genuine bool) {
	r, err := decodeValue(seq, val)
	if err != nil {
		return r, 0, false
	}
	claimed, err = event.RecordSeq(r.Data)
	if err != nil {
		return r, 0, false
	}
	return r, claimed, Hash(r.Prev, claimed, r.Data) == r.Hash
}

// classify names the break found at the record it, where seq expected with
// prev as its predecessor's hash was due.
func (s *Store) classify(expected uint64, prev [32]byte, head Head, it verifyItem) *Break {
	if it.seq > expected {
		return &Break{Seq: expected, Kind: Missing,
			Detail: fmt.Sprintf("no record at seq %d; the next one is at seq %d", expected, it.seq)}
	}
	if expected > head.Seq {
		return &Break{Seq: expected, Kind: Inserted,
			Detail: fmt.Sprintf("a record after the head (seq %d)", head.Seq)}
	}
	r, claimed, genuine := selfCheck(it.seq, it.val)
	next := func(seq uint64) (uint64, Record, bool) {
		v, err := s.Get(seq)
		if err != nil {
			return 0, Record{}, false
		}
		val := append(append(append([]byte{valueVersion}, v.Prev[:]...), v.Hash[:]...), v.Data...)
		r, c, g := selfCheck(seq, val)
		return c, r, g
	}
	switch {
	case genuine && claimed == expected && r.Prev != prev:
		return &Break{Seq: expected - 1, Kind: Changed,
			Detail: fmt.Sprintf("seq %d does not link to the record before it, which was rewritten", expected)}
	case genuine && claimed > expected:
		if c, _, g := next(claimed); g && c == expected {
			return &Break{Seq: expected, Kind: Reordered,
				Detail: fmt.Sprintf("the records of seq %d and seq %d trade places", expected, claimed)}
		}
		if c, _, g := next(expected + 1); g && c == expected {
			return &Break{Seq: expected, Kind: Reordered,
				Detail: fmt.Sprintf("the record of seq %d stands at seq %d", expected, expected+1)}
		}
		return &Break{Seq: expected, Kind: Missing,
			Detail: fmt.Sprintf("the record chained as seq %d stands at seq %d: events were removed and the rest renumbered", claimed, expected)}
	case genuine && claimed < expected:
		return &Break{Seq: expected, Kind: Inserted,
			Detail: fmt.Sprintf("a copy of seq %d stands at seq %d", claimed, expected)}
	}
	if c, nr, g := next(expected + 1); g && c == expected && nr.Prev == prev {
		return &Break{Seq: expected, Kind: Inserted,
			Detail: fmt.Sprintf("a record was inserted at seq %d and the chained ones moved up", expected)}
	}
	return &Break{Seq: expected, Kind: Changed,
		Detail: fmt.Sprintf("record %d does not match its hash", expected)}
}
