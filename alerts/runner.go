package alerts

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vigil-dev/vigil/alerts/action"
	"github.com/vigil-dev/vigil/engine"
	"github.com/vigil-dev/vigil/event"
)

// RunnerOptions configure NewRunner.
type RunnerOptions struct {
	Logger *slog.Logger
	// Now stamps alerts with the time they were stored (FiredAt) and paces
	// the saving of the last evaluated seq; time.Now when nil. Windows,
	// histories, schedules and suppress use event time only.
	Now func() time.Time
	// Senders deliver the rule set's actions; when nil they are made from
	// the rule set's actions with action.New.
	Senders []action.Sender
	// Dispatch configures queues and retries.
	Dispatch DispatchOptions
	// Buffer is the live subscription's buffer (see engine.SubscribeOptions).
	Buffer int
	// SaveEvery paces the saving of the last evaluated seq while events
	// flow (it is saved at every stop, and whenever alerts are stored);
	// one second when zero. Events evaluated after the last save are
	// evaluated again after a crash, and their alerts are recognised as
	// stored already.
	SaveEvery time.Duration
}

// Runner evaluates the rules on every stored event as it arrives on the
// engine's live bus, stores the alerts and hands their notifications to a
// dispatcher that never blocks evaluation. After a restart it carries on
// after the last event it evaluated, with its windows and histories
// rebuilt from the stored events, so that no alert is lost or stored
// twice.
type Runner struct {
	eng   *engine.Engine
	rules *RuleSet
	store *Store
	opts  RunnerOptions
	log   *slog.Logger
	disp  *dispatcher
	ready chan struct{}
	once  sync.Once

	running    atomic.Bool
	lastSeq    atomic.Uint64
	evaluated  atomic.Uint64
	fired      atomic.Uint64
	duplicates atomic.Uint64
	missed     atomic.Uint64
	rebuilt    atomic.Uint64

	mu        sync.Mutex
	ruleStats []RuleStats
	err       string
}

// NewRunner returns a runner of rules over eng's events, storing alerts in
// st. It makes the senders of the rules' actions (reading their secrets)
// and fails if one cannot be made.
func NewRunner(eng *engine.Engine, rules *RuleSet, st *Store, opts RunnerOptions) (*Runner, error) {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.SaveEvery <= 0 {
		opts.SaveEvery = time.Second
	}
	if opts.Dispatch.Now == nil {
		opts.Dispatch.Now = opts.Now
	}
	senders := opts.Senders
	if senders == nil {
		for _, c := range rules.Actions {
			if c.Now == nil {
				c.Now = opts.Now
			}
			s, err := action.New(c)
			if err != nil {
				return nil, fmt.Errorf("alerts %s: %w", rules.Source, err)
			}
			senders = append(senders, s)
		}
	}
	names := map[string]bool{}
	for _, s := range senders {
		names[s.Name()] = true
	}
	for _, r := range rules.Rules {
		for _, a := range r.Actions {
			if !names[a] {
				return nil, fmt.Errorf("alerts %s: rule %s: no sender for action %q", rules.Source, r.Name, a)
			}
		}
	}
	r := &Runner{eng: eng, rules: rules, store: st, opts: opts, log: opts.Logger, ready: make(chan struct{})}
	r.disp = newDispatcher(senders, opts.Dispatch, opts.Logger)
	return r, nil
}

// Ready is closed once Run has rebuilt its state and subscribed: every
// event stored from then on is evaluated.
func (r *Runner) Ready() <-chan struct{} { return r.ready }

// Metrics is what a runner has done, for status pages and /metrics.
type Metrics struct {
	Running bool `json:"running"`
	// LastSeq is the last event evaluated.
	LastSeq uint64 `json:"last_seq"`
	// Evaluated counts events evaluated since start; Rebuilt the events
	// replayed at start to rebuild windows and histories.
	Evaluated uint64 `json:"evaluated"`
	Rebuilt   uint64 `json:"rebuilt"`
	// Fired counts alerts stored; Duplicates those found stored already
	// (events evaluated again after a crash).
	Fired      uint64 `json:"fired"`
	Duplicates uint64 `json:"duplicates"`
	// Missed counts events the live bus dropped for the runner because it
	// fell behind; they were read back from the store, none was skipped.
	Missed  uint64        `json:"missed"`
	Rules   []RuleStats   `json:"rules"`
	Actions []ActionStats `json:"actions"`
	// Error is why Run stopped, when it failed.
	Error string `json:"error,omitempty"`
}

// Metrics returns the runner's counters. It is safe to call at any time.
func (r *Runner) Metrics() Metrics {
	r.mu.Lock()
	rules := append([]RuleStats(nil), r.ruleStats...)
	errText := r.err
	r.mu.Unlock()
	return Metrics{
		Running: r.running.Load(), LastSeq: r.lastSeq.Load(),
		Evaluated: r.evaluated.Load(), Rebuilt: r.rebuilt.Load(),
		Fired: r.fired.Load(), Duplicates: r.duplicates.Load(), Missed: r.missed.Load(),
		Rules: rules, Actions: r.disp.stats(), Error: errText,
	}
}

// Run evaluates until ctx ends (then it returns nil) or the engine closes.
// Call it once.
// A first run on a store that already holds events starts after its head:
// the past is for backtests, not for notifications about last month.
func (r *Runner) Run(ctx context.Context) (err error) {
	r.running.Store(true)
	defer func() {
		r.running.Store(false)
		if err != nil {
			r.mu.Lock()
			r.err = err.Error()
			r.mu.Unlock()
		}
	}()
	st := r.eng.Store()
	head := st.Head().Seq
	last := r.store.LastSeq()
	switch {
	case last == 0 && head > 0:
		r.log.Info("alerts: first run on a store with events: evaluating from the next event on", "head", head)
		last = head
		if err := r.store.SaveLastSeq(last); err != nil {
			return err
		}
	case last > head:
		r.log.Warn("alerts: the store's head is behind the last evaluated event; evaluating from the head", "last", last, "head", head)
		last = head
		if err := r.store.SaveLastSeq(last); err != nil {
			return err
		}
	}
	r.lastSeq.Store(last)

	ev := NewEvaluator(r.rules)
	if err := r.rebuild(ctx, ev, last); err != nil {
		return err
	}
	r.publishStats(ev)

	dctx, stopDispatch := context.WithCancel(context.WithoutCancel(ctx))
	r.disp.start(dctx)
	defer func() {
		// Give queued notifications the time the caller allowed for
		// shutdown: none. They are counted as queued in the metrics.
		stopDispatch()
		r.disp.wait()
	}()

	sub := r.eng.Subscribe(engine.SubscribeOptions{From: last + 1, Buffer: r.opts.Buffer})
	defer sub.Close()
	r.once.Do(func() { close(r.ready) })

	savedAt := r.opts.Now()
	saved := last
	save := func() error {
		if saved == last {
			return nil
		}
		if err := r.store.SaveLastSeq(last); err != nil {
			return err
		}
		saved, savedAt = last, r.opts.Now()
		return nil
	}
	for {
		d, err := sub.Next(ctx)
		if err != nil {
			serr := save()
			if ctx.Err() != nil || errors.Is(err, engine.ErrClosed) {
				return serr
			}
			return errors.Join(fmt.Errorf("alerts: live events: %w", err), serr)
		}
		r.missed.Add(d.Missed)
		var fired []Alert
		for _, le := range d.Events {
			fired = append(fired, ev.Evaluate(le.Event, le.Record.Seq)...)
		}
		if len(d.Events) > 0 {
			last = d.Events[len(d.Events)-1].Record.Seq
			r.evaluated.Add(uint64(len(d.Events)))
		}
		if len(fired) > 0 {
			now := r.opts.Now().UTC()
			for i := range fired {
				fired[i].FiredAt = now
			}
			stored, err := r.store.Append(fired)
			if err != nil {
				return err
			}
			r.fired.Add(uint64(len(stored)))
			r.duplicates.Add(uint64(len(fired) - len(stored)))
			for _, a := range stored {
				r.notify(a)
			}
		}
		r.lastSeq.Store(last)
		r.publishStats(ev)
		if len(fired) > 0 || r.opts.Now().Sub(savedAt) >= r.opts.SaveEvery {
			if err := save(); err != nil {
				return err
			}
		}
	}
}

// rebuild replays the stored events up to last that the rules still need
// (one lookback of event time back from the newest), then the alerts
// fired up to last, for suppress.
func (r *Runner) rebuild(ctx context.Context, ev *Evaluator, last uint64) error {
	if last == 0 {
		return nil
	}
	st := r.eng.Store()
	if lb := r.rules.Lookback(); lb > 0 {
		newest, err := newestTimeUpTo(ctx, st, last)
		if err != nil {
			return err
		}
		// As in evaluation, an event dated far ahead of its storage does
		// not move the horizon.
		if _, le, err := r.eng.Get(last); err == nil && !le.Received.IsZero() && newest.After(le.Received.Add(MaxSkew)) {
			newest = le.Received.Add(MaxSkew)
		}
		if !newest.IsZero() {
			err := replay(ctx, st, newest.Add(-lb), last, func(e *event.Event) error {
				ev.Observe(e, e.Seq)
				r.rebuilt.Add(1)
				return nil
			})
			if err != nil {
				return fmt.Errorf("alerts: rebuild state: %w", err)
			}
		}
	}
	for _, a := range r.store.List(Filter{}) {
		if a.TriggerSeq <= last {
			ev.Alerted(a)
		}
	}
	return nil
}

func (r *Runner) publishStats(ev *Evaluator) {
	s := ev.Stats()
	r.mu.Lock()
	r.ruleStats = s
	r.mu.Unlock()
}

// notify hands the alert to each of its rule's actions.
func (r *Runner) notify(a Alert) {
	rule := r.rules.Rule(a.Rule)
	if rule == nil || len(rule.Actions) == 0 {
		return
	}
	m := Message(a)
	for _, name := range rule.Actions {
		r.disp.enqueue(name, m)
	}
}

// Payload is what a webhook action posts for an alert.
type Payload struct {
	Type    string `json:"type"` // "vigil.alert"
	Summary string `json:"summary"`
	Alert   Alert  `json:"alert"`
}

// Message is the notification of an alert.
func Message(a Alert) action.Message {
	return action.Message{
		Subject: a.Summary(),
		Text:    a.Text(),
		Payload: Payload{Type: "vigil.alert", Summary: a.Summary(), Alert: a},
		Time:    a.FiredAt,
	}
}
