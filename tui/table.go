package tui

import (
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"
)

// tableKeys are the results table's keys.
type tableKeys struct {
	Up, Down, PageUp, PageDown, HalfUp, HalfDown, Top, Bottom, Open key.Binding
}

func newTableKeys() tableKeys {
	return tableKeys{
		Up:       key.NewBinding(key.WithKeys("up", "k"), key.WithHelp("↑/k", "up")),
		Down:     key.NewBinding(key.WithKeys("down", "j"), key.WithHelp("↓/j", "down")),
		PageUp:   key.NewBinding(key.WithKeys("pgup", "ctrl+b"), key.WithHelp("pgup/ctrl+b", "page up")),
		PageDown: key.NewBinding(key.WithKeys("pgdown", "ctrl+f"), key.WithHelp("pgdn/ctrl+f", "page down")),
		HalfUp:   key.NewBinding(key.WithKeys("ctrl+u"), key.WithHelp("ctrl+u", "half page up")),
		HalfDown: key.NewBinding(key.WithKeys("ctrl+d"), key.WithHelp("ctrl+d", "half page down")),
		Top:      key.NewBinding(key.WithKeys("g", "home"), key.WithHelp("g/home", "newest")),
		Bottom:   key.NewBinding(key.WithKeys("G", "end"), key.WithHelp("G/end", "oldest")),
		Open:     key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "open event")),
	}
}

// ShortHelp is the table's help in the status line.
func (k tableKeys) ShortHelp() []key.Binding { return []key.Binding{k.Down, k.Up, k.Open} }

// FullHelp is the table's help in the help overlay.
func (k tableKeys) FullHelp() [][]key.Binding {
	return [][]key.Binding{{k.Up, k.Down, k.PageUp, k.PageDown, k.HalfUp, k.HalfDown, k.Top, k.Bottom, k.Open}}
}

// table is the results: one line per event, newest first, the selected
// one marked. It draws only the rows on screen and asks for the blocks
// they need.
type table struct {
	c       *common
	keys    tableKeys
	res     *results
	sel     int // selected row
	top     int // first row on screen
	width   int
	height  int // lines, the column header included
	focused bool

	cols      []column
	layoutKey int
	// message replaces the rows (no results, an error).
	message string
}

func newTable(c *common) *table {
	return &table{c: c, keys: newTableKeys(), res: newResults(c.tune.pageSize, c.tune.maxBlocks, c.tune.maxAnchors)}
}

// SetSize lays the columns out again for a new size.
func (t *table) SetSize(w, h int) {
	if w != t.width {
		t.cols = layoutColumns(w)
		t.layoutKey++
	}
	t.width, t.height = w, h
	t.clamp()
}

// pageRows is the number of rows on screen.
func (t *table) pageRows() int {
	if t.height <= 1 {
		return 1
	}
	return t.height - 1
}

// clamp keeps the selection among the rows and on screen.
func (t *table) clamp() {
	t.sel, t.top = scrollWindow(t.sel, t.top, t.res.Len(), t.pageRows())
}

// Selected returns the selected row, nil when none is loaded there.
func (t *table) Selected() *row { return t.res.Row(t.sel) }

// moveTo selects row i.
func (t *table) moveTo(i int) {
	t.sel = i
	t.clamp()
}

// Update handles the table's keys; it reports whether the key was one.
func (t *table) Update(msg tea.KeyMsg) bool {
	page := t.pageRows()
	switch {
	case key.Matches(msg, t.keys.Up):
		t.moveTo(t.sel - 1)
	case key.Matches(msg, t.keys.Down):
		t.moveTo(t.sel + 1)
	case key.Matches(msg, t.keys.PageUp):
		t.top -= page
		t.moveTo(t.sel - page)
	case key.Matches(msg, t.keys.PageDown):
		t.top += page
		t.moveTo(t.sel + page)
	case key.Matches(msg, t.keys.HalfUp):
		t.top -= page / 2
		t.moveTo(t.sel - page/2)
	case key.Matches(msg, t.keys.HalfDown):
		t.top += page / 2
		t.moveTo(t.sel + page/2)
	case key.Matches(msg, t.keys.Top):
		t.moveTo(0)
	case key.Matches(msg, t.keys.Bottom):
		t.moveTo(t.res.Len() - 1)
	default:
		return false
	}
	return true
}

// scroll moves the view by n rows (the mouse wheel), the selection with it.
func (t *table) scroll(n int) {
	t.top += n
	t.moveTo(t.sel + n)
}

// click selects the row on line y of the table (0 is the column header).
func (t *table) click(y int) {
	if y >= 1 {
		t.moveTo(t.top + y - 1)
	}
}

// liveAdded keeps the view on the same events when n live rows arrive
// above them, unless it is at the newest.
func (t *table) liveAdded(n int) {
	if n == 0 {
		return
	}
	if t.sel == 0 && t.top == 0 {
		t.clamp()
		return
	}
	t.sel += n
	t.top += n
	t.clamp()
}

// visible is the range of rows on screen, with a block of margin on each
// side to fetch ahead.
func (t *table) visible() (lo, hi int) {
	return t.top - t.c.tune.pageSize/2, t.top + t.pageRows() + t.c.tune.pageSize/2
}

// View draws the column header and the rows on screen.
func (t *table) View() string {
	st := t.c.styles
	var b strings.Builder
	b.Grow((t.width + 16) * t.height)
	b.WriteString(st.ColumnHeader.Render(t.headerLine()))
	page := t.pageRows()
	if t.message != "" {
		lines := strings.Split(ansi.Wrap(t.message, t.width-4, ""), "\n")
		for i := 0; i < page; i++ {
			b.WriteByte('\n')
			if i > 0 && i-1 < len(lines) {
				b.WriteString(st.Muted.Render(fit("  "+lines[i-1], t.width)))
			} else {
				b.WriteString(strings.Repeat(" ", t.width))
			}
		}
		return b.String()
	}
	n := t.res.Len()
	for i := 0; i < page; i++ {
		b.WriteByte('\n')
		idx := t.top + i
		if idx >= n {
			b.WriteString(strings.Repeat(" ", t.width))
			continue
		}
		r := t.res.Row(idx)
		if r == nil {
			b.WriteString(st.Muted.Render(fit("  ⋯", t.width)))
			continue
		}
		b.WriteString(t.renderRow(r, idx == t.sel))
	}
	return b.String()
}

// headerLine is the column titles.
func (t *table) headerLine() string {
	var b strings.Builder
	b.WriteString(strings.Repeat(" ", gutterWidth))
	for i, c := range t.cols {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(fit(c.title, c.width))
	}
	return fit(b.String(), t.width)
}

// renderRow draws one row: the gutter (selection, then an alert or live
// marker), then the cells, the severity in its colour. The row of an
// event an alert fired on (in the results and in the live tail alike)
// carries the alert's severity: its letter in the gutter (C, H, M, L, I,
// which reads without colour) and a tint of that severity on the row.
func (t *table) renderRow(r *row, selected bool) string {
	st := t.c.styles
	mark := " "
	if selected {
		mark = "▶"
	}
	alertSev, alerted := "", false
	if t.c.opts.Alerts != nil {
		alertSev, alerted = t.c.opts.Alerts.AlertSeverity(r.seq)
	}
	var space, sign string
	switch {
	case alerted:
		space, sign = st.alertGutterOf(alertSev)
	case r.live:
		sign = st.Accent.Render("+")
	default:
		sign = " "
	}
	if selected {
		pre, sev, post := t.cells(r)
		return st.Selected.Render(mark) + sign + st.Selected.Render(" "+pre) +
			st.severity(r.severity).Inherit(st.Selected).Render(sev) + st.Selected.Render(post)
	}
	if r.lineKey != t.layoutKey || r.line == "" || r.lineAlert != alertSev {
		pre, sev, post := t.cells(r)
		if alerted {
			tint := st.alertRow(alertSev)
			r.line = tint.Render(" "+pre) + st.severity(r.severity).Inherit(tint).Render(sev) + tint.Render(post)
		} else {
			r.line = " " + pre + st.severity(r.severity).Render(sev) + post
		}
		r.lineKey, r.lineAlert = t.layoutKey, alertSev
	}
	if alerted {
		return space + sign + r.line
	}
	return mark + sign + r.line
}

// cells lays a row's cells out: those before the severity, the severity
// cell, and those after.
func (t *table) cells(r *row) (pre, sev, post string) {
	var b strings.Builder
	for i, c := range t.cols {
		if i > 0 {
			b.WriteByte(' ')
		}
		text := fit(cellText(r, c.id, c.width), c.width)
		if c.id == colSeverity {
			pre = b.String()
			sev = text
			b.Reset()
			continue
		}
		b.WriteString(text)
	}
	if sev == "" && pre == "" {
		return b.String(), "", ""
	}
	return pre, sev, b.String()
}
