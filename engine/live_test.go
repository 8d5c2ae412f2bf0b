package engine

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/vigil-dev/vigil/event"
)

func liveEngine(t *testing.T) *Engine {
	t.Helper()
	e, err := Open(t.TempDir(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	return e
}

// appendN stores n events with ids prefix-0 … prefix-(n-1).
func appendN(t *testing.T, e *Engine, prefix string, n int) {
	t.Helper()
	evs := make([]*event.Event, n)
	for i := range evs {
		line := fmt.Sprintf(`{"event_id":"%s-%d","timestamp":"2025-01-01T00:00:%02dZ","event_type":"login.success","actor":"u%d@example.com"}`, prefix, i, i%60, i%7)
		ev, err := event.Decode([]byte(line))
		if err != nil {
			t.Fatal(err)
		}
		e.Catalogue().Normalize(ev)
		evs[i] = ev
	}
	res, err := e.Append(context.Background(), evs)
	if err != nil {
		t.Fatal(err)
	}
	if res.Stored != n {
		t.Fatalf("stored %d of %d", res.Stored, n)
	}
}

// collect reads deliveries until it has seen up to seq last, checking that
// seqs are contiguous from first, and returns the total Missed.
func collect(t *testing.T, s *Subscription, first, last uint64) (missed uint64) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	want := first
	for want <= last {
		d, err := s.Next(ctx)
		if err != nil {
			t.Fatalf("Next after seq %d: %v", want-1, err)
		}
		missed += d.Missed
		for _, le := range d.Events {
			if le.Record.Seq != want {
				t.Fatalf("got seq %d, want %d", le.Record.Seq, want)
			}
			if le.Event == nil || le.Event.ID == "" {
				t.Fatalf("seq %d: no event", le.Record.Seq)
			}
			want++
		}
	}
	if want != last+1 {
		t.Fatalf("delivered up to %d, want %d", want-1, last)
	}
	return missed
}

func TestSubscribeDeliversNewEventsInOrder(t *testing.T) {
	e := liveEngine(t)
	appendN(t, e, "before", 10) // not wanted: From is 0
	s := e.Subscribe(SubscribeOptions{})
	defer s.Close()
	for i := range 5 {
		appendN(t, e, fmt.Sprintf("b%d", i), 100)
	}
	if missed := collect(t, s, 11, 510); missed != 0 {
		t.Errorf("a keeping-up subscriber was told it missed %d", missed)
	}
	if n := e.Subscribers(); n != 1 {
		t.Errorf("Subscribers = %d, want 1", n)
	}
}

func TestSubscribeFromReplaysHistoryThenLive(t *testing.T) {
	e := liveEngine(t)
	appendN(t, e, "old", 3000) // more than one catch-up chunk
	s := e.Subscribe(SubscribeOptions{From: 5})
	defer s.Close()
	appendN(t, e, "new", 50)
	collect(t, s, 5, 3050)
}

// A subscriber that does not read while many batches are stored misses the
// live batches, is told so, and still gets every event once, in order; a
// subscriber that keeps up is not held back by it.
func TestSlowSubscriberCatchesUpFromStore(t *testing.T) {
	e := liveEngine(t)
	slow := e.Subscribe(SubscribeOptions{Buffer: 1})
	defer slow.Close()
	fast := e.Subscribe(SubscribeOptions{Buffer: 1024})
	defer fast.Close()
	const batches, per = 40, 50
	done := make(chan uint64)
	go func() {
		// The fast subscriber reads while events are stored.
		var m uint64
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		next := uint64(1)
		for next <= batches*per {
			d, err := fast.Next(ctx)
			if err != nil {
				break
			}
			m += d.Missed
			next = d.Events[len(d.Events)-1].Record.Seq + 1
		}
		done <- next - 1
	}()
	for i := range batches {
		appendN(t, e, fmt.Sprintf("b%d", i), per)
	}
	if got := <-done; got != batches*per {
		t.Fatalf("fast subscriber reached seq %d, want %d", got, batches*per)
	}
	if missed := collect(t, slow, 1, batches*per); missed == 0 {
		t.Error("the slow subscriber was not told it fell behind")
	}
}

func TestSubscriptionEndsWithEngine(t *testing.T) {
	e, err := Open(t.TempDir(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	s := e.Subscribe(SubscribeOptions{})
	errc := make(chan error, 1)
	go func() {
		_, err := s.Next(context.Background())
		errc <- err
	}()
	time.Sleep(20 * time.Millisecond)
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-errc:
		if !errors.Is(err, ErrClosed) {
			t.Fatalf("Next = %v, want ErrClosed", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Next still blocked after Close")
	}
	s.Close()
	if n := e.Subscribers(); n != 0 {
		t.Errorf("Subscribers = %d after Close", n)
	}
}

func TestRunIndexerKeepsIndexBehindStore(t *testing.T) {
	e := liveEngine(t)
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- e.RunIndexer(ctx) }()
	appendN(t, e, "a", 200)
	appendN(t, e, "b", 300)
	deadline := time.Now().Add(10 * time.Second)
	for e.IndexLag() != 0 || e.IndexedSeq() != 500 {
		if time.Now().After(deadline) {
			t.Fatalf("index at %d, lag %d after 10 s", e.IndexedSeq(), e.IndexLag())
		}
		time.Sleep(20 * time.Millisecond)
	}
	c, err := e.Compile(Request{Query: "action:login.success"})
	if err != nil {
		t.Fatal(err)
	}
	n, err := e.Count(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	if n != 500 {
		t.Errorf("searchable %d, want 500", n)
	}
	cancel()
	if err := <-errc; err != nil {
		t.Errorf("RunIndexer = %v", err)
	}
}
