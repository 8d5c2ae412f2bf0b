package alerts

import (
	"slices"
	"strings"
	"time"

	"github.com/vigil-dev/vigil/event"
	"github.com/vigil-dev/vigil/query"
)

// MaxSkew is how far ahead of the time it was stored an event's time may
// be and still move windows forward: an event dated further ahead (a wrong
// clock) is counted, but windows, histories and the forgetting of old
// state go by its time of storage plus MaxSkew.
const MaxSkew = time.Hour

// Evaluator runs a rule set over events in the order they were stored and
// says which alerts they fire. All time is event time: the same events in
// the same order always give the same alerts, live or in a backtest, and
// before or after a restart. It is not safe for concurrent use.
//
// A threshold's window is the last window of event time of the group,
// ending at its newest event, so events that arrive a little out of time
// order (as cloud audit logs do) count as long as they fall in it. Windows
// and histories are kept for one lookback behind the newest event seen; an
// event much older than that is compared with what is left of its time.
type Evaluator struct {
	set   *RuleSet
	rules []*ruleState
}

// ruleState is the state of one rule: its groups.
type ruleState struct {
	rule     *Rule
	lookback time.Duration // how long a group's past matters (window, history, suppress)
	groups   map[string]*group
	newest   time.Time // newest event time seen by the rule
	swept    time.Time // newest as of the last sweep of stale groups
	stats    RuleStats
	window   string
	keyBuf   []string
}

// RuleStats counts what one rule did.
type RuleStats struct {
	Rule       string `json:"rule"`
	Matched    uint64 `json:"matched"`
	Fired      uint64 `json:"fired"`
	Suppressed uint64 `json:"suppressed"`
}

// group is the state of one rule and one combination of group values.
type group struct {
	values  []string
	entries []entry1          // threshold: matching events in the window, by time
	seen    map[string]seenAt // new_value: last time each value was seen
	newest  time.Time
	// The last alert, for suppress.
	alerted   bool
	lastAlert time.Time
}

type entry1 struct {
	t   time.Time
	seq uint64
}

type seenAt struct {
	t   time.Time
	seq uint64
}

// NewEvaluator returns an evaluator of rs with empty state.
func NewEvaluator(rs *RuleSet) *Evaluator {
	e := &Evaluator{set: rs}
	for _, r := range rs.Rules {
		st := &ruleState{rule: r, groups: map[string]*group{}, lookback: max(r.Lookback(), r.Suppress)}
		st.stats.Rule = r.Name
		if w := r.Lookback(); w > 0 {
			st.window = FormatDuration(w)
		}
		e.rules = append(e.rules, st)
	}
	return e
}

// Evaluate runs every rule on ev, the stored event at seq, and returns the
// alerts it fires (nil, most of the time).
func (e *Evaluator) Evaluate(ev *event.Event, seq uint64) []Alert {
	var out []Alert
	for _, st := range e.rules {
		if a, ok := e.evaluate(st, ev, seq, true); ok {
			out = append(out, a)
		}
	}
	return out
}

// Observe brings the state up to date with ev as Evaluate would, without
// firing or suppressing anything: for events evaluated before (replayed
// after a restart) and for the warm-up of a backtest.
func (e *Evaluator) Observe(ev *event.Event, seq uint64) {
	for _, st := range e.rules {
		e.evaluate(st, ev, seq, false)
	}
}

// Alerted tells the evaluator about an alert fired earlier (read back from
// the alert store after a restart), so that suppress holds across the
// restart. Alerts of rules or groups the rule set does not have are
// ignored.
func (e *Evaluator) Alerted(a Alert) {
	for _, st := range e.rules {
		if st.rule.Name != a.Rule {
			continue
		}
		vals := make([]string, len(st.rule.GroupBy))
		for i, f := range st.rule.GroupBy {
			v, ok := a.Group[f]
			if !ok {
				return
			}
			vals[i] = v
		}
		g := st.group(vals)
		if !g.alerted || a.Time.After(g.lastAlert) {
			g.alerted, g.lastAlert = true, a.Time
		}
		if a.Time.After(g.newest) {
			g.newest = a.Time
		}
		if a.Time.After(st.newest) {
			st.newest = a.Time
		}
		return
	}
}

// Stats returns what each rule did, in the order of the rule set.
func (e *Evaluator) Stats() []RuleStats {
	out := make([]RuleStats, len(e.rules))
	for i, st := range e.rules {
		out[i] = st.stats
	}
	return out
}

func (st *ruleState) key(vals []string) string {
	if len(vals) == 1 {
		return vals[0]
	}
	return strings.Join(vals, "\x00")
}

func (st *ruleState) group(vals []string) *group {
	k := st.key(vals)
	g := st.groups[k]
	if g == nil {
		g = &group{values: slices.Clone(vals)}
		st.groups[k] = g
	}
	return g
}

// groupValue is the value an event groups under for a field: the party's
// label for user and target (its email, else name, else id), else the
// field's values, joined by "," when there are several.
func groupValue(ev *event.Event, field string) string {
	switch field {
	case "user":
		return ev.Actor.Label()
	case "target":
		return ev.Target.Label()
	case "ip":
		return ev.Context.IP
	case "location":
		return ev.Context.Location
	case "action":
		return ev.Type
	}
	vals := query.FacetValues(ev, field)
	switch len(vals) {
	case 0:
		return ""
	case 1:
		return vals[0]
	}
	return strings.Join(vals, ",")
}

func (e *Evaluator) evaluate(st *ruleState, ev *event.Event, seq uint64, live bool) (Alert, bool) {
	r := st.rule
	if !r.matcher.Match(ev) {
		return Alert{}, false
	}
	if r.Schedule != nil {
		loc := e.set.zoneFor(r.Schedule, func(f string) string { return groupValue(ev, f) })
		if r.Schedule.Inside(ev.Time, loc) {
			return Alert{}, false
		}
	}
	// Rules that count or compare need every group value; others group
	// what lacks one under "".
	strict := r.Threshold != nil || r.NewValue != nil
	vals := st.keyBuf[:0]
	for _, f := range r.GroupBy {
		v := groupValue(ev, f)
		if v == "" && strict {
			st.keyBuf = vals
			return Alert{}, false
		}
		vals = append(vals, v)
	}
	st.keyBuf = vals
	t := ev.Time
	if live {
		st.stats.Matched++
	}
	// An event dated far ahead of when it was stored (a wrong clock) must
	// not push every window forward and forget what is in them.
	h := t
	if !ev.Received.IsZero() && h.After(ev.Received.Add(MaxSkew)) {
		h = ev.Received.Add(MaxSkew)
	}
	if h.After(st.newest) {
		st.newest = h
	}
	g := st.group(vals)
	if h.After(g.newest) {
		g.newest = h
	}
	defer st.sweep()

	a := Alert{Rule: r.Name, TriggerSeq: seq, Time: t}
	switch {
	case r.Threshold != nil:
		// The window is the group's last Window of event time: (T-w, T]
		// with T the newest event of the group. In order, T is this
		// event's time; an event that arrives late still counts while it
		// falls in the window.
		w := r.Threshold.Window
		end := g.newest
		lo := end.Add(-w)
		i := 0
		for i < len(g.entries) && !g.entries[i].t.After(lo) {
			i++
		}
		if i > 0 {
			g.entries = append(g.entries[:0], g.entries[i:]...)
		}
		in := func(x time.Time) bool { return x.After(lo) && !x.After(end) }
		before := 0
		for _, en := range g.entries {
			if in(en.t) {
				before++
			}
		}
		// Entries stay in time order, so that pruning can stop at the
		// first one inside the window.
		j := len(g.entries)
		for j > 0 && g.entries[j-1].t.After(t) {
			j--
		}
		g.entries = slices.Insert(g.entries, j, entry1{t: t, seq: seq})
		after := before
		if in(t) {
			after++
		}
		if before >= r.Threshold.Count || after < r.Threshold.Count {
			return Alert{}, false
		}
		first, last := t, t
		for _, en := range g.entries {
			if in(en.t) {
				a.Seqs = append(a.Seqs, en.seq)
				if en.t.Before(first) {
					first = en.t
				}
				if en.t.After(last) {
					last = en.t
				}
			}
		}
		slices.Sort(a.Seqs)
		a.First, a.Last = first, last
	case r.NewValue != nil:
		nv := r.NewValue
		v := strings.ToLower(strings.TrimSpace(extractValue(nv, groupValue(ev, nv.Field))))
		if v == "" {
			return Alert{}, false
		}
		if g.seen == nil {
			g.seen = map[string]seenAt{}
		}
		lo := t.Add(-nv.History)
		cut := g.newest.Add(-nv.History)
		history, known := false, false
		for k, s := range g.seen {
			if !s.t.After(cut) {
				delete(g.seen, k)
				continue
			}
			if s.t.After(lo) {
				history = true
				if k == v {
					known = true
				}
			}
		}
		if s, ok := g.seen[v]; !ok || t.After(s.t) {
			g.seen[v] = seenAt{t: t, seq: seq}
		}
		if !history || known {
			return Alert{}, false
		}
		a.Field, a.Value = nv.Field, extractValue(nv, groupValue(ev, nv.Field))
		a.Seqs = []uint64{seq}
		a.First, a.Last = t, t
	default:
		a.Seqs = []uint64{seq}
		a.First, a.Last = t, t
	}
	if !live {
		return Alert{}, false
	}
	if r.Suppress > 0 && g.alerted {
		d := t.Sub(g.lastAlert)
		if d < 0 {
			d = -d
		}
		if d < r.Suppress {
			st.stats.Suppressed++
			return Alert{}, false
		}
	}
	if !g.alerted || t.After(g.lastAlert) {
		g.alerted, g.lastAlert = true, t
	}
	st.stats.Fired++
	a.Title, a.Type, a.Severity, a.Window = r.Title, r.Type, r.Severity, st.window
	a.Count = len(a.Seqs)
	a.Group = make(map[string]string, len(vals))
	for i, f := range r.GroupBy {
		a.Group[f] = vals[i]
	}
	a.ID = alertID(r.Name, vals, seq)
	return a, true
}

// extractValue applies a new_value rule's extract to v: its capture group,
// else its whole match; v itself when it does not match.
func extractValue(nv *NewValue, v string) string {
	if nv.Extract == nil || v == "" {
		return v
	}
	m := nv.Extract.FindStringSubmatch(v)
	switch {
	case m == nil:
		return v
	case len(m) > 1:
		return strings.TrimSpace(m[1])
	}
	return strings.TrimSpace(m[0])
}

// sweep drops groups that nothing can reach any more, once per lookback of
// event time, so that memory follows the active groups, not all of
// history.
func (st *ruleState) sweep() {
	lb := st.lookback
	if lb <= 0 {
		lb = time.Hour
	}
	if st.newest.Sub(st.swept) < lb {
		return
	}
	st.swept = st.newest
	cut := st.newest.Add(-lb)
	for k, g := range st.groups {
		if !g.newest.After(cut) && (!g.alerted || !g.lastAlert.After(cut)) {
			delete(st.groups, k)
		}
	}
}
