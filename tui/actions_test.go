package tui

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/dgraph-io/badger/v4"
	"github.com/muesli/termenv"

	"github.com/vigil-dev/vigil/engine"
	"github.com/vigil-dev/vigil/event"
	"github.com/vigil-dev/vigil/testdata/demo"
)

// exportTo runs the export dialog: a format (moved to with →), a path.
func (d *driver) exportTo(format, path string) {
	d.t.Helper()
	d.keys("e")
	ed := d.m.dialog.(*exportDialog)
	for ed.formats[ed.format] != format {
		d.keys("right")
	}
	d.keys("tab")
	ed.path.SetValue("")
	d.typeText(path)
	d.keys("enter")
}

func TestExportWritesTheResultsToAFileThatParses(t *testing.T) {
	eng := demoEngine(t)
	dir := t.TempDir()
	d := newDriver(t, eng, 120, 40, testOpts{})
	q := "action:login.failed"
	d.runQuery(q)
	want := oracle(t, eng, q)

	path := filepath.Join(dir, "failed.jsonl")
	d.exportTo("jsonl", path)
	outcome, ok, err := d.m.dialog.(*exportDialog).job.result()
	if !ok || err != nil || outcome != fmt.Sprintf("wrote %d events to %s (jsonl)", len(want), path) {
		t.Fatalf("export: %q, %v", outcome, err)
	}
	if !strings.Contains(d.view(), fmt.Sprintf("wrote %d events to", len(want))) {
		t.Fatalf("the dialog does not report the export:\n%s", d.view())
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	var got []uint64
	for sc.Scan() {
		var line struct {
			Seq   uint64         `json:"seq"`
			Event map[string]any `json:"event"`
		}
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
			t.Fatalf("line %d does not parse: %v", len(got)+1, err)
		}
		if line.Event["event_type"] != "login.failed" {
			t.Fatalf("line %d is a %v", len(got)+1, line.Event["event_type"])
		}
		got = append(got, line.Seq)
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("exported seqs %v, want %v", got, want)
	}
	if info, _ := os.Stat(path); info.Mode().Perm() != 0o600 {
		t.Errorf("export file mode %v, want 0600", info.Mode().Perm())
	}
	d.keys("enter")
	if d.m.dialog != nil {
		t.Fatal("enter does not close the finished export")
	}

	// The same path again: refused, and the file kept.
	d.exportTo("jsonl", path)
	if !strings.Contains(d.view(), "exists") {
		t.Fatalf("exporting over a file:\n%s", d.view())
	}
	if data, _ := os.ReadFile(path); bytes.Count(data, []byte("\n")) != len(want) {
		t.Fatal("the existing file was changed")
	}
	d.keys("esc")

	// CSV: a header and a row an event.
	cpath := filepath.Join(dir, "failed.csv")
	d.exportTo("csv", cpath)
	cf, err := os.Open(cpath)
	if err != nil {
		t.Fatal(err)
	}
	defer cf.Close()
	rows, err := csv.NewReader(cf).ReadAll()
	if err != nil || len(rows) != len(want)+1 {
		t.Fatalf("csv: %d rows, %v; want %d", len(rows), err, len(want)+1)
	}
	d.keys("esc")

	// The chain is exported whole only.
	d.exportTo("chain", filepath.Join(dir, "chain.jsonl"))
	if !strings.Contains(d.view(), "whole chain") {
		t.Fatalf("chain of a query:\n%s", d.view())
	}
}

func TestVerifyReportsIntact(t *testing.T) {
	eng := demoEngine(t)
	d := newDriver(t, eng, 120, 40, testOpts{})
	d.keys("v", "j", "enter") // the whole chain
	if !strings.Contains(d.view(), "intact: 3,000 events of the whole chain, seq 1 to 3000") {
		t.Fatalf("verify:\n%s", d.view())
	}
	d.keys("esc")
	d.runQuery("action:login.failed")
	d.keys("v", "enter") // the results' time span
	if !strings.Contains(d.view(), "intact: ") || !strings.Contains(d.view(), "events since") {
		t.Fatalf("verify of the results:\n%s", d.view())
	}
}

// TestVerifyReportsTheFirstBrokenSeq changes one stored record behind the
// store's back and checks that the dialog names it.
func TestVerifyReportsTheFirstBrokenSeq(t *testing.T) {
	dir := t.TempDir()
	if err := makeStore(dir, demo.Config{Events: 400, Days: 2, Seed: 9, End: demoEnd}); err != nil {
		t.Fatal(err)
	}
	const victim = 123
	db, err := badger.Open(badger.DefaultOptions(filepath.Join(engine.StoreDir(dir), "badger")).WithLogger(nil))
	if err != nil {
		t.Fatal(err)
	}
	key := append([]byte{'r'}, binary.BigEndian.AppendUint64(nil, victim)...)
	err = db.Update(func(txn *badger.Txn) error {
		it, err := txn.Get(key)
		if err != nil {
			return err
		}
		v, err := it.ValueCopy(nil)
		if err != nil {
			return err
		}
		i := bytes.Index(v, []byte(`"time":"`))
		if i < 0 {
			return fmt.Errorf("no time in record %d", victim)
		}
		v[i+9]++ // another year
		return txn.Set(key, v)
	})
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatal(err)
	}
	eng, err := engine.Open(dir, engine.Options{Now: func() time.Time { return testNow }})
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	d := newDriver(t, eng, 120, 40, testOpts{})
	d.keys("v", "j", "enter")
	if !strings.Contains(d.view(), fmt.Sprintf("BROKEN at seq %d: changed", victim)) {
		t.Fatalf("verify of a changed record:\n%s", d.view())
	}
}

// TestCopyPutsTheEventOnTheClipboard reads the OSC 52 sequence written to
// the terminal and checks that it carries the event's JSON.
func TestCopyPutsTheEventOnTheClipboard(t *testing.T) {
	eng := demoEngine(t)
	var out bytes.Buffer
	r := lipgloss.NewRenderer(&out)
	r.SetColorProfile(termenv.Ascii)
	d := newDriver(t, eng, 120, 40, testOpts{renderer: r})
	d.keys("j")
	sel := d.m.table.Selected()
	d.keys("y")
	s := out.String()
	i := strings.Index(s, "]52;c;")
	if i < 0 {
		t.Fatalf("no OSC 52 written: %q", s)
	}
	payload := s[i+len("]52;c;"):]
	payload = payload[:strings.IndexAny(payload, "\x07\x1b")]
	data, err := base64.StdEncoding.DecodeString(payload)
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		Seq   uint64 `json:"seq"`
		Event struct {
			ID string `json:"event_id"`
		} `json:"event"`
	}
	if err := json.Unmarshal(data, &got); err != nil {
		t.Fatalf("the clipboard holds %q: %v", data, err)
	}
	if got.Seq != sel.seq || got.Event.ID != sel.ev.ID {
		t.Fatalf("copied seq %d id %s, want %d %s", got.Seq, got.Event.ID, sel.seq, sel.ev.ID)
	}
	if !strings.Contains(d.view(), "copied the event's JSON") {
		t.Error("no word of the copy in the status line")
	}
}

// appendEvents stores native events as the live bus will deliver them.
func appendEvents(t *testing.T, eng *engine.Engine, lines ...string) {
	t.Helper()
	var evs []*event.Event
	for _, l := range lines {
		ev, err := event.Decode([]byte(l))
		if err != nil {
			t.Fatal(err)
		}
		eng.Catalogue().Normalize(ev)
		evs = append(evs, ev)
	}
	if _, err := eng.Append(context.Background(), evs); err != nil {
		t.Fatal(err)
	}
}

func liveLine(id, typ string, at time.Time) string {
	return fmt.Sprintf(`{"event_id":%q,"timestamp":%q,"event_type":%q,"actor":{"email":"live@example.com"},"context":{"ip":"198.51.100.9"}}`,
		id, at.Format(time.RFC3339Nano), typ)
}

func TestLiveTailStreamsMatchesAtTheTopAndPauses(t *testing.T) {
	eng := ownEngine(t, demo.Config{Events: 500, Days: 2, Seed: 5, End: demoEnd})
	d := newDriver(t, eng, 120, 40, testOpts{})
	d.runQuery("action:login.failed")
	before := d.m.table.res.total
	d.keys("f")
	if !d.m.live.on || d.m.live.feed == nil {
		t.Fatal("f does not follow")
	}
	at := demoEnd.Add(time.Hour)
	appendEvents(t, eng, liveLine("live-1", "login.failed", at), liveLine("live-2", "logout", at), liveLine("live-3", "login.failed", at.Add(time.Second)))
	d.waitFor("two live rows", func() bool { return len(d.m.table.res.live) == 2 })
	if d.m.table.res.Row(0).ev.ID != "live-3" || d.m.table.res.Row(1).ev.ID != "live-1" {
		t.Fatalf("live rows %s, %s: want the newest first", d.m.table.res.Row(0).ev.ID, d.m.table.res.Row(1).ev.ID)
	}
	if d.m.table.res.Row(2) == nil || d.m.table.res.Len() != before+2 {
		t.Fatalf("%d rows, want the %d results under the 2 live ones", d.m.table.res.Len(), before)
	}
	if !strings.Contains(d.view(), "● LIVE") || !strings.Contains(d.view(), "+2 live") {
		t.Fatalf("status line:\n%s", d.view())
	}
	// Away from the top, the view holds still on the same events.
	d.keys("j", "j")
	selSeq := d.m.table.Selected().seq
	appendEvents(t, eng, liveLine("live-4", "login.failed", at.Add(2*time.Second)))
	d.waitFor("a third live row", func() bool { return len(d.m.table.res.live) == 3 })
	if d.m.table.Selected().seq != selSeq {
		t.Fatal("a live row moved the selection off its event")
	}
	// Paused: nothing moves; the status line counts what arrives.
	d.keys("space")
	appendEvents(t, eng, liveLine("live-5", "login.failed", at.Add(3*time.Second)), liveLine("live-6", "login.failed", at.Add(4*time.Second)))
	d.waitFor("two held", func() bool { return d.m.live.heldN == 2 })
	if len(d.m.table.res.live) != 3 || !strings.Contains(d.view(), "PAUSED +2 arrived") {
		t.Fatalf("paused: %d live rows\n%s", len(d.m.table.res.live), d.view())
	}
	d.keys("space")
	if len(d.m.table.res.live) != 5 || d.m.table.res.Row(0).ev.ID != "live-6" {
		t.Fatal("resuming does not let the held rows in")
	}
	// Off.
	d.keys("f")
	d.settle()
	if d.m.live.on || d.m.live.feed != nil || eng.Subscribers() != 0 {
		t.Fatalf("f again: on %v, %d subscribers", d.m.live.on, eng.Subscribers())
	}
}

// TestLiveTailKeepsUpWithABurst appends thousands of events while
// following and checks that every match arrives, that the live rows stay
// within their bound, and that bursts are drawn in far fewer frames than
// deliveries.
func TestLiveTailKeepsUpWithABurst(t *testing.T) {
	eng := ownEngine(t, demo.Config{Events: 200, Days: 1, Seed: 6, End: demoEnd})
	d := newDriver(t, eng, 120, 40, testOpts{tune: func(tu *tuning) { tu.liveMax = 1000; tu.frame = 16 * time.Millisecond }})
	d.runQuery("action:login.failed")
	d.keys("f")
	at := demoEnd.Add(time.Hour)
	const batches, per = 50, 100
	go func() {
		for b := 0; b < batches; b++ {
			var lines []string
			for i := 0; i < per; i++ {
				typ := "login.failed"
				if i%2 == 1 {
					typ = "logout"
				}
				lines = append(lines, liveLine(fmt.Sprintf("burst-%d-%d", b, i), typ, at.Add(time.Duration(b*per+i)*time.Millisecond)))
			}
			appendEvents(t, eng, lines...)
		}
	}()
	start := time.Now()
	d.waitFor("every match", func() bool { return d.m.live.matched == batches*per/2 })
	elapsed := time.Since(start)
	if n := len(d.m.table.res.live); n != 1000 {
		t.Fatalf("%d live rows, want the bound of 1000", n)
	}
	if d.m.table.res.liveDropped != batches*per/2-1000 {
		t.Fatalf("%d dropped, want %d", d.m.table.res.liveDropped, batches*per/2-1000)
	}
	if d.m.live.arrived != batches*per {
		t.Fatalf("%d arrivals counted, want %d", d.m.live.arrived, batches*per)
	}
	// At most one drain (one render) a frame, however many deliveries.
	if max := int(elapsed/(16*time.Millisecond)) + 2; d.m.live.drains > max {
		t.Errorf("%d drains in %v: more than one a frame", d.m.live.drains, elapsed)
	}
	t.Logf("%d events in %d deliveries drawn in %d frames over %v", batches*per, d.m.live.deliveries, d.m.live.drains, elapsed)
}

// TestContextEndsTheLiveTail: when the session's context ends (an SSH
// connection drops), the subscription goes with it.
func TestContextEndsTheLiveTail(t *testing.T) {
	eng := ownEngine(t, demo.Config{Events: 300, Days: 1, Seed: 4, End: demoEnd})
	ctx, cancel := context.WithCancel(context.Background())
	m := newModel(eng, Options{Renderer: plainRenderer(), Context: ctx, Now: func() time.Time { return testNow }})
	m.c.tune.noTicks, m.c.tune.frame = true, 0
	d := &driver{t: t, m: m, msgs: make(chan tea.Msg, 64)}
	d.exec(m.Init())
	d.send(tea.WindowSizeMsg{Width: 120, Height: 40})
	d.keys("f")
	if eng.Subscribers() != 1 {
		t.Fatalf("%d subscribers while following", eng.Subscribers())
	}
	cancel()
	deadline := time.Now().Add(10 * time.Second)
	for eng.Subscribers() != 0 {
		if time.Now().After(deadline) {
			t.Fatal("the subscription outlives the context")
		}
		time.Sleep(10 * time.Millisecond)
	}
}
