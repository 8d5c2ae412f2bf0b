package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// matchesRe reads the status line's match count.
var matchesRe = regexp.MustCompile(`([0-9,]+) match(?:es)?\b`)

func statusMatches(screen string) (int, bool) {
	m := matchesRe.FindAllStringSubmatch(screen, -1)
	if m == nil {
		return 0, false
	}
	n, err := strconv.Atoi(strings.ReplaceAll(m[len(m)-1][1], ",", ""))
	return n, err == nil
}

// queryCount is what vigil query --count says.
func queryCount(t *testing.T, data, q string) int {
	t.Helper()
	r := run(t, data, nil, "query", "--count", q)
	if r.code != 0 {
		t.Fatalf("query --count %s: %s %s", q, r.stdout, r.stderr)
	}
	n, err := strconv.Atoi(strings.TrimSpace(r.stdout))
	if err != nil {
		t.Fatalf("query --count %s: %q", q, r.stdout)
	}
	return n
}

// hasRawEscape reports a control character in captured text: a capture
// without -e holds none unless the program wrote one that the terminal
// did not interpret.
func hasRawEscape(s string) bool {
	for _, r := range s {
		if r < 0x20 && r != '\n' || r == 0x7f || r >= 0x80 && r < 0xa0 {
			return true
		}
	}
	return false
}

// TestExplorerEndToEnd drives the real binary in tmux over a demo store:
// first screen, a query whose count matches vigil query --count, a detail,
// the hostile events, quit.
func TestExplorerEndToEnd(t *testing.T) {
	needTmux(t)
	data := demoData(t)
	const q = "action:login.failed"
	want := queryCount(t, data, q)
	wantHostile := queryCount(t, data, "details.hostile:true")
	if want == 0 || wantHostile == 0 {
		t.Fatalf("demo store has %d %s and %d hostile events", want, q, wantHostile)
	}

	// Debug logging on: the store's and the index's logs must go to the
	// explorer's log file, never onto its screen.
	tm := startTmux(t, 120, 40, []string{"TERM=xterm-256color", "COLORTERM=truecolor"}, "--data", data, "--log-level", "debug", "tui")
	first := tm.waitText("3,000 matches", 15*time.Second)
	for _, s := range []string{"CATEGORIES", "authentication", "TIME", "ACTION"} {
		if !strings.Contains(first, s) {
			t.Errorf("first screen lacks %q:\n%s", s, first)
		}
	}
	title := tm.title()

	// A query narrows the table; the status count is the CLI's.
	tm.keys("/")
	tm.keys("C-u")
	tm.text(q)
	tm.keys("Enter")
	s := tm.waitFor("the query's count", 10*time.Second, func(s string) bool {
		n, ok := statusMatches(s)
		return ok && n == want
	})
	if strings.Contains(s, "login.success") {
		t.Errorf("login.success rows after filtering on %s:\n%s", q, s)
	}

	// Export the results: the file holds exactly the matches.
	tm.keys("e")
	tm.waitText("Export results", 5*time.Second)
	tm.keys("Tab", "C-u")
	tm.text("failed.jsonl")
	tm.keys("Enter")
	s = tm.waitText("✓ wrote", 20*time.Second)
	m := regexp.MustCompile(`wrote ([0-9,]+) events`).FindStringSubmatch(s)
	if m == nil {
		t.Fatalf("export outcome not understood:\n%s", s)
	}
	if n, _ := strconv.Atoi(strings.ReplaceAll(m[1], ",", "")); n != want {
		t.Errorf("export says %s events, want %d", m[1], want)
	}
	exported, err := os.ReadFile(filepath.Join(tm.dir, "failed.jsonl"))
	if err != nil {
		t.Fatalf("read the export: %v", err)
	}
	lines := strings.Split(strings.TrimSpace(string(exported)), "\n")
	if len(lines) != want {
		t.Errorf("the export holds %d lines, want %d", len(lines), want)
	}
	for i, l := range lines {
		var rec struct {
			Seq   uint64 `json:"seq"`
			Event struct {
				EventType string `json:"event_type"`
			} `json:"event"`
		}
		if err := json.Unmarshal([]byte(l), &rec); err != nil {
			t.Fatalf("export line %d does not parse: %v", i+1, err)
		}
		if rec.Seq == 0 || rec.Event.EventType != "login.failed" {
			t.Fatalf("export line %d is seq %d, a %q", i+1, rec.Seq, rec.Event.EventType)
		}
	}
	tm.escape()

	// Verify the whole chain.
	tm.keys("v")
	tm.waitText("Verify the hash chain", 5*time.Second)
	tm.keys("j", "Enter")
	s = tm.waitText("✓ intact", 20*time.Second)
	if !strings.Contains(s, "3,000") {
		t.Errorf("verify of the whole chain does not say 3,000 events:\n%s", s)
	}
	tm.escape()

	// A detail opens on enter and closes on esc.
	tm.keys("Enter")
	tm.waitFor("the detail pane", 10*time.Second, func(s string) bool {
		return strings.Contains(s, "login.failed") && strings.Contains(strings.ToLower(s), "hash")
	})
	tm.escape()

	// The hostile events: visible placeholders, no raw control character,
	// the title untouched, the layout in place.
	tm.keys("/")
	tm.keys("C-u")
	tm.text("details.hostile:true")
	tm.keys("Enter")
	tm.waitFor("the hostile events", 10*time.Second, func(s string) bool {
		n, ok := statusMatches(s)
		return ok && n == wantHostile
	})
	// tmux interprets what reaches it, so a capture holds no escape even
	// when one got through: what shows is that each sequence arrived as
	// its placeholders (and that the title and the layout held).
	// Each hostile event is opened in turn (] steps to the next one in
	// the detail), and must be a different event each time.
	var seen strings.Builder
	eventSeq := regexp.MustCompile(`EVENT seq (\d+)`)
	opened := map[string]bool{}
	tm.keys("Enter")
	prev := ""
	for i := 0; i < wantHostile; i++ {
		d := tm.waitFor(fmt.Sprintf("hostile event %d's detail", i), 10*time.Second, func(s string) bool {
			m := eventSeq.FindStringSubmatch(s)
			return m != nil && m[1] != prev
		})
		prev = eventSeq.FindStringSubmatch(d)[1]
		opened[prev] = true
		seen.WriteString(d)
		if hasRawEscape(d) {
			t.Fatalf("hostile event %d: a raw control character reached the screen:\n%q", i, d)
		}
		if !strings.Contains(d, "CATEGORIES") && !strings.Contains(d, "matches") {
			t.Fatalf("hostile event %d: the layout is gone:\n%s", i, d)
		}
		if i < wantHostile-1 {
			tm.keys("]")
		}
	}
	if len(opened) != wantHostile {
		t.Errorf("opened %d distinct hostile events, want %d", len(opened), wantHostile)
	}
	tm.escape()
	if got := tm.title(); got != title || strings.Contains(got, "pwned") {
		t.Errorf("pane title changed from %q to %q", title, got)
	}
	if raw := tm.raw(); strings.Contains(raw, "\x1b]") || strings.Contains(raw, "\x1b[2J") {
		t.Errorf("an OSC or clear-screen sequence is in the pane:\n%q", raw)
	}
	for _, p := range []string{"␛]0;pwned␇", "␛[2J␛[H", "␛[31mred"} {
		if !strings.Contains(seen.String(), p) {
			t.Errorf("the hostile events' details never show %q:\n%s", p, seen.String())
		}
	}

	tm.keys("q")
	if s := tm.waitText("vigil-exited-0", 10*time.Second); strings.Contains(s, "level=") {
		t.Errorf("a log line reached the terminal:\n%s", s)
	}
	logged, err := os.ReadFile(filepath.Join(data, explorerLog))
	if err != nil || !strings.Contains(string(logged), "level=DEBUG") {
		t.Errorf("the explorer's log holds no debug lines (%v): %.300q", err, logged)
	}
}

// TestExplorerAlertsEndToEnd: vigil serve evaluates the demo's rules
// (DATA/rules.yaml, which vigil demo writes) on failed logins posted to
// it, for a user whose name carries escapes, and stores the alerts. After
// it stops, the explorer counts them in its header, lists them (a) with
// the escapes as placeholders, and enter on the brute force shows exactly
// the events vigil alerts list --json names, each marked H (high); esc
// goes back to the list.
func TestExplorerAlertsEndToEnd(t *testing.T) {
	needTmux(t)
	data := demoData(t)
	// vigil demo stored what its rules fired on the demo's incidents.
	r := run(t, data, nil, "alerts", "list", "--json")
	if r.code != 0 {
		t.Fatalf("alerts list: %s", r.stderr)
	}
	demoAlerts := strings.Count(r.stdout, "\n")
	if demoAlerts == 0 {
		t.Fatalf("vigil demo stored no alerts")
	}
	s := startServe(t, data, []string{"VIGIL_TOKEN=t"}, "--http", "127.0.0.1:0")
	var b strings.Builder
	for i := range 6 {
		fmt.Fprintf(&b, `{"event_id":"bf%d","timestamp":"2025-02-01T03:0%d:00Z","event_type":"login.failed","actor":{"email":"mallory\u001b]0;pwned\u0007@example.com"},"context":{"ip":"203.0.113.66"}}`+"\n", i, i)
	}
	s.post(t, "t", b.String())
	s.waitMetrics(t, "the two brute-force alerts", func(m string) bool {
		f := alertsFired.FindStringSubmatch(m)
		return f != nil && f[1] == "2"
	})
	s.cmd.Process.Signal(syscall.SIGTERM)
	if code := s.wait(t); code != 0 {
		t.Fatalf("serve exit %d: %s", code, s.errOut.String())
	}

	// The oracle: what the store holds, newest first as the pane lists it.
	r = run(t, data, nil, "alerts", "list", "--json")
	if r.code != 0 {
		t.Fatalf("alerts list: %s", r.stderr)
	}
	type listed struct {
		Rule     string   `json:"rule"`
		Severity string   `json:"severity"`
		Seqs     []uint64 `json:"seqs"`
		Query    string   `json:"query"`
	}
	var stored []listed
	for _, l := range strings.Split(strings.TrimSpace(r.stdout), "\n") {
		var a listed
		if err := json.Unmarshal([]byte(l), &a); err != nil {
			t.Fatalf("alerts list --json: %v: %q", err, l)
		}
		stored = append(stored, a)
	}
	pick := -1
	for i, a := range stored {
		if a.Rule == "brute-force-user" {
			pick = i // the newest: serve's, listed before the demo's
			break
		}
	}
	if len(stored) != demoAlerts+2 || pick < 0 || pick > 1 || len(stored[pick].Seqs) != 5 || stored[pick].Severity != "high" {
		t.Fatalf("stored alerts: %+v", stored)
	}
	want := stored[pick]

	tm := startTmux(t, 120, 40, []string{"TERM=xterm-256color", "COLORTERM=truecolor"}, "--data", data, "tui")
	tm.waitText("3,006 matches", 15*time.Second)
	header := fmt.Sprintf("%d alerts", len(stored))
	if screen := tm.waitText(header, 5*time.Second); !strings.Contains(strings.SplitN(screen, "\n", 2)[0], header) {
		t.Errorf("the header does not count the alerts:\n%s", screen)
	}
	title := tm.title()
	tm.keys("a")
	screen := tm.waitText("ALERTS", 5*time.Second)
	for _, w := range []string{"brute-force-user", "brute-force-ip", "user=mallory␛]0;pwned␇@example.com", "ip=203.0.113.66"} {
		if !strings.Contains(screen, w) {
			t.Errorf("the alerts pane lacks %q:\n%s", w, screen)
		}
	}
	if hasRawEscape(screen) || tm.title() != title {
		t.Fatalf("a hostile group value reached the terminal (title %q):\n%q", tm.title(), screen)
	}
	for range pick {
		tm.keys("j")
	}
	tm.keys("Enter")
	screen = tm.waitFor("the alert's events", 10*time.Second, func(s string) bool {
		n, ok := statusMatches(s)
		return ok && n == len(want.Seqs)
	})
	if !strings.Contains(screen, "/ "+want.Query) {
		t.Errorf("the query bar does not hold the alert's query %q:\n%s", want.Query, screen)
	}
	var rows []string
	for _, l := range strings.Split(screen, "\n") {
		if strings.Contains(l, "login.failed") && strings.Contains(l, "02-01 03:0") {
			rows = append(rows, l)
		}
	}
	if len(rows) != len(want.Seqs) {
		t.Fatalf("%d rows of the alert's failed logins on screen, want %d:\n%s", len(rows), len(want.Seqs), screen)
	}
	for i, l := range rows {
		// The fifth failure fired: the sixth (03:05) is not the alert's.
		if !strings.Contains(l, fmt.Sprintf("02-01 03:0%d:00", 4-i)) {
			t.Errorf("row %d is not the failure at 03:0%d:\n%s", i, 4-i, l)
		}
		rest := l[strings.Index(l, "│")+len("│"):]
		if g := []rune(rest); g[1] != 'H' {
			t.Errorf("row %d is not marked H (a high alert): %q", i, rest)
		}
	}
	tm.escape()
	tm.waitText("ALERTS", 5*time.Second)
	tm.keys("q")
	tm.waitText("vigil-exited-0", 10*time.Second)
}
