package tui

import (
	"fmt"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/vigil-dev/vigil/query"
)

// timeRange is the time bound added to the query: a preset back from now,
// everything, or a custom range written as the query language writes
// times (2025-01-15, RFC 3339, now-7d, today).
type timeRange struct {
	preset   string        // 15m, 1h, 24h, 7d, 30d, all; "custom"
	back     time.Duration // of a preset
	from, to string        // of a custom range ("" is open)
}

// timePresets are the presets t offers, in order.
var timePresets = []timeRange{
	{preset: "15m", back: 15 * time.Minute},
	{preset: "1h", back: time.Hour},
	{preset: "24h", back: 24 * time.Hour},
	{preset: "7d", back: 7 * 24 * time.Hour},
	{preset: "30d", back: 30 * 24 * time.Hour},
	{preset: "all"},
}

// resolve returns the bounds at now: [since, until), zero for open.
func (r timeRange) resolve(now time.Time) (since, until time.Time, err error) {
	switch {
	case r.preset == "custom":
		if r.from != "" {
			v, err := query.ParseTimeValue(r.from)
			if err != nil {
				return since, until, fmt.Errorf("from %q: %w", r.from, err)
			}
			since, _ = v.Span(now)
		}
		if r.to != "" {
			v, err := query.ParseTimeValue(r.to)
			if err != nil {
				return since, until, fmt.Errorf("to %q: %w", r.to, err)
			}
			_, until = v.Span(now)
		}
		if !since.IsZero() && !until.IsZero() && !until.After(since) {
			return since, until, fmt.Errorf("the range ends (%s) before it starts (%s)", r.to, r.from)
		}
	case r.back > 0:
		since = now.Add(-r.back)
	}
	return since, until, nil
}

// String names the range for the header and the status line.
func (r timeRange) String() string {
	switch {
	case r.preset == "custom":
		from, to := r.from, r.to
		if from == "" {
			from = "…"
		}
		if to == "" {
			to = "now"
		}
		return from + " → " + to
	case r.preset == "all" || r.preset == "":
		return "all time"
	}
	return "last " + r.preset
}

// timeDialog chooses a preset or a custom range.
type timeDialog struct {
	c      *common
	keys   dialogKeys
	list   listBox
	custom bool
	inputs [2]textinput.Model
	which  int
	err    string
	text   string // the query to run in the range
}

func newTimeDialog(c *common, current timeRange, text string) *timeDialog {
	d := &timeDialog{c: c, keys: newDialogKeys(), text: text}
	for i, p := range timePresets {
		label := fmt.Sprintf("%d  %s", i+1, p.String())
		d.list.items = append(d.list.items, label)
		if p.preset == current.preset {
			d.list.cursor = i
		}
	}
	d.list.items = append(d.list.items, fmt.Sprintf("%d  custom range…", len(timePresets)+1))
	for i := range d.inputs {
		d.inputs[i] = newTextInput(c, 64)
	}
	d.inputs[0].Placeholder = "2025-01-15, now-7d, 2025-01-15T14:00:00Z"
	d.inputs[1].Placeholder = "empty: now"
	if current.preset == "custom" {
		d.list.cursor = len(timePresets)
		d.inputs[0].SetValue(current.from)
		d.inputs[1].SetValue(current.to)
	}
	return d
}

func (d *timeDialog) Title() string { return "Time range" }

func (d *timeDialog) Help() []key.Binding {
	if d.custom {
		return []key.Binding{
			key.NewBinding(key.WithKeys("tab"), key.WithHelp("tab", "from/to")),
			key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "apply")),
			key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "back")),
		}
	}
	pick := key.NewBinding(key.WithKeys("1", "2", "3", "4", "5", "6", "7"), key.WithHelp("1-7", "pick"))
	return []key.Binding{d.keys.Up, d.keys.Down, d.keys.Choose, pick, d.keys.Close}
}

func (d *timeDialog) Update(msg tea.Msg) (dialogResult, tea.Cmd) {
	km, ok := msg.(tea.KeyMsg)
	if !ok {
		return dialogResult{}, nil
	}
	if d.custom {
		switch km.String() {
		case "esc":
			d.custom = false
			return dialogResult{}, nil
		case "tab", "shift+tab", "up", "down":
			d.inputs[d.which].Blur()
			d.which = 1 - d.which
			return dialogResult{}, d.inputs[d.which].Focus()
		case "enter":
			r := timeRange{preset: "custom", from: strings.TrimSpace(d.inputs[0].Value()), to: strings.TrimSpace(d.inputs[1].Value())}
			if _, _, err := r.resolve(d.c.now()); err != nil {
				d.err = err.Error()
				return dialogResult{}, nil
			}
			if r.from == "" && r.to == "" {
				r = timeRange{preset: "all"}
			}
			return dialogResult{close: true, run: &runRequest{text: d.text, rng: &r, keepClause: true}}, nil
		}
		var cmd tea.Cmd
		d.inputs[d.which], cmd = d.inputs[d.which].Update(msg)
		d.err = ""
		return dialogResult{}, cmd
	}
	if r := km.Runes; len(r) == 1 && r[0] >= '1' && int(r[0]-'1') <= len(timePresets) {
		d.list.cursor = int(r[0] - '1')
		km = tea.KeyMsg{Type: tea.KeyEnter}
	}
	switch {
	case key.Matches(km, d.keys.Close):
		return dialogResult{close: true}, nil
	case key.Matches(km, d.keys.Up):
		d.list.move(-1)
	case key.Matches(km, d.keys.Down):
		d.list.move(1)
	case key.Matches(km, d.keys.Choose):
		if d.list.cursor == len(timePresets) {
			d.custom, d.which = true, 0
			d.inputs[1].Blur()
			return dialogResult{}, d.inputs[0].Focus()
		}
		r := timePresets[d.list.cursor]
		return dialogResult{close: true, run: &runRequest{text: d.text, rng: &r, keepClause: true}}, nil
	}
	return dialogResult{}, nil
}

func (d *timeDialog) View(width int) string {
	st := d.c.styles
	if !d.custom {
		return d.list.view(st, width, 0)
	}
	var b strings.Builder
	for i, label := range []string{"from", "to  "} {
		d.inputs[i].Width = width - 8
		mark := "  "
		if i == d.which {
			mark = st.StatusKey.Render("▶ ")
		}
		b.WriteString(mark + st.Muted.Render(label) + "  " + d.inputs[i].View() + "\n")
	}
	b.WriteString(st.Muted.Render("Times as in queries: a date (the whole day), RFC 3339, now-24h, today."))
	if d.err != "" {
		b.WriteString("\n" + st.Error.Render(d.err))
	}
	return b.String()
}
