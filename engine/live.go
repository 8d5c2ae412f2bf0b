package engine

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vigil-dev/vigil/event"
	"github.com/vigil-dev/vigil/store"
)

// ErrClosed is returned by calls on a closed engine.
var ErrClosed = errors.New("engine closed")

// LiveEvent is one stored event as the live bus delivers it. Both parts are
// shared between subscribers and must not be modified.
type LiveEvent struct {
	Record store.Record
	Event  *event.Event
}

// Delivery is what a subscriber receives: stored events, contiguous and in
// seq order, right after they became durable.
type Delivery struct {
	Events []LiveEvent
	// Missed is how many events the live path dropped for this subscriber
	// since its last delivery because its buffer was full. They were read
	// back from the store and are in Events or the deliveries that follow:
	// nothing is lost, but the subscriber knows it fell behind.
	Missed uint64
}

// SubscribeOptions configure Subscribe.
type SubscribeOptions struct {
	// From is the first seq wanted; events already stored from there on are
	// read from the store first. Zero means only events stored after
	// Subscribe returns.
	From uint64
	// Buffer is how many deliveries wait for the subscriber before the live
	// path drops them (and the subscriber reads them back from the store);
	// 64 when zero.
	Buffer int
}

// catchUpChunk bounds the events one delivery read back from the store
// holds.
const catchUpChunk = 2048

// Subscription is one subscriber of the live bus. Next is called from one
// goroutine at a time.
type Subscription struct {
	e       *Engine
	ch      chan []LiveEvent
	dropped atomic.Uint64
	next    uint64      // the next seq to deliver
	pending []LiveEvent // a live batch received ahead of next
	done    chan struct{}
	once    sync.Once
}

// bus fans stored events out to subscribers. One goroutine (pump) follows
// the store's head, reads and decodes each new range once and offers it to
// every subscriber without blocking: a full subscriber misses the batch and
// reads it back from the store itself, so a slow subscriber never slows
// ingest or the others.
type bus struct {
	mu     sync.Mutex
	subs   map[*Subscription]struct{}
	closed chan struct{}
	stop   sync.Once
	wg     sync.WaitGroup
}

func (e *Engine) startBus() {
	e.bus = &bus{subs: make(map[*Subscription]struct{}), closed: make(chan struct{})}
	e.bus.wg.Add(1)
	go e.pump()
}

func (e *Engine) stopBus() {
	e.bus.stop.Do(func() { close(e.bus.closed) })
	e.bus.wg.Wait()
}

// Subscribe starts a subscription to stored events.
func (e *Engine) Subscribe(opts SubscribeOptions) *Subscription {
	if opts.Buffer <= 0 {
		opts.Buffer = 64
	}
	s := &Subscription{e: e, ch: make(chan []LiveEvent, opts.Buffer), done: make(chan struct{})}
	e.bus.mu.Lock()
	// Under the bus lock the pump cannot publish in between: every batch
	// after the head read here reaches the new subscriber, or is counted
	// as dropped and read back.
	s.next = opts.From
	if s.next == 0 {
		s.next = e.st.Head().Seq + 1
	}
	e.bus.subs[s] = struct{}{}
	e.bus.mu.Unlock()
	return s
}

// Subscribers is the number of open subscriptions.
func (e *Engine) Subscribers() int {
	e.bus.mu.Lock()
	defer e.bus.mu.Unlock()
	return len(e.bus.subs)
}

// Close ends the subscription; a Next in progress returns ErrClosed.
func (s *Subscription) Close() {
	s.once.Do(func() {
		s.e.bus.mu.Lock()
		delete(s.e.bus.subs, s)
		s.e.bus.mu.Unlock()
		close(s.done)
	})
}

// Next blocks until stored events follow the last delivered one, and
// returns them. It returns ctx's error when ctx ends and ErrClosed once the
// subscription or the engine is closed.
func (s *Subscription) Next(ctx context.Context) (Delivery, error) {
	for {
		if s.pending == nil {
			select {
			case b := <-s.ch:
				s.pending = b
			default:
			}
		}
		// Drop what was already delivered (read back from the store).
		for len(s.pending) > 0 && s.pending[0].Record.Seq < s.next {
			s.pending = s.pending[1:]
		}
		if len(s.pending) == 0 {
			s.pending = nil
		}
		if s.pending != nil && s.pending[0].Record.Seq == s.next {
			evs := s.pending
			s.pending = nil
			s.next = evs[len(evs)-1].Record.Seq + 1
			return Delivery{Events: evs, Missed: s.dropped.Swap(0)}, nil
		}
		hi := s.e.st.Head().Seq
		if s.pending != nil {
			hi = s.pending[0].Record.Seq - 1
		}
		if s.next <= hi {
			if hi-s.next+1 > catchUpChunk {
				hi = s.next + catchUpChunk - 1
			}
			evs, err := s.e.readLive(ctx, s.next, hi)
			if err != nil {
				return Delivery{}, err
			}
			s.next = hi + 1
			return Delivery{Events: evs, Missed: s.dropped.Swap(0)}, nil
		}
		select {
		case b := <-s.ch:
			s.pending = b
		case <-ctx.Done():
			return Delivery{}, ctx.Err()
		case <-s.done:
			return Delivery{}, ErrClosed
		case <-s.e.bus.closed:
			return Delivery{}, ErrClosed
		}
	}
}

// pump follows the store's head and publishes each new range.
func (e *Engine) pump() {
	defer e.bus.wg.Done()
	last := e.st.Head().Seq
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		<-e.bus.closed
		cancel()
	}()
	for {
		head, advanced := e.st.Watch()
		if head.Seq > last {
			e.publish(ctx, last+1, head.Seq)
			last = head.Seq
		}
		select {
		case <-advanced:
		case <-e.bus.closed:
			return
		}
	}
}

// publish reads [from, to] once and offers it to every subscriber.
func (e *Engine) publish(ctx context.Context, from, to uint64) {
	if e.Subscribers() == 0 {
		return
	}
	evs, err := e.readLive(ctx, from, to)
	if err != nil {
		// Subscribers see the gap and read the range back themselves.
		if ctx.Err() == nil {
			e.log.Warn("live bus: read stored events", "from", from, "to", to, "err", err)
		}
		e.bus.mu.Lock()
		for s := range e.bus.subs {
			s.dropped.Add(to - from + 1)
		}
		e.bus.mu.Unlock()
		return
	}
	e.bus.mu.Lock()
	defer e.bus.mu.Unlock()
	for s := range e.bus.subs {
		select {
		case s.ch <- evs:
		default:
			s.dropped.Add(uint64(len(evs)))
		}
	}
}

// readLive reads and decodes the stored events [from, to].
func (e *Engine) readLive(ctx context.Context, from, to uint64) ([]LiveEvent, error) {
	evs := make([]LiveEvent, 0, to-from+1)
	err := e.st.Scan(ctx, from, to, false, func(r store.Record) error {
		ev, err := r.Event()
		if err != nil {
			return fmt.Errorf("record %d: %w", r.Seq, err)
		}
		evs = append(evs, LiveEvent{Record: r, Event: ev})
		return nil
	})
	return evs, err
}

// Append stores normalised events in order and returns once they are
// durable (see store.Store.Append). Subscribers receive them right after.
func (e *Engine) Append(ctx context.Context, evs []*event.Event) (store.AppendResult, error) {
	return e.st.Append(ctx, evs)
}

// indexInterval is the shortest time between two catch-ups of the index
// while events keep arriving: it gathers a stream of small group commits
// into batches worth a Bleve segment.
const indexInterval = 250 * time.Millisecond

// RunIndexer keeps the index caught up behind the store until ctx ends or
// the engine closes. Events are searchable within about indexInterval plus
// the time to index them.
func (e *Engine) RunIndexer(ctx context.Context) error {
	for {
		head, advanced := e.st.Watch()
		if e.ix.IndexedSeq() < head.Seq {
			if err := e.ix.CatchUp(ctx, e.st, nil); err != nil {
				if ctx.Err() != nil {
					return nil
				}
				return fmt.Errorf("index behind the store: %w", err)
			}
			continue
		}
		select {
		case <-advanced:
		case <-ctx.Done():
			return nil
		case <-e.bus.closed:
			return nil
		}
		t := time.NewTimer(indexInterval)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-e.bus.closed:
			t.Stop()
			return nil
		}
	}
}

// StartIndexer runs RunIndexer in the background, for the time events are
// being stored. The returned stop ends it, waits for it, and returns its
// error; what was stored meanwhile and not yet indexed is left to CatchUp.
func (e *Engine) StartIndexer(ctx context.Context) (stop func() error) {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- e.RunIndexer(ctx) }()
	return func() error {
		cancel()
		return <-done
	}
}

// IndexLag is how many stored events are not yet searchable.
func (e *Engine) IndexLag() uint64 {
	head := e.st.Head().Seq
	if ix := e.ix.IndexedSeq(); ix < head {
		return head - ix
	}
	return 0
}
