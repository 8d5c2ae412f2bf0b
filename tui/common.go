package tui

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/charmbracelet/lipgloss"

	"github.com/vigil-dev/vigil/engine"
)

// common is what every component shares: the engine, the options, the
// styles and the clock. It is built once by New and never changes.
type common struct {
	// ctx is Options.Context: every query, job and the live tail end
	// with it.
	ctx      context.Context
	eng      *engine.Engine
	opts     Options
	renderer *lipgloss.Renderer
	styles   *theme
	now      func() time.Time
	// calls are the engine calls in flight.
	calls *calls
	// alertWaits counts the commands waiting for the alert store to change
	// (so that a test can tell them from work in progress).
	alertWaits atomic.Int32
	// tuning of the lazy table, the live tail and the ticks; tests shrink
	// them to reach the interesting paths on small stores.
	tune tuning
}

// tuning holds the sizes and intervals the explorer works with.
type tuning struct {
	// pageSize is the number of rows one fetch reads (a block).
	pageSize int
	// maxBlocks bounds the blocks the table keeps in memory.
	maxBlocks int
	// walkLimit is how many rows a fetch reads forward from a known
	// position before it seeks by time instead.
	walkLimit int
	// maxAnchors bounds the remembered block positions.
	maxAnchors int
	// liveMax bounds the live rows kept above the results.
	liveMax int
	// frame is the least time between two renders of live events.
	frame time.Duration
	// statsEvery is how often the header's figures are refreshed.
	statsEvery time.Duration
	// flashFor is how long a status message stays.
	flashFor time.Duration
	// alertsRefresh is how often the alert store is asked to read what
	// another process added; alertsSettle how long the alerts are left to
	// settle after a change before they are read again (a burst is read
	// once). Zero: never, not at all.
	alertsRefresh, alertsSettle time.Duration
	// ticks turns off every timer (tests drive the model by hand).
	noTicks bool
}

func defaultTuning() tuning {
	return tuning{
		pageSize:   100,
		maxBlocks:  12,
		walkLimit:  2000,
		maxAnchors: 4096,
		liveMax:    5000,
		frame:      time.Second / 60,
		statsEvery: 2 * time.Second,
		flashFor:   4 * time.Second,

		alertsRefresh: 2 * time.Second,
		alertsSettle:  200 * time.Millisecond,
	}
}

// calls counts the engine calls in flight (commands, jobs, the live
// tail), so that Close can wait for them before the engine is closed.
type calls struct {
	mu     sync.Mutex
	idle   *sync.Cond
	n      int
	closed bool
}

func newCalls() *calls {
	c := &calls{}
	c.idle = sync.NewCond(&c.mu)
	return c
}

// begin records a call; false once closed (the call must not run).
func (c *calls) begin() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return false
	}
	c.n++
	return true
}

// end records the end of a call.
func (c *calls) end() {
	c.mu.Lock()
	c.n--
	if c.n == 0 {
		c.idle.Broadcast()
	}
	c.mu.Unlock()
}

// closeAndWait refuses new calls and waits for those in flight.
func (c *calls) closeAndWait() {
	c.mu.Lock()
	c.closed = true
	for c.n > 0 {
		c.idle.Wait()
	}
	c.mu.Unlock()
}

// call wraps a command that uses the engine: it does not run once the
// explorer is closed, and Close waits for it.
func (c *common) call(cmd tea.Cmd) tea.Cmd {
	if cmd == nil {
		return nil
	}
	return func() tea.Msg {
		if !c.calls.begin() {
			return nil
		}
		defer c.calls.end()
		return cmd()
	}
}

// scrollWindow keeps a selection sel among n rows and, for a view of page
// rows starting at top, on screen without blank rows below the last; it
// returns the new sel and top.
func scrollWindow(sel, top, n, page int) (int, int) {
	page = max(page, 1)
	sel = max(min(sel, n-1), 0)
	top = min(top, sel)
	if sel >= top+page {
		top = sel - page + 1
	}
	top = max(min(top, n-page), 0)
	return sel, top
}
