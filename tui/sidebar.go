package tui

import (
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/vigil-dev/vigil/engine"
	"github.com/vigil-dev/vigil/event"
)

// sidebarKeys are the sidebar's keys.
type sidebarKeys struct {
	Up, Down, Select, Expand, Collapse, Clear key.Binding
}

func newSidebarKeys() sidebarKeys {
	return sidebarKeys{
		Up:       key.NewBinding(key.WithKeys("up", "k"), key.WithHelp("↑/k", "up")),
		Down:     key.NewBinding(key.WithKeys("down", "j"), key.WithHelp("↓/j", "down")),
		Select:   key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "filter on it")),
		Expand:   key.NewBinding(key.WithKeys("right", "l"), key.WithHelp("→/l", "show actions")),
		Collapse: key.NewBinding(key.WithKeys("left", "h"), key.WithHelp("←/h", "hide actions")),
		Clear:    key.NewBinding(key.WithKeys("backspace", "x"), key.WithHelp("x", "clear filter")),
	}
}

// ShortHelp is the sidebar's help in the status line.
func (k sidebarKeys) ShortHelp() []key.Binding { return []key.Binding{k.Select, k.Expand, k.Clear} }

// FullHelp is the sidebar's help in the help overlay.
func (k sidebarKeys) FullHelp() [][]key.Binding {
	return [][]key.Binding{{k.Up, k.Down, k.Select, k.Expand, k.Collapse, k.Clear}}
}

// sideItem is a line of the sidebar: everything, a category, or an action
// of the expanded category.
type sideItem struct {
	kind  sideKind
	value string // as received (for the clause)
	label string // made safe
	count int
}

type sideKind int

const (
	sideAll sideKind = iota
	sideCategory
	sideAction
)

// clause is the query clause an item stands for ("" for everything).
func (it sideItem) clause() string {
	switch it.kind {
	case sideCategory:
		return termClause("category", it.value)
	case sideAction:
		return termClause("action", it.value)
	}
	return ""
}

// sidebarIntent is what a key in the sidebar asks the explorer to do.
type sidebarIntent struct {
	filter  bool   // apply clause (empty: clear the filter)
	clause  string // e.g. category:security
	label   string
	expand  string // fetch the actions of this category
	refused string // why the item cannot be a filter
}

// sidebar lists the categories with their counts for the query (without
// the sidebar's own filter); the expanded one lists its actions.
type sidebar struct {
	c       *common
	keys    sidebarKeys
	width   int
	height  int
	focused bool

	total      int
	categories []engine.Bucket
	expanded   string
	actions    []engine.Bucket
	loading    bool

	items  []sideItem
	cursor int
	top    int
	// active is the clause applied from the sidebar ("" for none).
	active string
}

func newSidebar(c *common) *sidebar {
	return &sidebar{c: c, keys: newSidebarKeys(), loading: true}
}

// SetSize sets the sidebar's size.
func (s *sidebar) SetSize(w, h int) {
	s.width, s.height = w, h
	s.clamp()
}

// setFacets takes new counts.
func (s *sidebar) setFacets(m facetsMsg) {
	s.loading = false
	if m.expanded == "" {
		s.categories, s.total = m.categories, m.total
		if s.expanded != "" {
			return // the actions follow in their own message
		}
	} else if m.expanded == s.expanded {
		s.actions = m.actions
	}
	s.rebuild()
}

// rebuild lays the items out from the counts, keeping the cursor on the
// same item when it is still there.
func (s *sidebar) rebuild() {
	var cur sideItem
	if s.cursor < len(s.items) {
		cur = s.items[s.cursor]
	}
	s.items = s.items[:0]
	s.items = append(s.items, sideItem{kind: sideAll, label: "All events", count: s.total})
	for _, c := range s.categories {
		s.items = append(s.items, sideItem{kind: sideCategory, value: c.Value, label: event.Safe(c.Value), count: c.Count})
		if c.Value == s.expanded {
			for _, a := range s.actions {
				s.items = append(s.items, sideItem{kind: sideAction, value: a.Value, label: event.Safe(a.Value), count: a.Count})
			}
		}
	}
	s.cursor = 0
	for i, it := range s.items {
		if it.kind == cur.kind && it.value == cur.value {
			s.cursor = i
			break
		}
	}
	s.clamp()
}

func (s *sidebar) clamp() {
	s.cursor, s.top = scrollWindow(s.cursor, s.top, len(s.items), s.height-1)
}

// Update handles the sidebar's keys.
func (s *sidebar) Update(msg tea.KeyMsg) (sidebarIntent, bool) {
	var in sidebarIntent
	switch {
	case key.Matches(msg, s.keys.Up):
		s.cursor--
	case key.Matches(msg, s.keys.Down):
		s.cursor++
	case key.Matches(msg, s.keys.Select):
		return s.selectItem(), true
	case key.Matches(msg, s.keys.Expand):
		if it, ok := s.current(); ok && it.kind == sideCategory && s.expanded != it.value {
			s.expanded, s.actions = it.value, nil
			in.expand = it.value
			s.rebuild()
		}
	case key.Matches(msg, s.keys.Collapse):
		if s.expanded != "" {
			cat := s.expanded
			s.expanded, s.actions = "", nil
			s.rebuild()
			for i, it := range s.items {
				if it.kind == sideCategory && it.value == cat {
					s.cursor = i
				}
			}
		}
	case key.Matches(msg, s.keys.Clear):
		return sidebarIntent{filter: true}, true
	default:
		return in, false
	}
	s.clamp()
	return in, true
}

// click selects the item on line y (0 is the title) and applies it.
func (s *sidebar) click(y int) sidebarIntent {
	if y < 1 || s.top+y-1 >= len(s.items) {
		return sidebarIntent{}
	}
	s.cursor = s.top + y - 1
	return s.selectItem()
}

func (s *sidebar) current() (sideItem, bool) {
	if s.cursor < len(s.items) {
		return s.items[s.cursor], true
	}
	return sideItem{}, false
}

// selectItem filters on the item under the cursor; a category also opens.
func (s *sidebar) selectItem() sidebarIntent {
	it, ok := s.current()
	if !ok {
		return sidebarIntent{}
	}
	if it.kind != sideAll && event.Safe(it.value) != it.value {
		return sidebarIntent{refused: "this value holds control characters: it cannot be typed into a query"}
	}
	in := sidebarIntent{filter: true, clause: it.clause(), label: it.label}
	if it.kind == sideCategory && s.expanded != it.value {
		s.expanded, s.actions = it.value, nil
		in.expand = it.value
		s.rebuild()
	}
	return in
}

// View draws the sidebar.
func (s *sidebar) View() string {
	st := s.c.styles
	title := st.PaneTitle
	if s.focused {
		title = st.PaneTitleFocused
	}
	var b strings.Builder
	b.WriteString(fit(title.Render("CATEGORIES"), s.width))
	lines := s.height - 1
	for i := 0; i < lines; i++ {
		b.WriteByte('\n')
		idx := s.top + i
		if idx >= len(s.items) {
			if idx == 0 && s.loading {
				b.WriteString(st.Muted.Render(fit(" counting…", s.width)))
			} else {
				b.WriteString(strings.Repeat(" ", s.width))
			}
			continue
		}
		b.WriteString(s.renderItem(s.items[idx], idx == s.cursor))
	}
	return b.String()
}

// renderItem draws one item: a marker of the cursor, one of the filter
// applied, the label, and its count right-aligned.
func (s *sidebar) renderItem(it sideItem, atCursor bool) string {
	st := s.c.styles
	var prefix string
	switch it.kind {
	case sideCategory:
		if it.value == s.expanded {
			prefix = "▾ "
		} else {
			prefix = "▸ "
		}
	case sideAction:
		prefix = "  "
	}
	mark := " "
	if atCursor && s.focused {
		mark = "▶"
	}
	on := " "
	if (it.kind == sideAll && s.active == "") || (it.kind != sideAll && it.clause() == s.active) {
		on = "●"
	}
	count := formatCount(it.count)
	labelW := s.width - 2 - ansiWidth(prefix) - 1 - len(count)
	head := mark + on + prefix + fit(it.label, labelW) + " "
	if atCursor && s.focused {
		return st.Selected.Render(head) + st.SidebarCount.Inherit(st.Selected).Render(count)
	}
	return head + st.SidebarCount.Render(count)
}
