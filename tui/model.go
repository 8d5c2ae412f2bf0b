package tui

import (
	"context"
	"strings"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"github.com/vigil-dev/vigil/engine"
)

// focus is the pane that gets the keys.
type focus int

const (
	focusTable focus = iota
	focusSidebar
	focusDetail
	focusQuery
	focusAlerts
)

// The least terminal the explorer draws in.
const (
	minWidth  = 60
	minHeight = 15
)

// Model is the explorer's root: it routes window sizes to every
// component, keys to the focused one (an open dialog or the help first),
// and each data message to the component that asked for it.
type Model struct {
	c    *common
	keys globalKeys

	width, height int

	query    *queryBar
	sidebar  *sidebar
	table    *table
	detail   *detail
	timeline *timeline
	agg      *aggView
	help     *helpOverlay
	dialog   dialog
	alerts   *alertsPane

	focus      focus
	prevFocus  focus
	showDetail bool
	// detailWaits: the detail steps to a row whose block is being read.
	detailWaits bool
	showHelp    bool
	aggMode     bool
	showAlerts  bool

	// The query: what runs is base AND the sidebar's clause, in rng.
	base    string
	rng     timeRange
	gen     int
	cancel  context.CancelFunc
	snap    *snapshot
	running bool
	took    time.Duration
	// typedGen is the generation of the query last run from the query
	// bar: only those go into the history.
	typedGen int
	// allActions are the actions the sidebar counted, for completion.
	allActions []string

	live liveState

	// alertsStored is the number of stored alerts, for the header.
	alertsStored int
	// alertsCtx ends the watch of the alert store; alertsStop at quit.
	alertsCtx  context.Context
	alertsStop context.CancelFunc
	// alertOpened is the alert whose events were last opened, and
	// alertQuery its query: while the results are its events, esc goes
	// back to the alerts pane.
	alertOpened, alertQuery string

	stats    statsMsg
	hasStats bool
	flash    string
	flashErr bool
	flashID  int
	mouse    bool
	jobs     int
	saved    []savedSearch
	history  bool // the history was loaded (so it may be written)
	quitting bool
}

func newModel(eng *engine.Engine, opts Options) *Model {
	r := opts.Renderer
	if r == nil {
		r = lipgloss.DefaultRenderer()
	}
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	ctx := opts.Context
	if ctx == nil {
		ctx = context.Background()
	}
	c := &common{ctx: ctx, eng: eng, opts: opts, renderer: r, styles: newStyles(r), now: now, tune: defaultTuning(), calls: newCalls()}
	m := &Model{
		c:        c,
		keys:     newGlobalKeys(),
		query:    newQueryBar(c),
		sidebar:  newSidebar(c),
		table:    newTable(c),
		detail:   newDetail(c),
		timeline: newTimeline(c),
		agg:      newAggView(c),
		help:     newHelpOverlay(c),
		alerts:   newAlertsPane(c),
		base:     "*",
		rng:      timeRange{preset: "all"},
		mouse:    opts.Mouse,
	}
	m.query.values = m.completionValues
	m.table.focused = true
	m.alertsCtx, m.alertsStop = context.WithCancel(ctx)
	return m
}

// Init runs the first query and loads the history.
func (m *Model) Init() tea.Cmd {
	cmds := []tea.Cmd{m.runQuery(m.base, "", nil), loadPrefs(m.c.opts.DataDir), m.statsCmd()}
	if m.c.opts.Alerts != nil {
		cmds = append(cmds, m.watchAlerts(), m.c.loadAlerts(false))
	}
	if m.mouse {
		cmds = append(cmds, tea.EnableMouseCellMotion)
	}
	return tea.Batch(cmds...)
}

// runQuery runs base AND clause in the range (nil: the current one),
// cancelling the query in flight.
func (m *Model) runQuery(base, clause string, rng *timeRange) tea.Cmd {
	r := m.rng
	if rng != nil {
		r = *rng
	}
	since, until, err := r.resolve(m.c.now())
	if err != nil {
		return m.setFlash("time range: "+err.Error(), true)
	}
	if m.cancel != nil {
		m.cancel()
	}
	m.gen++
	ctx, cancel := context.WithCancel(m.c.ctx)
	m.cancel = cancel
	m.running = true
	base = strings.TrimSpace(base)
	if base == "" {
		base = "*"
	}
	gen, eng, size := m.gen, m.c.eng, m.c.tune.pageSize
	req := engine.Request{Query: andClause(base, clause), Since: since, Until: until}
	return m.c.call(func() tea.Msg {
		msg := firstPage(ctx, eng, gen, req, size)
		switch x := msg.(type) {
		case firstPageMsg:
			x.snap.base, x.snap.clause, x.snap.rng, x.snap.ctx = base, clause, r, ctx
			return x
		case aggregateMsg:
			x.snap.base, x.snap.clause, x.snap.rng, x.snap.ctx = base, clause, r, ctx
			return x
		}
		return msg
	})
}

// rerun runs the current query again (the newest events, a new range).
func (m *Model) rerun(rng *timeRange) tea.Cmd {
	return m.runQuery(m.base, m.sidebar.active, rng)
}

// statsCmd reads the header's figures.
func (m *Model) statsCmd() tea.Cmd {
	eng := m.c.eng
	return m.c.call(func() tea.Msg {
		st := eng.Store()
		return statsMsg{events: st.Count(), head: st.Head().Seq, indexed: eng.IndexedSeq()}
	})
}

// setFlash shows a message in the status line for a while.
func (m *Model) setFlash(text string, isErr bool) tea.Cmd {
	m.flash, m.flashErr = text, isErr
	m.flashID++
	if m.c.tune.noTicks {
		return nil
	}
	id := m.flashID
	return tea.Tick(m.c.tune.flashFor, func(time.Time) tea.Msg { return flashExpiredMsg{id: id} })
}

// completionValues are the values the query bar completes for a field.
func (m *Model) completionValues(field string) []string {
	switch field {
	case "category":
		var out []string
		for _, c := range m.sidebar.categories {
			out = append(out, c.Value)
		}
		return out
	case "action":
		return m.allActions
	}
	return nil
}

// Update is the one place state changes.
func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	cmd := m.update(msg)
	// Keys that make no sense now are off (and out of the help).
	m.keys.Pause.SetEnabled(m.live.on)
	m.keys.BackToAlerts.SetEnabled(m.backToAlerts())
	m.relayout()
	return m, cmd
}

func (m *Model) update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
		m.relayout()
		return m.fetchRows()
	case tea.KeyMsg:
		return m.updateKey(msg)
	case tea.MouseMsg:
		return m.updateMouse(msg)

	case firstPageMsg:
		if msg.gen != m.gen {
			return nil
		}
		return m.gotFirstPage(msg)
	case aggregateMsg:
		if msg.gen != m.gen {
			return nil
		}
		m.running, m.took = false, msg.took
		m.accept(msg.snap)
		m.aggMode = true
		m.agg.set(msg.snap, msg.agg)
		m.stopLive()
		m.timeline.loading = true
		return tea.Batch(m.facetsCmd(msg.snap), m.timelineCmd(msg.snap))
	case queryErrorMsg:
		if msg.gen != m.gen {
			return nil
		}
		m.running = false
		m.query.setError(msg.text, msg.err)
		m.setFocus(focusQuery)
		return nil
	case searchErrorMsg:
		if msg.gen != m.gen {
			return nil
		}
		m.running = false
		return m.setFlash("search failed: "+msg.err.Error(), true)
	case countMsg:
		if msg.gen != m.gen {
			return nil
		}
		if msg.err != nil {
			if m.snap != nil && m.snap.ctx.Err() == nil {
				return tea.Batch(m.setFlash("count failed: "+msg.err.Error(), true), m.facetsCmd(m.snap), m.timelineCmd(m.snap))
			}
			return nil
		}
		m.table.res.setTotal(msg.total)
		m.table.clamp()
		return tea.Batch(m.fetchRows(), m.facetsCmd(m.snap), m.timelineCmd(m.snap))
	case blockMsg:
		if msg.gen != m.gen {
			return nil
		}
		if msg.err != nil {
			m.table.res.failed(msg.block)
			if m.snap != nil && m.snap.ctx.Err() == nil {
				return m.setFlash("reading results failed: "+msg.err.Error(), true)
			}
			return nil
		}
		m.table.res.addBlock(msg.block, msg.rows)
		m.table.clamp()
		if r := m.table.Selected(); m.detailWaits && r != nil && m.showDetail {
			m.detailWaits = false
			m.detail.show(r.seq)
			return tea.Batch(m.fetchRows(), m.c.call(loadDetail(m.c.eng, r.seq)))
		}
		return m.fetchRows()
	case facetsMsg:
		if msg.gen != m.gen || msg.err != nil {
			return nil
		}
		if msg.expanded == "" {
			m.allActions = m.allActions[:0]
			for _, a := range msg.actions {
				m.allActions = append(m.allActions, a.Value)
			}
		}
		m.sidebar.setFacets(msg)
		return nil
	case timelineMsg:
		if msg.gen != m.gen {
			return nil
		}
		m.timeline.set(msg)
		return nil
	case detailMsg:
		m.detail.set(msg)
		return nil
	case statsMsg:
		m.stats, m.hasStats = msg, true
		if m.c.tune.noTicks {
			return nil
		}
		return tea.Tick(m.c.tune.statsEvery, func(time.Time) tea.Msg { return statsTickMsg{} })
	case statsTickMsg:
		return m.statsCmd()
	case flashExpiredMsg:
		if msg.id == m.flashID {
			m.flash = ""
		}
		return nil
	case historyLoadedMsg:
		m.history = true
		m.query.history = append(msg.history, m.query.history...)
		m.query.histPos = len(m.query.history)
		m.saved = msg.saved
		if msg.err != nil {
			return m.setFlash(msg.err.Error(), true)
		}
		return nil
	case savedMsg:
		if msg.err != nil {
			return m.setFlash(msg.err.Error(), true)
		}
		return nil
	case copiedMsg:
		if msg.err != nil {
			return m.setFlash("copy failed: "+msg.err.Error(), true)
		}
		return m.setFlash("copied the event's JSON ("+formatCount(msg.bytes)+" bytes) with OSC 52", false)
	case liveReadyMsg:
		return m.liveReady(msg)
	case liveTickMsg:
		return m.onLiveTick(msg)
	case liveStoppedMsg:
		if m.live.feed == nil || msg.gen != m.live.feed.gen {
			return nil
		}
		m.live.feed = nil
		if msg.err != nil {
			m.live.on = false
			return m.setFlash("live tail stopped: "+msg.err.Error(), true)
		}
		return nil
	case alertsListMsg:
		m.alertsStored = msg.total
		if msg.listed {
			m.alerts.set(msg)
		}
		return nil
	case alertsWatchMsg:
		return m.alertsChanged(msg)
	case jobTickMsg, jobDoneMsg:
		if m.dialog != nil {
			_, cmd := m.dialog.Update(msg)
			return cmd
		}
		return nil
	}
	// Anything else (the text inputs' own messages) goes to what is open.
	if m.dialog != nil {
		res, cmd := m.dialog.Update(msg)
		return tea.Batch(cmd, m.applyDialog(res))
	}
	if m.focus == focusQuery {
		_, cmd := m.query.Update(msg)
		return cmd
	}
	return nil
}

// accept makes a snapshot the current query.
func (m *Model) accept(s *snapshot) {
	m.snap = s
	m.base = s.base
	m.rng = s.rng
	m.sidebar.active = s.clause
	m.query.current, m.query.chip = s.base, s.clause
	m.query.setError("", nil)
	if s.gen == m.typedGen {
		m.query.remember(s.base)
	}
	m.showDetail = false
	if m.focus == focusDetail {
		m.focus = focusTable
	}
}

// gotFirstPage shows a query's first page and asks for the rest: the
// count, the sidebar's counts, the timeline, and the live tail when on.
func (m *Model) gotFirstPage(msg firstPageMsg) tea.Cmd {
	m.running, m.took = false, msg.took
	m.accept(msg.snap)
	m.aggMode = false
	m.table.res.reset(msg.snap, msg.rows, msg.more)
	m.table.sel, m.table.top = 0, 0
	m.table.message = ""
	switch {
	case len(msg.rows) > 0:
	case m.base == "*" && m.sidebar.active == "" && m.rng.back == 0 && m.rng.preset != "custom":
		m.table.message = "The store is empty.\n\nFill it from a shell: vigil ingest FILE.jsonl (or vigil demo),\nor send events to vigil serve; f follows them as they arrive."
	default:
		m.table.message = "No events match.\n\nEdit the query with /, widen the time range with t,\nor clear the sidebar's filter with x in the sidebar."
	}
	m.timeline.loading = true
	// The count first, alone (it is what the status line waits for); the
	// sidebar's counts and the timeline once it is in.
	var cmds []tea.Cmd
	if msg.more {
		cmds = append(cmds, m.countCmd(msg.snap))
	} else {
		cmds = append(cmds, m.facetsCmd(msg.snap), m.timelineCmd(msg.snap))
	}
	if m.history {
		cmds = append(cmds, saveHistory(m.c.opts.DataDir, m.query.history))
	}
	if m.live.on {
		cmds = append(cmds, m.startLive())
	}
	return tea.Batch(cmds...)
}

func (m *Model) countCmd(s *snapshot) tea.Cmd {
	eng := m.c.eng
	return m.c.call(func() tea.Msg {
		start := time.Now()
		n, err := s.count(s.ctx, eng)
		return countMsg{gen: s.gen, total: n, took: time.Since(start), err: err}
	})
}

func (m *Model) timelineCmd(s *snapshot) tea.Cmd {
	return m.c.call(loadTimeline(s.ctx, m.c.eng, s))
}

// facetsCmd counts the base query (without the sidebar's clause) by
// category and by action, and the expanded category's actions.
func (m *Model) facetsCmd(s *snapshot) tea.Cmd {
	eng := m.c.eng
	req := engine.Request{Query: s.base, Since: s.req.Since, Until: s.req.Until}
	expanded := m.sidebar.expanded
	top := func() tea.Msg {
		c, err := eng.Compile(req)
		if err != nil {
			return facetsMsg{gen: s.gen, err: err}
		}
		cats, acts, err := eng.Facets(s.ctx, c)
		total := 0
		for _, b := range cats {
			total += b.Count
		}
		return facetsMsg{gen: s.gen, categories: cats, actions: acts, total: total, err: err}
	}
	if expanded == "" {
		return m.c.call(top)
	}
	return tea.Batch(m.c.call(top), m.actionsCmd(s, expanded))
}

// actionsCmd counts the actions of one category for the sidebar.
func (m *Model) actionsCmd(s *snapshot, category string) tea.Cmd {
	eng := m.c.eng
	req := engine.Request{Query: andClause(s.base, termClause("category", category)), Since: s.req.Since, Until: s.req.Until}
	return m.c.call(func() tea.Msg {
		c, err := eng.Compile(req)
		if err != nil {
			return facetsMsg{gen: s.gen, expanded: category, err: err}
		}
		_, acts, err := eng.Facets(s.ctx, c)
		return facetsMsg{gen: s.gen, expanded: category, actions: acts, err: err}
	})
}

// fetchRows asks for the blocks the rows on screen (and around) need, and
// lets go of those far away.
func (m *Model) fetchRows() tea.Cmd {
	if m.snap == nil || m.aggMode {
		return nil
	}
	res := m.table.res
	lo, hi := m.table.visible()
	blocks := res.need(lo, hi)
	res.evict(lo, hi)
	if len(blocks) == 0 {
		return nil
	}
	var cmds []tea.Cmd
	s, eng, size, walk := m.snap, m.c.eng, m.c.tune.pageSize, m.c.tune.walkLimit
	for _, b := range blocks {
		ab, anchor := res.anchorFor(b)
		b := b
		cmds = append(cmds, m.c.call(func() tea.Msg {
			return fetchBlock(s.ctx, eng, s, b, size, ab, anchor, walk)
		}))
	}
	return tea.Batch(cmds...)
}

// setFocus moves the keys to a pane.
func (m *Model) setFocus(f focus) tea.Cmd {
	if f == m.focus {
		return nil
	}
	if m.focus != focusQuery {
		m.prevFocus = m.focus
	}
	if m.focus == focusQuery {
		m.query.Blur()
	}
	m.focus = f
	m.table.focused = f == focusTable
	m.sidebar.focused = f == focusSidebar
	m.detail.focused = f == focusDetail
	m.alerts.focused = f == focusAlerts
	m.agg.focused = f == focusTable
	if f == focusQuery {
		m.query.Focus()
	}
	return nil
}

// sidebarShown says whether the width leaves room for the sidebar.
func (m *Model) sidebarWidth() int {
	if m.width < 72 {
		return 0
	}
	w := m.width / 5
	if w < 22 {
		w = 22
	}
	if w > 34 {
		w = 34
	}
	return w
}

// relayout gives every component its size.
func (m *Model) relayout() {
	if m.width == 0 {
		return
	}
	m.query.SetSize(m.width)
	qh := m.query.Height()
	mainH := m.height - 1 - qh - 2
	if mainH < 1 {
		mainH = 1
	}
	sw := m.sidebarWidth()
	if sw == 0 && m.focus == focusSidebar {
		m.setFocus(focusTable)
	}
	rest := m.width
	if sw > 0 {
		rest = m.width - sw - 1
	}
	m.sidebar.SetSize(sw, mainH)
	m.table.SetSize(rest, mainH)
	m.detail.SetSize(rest, mainH)
	m.agg.SetSize(rest, mainH)
	m.alerts.SetSize(m.width, mainH)
	m.timeline.SetSize(m.width)
	m.help.SetSize(m.width, m.height)
	if r := m.table.Selected(); r != nil && !m.aggMode {
		m.timeline.mark = r.time
	} else {
		m.timeline.mark = time.Time{}
	}
}

// Close cancels what the explorer still runs against the engine (the
// query, reads, the live tail, an export) and waits until none of it
// touches the engine any more; commands not yet started do nothing. Call
// it after the program ends and before the engine is closed.
func (m *Model) Close() {
	m.quit()
	m.c.calls.closeAndWait()
}

// quit ends the program, cancelling what runs.
func (m *Model) quit() tea.Cmd {
	m.quitting = true
	if m.cancel != nil {
		m.cancel()
	}
	m.alertsStop()
	m.stopLive()
	if s, ok := m.dialog.(interface{ stop() }); ok {
		s.stop()
	}
	return tea.Quit
}
