package tui

import (
	"strings"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/vigil-dev/vigil/event"
)

// rangeOf is the time range a saved search keeps.
func (s savedSearch) rangeOf() timeRange {
	if s.Range == "custom" {
		return timeRange{preset: "custom", from: s.From, to: s.To}
	}
	for _, p := range timePresets {
		if p.preset == s.Range {
			return p
		}
	}
	return timeRange{preset: "all"}
}

// savedFrom is a saved search of a query in a range.
func savedFrom(name, text string, r timeRange) savedSearch {
	s := savedSearch{Name: name, Query: text, Range: r.preset}
	if r.preset == "custom" {
		s.From, s.To = r.from, r.to
	}
	if s.Range == "" {
		s.Range = "all"
	}
	return s
}

// savedDialog lists the saved searches: run one, or delete it.
type savedDialog struct {
	c      *common
	keys   dialogKeys
	delete key.Binding
	list   listBox
	saved  []savedSearch
}

func newSavedDialog(c *common, saved []savedSearch) *savedDialog {
	d := &savedDialog{c: c, keys: newDialogKeys(), saved: saved,
		delete: key.NewBinding(key.WithKeys("d", "delete"), key.WithHelp("d", "delete"))}
	for _, s := range saved {
		d.list.items = append(d.list.items, fit(event.Safe(s.Name), 18)+" "+event.Safe(s.Query)+"  ("+s.rangeOf().String()+")")
	}
	return d
}

func (d *savedDialog) Title() string { return "Saved searches" }

func (d *savedDialog) Help() []key.Binding {
	run := d.keys.Choose
	run.SetHelp("enter", "run")
	return []key.Binding{d.keys.Up, d.keys.Down, run, d.delete, d.keys.Close}
}

func (d *savedDialog) Update(msg tea.Msg) (dialogResult, tea.Cmd) {
	km, ok := msg.(tea.KeyMsg)
	if !ok {
		return dialogResult{}, nil
	}
	switch {
	case key.Matches(km, d.keys.Close):
		return dialogResult{close: true}, nil
	case key.Matches(km, d.keys.Up):
		d.list.move(-1)
	case key.Matches(km, d.keys.Down):
		d.list.move(1)
	case len(d.saved) == 0:
	case key.Matches(km, d.keys.Choose):
		s := d.saved[d.list.cursor]
		r := s.rangeOf()
		return dialogResult{close: true, run: &runRequest{text: s.Query, rng: &r}, flash: "saved search " + event.Safe(s.Name)}, nil
	case key.Matches(km, d.delete):
		s := d.saved[d.list.cursor]
		d.saved = append(d.saved[:d.list.cursor:d.list.cursor], d.saved[d.list.cursor+1:]...)
		d.list.items = append(d.list.items[:d.list.cursor:d.list.cursor], d.list.items[d.list.cursor+1:]...)
		if d.list.cursor >= len(d.list.items) && d.list.cursor > 0 {
			d.list.cursor--
		}
		return dialogResult{deleteAt: s.Name, flash: "deleted saved search " + event.Safe(s.Name)}, nil
	}
	return dialogResult{}, nil
}

func (d *savedDialog) View(width int) string {
	if len(d.saved) == 0 {
		return d.c.styles.Muted.Render("No saved searches yet: s saves the current query.")
	}
	return d.list.view(d.c.styles, width, 12)
}

// saveDialog asks for a name to save the current query under.
type saveDialog struct {
	c     *common
	input textinput.Model
	text  string
	err   string
}

func newSaveDialog(c *common, text string, r timeRange) *saveDialog {
	ti := newTextInput(c, 64)
	ti.Placeholder = "a name, e.g. failed logins from abroad"
	ti.Focus()
	return &saveDialog{c: c, input: ti, text: text + "  (" + r.String() + ")"}
}

func (d *saveDialog) Title() string { return "Save search" }

func (d *saveDialog) Help() []key.Binding {
	return []key.Binding{
		key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "save")),
		key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "cancel")),
	}
}

func (d *saveDialog) Update(msg tea.Msg) (dialogResult, tea.Cmd) {
	if km, ok := msg.(tea.KeyMsg); ok {
		switch km.String() {
		case "esc":
			return dialogResult{close: true}, nil
		case "enter":
			name := strings.TrimSpace(d.input.Value())
			if name == "" {
				d.err = "give it a name"
				return dialogResult{}, nil
			}
			return dialogResult{close: true, save: name, flash: "saved search " + event.Safe(name)}, nil
		}
	}
	var cmd tea.Cmd
	d.input, cmd = d.input.Update(msg)
	d.err = ""
	return dialogResult{}, cmd
}

func (d *saveDialog) View(width int) string {
	st := d.c.styles
	d.input.Width = width - 8
	out := st.Muted.Render("query ") + fit(event.Safe(d.text), width-6) + "\n" + st.Muted.Render("name  ") + d.input.View()
	if d.err != "" {
		out += "\n" + st.Error.Render(d.err)
	}
	return out
}
