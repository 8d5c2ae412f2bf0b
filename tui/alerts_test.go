package tui

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"

	"github.com/vigil-dev/vigil/alerts"
	"github.com/vigil-dev/vigil/event"
	"github.com/vigil-dev/vigil/testdata/demo"
)

// demoRules are the rules vigil demo writes: the built-in rules, business
// hours read in each demo person's home zone.
func demoRules(t testing.TB) *alerts.RuleSet {
	t.Helper()
	zones := demo.New(demoConfig).HomeZones()
	var b strings.Builder
	b.Write(alerts.BuiltinYAML)
	b.WriteString("\nzone_by:\n  field: user\n  zones:\n")
	for _, u := range slices.Sorted(maps.Keys(zones)) {
		fmt.Fprintf(&b, "    %q: %s\n", u, zones[u])
	}
	rs, err := alerts.Parse([]byte(b.String()), "demo-rules.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return rs
}

var (
	backtestOnce   sync.Once
	backtestAlerts []alerts.Alert
	backtestErr    error
)

// demoAlerts are the alerts the demo rules fire over the shared demo
// store (a backtest: the alerts package's evaluation, not the explorer's
// search), oldest first.
func demoAlerts(t testing.TB) []alerts.Alert {
	t.Helper()
	eng := demoEngine(t)
	backtestOnce.Do(func() {
		_, backtestErr = alerts.Backtest(context.Background(), eng.Store(), demoRules(t), alerts.BacktestOptions{}, func(a alerts.Alert) error {
			backtestAlerts = append(backtestAlerts, a)
			return nil
		})
	})
	if backtestErr != nil {
		t.Fatal(backtestErr)
	}
	if len(backtestAlerts) < 5 {
		t.Fatalf("the demo rules fire %d alerts over the demo store, want its planted incidents", len(backtestAlerts))
	}
	return backtestAlerts
}

// alertStore opens a writable alert store of its own, holding as.
func alertStore(t testing.TB, as ...alerts.Alert) *alerts.Store {
	t.Helper()
	st, err := alerts.OpenStore(t.TempDir(), alerts.StoreOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if len(as) > 0 {
		if _, err := st.Append(as); err != nil {
			t.Fatal(err)
		}
	}
	return st
}

// allRowSeqs reads every row of the results.
func allRowSeqs(d *driver) []uint64 {
	d.t.Helper()
	var out []uint64
	for i := 0; i < d.m.table.res.Len(); i++ {
		out = append(out, d.rowAt(i).seq)
	}
	return out
}

// TestAlertsPaneListsAlertsAndOpensTheirEvents: a lists the stored alerts
// newest first; enter on one runs its query, and the results are exactly
// the events the alert is about (its Seqs, from the evaluation, not from
// the explorer's search); esc goes back to the pane on the same alert.
func TestAlertsPaneListsAlertsAndOpensTheirEvents(t *testing.T) {
	eng := demoEngine(t)
	as := demoAlerts(t)
	st := alertStore(t, as...)
	d := newDriver(t, eng, 160, 45, testOpts{alerts: st})
	if !strings.Contains(d.view(), fmt.Sprintf("%d alerts", len(as))) {
		t.Errorf("the header does not count the %d alerts:\n%s", len(as), strings.SplitN(d.view(), "\n", 2)[0])
	}
	d.keys("a")
	if !d.m.showAlerts || d.m.focus != focusAlerts {
		t.Fatal("a does not open the alerts pane")
	}
	want := st.Recent(len(as))
	if len(d.m.alerts.items) != len(as) {
		t.Fatalf("the pane lists %d alerts, want %d", len(d.m.alerts.items), len(as))
	}
	for i, it := range d.m.alerts.items {
		if it.alert.ID != want[i].ID {
			t.Fatalf("alert %d is %s, want %s (newest first)", i, it.alert.ID, want[i].ID)
		}
		if i > 0 && it.alert.Time.After(d.m.alerts.items[i-1].alert.Time) {
			t.Fatalf("alert %d is newer than the one above it", i)
		}
	}
	view := d.view()
	for _, s := range []string{"ALERTS", want[0].Rule, want[0].Severity, "GROUP"} {
		if !strings.Contains(view, s) {
			t.Errorf("the pane lacks %q:\n%s", s, view)
		}
	}

	// Each rule's newest alert, and the oldest alert of all (scrolled to).
	picks := map[int]bool{len(want) - 1: true}
	seen := map[string]bool{}
	for i, a := range want {
		if !seen[a.Rule] {
			seen[a.Rule] = true
			picks[i] = true
		}
	}
	for _, i := range slices.Sorted(maps.Keys(picks)) {
		a := want[i]
		d.keys("g")
		for j := 0; j < i; j++ {
			d.keys("j")
		}
		if got := d.m.alerts.selected(); got == nil || got.ID != a.ID {
			t.Fatalf("j %d times does not select alert %d", i, i)
		}
		d.keys("enter")
		if d.m.showAlerts {
			t.Fatal("enter does not close the pane")
		}
		if d.m.base != a.Query() {
			t.Fatalf("the query is %q, want the alert's %q", d.m.base, a.Query())
		}
		if d.m.rng.preset != "custom" {
			t.Errorf("the range is %s, want one around the alert's events", d.m.rng)
		}
		got := allRowSeqs(d)
		slices.Sort(got)
		if !slices.Equal(got, a.Seqs) {
			t.Fatalf("alert %s (%s): the results are %v, want its events %v", a.ID, a.Rule, got, a.Seqs)
		}
		if n, _ := statusCount(d.view()); n != len(a.Seqs) {
			t.Errorf("alert %s: the status line says %d matches, want %d", a.ID, n, len(a.Seqs))
		}
		if !strings.Contains(d.view(), "back to the alerts") {
			t.Errorf("the keys do not say esc goes back to the alerts:\n%s", d.view())
		}
		d.keys("esc")
		if !d.m.showAlerts || d.m.alerts.selected().ID != a.ID {
			t.Fatalf("esc after opening alert %d does not go back to it in the pane", i)
		}
	}
	// esc in the pane goes back to the results; a new query takes esc's
	// way back away.
	d.keys("esc")
	if d.m.showAlerts || d.m.focus != focusTable {
		t.Fatal("esc in the pane does not close it")
	}
	d.runQuery("action:login.failed")
	d.keys("esc")
	if d.m.showAlerts {
		t.Fatal("esc opens the alerts pane over results that are not an alert's")
	}
}

// TestAlertsPaneScrolls: with more alerts than lines, the keys and the
// wheel move through all of them, the selected one always on screen and
// every screen exactly the terminal's size.
func TestAlertsPaneScrolls(t *testing.T) {
	eng := demoEngine(t)
	seqs := oracle(t, eng, "*")
	var as []alerts.Alert
	for i := range 60 {
		_, ev, err := eng.Get(seqs[i])
		if err != nil {
			t.Fatal(err)
		}
		at := ev.Time
		as = append(as, alerts.Alert{ID: fmt.Sprintf("alt_%02d", i), Rule: "r", Severity: event.Severities[i%5],
			Group: map[string]string{"user": fmt.Sprintf("user%02d@example.com", i)}, Count: 1,
			TriggerSeq: seqs[i], Seqs: []uint64{seqs[i]}, Time: at, First: at, Last: at})
	}
	d := newDriver(t, eng, 80, 24, testOpts{alerts: alertStore(t, as...)})
	d.keys("a")
	check := func(what string, want int) {
		t.Helper()
		view := d.view()
		screenLines(t, view, 80, 24)
		if d.m.alerts.sel != want {
			t.Fatalf("%s: alert %d selected, want %d", what, d.m.alerts.sel, want)
		}
		if !strings.Contains(view, fmt.Sprintf("user%02d@", want)) || !strings.Contains(view, fmt.Sprintf("alert %d/60", want+1)) {
			t.Fatalf("%s: alert %d is not on screen:\n%s", what, want, view)
		}
	}
	check("first", 0)
	d.keys("pgdown")
	page := d.m.alerts.rows()
	check("pgdown", page)
	d.keys("G")
	check("G", 59)
	d.keys("k", "k")
	check("k k", 57)
	d.send(mouseWheel(false))
	check("wheel up", 54)
	d.keys("g")
	check("g", 0)
	d.keys("end", "enter")
	if got := allRowSeqs(d); len(got) != 1 || got[0] != seqs[59] {
		t.Fatalf("the oldest alert opens %v, want [%d]", got, seqs[59])
	}
}

var statusCountRe = regexp.MustCompile(`([0-9,]+) match(?:es)?\b`)

// statusCount reads the status line's match count.
func statusCount(screen string) (int, bool) {
	lines := strings.Split(screen, "\n")
	m := statusCountRe.FindStringSubmatch(lines[len(lines)-1])
	if m == nil {
		return 0, false
	}
	n := 0
	fmt.Sscan(strings.ReplaceAll(m[1], ",", ""), &n)
	return n, true
}

// TestAlertsPaneFollowsTheStore: the pane says how alerts get there while
// there are none, lists an alert as soon as it is stored, and keeps the
// selection on its alert when newer ones arrive above it.
func TestAlertsPaneFollowsTheStore(t *testing.T) {
	eng := demoEngine(t)
	as := demoAlerts(t)
	st := alertStore(t)
	d := newDriver(t, eng, 120, 40, testOpts{alerts: st})
	d.keys("a")
	view := d.view()
	for _, s := range []string{"No alerts stored", "vigil serve", "vigil alerts test"} {
		if !strings.Contains(view, s) {
			t.Errorf("the empty pane does not say %q:\n%s", s, view)
		}
	}
	older, newer := as[0], as[len(as)-1]
	if _, err := st.Append([]alerts.Alert{older}); err != nil {
		t.Fatal(err)
	}
	d.waitFor("the stored alert listed", func() bool { return len(d.m.alerts.items) == 1 })
	if d.m.alertsStored != 1 || !strings.Contains(d.view(), older.Rule) {
		t.Fatalf("after one alert is stored:\n%s", d.view())
	}
	if _, err := st.Append([]alerts.Alert{newer}); err != nil {
		t.Fatal(err)
	}
	d.waitFor("the newer alert listed", func() bool { return len(d.m.alerts.items) == 2 })
	if d.m.alerts.items[0].alert.ID != newer.ID || d.m.alerts.selected().ID != older.ID {
		t.Fatalf("the newer alert is not on top, or the selection left its alert")
	}
	if !strings.Contains(strings.SplitN(d.view(), "\n", 2)[0], "2 alerts") {
		t.Errorf("the header does not count 2 alerts:\n%s", d.view())
	}
}

// TestAlertsPaneSaysWhyThereAreNone: without an alert store, or with one
// that could not be read (a line that is not an alert), the explorer
// works and the pane says why it lists nothing.
func TestAlertsPaneSaysWhyThereAreNone(t *testing.T) {
	eng := demoEngine(t)
	dir := t.TempDir()
	if err := os.MkdirAll(alerts.Dir(dir), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(alerts.Dir(dir), "alerts.jsonl"), []byte("{\"id\":\"alt_1\",\"rule\":\"r\"}\nnot json\x1b[2J\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, openErr := alerts.OpenStore(dir, alerts.StoreOptions{ReadOnly: true})
	if openErr == nil {
		t.Fatal("a store with a line that is not an alert opens")
	}
	for _, c := range []struct {
		name string
		err  error
		want []string
	}{
		{"none", nil, []string{"No alert store is open"}},
		{"unreadable", openErr, []string{"could not be read", "alerts.jsonl:2: not an alert"}},
	} {
		d := newDriver(t, eng, 120, 40, testOpts{alertErr: c.err})
		if d.m.table.res.total != len(oracle(t, eng, "*")) {
			t.Fatalf("%s: the results are not there", c.name)
		}
		d.keys("a")
		view := d.view()
		words := strings.Join(strings.Fields(view), " ") // as wrapped lines read on
		for _, w := range c.want {
			if !strings.Contains(words, w) {
				t.Errorf("%s: the pane does not say %q:\n%s", c.name, w, view)
			}
		}
		if strings.Contains(view, "show its events") {
			t.Errorf("%s: the keys offer to open an alert where there is none:\n%s", c.name, view)
		}
		d.keys("esc")
		if d.m.showAlerts {
			t.Errorf("%s: esc does not close the pane", c.name)
		}
	}
}

// TestReadOnlyAlertStoreIsRefreshed: an explorer given a read-only store
// (another process writes) sees what the writer adds, by the periodic
// refresh, and the rows of its events are marked.
func TestReadOnlyAlertStoreIsRefreshed(t *testing.T) {
	eng := demoEngine(t)
	a := demoAlerts(t)[0]
	dir := t.TempDir()
	w, err := alerts.OpenStore(dir, alerts.StoreOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	ro, err := alerts.OpenStore(dir, alerts.StoreOptions{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	d := newDriver(t, eng, 120, 40, testOpts{alerts: ro, tune: func(tu *tuning) { tu.alertsRefresh = 20 * time.Millisecond }})
	if _, err := w.Append([]alerts.Alert{a}); err != nil {
		t.Fatal(err)
	}
	d.waitFor("the refresh to count the alert", func() bool { return d.m.alertsStored == 1 })
	if sev, ok := ro.AlertSeverity(a.Seqs[0]); !ok || sev != a.Severity {
		t.Fatalf("the read-only store says %q %v for an event of the alert", sev, ok)
	}
}

// TestAlertsPaneShowsHostileGroupValuesAsPlaceholders: group values come
// from events; escapes, bells and bidi overrides in them reach the screen
// as visible stand-ins, never raw.
func TestAlertsPaneShowsHostileGroupValuesAsPlaceholders(t *testing.T) {
	eng := demoEngine(t)
	seqs := oracle(t, eng, "*")[:5]
	slices.Sort(seqs)
	at := demoEnd.Add(-time.Hour)
	hostile := alerts.Alert{
		ID: "alt_hostile", Rule: "brute-force-user", Title: "Brute force\x1b[2J against one account", Severity: "high",
		Group: map[string]string{"user": "eve\x1b]0;pwned\x07@example.com\u202egnp.exe", "ip": "203.0.113.7\r\x1b[1A"},
		Count: 5, Window: "10m", TriggerSeq: seqs[4], Seqs: seqs, Time: at, First: at.Add(-time.Minute), Last: at,
	}
	renderers := map[string]*lipgloss.Renderer{"plain": plainRenderer()}
	r := lipgloss.NewRenderer(io.Discard)
	r.SetColorProfile(termenv.TrueColor)
	r.SetHasDarkBackground(true)
	renderers["colour"] = r
	for name, r := range renderers {
		d := newDriver(t, eng, 200, 50, testOpts{alerts: alertStore(t, hostile), renderer: r})
		d.keys("a")
		view := d.view()
		for _, bad := range []string{"\x1b]", "\x07", "\u202e", "\r", "\x1b[2J", "\x1b[1A"} {
			if strings.Contains(view, bad) {
				t.Errorf("%s: %q reached the screen:\n%q", name, bad, view)
			}
		}
		for _, want := range []string{"␛]0;pwned", "eve", "203.0.113.7"} {
			if !strings.Contains(view, want) {
				t.Errorf("%s: the pane does not show %q:\n%s", name, want, view)
			}
		}
		if name == "plain" {
			screenLines(t, view, 200, 50)
		}
	}
}

// alertedLines returns the table's first n row lines (after the sidebar's
// separator) and the seqs they show.
func alertedLines(t *testing.T, d *driver, n int) []string {
	t.Helper()
	lines := strings.Split(d.view(), "\n")
	var out []string
	for i := 0; i < n; i++ {
		l := lines[3+i]
		out = append(out, l[strings.Index(l, "│")+len("│"):])
	}
	return out
}

// TestAlertedRowsAreHighlightedBySeverity: the rows of events an alert
// fired on carry the alert's severity: its letter in the gutter (read
// without colour) and, in colour, the letter on a badge of the severity's colour and
// the row in its tint; other rows carry neither.
func TestAlertedRowsAreHighlightedBySeverity(t *testing.T) {
	eng := demoEngine(t)
	want := oracle(t, eng, "*")
	at := demoEnd.Add(-time.Hour)
	mk := func(id, sev string, seq uint64) alerts.Alert {
		return alerts.Alert{ID: id, Rule: "r-" + sev, Severity: sev, Count: 1, TriggerSeq: seq, Seqs: []uint64{seq}, Time: at, First: at, Last: at}
	}
	marked := map[uint64]string{want[1]: "critical", want[3]: "low"}
	st := alertStore(t, mk("alt_c", "critical", want[1]), mk("alt_l", "low", want[3]),
		// An event in two alerts carries the higher severity.
		mk("alt_l2", "low", want[1]))

	// Without colour: the letters.
	d := newDriver(t, eng, 120, 40, testOpts{alerts: st})
	for i, l := range alertedLines(t, d, 6) {
		gutter := []rune(l)[:3]
		wantSign := ' '
		switch marked[want[i]] {
		case "critical":
			wantSign = 'C'
		case "low":
			wantSign = 'L'
		}
		if gutter[1] != wantSign || gutter[2] != ' ' {
			t.Errorf("row %d (seq %d): gutter %q, want %q", i, want[i], string(gutter), string(wantSign))
		}
	}

	// In colour: the letter on a badge of the severity's colour, the row
	// tinted; no tint on the rest (the selected row has the selection's
	// background).
	cases := []struct {
		profile termenv.Profile
		dark    bool
		tint    map[string]string // SGR of the tint, "" for none
		sign    map[string]string
	}{
		{termenv.TrueColor, true,
			map[string]string{"critical": "48;2;75;16;32", "low": "48;2;14;42;63"},
			map[string]string{"critical": "48;2;255;95;135", "low": "48;2;95;215;255"}},
		{termenv.ANSI256, false,
			map[string]string{"critical": "48;5;224", "low": "48;5;195"},
			map[string]string{"critical": "48;5;160", "low": "48;5;24"}},
		// 16 colours: the letter's badge only, no tint.
		{termenv.ANSI, true,
			map[string]string{"critical": "", "low": ""},
			map[string]string{"critical": "101", "low": "46"}},
	}
	for _, c := range cases {
		r := lipgloss.NewRenderer(io.Discard)
		r.SetColorProfile(c.profile)
		r.SetHasDarkBackground(c.dark)
		d := newDriver(t, eng, 120, 40, testOpts{alerts: st, renderer: r})
		var tints []string
		for _, tn := range c.tint {
			if tn != "" {
				tints = append(tints, tn)
			}
		}
		for i, l := range alertedLines(t, d, 6) {
			sev := marked[want[i]]
			if sev == "" {
				for _, tn := range tints {
					if strings.Contains(l, tn) {
						t.Errorf("%v: row %d (seq %d) has no alert but is tinted %s:\n%q", c.profile, i, want[i], tn, l)
					}
				}
				continue
			}
			letter := alertLetter(sev)
			if !regexp.MustCompile(`\x1b\[[0-9;]*` + regexp.QuoteMeta(c.sign[sev]) + `[0-9;]*m` + letter).MatchString(l) {
				t.Errorf("%v: row %d (%s): the letter %s is not on \\x1b[%sm:\n%q", c.profile, i, sev, letter, c.sign[sev], l)
			}
			if tn := c.tint[sev]; tn != "" && strings.Count(l, tn) < 3 {
				t.Errorf("%v: row %d (%s): the row is not tinted %s:\n%q", c.profile, i, sev, tn, l)
			}
		}
	}
}

// TestLiveTailRowsAreHighlightedWhenAnAlertFires runs the alert runner
// over the engine, as vigil serve does: failed logins that arrive by the
// live tail fire the brute-force rules, and their live rows are then
// highlighted with the alerts' severity.
func TestLiveTailRowsAreHighlightedWhenAnAlertFires(t *testing.T) {
	eng := ownEngine(t, demo.Config{Events: 300, Days: 1, Seed: 7, End: demoEnd})
	st := alertStore(t)
	runner, err := alerts.NewRunner(eng, alerts.Builtin(), st, alerts.RunnerOptions{Now: func() time.Time { return testNow }, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- runner.Run(ctx) }()
	defer func() {
		cancel()
		<-done
	}()
	<-runner.Ready()

	d := newDriver(t, eng, 160, 40, testOpts{alerts: st})
	d.runQuery("action:login.failed")
	d.keys("f")
	at := demoEnd.Add(time.Hour)
	var lines []string
	for i := range 5 {
		lines = append(lines, liveLine(fmt.Sprintf("bf-%d", i), "login.failed", at.Add(time.Duration(i)*time.Minute)))
	}
	appendEvents(t, eng, lines...)
	d.waitFor("five live rows", func() bool { return len(d.m.table.res.live) == 5 })
	d.waitFor("the brute-force alerts", func() bool { return d.m.alertsStored >= 2 })
	live := map[uint64]bool{}
	for _, r := range d.m.table.res.live {
		live[r.seq] = true
	}
	for _, a := range st.Recent(10) {
		if !strings.HasPrefix(a.Rule, "brute-force") || a.Severity != "high" {
			continue
		}
		for _, s := range a.Seqs {
			if !live[s] {
				t.Errorf("alert %s is about seq %d, not one of the live rows", a.Rule, s)
			}
		}
	}
	for i, l := range alertedLines(t, d, 6) {
		sign := []rune(l)[1]
		if i < 5 && sign != 'H' {
			t.Errorf("live row %d: gutter %q, want H (the brute-force alerts are high)", i, l[:8])
		}
		if i == 5 && sign == 'H' {
			t.Errorf("row 5 is not in the alerts but is marked: %q", l)
		}
	}
}

// TestGoldenAlertScreens draws the alerts pane (listed and empty) and an
// opened alert's events at each size, without colour.
func TestGoldenAlertScreens(t *testing.T) {
	eng := demoEngine(t)
	as := demoAlerts(t)
	screens := []struct {
		name   string
		alerts []alerts.Alert
		do     func(d *driver)
	}{
		{"alerts", as, func(d *driver) { d.keys("a", "j", "j") }},
		{"alerts-empty", nil, func(d *driver) { d.keys("a") }},
		// The oldest: the brute force of the demo's planted incident.
		{"alert-opened", as, func(d *driver) { d.keys("a", "G", "enter") }},
	}
	for _, sc := range screens {
		for _, sz := range goldenSizes {
			name := fmt.Sprintf("%s-%dx%d", sc.name, sz[0], sz[1])
			t.Run(name, func(t *testing.T) {
				d := newDriver(t, eng, sz[0], sz[1], testOpts{alerts: alertStore(t, sc.alerts...)})
				sc.do(d)
				d.m.flash = "" // the flash names the alert: the golden keeps the keys
				got := d.view()
				screenLines(t, got, sz[0], sz[1])
				if strings.ContainsRune(got, '\x1b') {
					t.Error("a screen without colour holds escapes")
				}
				checkGolden(t, name, got)
			})
		}
	}
}

// TestAlertRangeHoldsTheAlertsEvents: the range of an opened alert runs
// from the second of its first event to the end of the second of its
// last.
func TestAlertRangeHoldsTheAlertsEvents(t *testing.T) {
	first := time.Date(2025, 1, 15, 14, 30, 1, 500, time.UTC)
	last := time.Date(2025, 1, 15, 14, 39, 59, 999999999, time.UTC)
	r := alertRange(&alerts.Alert{First: first, Last: last})
	since, until, err := r.resolve(testNow)
	if err != nil {
		t.Fatal(err)
	}
	if since.After(first) || !until.After(last) || until.Sub(last) > time.Second {
		t.Fatalf("range %s is [%v, %v): does not hold [%v, %v] closely", r, since, until, first, last)
	}
	if r := alertRange(&alerts.Alert{}); r.preset != "all" {
		t.Fatalf("an alert without times gets %s", r)
	}
}
