package store

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/vigil-dev/vigil/event"
)

func TestIDFilterHasNoFalseNegativesAndFewFalsePositives(t *testing.T) {
	f := newIDFilter(100_000)
	for i := 0; i < 100_000; i++ {
		f.add(fmt.Sprintf("evt_%d", i))
	}
	for i := 0; i < 100_000; i++ {
		if !f.mayContain(fmt.Sprintf("evt_%d", i)) {
			t.Fatalf("evt_%d added but not found", i)
		}
	}
	fp := 0
	for i := 0; i < 100_000; i++ {
		if f.mayContain(fmt.Sprintf("other_%d", i)) {
			fp++
		}
	}
	if rate := float64(fp) / 100_000; rate > 0.02 {
		t.Fatalf("false positive rate %.3f at capacity, want about 0.01", rate)
	}
	if f.full() {
		t.Fatal("full at capacity")
	}
	f.add("one more")
	if !f.full() {
		t.Fatal("not full past capacity")
	}
}

// TestDedupAcrossFilterRebuild stores more events than the first filter is
// sized for, so that the writer rebuilds it, then appends repeats of old
// and new ids.
func TestDedupAcrossFilterRebuild(t *testing.T) {
	if testing.Short() {
		t.Skip("stores 70k events")
	}
	s := openTest(t, t.TempDir(), Options{})
	ctx := context.Background()
	const n = 70_000 // more than the smallest filter's capacity (65536)
	var evs []*event.Event
	for i := 0; i < n; i++ {
		ev, err := event.Decode([]byte(fmt.Sprintf(`{"event_id":"f%d","timestamp":"2025-01-15T10:00:00Z","event_type":"logout"}`, i)))
		if err != nil {
			t.Fatal(err)
		}
		evs = append(evs, ev)
	}
	for i := 0; i < n; i += 5000 {
		if _, err := s.Append(ctx, evs[i:min(i+5000, n)]); err != nil {
			t.Fatal(err)
		}
	}
	again := []*event.Event{evs[0], evs[n/2], evs[n-1], mkEvent(t, "new-one", time.Now(), "logout")}
	res, err := s.Append(ctx, again)
	if err != nil {
		t.Fatal(err)
	}
	if res.Dups != 3 || res.Stored != 1 || res.Seqs[1] != n/2+1 {
		t.Fatalf("repeats after rebuild: %+v", res)
	}
}
