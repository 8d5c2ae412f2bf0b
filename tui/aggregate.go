package tui

import (
	"fmt"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/vigil-dev/vigil/engine"
	"github.com/vigil-dev/vigil/event"
	"github.com/vigil-dev/vigil/query"
)

// aggView shows the answer to a query with a pipe stage (top, count by,
// timechart): one line a value or a bucket, with a bar. Enter drills down
// to the events of the line.
type aggView struct {
	c       *common
	keys    tableKeys
	width   int
	height  int
	focused bool

	snap *snapshot
	agg  *engine.Aggregation
	sel  int
	top  int
}

func newAggView(c *common) *aggView { return &aggView{c: c, keys: newTableKeys()} }

// SetSize sets the view's size.
func (a *aggView) SetSize(w, h int) {
	a.width, a.height = w, h
	a.clamp()
}

func (a *aggView) set(snap *snapshot, agg *engine.Aggregation) {
	a.snap, a.agg, a.sel, a.top = snap, agg, 0, 0
}

func (a *aggView) rows() int {
	if a.agg == nil {
		return 0
	}
	return len(a.agg.Buckets)
}

func (a *aggView) clamp() {
	a.sel, a.top = scrollWindow(a.sel, a.top, a.rows(), a.height-1)
}

// Update moves the selection; on enter it returns the query of the line.
func (a *aggView) Update(msg tea.KeyMsg) (*runRequest, bool) {
	page := a.height - 1
	switch {
	case key.Matches(msg, a.keys.Up):
		a.sel--
	case key.Matches(msg, a.keys.Down):
		a.sel++
	case key.Matches(msg, a.keys.PageUp):
		a.sel -= page
	case key.Matches(msg, a.keys.PageDown):
		a.sel += page
	case key.Matches(msg, a.keys.HalfUp):
		a.sel -= page / 2
	case key.Matches(msg, a.keys.HalfDown):
		a.sel += page / 2
	case key.Matches(msg, a.keys.Top):
		a.sel = 0
	case key.Matches(msg, a.keys.Bottom):
		a.sel = a.rows() - 1
	case key.Matches(msg, a.keys.Open):
		return a.drill(), true
	default:
		return nil, false
	}
	a.clamp()
	return nil, true
}

// drill is the query of the selected line: the filter and the value (or
// the bucket's time span).
func (a *aggView) drill() *runRequest {
	if a.agg == nil || a.sel >= len(a.agg.Buckets) {
		return nil
	}
	b := a.agg.Buckets[a.sel]
	filter := a.snap.filter
	switch s := a.agg.Stage.(type) {
	case *query.Timechart:
		r := timeRange{preset: "custom",
			from: b.Time.UTC().Format(time.RFC3339), to: b.Time.Add(s.Interval - time.Nanosecond).UTC().Format(time.RFC3339Nano)}
		return &runRequest{text: filter, rng: &r}
	case *query.Top:
		return &runRequest{text: andClause(filter, termClause(s.Field, b.Value))}
	case *query.CountBy:
		return &runRequest{text: andClause(filter, termClause(s.Field, b.Value))}
	}
	return nil
}

// View draws the lines on screen.
func (a *aggView) View() string {
	st := a.c.styles
	if a.agg == nil {
		return fit(st.Muted.Render("  aggregating…"), a.width)
	}
	label := "VALUE"
	if _, ok := a.agg.Stage.(*query.Timechart); ok {
		label = "TIME (UTC)"
	}
	peak := 1
	labelW := len(label)
	for _, b := range a.agg.Buckets {
		if b.Count > peak {
			peak = b.Count
		}
		if w := ansiWidth(a.label(b)); w > labelW {
			labelW = w
		}
	}
	if labelW > a.width/2 {
		labelW = a.width / 2
	}
	countW := len(formatCount(peak)) + 1
	if countW < 6 {
		countW = 6
	}
	const markW = 2 // "▶ "
	barW := a.width - markW - labelW - countW - 10
	var out []string
	head := fmt.Sprintf("%s%s %*s  %s", strings.Repeat(" ", markW), fit(label, labelW), countW, "COUNT", "SHARE")
	out = append(out, st.ColumnHeader.Render(fit(head, a.width)))
	page := a.height - 1
	for i := a.top; i < len(a.agg.Buckets) && i < a.top+page; i++ {
		b := a.agg.Buckets[i]
		share := 0.0
		if a.agg.Total > 0 {
			share = float64(b.Count) * 100 / float64(a.agg.Total)
		}
		bar := ""
		if barW > 0 {
			bar = strings.Repeat("█", b.Count*barW/peak)
		}
		mark := "  "
		if i == a.sel {
			mark = "▶ "
		}
		text := fmt.Sprintf("%s %*s %5.1f%% ", fit(a.label(b), labelW), countW, formatCount(b.Count), share)
		if i == a.sel {
			out = append(out, st.Selected.Render(mark+text)+st.Timeline.Render(bar))
		} else {
			out = append(out, mark+text+st.Timeline.Render(bar))
		}
	}
	if len(a.agg.Buckets) == 0 {
		out = append(out, st.Muted.Render("  No events match."))
	}
	for i := range out {
		out[i] = fit(out[i], a.width)
	}
	for len(out) < a.height {
		out = append(out, strings.Repeat(" ", a.width))
	}
	return strings.Join(out, "\n")
}

func (a *aggView) label(b engine.Bucket) string {
	if _, ok := a.agg.Stage.(*query.Timechart); ok {
		return b.Time.UTC().Format("2006-01-02 15:04")
	}
	if b.Value == "" {
		return "(none)"
	}
	return event.Safe(b.Value)
}
