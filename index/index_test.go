package index

import (
	"context"
	"fmt"
	"sort"
	"testing"
	"time"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/search/query"

	"github.com/vigil-dev/vigil/event"
	"github.com/vigil-dev/vigil/store"
	"github.com/vigil-dev/vigil/testdata/demo"
)

// fill makes a store of n generated events.
func fill(t testing.TB, n int) *store.Store { return fillAt(t, t.TempDir(), n) }

// fillAt makes a store of n generated events in dir.
func fillAt(t testing.TB, dir string, n int) *store.Store {
	t.Helper()
	st, err := store.Open(dir, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	g := demo.New(demo.Config{Events: n, Days: 20, Seed: 3, End: time.Date(2025, 2, 1, 0, 0, 0, 0, time.UTC)})
	cat := event.BuiltinCatalogue()
	var evs []*event.Event
	for {
		line, ok := g.Next()
		if !ok {
			break
		}
		ev, err := event.Decode(line)
		if err != nil {
			t.Fatal(err)
		}
		cat.Normalize(ev)
		evs = append(evs, ev)
	}
	if _, err := st.Append(context.Background(), evs); err != nil {
		t.Fatal(err)
	}
	return st
}

// storeOrder is the oracle: every event of the store with its doc id,
// newest first, read straight from the store.
func storeOrder(t testing.TB, st *store.Store, keep func(*event.Event) bool) []string {
	t.Helper()
	var ids []string
	err := st.Scan(context.Background(), 0, 0, false, func(r store.Record) error {
		ev, err := r.Event()
		if err != nil {
			return err
		}
		if keep(ev) {
			ids = append(ids, DocID(ev.Time, ev.Seq))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Sort(sort.Reverse(sort.StringSlice(ids)))
	return ids
}

func TestPagesCountsAndTermsAgreeWithTheStore(t *testing.T) {
	st := fill(t, 6000)
	x, err := Open(t.TempDir(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	ctx := context.Background()
	if err := x.CatchUp(ctx, st, nil); err != nil {
		t.Fatal(err)
	}
	if x.IndexedSeq() != st.Head().Seq {
		t.Fatalf("indexed %d of %d", x.IndexedSeq(), st.Head().Seq)
	}
	if len(x.shardKeys()) < 3 {
		t.Fatalf("20 days of events in %d weekly shards", len(x.shardKeys()))
	}

	failed := bleve.NewTermQuery("login.failed")
	failed.SetField("action")
	for _, tc := range []struct {
		name string
		q    query.Query
		keep func(*event.Event) bool
	}{
		{"everything", bleve.NewMatchAllQuery(), func(*event.Event) bool { return true }},
		{"action:login.failed", failed, func(ev *event.Event) bool { return ev.Type == "login.failed" }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			want := storeOrder(t, st, tc.keep)
			bq := tc.q
			// Page through everything, 97 at a time.
			var got []string
			after := ""
			for {
				hits, err := x.Page(ctx, bq, 97, after)
				if err != nil {
					t.Fatal(err)
				}
				for _, h := range hits {
					got = append(got, h.ID)
				}
				if len(hits) < 97 {
					break
				}
				after = hits[len(hits)-1].ID
			}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Fatalf("paging gave %d ids, the store %d; first difference at %d", len(got), len(want), firstDiff(got, want))
			}
			n, err := x.Count(ctx, bq)
			if err != nil || n != uint64(len(want)) {
				t.Fatalf("count %d %v, want %d", n, err, len(want))
			}
		})
	}

	// Top actions against a count made from the store: values as received.
	counts := map[string]int{}
	_ = st.Scan(ctx, 0, 0, false, func(r store.Record) error {
		ev, _ := r.Event()
		counts[ev.Type]++
		return nil
	})
	terms, total, err := x.Terms(ctx, bleve.NewMatchAllQuery(), "action", 0)
	if err != nil || total != st.Count() || len(terms) != len(counts) {
		t.Fatalf("terms %v total %d err %v", terms, total, err)
	}
	for _, term := range terms {
		if counts[term.Value] != term.Count {
			t.Errorf("action %s: index says %d, store %d", term.Value, term.Count, counts[term.Value])
		}
	}
}

func firstDiff(a, b []string) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

func TestCatchUpResumesAfterReopen(t *testing.T) {
	st := fill(t, 3000)
	dir := t.TempDir()
	x, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := x.CatchUp(ctx, st, nil); err != nil {
		t.Fatal(err)
	}
	x.Close()
	// More events arrive while the index is closed.
	ev, _ := event.Decode([]byte(`{"event_id":"late","timestamp":"2025-02-01T00:00:00Z","event_type":"logout"}`))
	event.BuiltinCatalogue().Normalize(ev)
	if _, err := st.Append(ctx, []*event.Event{ev}); err != nil {
		t.Fatal(err)
	}
	x, err = Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	if x.IndexedSeq() != 3000 {
		t.Fatalf("reopened at seq %d", x.IndexedSeq())
	}
	var calls []uint64
	if err := x.CatchUp(ctx, st, func(done, total uint64) { calls = append(calls, done, total) }); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(calls) != "[1 1]" || x.IndexedSeq() != 3001 {
		t.Fatalf("catch-up progress %v, indexed %d", calls, x.IndexedSeq())
	}
	n, err := x.Count(ctx, bleve.NewMatchAllQuery())
	if err != nil || n != 3001 {
		t.Fatalf("count %d %v", n, err)
	}
}

// TestCloseKeepsEverythingIndexed closes right after indexing: Bleve's own
// Close does not persist what is still in memory, so Close must wait.
func TestCloseKeepsEverythingIndexed(t *testing.T) {
	st := fill(t, 30000)
	dir := t.TempDir()
	x, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := x.CatchUp(ctx, st, nil); err != nil {
		t.Fatal(err)
	}
	if err := x.Close(); err != nil {
		t.Fatal(err)
	}
	x, err = Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	n, err := x.Count(ctx, bleve.NewMatchAllQuery())
	if err != nil || n != 30000 || x.IndexedSeq() != 30000 {
		t.Fatalf("after reopen: count %d, indexed seq %d, %v", n, x.IndexedSeq(), err)
	}
}
