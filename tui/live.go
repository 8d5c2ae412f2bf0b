package tui

import (
	"context"
	"errors"
	"strings"
	"sync"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/vigil-dev/vigil/engine"
)

// rateSeconds is how many seconds the events/s sparkline covers.
const rateSeconds = 64

// liveFeed follows the store for one snapshot: a goroutine reads the live
// bus, keeps the events that match the query (off the UI goroutine) and
// signals; the model drains what gathered at most once a frame, so a burst
// of thousands of events a second costs one render a frame.
type liveFeed struct {
	gen    int
	cancel context.CancelFunc
	signal chan struct{} // one pending signal at most
	done   chan struct{} // closed when the goroutine ends
	max    int           // matching events kept pending at most

	mu         sync.Mutex
	pending    []*row // matching events, oldest first
	dropped    int    // matching events dropped from pending beyond the bound
	arrived    int    // stored events seen, matching or not
	matched    int
	deliveries int
	missed     uint64 // events the bus read back for us (we fell behind)
	rate       [rateSeconds]int
	rateSec    int64 // the Unix second of the newest rate slot
	err        error
}

// liveReadyMsg says that live events gathered.
type liveReadyMsg struct{ gen int }

// liveStoppedMsg says that the feed ended (the engine closed, or an error).
type liveStoppedMsg struct {
	gen int
	err error
}

// startLive subscribes to events stored after the snapshot's index point
// and filters them by the snapshot's query and time range.
func startLive(c *common, snap *snapshot) *liveFeed {
	eng, now, bound := c.eng, c.now, c.tune.liveMax
	ctx, cancel := context.WithCancel(c.ctx)
	f := &liveFeed{gen: snap.gen, cancel: cancel, signal: make(chan struct{}, 1), done: make(chan struct{}), max: bound}
	if !c.calls.begin() {
		cancel()
		close(f.done)
		return f
	}
	sub := eng.Subscribe(engine.SubscribeOptions{From: snap.indexed + 1})
	m := snap.compiled.Matcher
	since, until := snap.req.Since, snap.req.Until
	go func() {
		defer close(f.done)
		defer c.calls.end()
		defer sub.Close()
		for {
			d, err := sub.Next(ctx)
			if err != nil {
				if !errors.Is(err, context.Canceled) {
					f.mu.Lock()
					f.err = err
					f.mu.Unlock()
				}
				return
			}
			var rows []*row
			for _, le := range d.Events {
				ev := le.Event
				if (!since.IsZero() && ev.Time.Before(since)) || (!until.IsZero() && !ev.Time.Before(until)) {
					continue
				}
				if m.Match(ev) {
					r := newRow(ev)
					r.live = true
					rows = append(rows, r)
				}
			}
			f.add(now(), len(d.Events), rows, d.Missed)
		}
	}()
	return f
}

// add records a delivery and signals the model.
func (f *liveFeed) add(at time.Time, arrived int, rows []*row, missed uint64) {
	f.mu.Lock()
	sec := at.Unix()
	if f.rateSec == 0 {
		f.rateSec = sec
	}
	for f.rateSec < sec {
		f.rateSec++
		f.rate[f.rateSec%rateSeconds] = 0
		if sec-f.rateSec > rateSeconds {
			f.rateSec = sec - rateSeconds
		}
	}
	f.rate[sec%rateSeconds] += arrived
	f.arrived += arrived
	f.matched += len(rows)
	f.deliveries++
	f.missed += missed
	f.pending = append(f.pending, rows...)
	if over := len(f.pending) - f.max; over > 0 && f.max > 0 {
		f.pending = f.pending[over:]
		f.dropped += over
	}
	f.mu.Unlock()
	select {
	case f.signal <- struct{}{}:
	default:
	}
}

// liveDrain is what gathered since the last drain.
type liveDrain struct {
	rows    []*row // newest first
	dropped int
	arrived int
	matched int
	// deliveries is the number of deliveries from the bus so far.
	deliveries int
	missed     uint64
	rate       []int // events a second, oldest first, the current second last
}

// drain takes what gathered.
func (f *liveFeed) drain(now time.Time) liveDrain {
	f.mu.Lock()
	defer f.mu.Unlock()
	d := liveDrain{dropped: f.dropped, arrived: f.arrived, matched: f.matched, deliveries: f.deliveries, missed: f.missed}
	d.rows = make([]*row, len(f.pending))
	for i, r := range f.pending {
		d.rows[len(f.pending)-1-i] = r
	}
	f.pending = f.pending[:0]
	f.dropped = 0
	d.rate = make([]int, rateSeconds)
	sec := now.Unix()
	for i := 0; i < rateSeconds; i++ {
		s := sec - int64(rateSeconds-1-i)
		if s <= f.rateSec && f.rateSec-s < rateSeconds {
			d.rate[i] = f.rate[s%rateSeconds]
		}
	}
	return d
}

// wait returns a command that sleeps a frame (to coalesce bursts) and
// then waits for the next signal.
func (f *liveFeed) wait(frame time.Duration) tea.Cmd {
	return func() tea.Msg {
		if frame > 0 {
			t := time.NewTimer(frame)
			select {
			case <-t.C:
			case <-f.done:
				t.Stop()
			}
		}
		select {
		case <-f.signal:
			return liveReadyMsg{gen: f.gen}
		case <-f.done:
			f.mu.Lock()
			err := f.err
			f.mu.Unlock()
			return liveStoppedMsg{gen: f.gen, err: err}
		}
	}
}

// stop ends the feed.
func (f *liveFeed) stop() {
	if f != nil {
		f.cancel()
	}
}

// liveState is the live tail as the model shows it.
type liveState struct {
	feed    *liveFeed
	on      bool // following
	paused  bool
	held    []*row // arrived while paused, newest first
	heldN   int    // arrived while paused (held may be bounded)
	arrived int
	matched int
	missed  uint64
	rate    []int
	// drains and deliveries count the frames live rows were drawn in and
	// the deliveries they came in (bursts are coalesced).
	drains, deliveries int
}

// sparkline draws the last n seconds of a rate, scaled to its peak.
func sparkline(rate []int, n int) string {
	if n > len(rate) {
		n = len(rate)
	}
	if n <= 0 {
		return ""
	}
	rate = rate[len(rate)-n:]
	peak := 0
	for _, v := range rate {
		if v > peak {
			peak = v
		}
	}
	var b strings.Builder
	for _, v := range rate {
		if v == 0 || peak == 0 {
			b.WriteRune('▁')
			continue
		}
		b.WriteRune(sparkLevels[(v*len(sparkLevels)-1)/peak])
	}
	return b.String()
}

// perSecond is the rate of the last whole second, or of the current one
// when it is already higher.
func perSecond(rate []int) int {
	if len(rate) < 2 {
		return 0
	}
	return max(rate[len(rate)-1], rate[len(rate)-2])
}

// toggleFollow turns the live tail on (running the query again, so that
// the tail starts right after its newest results) or off.
func (m *Model) toggleFollow() tea.Cmd {
	if m.live.on {
		m.stopLive()
		m.live.on = false
		return m.setFlash("live tail off", false)
	}
	if m.aggMode {
		return m.setFlash("the live tail shows events: run the query without its | stage", true)
	}
	m.live = liveState{on: true}
	return tea.Batch(m.rerun(nil), m.setFlash("following: new events that match stream in at the top (space pauses)", false))
}

// togglePause holds the view still, or lets what arrived in.
func (m *Model) togglePause() tea.Cmd {
	m.live.paused = !m.live.paused
	if m.live.paused {
		return nil
	}
	n := m.table.res.addLive(m.live.held, m.c.tune.liveMax)
	m.table.liveAdded(n)
	m.live.held, m.live.heldN = nil, 0
	return m.fetchRows()
}

// startLive starts the feed of the current snapshot.
func (m *Model) startLive() tea.Cmd {
	m.stopLive()
	m.live.feed = startLive(m.c, m.snap)
	return tea.Batch(m.live.feed.wait(0), m.liveTick(m.live.feed.gen))
}

// stopLive stops the feed, if any.
func (m *Model) stopLive() {
	if m.live.feed != nil {
		m.live.feed.stop()
		m.live.feed = nil
	}
}

// liveReady drains the feed (once a frame at most) and waits for more.
func (m *Model) liveReady(msg liveReadyMsg) tea.Cmd {
	f := m.live.feed
	if f == nil || msg.gen != f.gen {
		return nil
	}
	m.drainLive()
	return f.wait(m.c.tune.frame)
}

// liveTickMsg refreshes the events/s figures once a second while
// following, events or not.
type liveTickMsg struct{ gen int }

func (m *Model) liveTick(gen int) tea.Cmd {
	if m.c.tune.noTicks {
		return nil
	}
	return tea.Tick(time.Second, func(time.Time) tea.Msg { return liveTickMsg{gen: gen} })
}

// onLiveTick drains and schedules the next tick, for the current feed.
func (m *Model) onLiveTick(msg liveTickMsg) tea.Cmd {
	if m.live.feed == nil || msg.gen != m.live.feed.gen {
		return nil
	}
	m.drainLive()
	return m.liveTick(msg.gen)
}

// drainLive moves what the feed gathered into the table, or into the held
// rows while paused, and takes its figures.
func (m *Model) drainLive() {
	f := m.live.feed
	d := f.drain(m.c.now())
	m.live.arrived, m.live.matched, m.live.missed, m.live.rate = d.arrived, d.matched, d.missed, d.rate
	m.live.drains++
	m.live.deliveries = d.deliveries
	m.table.res.liveDropped += d.dropped
	if m.live.paused {
		m.live.heldN += len(d.rows)
		m.live.held = append(d.rows, m.live.held...)
		if len(m.live.held) > m.c.tune.liveMax {
			m.table.res.liveDropped += len(m.live.held) - m.c.tune.liveMax
			m.live.held = m.live.held[:m.c.tune.liveMax]
		}
	} else {
		n := m.table.res.addLive(d.rows, m.c.tune.liveMax)
		m.table.liveAdded(n)
	}
}
