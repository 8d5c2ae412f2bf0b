package tui

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"testing"
	"time"

	btable "github.com/charmbracelet/bubbles/table"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/vigil-dev/vigil/alerts"
	"github.com/vigil-dev/vigil/engine"
	"github.com/vigil-dev/vigil/event"
	"github.com/vigil-dev/vigil/store"
	"github.com/vigil-dev/vigil/testdata/demo"
)

// The benchmarks run on the shared 3,000-event demo store unless told
// otherwise:
//
//	VIGIL_TUI_BENCH_DATA=DIR     an existing data directory (e.g. one made by
//	                             go run ./cmd/vigil demo --events 1000000 --data DIR)
//	VIGIL_TUI_BENCH_EVENTS=N     a demo store of N events made for the run
//
// Figures are quoted beside a baseline measured in the same run.
func benchEngine(b *testing.B) *engine.Engine {
	b.Helper()
	if dir := os.Getenv("VIGIL_TUI_BENCH_DATA"); dir != "" {
		start := time.Now()
		e, err := engine.Open(dir, engine.Options{})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { e.Close() })
		if err := e.CatchUp(context.Background(), nil); err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(time.Since(start).Milliseconds()), "open-ms")
		return e
	}
	if n, _ := strconv.Atoi(os.Getenv("VIGIL_TUI_BENCH_EVENTS")); n > 0 {
		dir := filepath.Join(tempRoot, "bench-"+strconv.Itoa(n))
		if _, err := os.Stat(dir); err != nil {
			if err := makeStore(dir, demo.Config{Events: n, Days: 90, Seed: 1, End: demoEnd}); err != nil {
				b.Fatal(err)
			}
		}
		e, err := engine.Open(dir, engine.Options{})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { e.Close() })
		return e
	}
	return demoEngine(b)
}

// BenchmarkFirstFrame is the time from New to the first screen that shows
// results (the first page; the count, the sidebar and the timeline follow
// in the background), beside the engine's own first page (the baseline).
// It also reports when the count and everything else arrived.
func BenchmarkFirstFrame(b *testing.B) {
	eng := benchEngine(b)
	var base, first, counted, settled time.Duration
	for i := 0; i < b.N; i++ {
		start := time.Now()
		c, err := eng.Compile(engine.Request{Query: "*"})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := eng.Search(context.Background(), c, 100, ""); err != nil {
			b.Fatal(err)
		}
		base += time.Since(start)

		start = time.Now()
		m := newModel(eng, Options{Renderer: plainRenderer()})
		m.c.tune.noTicks = true
		d := &driver{t: b, m: m, msgs: make(chan tea.Msg, 64)}
		d.exec(m.Init())
		_, cmd := m.Update(tea.WindowSizeMsg{Width: 200, Height: 50})
		d.exec(cmd)
		d.waitFor("the first page", func() bool { return m.table.res.Row(0) != nil })
		_ = m.View()
		first += time.Since(start)
		d.waitFor("the count", func() bool { return m.table.res.total >= 0 })
		counted += time.Since(start)
		d.settle()
		settled += time.Since(start)
	}
	n := float64(b.N)
	b.ReportMetric(float64(first.Microseconds())/n/1000, "first-frame-ms")
	b.ReportMetric(float64(base.Microseconds())/n/1000, "baseline-search-ms")
	b.ReportMetric(float64(first)/float64(base), "x-baseline")
	b.ReportMetric(float64(counted.Microseconds())/n/1000, "counted-ms")
	b.ReportMetric(float64(settled.Microseconds())/n/1000, "all-loaded-ms")
}

// BenchmarkKeypress is Update and View for one key (j or k over the rows
// on screen) at 200×50, beside bubbles/table doing the same with the same
// rows (the baseline).
func BenchmarkKeypress(b *testing.B) {
	eng := benchEngine(b)
	d := newDriver(b, eng, 200, 50, testOpts{})
	m := d.m
	page := m.table.pageRows()
	keys := make([]tea.KeyMsg, 0, 2*page)
	for i := 0; i < page-1; i++ {
		keys = append(keys, keyMsg("j"))
	}
	for i := 0; i < page-1; i++ {
		keys = append(keys, keyMsg("k"))
	}

	// The baseline: bubbles/table with the same cells.
	cols := make([]btable.Column, len(m.table.cols))
	for i, c := range m.table.cols {
		cols[i] = btable.Column{Title: c.title, Width: c.width}
	}
	var rows []btable.Row
	for i := 0; i < page; i++ {
		r := m.table.res.Row(i)
		var cells btable.Row
		for _, c := range m.table.cols {
			cells = append(cells, cellText(r, c.id, c.width))
		}
		rows = append(rows, cells)
	}
	bt := btable.New(btable.WithColumns(cols), btable.WithRows(rows), btable.WithHeight(page), btable.WithWidth(m.table.width), btable.WithFocused(true))
	start := time.Now()
	const baseN = 2000
	for i := 0; i < baseN; i++ {
		bt, _ = bt.Update(keys[i%len(keys)])
		_ = bt.View()
	}
	base := time.Since(start) / baseN

	// Every row drawn anew (as after a page down to rows not drawn yet),
	// measured in the same run.
	start = time.Now()
	const coldN = 500
	for i := 0; i < coldN; i++ {
		m.table.layoutKey++
		m.Update(keys[i%len(keys)])
		_ = m.View()
	}
	cold := time.Since(start) / coldN

	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		m.Update(keys[i%len(keys)])
		_ = m.View()
	}
	b.StopTimer()
	per := b.Elapsed() / time.Duration(b.N)
	b.ReportMetric(float64(per.Nanoseconds())/1e6, "ms/key")
	b.ReportMetric(float64(cold.Nanoseconds())/1e6, "ms/key-all-rows-redrawn")
	b.ReportMetric(float64(base.Nanoseconds())/1e6, "baseline-bubbles-table-ms/key")
	b.ReportMetric(float64(per)/float64(base), "x-baseline")
}

// BenchmarkJumpToOldest is G on the first screen: the time until the
// oldest rows are on screen (found by seeking through the counts by hour
// and minute), beside the engine's first page (the baseline).
func BenchmarkJumpToOldest(b *testing.B) {
	eng := benchEngine(b)
	c, err := eng.Compile(engine.Request{Query: "*"})
	if err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	if _, err := eng.Search(context.Background(), c, 100, ""); err != nil {
		b.Fatal(err)
	}
	base := time.Since(start)
	var jump time.Duration
	for i := 0; i < b.N; i++ {
		d := newDriver(b, eng, 200, 50, testOpts{})
		start := time.Now()
		d.keys("G")
		jump += time.Since(start)
		if d.m.table.Selected() == nil {
			b.Fatal("the oldest row is not loaded")
		}
	}
	per := jump / time.Duration(b.N)
	b.ReportMetric(float64(per.Microseconds())/1000, "jump-ms")
	b.ReportMetric(float64(base.Microseconds())/1000, "baseline-search-ms")
	b.ReportMetric(float64(per)/float64(base), "x-baseline")
}

// BenchmarkScrollMemory pages down through every match (or
// VIGIL_TUI_BENCH_PAGES pages) reading blocks as the table does, and
// reports the live heap before, at each quarter and after. The engine's
// own caches (Badger's block cache, Bleve's) grow as the store is read
// whatever reads it, so the baseline first reads every match with
// engine.Each, in the same run: the heap the explorer adds while
// scrolling after that is what it holds itself, and must stay flat.
func BenchmarkScrollMemory(b *testing.B) {
	eng := benchEngine(b)
	limit, _ := strconv.Atoi(os.Getenv("VIGIL_TUI_BENCH_PAGES"))
	heap := func() float64 {
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		return float64(ms.HeapAlloc) / (1 << 20)
	}
	for i := 0; i < b.N; i++ {
		// The baseline: the engine alone reads every match.
		c, err := eng.Compile(engine.Request{Query: "*"})
		if err != nil {
			b.Fatal(err)
		}
		h0 := heap()
		n := 0
		if err := eng.Each(context.Background(), c, func(store.Record, *event.Event) error {
			n++
			if limit > 0 && n > limit*50 {
				return errStop
			}
			return nil
		}); err != nil && err != errStop {
			b.Fatal(err)
		}
		h1 := heap()

		d := newDriver(b, eng, 200, 50, testOpts{})
		m := d.m
		before := heap()
		total := m.table.res.total
		pages := 0
		var quarter [3]float64
		next := 1
		for m.table.sel < total-1 && (limit == 0 || pages < limit) {
			d.keys("pgdown")
			pages++
			if next <= 3 && m.table.sel >= total*next/4 {
				quarter[next-1] = heap()
				next++
			}
		}
		after := heap()
		rows := 0
		for _, bl := range m.table.res.blocks {
			rows += len(bl)
		}
		b.ReportMetric(h0, "baseline-heap-before-MiB")
		b.ReportMetric(h1, "baseline-heap-after-each-MiB")
		b.ReportMetric(before, "heap-before-MiB")
		for i, q := range quarter {
			b.ReportMetric(q, "heap-at-"+strconv.Itoa(25*(i+1))+"%-MiB")
		}
		b.ReportMetric(after, "heap-after-MiB")
		b.ReportMetric(after-before, "heap-added-by-scrolling-MiB")
		b.ReportMetric(float64(total), "matches")
		b.ReportMetric(float64(m.table.sel+1), "rows-scrolled")
		b.ReportMetric(float64(rows), "rows-held")
		b.ReportMetric(float64(len(m.table.res.anchors)), "anchors-held")
	}
}

var errStop = errors.New("stop")

// BenchmarkKeypressWithAlerts is BenchmarkKeypress's j/k at 200×50 with a
// real alert store in which every other row on screen is in an alert (the
// rows tinted, the store asked on every frame), beside the same model
// without an alert store (the baseline), measured in the same run.
func BenchmarkKeypressWithAlerts(b *testing.B) {
	eng := benchEngine(b)
	plain := newDriver(b, eng, 200, 50, testOpts{})
	page := plain.m.table.pageRows()
	var marked []alerts.Alert
	for i := 0; i < page; i += 2 {
		r := plain.m.table.res.Row(i)
		sev := event.Severities[(i/2)%len(event.Severities)]
		marked = append(marked, alerts.Alert{ID: "alt_" + strconv.Itoa(i), Rule: "bench", Severity: sev, Count: 1,
			TriggerSeq: r.seq, Seqs: []uint64{r.seq}, Time: r.time, First: r.time, Last: r.time})
	}
	st := alertStore(b, marked...)
	withAlerts := newDriver(b, eng, 200, 50, testOpts{alerts: st})
	keys := make([]tea.KeyMsg, 0, 2*page)
	for i := 0; i < page-1; i++ {
		keys = append(keys, keyMsg("j"))
	}
	for i := 0; i < page-1; i++ {
		keys = append(keys, keyMsg("k"))
	}
	press := func(m *Model, n int) time.Duration {
		start := time.Now()
		for i := 0; i < n; i++ {
			m.Update(keys[i%len(keys)])
			_ = m.View()
		}
		return time.Since(start) / time.Duration(n)
	}
	const baseN = 2000
	base := press(plain.m, baseN)
	b.ResetTimer()
	per := press(withAlerts.m, b.N)
	b.StopTimer()
	b.ReportMetric(float64(per.Nanoseconds())/1e6, "ms/key")
	b.ReportMetric(float64(base.Nanoseconds())/1e6, "baseline-no-alerts-ms/key")
	b.ReportMetric(float64(per)/float64(base), "x-baseline")
}
