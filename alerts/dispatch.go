package alerts

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vigil-dev/vigil/alerts/action"
)

// DispatchOptions configure the delivery of notifications.
type DispatchOptions struct {
	// QueueSize bounds the notifications waiting for each action; when
	// full, new ones are dropped and counted. 256 when zero.
	QueueSize int
	// MaxAttempts bounds the attempts at one notification. 6 when zero.
	MaxAttempts int
	// Backoff is the wait before attempt n+1 after n failed (n >= 1); by
	// default 1s, 2s, 4s, ... up to a minute. A receiver's Retry-After
	// is honoured up to the same minute.
	Backoff func(n int) time.Duration
	// Now stamps the last success and failure; time.Now when nil.
	Now func() time.Time
}

// DefaultBackoff waits 1s, 2s, 4s, ... up to a minute.
func DefaultBackoff(n int) time.Duration {
	d := time.Second << min(n-1, 6)
	return min(d, time.Minute)
}

// ActionStats is the state of one action, for status pages and metrics.
type ActionStats struct {
	Name string `json:"name"`
	Type string `json:"type"`
	// Queued is how many notifications wait now.
	Queued int `json:"queued"`
	// Sent counts notifications delivered; Failed those given up on
	// (attempts used up, or a permanent failure); Retries the failed
	// attempts that were tried again; Dropped those refused because the
	// queue was full.
	Sent    uint64 `json:"sent"`
	Failed  uint64 `json:"failed"`
	Retries uint64 `json:"retries"`
	Dropped uint64 `json:"dropped"`
	// LastError is the last failed attempt's error, and when.
	LastError   string    `json:"last_error,omitempty"`
	LastErrorAt time.Time `json:"last_error_at,omitzero"`
	LastSentAt  time.Time `json:"last_sent_at,omitzero"`
}

// dispatcher delivers notifications: one queue and one goroutine per
// action, so that a slow or failing action delays only itself, and never
// the evaluator, which only ever enqueues without blocking.
type dispatcher struct {
	opts   DispatchOptions
	log    *slog.Logger
	queues map[string]*actionQueue
	order  []*actionQueue
	wg     sync.WaitGroup
}

type actionQueue struct {
	sender  action.Sender
	ch      chan action.Message
	sent    atomic.Uint64
	failed  atomic.Uint64
	retries atomic.Uint64
	dropped atomic.Uint64

	mu         sync.Mutex
	lastErr    string
	lastErrAt  time.Time
	lastSentAt time.Time
	inFlight   atomic.Int32
}

func newDispatcher(senders []action.Sender, opts DispatchOptions, log *slog.Logger) *dispatcher {
	if opts.QueueSize <= 0 {
		opts.QueueSize = 256
	}
	if opts.MaxAttempts <= 0 {
		opts.MaxAttempts = 6
	}
	if opts.Backoff == nil {
		opts.Backoff = DefaultBackoff
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	d := &dispatcher{opts: opts, log: log, queues: map[string]*actionQueue{}}
	for _, s := range senders {
		q := &actionQueue{sender: s, ch: make(chan action.Message, opts.QueueSize)}
		d.queues[s.Name()] = q
		d.order = append(d.order, q)
	}
	return d
}

// start runs a worker per action until ctx ends.
func (d *dispatcher) start(ctx context.Context) {
	for _, q := range d.order {
		d.wg.Add(1)
		go func() {
			defer d.wg.Done()
			d.work(ctx, q)
		}()
	}
}

// wait returns once every worker has stopped.
func (d *dispatcher) wait() { d.wg.Wait() }

// enqueue hands m to the named action without blocking; it reports false
// when the action's queue is full (and counts the drop).
func (d *dispatcher) enqueue(name string, m action.Message) bool {
	q := d.queues[name]
	if q == nil {
		return false
	}
	select {
	case q.ch <- m:
		return true
	default:
		// Logged at the 1st, 2nd, 4th, 8th ... drop: a flood of alerts
		// must not flood the log too.
		if n := q.dropped.Add(1); n&(n-1) == 0 {
			d.log.Warn("alerts: action queue full, notifications dropped", "action", name, "dropped", n)
		}
		return false
	}
}

func (d *dispatcher) work(ctx context.Context, q *actionQueue) {
	for {
		select {
		case <-ctx.Done():
			return
		case m := <-q.ch:
			q.inFlight.Add(1)
			d.deliver(ctx, q, m)
			q.inFlight.Add(-1)
		}
	}
}

// deliver tries m until it is sent, fails permanently, runs out of
// attempts, or ctx ends.
func (d *dispatcher) deliver(ctx context.Context, q *actionQueue, m action.Message) {
	for n := 1; ; n++ {
		err := q.sender.Send(ctx, m)
		if err == nil {
			q.sent.Add(1)
			q.mu.Lock()
			q.lastSentAt = d.opts.Now()
			q.mu.Unlock()
			return
		}
		if ctx.Err() != nil {
			return
		}
		q.mu.Lock()
		q.lastErr, q.lastErrAt = err.Error(), d.opts.Now()
		q.mu.Unlock()
		if action.IsPermanent(err) || n >= d.opts.MaxAttempts {
			q.failed.Add(1)
			d.log.Warn("alerts: notification failed", "action", q.sender.Name(), "attempts", n, "err", err)
			return
		}
		q.retries.Add(1)
		wait := d.opts.Backoff(n)
		if ra := action.RetryAfter(err); ra > wait {
			wait = min(ra, time.Minute)
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
}

func (d *dispatcher) stats() []ActionStats {
	out := make([]ActionStats, 0, len(d.order))
	for _, q := range d.order {
		q.mu.Lock()
		s := ActionStats{
			Name: q.sender.Name(), Type: q.sender.Type(),
			Queued: len(q.ch) + int(q.inFlight.Load()),
			Sent:   q.sent.Load(), Failed: q.failed.Load(), Retries: q.retries.Load(), Dropped: q.dropped.Load(),
			LastError: q.lastErr, LastErrorAt: q.lastErrAt, LastSentAt: q.lastSentAt,
		}
		q.mu.Unlock()
		out = append(out, s)
	}
	return out
}
