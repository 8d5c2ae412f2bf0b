package tui

import (
	"strings"

	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
)

// helpGroup is a titled column of the help overlay.
type helpGroup struct {
	title string
	keys  []key.Binding
}

// helpOverlay shows every key, from the key maps that handle them, in
// titled columns that flow to the width; it scrolls when taller than the
// screen.
type helpOverlay struct {
	c      *common
	help   help.Model
	width  int
	height int
	offset int
	lines  []string
	close  key.Binding
	up     key.Binding
	down   key.Binding
}

func newHelpOverlay(c *common) *helpOverlay {
	h := help.New()
	h.Styles = c.styles.Help
	h.ShowAll = true
	return &helpOverlay{c: c, help: h,
		close: key.NewBinding(key.WithKeys("esc", "?", "q"), key.WithHelp("esc/?", "close help")),
		up:    key.NewBinding(key.WithKeys("up", "k")),
		down:  key.NewBinding(key.WithKeys("down", "j")),
	}
}

// SetSize sets the overlay's size.
func (h *helpOverlay) SetSize(w, ht int) { h.width, h.height = w, ht }

// build lays the groups out for the width.
func (h *helpOverlay) build(groups []helpGroup) {
	st := h.c.styles
	inner := h.width - 4
	var cols []string
	for _, g := range groups {
		body := h.help.FullHelpView([][]key.Binding{g.keys})
		cols = append(cols, st.DialogTitle.Render(g.title)+"\n"+body)
	}
	var rows []string
	var line []string
	lineW := 0
	for _, c := range cols {
		w := lipgloss.Width(c) + 3
		if lineW+w > inner && len(line) > 0 {
			rows = append(rows, lipgloss.JoinHorizontal(lipgloss.Top, line...))
			line, lineW = nil, 0
		}
		line = append(line, h.c.renderer.NewStyle().PaddingRight(3).Render(c))
		lineW += w
	}
	if len(line) > 0 {
		rows = append(rows, lipgloss.JoinHorizontal(lipgloss.Top, line...))
	}
	text := strings.Join(rows, "\n\n")
	h.lines = strings.Split(text, "\n")
	for i, l := range h.lines {
		h.lines[i] = strings.TrimRight(l, " ")
	}
}

// Update scrolls; it reports whether the overlay closes.
func (h *helpOverlay) Update(msg tea.KeyMsg) bool {
	switch {
	case key.Matches(msg, h.close):
		h.offset = 0
		return true
	case key.Matches(msg, h.up):
		if h.offset > 0 {
			h.offset--
		}
	case key.Matches(msg, h.down):
		if h.offset < len(h.lines)-h.bodyHeight() {
			h.offset++
		}
	}
	return false
}

func (h *helpOverlay) bodyHeight() int {
	n := h.height - 6
	if n < 1 {
		n = 1
	}
	return n
}

// View draws the overlay's box.
func (h *helpOverlay) View() string {
	st := h.c.styles
	body := h.lines
	more := ""
	if len(body) > h.bodyHeight() {
		end := h.offset + h.bodyHeight()
		if end > len(body) {
			end = len(body)
		}
		body = body[h.offset:end]
		more = "  ↑/↓ scroll"
	}
	inner := h.width - 4
	out := []string{fit(st.DialogTitle.Render("Keys"), inner)}
	for _, l := range body {
		out = append(out, fit(l, inner))
	}
	out = append(out, fit(st.Muted.Render("esc or ? closes"+more), inner))
	return st.Dialog.Render(strings.Join(out, "\n"))
}
