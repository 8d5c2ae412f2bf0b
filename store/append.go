package store

import (
	"context"
	"errors"
	"fmt"
	"time"

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
	events []Prepared
	res    AppendResult
	err    error
	units  int // units not yet settled that hold (some of) its events
	done   chan struct{}
}

// maxGroup bounds how many events one group commit gathers.
const maxGroup = 8192

// Prepared is an event made ready to append: its id assigned and the part
// of its record that does not depend on its seq built. Preparing is the
// costly part of an append and runs in the caller's goroutine (or many),
// so that the one writer only extends the chain.
type Prepared struct {
	ev       *event.Event
	body     []byte
	received time.Time
}

// Prepare readies a normalised event for Submit. It is safe to call from
// many goroutines at once. The event's "received" time is taken now.
func (s *Store) Prepare(ev *event.Event) (Prepared, error) {
	ev.AssignID()
	received := s.clock().UTC()
	body, err := event.RecordBody(ev, received)
	if err != nil {
		return Prepared{}, fmt.Errorf("prepare event %s: %w", ev.ID, err)
	}
	return Prepared{ev: ev, body: body, received: received}, nil
}

// Pending is a submitted batch on its way to disk.
type Pending struct{ req *appendReq }

// Wait returns the batch's result once it is durable. Cancelling ctx
// abandons the wait, not the write.
func (p *Pending) Wait(ctx context.Context) (AppendResult, error) {
	select {
	case <-p.req.done:
		return p.req.res, p.req.err
	case <-ctx.Done():
		return AppendResult{}, ctx.Err()
	}
}

// Submit queues prepared events to be appended in order after everything
// submitted before, and returns without waiting for the write: several
// batches in flight let the writer gather them into one group commit.
func (s *Store) Submit(ctx context.Context, events []Prepared) (*Pending, error) {
	req := &appendReq{events: events, done: make(chan struct{})}
	if len(events) == 0 {
		close(req.done)
		return &Pending{req}, nil
	}
	s.closeMu.RLock()
	defer s.closeMu.RUnlock()
	if s.closing {
		return nil, ErrClosed
	}
	select {
	case s.reqs <- req:
		return &Pending{req}, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// Append stores normalised events, in order, and returns once they are
// durable. Events without an event_id get one (see event.Event.AssignID). An
// event whose event_id is already stored is not stored again and is reported
// as a duplicate.
//
// If Append fails, a prefix of the events may have been stored; appending
// them again is safe, since their event_ids are then reported as duplicates.
// Cancelling ctx abandons the wait, not the write.
func (s *Store) Append(ctx context.Context, events []*event.Event) (AppendResult, error) {
	prepared := make([]Prepared, len(events))
	for i, ev := range events {
		p, err := s.Prepare(ev)
		if err != nil {
			return AppendResult{}, fmt.Errorf("append: %w", err)
		}
		prepared[i] = p
	}
	p, err := s.Submit(ctx, prepared)
	if err != nil {
		return AppendResult{}, err
	}
	return p.Wait(ctx)
}

// writer is the only goroutine that writes records. It gathers whatever
// requests are waiting into one group and writes them as Badger
// transactions ("units"). While one unit commits, the next is built, so
// that the writer's work overlaps Badger's write and fsync; a unit is
// committed only once the one before it is durable, so the chain on disk
// never has a gap. A request is answered when every unit holding its events
// is durable.
func (s *Store) writer() {
	defer close(s.done)
	w := &chainWriter{s: s, tip: s.Head()}
	for {
		var req *appendReq
		var ok bool
		if w.inflight != nil {
			select {
			case req, ok = <-s.reqs:
			case err := <-w.inflight.done:
				w.confirmed(err)
				continue
			}
		} else {
			req, ok = <-s.reqs
		}
		if !ok {
			w.confirm()
			if w.snap != nil {
				w.snap.Discard()
			}
			return
		}
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
		w.write(group)
	}
}

// Units are kept well below Badger's largest transaction (about 15% of the
// memtable, 64 MiB by default), so that a unit never fails for its size.
const (
	unitMaxBytes   = 4 << 20
	unitMaxEntries = 20000
)

// chainWriter is the writer goroutine's state.
//
// Badger makes every new transaction wait until the commits in progress are
// done, so the writer neither opens a transaction while a unit commits nor
// writes through one: units are WriteBatches (which take no read
// snapshot), and event ids are looked up in a read snapshot taken when no
// commit was in progress, plus the ids of the unit in flight, which that
// snapshot cannot see.
type chainWriter struct {
	s        *Store
	tip      Head  // the chain's head including units not yet durable
	cur      *unit // being built
	inflight *unit // committing
	snap     *badger.Txn
	filter   *idFilter // nil until the first event is added
}

// unit is one Badger write batch of the writer: one transaction.
type unit struct {
	wb      *badger.WriteBatch
	head    Head              // the chain's head once this unit is durable
	ids     map[string]uint64 // event ids it stores
	reqs    []*appendReq      // requests answered (in part) when it is durable
	bytes   int
	entries int
	done    chan error
}

func (w *chainWriter) write(group []*appendReq) {
	for _, req := range group {
		req.res = AppendResult{Seqs: make([]uint64, len(req.events)), Duplicate: make([]bool, len(req.events))}
		for i, p := range req.events {
			if err := w.add(req, i, p); err != nil {
				w.fail(req, err)
				break
			}
		}
		w.attach(req)
	}
	w.submit()
}

// add appends one event to the unit being built, or reports it a duplicate.
func (w *chainWriter) add(req *appendReq, i int, p Prepared) error {
	ev := p.ev
	if w.cur == nil {
		w.start()
	}
	if w.filter == nil || w.filter.full() {
		w.buildFilter()
	}
	seq, dup := w.cur.ids[ev.ID]
	if !dup && w.inflight != nil {
		seq, dup = w.inflight.ids[ev.ID]
	}
	if !dup && w.filter.mayContain(ev.ID) {
		var err error
		if seq, dup, err = w.s.storedID(w.snap, ev.ID); err != nil {
			return fmt.Errorf("append: look up event_id: %w", err)
		}
	}
	if dup {
		req.res.Seqs[i], req.res.Duplicate[i] = seq, true
		req.res.Dups++
		return nil
	}
	seq = w.tip.Seq + 1
	rec := event.RecordWithSeq(seq, p.body)
	hash := Hash(w.tip.Hash, seq, rec)
	val := make([]byte, 0, valueHeader+len(rec))
	val = append(val, valueVersion)
	val = append(val, w.tip.Hash[:]...)
	val = append(val, hash[:]...)
	val = append(val, rec...)
	size := len(val) + len(ev.ID) + 64
	if w.cur.entries > 0 && (w.cur.bytes+size > unitMaxBytes || w.cur.entries+3 > unitMaxEntries) {
		w.attach(req)
		w.submit()
		w.start()
	}
	u := w.cur
	for _, e := range []struct{ k, v []byte }{
		{recordKey(seq), val},
		{idKey(ev.ID), putU64(seq)},
		{timeKey(ev.Time, seq), nil},
	} {
		if err := u.wb.Set(e.k, e.v); err != nil {
			return fmt.Errorf("append seq %d: %w", seq, err)
		}
	}
	u.bytes += size
	u.entries += 3
	w.tip = Head{Seq: seq, Hash: hash}
	u.head = w.tip
	u.ids[ev.ID] = seq
	w.filter.add(ev.ID)
	ev.Seq, ev.Received = seq, p.received
	req.res.Seqs[i] = seq
	req.res.Stored++
	return nil
}

// buildFilter (re)builds the id filter from the id keys of the snapshot and
// the ids of the units not yet in it, sized for twice as many ids.
func (w *chainWriter) buildFilter() {
	var pending []map[string]uint64
	if w.cur != nil {
		pending = append(pending, w.cur.ids)
	}
	if w.inflight != nil {
		pending = append(pending, w.inflight.ids)
	}
	n := int(w.s.Count())
	for _, ids := range pending {
		n += len(ids)
	}
	f := newIDFilter(2 * n)
	opts := badger.DefaultIteratorOptions
	opts.PrefetchValues = false
	opts.Prefix = []byte{prefixID}
	it := w.snap.NewIterator(opts)
	for it.Rewind(); it.Valid(); it.Next() {
		f.add(string(it.Item().Key()[1:]))
	}
	it.Close()
	for _, ids := range pending {
		for id := range ids {
			f.add(id)
		}
	}
	w.filter = f
	w.s.log.Debug("event id filter built", "ids", f.n, "capacity", f.capacity)
}

func (w *chainWriter) start() {
	if w.snap == nil {
		w.snap = w.s.db.NewTransaction(false)
	}
	w.cur = &unit{wb: w.s.db.NewWriteBatch(), head: w.tip, ids: map[string]uint64{}}
}

// refresh takes a new read snapshot; call it when no unit is in flight.
func (w *chainWriter) refresh() {
	if w.snap != nil {
		w.snap.Discard()
	}
	w.snap = w.s.db.NewTransaction(false)
}

// attach makes req wait for the unit being built.
func (w *chainWriter) attach(req *appendReq) {
	if w.cur == nil {
		w.start()
	}
	if n := len(w.cur.reqs); n == 0 || w.cur.reqs[n-1] != req {
		w.cur.reqs = append(w.cur.reqs, req)
		req.units++
	}
}

// submit commits the unit being built once the one before it is durable.
func (w *chainWriter) submit() {
	u := w.cur
	w.cur = nil
	if u == nil {
		return
	}
	if err := w.confirm(); err != nil {
		// u extends a chain that did not reach the disk: drop it.
		u.wb.Cancel()
		w.answer(u, err)
		return
	}
	if u.entries == 0 {
		u.wb.Cancel()
		w.answer(u, nil)
		return
	}
	if err := u.wb.Set(keyHead, append(putU64(u.head.Seq), u.head.Hash[:]...)); err != nil {
		u.wb.Cancel()
		w.tip = w.s.Head()
		w.answer(u, fmt.Errorf("append: %w", err))
		return
	}
	u.done = make(chan error, 1)
	go func() { u.done <- u.wb.Flush() }()
	w.inflight = u
}

// confirm waits for the unit in flight.
func (w *chainWriter) confirm() error {
	if w.inflight == nil {
		return nil
	}
	return w.confirmed(<-w.inflight.done)
}

// confirmed settles the unit in flight with its commit's outcome.
func (w *chainWriter) confirmed(err error) error {
	u := w.inflight
	w.inflight = nil
	// Nothing is in flight now: a new snapshot sees every durable unit,
	// and the ids of u need no longer be looked up in memory.
	w.refresh()
	if err != nil {
		err = fmt.Errorf("append: commit: %w", err)
		// Nothing of u is on disk: the chain goes on from the last durable
		// head.
		w.tip = w.s.Head()
	} else {
		w.s.mu.Lock()
		if u.head.Seq != w.s.head.Seq {
			w.s.head = u.head
			close(w.s.advanced)
			w.s.advanced = make(chan struct{})
		}
		w.s.mu.Unlock()
	}
	w.answer(u, err)
	return err
}

// answer tells the requests of a settled unit; each is done when its last
// unit is.
func (w *chainWriter) answer(u *unit, err error) {
	for _, r := range u.reqs {
		if err != nil && r.err == nil {
			r.err = err
		}
		r.units--
		if r.units == 0 {
			if r.err != nil {
				r.res = AppendResult{}
			}
			close(r.done)
		}
	}
}

func (w *chainWriter) fail(req *appendReq, err error) {
	if req.err == nil {
		req.err = err
	}
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
