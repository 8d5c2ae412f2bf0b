package engine

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	bquery "github.com/blevesearch/bleve/v2/search/query"

	"github.com/vigil-dev/vigil/event"
	"github.com/vigil-dev/vigil/index"
	"github.com/vigil-dev/vigil/query"
	"github.com/vigil-dev/vigil/store"
)

// Request is a search: a query in the query language, and optional time
// bounds added to it (the CLI's --since and --until, the TUI's presets).
type Request struct {
	Query        string
	Since, Until time.Time // [Since, Until); zero leaves a side open
}

// Compiled is a request parsed and compiled for the index and for
// matching in memory.
type Compiled struct {
	Query   *query.Query
	Matcher *query.Matcher
	index   bquery.Query
	// exact is false when the index query only narrows the events down and
	// every hit must pass the matcher too.
	exact bool
}

// Compile parses and compiles a request. A query that does not parse gives
// a *query.ParseError with the position and a hint.
func (e *Engine) Compile(req Request) (*Compiled, error) {
	text := strings.TrimSpace(req.Query)
	if text == "" {
		text = "*"
	}
	q, err := query.Parse(text)
	if err != nil {
		return nil, err
	}
	now := e.now()
	m, err := query.Compile(q.Filter, now)
	if err != nil {
		return nil, err
	}
	iq, exact, err := index.Compile(q.Filter, now)
	if err != nil {
		return nil, err
	}
	if !req.Since.IsZero() || !req.Until.IsZero() {
		iq = bquery.NewConjunctionQuery([]bquery.Query{iq, index.TimeRange(req.Since, req.Until)})
	}
	return &Compiled{Query: q, Matcher: m, index: iq, exact: exact}, nil
}

// Page is one page of results, newest first.
type Page struct {
	Records []store.Record
	Events  []*event.Event
	// Next continues after this page; "" when there is no more.
	Next string
}

// Search returns up to size matching events, newest first, after the
// cursor of a previous page ("" for the first). Paging is stable while
// events arrive: a later page never repeats or skips an event because new
// ones were added.
func (e *Engine) Search(ctx context.Context, c *Compiled, size int, cursor string) (Page, error) {
	var p Page
	after := cursor
	for len(p.Records) < size {
		want := size - len(p.Records)
		hits, err := e.ix.Page(ctx, c.index, want, after)
		if err != nil {
			return Page{}, err
		}
		for _, h := range hits {
			r, err := e.st.Get(h.Seq)
			if err != nil {
				return Page{}, fmt.Errorf("search: %w", err)
			}
			ev, err := r.Event()
			if err != nil {
				return Page{}, fmt.Errorf("search: %w", err)
			}
			if c.exact || c.Matcher.Match(ev) {
				p.Records = append(p.Records, r)
				p.Events = append(p.Events, ev)
			}
			after = h.ID
		}
		if len(hits) < want {
			return p, nil // the index has no more
		}
	}
	p.Next = after
	return p, nil
}

// Each calls fn with every matching event, newest first, a page at a time:
// memory stays flat for any number of results. fn's record is valid only
// during the call.
func (e *Engine) Each(ctx context.Context, c *Compiled, fn func(store.Record, *event.Event) error) error {
	const pageSize = 1000
	cursor := ""
	for {
		p, err := e.Search(ctx, c, pageSize, cursor)
		if err != nil {
			return err
		}
		for i := range p.Records {
			if err := fn(p.Records[i], p.Events[i]); err != nil {
				return err
			}
		}
		if p.Next == "" {
			return nil
		}
		cursor = p.Next
	}
}

// Count is the exact number of matching events.
func (e *Engine) Count(ctx context.Context, c *Compiled) (uint64, error) {
	if c.exact {
		return e.ix.Count(ctx, c.index)
	}
	var n uint64
	err := e.Each(ctx, c, func(store.Record, *event.Event) error { n++; return nil })
	return n, err
}

// Bucket is one row of an aggregation: a value (or a bucket's start time)
// and its count.
type Bucket struct {
	Value string
	Time  time.Time
	Count int
}

// Aggregation is the answer to a query's pipe stage.
type Aggregation struct {
	Stage   query.Stage
	Buckets []Bucket
	Total   uint64 // events matching the filter
}

// Aggregate runs the query's pipe stage over the matching events.
func (e *Engine) Aggregate(ctx context.Context, c *Compiled) (*Aggregation, error) {
	if !c.exact {
		return nil, errors.New("aggregations over phrases of word patterns are not supported; search the words separately")
	}
	switch s := c.Query.Stage.(type) {
	case *query.Top:
		return e.terms(ctx, c, s.Field, s.N)
	case *query.CountBy:
		return e.terms(ctx, c, s.Field, 0)
	case *query.Timechart:
		return e.timechart(ctx, c, s)
	case nil:
		return nil, errors.New("the query has no pipe stage")
	default:
		return nil, fmt.Errorf("stage %s is not supported", s)
	}
}

func (e *Engine) terms(ctx context.Context, c *Compiled, field string, limit int) (*Aggregation, error) {
	name, err := index.FacetField(field)
	if err != nil {
		return nil, err
	}
	agg := &Aggregation{Stage: c.Query.Stage}
	if name != index.FieldFacetDetails {
		terms, total, err := e.ix.Terms(ctx, c.index, name, limit)
		if err != nil {
			return nil, err
		}
		agg.Total = total
		for _, t := range terms {
			agg.Buckets = append(agg.Buckets, Bucket{Value: t.Value, Count: t.Count})
		}
		return agg, nil
	}
	// details.KEY: the facet field holds "key=value" for every key.
	canon, _ := query.CanonicalField(field)
	prefix := strings.ToLower(strings.TrimPrefix(canon, query.DetailsPrefix)) + "="
	terms, total, err := e.ix.Terms(ctx, c.index, name, 0)
	if err != nil {
		return nil, err
	}
	agg.Total = total
	for _, t := range terms {
		if v, ok := strings.CutPrefix(t.Value, prefix); ok {
			agg.Buckets = append(agg.Buckets, Bucket{Value: v, Count: t.Count})
		}
	}
	if limit > 0 && len(agg.Buckets) > limit {
		agg.Buckets = agg.Buckets[:limit]
	}
	return agg, nil
}

// timechart counts matching events per bucket of time, oldest first, with
// empty buckets between the first and the last. The index counts events by
// hour (or by minute, for intervals under an hour); buckets add those up.
func (e *Engine) timechart(ctx context.Context, c *Compiled, s *query.Timechart) (*Aggregation, error) {
	field, parse := index.FieldHour, index.ParseHour
	if s.Interval < time.Hour {
		if s.Interval < time.Minute || s.Interval%time.Minute != 0 {
			return nil, fmt.Errorf("timechart %s: intervals are whole minutes or longer", s.Interval)
		}
		field, parse = index.FieldMinute, index.ParseMinute
	} else if s.Interval%time.Hour != 0 {
		return nil, fmt.Errorf("timechart %s: intervals of an hour or more are whole hours", s.Interval)
	}
	terms, total, err := e.ix.Terms(ctx, c.index, field, 0)
	if err != nil {
		return nil, err
	}
	counts := map[time.Time]int{}
	for _, t := range terms {
		at, err := parse(t.Value)
		if err != nil {
			return nil, fmt.Errorf("timechart: %w", err)
		}
		counts[s.Bucket(at)] += t.Count
	}
	agg := &Aggregation{Stage: s, Total: total}
	if len(counts) == 0 {
		return agg, nil
	}
	var keys []time.Time
	for k := range counts {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i].Before(keys[j]) })
	for t := keys[0]; !t.After(keys[len(keys)-1]); t = s.Bucket(t.Add(s.Interval)) {
		agg.Buckets = append(agg.Buckets, Bucket{Time: t, Count: counts[t]})
	}
	return agg, nil
}

// Get returns the stored event at seq.
func (e *Engine) Get(seq uint64) (store.Record, *event.Event, error) {
	r, err := e.st.Get(seq)
	if err != nil {
		return r, nil, err
	}
	ev, err := r.Event()
	return r, ev, err
}

// Facets counts the matching events by category and by action, every
// value, largest first: the explorer's sidebar.
func (e *Engine) Facets(ctx context.Context, c *Compiled) (categories, actions []Bucket, err error) {
	for _, f := range []struct {
		field string
		out   *[]Bucket
	}{{"category", &categories}, {"action", &actions}} {
		agg, err := e.terms(ctx, c, f.field, 0)
		if err != nil {
			return nil, nil, err
		}
		*f.out = agg.Buckets
	}
	return categories, actions, nil
}
