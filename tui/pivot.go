package tui

import (
	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/vigil-dev/vigil/event"
)

// pivotField is a field of an event the query can pivot on.
type pivotField struct {
	field string // the query's name for it
	value string // as received
}

// pivotFields lists the fields of an event worth pivoting on, those that
// hold a value.
func pivotFields(ev *event.Event) []pivotField {
	all := []pivotField{
		{"user", ev.Actor.Label()},
		{"ip", ev.Context.IP},
		{"action", ev.Type},
		{"target", ev.Target.Label()},
		{"category", ev.Category},
		{"severity", ev.Severity},
		{"outcome", ev.Outcome},
		{"role", ev.Actor.Role},
		{"source", ev.Source},
		{"location", ev.Context.Location},
		{"session", ev.Context.SessionID},
	}
	out := all[:0]
	for _, f := range all {
		if f.value != "" {
			out = append(out, f)
		}
	}
	return out
}

// pivotDialog adds field:value of the selected event to the query, or
// excludes it (NOT field:value).
type pivotDialog struct {
	c       *common
	keys    dialogKeys
	include key.Binding
	exclude key.Binding
	fields  []pivotField
	list    listBox
	not     bool
}

func newPivotDialog(c *common, ev *event.Event, not bool) *pivotDialog {
	d := &pivotDialog{
		c: c, keys: newDialogKeys(), fields: pivotFields(ev), not: not,
		include: key.NewBinding(key.WithKeys("+", "="), key.WithHelp("+", "filter on it")),
		exclude: key.NewBinding(key.WithKeys("-"), key.WithHelp("-", "exclude it")),
	}
	for _, f := range d.fields {
		d.list.items = append(d.list.items, fit(f.field, 9)+" "+event.Safe(f.value))
	}
	return d
}

func (d *pivotDialog) Title() string {
	if d.not {
		return "Exclude from the query"
	}
	return "Add to the query"
}

func (d *pivotDialog) Help() []key.Binding {
	return []key.Binding{d.keys.Up, d.keys.Down, d.include, d.exclude, d.keys.Close}
}

func (d *pivotDialog) Update(msg tea.Msg) (dialogResult, tea.Cmd) {
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
	case key.Matches(km, d.include), key.Matches(km, d.exclude), key.Matches(km, d.keys.Choose):
		if len(d.fields) == 0 {
			return dialogResult{close: true}, nil
		}
		not := d.not
		if key.Matches(km, d.include) {
			not = false
		} else if key.Matches(km, d.exclude) {
			not = true
		}
		f := d.fields[d.list.cursor]
		if event.Safe(f.value) != f.value {
			return dialogResult{close: true, flash: "that value holds control characters: it cannot be typed into a query"}, nil
		}
		clause := termClause(f.field, f.value)
		if not {
			clause = "NOT " + clause
		}
		return dialogResult{close: true, clause: clause, label: clause}, nil
	}
	return dialogResult{}, nil
}

func (d *pivotDialog) View(width int) string {
	if len(d.fields) == 0 {
		return d.c.styles.Muted.Render("This event has no field to pivot on.")
	}
	return d.list.view(d.c.styles, width, 12)
}
