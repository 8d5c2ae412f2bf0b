package tui

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/vigil-dev/vigil/engine"
	"github.com/vigil-dev/vigil/index"
	"github.com/vigil-dev/vigil/query"
)

// snapshot is one run of a query: what was asked, and the point in the
// index its rows are pinned to, so that positions stay put while events
// arrive (those come by the live tail). It is shared by the model and the
// commands that read its rows; nothing in it changes after it is made but
// the caches behind mu.
type snapshot struct {
	gen int
	// ctx ends when another query replaces this one.
	ctx context.Context
	// base, clause and rng are what the model asked: the query as typed,
	// the sidebar's clause added to it, the time range.
	base, clause string
	rng          timeRange
	req          engine.Request
	q            *query.Query
	text         string // the query as run (the request's text)
	// filter is the canonical text of the query's filter, to which stages
	// are appended for the timeline and seeks.
	filter string
	// compiled searches the request; rows are read from pinCursor on.
	compiled *engine.Compiled
	// pinned counts and aggregates the request up to the pin.
	pinned *engine.Compiled
	// pinCursor is the paging cursor before the newest match; pinUntil
	// bounds the time of the counted events to it.
	pinCursor string
	pinUntil  time.Time
	// indexed is the newest searchable seq when the query ran: the live
	// tail starts after it.
	indexed uint64

	mu    sync.Mutex
	hours []engine.Bucket // the matches by hour, oldest first
}

// firstPage runs a request: it compiles it, reads the first page and pins
// the snapshot. A query with a pipe stage is aggregated instead.
func firstPage(ctx context.Context, eng *engine.Engine, gen int, req engine.Request, size int) tea.Msg {
	start := time.Now()
	c, err := eng.Compile(req)
	if err != nil {
		return queryErrorMsg{gen: gen, text: req.Query, err: err}
	}
	snap := &snapshot{gen: gen, req: req, q: c.Query, text: req.Query, filter: c.Query.Filter.String(), compiled: c}
	if c.Query.Stage != nil {
		agg, err := eng.Aggregate(ctx, c)
		if err != nil {
			return queryErrorMsg{gen: gen, text: req.Query, err: err}
		}
		return aggregateMsg{gen: gen, snap: snap, agg: agg, took: time.Since(start)}
	}
	snap.indexed = eng.IndexedSeq()
	page, err := eng.Search(ctx, c, size, "")
	if err != nil {
		return searchErrorMsg{gen: gen, err: fmt.Errorf("search: %w", err)}
	}
	rows := make([]*row, len(page.Events))
	for i, ev := range page.Events {
		rows[i] = newRow(ev)
	}
	msg := firstPageMsg{gen: gen, snap: snap, rows: rows, more: page.Next != "", took: time.Since(start)}
	if len(rows) == 0 {
		snap.pinned = c
		return msg
	}
	top := rows[0]
	snap.pinCursor = index.DocID(top.time, top.seq+1)
	snap.pinUntil = top.time.Add(time.Nanosecond)
	if !req.Until.IsZero() && req.Until.Before(snap.pinUntil) {
		snap.pinUntil = req.Until
	}
	pinReq := req
	pinReq.Until = snap.pinUntil
	if snap.pinned, err = eng.Compile(pinReq); err != nil {
		return searchErrorMsg{gen: gen, err: err}
	}
	return msg
}

// count counts the snapshot's matches: all the query's matches less those
// newer than the pin, which is several times cheaper for the index than
// counting the query bounded by the pin (a range of hours to intersect).
// Counting the newer ones before and after tells that none arrived in
// between.
func (s *snapshot) count(ctx context.Context, eng *engine.Engine) (int, error) {
	if s.pinCursor == "" {
		n, err := eng.Count(ctx, s.pinned)
		return int(n), err
	}
	newer, err := eng.Compile(s.newerRequest())
	if err != nil {
		return 0, err
	}
	for try := 0; try < 3; try++ {
		n1, err := eng.Count(ctx, newer)
		if err != nil {
			return 0, err
		}
		all, err := eng.Count(ctx, s.compiled)
		if err != nil {
			return 0, err
		}
		n2, err := eng.Count(ctx, newer)
		if err != nil {
			return 0, err
		}
		if n1 == n2 && all >= n1 {
			return int(all - n1), nil
		}
	}
	n, err := eng.Count(ctx, s.pinned)
	return int(n), err
}

// newerRequest is the request's matches newer than the pin.
func (s *snapshot) newerRequest() engine.Request {
	r := s.req
	r.Since = maxTime(s.pinUntil, s.req.Since)
	return r
}

// hourly returns the matches by hour up to the pin, oldest first.
func (s *snapshot) hourly(ctx context.Context, eng *engine.Engine) ([]engine.Bucket, error) {
	s.mu.Lock()
	h := s.hours
	s.mu.Unlock()
	if h != nil {
		return h, nil
	}
	// As for count: all by hour, less the newer ones by hour.
	h, err := s.chart(ctx, eng, "1h", s.req.Since, s.req.Until)
	if err != nil {
		return nil, err
	}
	nr := s.newerRequest()
	newer, err := s.chart(ctx, eng, "1h", nr.Since, nr.Until)
	if err != nil {
		return nil, err
	}
	for _, b := range newer {
		for i := range h {
			if h[i].Time.Equal(b.Time) {
				h[i].Count -= b.Count
			}
		}
	}
	if h == nil {
		h = []engine.Bucket{}
	}
	s.mu.Lock()
	s.hours = h
	s.mu.Unlock()
	return h, nil
}

// chart counts the matches in [since, until) by interval, oldest first.
func (s *snapshot) chart(ctx context.Context, eng *engine.Engine, interval string, since, until time.Time) ([]engine.Bucket, error) {
	c, err := eng.Compile(engine.Request{Query: s.filter + " | timechart " + interval, Since: since, Until: until})
	if err != nil {
		return nil, err
	}
	agg, err := eng.Aggregate(ctx, c)
	if err != nil {
		return nil, err
	}
	return agg.Buckets, nil
}

// countSpan counts the matches in [since, until).
func (s *snapshot) countSpan(ctx context.Context, eng *engine.Engine, since, until time.Time) (int, error) {
	c, err := eng.Compile(engine.Request{Query: s.filter, Since: since, Until: until})
	if err != nil {
		return 0, err
	}
	n, err := eng.Count(ctx, c)
	return int(n), err
}

// errNoSeek says that a position cannot be reached by time (the query is
// not exact, or the position is past the end).
var errNoSeek = errors.New("cannot seek")

// bisectWithin is how many rows a seek leaves to be read past: below it, a
// minute is not split further.
const bisectWithin = 200

// seek finds a cursor close before row target (0 is the newest match):
// the hour, then the minute that holds it from the counts by hour and by
// minute, then halves the minute by counts. It returns the cursor and the
// row the cursor's first result is at (at most target).
func (s *snapshot) seek(ctx context.Context, eng *engine.Engine, target int) (cursor string, at int, err error) {
	if s.pinCursor == "" {
		return "", 0, errNoSeek
	}
	hours, err := s.hourly(ctx, eng)
	if err != nil {
		if ctx.Err() != nil {
			return "", 0, err
		}
		// Aggregations refuse a query the index can only narrow down (a
		// phrase of word patterns): such a query is read page by page.
		return "", 0, errNoSeek
	}
	at, hour, ok := locate(hours, target, 0)
	if !ok {
		return "", 0, errNoSeek
	}
	since, until := maxTime(hour, s.req.Since), minTime(hour.Add(time.Hour), s.pinUntil)
	minutes, err := s.chart(ctx, eng, "1m", since, until)
	if err != nil {
		return "", 0, err
	}
	at, minute, ok := locate(minutes, target, at)
	if !ok {
		// The index moved under the counts; start at the hour.
		return s.clampCursor(index.DocID(until, 0)), at, nil
	}
	lo, hi := maxTime(minute, s.req.Since), minTime(minute.Add(time.Minute), s.pinUntil)
	end := hi
	skip := target - at
	best := 0
	for i := 0; i < 40 && skip-best > bisectWithin && hi.Sub(lo) > time.Nanosecond; i++ {
		mid := lo.Add(hi.Sub(lo) / 2)
		n, err := s.countSpan(ctx, eng, mid, end)
		if err != nil {
			return "", 0, err
		}
		if n <= skip {
			hi, best = mid, n
		} else {
			lo = mid
		}
	}
	return s.clampCursor(index.DocID(hi, 0)), at + best, nil
}

// clampCursor keeps a cursor at or below the pin.
func (s *snapshot) clampCursor(c string) string {
	if c > s.pinCursor {
		return s.pinCursor
	}
	return c
}

// locate walks buckets (oldest first) from the newest, starting with rows
// already above them, to the bucket that holds row target. It returns the
// rows above that bucket and its start.
func locate(buckets []engine.Bucket, target, rows int) (int, time.Time, bool) {
	for i := len(buckets) - 1; i >= 0; i-- {
		n := buckets[i].Count
		if rows+n > target {
			return rows, buckets[i].Time, true
		}
		rows += n
	}
	return rows, time.Time{}, false
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

func minTime(a, b time.Time) time.Time {
	if b.IsZero() || (!a.IsZero() && a.Before(b)) {
		return a
	}
	return b
}

// fetchBlock reads the rows of block b (rows b*size to b*size+size-1).
// It starts from the anchor (a block at or before b whose cursor is known)
// when that is within walk rows, else it seeks by time.
func fetchBlock(ctx context.Context, eng *engine.Engine, snap *snapshot, b, size int, anchorBlock int, anchor string, walk int) blockMsg {
	msg := blockMsg{gen: snap.gen, block: b}
	target := b * size
	cursor, at := anchor, anchorBlock*size
	if anchorBlock < 0 || target-at > walk {
		c, n, err := snap.seek(ctx, eng, target)
		switch {
		case err == nil:
			cursor, at = c, n
		case errors.Is(err, errNoSeek) && anchorBlock >= 0:
			// walk from the anchor, however far
		case errors.Is(err, errNoSeek):
			cursor, at = snap.pinCursor, 0
		default:
			msg.err = err
			return msg
		}
	}
	skip := target - at
	page, err := eng.Search(ctx, snap.compiled, skip+size, cursor)
	if err != nil {
		msg.err = err
		return msg
	}
	msg.walked = skip
	evs := page.Events
	if skip > len(evs) {
		skip = len(evs)
	}
	evs = evs[skip:]
	msg.rows = make([]*row, len(evs))
	for i, ev := range evs {
		msg.rows[i] = newRow(ev)
	}
	return msg
}
