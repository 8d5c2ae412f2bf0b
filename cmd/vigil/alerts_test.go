package main

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vigil-dev/vigil/alerts"
)

func TestAlertsTestBacktestsTheBuiltinRules(t *testing.T) {
	data := t.TempDir()
	// Five failed sign-ins of one (hostile) account from one address in
	// four minutes, and a sign-in at night.
	var lines []string
	for i := range 5 {
		lines = append(lines, fmt.Sprintf(`{"event_id":"f%d","timestamp":"2025-01-15T10:0%d:00Z","event_type":"login.failed","actor":{"email":"ana\u001b[2J@example.com"},"context":{"ip":"203.0.113.7"}}`, i, i))
	}
	lines = append(lines, `{"event_id":"n1","timestamp":"2025-01-16T03:00:00Z","event_type":"login.success","actor":{"email":"bo@example.com"}}`)
	in := writeFile(t, "events.jsonl", strings.Join(lines, "\n")+"\n")
	if r := run(t, data, nil, "ingest", in); r.code != 0 {
		t.Fatalf("ingest: %+v", r)
	}

	r := run(t, data, nil, "alerts", "test", "--all", "--json")
	if r.code != 0 {
		t.Fatalf("alerts test: %+v", r)
	}
	var got []string
	for _, l := range strings.Split(strings.TrimSpace(r.stdout), "\n") {
		var a struct {
			Rule, Severity string
			Group          map[string]string
			Count          int
			Seqs           []uint64
		}
		if err := json.Unmarshal([]byte(l), &a); err != nil {
			t.Fatalf("%q: %v", l, err)
		}
		if strings.ContainsRune(l, 0x1b) {
			t.Errorf("raw escape in %q", l)
		}
		got = append(got, fmt.Sprintf("%s %s %v %d %v", a.Rule, a.Severity, a.Group, a.Count, a.Seqs))
	}
	want := []string{
		"brute-force-user high map[user:ana\x1b[2J@example.com] 5 [1 2 3 4 5]",
		"brute-force-ip high map[ip:203.0.113.7] 5 [1 2 3 4 5]",
		"off-hours-login medium map[user:bo@example.com] 1 [6]",
	}
	if !slices.Equal(got, want) {
		t.Errorf("alerts\n  %s\nwant\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
	if !strings.Contains(r.stderr, "3 alerts from 7 rules of builtin.yaml over 6 stored events (all)") {
		t.Errorf("stderr %q", r.stderr)
	}

	// The table shows the hostile value escaped.
	r = run(t, data, nil, "alerts", "test", "--since", "2025-01-16")
	if r.code != 0 || strings.ContainsRune(r.stdout, 0x1b) || !strings.Contains(r.stdout, "off-hours-login") || strings.Contains(r.stdout, "brute-force") {
		t.Errorf("table since 2025-01-16: %+v", r)
	}
	if !strings.Contains(r.stderr, "1 alerts from 7 rules of builtin.yaml over 1 events since 2025-01-16T00:00:00Z (and 5 before, to fill the windows)") {
		t.Errorf("stderr %q", r.stderr)
	}
	r = run(t, data, nil, "alerts", "test", "--all")
	if !strings.Contains(r.stdout, "user=ana␛[2J@example.com") {
		t.Errorf("table: %s", r.stdout)
	}
}

func TestAlertsRulesCheckListAndTestAction(t *testing.T) {
	data := t.TempDir()
	r := run(t, data, nil, "alerts", "rules")
	if r.code != 0 || r.stdout != string(alerts.BuiltinYAML) {
		t.Errorf("alerts rules: code %d, %d bytes", r.code, len(r.stdout))
	}
	bad := writeFile(t, "bad.yaml", "rules:\n  - name: r1\n    match: action:login.failed\n    severity: urgent\n")
	r = run(t, data, nil, "alerts", "check", bad)
	if r.code != 1 || !strings.Contains(r.stderr, `bad.yaml:4: rule r1: severity: "urgent": want one of info, low, medium, high, critical`) {
		t.Errorf("check bad: %+v", r)
	}

	var body []byte
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ = io.ReadAll(r.Body)
	}))
	defer srv.Close()
	good := writeFile(t, "rules.yaml", fmt.Sprintf(`
actions:
  - {name: hook, type: webhook, url: %q}
rules:
  - {name: r1, severity: low, match: "action:login.failed", actions: [hook]}
`, srv.URL))
	r = run(t, data, nil, "alerts", "check", good)
	if r.code != 0 || !strings.Contains(r.stdout, "1 rules, 1 actions") {
		t.Errorf("check good: %+v", r)
	}
	r = run(t, data, nil, "alerts", "test-action", good, "hook")
	if r.code != 0 || !strings.Contains(r.stdout, "action hook (webhook): delivered") || !strings.Contains(string(body), `"type":"vigil.alert"`) {
		t.Errorf("test-action: %+v, body %s", r, body)
	}
	if r = run(t, data, nil, "alerts", "test-action", good, "pager"); r.code != 1 || !strings.Contains(r.stderr, `has no action "pager" (it has: hook)`) {
		t.Errorf("test-action pager: %+v", r)
	}
	srv.Close()
	if r = run(t, data, nil, "alerts", "test-action", good, "hook"); r.code != 1 || !strings.Contains(r.stderr, "action hook (webhook)") {
		t.Errorf("test-action down: %+v", r)
	}

	// Stored alerts, as vigil serve leaves them.
	st, err := alerts.OpenStore(data, alerts.StoreOptions{})
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2025, 1, 15, 10, 4, 0, 0, time.UTC)
	if _, err := st.Append([]alerts.Alert{
		{ID: "alt_1", Rule: "brute-force-user", Severity: "high", Group: map[string]string{"user": "ana@example.com"}, Count: 2, TriggerSeq: 5, Seqs: []uint64{4, 5}, Time: at},
		{ID: "alt_2", Rule: "off-hours-login", Severity: "medium", Group: map[string]string{"user": "bo@example.com"}, Count: 1, TriggerSeq: 6, Seqs: []uint64{6}, Time: at.Add(time.Hour)},
	}); err != nil {
		t.Fatal(err)
	}
	st.Close()
	r = run(t, data, nil, "alerts", "list", "--json", "--severity", "high")
	var l struct {
		ID, Query string
	}
	if err := json.Unmarshal([]byte(r.stdout), &l); err != nil || l.ID != "alt_1" || l.Query != "seq:4 OR seq:5" {
		t.Errorf("list --json: %+v (%v)", r, err)
	}
	r = run(t, data, nil, "alerts", "list")
	if lines := strings.Split(strings.TrimSpace(r.stdout), "\n"); len(lines) != 3 || !strings.Contains(lines[1], "brute-force-user") || !strings.Contains(r.stderr, "2 of 2 stored alerts") {
		t.Errorf("list: %+v", r)
	}
	if _, err := os.Stat(filepath.Join(data, "alerts", "alerts.jsonl")); err != nil {
		t.Error(err)
	}
}

// The demo writes its own rules (each person's home zone), and a backtest
// of them over the demo store finds every planted incident.
func TestDemoRulesFindThePlantedIncidents(t *testing.T) {
	data := filepath.Join(t.TempDir(), "d")
	r := run(t, data, nil, "demo", "--events", "50000", "--end", "2025-02-01T00:00:00Z")
	if r.code != 0 {
		t.Fatalf("demo: %s %s", r.stdout, r.stderr)
	}
	r = run(t, data, nil, "alerts", "test", "--all", "--json")
	if r.code != 0 {
		t.Fatalf("alerts test: %s %s", r.stdout, r.stderr)
	}
	if !strings.Contains(r.stderr, "rules.yaml") {
		t.Errorf("the backtest did not use the demo's rules: %s", r.stderr)
	}
	fired := rulesOf(t, r.stdout)
	// 50,000 events plant one incident of each kind; brute force fires
	// both its per-user and its per-IP rule. Ordinary traffic holds a few
	// admin assignments (escalations too), and nothing else.
	for _, rule := range []string{"brute-force-user", "brute-force-ip", "mass-export-large", "off-hours-login", "new-location"} {
		if fired[rule] != 1 {
			t.Errorf("%s fired %d times, want once: %v", rule, fired[rule], fired)
		}
	}
	if fired["privilege-escalation"] == 0 {
		t.Errorf("no privilege escalation: %v", fired)
	}
	if n := len(fired); n != 6 {
		t.Errorf("rules fired: %v", fired)
	}
	// vigil demo stored exactly what the backtest finds.
	r = run(t, data, nil, "alerts", "list", "--json")
	if r.code != 0 {
		t.Fatalf("alerts list: %s", r.stderr)
	}
	if stored := rulesOf(t, r.stdout); !maps.Equal(stored, fired) {
		t.Errorf("vigil demo stored alerts of %v, the backtest fires %v", stored, fired)
	}
}

// rulesOf counts the alerts of each rule in JSON lines of alerts.
func rulesOf(t *testing.T, jsonl string) map[string]int {
	t.Helper()
	n := map[string]int{}
	for _, l := range strings.Split(strings.TrimSpace(jsonl), "\n") {
		var a struct{ Rule string }
		if err := json.Unmarshal([]byte(l), &a); err != nil {
			t.Fatalf("%q: %v", l, err)
		}
		n[a.Rule]++
	}
	return n
}
