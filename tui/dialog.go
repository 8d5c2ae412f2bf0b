package tui

import (
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
)

// dialog is a box over the screen that takes every key while open.
type dialog interface {
	// Update handles a message; the result says what the explorer does.
	Update(msg tea.Msg) (dialogResult, tea.Cmd)
	// View draws the box's content at most width cells wide.
	View(width int) string
	Title() string
	// Help lists the keys that work in the dialog.
	Help() []key.Binding
}

// dialogResult is what closing or acting in a dialog asks for.
type dialogResult struct {
	close bool
	// one of these, or none:
	run      *runRequest // run a query
	clause   string      // add to the query
	label    string      // what the flash says about it
	save     string      // save the current query under this name
	deleteAt string      // delete the saved search of this name
	flash    string
}

// runRequest runs a query.
type runRequest struct {
	text string
	rng  *timeRange // nil keeps the current range
	// keepClause keeps the sidebar's clause (a new range for the same
	// query).
	keepClause bool
}

// dialogKeys are the keys every list dialog shares.
type dialogKeys struct {
	Up, Down, Choose, Close key.Binding
}

func newDialogKeys() dialogKeys {
	return dialogKeys{
		Up:     key.NewBinding(key.WithKeys("up", "k", "shift+tab"), key.WithHelp("↑/k", "up")),
		Down:   key.NewBinding(key.WithKeys("down", "j", "tab"), key.WithHelp("↓/j", "down")),
		Choose: key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "choose")),
		Close:  key.NewBinding(key.WithKeys("esc", "q"), key.WithHelp("esc", "close")),
	}
}

// listBox is a list with a cursor, the body of most dialogs.
type listBox struct {
	items  []string
	cursor int
}

func (l *listBox) move(d int) {
	if len(l.items) == 0 {
		return
	}
	l.cursor = (l.cursor + d + len(l.items)) % len(l.items)
}

func (l *listBox) view(st *theme, width, height int) string {
	top := 0
	if height > 0 && l.cursor >= height {
		top = l.cursor - height + 1
	}
	var lines []string
	for i := top; i < len(l.items) && (height <= 0 || i < top+height); i++ {
		text := fit(l.items[i], width-2)
		if i == l.cursor {
			lines = append(lines, st.Selected.Render("▶ "+text))
		} else {
			lines = append(lines, "  "+text)
		}
	}
	return strings.Join(lines, "\n")
}

// frameDialog draws a dialog in its box: title, body, the keys.
func frameDialog(st *theme, d dialog, maxW int) string {
	inner := maxW - 4
	if inner > 72 {
		inner = 72
	}
	if inner < 20 {
		inner = 20
	}
	body := d.View(inner)
	var keys []string
	for _, b := range d.Help() {
		if b.Enabled() {
			keys = append(keys, st.Help.ShortKey.Render(b.Help().Key)+" "+st.Help.ShortDesc.Render(b.Help().Desc))
		}
	}
	parts := []string{st.DialogTitle.Render(d.Title()), "", body}
	if len(keys) > 0 {
		parts = append(parts, "", wrapJoin(keys, "  ", inner))
	}
	content := strings.Join(parts, "\n")
	lines := strings.Split(content, "\n")
	for i, l := range lines {
		lines[i] = fit(l, inner)
	}
	return st.Dialog.Render(strings.Join(lines, "\n"))
}

// wrapJoin joins items with sep, breaking lines before width.
func wrapJoin(items []string, sep string, width int) string {
	var out []string
	line := ""
	for _, it := range items {
		switch {
		case line == "":
			line = it
		case ansi.StringWidth(line)+len(sep)+ansi.StringWidth(it) > width:
			out = append(out, line)
			line = it
		default:
			line += sep + it
		}
	}
	if line != "" {
		out = append(out, line)
	}
	return strings.Join(out, "\n")
}

// overlay draws box centred over background (both width × height cells).
func overlay(background, box string, width, height int) string {
	bg := strings.Split(background, "\n")
	for len(bg) < height {
		bg = append(bg, "")
	}
	fg := strings.Split(box, "\n")
	bw := lipgloss.Width(box)
	x := (width - bw) / 2
	y := (height - len(fg)) / 2
	if x < 0 {
		x = 0
	}
	if y < 0 {
		y = 0
	}
	for i, l := range fg {
		row := y + i
		if row >= len(bg) {
			break
		}
		line := bg[row]
		left := ansi.Truncate(line, x, "")
		if w := ansi.StringWidth(left); w < x {
			left += strings.Repeat(" ", x-w)
		}
		right := ansi.TruncateLeft(line, x+bw, "")
		reset := ""
		if strings.ContainsRune(line, '\x1b') || strings.ContainsRune(l, '\x1b') {
			reset = "\x1b[0m" // the background's style must not leak into the box
		}
		bg[row] = left + reset + l + reset + right
	}
	return strings.Join(bg[:height], "\n")
}
