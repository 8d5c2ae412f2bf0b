package query

import (
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/vigil-dev/vigil/event"
)

var catalogue = event.BuiltinCatalogue()

// decoded decodes one native event and normalises it against the builtin
// catalogue, as ingest does.
func decoded(t testing.TB, line string) *event.Event {
	t.Helper()
	ev, err := event.Decode([]byte(line))
	if err != nil {
		t.Fatalf("decode %s: %v", line, err)
	}
	catalogue.Normalize(ev)
	return ev
}

func decodeAll(t testing.TB, lines ...string) []*event.Event {
	t.Helper()
	out := make([]*event.Event, len(lines))
	for i, l := range lines {
		out[i] = decoded(t, l)
	}
	return out
}

// matching parses q, compiles its filter at now and returns the ids of the
// events it matches, sorted.
func matching(t testing.TB, q string, now time.Time, evs []*event.Event) []string {
	t.Helper()
	parsed, err := Parse(q)
	if err != nil {
		t.Fatalf("Parse(%q): %v", q, err)
	}
	m, err := Compile(parsed.Filter, now)
	if err != nil {
		t.Fatalf("Compile(%q): %v", q, err)
	}
	ids := []string{}
	for _, ev := range evs {
		if m.Match(ev) {
			ids = append(ids, ev.ID)
		}
	}
	slices.Sort(ids)
	return ids
}

type matchCase struct {
	query string
	want  []string // event ids, sorted
}

func runMatchCases(t *testing.T, evs []*event.Event, now time.Time, cases []matchCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.query, func(t *testing.T) {
			want := c.want
			if want == nil {
				want = []string{}
			}
			if got := matching(t, c.query, now, evs); !slices.Equal(got, want) {
				t.Errorf("%s\n got %v\nwant %v", c.query, got, want)
			}
		})
	}
}

func ids(s ...string) []string { return s }

// stripPos returns a copy of the query with every position zeroed, to
// compare trees regardless of where they were written.
func stripPos(q *Query) *Query {
	if q == nil {
		return nil
	}
	out := &Query{Filter: stripExpr(q.Filter)}
	switch s := q.Stage.(type) {
	case *Top:
		c := *s
		c.StagePos = Pos{}
		out.Stage = &c
	case *CountBy:
		c := *s
		c.StagePos = Pos{}
		out.Stage = &c
	case *Timechart:
		c := *s
		c.StagePos = Pos{}
		out.Stage = &c
	}
	return out
}

func stripExpr(x Expr) Expr {
	switch x := x.(type) {
	case *MatchAll:
		return &MatchAll{}
	case *Or:
		o := &Or{}
		for _, y := range x.X {
			o.X = append(o.X, stripExpr(y))
		}
		return o
	case *And:
		a := &And{}
		for _, y := range x.X {
			a.X = append(a.X, stripExpr(y))
		}
		return a
	case *Not:
		return &Not{X: stripExpr(x.X)}
	case *Term:
		c := *x
		c.FieldPos, c.ValuePos = Pos{}, Pos{}
		return &c
	case *Range:
		c := *x
		c.FieldPos, c.LoPos, c.HiPos = Pos{}, Pos{}, Pos{}
		return &c
	case *FreeText:
		c := *x
		c.TextPos = Pos{}
		return &c
	}
	return x
}

func sameTree(a, b *Query) bool { return reflect.DeepEqual(stripPos(a), stripPos(b)) }

func at(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return t
}

// seedQueries are the examples of docs/query-language.md.
var seedQueries = []string{
	"user:john@company.com AND action:login.* AND time:>2025-01-01",
	"action:login.failed AND ip:192.168.1.100",
	"role:admin AND time:>2025-01-15",
	"action:data.exported AND time:>now-7d",
	"user:admin@company.com AND action:settings.*",
	"action:login.failed AND time:>now-24h | top 10 ip",
	"action:login.failed | count by user",
	"* | timechart 1h",
}
