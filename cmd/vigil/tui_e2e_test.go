package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
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

	tm := startTmux(t, 120, 40, []string{"TERM=xterm-256color", "COLORTERM=truecolor"}, "--data", data, "tui")
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
	tm.keys("Escape")

	// Verify the whole chain.
	tm.keys("v")
	tm.waitText("Verify the hash chain", 5*time.Second)
	tm.keys("j", "Enter")
	s = tm.waitText("✓ intact", 20*time.Second)
	if !strings.Contains(s, "3,000") {
		t.Errorf("verify of the whole chain does not say 3,000 events:\n%s", s)
	}
	tm.keys("Escape")

	// A detail opens on enter and closes on esc.
	tm.keys("Enter")
	tm.waitFor("the detail pane", 10*time.Second, func(s string) bool {
		return strings.Contains(s, "login.failed") && strings.Contains(strings.ToLower(s), "hash")
	})
	tm.keys("Escape")

	// The hostile events: visible placeholders, no raw control character,
	// the title untouched, the layout in place.
	tm.keys("/")
	tm.keys("C-u")
	tm.text("details.hostile:true")
	tm.keys("Enter")
	s = tm.waitFor("the hostile events", 10*time.Second, func(s string) bool {
		n, ok := statusMatches(s)
		return ok && n == wantHostile
	})
	for i := 0; i < wantHostile; i++ {
		tm.keys("Enter")
		time.Sleep(150 * time.Millisecond)
		d := tm.screen()
		if hasRawEscape(d) {
			t.Fatalf("hostile event %d: a raw control character reached the screen:\n%q", i, d)
		}
		if !strings.Contains(d, "CATEGORIES") && !strings.Contains(d, "matches") {
			t.Fatalf("hostile event %d: the layout is gone:\n%s", i, d)
		}
		tm.keys("Escape", "j")
	}
	if got := tm.title(); got != title || strings.Contains(got, "pwned") {
		t.Errorf("pane title changed from %q to %q", title, got)
	}
	if raw := tm.raw(); strings.Contains(raw, "\x1b]") || strings.Contains(raw, "\x1b[2J") {
		t.Errorf("an OSC or clear-screen sequence is in the pane:\n%q", raw)
	}
	if s := tm.screen(); !strings.Contains(s, "␛") {
		t.Errorf("the hostile events show no ␛ placeholder:\n%s", s)
	}

	tm.keys("q")
	tm.waitText("vigil-exited-0", 10*time.Second)
}
