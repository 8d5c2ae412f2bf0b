package tui

import (
	"context"
	"fmt"
	"strings"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/vigil-dev/vigil/engine"
)

// timelineResolution is about how many buckets the timeline reads; the
// strip sums them into its columns, so a resize needs no new read.
const timelineResolution = 480

// loadTimeline counts the snapshot's matches over event time.
func loadTimeline(ctx context.Context, eng *engine.Engine, snap *snapshot) tea.Cmd {
	return func() tea.Msg {
		msg := timelineMsg{gen: snap.gen}
		oldest, newest, err := eng.Store().TimeSpan(ctx)
		if err != nil {
			msg.err = err
			return msg
		}
		from, to := oldest, newest.Add(time.Nanosecond)
		if !snap.req.Since.IsZero() {
			from = snap.req.Since
		}
		if !snap.req.Until.IsZero() {
			to = snap.req.Until
		}
		if !to.After(from) {
			msg.from, msg.to = from, to
			return msg
		}
		interval := chooseInterval(to.Sub(from))
		from = from.Truncate(interval)
		msg.from, msg.to, msg.interval = from, to, interval
		buckets, err := snap.chart(ctx, eng, formatInterval(interval), from, to)
		if err != nil {
			if ctx.Err() == nil {
				msg.unavailableWhy = "no timeline for this query"
			}
			msg.err = err
			return msg
		}
		msg.buckets = buckets
		return msg
	}
}

// chooseInterval is the interval of about timelineResolution buckets over
// span: whole minutes under an hour, whole hours above (what timechart
// counts by).
func chooseInterval(span time.Duration) time.Duration {
	d := span / timelineResolution
	if d <= time.Minute {
		return time.Minute
	}
	if d < time.Hour {
		return (d + time.Minute - 1).Truncate(time.Minute)
	}
	return (d + time.Hour - 1).Truncate(time.Hour)
}

// formatInterval writes an interval for timechart: 5m, 3h.
func formatInterval(d time.Duration) string {
	if d < time.Hour {
		return fmt.Sprintf("%dm", int(d/time.Minute))
	}
	return fmt.Sprintf("%dh", int(d/time.Hour))
}

// timeline is the strip of matches over event time, the selected event's
// time marked on it.
type timeline struct {
	c     *common
	width int

	from, to time.Time
	buckets  []engine.Bucket
	loading  bool
	note     string
	mark     time.Time // the selected event's time
}

func newTimeline(c *common) *timeline { return &timeline{c: c, loading: true} }

// SetSize sets the strip's width.
func (t *timeline) SetSize(w int) { t.width = w }

// set takes new counts.
func (t *timeline) set(m timelineMsg) {
	t.loading = false
	t.from, t.to, t.buckets, t.note = m.from, m.to, m.buckets, m.unavailableWhy
	if m.err != nil && t.note == "" {
		t.note = "timeline: " + m.err.Error()
	}
	if m.err == nil && len(m.buckets) == 0 {
		t.note = "no events in the range to chart"
	}
}

var sparkLevels = []rune("▁▂▃▄▅▆▇█")

// columns sums the buckets into n columns.
func (t *timeline) columns(n int) []int {
	cols := make([]int, n)
	span := t.to.Sub(t.from)
	if span <= 0 || n <= 0 {
		return cols
	}
	for _, b := range t.buckets {
		i := int(int64(b.Time.Sub(t.from)) * int64(n) / int64(span))
		if i < 0 {
			i = 0
		}
		if i >= n {
			i = n - 1
		}
		cols[i] += b.Count
	}
	return cols
}

// View draws the strip: the first date, the bars, the last date.
func (t *timeline) View() string {
	st := t.c.styles
	if t.note != "" {
		return fit(st.Muted.Render(" "+t.note), t.width)
	}
	if t.loading || t.from.IsZero() {
		return fit(st.Muted.Render(" timeline…"), t.width)
	}
	layout := "Jan 02"
	if t.to.Sub(t.from) <= 48*time.Hour {
		layout = "01-02 15:04"
	}
	left := t.from.UTC().Format(layout) + " "
	right := " " + t.to.UTC().Format(layout)
	n := t.width - len(left) - len(right)
	if n < 8 {
		return fit(st.Muted.Render(" "+left), t.width)
	}
	cols := t.columns(n)
	peak := 0
	for _, c := range cols {
		if c > peak {
			peak = c
		}
	}
	markCol := -1
	if !t.mark.IsZero() && !t.mark.Before(t.from) && t.mark.Before(t.to) {
		markCol = int(int64(t.mark.Sub(t.from)) * int64(n) / int64(t.to.Sub(t.from)))
	}
	var bars, b strings.Builder
	flush := func() {
		if bars.Len() > 0 {
			b.WriteString(st.Timeline.Render(bars.String()))
			bars.Reset()
		}
	}
	for i, c := range cols {
		ch := ' '
		if c > 0 {
			lvl := (c*len(sparkLevels) - 1) / peak
			ch = sparkLevels[lvl]
		}
		if i == markCol {
			flush()
			if st.Mono {
				ch = '|'
			} else if ch == ' ' {
				ch = '│'
			}
			b.WriteString(st.TimelineMark.Render(string(ch)))
			continue
		}
		bars.WriteRune(ch)
	}
	flush()
	return st.Muted.Render(left) + b.String() + st.Muted.Render(right)
}
