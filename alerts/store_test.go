package alerts

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func sampleAlert(rule, severity string, trigger uint64, at time.Time, seqs ...uint64) Alert {
	g := map[string]string{"user": "bob@x.com"}
	return Alert{ID: alertID(rule, []string{"bob@x.com"}, trigger), Rule: rule, Severity: severity, Group: g,
		Count: len(seqs), TriggerSeq: trigger, Seqs: seqs, Time: at, First: at, Last: at}
}

func TestStoreKeepsAlertsAcrossReopenAndAnswersQueries(t *testing.T) {
	dir := t.TempDir()
	st, err := OpenStore(dir, StoreOptions{})
	if err != nil {
		t.Fatal(err)
	}
	a1 := sampleAlert("brute-force-user", "high", 5, t0, 1, 2, 3, 4, 5)
	a2 := sampleAlert("off-hours-login", "medium", 3, t0.Add(-time.Hour), 3)
	a3 := sampleAlert("new-location", "low", 9, t0.Add(time.Hour), 9)
	a3.Group["user"] = "evil\u001b[2J\u202e"
	stored, err := st.Append([]Alert{a1, a2, a1})
	if err != nil || len(stored) != 2 {
		t.Fatalf("append: %d stored, %v", len(stored), err)
	}
	if stored, _ := st.Append([]Alert{a1, a3}); len(stored) != 1 || stored[0].ID != a3.ID {
		t.Fatalf("second append stored %v", stored)
	}
	if err := st.SaveLastSeq(9); err != nil {
		t.Fatal(err)
	}
	// Another process lists while this one writes.
	ro, err := OpenStore(dir, StoreOptions{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	if _, err := OpenStore(dir, StoreOptions{}); err == nil || !strings.Contains(err.Error(), "another process") {
		t.Errorf("a second writer: %v", err)
	}
	st.Close()

	st, err = OpenStore(dir, StoreOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if st.Len() != 3 || st.LastSeq() != 9 {
		t.Fatalf("reopened: %d alerts, last seq %d", st.Len(), st.LastSeq())
	}
	ids := func(as []Alert) []string {
		var out []string
		for _, a := range as {
			out = append(out, a.Rule)
		}
		return out
	}
	for _, c := range []struct {
		f    Filter
		want []string
	}{
		{Filter{}, []string{"new-location", "brute-force-user", "off-hours-login"}},
		{Filter{Severity: "medium"}, []string{"brute-force-user", "off-hours-login"}},
		{Filter{Severity: "HIGH"}, []string{"brute-force-user"}},
		{Filter{Rule: "off-hours-login"}, []string{"off-hours-login"}},
		{Filter{Since: t0}, []string{"new-location", "brute-force-user"}},
		{Filter{Until: t0}, []string{"off-hours-login"}},
		{Filter{Seq: 3}, []string{"brute-force-user", "off-hours-login"}},
		{Filter{Limit: 1}, []string{"new-location"}},
	} {
		if got := ids(st.List(c.f)); !slices.Equal(got, c.want) {
			t.Errorf("List(%+v) = %v, want %v", c.f, got, c.want)
		}
	}
	for seq, want := range map[uint64]string{3: "high", 1: "high", 9: "low", 7: ""} {
		got, ok := st.AlertSeverity(seq)
		if got != want || ok != (want != "") {
			t.Errorf("AlertSeverity(%d) = %q, %v; want %q", seq, got, ok, want)
		}
	}
	// The reader sees nothing new until it refreshes.
	if ro.Len() != 3 {
		t.Errorf("reader has %d", ro.Len())
	}
	changed := ro.Changed()
	a4 := sampleAlert("mass-export-large", "critical", 12, t0.Add(2*time.Hour), 12)
	if _, err := st.Append([]Alert{a4}); err != nil {
		t.Fatal(err)
	}
	if err := ro.Refresh(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-changed:
	default:
		t.Error("Changed not closed by a refresh that found alerts")
	}
	if sev, _ := ro.AlertSeverity(12); sev != "critical" || ro.Len() != 4 {
		t.Errorf("after refresh: %d alerts, seq 12 %q", ro.Len(), sev)
	}
	// Hostile values are escaped on the line, and read back as they were.
	b, _ := os.ReadFile(filepath.Join(Dir(dir), alertsFile))
	if strings.ContainsAny(string(b), "\u001b\u202e") || !strings.Contains(string(b), `\u001b[2J\u202e`) {
		t.Errorf("hostile value written raw: %s", b)
	}
	if got := ro.List(Filter{Rule: "new-location"}); got[0].Group["user"] != "evil\u001b[2J\u202e" {
		t.Errorf("read back %q", got[0].Group["user"])
	}
}

func TestStoreRepairsATornLastLineAndRejectsABadOne(t *testing.T) {
	dir := t.TempDir()
	st, err := OpenStore(dir, StoreOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Append([]Alert{sampleAlert("r", "low", 1, t0, 1)}); err != nil {
		t.Fatal(err)
	}
	st.Close()
	path := filepath.Join(Dir(dir), alertsFile)
	f, _ := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString(`{"id":"alt_x","rule":"r","sev`) // a crash in the middle of an append
	f.Close()

	// A reader skips the torn line; the writer cuts it off.
	ro, err := OpenStore(dir, StoreOptions{ReadOnly: true})
	if err != nil || ro.Len() != 1 {
		t.Fatalf("reader: %v", err)
	}
	ro.Close()
	st, err = OpenStore(dir, StoreOptions{})
	if err != nil || st.Len() != 1 {
		t.Fatalf("writer: %v", err)
	}
	if _, err := st.Append([]Alert{sampleAlert("r", "low", 2, t0, 2)}); err != nil {
		t.Fatal(err)
	}
	st.Close()
	st, err = OpenStore(dir, StoreOptions{})
	if err != nil || st.Len() != 2 {
		t.Fatalf("after repair: %v", err)
	}
	st.Close()

	// A line that is whole but not an alert is an error naming it.
	b, _ := os.ReadFile(path)
	os.WriteFile(path, append([]byte("{\"id\":\"alt_1\",\"rule\":\"r\"}\nnot json\n"), b...), 0o600)
	if _, err := OpenStore(dir, StoreOptions{}); err == nil || !strings.Contains(err.Error(), "alerts.jsonl:2: not an alert") {
		t.Errorf("bad line: %v", err)
	}
}
