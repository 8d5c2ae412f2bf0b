package index

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/blevesearch/bleve/v2/mapping"
	"github.com/blevesearch/bleve/v2/search"
	bquery "github.com/blevesearch/bleve/v2/search/query"
	"github.com/blevesearch/bleve/v2/search/searcher"
	bindex "github.com/blevesearch/bleve_index_api"

	"github.com/vigil-dev/vigil/event"
	"github.com/vigil-dev/vigil/query"
)

// valueQuery matches the events holding a term of field, starting with
// prefix, that the matcher of a query node accepts: at search time, in
// each shard, the field's distinct terms are read from its dictionary and
// each is tested by the matcher on an event holding only that value. It
// serves the fields whose values repeat (user agents, places, devices,
// addresses, the numbers of a details key): the index holds a term per
// value, where indexing words or numeric ranges would cost several, and
// the answer is the matcher's by construction.
type valueQuery struct {
	field  string
	prefix string
	// regexp, when set, narrows the terms down first (Bleve's automaton
	// walks the dictionary for it).
	regexp string
	// newTest returns a test of a term; each searcher gets its own, since
	// a test reuses its event.
	newTest func() func(term string) bool
}

// Searcher implements Bleve's query.Query.
func (q *valueQuery) Searcher(ctx context.Context, r bindex.IndexReader, _ mapping.IndexMapping, opts search.SearcherOptions) (search.Searcher, error) {
	var dict bindex.FieldDict
	var err error
	if rr, ok := r.(bindex.IndexReaderRegexp); ok && q.regexp != "" {
		dict, err = rr.FieldDictRegexp(q.field, q.regexp)
	} else if q.prefix != "" {
		dict, err = r.FieldDictPrefix(q.field, []byte(q.prefix))
	} else {
		dict, err = r.FieldDict(q.field)
	}
	if err != nil {
		return nil, fmt.Errorf("values of %s: %w", q.field, err)
	}
	test := q.newTest()
	var terms []string
	n := 0
	for {
		e, err := dict.Next()
		if err != nil {
			dict.Close()
			return nil, fmt.Errorf("values of %s: %w", q.field, err)
		}
		if e == nil {
			break
		}
		if n++; n%4096 == 0 && ctx.Err() != nil {
			dict.Close()
			return nil, ctx.Err()
		}
		if test(e.Term) {
			terms = append(terms, e.Term)
		}
	}
	if err := dict.Close(); err != nil {
		return nil, fmt.Errorf("values of %s: %w", q.field, err)
	}
	if len(terms) == 0 {
		return searcher.NewMatchNoneSearcher(r)
	}
	return searcher.NewMultiTermSearcher(ctx, r, terms, q.field, 1, opts, false)
}

// matcherOf compiles a node of a filter for testing values.
func matcherOf(x query.Expr, now time.Time) (*query.Matcher, error) {
	m, err := query.Compile(x, now)
	if err != nil {
		return nil, fmt.Errorf("compile %s: %w", x, err)
	}
	return m, nil
}

// contextValues tests the values of a facet field of the event's context
// (FacetField of location, ua, device) or of ip with the matcher of x.
func contextValues(field, name string, x query.Expr, now time.Time) (*valueQuery, error) {
	m, err := matcherOf(x, now)
	if err != nil {
		return nil, err
	}
	var set func(c *event.Context, v string)
	switch name {
	case "location":
		set = func(c *event.Context, v string) { c.Location = v }
	case "ua":
		set = func(c *event.Context, v string) { c.UserAgent = v }
	case "device":
		set = func(c *event.Context, v string) { c.Device = v }
	case "ip":
		set = func(c *event.Context, v string) { c.IP = v }
	default:
		return nil, fmt.Errorf("%s is not searched by value", name)
	}
	return &valueQuery{field: field, newTest: func() func(string) bool {
		ev := &event.Event{}
		return func(v string) bool {
			set(&ev.Context, v)
			return m.Match(ev)
		}
	}}, nil
}

// numberValues tests the numbers of details.KEY (the terms "key=number" of
// FieldDetailsNum) with the matcher of x.
func numberValues(key string, x query.Expr, now time.Time) (*valueQuery, error) {
	m, err := matcherOf(x, now)
	if err != nil {
		return nil, err
	}
	prefix := key + "="
	return &valueQuery{field: FieldDetailsNum, prefix: prefix, newTest: func() func(string) bool {
		leaf := map[string]any{}
		ev := &event.Event{Details: leaf}
		return func(term string) bool {
			leaf[key] = json.Number(term[len(prefix):])
			return m.Match(ev)
		}
	}}, nil
}

// oneWordValues matches the terms of a keyword field that are one word
// (see oneWord) matching a word pattern: free text's pattern over the
// values of tokenFields.
func oneWordValues(field, pattern string) *valueQuery {
	g := globRegexp(pattern)
	re := regexp.MustCompile("^(?:" + g + ")$")
	return &valueQuery{field: field, regexp: g, newTest: func() func(string) bool {
		return func(term string) bool { return re.MatchString(term) && oneWord(term) }
	}}
}

// globRegexp is the regular expression of a wildcard pattern: * any run
// of characters, ? one, anything else itself.
func globRegexp(pattern string) string {
	var b strings.Builder
	for _, r := range pattern {
		switch r {
		case '*':
			b.WriteString(".*")
		case '?':
			b.WriteString(".")
		default:
			b.WriteString(regexp.QuoteMeta(string(r)))
		}
	}
	return b.String()
}

// anyOf matches what any of its queries matches, as Bleve's disjunction
// does, but leaves out, in each shard, the queries that match nothing
// there: a term the shard does not hold. A search for a word asks a score
// of fields for it, most of which hold nothing of it, and a disjunction
// pays for each of its members on every hit.
type anyOf []bquery.Query

// Searcher implements Bleve's query.Query.
func (q anyOf) Searcher(ctx context.Context, r bindex.IndexReader, m mapping.IndexMapping, opts search.SearcherOptions) (search.Searcher, error) {
	ss := make([]search.Searcher, 0, len(q))
	for _, x := range q {
		s, err := x.Searcher(ctx, r, m, opts)
		if err != nil {
			for _, s := range ss {
				s.Close()
			}
			return nil, err
		}
		if empty(x, s) {
			s.Close()
			continue
		}
		ss = append(ss, s)
	}
	switch len(ss) {
	case 0:
		return searcher.NewMatchNoneSearcher(r)
	case 1:
		return ss[0], nil
	}
	return searcher.NewDisjunctionSearcher(ctx, r, ss, 0, opts)
}

// empty reports a searcher of x that surely finds nothing: the searcher
// of a term query counts the term's postings (one Bleve made of several
// others may not).
func empty(x bquery.Query, s search.Searcher) bool {
	if _, ok := s.(*searcher.MatchNoneSearcher); ok {
		return true
	}
	_, term := x.(*bquery.TermQuery)
	ts, ok := s.(*searcher.TermSearcher)
	return term && ok && ts.Count() == 0
}
