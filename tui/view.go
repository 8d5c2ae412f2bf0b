package tui

import (
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/key"

	"github.com/vigil-dev/vigil/event"
)

// View draws the screen: header, query bar, sidebar and results (or the
// detail), timeline, status line; the help or a dialog over it.
func (m *Model) View() string {
	if m.quitting {
		return ""
	}
	if m.width == 0 {
		return ""
	}
	if m.tooSmall() {
		return m.tooSmallView()
	}
	var b strings.Builder
	b.Grow((m.width + 32) * m.height)
	b.WriteString(m.headerView())
	b.WriteByte('\n')
	b.WriteString(m.query.View())
	b.WriteByte('\n')
	b.WriteString(m.mainView())
	b.WriteByte('\n')
	b.WriteString(m.timeline.View())
	b.WriteByte('\n')
	b.WriteString(m.statusView())
	screen := b.String()
	switch {
	case m.showHelp:
		screen = overlay(screen, m.help.View(), m.width, m.height)
	case m.dialog != nil:
		screen = overlay(screen, frameDialog(m.c.styles, m.dialog, m.width), m.width, m.height)
	}
	return screen
}

// tooSmallView says what size is needed instead of drawing garbage.
func (m *Model) tooSmallView() string {
	msg := []string{
		"vigil needs a terminal of at least",
		fmt.Sprintf("%d×%d; this one is %d×%d.", minWidth, minHeight, m.width, m.height),
		"Enlarge it, or press q to quit.",
	}
	var out []string
	top := (m.height - len(msg)) / 2
	for i := 0; i < m.height; i++ {
		j := i - top
		if j >= 0 && j < len(msg) {
			line := msg[j]
			pad := (m.width - ansiWidth(line)) / 2
			if pad < 0 {
				pad = 0
			}
			out = append(out, fit(strings.Repeat(" ", pad)+line, m.width))
		} else {
			out = append(out, strings.Repeat(" ", m.width))
		}
	}
	return strings.Join(out, "\n")
}

// mainView is the sidebar beside the results, the aggregation or the
// detail.
func (m *Model) mainView() string {
	if m.showAlerts {
		return m.alerts.View()
	}
	var right string
	switch {
	case m.showDetail:
		right = m.detail.View()
	case m.aggMode:
		right = m.agg.View()
	default:
		right = m.table.View()
	}
	sw := m.sidebarWidth()
	if sw == 0 {
		return right
	}
	left := strings.Split(m.sidebar.View(), "\n")
	rlines := strings.Split(right, "\n")
	sep := m.c.styles.Separator.Render("│")
	n := m.table.height
	var b strings.Builder
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteByte('\n')
		}
		if i < len(left) {
			b.WriteString(left[i])
		} else {
			b.WriteString(strings.Repeat(" ", sw))
		}
		b.WriteString(sep)
		if i < len(rlines) {
			b.WriteString(rlines[i])
		}
	}
	return b.String()
}

// headerView is the top line: what is open and in what state.
func (m *Model) headerView() string {
	st := m.c.styles
	left := st.HeaderTitle.Render("vigil") + " "
	var parts []string
	if m.hasStats {
		parts = append(parts, formatCount(int(m.stats.events))+" events")
		if m.stats.indexed >= m.stats.head {
			parts = append(parts, "indexed")
		} else {
			parts = append(parts, "indexing: "+formatCount(int(m.stats.head-m.stats.indexed))+" behind")
		}
	}
	if m.alertsStored > 0 {
		parts = append(parts, plural(m.alertsStored, "alert", "alerts"))
	}
	parts = append(parts, m.rng.String())
	if m.c.opts.ReadOnly {
		parts = append(parts, "read-only")
	}
	if m.mouse {
		parts = append(parts, "mouse")
	}
	right := st.HeaderDim.Render(strings.Join(parts, " · "))
	dir := m.c.opts.DataDir
	room := m.width - ansiWidth(left) - ansiWidth(right) - 1
	dir = event.Safe(dir)
	if w := ansiWidth(dir); w > room && room > 1 {
		r := []rune(dir)
		for ansiWidth(string(r)) > room-1 && len(r) > 0 {
			r = r[1:]
		}
		dir = "…" + string(r)
	}
	if room <= 1 {
		dir = ""
	}
	line := left + st.Header.Render(dir)
	pad := m.width - ansiWidth(line) - ansiWidth(right)
	if pad < 1 {
		return fit(line+" "+right, m.width)
	}
	return line + strings.Repeat(" ", pad) + right
}

// statusView is the bottom line: matches, position, query time, the live
// tail, a message; the keys of the focused pane on the right.
func (m *Model) statusView() string {
	st := m.c.styles
	var parts []string
	res := m.table.res
	switch {
	case m.showAlerts:
		if n := len(m.alerts.items); n > 0 {
			parts = append(parts, "alert "+formatCount(m.alerts.sel+1)+"/"+formatCount(n))
		}
	case m.snap == nil && m.running:
		parts = append(parts, "searching…")
	case m.aggMode && m.agg.agg != nil:
		parts = append(parts, formatCount(int(m.agg.agg.Total))+" events, "+formatCount(len(m.agg.agg.Buckets))+" rows")
	case m.snap != nil:
		total := "counting…"
		if res.total >= 0 {
			total = plural(res.total, "match", "matches")
		} else if res.known > 0 {
			total = formatCount(res.known) + "+ matches (counting…)"
		}
		if n := len(res.live); n > 0 {
			total += " +" + formatCount(n) + " live"
		}
		parts = append(parts, total)
		if res.Len() > 0 {
			parts = append(parts, "row "+formatCount(m.table.sel+1)+"/"+formatCount(res.Len()))
		}
	}
	if m.snap != nil && !m.running && !m.showAlerts {
		parts = append(parts, formatDuration(m.took))
	}
	if m.running && m.snap != nil {
		parts = append(parts, "searching…")
	}
	if m.live.on {
		if m.live.paused {
			parts = append(parts, st.Error.Render("❚❚ PAUSED")+" +"+formatCount(m.live.heldN)+" arrived")
		} else {
			parts = append(parts, st.OK.Render("● LIVE")+" "+formatCount(perSecond(m.live.rate))+"/s "+st.Timeline.Render(sparkline(m.live.rate, 16)))
		}
		if res.liveDropped > 0 {
			parts = append(parts, formatCount(res.liveDropped)+" live rows dropped (r runs again)")
		}
	}
	left := " " + strings.Join(parts, st.Muted.Render(" · "))
	room := m.width - ansiWidth(left) - 2
	var right string
	if m.flash != "" {
		// A message takes the place of the keys, the figures stay.
		style := st.StatusKey
		if m.flashErr {
			style = st.Error
		}
		if room < 20 {
			left = " " + style.Render(fit(event.Safe(m.flash), m.width-2)) + " "
			return fit(left, m.width)
		}
		right = style.Render(fit(event.Safe(m.flash), min(room, ansiWidth(event.Safe(m.flash))))) + " "
	} else {
		right = m.shortHelp(room)
	}
	pad := m.width - ansiWidth(left) - ansiWidth(right)
	if pad < 0 {
		return fit(left, m.width)
	}
	return left + strings.Repeat(" ", pad) + right
}

// shortHelp is the focused pane's keys and the way to the rest.
func (m *Model) shortHelp(width int) string {
	if width < 10 {
		return ""
	}
	var b []key.Binding
	switch {
	case m.dialog != nil, m.showHelp:
	case m.focus == focusQuery:
		b = m.query.keys.ShortHelp()
	case m.focus == focusSidebar:
		b = m.sidebar.keys.ShortHelp()
	case m.focus == focusDetail:
		b = m.detail.keys.ShortHelp()
	case m.focus == focusAlerts:
		b = m.alerts.keys.ShortHelp()
	default:
		b = append(m.table.keys.ShortHelp(), m.keys.BackToAlerts)
		if m.alertsStored > 0 && !m.keys.BackToAlerts.Enabled() {
			b = append(b, m.keys.Alerts)
		}
	}
	if m.focus != focusQuery {
		b = append(b, m.keys.ShortHelp()...)
	}
	return shortHelpLine(m.c.styles, b, width-1) + " "
}

// shortHelpLine draws bindings as "key desc • key desc", as many as fit
// in width, with "…" when some do not (bubbles/help's short view can let
// one item run past its width).
func shortHelpLine(st *theme, bindings []key.Binding, width int) string {
	var b strings.Builder
	used := 0
	sep := st.Help.ShortSeparator.Render(" • ")
	for _, kb := range bindings {
		if !kb.Enabled() {
			continue
		}
		item := st.Help.ShortKey.Render(kb.Help().Key) + " " + st.Help.ShortDesc.Render(kb.Help().Desc)
		if used > 0 {
			item = sep + item
		}
		w := ansiWidth(item)
		if used+w > width {
			if used > 0 && used+2 <= width {
				b.WriteString(st.Help.Ellipsis.Render(" …"))
			}
			break
		}
		b.WriteString(item)
		used += w
	}
	return b.String()
}
