package engine

import (
	"context"
	"fmt"
	"os"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigil-dev/vigil/event"
	"github.com/vigil-dev/vigil/index"
	"github.com/vigil-dev/vigil/ingest"
	"github.com/vigil-dev/vigil/query"
	"github.com/vigil-dev/vigil/store"
	"github.com/vigil-dev/vigil/testdata/demo"
)

// The generated store's newest event is before this; "now" of the queries
// is a day after it.
var (
	demoEnd = time.Date(2025, 2, 1, 0, 0, 0, 0, time.UTC)
	testNow = demoEnd.Add(24 * time.Hour)
)

var (
	sharedOnce sync.Once
	sharedEng  *Engine
	sharedAll  []*event.Event // every stored event, the oracle's input
	sharedErr  error
)

// demoEngine is one engine over 20k generated events, built once for the
// package's tests, with the whole store read back as the oracle's input.
func demoEngine(t *testing.T) (*Engine, []*event.Event) {
	t.Helper()
	sharedOnce.Do(func() {
		dir, err := tempDir()
		if err != nil {
			sharedErr = err
			return
		}
		e, err := Open(dir, Options{Now: func() time.Time { return testNow }})
		if err != nil {
			sharedErr = err
			return
		}
		var buf strings.Builder
		if _, err := demo.WriteJSONL(&buf, demo.Config{Events: 20000, Days: 30, Seed: 7, End: demoEnd}); err != nil {
			sharedErr = err
			return
		}
		// A few events of our own for the edges: day boundaries, mixed
		// case, unicode, numbers as strings, IPv4-mapped addresses.
		for _, l := range []string{
			`{"event_id":"edge-1","timestamp":"2025-01-20T23:59:59.999999999Z","event_type":"Login.Failed","actor":{"email":"Mixed.Case@Example.COM","role":"Admin"},"context":{"ip":"::ffff:10.1.2.3","location":"Zürich, Switzerland"},"message":"Login failed for 管理者 🔥 twice","details":{"rows":"250000","Nested":{"Key":"Value"}}}`,
			`{"event_id":"edge-2","timestamp":"2025-01-21T00:00:00Z","event_type":"login.failed","actor":"mixed.case@example.com","context":{"ip":"10.1.2.4"},"details":{"rows":250000.0,"list":[1,"two",true]}}`,
			`{"event_id":"edge-3","timestamp":"2025-01-21T00:00:00.000000001Z","event_type":"settings.changed","actor":{"name":"AND"},"message":"changed AND saved","details":{"a.b":"dotted","a":{"b":"nested"}}}`,
		} {
			buf.WriteString(l + "\n")
		}
		if _, err := ingest.Run(context.Background(), e.Store(), []ingest.Source{{Name: "demo", R: strings.NewReader(buf.String())}}, ingest.Options{Catalogue: e.Catalogue()}); err != nil {
			sharedErr = err
			return
		}
		if err := e.CatchUp(context.Background(), nil); err != nil {
			sharedErr = err
			return
		}
		sharedErr = e.Store().Scan(context.Background(), 0, 0, false, func(r store.Record) error {
			ev, err := r.Event()
			sharedAll = append(sharedAll, ev)
			return err
		})
		sharedEng = e
	})
	if sharedErr != nil {
		t.Fatal(sharedErr)
	}
	return sharedEng, sharedAll
}

// oracle is what a query means: Match over every stored event, newest
// first (by time, then seq).
func oracle(t *testing.T, all []*event.Event, text string) []uint64 {
	t.Helper()
	q, err := query.Parse(text)
	if err != nil {
		t.Fatalf("parse %q: %v", text, err)
	}
	m, err := query.Compile(q.Filter, testNow)
	if err != nil {
		t.Fatalf("compile %q: %v", text, err)
	}
	type hit struct {
		id  string
		seq uint64
	}
	var hits []hit
	for _, ev := range all {
		if m.Match(ev) {
			hits = append(hits, hit{index.DocID(ev.Time, ev.Seq), ev.Seq})
		}
	}
	sort.Slice(hits, func(i, j int) bool { return hits[i].id > hits[j].id })
	out := make([]uint64, len(hits))
	for i, h := range hits {
		out[i] = h.seq
	}
	return out
}

// differentialQueries cover every operator, alias, wildcard, range, CIDR,
// NOT inside OR, empty results, everything, unicode, mixed case and time
// edges at day boundaries.
var differentialQueries = []string{
	// The seed's examples, as written.
	`user:john@company.com AND action:login.* AND time:>2025-01-01`,
	`action:login.failed AND ip:192.168.1.100`,
	`role:admin AND time:>2025-01-15`,
	`action:data.exported AND time:>now-7d`,
	`user:admin@company.com AND action:settings.*`,
	// Everything and nothing.
	`*`,
	`action:no.such.action`,
	`NOT *`,
	// Keywords, aliases, case.
	`action:login.failed`,
	`event_type:LOGIN.FAILED`,
	`type:login.failed`,
	`category:authentication`,
	`category:security OR category:audit`,
	`user:mixed.case@example.com`,
	`actor:MIXED.CASE@EXAMPLE.COM`,
	`actor.email:*northwind*`,
	`actor.name:"Zoë Thomas"`,
	`actor.type:device`,
	`role:admin`,
	`actor.role:ADMIN`,
	`role:*`,
	`NOT role:*`,
	`user:*`,
	`device:*`,
	`NOT ua:*`,
	`target:*`,
	`source:keeper`,
	`component:admin_console`,
	`outcome:failure`,
	`id:evt_*`,
	`event_id:edge-?`,
	`session:sess_5*`,
	// Wildcards.
	`action:login.*`,
	`action:*.exported`,
	`action:app_?lient_*`,
	`user:a*@*.example`,
	// Severity by rank.
	`severity:high`,
	`severity:>=high`,
	`severity:>medium`,
	`severity:<low`,
	`severity:<=low`,
	`severity:[low TO high]`,
	// IP: addresses, CIDR v4 and v6, patterns.
	`ip:10.1.2.3`,
	`src:10.1.2.4`,
	`ip:10.0.0.0/8`,
	`ip:172.16.0.0/12`,
	`ip:10.1.2.0/24`,
	`ip:2001:db8::/32`,
	`ip:2001:db8:1a7::/48`,
	`ip:0.0.0.0/0`,
	`ip:10.34.*`,
	`ip:"10.1.2.4"`,
	// Text fields by word and phrase.
	`location:singapore`,
	`location:"new york"`,
	`location:zürich`,
	`ua:chrome`,
	`ua:"iphone os"`,
	`ua:enpass*`,
	`device:pixel`,
	`message:failed`,
	`message:"login failed"`,
	// Free text: words, phrases, wildcards, unicode, operators as words.
	`failed`,
	`"invalid_password"`,
	`northwind.example`,
	`dashboard`,
	`fail*`,
	`管理者`,
	`🔥`,
	`"AND"`,
	`changed "and" saved`,
	`"Payments Service"`,
	`pixel 8`,
	// Free text through the values of other fields (the index's devices):
	// places, user agents, one-word values and patterns over them.
	`singapore`,
	`"new york"`,
	`"iphone os"`,
	`*.example`,
	`sess_5*`,
	`m*o`,
	// details.
	`details.reason:invalid_password`,
	`details.rows:>100000`,
	`details.rows:>=250000`,
	`details.rows:<100`,
	`details.rows:[100 TO 1000]`,
	`details.rows:[* TO *]`,
	`details.rows:250000`,
	`details.mfa:true`,
	`details.nested.key:value`,
	`details.a.b:*`,
	`details.list:two`,
	`details.format:csv OR details.format:json`,
	`details.to_role:admin`,
	// seq.
	`seq:100`,
	`seq:>19990`,
	`seq:[10 TO 20]`,
	`seq:<=3`,
	// Time: days, instants, relative, ranges, boundaries.
	`time:2025-01-20`,
	`time:2025-01-21`,
	`time:>2025-01-20`,
	`time:>=2025-01-21`,
	`time:<2025-01-21`,
	`time:<=2025-01-20`,
	`time:>2025-01-20T23:59:59.999999999Z`,
	`time:2025-01-21T00:00:00Z`,
	`timestamp:[2025-01-10 TO 2025-01-12]`,
	`@timestamp:[2025-01-20 TO *]`,
	`time:>now-3d`,
	`time:yesterday`,
	`time:today`,
	`time:>now-2w AND action:login.failed`,
	// Boolean structure.
	`action:login.failed OR action:login.success`,
	`action:login.failed -user:mixed.case@example.com`,
	`NOT action:login.success AND category:authentication`,
	`(action:login.failed OR action:data.exported) AND NOT (role:viewer OR role:editor)`,
	`category:authentication (role:admin OR NOT outcome:success)`,
	`action:login.failed or NOT ip:10.0.0.0/8`,
	`source:enpass AND component:app AND outcome:unknown`,
}

func TestIndexAgreesWithMatch(t *testing.T) {
	if len(differentialQueries) < 60 {
		t.Fatalf("only %d queries", len(differentialQueries))
	}
	e, all := demoEngine(t)
	ctx := context.Background()
	nonEmpty := 0
	for _, text := range differentialQueries {
		t.Run(text, func(t *testing.T) {
			want := oracle(t, all, text)
			c, err := e.Compile(Request{Query: text})
			if err != nil {
				t.Fatalf("compile: %v", err)
			}
			var got []uint64
			cursor := ""
			for {
				p, err := e.Search(ctx, c, 500, cursor)
				if err != nil {
					t.Fatal(err)
				}
				for _, ev := range p.Events {
					got = append(got, ev.Seq)
				}
				if p.Next == "" {
					break
				}
				cursor = p.Next
			}
			if !slices.Equal(got, want) {
				t.Fatalf("index gave %d events, Match %d; %s", len(got), len(want), diff(got, want))
			}
			n, err := e.Count(ctx, c)
			if err != nil || n != uint64(len(want)) {
				t.Fatalf("count %d %v, want %d", n, err, len(want))
			}
			if len(want) > 0 {
				nonEmpty++
			}
			t.Logf("%d events", len(want))
		})
	}
	if nonEmpty < len(differentialQueries)*3/4 {
		t.Errorf("only %d of %d queries find anything: the data does not exercise them", nonEmpty, len(differentialQueries))
	}
}

func diff(got, want []uint64) string {
	g, w := map[uint64]bool{}, map[uint64]bool{}
	for _, s := range got {
		g[s] = true
	}
	for _, s := range want {
		w[s] = true
	}
	var extra, missing []uint64
	for _, s := range got {
		if !w[s] {
			extra = append(extra, s)
		}
	}
	for _, s := range want {
		if !g[s] {
			missing = append(missing, s)
		}
	}
	if len(extra) > 5 {
		extra = extra[:5]
	}
	if len(missing) > 5 {
		missing = missing[:5]
	}
	return fmt.Sprintf("extra seqs %v, missing seqs %v", extra, missing)
}

func TestAggregationsAgreeWithTally(t *testing.T) {
	e, all := demoEngine(t)
	ctx := context.Background()
	for _, text := range []string{
		`* | top 10 ip`,
		`action:login.failed | count by user`,
		`* | count by category`,
		`category:authentication | top 5 location`,
		`* | top 3 details.format`,
		`* | count by severity`,
	} {
		t.Run(text, func(t *testing.T) {
			c, err := e.Compile(Request{Query: text})
			if err != nil {
				t.Fatal(err)
			}
			agg, err := e.Aggregate(ctx, c)
			if err != nil {
				t.Fatal(err)
			}
			// The oracle: count FacetValues of every matching event.
			var field string
			limit := 0
			switch s := c.Query.Stage.(type) {
			case *query.Top:
				field, limit = s.Field, s.N
			case *query.CountBy:
				field = s.Field
			}
			counts := map[string]int{}
			var total uint64
			for _, ev := range all {
				if c.Matcher.Match(ev) {
					total++
					for _, v := range query.FacetValues(ev, field) {
						counts[v]++
					}
				}
			}
			type kv struct {
				v string
				n int
			}
			var want []kv
			for v, n := range counts {
				want = append(want, kv{v, n})
			}
			sort.Slice(want, func(i, j int) bool {
				if want[i].n != want[j].n {
					return want[i].n > want[j].n
				}
				return want[i].v < want[j].v
			})
			if limit > 0 && len(want) > limit {
				want = want[:limit]
			}
			if agg.Total != total || len(agg.Buckets) != len(want) {
				t.Fatalf("total %d buckets %d, want %d and %d", agg.Total, len(agg.Buckets), total, len(want))
			}
			for i, b := range agg.Buckets {
				if b.Value != want[i].v || b.Count != want[i].n {
					t.Fatalf("bucket %d: %q %d, want %q %d", i, b.Value, b.Count, want[i].v, want[i].n)
				}
			}
		})
	}
}

func TestTimechartAgreesWithBuckets(t *testing.T) {
	e, all := demoEngine(t)
	for _, text := range []string{`action:login.failed | timechart 1d`, `* | timechart 6h`, `category:security | timechart 15m`} {
		t.Run(text, func(t *testing.T) {
			c, err := e.Compile(Request{Query: text})
			if err != nil {
				t.Fatal(err)
			}
			agg, err := e.Aggregate(context.Background(), c)
			if err != nil {
				t.Fatal(err)
			}
			tc := c.Query.Stage.(*query.Timechart)
			want := map[time.Time]int{}
			for _, ev := range all {
				if c.Matcher.Match(ev) {
					want[tc.Bucket(ev.Time)]++
				}
			}
			got := map[time.Time]int{}
			for _, b := range agg.Buckets {
				if b.Count > 0 {
					got[b.Time] = b.Count
				}
			}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Fatalf("timechart differs: %d buckets vs %d", len(got), len(want))
			}
			for i := 1; i < len(agg.Buckets); i++ {
				if !agg.Buckets[i].Time.Equal(tc.Bucket(agg.Buckets[i-1].Time.Add(tc.Interval))) {
					t.Fatalf("bucket %d at %s does not follow %s", i, agg.Buckets[i].Time, agg.Buckets[i-1].Time)
				}
			}
		})
	}
}

// TestPagingIsStableWhileEventsArrive takes a page, stores newer and older
// events, and checks the next page neither repeats nor skips.
func TestPagingIsStableWhileEventsArrive(t *testing.T) {
	dir := t.TempDir()
	e, err := Open(dir, Options{Now: func() time.Time { return testNow }})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	ctx := context.Background()
	add := func(from, n int) {
		var evs []*event.Event
		for i := from; i < from+n; i++ {
			ev, err := event.Decode([]byte(fmt.Sprintf(`{"event_id":"p%d","timestamp":"2025-01-15T10:%02d:%02dZ","event_type":"logout"}`, i, i/60%60, i%60)))
			if err != nil {
				t.Fatal(err)
			}
			e.Catalogue().Normalize(ev)
			evs = append(evs, ev)
		}
		if _, err := e.Store().Append(ctx, evs); err != nil {
			t.Fatal(err)
		}
		if err := e.CatchUp(ctx, nil); err != nil {
			t.Fatal(err)
		}
	}
	add(1000, 100) // 10:16:40 .. 10:18:19
	c, err := e.Compile(Request{Query: "action:logout"})
	if err != nil {
		t.Fatal(err)
	}
	p1, err := e.Search(ctx, c, 40, "")
	if err != nil {
		t.Fatal(err)
	}
	add(2000, 50) // newer than everything
	p2, err := e.Search(ctx, c, 40, p1.Next)
	if err != nil {
		t.Fatal(err)
	}
	if p2.Events[0].ID != "p1059" || p1.Events[39].ID != "p1060" {
		t.Fatalf("page 1 ends with %s, page 2 starts with %s", p1.Events[39].ID, p2.Events[0].ID)
	}
}

var sharedDir string

func tempDir() (string, error) {
	d, err := os.MkdirTemp("", "vigil-engine-test")
	sharedDir = d
	return d, err
}

func TestMain(m *testing.M) {
	code := m.Run()
	if sharedEng != nil {
		sharedEng.Close()
	}
	if sharedDir != "" {
		os.RemoveAll(sharedDir)
	}
	os.Exit(code)
}

func TestFacetsAndGet(t *testing.T) {
	e, all := demoEngine(t)
	c, err := e.Compile(Request{Query: "category:authentication OR category:security"})
	if err != nil {
		t.Fatal(err)
	}
	cats, acts, err := e.Facets(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	wantCats, wantActs := map[string]int{}, map[string]int{}
	for _, ev := range all {
		if c.Matcher.Match(ev) {
			wantCats[ev.Category]++
			wantActs[ev.Type]++
		}
	}
	for _, b := range cats {
		if wantCats[b.Value] != b.Count {
			t.Errorf("category %s: %d, want %d", b.Value, b.Count, wantCats[b.Value])
		}
	}
	if len(cats) != len(wantCats) || len(acts) != len(wantActs) {
		t.Fatalf("%d categories and %d actions, want %d and %d", len(cats), len(acts), len(wantCats), len(wantActs))
	}
	for _, b := range acts {
		if wantActs[b.Value] != b.Count {
			t.Errorf("action %s: %d, want %d", b.Value, b.Count, wantActs[b.Value])
		}
	}
	r, ev, err := e.Get(all[41].Seq)
	if err != nil || ev.ID != all[41].ID || r.Seq != all[41].Seq {
		t.Fatalf("get: %v %v", ev, err)
	}
}
