package tui

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/viewport"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"

	"github.com/vigil-dev/vigil/engine"
	"github.com/vigil-dev/vigil/event"
	"github.com/vigil-dev/vigil/store"
)

// detailKeys are the detail pane's keys.
type detailKeys struct {
	Up, Down, PageUp, PageDown, HalfUp, HalfDown, Top, Bottom, Next, Prev, Back key.Binding
}

func newDetailKeys() detailKeys {
	return detailKeys{
		Up:       key.NewBinding(key.WithKeys("up", "k"), key.WithHelp("↑/k", "scroll up")),
		Down:     key.NewBinding(key.WithKeys("down", "j"), key.WithHelp("↓/j", "scroll down")),
		PageUp:   key.NewBinding(key.WithKeys("pgup", "ctrl+b"), key.WithHelp("pgup", "page up")),
		PageDown: key.NewBinding(key.WithKeys("pgdown", "ctrl+f"), key.WithHelp("pgdn", "page down")),
		HalfUp:   key.NewBinding(key.WithKeys("ctrl+u"), key.WithHelp("ctrl+u", "half page up")),
		HalfDown: key.NewBinding(key.WithKeys("ctrl+d"), key.WithHelp("ctrl+d", "half page down")),
		Top:      key.NewBinding(key.WithKeys("g", "home"), key.WithHelp("g", "top")),
		Bottom:   key.NewBinding(key.WithKeys("G", "end"), key.WithHelp("G", "bottom")),
		Next:     key.NewBinding(key.WithKeys("]", "J"), key.WithHelp("]/J", "next (older) event")),
		Prev:     key.NewBinding(key.WithKeys("[", "K"), key.WithHelp("[/K", "previous (newer) event")),
		Back:     key.NewBinding(key.WithKeys("esc", "backspace"), key.WithHelp("esc", "back to the list")),
	}
}

// ShortHelp is the detail pane's help in the status line.
func (k detailKeys) ShortHelp() []key.Binding { return []key.Binding{k.Back, k.Down, k.Next, k.Prev} }

// FullHelp is the detail pane's help in the help overlay.
func (k detailKeys) FullHelp() [][]key.Binding {
	return [][]key.Binding{{k.Up, k.Down, k.PageUp, k.PageDown, k.HalfUp, k.HalfDown, k.Top, k.Bottom, k.Next, k.Prev, k.Back}}
}

// detailLine is a line of the detail pane before it is fitted to a
// width: a section title, a field and its value, or text.
type detailLine struct {
	section  string
	key      string
	value    string // made safe; may hold newlines (SafeMultiline)
	severity string // colours the value
}

// detailText is what the pane shows of one event.
type detailText struct {
	title string
	lines []detailLine
}

// loadDetail reads a stored event in full for the pane.
func loadDetail(eng *engine.Engine, seq uint64) tea.Cmd {
	return func() tea.Msg {
		r, ev, err := eng.Get(seq)
		if err != nil {
			return detailMsg{seq: seq, err: fmt.Errorf("read event %d: %w", seq, err)}
		}
		return detailMsg{seq: seq, record: r, text: buildDetail(eng.Catalogue(), r, ev)}
	}
}

// buildDetail lays out every field of an event, its message and catalogue
// description, its place in the chain and the bytes it arrived as.
func buildDetail(cat *event.Catalogue, r store.Record, ev *event.Event) detailText {
	var d detailText
	d.title = fmt.Sprintf("seq %d · %s · %s", r.Seq, event.Safe(ev.Type), ev.Time.UTC().Format("2006-01-02 15:04:05.000 UTC"))
	add := func(k, v string) {
		if v != "" {
			d.lines = append(d.lines, detailLine{key: k, value: event.Safe(v)})
		}
	}
	section := func(s string) { d.lines = append(d.lines, detailLine{section: s}) }

	section("Message")
	msg := ev.Message
	if msg == "" {
		msg = "(none)"
	}
	d.lines = append(d.lines, detailLine{value: event.SafeMultiline(msg)})
	if e, ok := cat.Lookup(ev.Type); ok && e.Description != "" {
		d.lines = append(d.lines, detailLine{key: "description", value: event.SafeMultiline(e.Description)})
	} else {
		d.lines = append(d.lines, detailLine{key: "description", value: "(not in the catalogue)"})
	}

	section("Event")
	add("time", ev.Time.UTC().Format(time.RFC3339Nano))
	add("action", ev.Type)
	add("category", ev.Category)
	d.lines = append(d.lines, detailLine{key: "severity", value: event.Safe(ev.Severity), severity: ev.Severity})
	add("outcome", ev.Outcome)
	add("source", ev.Source)
	add("component", ev.Component)
	add("id", ev.ID)
	party := func(name string, p event.Party) {
		add(name+".id", p.ID)
		add(name+".email", p.Email)
		add(name+".name", p.Name)
		add(name+".role", p.Role)
		add(name+".type", p.Type)
		flatten(name, p.Extra, add)
	}
	party("actor", ev.Actor)
	party("target", ev.Target)
	add("ip", ev.Context.IP)
	add("location", ev.Context.Location)
	add("user_agent", ev.Context.UserAgent)
	add("device", ev.Context.Device)
	add("session", ev.Context.SessionID)
	flatten("context", ev.Context.Extra, add)
	if len(ev.Details) > 0 {
		section("Details")
		flatten("details", ev.Details, add)
	}
	if len(ev.Extra) > 0 {
		section("Other keys")
		keys := make([]string, 0, len(ev.Extra))
		for k := range ev.Extra {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			add(k, string(ev.Extra[k]))
		}
	}

	section("Chain")
	add("seq", fmt.Sprint(r.Seq))
	add("received", ev.Received.UTC().Format(time.RFC3339Nano))
	add("format", ev.Format)
	add("prev", hex.EncodeToString(r.Prev[:]))
	add("hash", hex.EncodeToString(r.Hash[:]))

	section("Raw, as received")
	d.lines = append(d.lines, detailLine{value: rawText(ev.Raw)})
	return d
}

// flatten adds the leaves of a free object as dotted keys, in key order.
func flatten(prefix string, m map[string]any, add func(k, v string)) {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		name := prefix + "." + k
		switch v := m[k].(type) {
		case map[string]any:
			flatten(name, v, add)
		case string:
			add(name, v)
		case nil:
			add(name, "null")
		default:
			b, err := json.Marshal(v)
			if err != nil {
				add(name, fmt.Sprint(v))
			} else {
				add(name, string(b))
			}
		}
	}
}

// rawText is the received bytes for the screen: indented JSON when they
// are JSON, else the text; made safe either way.
func rawText(raw []byte) string {
	var b bytes.Buffer
	if json.Indent(&b, bytes.TrimSpace(raw), "", "  ") == nil {
		return event.SafeMultiline(b.String())
	}
	return event.SafeMultiline(string(raw))
}

// detail is the pane that shows one event in full, scrollable.
type detail struct {
	c       *common
	keys    detailKeys
	vp      viewport.Model
	width   int
	height  int
	focused bool

	seq     uint64
	text    detailText
	record  store.Record
	loading bool
	err     error
}

func newDetail(c *common) *detail {
	vp := viewport.New(0, 0)
	vp.KeyMap = viewport.KeyMap{} // keys are handled here, from detailKeys
	return &detail{c: c, keys: newDetailKeys(), vp: vp}
}

// SetSize sets the pane's size and fits the text to it.
func (d *detail) SetSize(w, h int) {
	if w == d.width && h == d.height {
		return
	}
	d.width, d.height = w, h
	d.vp.Width, d.vp.Height = w, h-1
	if d.vp.Height < 1 {
		d.vp.Height = 1
	}
	d.render()
}

// show starts showing the event at seq (loaded by the caller's command).
func (d *detail) show(seq uint64) {
	if seq != d.seq {
		d.vp.GotoTop()
	}
	d.seq, d.loading, d.err = seq, true, nil
}

// set takes a loaded event.
func (d *detail) set(m detailMsg) {
	if m.seq != d.seq {
		return
	}
	d.loading, d.err, d.text, d.record = false, m.err, m.text, m.record
	d.render()
}

// render fits the lines to the width.
func (d *detail) render() {
	if d.width <= 0 {
		return
	}
	st := d.c.styles
	const keyW = 16
	var out []string
	wrap := func(s string, w int) []string {
		if w < 8 {
			w = 8
		}
		var lines []string
		for _, l := range strings.Split(s, "\n") {
			lines = append(lines, strings.Split(ansi.Wrap(l, w, ""), "\n")...)
		}
		return lines
	}
	for _, l := range d.text.lines {
		switch {
		case l.section != "":
			if len(out) > 0 {
				out = append(out, "")
			}
			out = append(out, st.DetailSection.Render("── "+l.section+" "+strings.Repeat("─", max(0, d.width-len(l.section)-5))))
		case l.key == "":
			for _, v := range wrap(l.value, d.width-2) {
				out = append(out, "  "+v)
			}
		default:
			vals := wrap(l.value, d.width-keyW-2)
			for i, v := range vals {
				if l.severity != "" {
					v = st.severity(l.severity).Render(v)
				}
				if i == 0 {
					out = append(out, "  "+st.DetailKey.Render(fit(l.key, keyW-1))+" "+v)
				} else {
					out = append(out, "  "+strings.Repeat(" ", keyW)+v)
				}
			}
		}
	}
	d.vp.SetContent(strings.Join(out, "\n"))
}

// detailIntent is what a key in the pane asks of the explorer.
type detailIntent int

const (
	detailNone detailIntent = iota
	detailBack
	detailNext
	detailPrev
)

// Update handles the pane's keys.
func (d *detail) Update(msg tea.KeyMsg) (detailIntent, bool) {
	switch {
	case key.Matches(msg, d.keys.Back):
		return detailBack, true
	case key.Matches(msg, d.keys.Next):
		return detailNext, true
	case key.Matches(msg, d.keys.Prev):
		return detailPrev, true
	case key.Matches(msg, d.keys.Up):
		d.vp.ScrollUp(1)
	case key.Matches(msg, d.keys.Down):
		d.vp.ScrollDown(1)
	case key.Matches(msg, d.keys.PageUp):
		d.vp.PageUp()
	case key.Matches(msg, d.keys.PageDown):
		d.vp.PageDown()
	case key.Matches(msg, d.keys.HalfUp):
		d.vp.HalfPageUp()
	case key.Matches(msg, d.keys.HalfDown):
		d.vp.HalfPageDown()
	case key.Matches(msg, d.keys.Top):
		d.vp.GotoTop()
	case key.Matches(msg, d.keys.Bottom):
		d.vp.GotoBottom()
	default:
		return detailNone, false
	}
	return detailNone, true
}

// View draws the pane: a title line, then the text.
func (d *detail) View() string {
	st := d.c.styles
	title := st.PaneTitleFocused
	head := "EVENT " + d.text.title
	switch {
	case d.err != nil:
		return fit(title.Render("EVENT"), d.width) + "\n" + fit(st.Error.Render("  "+event.Safe(d.err.Error())), d.width) + strings.Repeat("\n", max(0, d.height-2))
	case d.loading && d.text.title == "":
		return fit(title.Render("EVENT"), d.width) + "\n" + fit(st.Muted.Render("  loading…"), d.width) + strings.Repeat("\n", max(0, d.height-2))
	}
	pct := ""
	if d.vp.TotalLineCount() > d.vp.Height {
		pct = fmt.Sprintf(" %3.0f%%", d.vp.ScrollPercent()*100)
	}
	top := fit(title.Render(head), d.width-len(pct)) + st.Muted.Render(pct)
	body := d.vp.View()
	lines := strings.Split(body, "\n")
	for i := range lines {
		lines[i] = fit(lines[i], d.width)
	}
	for len(lines) < d.height-1 {
		lines = append(lines, strings.Repeat(" ", d.width))
	}
	return top + "\n" + strings.Join(lines, "\n")
}
