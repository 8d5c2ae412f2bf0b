package tui

import (
	"errors"
	"sort"
	"strings"

	"github.com/charmbracelet/bubbles/cursor"
	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/vigil-dev/vigil/event"
	"github.com/vigil-dev/vigil/query"
)

// queryKeys are the query bar's keys while it is edited.
type queryKeys struct {
	Run, Cancel, Older, Newer, Complete key.Binding
}

func newQueryKeys() queryKeys {
	return queryKeys{
		Run:      key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "run query")),
		Cancel:   key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "cancel edit")),
		Older:    key.NewBinding(key.WithKeys("up", "ctrl+p"), key.WithHelp("↑", "older query")),
		Newer:    key.NewBinding(key.WithKeys("down", "ctrl+n"), key.WithHelp("↓", "newer query")),
		Complete: key.NewBinding(key.WithKeys("tab"), key.WithHelp("tab", "complete field or value")),
	}
}

// ShortHelp is the query bar's help in the status line.
func (k queryKeys) ShortHelp() []key.Binding {
	return []key.Binding{k.Run, k.Cancel, k.Older, k.Complete}
}

// FullHelp is the query bar's help in the help overlay.
func (k queryKeys) FullHelp() [][]key.Binding {
	return [][]key.Binding{{k.Run, k.Cancel, k.Older, k.Newer, k.Complete}}
}

// newTextInput is a text input in the explorer's styles. Its cursor does
// not blink: a blinking cursor redraws the screen twice a second for
// nothing, which costs over SSH.
func newTextInput(c *common, limit int) textinput.Model {
	ti := textinput.New()
	ti.Prompt = ""
	ti.CharLimit = limit
	ti.TextStyle = c.styles.QueryText
	ti.PlaceholderStyle = c.styles.Placeholder
	ti.Cursor.Style = c.renderer.NewStyle().Reverse(true)
	ti.Cursor.TextStyle = c.styles.QueryText
	ti.Cursor.SetMode(cursor.CursorStatic)
	return ti
}

// queryIntent is what the query bar asks of the explorer.
type queryIntent int

const (
	queryNone queryIntent = iota
	queryRun
	queryCancel
)

// maxHistory bounds the query history kept.
const maxHistory = 500

// queryBar is the query line: the query that runs (with the sidebar's
// clause beside it), edited with history and completion; a query that
// does not parse shows its error with a caret under it.
type queryBar struct {
	c       *common
	keys    queryKeys
	input   textinput.Model
	width   int
	focused bool

	// current is the query whose results are shown; chip the sidebar's
	// clause added to it.
	current string
	chip    string

	history []string // oldest first
	histPos int      // index into history while browsing; len(history) when not
	draft   string   // what was typed before browsing

	// completion: the candidates of the word at the cursor, the one shown.
	cands    []string
	candPos  int
	candFrom int // byte offset of the word being completed
	candTo   int

	// err is the error of the query errText (kept until it changes).
	err     error
	errText string

	// values lists the values seen (the sidebar's), by field, to complete.
	values func(field string) []string
}

func newQueryBar(c *common) *queryBar {
	ti := newTextInput(c, 4096)
	ti.Placeholder = "search: action:login.failed AND ip:10.0.0.0/8   (? for help)"
	return &queryBar{c: c, keys: newQueryKeys(), input: ti, current: "*"}
}

// SetSize sets the bar's width.
func (q *queryBar) SetSize(w int) {
	q.width = w
	q.input.Width = w - ansiWidth(q.prompt()) - 1
	if q.input.Width < 1 {
		q.input.Width = 1
	}
}

func (q *queryBar) prompt() string { return "/ " }

// Height is the number of lines the bar takes.
func (q *queryBar) Height() int {
	return len(q.extraLines()) + 1
}

// Focus starts editing the query shown.
func (q *queryBar) Focus() {
	q.focused = true
	text := andClause(q.current, q.chip)
	if q.err != nil {
		text = q.errText
	}
	if text == "*" {
		text = ""
	}
	q.input.SetValue(text)
	q.input.CursorEnd()
	q.input.Focus()
	q.histPos = len(q.history)
	q.cands = nil
}

// Blur ends editing.
func (q *queryBar) Blur() {
	q.focused = false
	q.input.Blur()
	q.cands = nil
}

// Value is the text being edited.
func (q *queryBar) Value() string { return q.input.Value() }

// remember adds a query that ran to the history.
func (q *queryBar) remember(text string) {
	text = strings.TrimSpace(text)
	if text == "" || event.Safe(text) != text {
		return
	}
	for i, h := range q.history {
		if h == text {
			q.history = append(q.history[:i], q.history[i+1:]...)
			break
		}
	}
	q.history = append(q.history, text)
	if len(q.history) > maxHistory {
		q.history = q.history[len(q.history)-maxHistory:]
	}
	q.histPos = len(q.history)
}

// setError shows the error of a query; nil clears it.
func (q *queryBar) setError(text string, err error) {
	q.err, q.errText = err, text
}

// Update handles keys while the bar is edited.
func (q *queryBar) Update(msg tea.Msg) (queryIntent, tea.Cmd) {
	km, ok := msg.(tea.KeyMsg)
	if !ok {
		var cmd tea.Cmd
		q.input, cmd = q.input.Update(msg)
		return queryNone, cmd
	}
	if !key.Matches(km, q.keys.Complete) {
		q.cands = nil
	}
	switch {
	case key.Matches(km, q.keys.Run):
		return queryRun, nil
	case key.Matches(km, q.keys.Cancel):
		return queryCancel, nil
	case key.Matches(km, q.keys.Older):
		if q.histPos == len(q.history) {
			q.draft = q.input.Value()
		}
		if q.histPos > 0 {
			q.histPos--
			q.input.SetValue(q.history[q.histPos])
			q.input.CursorEnd()
		}
		return queryNone, nil
	case key.Matches(km, q.keys.Newer):
		if q.histPos < len(q.history) {
			q.histPos++
			if q.histPos == len(q.history) {
				q.input.SetValue(q.draft)
			} else {
				q.input.SetValue(q.history[q.histPos])
			}
			q.input.CursorEnd()
		}
		return queryNone, nil
	case key.Matches(km, q.keys.Complete):
		q.complete()
		return queryNone, nil
	}
	var cmd tea.Cmd
	q.input, cmd = q.input.Update(msg)
	return queryNone, cmd
}

// complete completes the word at the cursor: a field name, or after
// "field:" a value of that field. Several candidates: the first tab
// completes what they share and lists them, the next ones cycle.
func (q *queryBar) complete() {
	text := q.input.Value()
	if q.cands != nil {
		q.candPos = (q.candPos + 1) % len(q.cands)
		q.replaceWord(text, q.cands[q.candPos])
		return
	}
	runes := []rune(text)
	pos := q.input.Position()
	if pos > len(runes) {
		pos = len(runes)
	}
	head := string(runes[:pos])
	from := strings.LastIndexAny(head, " (") + 1
	word := head[from:]
	if strings.HasPrefix(word, "-") {
		from++
		word = word[1:]
	}
	q.candFrom, q.candTo = from, len(head)
	cands := completions(word, q.values)
	switch len(cands) {
	case 0:
		return
	case 1:
		q.replaceWord(text, cands[0])
		return
	}
	common := cands[0]
	for _, c := range cands[1:] {
		for !strings.HasPrefix(strings.ToLower(c), strings.ToLower(common)) {
			common = common[:len(common)-1]
		}
	}
	if len(common) > len(word) {
		q.replaceWord(text, common)
	}
	q.cands, q.candPos = cands, -1
}

// replaceWord puts s in place of the word being completed.
func (q *queryBar) replaceWord(text, s string) {
	if q.candTo > len(text) {
		q.candTo = len(text)
	}
	nt := text[:q.candFrom] + s + text[q.candTo:]
	q.input.SetValue(nt)
	q.candTo = q.candFrom + len(s)
	q.input.SetCursor(len([]rune(nt[:q.candTo])))
}

// completions lists what word can become: "field:" for a prefix of a
// field name, "field:value" for a prefix of a value of that field.
func completions(word string, values func(string) []string) []string {
	lw := strings.ToLower(word)
	if i := strings.IndexByte(word, ':'); i >= 0 {
		field := word[:i]
		canon, ok := query.CanonicalField(field)
		if !ok {
			return nil
		}
		prefix := strings.TrimLeft(word[i+1:], "<>=")
		op := word[i+1 : len(word)-len(prefix)]
		prefix = strings.Trim(prefix, `"`)
		var vals []string
		for _, f := range query.Fields() {
			if f.Name == canon {
				vals = append(vals, f.Values...)
			}
		}
		if values != nil {
			vals = append(vals, values(canon)...)
		}
		var out []string
		seen := map[string]bool{}
		for _, v := range vals {
			if seen[v] || !strings.HasPrefix(strings.ToLower(v), strings.ToLower(prefix)) || event.Safe(v) != v {
				continue
			}
			seen[v] = true
			t := termClause(canon, v)
			out = append(out, field+":"+op+t[len(canon)+1:])
		}
		sort.Strings(out)
		return out
	}
	var out []string
	for _, f := range query.Fields() {
		for _, name := range append([]string{f.Name}, f.Aliases...) {
			if strings.HasPrefix(name, lw) {
				if strings.HasSuffix(name, ".") {
					out = append(out, name)
				} else {
					out = append(out, name+":")
				}
			}
		}
	}
	sort.Strings(out)
	return out
}

// extraLines are the lines under the query: its error with a caret, or
// the completion candidates.
func (q *queryBar) extraLines() []string {
	st := q.c.styles
	var out []string
	if q.err != nil && (!q.focused || q.input.Value() == q.errText) {
		var pe *query.ParseError
		if errors.As(q.err, &pe) {
			pad := ansiWidth(q.prompt())
			caret := pe.Caret()
			lines := strings.Split(caret, "\n")
			// Caret draws the query line first; when the query fits the
			// bar, the caret goes right under it.
			if len(lines) >= 2 && ansiWidth(q.errText) < q.input.Width && pe.Pos.IsValid() && !strings.Contains(q.errText, "\n") {
				for _, l := range lines[1:] {
					out = append(out, fit(strings.Repeat(" ", pad)+st.Caret.Render(event.Safe(l)), q.width))
				}
			} else {
				for i, l := range lines {
					s := event.Safe(l)
					if i == 0 && len(lines) > 1 {
						out = append(out, fit("  "+s, q.width))
					} else {
						out = append(out, fit("  "+st.Caret.Render(s), q.width))
					}
				}
			}
		} else {
			out = append(out, fit(st.Error.Render("  "+event.Safe(q.err.Error())), q.width))
		}
	}
	if q.focused && len(q.cands) > 0 {
		var b strings.Builder
		for i, c := range q.cands {
			if i > 0 {
				b.WriteString("  ")
			}
			if i == q.candPos {
				b.WriteString(st.StatusKey.Render(c))
			} else {
				b.WriteString(st.Muted.Render(c))
			}
		}
		out = append(out, fit("  "+b.String(), q.width))
	}
	return out
}

// View draws the bar and the lines under it.
func (q *queryBar) View() string {
	st := q.c.styles
	var line string
	if q.focused {
		line = st.Prompt.Render(q.prompt()) + q.input.View()
	} else {
		text := q.current
		if q.err != nil {
			text = q.errText
		}
		p := st.Muted.Render(q.prompt())
		var body string
		switch {
		case q.chip != "" && q.err == nil && strings.TrimSpace(text) == "*":
			body = st.Chip.Render(event.Safe(q.chip))
		case q.chip != "" && q.err == nil:
			body = st.QueryText.Render(event.Safe(text)) + st.Muted.Render(" AND ") + st.Chip.Render(event.Safe(q.chip))
		default:
			body = st.QueryText.Render(event.Safe(text))
		}
		line = p + body
	}
	out := []string{fit(line, q.width)}
	out = append(out, q.extraLines()...)
	return strings.Join(out, "\n")
}
