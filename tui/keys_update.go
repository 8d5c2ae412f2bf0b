package tui

import (
	"bytes"
	"fmt"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/vigil-dev/vigil/export"
)

// tooSmall says the terminal is below the least size drawn.
func (m *Model) tooSmall() bool { return m.width < minWidth || m.height < minHeight }

// updateKey routes a key: quit always, then the help, an open dialog, the
// query bar while edited, the global keys, and the focused pane.
func (m *Model) updateKey(msg tea.KeyMsg) tea.Cmd {
	if msg.String() == "ctrl+c" {
		return m.quit()
	}
	if m.showHelp {
		if m.help.Update(msg) {
			m.showHelp = false
		}
		return nil
	}
	if m.dialog != nil {
		res, cmd := m.dialog.Update(msg)
		return tea.Batch(cmd, m.applyDialog(res))
	}
	if m.focus == focusQuery {
		intent, cmd := m.query.Update(msg)
		switch intent {
		case queryRun:
			text := m.query.Value()
			m.setFocus(m.backFocus())
			m.closeAlerts() // to show what the query finds
			run := m.runQuery(text, "", nil)
			m.typedGen = m.gen
			return tea.Batch(cmd, run)
		case queryCancel:
			m.query.setError("", nil)
			m.setFocus(m.backFocus())
		}
		return cmd
	}
	if m.tooSmall() {
		if key.Matches(msg, m.keys.Quit) {
			return m.quit()
		}
		return nil
	}
	if cmd, ok := m.globalKey(msg); ok {
		return cmd
	}
	switch m.focus {
	case focusAlerts:
		switch m.alerts.Update(msg) {
		case alertsOpen:
			return m.openAlert(m.alerts.selected())
		case alertsBack:
			m.closeAlerts()
		}
		return nil
	case focusSidebar:
		in, ok := m.sidebar.Update(msg)
		if !ok {
			return nil
		}
		return m.sidebarIntent(in)
	case focusDetail:
		in, _ := m.detail.Update(msg)
		switch in {
		case detailBack:
			m.showDetail = false
			m.setFocus(focusTable)
			return nil
		case detailNext:
			return m.stepDetail(1)
		case detailPrev:
			return m.stepDetail(-1)
		}
		return nil
	case focusTable:
		if m.aggMode {
			rr, _ := m.agg.Update(msg)
			if rr != nil {
				return m.runRequest(rr)
			}
			return nil
		}
		if key.Matches(msg, m.table.keys.Open) {
			return m.openDetail()
		}
		if key.Matches(msg, m.keys.BackToAlerts) {
			return m.openAlerts()
		}
		if m.table.Update(msg) {
			return m.fetchRows()
		}
	}
	return nil
}

// backFocus is where focus returns from the query bar.
func (m *Model) backFocus() focus {
	if m.prevFocus == focusQuery {
		return focusTable
	}
	if m.prevFocus == focusDetail && !m.showDetail {
		return focusTable
	}
	if m.prevFocus == focusAlerts && !m.showAlerts {
		return focusTable
	}
	return m.prevFocus
}

// globalKey handles the keys that work in every pane.
func (m *Model) globalKey(msg tea.KeyMsg) (tea.Cmd, bool) {
	k := m.keys
	switch {
	case key.Matches(msg, k.Quit):
		return m.quit(), true
	case key.Matches(msg, k.Help):
		m.help.build(m.helpGroups())
		m.showHelp = true
	case key.Matches(msg, k.Query):
		m.setFocus(focusQuery)
	case key.Matches(msg, k.FocusNext), key.Matches(msg, k.FocusPrev):
		m.cycleFocus()
	case key.Matches(msg, k.TimeRange):
		m.dialog = newTimeDialog(m.c, m.rng, m.base)
	case key.Matches(msg, k.Refresh):
		return tea.Batch(m.rerun(nil), m.setFlash("ran the query again", false)), true
	case key.Matches(msg, k.Export):
		switch {
		case m.snap == nil:
			return m.setFlash("no results to export yet", true), true
		case m.aggMode:
			return m.setFlash("export writes events: run the query without its | stage", true), true
		}
		m.jobs++
		m.dialog = newExportDialog(m.c, m.snap, m.table.res.total, m.jobs)
	case key.Matches(msg, k.Verify):
		m.jobs++
		snap := m.snap
		if m.aggMode {
			snap = nil
		}
		m.dialog = newVerifyDialog(m.c, snap, m.jobs)
	case key.Matches(msg, k.Copy):
		r := m.selectedRow()
		if r == nil {
			return m.setFlash("no event selected", true), true
		}
		return m.copyEvent(r.seq), true
	case key.Matches(msg, k.PivotIn), key.Matches(msg, k.PivotOut):
		r := m.selectedRow()
		if r == nil {
			return m.setFlash("no event selected", true), true
		}
		m.dialog = newPivotDialog(m.c, r.ev, key.Matches(msg, k.PivotOut))
	case key.Matches(msg, k.Save):
		m.dialog = newSaveDialog(m.c, andClause(m.base, m.sidebar.active), m.rng)
	case key.Matches(msg, k.Saved):
		m.dialog = newSavedDialog(m.c, append([]savedSearch(nil), m.saved...))
	case key.Matches(msg, k.Follow):
		return m.toggleFollow(), true
	case key.Matches(msg, k.Pause):
		return m.togglePause(), true
	case key.Matches(msg, k.Alerts):
		if m.showAlerts {
			m.closeAlerts()
			return nil, true
		}
		return m.openAlerts(), true
	case key.Matches(msg, k.Mouse):
		m.mouse = !m.mouse
		if m.mouse {
			return tea.Batch(tea.EnableMouseCellMotion, m.setFlash("mouse on: wheel scrolls, click selects (m turns it off for text selection)", false)), true
		}
		return tea.Batch(tea.DisableMouse, m.setFlash("mouse off: the terminal selects text again", false)), true
	default:
		return nil, false
	}
	return nil, true
}

// selectedRow is the event the pivot, copy and detail act on.
func (m *Model) selectedRow() *row {
	if m.aggMode || m.showAlerts {
		return nil
	}
	return m.table.Selected()
}

// cycleFocus moves between the sidebar and the list (or the detail).
func (m *Model) cycleFocus() {
	if m.showAlerts {
		return // the pane has the whole width
	}
	main := focusTable
	if m.showDetail {
		main = focusDetail
	}
	if m.focus == focusSidebar || m.sidebarWidth() == 0 {
		m.setFocus(main)
		return
	}
	m.setFocus(focusSidebar)
}

// openDetail shows the selected event in full.
func (m *Model) openDetail() tea.Cmd {
	r := m.table.Selected()
	if r == nil {
		return nil
	}
	m.detail.show(r.seq)
	m.showDetail = true
	m.setFocus(focusDetail)
	return m.c.call(loadDetail(m.c.eng, r.seq))
}

// stepDetail shows the next (older, +1) or previous event.
func (m *Model) stepDetail(d int) tea.Cmd {
	m.table.moveTo(m.table.sel + d)
	fetch := m.fetchRows()
	r := m.table.Selected()
	if r == nil {
		m.detailWaits = true // shown when its block arrives
		return fetch
	}
	if r.seq == m.detail.seq {
		return fetch
	}
	m.detail.show(r.seq)
	return tea.Batch(fetch, m.c.call(loadDetail(m.c.eng, r.seq)))
}

// sidebarIntent applies what a key in the sidebar asked.
func (m *Model) sidebarIntent(in sidebarIntent) tea.Cmd {
	var cmds []tea.Cmd
	if in.refused != "" {
		return m.setFlash(in.refused, true)
	}
	if in.expand != "" && m.snap != nil {
		cmds = append(cmds, m.actionsCmd(m.snap, in.expand))
	}
	if in.filter {
		cmds = append(cmds, m.runQuery(m.base, in.clause, nil))
		if in.clause == "" {
			cmds = append(cmds, m.setFlash("sidebar filter cleared", false))
		} else {
			cmds = append(cmds, m.setFlash("added "+in.clause+" to the query", false))
		}
	}
	return tea.Batch(cmds...)
}

// runRequest runs what a dialog or a drill-down asked.
func (m *Model) runRequest(rr *runRequest) tea.Cmd {
	m.closeAlerts() // to show what the query finds
	clause := ""
	if rr.keepClause {
		clause = m.sidebar.active
	}
	return m.runQuery(rr.text, clause, rr.rng)
}

// applyDialog acts on a dialog's result.
func (m *Model) applyDialog(res dialogResult) tea.Cmd {
	var cmds []tea.Cmd
	if res.close {
		m.dialog = nil
	}
	if res.flash != "" {
		cmds = append(cmds, m.setFlash(res.flash, false))
	}
	switch {
	case res.run != nil:
		cmds = append(cmds, m.runRequest(res.run))
	case res.clause != "":
		cmds = append(cmds, m.runQuery(andClause(m.base, res.clause), m.sidebar.active, nil),
			m.setFlash("added "+res.label+" to the query", false))
	case res.save != "":
		s := savedFrom(res.save, andClause(m.base, m.sidebar.active), m.rng)
		replaced := false
		for i := range m.saved {
			if m.saved[i].Name == s.Name {
				m.saved[i], replaced = s, true
			}
		}
		if !replaced {
			m.saved = append(m.saved, s)
		}
		cmds = append(cmds, saveSearches(m.c.opts.DataDir, m.saved))
	case res.deleteAt != "":
		for i := range m.saved {
			if m.saved[i].Name == res.deleteAt {
				m.saved = append(m.saved[:i:i], m.saved[i+1:]...)
				break
			}
		}
		cmds = append(cmds, saveSearches(m.c.opts.DataDir, m.saved))
	}
	return tea.Batch(cmds...)
}

// copyEvent puts the event's JSON (as the jsonl export writes it) on the
// clipboard with OSC 52, which terminals honour over SSH too.
func (m *Model) copyEvent(seq uint64) tea.Cmd {
	eng, out := m.c.eng, m.c.renderer.Output()
	return m.c.call(func() tea.Msg {
		r, ev, err := eng.Get(seq)
		if err != nil {
			return copiedMsg{err: err}
		}
		var b bytes.Buffer
		w, err := export.NewWriter(export.JSONL, &b, export.Options{Catalogue: eng.Catalogue()})
		if err == nil {
			err = w.Write(r, ev)
		}
		if err == nil {
			err = w.Close()
		}
		if err != nil {
			return copiedMsg{err: fmt.Errorf("event %d: %w", seq, err)}
		}
		text := bytes.TrimRight(b.Bytes(), "\n")
		out.Copy(string(text))
		return copiedMsg{bytes: len(text)}
	})
}

// updateMouse scrolls with the wheel and selects with a click, when the
// mouse is on.
func (m *Model) updateMouse(msg tea.MouseMsg) tea.Cmd {
	if m.dialog != nil || m.showHelp || m.tooSmall() {
		return nil
	}
	top := 1 + m.query.Height()
	sw := m.sidebarWidth()
	inSidebar := sw > 0 && msg.X < sw
	y := msg.Y - top
	switch {
	case msg.Button == tea.MouseButtonWheelUp || msg.Button == tea.MouseButtonWheelDown:
		n := 3
		if msg.Button == tea.MouseButtonWheelUp {
			n = -3
		}
		switch {
		case m.showAlerts:
			m.alerts.scroll(n)
		case inSidebar:
			m.sidebar.cursor += n
			m.sidebar.clamp()
		case m.showDetail:
			if n > 0 {
				m.detail.vp.ScrollDown(n)
			} else {
				m.detail.vp.ScrollUp(-n)
			}
		case m.aggMode:
			m.agg.sel += n
			m.agg.clamp()
		default:
			m.table.scroll(n)
			return m.fetchRows()
		}
	case msg.Button == tea.MouseButtonLeft && msg.Action == tea.MouseActionPress:
		if y < 0 || y >= m.table.height {
			return nil
		}
		if m.showAlerts {
			if m.alerts.click(y) {
				return m.openAlert(m.alerts.selected()) // a second click opens
			}
			return nil
		}
		if inSidebar {
			m.setFocus(focusSidebar)
			return m.sidebarIntent(m.sidebar.click(y))
		}
		if m.showDetail {
			m.setFocus(focusDetail)
			return nil
		}
		m.setFocus(focusTable)
		if m.aggMode {
			if y >= 1 {
				m.agg.sel = m.agg.top + y - 1
				m.agg.clamp()
			}
			return nil
		}
		prev := m.table.sel
		m.table.click(y)
		if m.table.sel == prev && y >= 1 {
			return m.openDetail() // a second click opens
		}
		return m.fetchRows()
	}
	return nil
}

// helpGroups are the help overlay's columns, from the key maps.
func (m *Model) helpGroups() []helpGroup {
	g := m.keys.FullHelp()
	return []helpGroup{
		{"Results", m.table.keys.FullHelp()[0]},
		{"Query", append(m.query.keys.FullHelp()[0], g[0]...)},
		{"Actions", g[1]},
		{"Event detail", m.detail.keys.FullHelp()[0]},
		{"Alerts", m.alerts.keys.FullHelp()[0]},
		{"Sidebar", m.sidebar.keys.FullHelp()[0]},
		{"General", g[2]},
	}
}
