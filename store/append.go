package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/dgraph-io/badger/v4"

	"github.com/vigil-dev/vigil/event"
)

// AppendResult says what became of each event given to Append.
type AppendResult struct {
	// Seqs[i] is the seq event i was stored at, or for a duplicate the seq
	// of the event already stored with the same event_id.
	Seqs []uint64
	// Duplicate[i] reports that event i was not stored because its
	// event_id was already stored (or came earlier in the same batch).
	Duplicate []bool
	Stored    int
	Dups      int
}

type appendReq struct {
	events []*event.Event
	res    AppendResult
	err    error
	done   chan struct{}
}

// maxGroup bounds how many events one group commit gathers.
const maxGroup = 4096

// Append stores normalised events, in order, and returns once they are
// durable. Events without an event_id get one (see event.Event.AssignID). An
// event whose event_id is already stored is not stored again and is reported
// as a duplicate.
//
// If Append fails, a prefix of the events may have been stored; appending
// them again is safe, since their event_ids are then reported as duplicates.
// Cancelling ctx abandons the wait, not the write.
func (s *Store) Append(ctx context.Context, events []*event.Event) (res AppendResult, err error) {
	if len(events) == 0 {
		return AppendResult{}, nil
	}
	for _, ev := range events {
		ev.AssignID()
	}
	req := &appendReq{events: events, done: make(chan struct{})}
	defer func() {
		if recover() != nil { // send on the closed channel
			res, err = AppendResult{}, ErrClosed
		}
	}()
	select {
	case s.reqs <- req:
	case <-ctx.Done():
		return AppendResult{}, ctx.Err()
	}
	select {
	case <-req.done:
		return req.res, req.err
	case <-ctx.Done():
		return AppendResult{}, ctx.Err()
	}
}

// writer is the only goroutine that writes records. It gathers whatever
// requests are waiting into one group, writes them in as few transactions as
// Badger allows, and answers every request of the group once all of it is
// durable.
func (s *Store) writer() {
	defer close(s.done)
	for req := range s.reqs {
		group := []*appendReq{req}
		n := len(req.events)
	gather:
		for n < maxGroup {
			select {
			case more, ok := <-s.reqs:
				if !ok {
					break gather
				}
				group = append(group, more)
				n += len(more.events)
			default:
				break gather
			}
		}
		err := s.writeGroup(group)
		for _, r := range group {
			if err != nil {
				r.err = err
				r.res = AppendResult{}
			}
			close(r.done)
		}
	}
}

func (s *Store) writeGroup(group []*appendReq) error {
	head := s.Head()
	received := s.clock().UTC()
	batchIDs := map[string]uint64{}
	txn := s.db.NewTransaction(true)
	defer func() { txn.Discard() }()

	commit := func() error {
		if err := txn.Set(keyHead, append(putU64(head.Seq), head.Hash[:]...)); err != nil {
			return err
		}
		if err := txn.Commit(); err != nil {
			return err
		}
		s.mu.Lock()
		s.head = head
		s.mu.Unlock()
		txn = s.db.NewTransaction(true)
		return nil
	}
	// set writes one entry, committing and retrying in a new transaction
	// when the current one is full.
	set := func(k, v []byte) error {
		err := txn.Set(k, v)
		if errors.Is(err, badger.ErrTxnTooBig) {
			if err := commit(); err != nil {
				return err
			}
			err = txn.Set(k, v)
		}
		return err
	}

	for _, req := range group {
		req.res = AppendResult{Seqs: make([]uint64, len(req.events)), Duplicate: make([]bool, len(req.events))}
		for i, ev := range req.events {
			if seq, ok := batchIDs[ev.ID]; ok {
				req.res.Seqs[i], req.res.Duplicate[i] = seq, true
				req.res.Dups++
				continue
			}
			seq, dup, err := s.storedID(txn, ev.ID)
			if err != nil {
				return fmt.Errorf("append: look up event_id: %w", err)
			}
			if dup {
				req.res.Seqs[i], req.res.Duplicate[i] = seq, true
				req.res.Dups++
				continue
			}
			seq = head.Seq + 1
			rec, err := event.EncodeRecord(ev, seq, received)
			if err != nil {
				return fmt.Errorf("append: %w", err)
			}
			hash := Hash(head.Hash, seq, rec)
			val := make([]byte, 0, valueHeader+len(rec))
			val = append(val, valueVersion)
			val = append(val, head.Hash[:]...)
			val = append(val, hash[:]...)
			val = append(val, rec...)
			// The record and its indexes go in one transaction or, when it
			// is full, the index entries follow in the next: head moves
			// only when a transaction holding the record commits.
			if err := set(recordKey(seq), val); err != nil {
				return fmt.Errorf("append seq %d: %w", seq, err)
			}
			head = Head{Seq: seq, Hash: hash}
			if err := set(idKey(ev.ID), putU64(seq)); err != nil {
				return fmt.Errorf("append seq %d: %w", seq, err)
			}
			if err := set(timeKey(ev.Time, seq), nil); err != nil {
				return fmt.Errorf("append seq %d: %w", seq, err)
			}
			batchIDs[ev.ID] = seq
			ev.Seq, ev.Received = seq, received
			req.res.Seqs[i] = seq
			req.res.Stored++
		}
	}
	if err := commit(); err != nil {
		// What the failed transaction held is gone; head stays at the last
		// committed transaction.
		return fmt.Errorf("append: commit: %w", err)
	}
	return nil
}

func (s *Store) storedID(txn *badger.Txn, id string) (uint64, bool, error) {
	item, err := txn.Get(idKey(id))
	if errors.Is(err, badger.ErrKeyNotFound) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, err
	}
	var seq uint64
	err = item.Value(func(v []byte) error { seq = u64(v); return nil })
	return seq, true, err
}
