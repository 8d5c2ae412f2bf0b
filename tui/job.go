package tui

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	tea "github.com/charmbracelet/bubbletea"
)

// job is a long engine call (an export, a verify) running in its own
// goroutine: the dialog polls its progress on a tick and is told when it
// ends. Esc cancels it through its context.
type job struct {
	id     int
	cancel context.CancelFunc
	done   atomic.Uint64
	total  atomic.Uint64
	end    chan struct{}

	mu      sync.Mutex
	outcome string
	err     error
	ok      bool // for verify: intact
}

// jobTickMsg asks a dialog to redraw its job's progress.
type jobTickMsg struct{ id int }

// jobDoneMsg says that a job ended.
type jobDoneMsg struct{ id int }

// startJob runs fn in a goroutine; fn reports progress through the job.
// Once the explorer is closed it does not start.
func startJob(c *common, id int, fn func(ctx context.Context, j *job) (outcome string, ok bool, err error)) *job {
	ctx, cancel := context.WithCancel(c.ctx)
	j := &job{id: id, cancel: cancel, end: make(chan struct{})}
	if !c.calls.begin() {
		cancel()
		j.err = context.Canceled
		close(j.end)
		return j
	}
	go func() {
		defer close(j.end)
		defer c.calls.end()
		out, ok, err := fn(ctx, j)
		j.mu.Lock()
		j.outcome, j.ok, j.err = out, ok, err
		j.mu.Unlock()
	}()
	return j
}

// running reports whether the job has started and not ended; false for
// no job (nil).
func (j *job) running() bool {
	if j == nil {
		return false
	}
	select {
	case <-j.end:
		return false
	default:
		return true
	}
}

// stop cancels the job, if there is one.
func (j *job) stop() {
	if j != nil {
		j.cancel()
	}
}

// wait returns a command that reports the job's end.
func (j *job) wait() tea.Cmd {
	return func() tea.Msg {
		<-j.end
		return jobDoneMsg{id: j.id}
	}
}

// tick returns a command that asks for a redraw of the progress.
func (j *job) tick(noTicks bool) tea.Cmd {
	if noTicks {
		return nil
	}
	return tea.Tick(100*time.Millisecond, func(time.Time) tea.Msg { return jobTickMsg{id: j.id} })
}

// result is the job's outcome once it ended.
func (j *job) result() (string, bool, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.outcome, j.ok, j.err
}

// fraction is the progress from 0 to 1, -1 when the total is unknown.
func (j *job) fraction() float64 {
	t := j.total.Load()
	if t == 0 {
		return -1
	}
	f := float64(j.done.Load()) / float64(t)
	if f > 1 {
		f = 1
	}
	return f
}
