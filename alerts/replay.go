package alerts

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/vigil-dev/vigil/event"
	"github.com/vigil-dev/vigil/store"
)

// replay calls fn with each stored event whose time is at or after from
// (every event when from is zero) and whose seq is at most maxSeq (0: the
// head), in seq order: the order the live evaluator saw them in.
func replay(ctx context.Context, st *store.Store, from time.Time, maxSeq uint64, fn func(*event.Event) error) error {
	if maxSeq == 0 {
		maxSeq = st.Head().Seq
	}
	if maxSeq == 0 {
		return nil
	}
	decode := func(r store.Record) error {
		ev, err := r.Event()
		if err != nil {
			return fmt.Errorf("replay: record %d: %w", r.Seq, err)
		}
		return fn(ev)
	}
	if from.IsZero() {
		return st.Scan(ctx, 1, maxSeq, false, decode)
	}
	// The time index names the events from then on; their seqs, sorted,
	// are the order to replay them in.
	var seqs []uint64
	err := st.ScanTime(ctx, from, time.Time{}, false, func(seq uint64, _ time.Time) error {
		if seq <= maxSeq {
			seqs = append(seqs, seq)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("replay: %w", err)
	}
	if len(seqs) == 0 {
		return nil
	}
	slices.Sort(seqs)
	lo, hi := seqs[0], seqs[len(seqs)-1]
	if uint64(len(seqs)) < (hi-lo+1)/4 {
		// Few events over a long run of seqs: read each.
		for _, seq := range seqs {
			r, err := st.Get(seq)
			if err != nil {
				return fmt.Errorf("replay: %w", err)
			}
			if err := decode(r); err != nil {
				return err
			}
		}
		return nil
	}
	i := 0
	return st.Scan(ctx, lo, hi, false, func(r store.Record) error {
		for i < len(seqs) && seqs[i] < r.Seq {
			i++
		}
		if i == len(seqs) || seqs[i] != r.Seq {
			return nil
		}
		return decode(r)
	})
}

// newestTimeUpTo returns the newest event time among the events with seq at
// most maxSeq (zero when there are none).
func newestTimeUpTo(ctx context.Context, st *store.Store, maxSeq uint64) (time.Time, error) {
	var newest time.Time
	errFound := fmt.Errorf("found")
	err := st.ScanTime(ctx, time.Time{}, time.Time{}, true, func(seq uint64, t time.Time) error {
		if seq <= maxSeq {
			newest = t
			return errFound
		}
		return nil
	})
	if err != nil && err != errFound {
		return time.Time{}, fmt.Errorf("newest event time: %w", err)
	}
	return newest, nil
}

// BacktestOptions configure Backtest.
type BacktestOptions struct {
	// Since limits the alerts to events at or after it (zero: all). Events
	// up to one lookback before it are still seen, without firing, so
	// that windows and histories start full.
	Since time.Time
}

// BacktestResult says what a backtest went over.
type BacktestResult struct {
	Events    uint64 // events evaluated (firing allowed)
	Warmup    uint64 // events seen before Since, only to fill the state
	Alerts    int
	RuleStats []RuleStats
}

// Backtest evaluates rs over the stored events, oldest seq first, as the
// live evaluator would have, and calls fn with each alert. It stores
// nothing and sends nothing.
func Backtest(ctx context.Context, st *store.Store, rs *RuleSet, opts BacktestOptions, fn func(Alert) error) (BacktestResult, error) {
	ev := NewEvaluator(rs)
	var res BacktestResult
	from := opts.Since
	if !from.IsZero() {
		from = from.Add(-rs.Lookback())
	}
	err := replay(ctx, st, from, 0, func(e *event.Event) error {
		if !opts.Since.IsZero() && e.Time.Before(opts.Since) {
			res.Warmup++
			ev.Observe(e, e.Seq)
			return nil
		}
		res.Events++
		for _, a := range ev.Evaluate(e, e.Seq) {
			res.Alerts++
			if err := fn(a); err != nil {
				return err
			}
		}
		return nil
	})
	res.RuleStats = ev.Stats()
	return res, err
}
