package tui

import (
	"math/rand"
	"strings"
	"testing"
	"time"

	"github.com/vigil-dev/vigil/engine"
	"github.com/vigil-dev/vigil/event"
	"github.com/vigil-dev/vigil/testdata/demo"
)

// rowAt selects row i, lets the model read what it needs, and returns the
// row.
func (d *driver) rowAt(i int) *row {
	d.t.Helper()
	d.m.table.moveTo(i)
	d.exec(d.m.fetchRows())
	d.settle()
	r := d.m.table.res.Row(i)
	if r == nil {
		d.t.Fatalf("row %d not loaded (len %d)", i, d.m.table.res.Len())
	}
	return r
}

// runQuery edits the query bar to text and runs it.
func (d *driver) runQuery(text string) {
	d.t.Helper()
	d.keys("/")
	d.m.query.input.SetValue("")
	d.typeText(text)
	d.keys("enter")
}

func TestFirstScreenShowsCategoriesAndNewestEvents(t *testing.T) {
	eng := demoEngine(t)
	d := newDriver(t, eng, 120, 40, testOpts{})
	want := oracle(t, eng, "*")
	m := d.m
	if m.table.res.total != len(want) {
		t.Fatalf("total %d, want %d", m.table.res.total, len(want))
	}
	for i := 0; i < 30; i++ {
		if got := m.table.res.Row(i).seq; got != want[i] {
			t.Fatalf("row %d is seq %d, want %d", i, got, want[i])
		}
	}
	if len(m.sidebar.categories) < 5 {
		t.Fatalf("sidebar has %d categories", len(m.sidebar.categories))
	}
	sum := 0
	for _, c := range m.sidebar.categories {
		sum += c.Count
		if want := len(oracle(t, eng, termClause("category", c.Value))); c.Count != want {
			t.Errorf("category %s: %d, want %d", c.Value, c.Count, want)
		}
	}
	if sum != len(want) {
		t.Errorf("categories add up to %d, want %d", sum, len(want))
	}
	view := d.view()
	screenLines(t, view, 120, 40)
	for _, s := range []string{"CATEGORIES", "All events", "authentication", formatCount(len(want)) + " matches"} {
		if !strings.Contains(view, s) {
			t.Errorf("first screen lacks %q", s)
		}
	}
}

func TestQueryNarrowsResultsToTheOracle(t *testing.T) {
	eng := demoEngine(t)
	d := newDriver(t, eng, 120, 40, testOpts{})
	for _, q := range []string{"action:login.failed", "severity:>=high", "ip:10.0.0.0/8 AND NOT outcome:success", `"launch"`} {
		d.runQuery(q)
		want := oracle(t, eng, q)
		if d.m.query.err != nil {
			t.Fatalf("%s: %v", q, d.m.query.err)
		}
		if d.m.table.res.total != len(want) {
			t.Fatalf("%s: %d matches, want %d", q, d.m.table.res.total, len(want))
		}
		if !strings.Contains(d.view(), plural(len(want), "match", "matches")) {
			t.Errorf("%s: status line does not say %d matches", q, len(want))
		}
		for i := 0; i < len(want) && i < 20; i++ {
			if got := d.rowAt(i).seq; got != want[i] {
				t.Fatalf("%s: row %d is seq %d, want %d", q, i, got, want[i])
			}
		}
	}
}

// TestEveryRowMatchesTheOracleWhenSeeking reads rows at random positions,
// then all of them from the oldest up, with tiny blocks and no walking, so
// that every block is found by seeking through the counts by hour and
// minute, and checks each against the oracle.
func TestEveryRowMatchesTheOracleWhenSeeking(t *testing.T) {
	eng := demoEngine(t)
	for _, q := range []string{"*", "category:authentication", "NOT action:data.accessed"} {
		t.Run(q, func(t *testing.T) {
			d := newDriver(t, eng, 120, 40, testOpts{tune: func(tu *tuning) {
				tu.pageSize, tu.walkLimit, tu.maxBlocks, tu.maxAnchors = 7, 0, 4, 8
			}})
			d.runQuery(q)
			want := oracle(t, eng, q)
			if d.m.table.res.total != len(want) {
				t.Fatalf("%d matches, want %d", d.m.table.res.total, len(want))
			}
			rnd := rand.New(rand.NewSource(1))
			for k := 0; k < 40; k++ {
				i := rnd.Intn(len(want))
				if got := d.rowAt(i).seq; got != want[i] {
					t.Fatalf("row %d is seq %d, want %d", i, got, want[i])
				}
			}
			d.keys("G")
			if d.m.table.sel != len(want)-1 || d.m.table.Selected() == nil || d.m.table.Selected().seq != want[len(want)-1] {
				t.Fatalf("G selects row %d, want the oldest (%d)", d.m.table.sel, len(want)-1)
			}
			for i := len(want) - 1; i >= 0; i -= 3 {
				if got := d.rowAt(i).seq; got != want[i] {
					t.Fatalf("row %d is seq %d, want %d", i, got, want[i])
				}
			}
			lo, hi := d.m.table.visible()
			onScreen := (hi-lo)/7 + 2
			if n := len(d.m.table.res.blocks); n > 4 && n > onScreen {
				t.Errorf("%d blocks held, want at most the bound (4) or those on screen (%d)", n, onScreen)
			}
		})
	}
}

// TestPhraseOfPatternsIsReadByWalking: the index only narrows such a
// query down, so counts by time are refused and rows are read forward.
func TestPhraseOfPatternsIsReadByWalking(t *testing.T) {
	eng := demoEngine(t)
	d := newDriver(t, eng, 120, 40, testOpts{tune: func(tu *tuning) { tu.pageSize, tu.walkLimit = 5, 0 }})
	q := `ua:iPhone;*` // two words, one a pattern
	d.runQuery(q)
	want := oracle(t, eng, q)
	if d.m.table.res.total != len(want) || len(want) < 20 {
		t.Fatalf("%d matches, want %d (and some)", d.m.table.res.total, len(want))
	}
	for _, i := range []int{len(want) - 1, 3, len(want) / 2} {
		if got := d.rowAt(i).seq; got != want[i] {
			t.Fatalf("row %d is seq %d, want %d", i, got, want[i])
		}
	}
}

func TestKeysMoveTheSelection(t *testing.T) {
	eng := demoEngine(t)
	d := newDriver(t, eng, 80, 24, testOpts{})
	m := d.m
	page := m.table.pageRows()
	steps := []struct {
		key  string
		want int
	}{
		{"j", 1}, {"down", 2}, {"k", 1}, {"pgdown", 1 + page}, {"ctrl+d", 1 + page + page/2},
		{"ctrl+u", 1 + page}, {"pgup", 1}, {"G", m.table.res.total - 1}, {"g", 0}, {"up", 0},
	}
	for _, s := range steps {
		d.keys(s.key)
		if m.table.sel != s.want {
			t.Fatalf("after %s: row %d, want %d", s.key, m.table.sel, s.want)
		}
		if m.table.sel < m.table.top || m.table.sel >= m.table.top+page {
			t.Fatalf("after %s: row %d is off screen (top %d)", s.key, m.table.sel, m.table.top)
		}
	}
}

func TestQueryErrorShowsCaretAndKeepsResults(t *testing.T) {
	eng := demoEngine(t)
	d := newDriver(t, eng, 120, 40, testOpts{})
	d.runQuery("action:login.failed")
	before := d.m.snap
	d.runQuery("action:login.failed AND (ip:1.2.3.4")
	if d.m.snap != before {
		t.Fatal("a query that does not parse replaced the results")
	}
	if d.m.query.err == nil || d.m.focus != focusQuery {
		t.Fatalf("error %v, focus %v: want the error shown and the bar in focus", d.m.query.err, d.m.focus)
	}
	lines := strings.Split(d.view(), "\n")
	// The caret sits under the "(" of the query, after the prompt.
	col := strings.Index(lines[1], "(")
	if col < 0 || !strings.HasPrefix(lines[2][col:], `^ unclosed "(" opened here`) {
		t.Fatalf("no caret under the parenthesis:\n%s\n%s", lines[1], lines[2])
	}
	d.keys("esc")
	if d.m.query.err != nil || d.m.focus != focusTable {
		t.Fatal("esc leaves the error or the focus")
	}
	d.runQuery("usr:bob")
	if d.m.query.err == nil || !strings.Contains(d.view(), "did you mean user") {
		t.Fatalf("unknown field: no hint in\n%s", d.view())
	}
}

func TestNewQueryCancelsTheOneInFlight(t *testing.T) {
	eng := demoEngine(t)
	d := newDriver(t, eng, 120, 40, testOpts{})
	first := d.m.snap
	cmd := d.m.runQuery("action:login.failed", "", nil)
	if first.ctx.Err() == nil {
		t.Fatal("the previous query's context is still live")
	}
	// A stale answer (of the generation before) is dropped.
	stale := cmd().(firstPageMsg)
	d.m.runQuery("action:logout", "", nil)
	d.send(stale)
	if d.m.snap == stale.snap {
		t.Fatal("an answer to a replaced query was shown")
	}
}

func TestHistoryIsKeptAcrossRuns(t *testing.T) {
	eng := demoEngine(t)
	dir := t.TempDir()
	d := newDriver(t, eng, 120, 40, testOpts{dataDir: dir})
	d.runQuery("action:login.failed")
	d.runQuery("severity:high")
	d.keys("/", "up")
	if got := d.m.query.Value(); got != "severity:high" {
		t.Fatalf("up recalls %q", got)
	}
	d.keys("up")
	if got := d.m.query.Value(); got != "action:login.failed" {
		t.Fatalf("up again recalls %q", got)
	}
	d.keys("down", "down")
	if got := d.m.query.Value(); got != "severity:high" && got != "" {
		t.Fatalf("down recalls %q", got)
	}
	d.keys("esc")
	// A new session over the same data directory.
	d2 := newDriver(t, eng, 120, 40, testOpts{dataDir: dir})
	d2.keys("/", "up", "up")
	if got := d2.m.query.Value(); got != "action:login.failed" {
		t.Fatalf("after a restart, up up recalls %q", got)
	}
}

func TestCompletionOfFieldsAndValues(t *testing.T) {
	eng := demoEngine(t)
	d := newDriver(t, eng, 120, 40, testOpts{})
	d.keys("/")
	d.typeText("sev")
	d.keys("tab")
	if got := d.m.query.Value(); got != "severity:" {
		t.Fatalf("sev<tab> gives %q", got)
	}
	d.typeText("cr")
	d.keys("tab")
	if got := d.m.query.Value(); got != "severity:critical" {
		t.Fatalf("severity:cr<tab> gives %q", got)
	}
	d.typeText(" AND action:login.f")
	d.keys("tab")
	if got := d.m.query.Value(); got != "severity:critical AND action:login.failed" {
		t.Fatalf("action value completion gives %q", got)
	}
	// Several candidates: the common part, then a cycle.
	d.m.query.input.SetValue("a")
	d.keys("tab")
	if len(d.m.query.cands) < 2 || !strings.Contains(d.view(), "action:") {
		t.Fatalf("a<tab> lists %v", d.m.query.cands)
	}
	d.keys("tab")
	if got := d.m.query.Value(); got != d.m.query.cands[0] {
		t.Fatalf("second tab gives %q, want %q", got, d.m.query.cands[0])
	}
}

func TestSidebarFiltersAndShowsTheClause(t *testing.T) {
	eng := demoEngine(t)
	d := newDriver(t, eng, 120, 40, testOpts{})
	d.keys("tab")
	if d.m.focus != focusSidebar {
		t.Fatal("tab does not focus the sidebar")
	}
	d.keys("j", "enter") // the largest category
	cat := d.m.sidebar.categories[0]
	clause := "category:" + cat.Value
	if d.m.sidebar.active != clause || d.m.query.chip != clause {
		t.Fatalf("active %q, chip %q, want %q", d.m.sidebar.active, d.m.query.chip, clause)
	}
	if got, want := d.m.table.res.total, len(oracle(t, eng, clause)); got != want || got != cat.Count {
		t.Fatalf("%d matches, want %d (sidebar said %d)", got, want, cat.Count)
	}
	if bar := strings.Split(d.view(), "\n")[1]; !strings.HasPrefix(bar, "/ "+clause+" ") {
		t.Errorf("the query bar does not show the clause: %q", bar)
	}
	// The category opened: its actions add up to it.
	if len(d.m.sidebar.actions) == 0 {
		t.Fatal("the category did not open")
	}
	sum := 0
	for _, a := range d.m.sidebar.actions {
		sum += a.Count
	}
	if sum != cat.Count {
		t.Errorf("actions add up to %d, want %d", sum, cat.Count)
	}
	d.keys("j", "enter") // its first action
	act := d.m.sidebar.actions[0].Value
	if want := len(oracle(t, eng, termClause("action", act))); d.m.table.res.total != want {
		t.Fatalf("action %s: %d matches, want %d", act, d.m.table.res.total, want)
	}
	d.keys("x")
	if d.m.sidebar.active != "" || d.m.table.res.total != len(oracle(t, eng, "*")) {
		t.Fatal("x does not clear the sidebar's filter")
	}
	// Editing the query takes the clause into its text.
	d.keys("k", "enter", "tab", "/")
	if got := d.m.query.Value(); got != clause {
		t.Fatalf("editing shows %q, want %q", got, clause)
	}
}

func TestTimePresetsBoundTheResults(t *testing.T) {
	eng := demoEngine(t)
	d := newDriver(t, eng, 120, 40, testOpts{})
	d.keys("t", "4") // 15m, 1h, 24h, 7d
	since := testNow.Add(-7 * 24 * time.Hour)
	want := oracleWhere(t, eng, "*", func(ev *event.Event) bool { return !ev.Time.Before(since) })
	if d.m.rng.preset != "7d" || d.m.table.res.total != len(want) {
		t.Fatalf("range %v: %d matches, want %d", d.m.rng, d.m.table.res.total, len(want))
	}
	if !strings.Contains(d.view(), "last 7d") {
		t.Error("the header does not name the range")
	}
	d.keys("t", "3") // 24h: after the data
	if d.m.table.res.total != 0 || !strings.Contains(d.view(), "No events match") {
		t.Fatalf("24h after the data: %d matches", d.m.table.res.total)
	}
	// A custom range, in the query language's times.
	d.keys("t", "7")
	d.typeText("2025-01-28")
	d.keys("tab")
	d.typeText("2025-01-29")
	d.keys("enter")
	from, to := time.Date(2025, 1, 28, 0, 0, 0, 0, time.UTC), time.Date(2025, 1, 30, 0, 0, 0, 0, time.UTC)
	want = oracleWhere(t, eng, "*", func(ev *event.Event) bool { return !ev.Time.Before(from) && ev.Time.Before(to) })
	if d.m.table.res.total != len(want) || len(want) == 0 {
		t.Fatalf("custom range: %d matches, want %d", d.m.table.res.total, len(want))
	}
	// A range that ends before it starts is refused in the dialog.
	d.keys("t", "7")
	d.m.dialog.(*timeDialog).inputs[0].SetValue("2025-01-29")
	d.m.dialog.(*timeDialog).inputs[1].SetValue("2025-01-20")
	d.keys("enter")
	if d.m.dialog == nil || !strings.Contains(d.view(), "ends") {
		t.Fatalf("a backwards range was accepted:\n%s", d.view())
	}
}

func TestPivotAddsAndExcludesAField(t *testing.T) {
	eng := demoEngine(t)
	d := newDriver(t, eng, 120, 40, testOpts{})
	d.runQuery("action:login.failed")
	ip := d.m.table.Selected().ev.Context.IP
	d.keys("+")
	pd := d.m.dialog.(*pivotDialog)
	for i, f := range pd.fields {
		if f.field == "ip" {
			pd.list.cursor = i
		}
	}
	d.keys("enter")
	q := "action:login.failed AND ip:" + ip
	if d.m.base != q {
		t.Fatalf("query %q, want %q", d.m.base, q)
	}
	if want := oracle(t, eng, q); d.m.table.res.total != len(want) {
		t.Fatalf("%d matches, want %d", d.m.table.res.total, len(want))
	}
	d.runQuery("action:login.failed")
	d.keys("-")
	pd = d.m.dialog.(*pivotDialog)
	pd.list.cursor = 0 // user
	user := pd.fields[0].value
	d.keys("enter")
	q = "action:login.failed AND NOT " + termClause("user", user)
	if d.m.base != q {
		t.Fatalf("query %q, want %q", d.m.base, q)
	}
	if want := oracle(t, eng, q); d.m.table.res.total != len(want) {
		t.Fatalf("%d matches, want %d", d.m.table.res.total, len(want))
	}
}

func TestSavedSearchesAreKept(t *testing.T) {
	eng := demoEngine(t)
	dir := t.TempDir()
	d := newDriver(t, eng, 120, 40, testOpts{dataDir: dir})
	d.runQuery("action:login.failed")
	d.keys("s")
	d.typeText("failed logins")
	d.keys("enter")
	d.runQuery("*")
	d.keys("t", "4") // 7d
	d.keys("s")
	d.typeText("last week")
	d.keys("enter")
	// Another session: list, run, delete.
	d2 := newDriver(t, eng, 120, 40, testOpts{dataDir: dir})
	if len(d2.m.saved) != 2 {
		t.Fatalf("%d saved searches after a restart, want 2", len(d2.m.saved))
	}
	d2.keys("o", "enter")
	if d2.m.base != "action:login.failed" || d2.m.rng.preset != "all" {
		t.Fatalf("running the first saved search gives %q in %v", d2.m.base, d2.m.rng)
	}
	d2.keys("o", "j", "enter")
	if d2.m.base != "*" || d2.m.rng.preset != "7d" {
		t.Fatalf("running the second gives %q in %v", d2.m.base, d2.m.rng)
	}
	d2.keys("o", "d", "esc")
	d3 := newDriver(t, eng, 120, 40, testOpts{dataDir: dir})
	if len(d3.m.saved) != 1 || d3.m.saved[0].Name != "last week" {
		t.Fatalf("after a delete: %+v", d3.m.saved)
	}
}

func TestDetailShowsTheEventInFull(t *testing.T) {
	eng := demoEngine(t)
	d := newDriver(t, eng, 120, 40, testOpts{})
	sel := d.m.table.Selected()
	d.keys("enter")
	if !d.m.showDetail || d.m.focus != focusDetail || d.m.detail.seq != sel.seq {
		t.Fatal("enter does not open the selected event")
	}
	r, ev, err := eng.Get(sel.seq)
	if err != nil {
		t.Fatal(err)
	}
	all := strings.Join(detailPlain(d), "\n")
	for _, s := range []string{ev.ID, ev.Type, ev.Actor.Email, ev.Context.IP, "── Raw, as received", "── Chain", fmtHash(r.Hash), fmtHash(r.Prev)} {
		if !strings.Contains(all, s) {
			t.Errorf("the detail lacks %q", s)
		}
	}
	d.keys("]")
	if d.m.detail.seq != d.m.table.res.Row(1).seq {
		t.Fatal("] does not show the next event")
	}
	d.keys("[", "esc")
	if d.m.showDetail || d.m.focus != focusTable {
		t.Fatal("esc does not go back to the list")
	}
}

// detailPlain is every line of the detail's content.
func detailPlain(d *driver) []string {
	d.m.detail.vp.GotoTop()
	var out []string
	for {
		out = append(out, strings.Split(d.m.detail.vp.View(), "\n")...)
		if d.m.detail.vp.AtBottom() {
			return out
		}
		d.m.detail.vp.PageDown()
	}
}

func fmtHash(h [32]byte) string {
	const hexd = "0123456789abcdef"
	var b strings.Builder
	for _, c := range h {
		b.WriteByte(hexd[c>>4])
		b.WriteByte(hexd[c&15])
	}
	return b.String()
}

// TestHostileEventsCannotDriveTheTerminal opens every hostile demo event
// and checks that nothing that moves the cursor, sets a title or reorders
// text reaches the screen, and that the stand-ins do.
func TestHostileEventsCannotDriveTheTerminal(t *testing.T) {
	eng := demoEngine(t)
	d := newDriver(t, eng, 200, 50, testOpts{})
	d.runQuery("details.hostile:true")
	n := d.m.table.res.total
	if n < 10 {
		t.Fatalf("%d hostile events, want the demo's", n)
	}
	sawEsc := false
	for i := 0; i < n; i++ {
		d.rowAt(i)
		list := d.view()
		d.keys("enter")
		screens := append([]string{list, d.view()}, detailPlain(d)...)
		for _, s := range screens {
			for _, bad := range []string{"\x1b", "\x07", "\u202e", "\r", "\u009b"} {
				if strings.Contains(s, bad) {
					t.Fatalf("event %d: %q reached the screen", d.m.detail.seq, bad)
				}
			}
			if strings.Contains(s, "␛") {
				sawEsc = true
			}
		}
		d.keys("esc")
	}
	if !sawEsc {
		t.Error("no ␛ stand-in shown for the escapes of the hostile events")
	}
}

func TestAggregationShowsCountsAndDrillsDown(t *testing.T) {
	eng := demoEngine(t)
	d := newDriver(t, eng, 120, 40, testOpts{})
	d.runQuery("action:login.failed | top 3 ip")
	if !d.m.aggMode || d.m.agg.agg == nil || len(d.m.agg.agg.Buckets) == 0 {
		t.Fatal("no aggregation shown")
	}
	top := d.m.agg.agg.Buckets[0]
	q := "action:login.failed AND ip:" + top.Value
	if want := len(oracle(t, eng, q)); top.Count != want {
		t.Fatalf("top ip %s: %d, want %d", top.Value, top.Count, want)
	}
	d.keys("enter")
	if d.m.aggMode || d.m.base != q || d.m.table.res.total != top.Count {
		t.Fatalf("drilling down gives %q with %d matches", d.m.base, d.m.table.res.total)
	}
}

func TestTooSmallSaysSo(t *testing.T) {
	eng := demoEngine(t)
	d := newDriver(t, eng, 40, 10, testOpts{})
	v := d.view()
	screenLines(t, v, 40, 10)
	if !strings.Contains(v, "at least") || !strings.Contains(v, "40×10") {
		t.Fatalf("too small a terminal shows:\n%s", v)
	}
	d.keys("q")
	if !d.quit {
		t.Fatal("q does not quit")
	}
}

func TestMouseToggleScrollsAndSelects(t *testing.T) {
	eng := demoEngine(t)
	d := newDriver(t, eng, 120, 40, testOpts{})
	if d.m.mouse {
		t.Fatal("mouse is on by default")
	}
	d.keys("m")
	if !d.m.mouse {
		t.Fatal("m does not turn the mouse on")
	}
	d.send(mouseWheel(true))
	if d.m.table.sel != 3 {
		t.Fatalf("wheel down: row %d, want 3", d.m.table.sel)
	}
	// A click on the fifth row of the table (below header, query bar and
	// the column titles).
	d.send(mouseClick(60, 1+1+1+4))
	if d.m.table.sel != d.m.table.top+4 {
		t.Fatalf("click: row %d, want %d", d.m.table.sel, d.m.table.top+4)
	}
}

func TestReadOnlyDisablesExport(t *testing.T) {
	eng := demoEngine(t)
	d := newDriver(t, eng, 120, 40, testOpts{readOnly: true})
	d.keys("e")
	if !strings.Contains(d.view(), "read-only") {
		t.Fatalf("read-only export dialog:\n%s", d.view())
	}
	d.keys("enter")
	if d.m.dialog != nil {
		t.Fatal("the dialog does not close")
	}
}

func TestCloseStopsEngineCalls(t *testing.T) {
	eng := ownEngine(t, demo.Config{Events: 300, Days: 1, Seed: 2, End: demoEnd})
	d := newDriver(t, eng, 120, 40, testOpts{})
	d.keys("f")
	if eng.Subscribers() != 1 {
		t.Fatalf("%d subscribers while following", eng.Subscribers())
	}
	pending := d.m.runQuery("action:login.failed", "", nil)
	d.m.Close()
	if eng.Subscribers() != 0 {
		t.Fatal("the live tail still subscribes after Close")
	}
	if msg := pending(); msg != nil {
		t.Fatalf("a command ran after Close: %T", msg)
	}
}

func TestEmptyStoreSaysHowToFillIt(t *testing.T) {
	dir := t.TempDir()
	eng, err := engine.Open(dir, engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	d := newDriver(t, eng, 80, 24, testOpts{})
	v := d.view()
	screenLines(t, v, 80, 24)
	if !strings.Contains(v, "The store is empty") || !strings.Contains(v, "0 matches") {
		t.Fatalf("empty store:\n%s", v)
	}
}

// TestDetailStepsAcrossBlocks: ] past the rows read so far shows the next
// event once its block arrives.
func TestDetailStepsAcrossBlocks(t *testing.T) {
	eng := demoEngine(t)
	// Blocks of one row: no row past the screen is read ahead.
	d := newDriver(t, eng, 120, 40, testOpts{tune: func(tu *tuning) { tu.pageSize, tu.maxBlocks = 1, 2 }})
	want := oracle(t, eng, "*")
	d.keys("enter")
	for i := 1; i <= 60; i++ { // past the screenful read ahead
		d.keys("]")
		if d.m.detail.seq != want[i] {
			t.Fatalf("after %d ]: the detail shows seq %d, want %d", i, d.m.detail.seq, want[i])
		}
	}
}
