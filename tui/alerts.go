package tui

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"

	"github.com/vigil-dev/vigil/alerts"
	"github.com/vigil-dev/vigil/event"
)

// alertsShown is how many of the newest alerts the pane lists.
const alertsShown = 1000

// alertsKeys are the alerts pane's keys.
type alertsKeys struct {
	Up, Down, PageUp, PageDown, Top, Bottom, Open, Back key.Binding
}

func newAlertsKeys() alertsKeys {
	return alertsKeys{
		Up:       key.NewBinding(key.WithKeys("up", "k"), key.WithHelp("↑/k", "up")),
		Down:     key.NewBinding(key.WithKeys("down", "j"), key.WithHelp("↓/j", "down")),
		PageUp:   key.NewBinding(key.WithKeys("pgup", "ctrl+b"), key.WithHelp("pgup", "page up")),
		PageDown: key.NewBinding(key.WithKeys("pgdown", "ctrl+f"), key.WithHelp("pgdn", "page down")),
		Top:      key.NewBinding(key.WithKeys("g", "home"), key.WithHelp("g", "newest")),
		Bottom:   key.NewBinding(key.WithKeys("G", "end"), key.WithHelp("G", "oldest")),
		// On once alerts are listed.
		Open: key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "show its events"), key.WithDisabled()),
		Back: key.NewBinding(key.WithKeys("esc", "backspace"), key.WithHelp("esc", "back")),
	}
}

// ShortHelp is the pane's help in the status line.
func (k alertsKeys) ShortHelp() []key.Binding { return []key.Binding{k.Open, k.Back, k.Down} }

// FullHelp is the pane's help in the help overlay.
func (k alertsKeys) FullHelp() [][]key.Binding {
	return [][]key.Binding{{k.Up, k.Down, k.PageUp, k.PageDown, k.Top, k.Bottom, k.Open, k.Back}}
}

// alertItem is an alert as the pane lists it, its texts made safe once
// when it is read (in a tea.Cmd), not on every frame: group values come
// from events and are hostile.
type alertItem struct {
	alert    alerts.Alert
	timeText string // 2006-01-02 15:04:05, UTC
	rule     string
	group    string // the grouping values, and a new_value rule's new value
	about    string // the footer: title, what, when, id
}

func newAlertItem(a alerts.Alert) alertItem {
	it := alertItem{alert: a, timeText: a.Time.UTC().Format("2006-01-02 15:04:05"), rule: event.Safe(a.Rule)}
	group := a.GroupText()
	if a.Value != "" {
		if group != "" {
			group += " "
		}
		group += "new " + a.Field + "=" + a.Value
	}
	it.group = event.Safe(group)
	title := a.Title
	if title == "" {
		title = a.Rule
	}
	what := plural(a.Count, "event", "events")
	switch {
	case a.Value != "":
		what = fmt.Sprintf("%s %s not seen in %s", a.Field, a.Value, a.Window)
	case a.Window != "":
		what += " in " + a.Window
	}
	span := a.First.UTC().Format("2006-01-02 15:04:05")
	if !a.Last.Equal(a.First) {
		span += " → " + a.Last.UTC().Format("15:04:05")
		if a.Last.UTC().YearDay() != a.First.UTC().YearDay() || a.Last.Year() != a.First.Year() {
			span = a.First.UTC().Format("2006-01-02 15:04:05") + " → " + a.Last.UTC().Format("2006-01-02 15:04:05")
		}
	}
	it.about = event.Safe(title+" · "+what) + " · " + span + " · " + event.Safe(a.ID)
	return it
}

// alertsListMsg is the number of stored alerts and, when listed, the
// newest of them for the pane.
type alertsListMsg struct {
	listed bool
	items  []alertItem
	total  int
}

// alertsWatchMsg says that the alert store changed (or that a refresh
// failed); the watch is armed again on receipt.
type alertsWatchMsg struct {
	changed bool
	stopped bool // the explorer quit
	err     error
}

// loadAlerts counts the stored alerts and, when list is set, reads the
// newest for the pane.
func (c *common) loadAlerts(list bool) tea.Cmd {
	src := c.opts.Alerts
	if src == nil {
		return nil
	}
	return func() tea.Msg {
		msg := alertsListMsg{listed: list, total: src.Len()}
		if list {
			for _, a := range src.Recent(alertsShown) {
				msg.items = append(msg.items, newAlertItem(a))
			}
		}
		return msg
	}
}

// watchAlerts waits until the alert store changes (changed is the channel
// taken before the last read of it), and then settle more; every `every`
// it asks the store to read what another process added. It ends with
// ctx. Zero durations: no refresh, no settling.
func (c *common) watchAlerts(ctx context.Context, changed <-chan struct{}, every, settle time.Duration) tea.Cmd {
	src := c.opts.Alerts
	return c.call(func() tea.Msg {
		c.alertWaits.Add(1)
		defer c.alertWaits.Add(-1)
		var tick <-chan time.Time
		if every > 0 {
			t := time.NewTimer(every)
			defer t.Stop()
			tick = t.C
		}
		select {
		case <-changed:
			// A burst of alerts is read once.
			if settle > 0 {
				t := time.NewTimer(settle)
				defer t.Stop()
				select {
				case <-t.C:
				case <-ctx.Done():
				}
			}
			return alertsWatchMsg{changed: true}
		case <-ctx.Done():
			return alertsWatchMsg{stopped: true}
		case <-tick:
			err := src.Refresh()
			select {
			case <-changed:
				return alertsWatchMsg{changed: true, err: err}
			default:
				return alertsWatchMsg{err: err}
			}
		}
	})
}

// alertsPane lists the newest alerts, newest first: time, severity, rule,
// count, the group; the selected one's title, span and id at the foot.
// Enter shows the events an alert is about as a query.
type alertsPane struct {
	c       *common
	keys    alertsKeys
	width   int
	height  int
	focused bool

	items  []alertItem
	total  int
	loaded bool
	ruleW  int    // the widest rule name listed, at most 28
	err    string // the last refresh failed
	sel    int
	top    int
}

func newAlertsPane(c *common) *alertsPane { return &alertsPane{c: c, keys: newAlertsKeys()} }

// SetSize sets the pane's size.
func (p *alertsPane) SetSize(w, h int) {
	p.width, p.height = w, h
	p.clamp()
}

// rows is the number of alert lines on screen: the title, the column
// header and the footer take three.
func (p *alertsPane) rows() int {
	if n := p.height - 3; n > 0 {
		return n
	}
	return 1
}

func (p *alertsPane) clamp() {
	p.sel, p.top = scrollWindow(p.sel, p.top, len(p.items), p.rows())
}

// set takes a fresh list, keeping the selection on the same alert (new
// ones arrive at the top).
func (p *alertsPane) set(msg alertsListMsg) {
	id := ""
	if s := p.selected(); s != nil {
		id = s.ID
	}
	p.items, p.total, p.loaded = msg.items, msg.total, true
	p.keys.Open.SetEnabled(len(p.items) > 0)
	p.ruleW = 4
	for _, it := range p.items {
		p.ruleW = max(p.ruleW, ansiWidth(it.rule))
	}
	p.ruleW = min(p.ruleW, 28)
	if id != "" {
		for i, it := range p.items {
			if it.alert.ID == id {
				p.top += i - p.sel
				p.sel = i
				break
			}
		}
	}
	p.clamp()
}

// selected is the selected alert, nil when there is none.
func (p *alertsPane) selected() *alerts.Alert {
	if p.sel < 0 || p.sel >= len(p.items) {
		return nil
	}
	return &p.items[p.sel].alert
}

// selectID selects the alert of that id, when listed.
func (p *alertsPane) selectID(id string) {
	for i, it := range p.items {
		if it.alert.ID == id {
			p.sel = i
			p.clamp()
			return
		}
	}
}

// alertsIntent is what a key in the pane asks of the explorer.
type alertsIntent int

const (
	alertsNone alertsIntent = iota
	alertsOpen
	alertsBack
)

// Update handles the pane's keys.
func (p *alertsPane) Update(msg tea.KeyMsg) alertsIntent {
	page := p.rows()
	switch {
	case key.Matches(msg, p.keys.Up):
		p.sel--
	case key.Matches(msg, p.keys.Down):
		p.sel++
	case key.Matches(msg, p.keys.PageUp):
		p.top -= page
		p.sel -= page
	case key.Matches(msg, p.keys.PageDown):
		p.top += page
		p.sel += page
	case key.Matches(msg, p.keys.Top):
		p.sel = 0
	case key.Matches(msg, p.keys.Bottom):
		p.sel = len(p.items) - 1
	case key.Matches(msg, p.keys.Open):
		if p.selected() != nil {
			return alertsOpen
		}
	case key.Matches(msg, p.keys.Back):
		return alertsBack
	}
	p.clamp()
	return alertsNone
}

// scroll moves the view by n lines (the mouse wheel), the selection with it.
func (p *alertsPane) scroll(n int) {
	p.top += n
	p.sel += n
	p.clamp()
}

// click selects the alert on line y of the pane; it reports whether the
// alert was selected already (a second click opens it).
func (p *alertsPane) click(y int) bool {
	i := p.top + y - 2
	if y < 2 || i >= len(p.items) {
		return false
	}
	again := i == p.sel
	p.sel = i
	p.clamp()
	return again
}

// alertColumns are the widths of the pane's columns at a width.
type alertColumns struct{ time, sev, rule, count, group int }

func (p *alertsPane) columns() alertColumns {
	c := alertColumns{time: 19, sev: 8, count: 5, rule: p.ruleW}
	if p.width < 100 {
		c.time = 14
	}
	// gutter, columns and the spaces between them
	c.group = p.width - 2 - c.time - 1 - c.sev - 1 - c.rule - 1 - c.count - 2
	if c.group < 16 {
		c.rule = max(8, c.rule-(16-c.group))
		c.group = p.width - 2 - c.time - 1 - c.sev - 1 - c.rule - 1 - c.count - 2
	}
	return c
}

// View draws the pane: title, column header, the alerts on screen, and
// the selected alert's title, span and id.
func (p *alertsPane) View() string {
	st := p.c.styles
	out := make([]string, 0, p.height)
	title := st.PaneTitleFocused.Render("ALERTS")
	var sub string
	switch {
	case !p.loaded && p.c.opts.Alerts != nil:
		sub = "reading…"
	case p.total > len(p.items):
		sub = fmt.Sprintf("the newest %s of %s, newest first (vigil alerts list --json has them all)", formatCount(len(p.items)), formatCount(p.total))
	case p.loaded && p.total == 0:
		sub = "none stored"
	case p.loaded:
		sub = plural(p.total, "alert", "alerts") + ", newest first"
	}
	if p.err != "" {
		sub += " · " + st.Error.Render("refresh failed: "+event.Safe(p.err))
	}
	out = append(out, fit(" "+title+" "+st.Muted.Render(sub), p.width))
	if msg := p.message(); msg != "" {
		out = append(out, strings.Repeat(" ", p.width))
		for _, l := range strings.Split(ansi.Wrap(msg, p.width-4, ""), "\n") {
			out = append(out, st.Muted.Render(fit("  "+l, p.width)))
		}
		return p.pad(out)
	}
	c := p.columns()
	head := "  " + fit("TIME (UTC) ↓", c.time) + " " + fit("SEVERITY", c.sev) + " " + fit("RULE", c.rule) + " " +
		fmt.Sprintf("%*s", c.count, "COUNT") + "  " + "GROUP"
	out = append(out, st.ColumnHeader.Render(fit(head, p.width)))
	for i := p.top; i < len(p.items) && i < p.top+p.rows(); i++ {
		out = append(out, p.renderItem(&p.items[i], c, i == p.sel))
	}
	for len(out) < p.height-1 {
		out = append(out, strings.Repeat(" ", p.width))
	}
	foot := ""
	if it := p.sel; it >= 0 && it < len(p.items) {
		foot = "  " + p.items[it].about
	}
	out = append(out, st.Muted.Render(fit(foot, p.width)))
	return p.pad(out)
}

// renderItem draws one alert's line.
func (p *alertsPane) renderItem(it *alertItem, c alertColumns, selected bool) string {
	st := p.c.styles
	a := &it.alert
	timeText := it.timeText
	if c.time < 19 {
		timeText = timeText[5:]
	}
	mark := "  "
	if selected {
		mark = "▶ "
	}
	pre := mark + fit(timeText, c.time) + " "
	sev := fit(a.Severity, c.sev)
	post := " " + fit(it.rule, c.rule) + " " + fmt.Sprintf("%*s", c.count, formatCount(a.Count)) + "  " + fit(it.group, c.group)
	if selected {
		return st.Selected.Render(pre) + st.severity(a.Severity).Inherit(st.Selected).Render(sev) + st.Selected.Render(post)
	}
	return pre + st.severity(a.Severity).Render(sev) + post
}

// message is what the pane says instead of a list: why there is none.
func (p *alertsPane) message() string {
	switch {
	case p.c.opts.Alerts == nil && p.c.opts.AlertsError != nil:
		return "The alert store could not be read: " + event.Safe(p.c.opts.AlertsError.Error())
	case p.c.opts.Alerts == nil:
		return "No alert store is open in this session, so there are no alerts to show (vigil serve --no-alerts evaluates none)."
	case p.loaded && len(p.items) == 0:
		return "No alerts stored.\n\n" +
			"vigil serve evaluates the alert rules (DATA/rules.yaml, else the built-in ones; vigil alerts rules prints them) on every event it stores: what fires is listed here, and the events it fired on are highlighted in the results.\n\n" +
			"vigil alerts test backtests the rules over the stored history: it prints what would have fired and stores nothing."
	}
	return ""
}

// pad makes the pane exactly its height.
func (p *alertsPane) pad(out []string) string {
	for len(out) < p.height {
		out = append(out, strings.Repeat(" ", p.width))
	}
	return strings.Join(out[:p.height], "\n")
}

// alertRange is the time range that holds an alert's events: from the
// second of the first to the end of the second of the last.
func alertRange(a *alerts.Alert) timeRange {
	first, last := a.First.UTC(), a.Last.UTC()
	if first.IsZero() || last.IsZero() {
		return timeRange{preset: "all"}
	}
	from := first.Truncate(time.Second)
	to := last.Truncate(time.Second)
	if to.Before(last) {
		to = to.Add(time.Second)
	}
	return timeRange{preset: "custom", from: from.Format(time.RFC3339), to: to.Format(time.RFC3339)}
}

// watchAlerts arms the watch of the alert store.
func (m *Model) watchAlerts() tea.Cmd {
	if m.c.opts.Alerts == nil || m.quitting {
		return nil
	}
	// The channel is taken before the store is read again, so that no
	// change falls between the read and the watch.
	ch := m.c.opts.Alerts.Changed()
	return m.c.watchAlerts(m.alertsCtx, ch, m.c.tune.alertsRefresh, m.c.tune.alertsSettle)
}

// alertsChanged reads the alerts again when the store changed (the list
// only while the pane shows it; the highlight reads the store on every
// frame) and watches on.
func (m *Model) alertsChanged(msg alertsWatchMsg) tea.Cmd {
	if msg.stopped {
		return nil
	}
	var cmds []tea.Cmd
	switch {
	case msg.err != nil && msg.err.Error() != m.alerts.err:
		m.alerts.err = msg.err.Error()
		cmds = append(cmds, m.setFlash("reading the alerts failed: "+msg.err.Error(), true))
	case msg.err == nil:
		m.alerts.err = ""
	}
	cmds = append(cmds, m.watchAlerts())
	if msg.changed {
		cmds = append(cmds, m.c.loadAlerts(m.showAlerts))
	}
	return tea.Batch(cmds...)
}

// openAlerts shows the alerts pane and reads the newest alerts.
func (m *Model) openAlerts() tea.Cmd {
	m.showAlerts = true
	m.setFocus(focusAlerts)
	if m.alertOpened != "" {
		m.alerts.selectID(m.alertOpened)
	}
	return m.c.loadAlerts(true)
}

// closeAlerts goes back from the pane to the results (or the detail).
func (m *Model) closeAlerts() {
	if !m.showAlerts {
		return
	}
	m.showAlerts = false
	if m.showDetail {
		m.setFocus(focusDetail)
	} else {
		m.setFocus(focusTable)
	}
}

// openAlert closes the pane and runs the query of the alert's events in
// a range that holds them all, so that the table shows exactly them.
func (m *Model) openAlert(a *alerts.Alert) tea.Cmd {
	m.closeAlerts()
	m.showDetail = false
	m.setFocus(focusTable)
	rng := alertRange(a)
	q := a.Query()
	m.alertOpened, m.alertQuery = a.ID, q
	return tea.Batch(m.runQuery(q, "", &rng),
		m.setFlash(fmt.Sprintf("the %s of alert %s (esc goes back to the alerts)", plural(len(a.Seqs), "event", "events"), event.Safe(a.Rule)), false))
}

// backToAlerts says whether esc in the results goes back to the alerts
// pane: the results are the events of the alert last opened.
func (m *Model) backToAlerts() bool {
	return !m.showAlerts && m.alertQuery != "" && m.base == m.alertQuery
}
