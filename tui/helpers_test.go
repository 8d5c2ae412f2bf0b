package tui

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"

	"github.com/vigil-dev/vigil/engine"
	"github.com/vigil-dev/vigil/event"
	"github.com/vigil-dev/vigil/ingest"
	"github.com/vigil-dev/vigil/store"
	"github.com/vigil-dev/vigil/testdata/demo"
)

var update = flag.Bool("update", false, "rewrite the golden View() files in testdata/")

// The demo store's events end before demoEnd; the explorer's clock is a
// day later, and every record was received at receivedAt.
var (
	demoEnd    = time.Date(2025, 2, 1, 0, 0, 0, 0, time.UTC)
	testNow    = demoEnd.Add(24 * time.Hour)
	receivedAt = time.Date(2025, 2, 1, 12, 0, 0, 0, time.UTC)
	demoConfig = demo.Config{Events: 3000, Days: 7, Seed: 3, End: demoEnd}
)

// tempRoot holds the stores the package's tests make.
var tempRoot string

func TestMain(m *testing.M) {
	flag.Parse()
	dir, err := os.MkdirTemp("", "vigil-tui")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	tempRoot = dir
	code := m.Run()
	closeShared()
	os.RemoveAll(dir)
	os.Exit(code)
}

// makeStore fills a data directory with the events of cfg, received at a
// fixed time (so hashes are the same on every run), and indexes them.
func makeStore(dir string, cfg demo.Config) error {
	st, err := store.Open(engine.StoreDir(dir), store.Options{Clock: func() time.Time { return receivedAt }, NoSync: true})
	if err != nil {
		return err
	}
	var buf strings.Builder
	if _, err := demo.WriteJSONL(&buf, cfg); err != nil {
		st.Close()
		return err
	}
	_, err = ingest.Run(context.Background(), st, []ingest.Source{{Name: "demo", R: strings.NewReader(buf.String())}}, ingest.Options{})
	if cerr := st.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	e, err := engine.Open(dir, engine.Options{Now: func() time.Time { return testNow }})
	if err != nil {
		return err
	}
	err = e.CatchUp(context.Background(), nil)
	if cerr := e.Close(); err == nil {
		err = cerr
	}
	return err
}

var (
	sharedOnce sync.Once
	sharedEng  *engine.Engine
	sharedErr  error
)

// demoEngine is one engine over the demo store, shared by the tests that
// only read.
func demoEngine(t testing.TB) *engine.Engine {
	t.Helper()
	sharedOnce.Do(func() {
		dir := filepath.Join(tempRoot, "demo")
		if sharedErr = makeStore(dir, demoConfig); sharedErr != nil {
			return
		}
		sharedEng, sharedErr = engine.Open(dir, engine.Options{Now: func() time.Time { return testNow }})
	})
	if sharedErr != nil {
		t.Fatal(sharedErr)
	}
	return sharedEng
}

func closeShared() {
	if sharedEng != nil {
		sharedEng.Close()
	}
}

// ownEngine is an engine on a store of its own (for tests that write).
func ownEngine(t testing.TB, cfg demo.Config) *engine.Engine {
	t.Helper()
	dir := t.TempDir()
	if err := makeStore(dir, cfg); err != nil {
		t.Fatal(err)
	}
	e, err := engine.Open(dir, engine.Options{Now: func() time.Time { return testNow }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	return e
}

// plainRenderer draws without colour (as with NO_COLOR), for goldens.
func plainRenderer() *lipgloss.Renderer {
	r := lipgloss.NewRenderer(io.Discard)
	r.SetColorProfile(termenv.Ascii)
	r.SetHasDarkBackground(true)
	return r
}

// driver runs a model as Bubble Tea would: commands in goroutines, their
// messages into Update one at a time. settle waits until every command
// has answered, but for the live tail's wait, which blocks until events
// arrive.
type driver struct {
	t        testing.TB
	m        *Model
	msgs     chan tea.Msg
	inflight int
	quit     bool
}

type testOpts struct {
	dataDir  string
	readOnly bool
	renderer *lipgloss.Renderer
	alerts   AlertLookup
	alertErr error
	tune     func(*tuning)
}

// newDriver makes a model of eng at a size and runs Init to rest.
func newDriver(t testing.TB, eng *engine.Engine, w, h int, o testOpts) *driver {
	t.Helper()
	r := o.renderer
	if r == nil {
		r = plainRenderer()
	}
	m := newModel(eng, Options{DataDir: o.dataDir, Renderer: r, Now: func() time.Time { return testNow }, ReadOnly: o.readOnly, Alerts: o.alerts, AlertsError: o.alertErr})
	m.c.tune.noTicks = true
	m.c.tune.frame = 0
	m.c.tune.alertsRefresh, m.c.tune.alertsSettle = 0, 0
	if o.tune != nil {
		o.tune(&m.c.tune)
		m.table.res = newResults(m.c.tune.pageSize, m.c.tune.maxBlocks, m.c.tune.maxAnchors)
	}
	d := &driver{t: t, m: m, msgs: make(chan tea.Msg, 64)}
	d.exec(m.Init())
	d.send(tea.WindowSizeMsg{Width: w, Height: h})
	return d
}

func (d *driver) exec(cmd tea.Cmd) {
	if cmd == nil {
		return
	}
	d.inflight++
	go func() { d.msgs <- cmd() }()
}

func (d *driver) handle(msg tea.Msg) {
	d.inflight--
	switch msg := msg.(type) {
	case nil:
	case tea.BatchMsg:
		for _, c := range msg {
			d.exec(c)
		}
	case tea.QuitMsg:
		d.quit = true
	default:
		_, cmd := d.m.Update(msg)
		d.exec(cmd)
	}
}

// blocking is the number of commands that wait for the live tail or for
// the alert store to change.
func (d *driver) blocking() int {
	n := 0
	if d.m.live.feed != nil {
		n++
	}
	n += int(d.m.c.alertWaits.Load())
	return n
}

// settle runs messages until only blocking commands are left.
func (d *driver) settle() {
	d.t.Helper()
	deadline := time.After(30 * time.Second)
	for d.inflight > d.blocking() {
		select {
		case msg := <-d.msgs:
			d.handle(msg)
		case <-deadline:
			buf := make([]byte, 1<<20)
			n := runtime.Stack(buf, true)
			d.t.Fatalf("the model did not settle: %d commands still running\n%s", d.inflight, buf[:n])
		}
	}
}

// waitFor runs messages until cond holds.
func (d *driver) waitFor(what string, cond func() bool) {
	d.t.Helper()
	deadline := time.After(30 * time.Second)
	for !cond() {
		select {
		case msg := <-d.msgs:
			d.handle(msg)
		case <-deadline:
			d.t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// send gives the model a message and settles.
func (d *driver) send(msg tea.Msg) {
	d.t.Helper()
	_, cmd := d.m.Update(msg)
	d.exec(cmd)
	d.settle()
}

// keys sends each key in turn: names as tea.KeyMsg.String() writes them
// ("enter", "ctrl+d", "G"); "text:..." types runes.
func (d *driver) keys(keys ...string) {
	d.t.Helper()
	for _, k := range keys {
		d.send(keyMsg(k))
	}
}

// typeText types each rune of s.
func (d *driver) typeText(s string) {
	d.t.Helper()
	for _, r := range s {
		d.send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{r}})
	}
}

func keyMsg(k string) tea.KeyMsg {
	named := map[string]tea.KeyType{
		"enter": tea.KeyEnter, "esc": tea.KeyEsc, "up": tea.KeyUp, "down": tea.KeyDown,
		"pgup": tea.KeyPgUp, "pgdown": tea.KeyPgDown, "home": tea.KeyHome, "end": tea.KeyEnd,
		"tab": tea.KeyTab, "shift+tab": tea.KeyShiftTab, "backspace": tea.KeyBackspace,
		"ctrl+c": tea.KeyCtrlC, "ctrl+d": tea.KeyCtrlD, "ctrl+u": tea.KeyCtrlU,
		"ctrl+f": tea.KeyCtrlF, "ctrl+b": tea.KeyCtrlB, "left": tea.KeyLeft, "right": tea.KeyRight,
		"space": tea.KeySpace, "ctrl+a": tea.KeyCtrlA, "ctrl+e": tea.KeyCtrlE,
	}
	if t, ok := named[k]; ok {
		return tea.KeyMsg{Type: t}
	}
	return tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(k)}
}

// view is the screen with the query time fixed (it is measured, so it
// differs from run to run).
func (d *driver) view() string {
	d.m.took = 42 * time.Millisecond
	return d.m.View()
}

// checkGolden compares got with testdata/NAME.golden, or writes it with
// -update.
func checkGolden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./tui -update to write it)", err)
	}
	if string(want) != got {
		t.Errorf("%s differs from the golden file (go test ./tui -update rewrites it):\n--- got\n%s\n--- want\n%s", name, got, want)
	}
}

// screenLines checks that a screen is exactly w×h cells.
func screenLines(t *testing.T, s string, w, h int) []string {
	t.Helper()
	lines := strings.Split(s, "\n")
	if len(lines) != h {
		t.Errorf("screen has %d lines, want %d", len(lines), h)
	}
	for i, l := range lines {
		if got := ansiWidth(l); got != w {
			t.Errorf("line %d is %d cells wide, want %d: %q", i, got, w, l)
		}
	}
	return lines
}

// oracle lists the seqs that match a query, newest first, by reading the
// whole store and matching each event (the engine's search not involved).
func oracle(t testing.TB, eng *engine.Engine, text string) []uint64 {
	t.Helper()
	return oracleWhere(t, eng, text, nil)
}

// oracleWhere is oracle with a further condition on each event.
func oracleWhere(t testing.TB, eng *engine.Engine, text string, also func(*event.Event) bool) []uint64 {
	t.Helper()
	c, err := eng.Compile(engine.Request{Query: text})
	if err != nil {
		t.Fatal(err)
	}
	type hit struct {
		t   time.Time
		seq uint64
	}
	var hits []hit
	err = eng.Store().Scan(context.Background(), 0, 0, false, func(r store.Record) error {
		ev, err := r.Event()
		if err != nil {
			return err
		}
		if c.Matcher.Match(ev) && (also == nil || also(ev)) {
			hits = append(hits, hit{ev.Time, ev.Seq})
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// newest first: time, then seq, descending
	sort.Slice(hits, func(i, j int) bool {
		if !hits[i].t.Equal(hits[j].t) {
			return hits[i].t.After(hits[j].t)
		}
		return hits[i].seq > hits[j].seq
	})
	out := make([]uint64, len(hits))
	for i, h := range hits {
		out[i] = h.seq
	}
	return out
}

func mouseWheel(down bool) tea.MouseMsg {
	b := tea.MouseButtonWheelUp
	if down {
		b = tea.MouseButtonWheelDown
	}
	return tea.MouseMsg{X: 60, Y: 10, Button: b, Action: tea.MouseActionPress}
}

func mouseClick(x, y int) tea.MouseMsg {
	return tea.MouseMsg{X: x, Y: y, Button: tea.MouseButtonLeft, Action: tea.MouseActionPress}
}
