package index

import (
	"fmt"
	"math"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/blevesearch/bleve/v2"
	bquery "github.com/blevesearch/bleve/v2/search/query"

	"github.com/vigil-dev/vigil/event"
	"github.com/vigil-dev/vigil/query"
)

// Compile turns a parsed filter into a Bleve query with the semantics of
// query.Matcher (see the query package's documentation). exact is false
// when the index can only narrow the events down (a phrase of word
// patterns): the caller must then check each hit with the matcher.
func Compile(filter query.Expr, now time.Time) (q bquery.Query, exact bool, err error) {
	c := compiler{now: now, exact: true}
	q, err = c.expr(filter)
	return q, c.exact, err
}

type compiler struct {
	now   time.Time
	exact bool
}

func (c *compiler) expr(x query.Expr) (bquery.Query, error) {
	switch x := x.(type) {
	case *query.MatchAll:
		return bleve.NewMatchAllQuery(), nil
	case *query.And:
		qs, err := c.list(x.X)
		if err != nil {
			return nil, err
		}
		return bleve.NewConjunctionQuery(qs...), nil
	case *query.Or:
		qs, err := c.list(x.X)
		if err != nil {
			return nil, err
		}
		return anyOf(qs), nil
	case *query.Not:
		inner, err := c.expr(x.X)
		if err != nil {
			return nil, err
		}
		if !c.exact {
			// NOT of a superset is a subset: the matcher could not make
			// up for what the index dropped.
			return nil, fmt.Errorf("%s: a phrase of word patterns cannot be negated", x.X)
		}
		b := bleve.NewBooleanQuery()
		b.AddMust(bleve.NewMatchAllQuery())
		b.AddMustNot(inner)
		return b, nil
	case *query.Term:
		return c.term(x)
	case *query.Range:
		return c.rangeQuery(x)
	case *query.FreeText:
		return c.freeText(x)
	}
	return nil, fmt.Errorf("compile: unexpected %T", x)
}

func (c *compiler) list(xs []query.Expr) ([]bquery.Query, error) {
	qs := make([]bquery.Query, 0, len(xs))
	for _, x := range xs {
		q, err := c.expr(x)
		if err != nil {
			return nil, err
		}
		qs = append(qs, q)
	}
	return qs, nil
}

func termQ(field, term string) bquery.Query {
	q := bleve.NewTermQuery(term)
	q.SetField(field)
	return q
}

func wildQ(field, pattern string) bquery.Query {
	q := bleve.NewWildcardQuery(pattern)
	q.SetField(field)
	return q
}

// kwTerm and kwWild search a keyword field for a lower-cased value: in the
// values as received, and in the lower-cased ones that differ.
func kwTerm(field, lower string) bquery.Query {
	return anyOf{termQ(field, lower), termQ(LowerField(field), lower)}
}

func kwWild(field, lower string) bquery.Query {
	return anyOf{wildQ(field, lower), wildQ(LowerField(field), lower)}
}

func none() bquery.Query { return bleve.NewMatchNoneQuery() }

func (c *compiler) term(t *query.Term) (bquery.Query, error) {
	kind, ok := query.FieldKind(t.Field)
	if !ok {
		return nil, fmt.Errorf("unknown field %s", t.Field)
	}
	wild := t.Wildcard && !t.Quoted
	all := wild && t.Op == query.Eq && strings.Trim(t.Value, "*") == ""
	value := strings.ToLower(t.Value)
	switch kind {
	case query.KindTime:
		span, err := t.TimeSpan(c.now)
		if err != nil {
			return nil, err
		}
		return spanQuery(span), nil
	case query.KindNumber:
		if all {
			return bleve.NewMatchAllQuery(), nil // every stored event has a seq
		}
		n, err := strconv.ParseUint(t.Value, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("seq: %w", err)
		}
		lo, hi := uint64(1), uint64(math.MaxUint64)
		switch t.Op {
		case query.Eq:
			lo, hi = n, n
		case query.Gt:
			if n == math.MaxUint64 {
				return none(), nil
			}
			lo = n + 1
		case query.Ge:
			lo = n
		case query.Lt:
			if n <= 1 {
				return none(), nil
			}
			hi = n - 1
		case query.Le:
			hi = n
		}
		return seqRange(max(lo, 1), hi), nil
	case query.KindSeverity:
		if all || wild {
			return kwWild("severity", value), nil
		}
		rank := event.SeverityRank(value)
		var qs []bquery.Query
		for i, s := range event.Severities {
			if (t.Op == query.Eq && i == rank) || (t.Op == query.Gt && i > rank) || (t.Op == query.Ge && i >= rank) ||
				(t.Op == query.Lt && i < rank) || (t.Op == query.Le && i <= rank) {
				qs = append(qs, kwTerm("severity", s))
			}
		}
		return orOf(qs), nil
	case query.KindIP:
		return c.ip(t, wild, value)
	case query.KindText:
		canon, _ := query.CanonicalField(t.Field)
		if slices.Contains(valueFields, canon) {
			return contextValues("f."+canon, canon, t, c.now)
		}
		if all {
			return wildQ(canon, "*"), nil
		}
		return c.words(canon, t.Value, wild)
	case query.KindDetails:
		return c.details(t, wild, all)
	}
	// Keyword fields; user is the actor's email, id and name.
	canon, _ := query.CanonicalField(t.Field)
	fields := []string{canon}
	if canon == "user" {
		fields = userFields
	}
	qs := make([]bquery.Query, len(fields))
	for i, f := range fields {
		if all || wild {
			qs[i] = kwWild(f, value)
		} else {
			qs[i] = kwTerm(f, value)
		}
	}
	return orOf(qs), nil
}

func orOf(qs []bquery.Query) bquery.Query {
	switch len(qs) {
	case 0:
		return none()
	case 1:
		return qs[0]
	}
	return anyOf(qs)
}

func (c *compiler) ip(t *query.Term, wild bool, value string) (bquery.Query, error) {
	if t.Quoted || wild {
		if wild {
			return kwWild("ip", value), nil
		}
		return kwTerm("ip", value), nil
	}
	if strings.Contains(t.Value, "/") {
		if _, err := netip.ParsePrefix(t.Value); err != nil {
			return nil, fmt.Errorf("bad CIDR block %q", t.Value)
		}
		// The addresses as received, each tested by the matcher.
		return contextValues("ip", "ip", t, c.now)
	}
	a, err := netip.ParseAddr(t.Value)
	if err != nil {
		return nil, fmt.Errorf("%q is not an IP address", t.Value)
	}
	return kwTerm("ip", strings.ToLower(a.WithZone("").Unmap().String())), nil
}

func (c *compiler) details(t *query.Term, wild, all bool) (bquery.Query, error) {
	key := strings.ToLower(strings.TrimPrefix(t.Field, query.DetailsPrefix))
	if all {
		return wildQ(FieldFacetDetails, key+"=*"), nil // it holds every leaf
	}
	if t.Op != query.Eq {
		if _, err := strconv.ParseFloat(t.Value, 64); err != nil {
			return nil, fmt.Errorf("%q is not a number", t.Value)
		}
		return numberValues(key, t, c.now)
	}
	// A lower-cased term is in f.details when the value as received is
	// lower-case already, else in details.
	if wild {
		pattern := key + "=" + strings.ToLower(t.Value)
		return anyOf{wildQ(FieldFacetDetails, pattern), wildQ(FieldDetails, pattern)}, nil
	}
	term := DetailTerm(key, t.Value)
	text := anyOf{termQ(FieldFacetDetails, term), termQ(FieldDetails, term)}
	if _, ok := query.JSONNumber(t.Value); ok {
		// Or a number equal to it, written otherwise (250000.0).
		num, err := numberValues(key, t, c.now)
		if err != nil {
			return nil, err
		}
		return anyOf{text, num}, nil
	}
	return text, nil
}

// words searches a field of words for the words of a search text as a
// phrase: one word is a term (or a pattern), several a phrase. A phrase
// holding word patterns is not something Bleve can search: its words are
// required one by one and the hits must be checked by the matcher.
func (c *compiler) words(field, text string, wild bool) (bquery.Query, error) {
	words := query.SearchWords(text, wild)
	if len(words) == 0 {
		return nil, fmt.Errorf("nothing to search for in %q", text)
	}
	isWild := func(w string) bool { return wild && strings.ContainsAny(w, "*?") }
	word := func(w string) bquery.Query {
		if isWild(w) {
			return wildQ(field, w)
		}
		return termQ(field, w)
	}
	if len(words) == 1 {
		return word(words[0]), nil
	}
	if !slices.ContainsFunc(words, isWild) {
		return bleve.NewPhraseQuery(words, field), nil
	}
	c.exact = false
	qs := make([]bquery.Query, len(words))
	for i, w := range words {
		qs[i] = word(w)
	}
	return bleve.NewConjunctionQuery(qs...), nil
}

// freeText searches the values of query.TextValues: the words of _text and
// of the message, the values of the context's text fields (by the
// matcher), and, for a single word, the values of tokenFields that are
// that one word.
func (c *compiler) freeText(x *query.FreeText) (bquery.Query, error) {
	wild := x.Wildcard && !x.Phrase
	words := query.SearchWords(x.Text, wild)
	var qs []bquery.Query
	for _, f := range []string{FieldText, "message"} {
		q, err := c.words(f, x.Text, wild)
		if err != nil {
			return nil, err
		}
		qs = append(qs, q)
	}
	for _, name := range valueFields {
		q, err := contextValues("f."+name, name, x, c.now)
		if err != nil {
			return nil, err
		}
		qs = append(qs, q)
	}
	if len(words) == 1 {
		w := words[0]
		for _, f := range tokenFields {
			if wild && strings.ContainsAny(w, "*?") {
				qs = append(qs, oneWordValues(f, w), oneWordValues(LowerField(f), w))
			} else {
				qs = append(qs, kwTerm(f, w))
			}
		}
	}
	return anyOf(qs), nil
}

func (c *compiler) rangeQuery(r *query.Range) (bquery.Query, error) {
	kind, ok := query.FieldKind(r.Field)
	if !ok {
		return nil, fmt.Errorf("unknown field %s", r.Field)
	}
	loOpen, hiOpen := r.Lo == "*", r.Hi == "*"
	switch kind {
	case query.KindTime:
		span, err := r.TimeSpan(c.now)
		if err != nil {
			return nil, err
		}
		return spanQuery(span), nil
	case query.KindNumber:
		lo, hi := uint64(1), uint64(math.MaxUint64)
		var err error
		if !loOpen {
			if lo, err = strconv.ParseUint(r.Lo, 10, 64); err != nil {
				return nil, err
			}
		}
		if !hiOpen {
			if hi, err = strconv.ParseUint(r.Hi, 10, 64); err != nil {
				return nil, err
			}
		}
		if hi < max(lo, 1) {
			return none(), nil
		}
		return seqRange(max(lo, 1), hi), nil
	case query.KindSeverity:
		lo, hi := 0, len(event.Severities)-1
		if !loOpen {
			lo = event.SeverityRank(strings.ToLower(r.Lo))
		}
		if !hiOpen {
			hi = event.SeverityRank(strings.ToLower(r.Hi))
		}
		var qs []bquery.Query
		for i := lo; i <= hi && i >= 0; i++ {
			qs = append(qs, kwTerm("severity", event.Severities[i]))
		}
		return orOf(qs), nil
	case query.KindDetails:
		key := strings.ToLower(strings.TrimPrefix(r.Field, query.DetailsPrefix))
		for _, end := range []string{r.Lo, r.Hi} {
			if _, ok := query.JSONNumber(end); !ok && end != "*" {
				return nil, fmt.Errorf("%q is not a number", end)
			}
		}
		return numberValues(key, r, c.now)
	}
	return nil, fmt.Errorf("%s has no order to take a range of", r.Field)
}

// seqRange matches seqs from lo to hi, both included.
func seqRange(lo, hi uint64) bquery.Query {
	in := true
	q := bleve.NewTermRangeInclusiveQuery(SeqTerm(lo), SeqTerm(hi), &in, &in)
	q.SetField(FieldSeq)
	return q
}

// spanQuery matches the events of a time span: a range of document ids,
// since an id starts with the event's time.
func spanQuery(s query.TimeSpan) bquery.Query {
	return TimeRange(fromOf(s), toOf(s))
}

func fromOf(s query.TimeSpan) time.Time {
	if s.HasFrom {
		return s.From
	}
	return time.Time{}
}

func toOf(s query.TimeSpan) time.Time {
	if s.HasTo {
		return s.To
	}
	return time.Time{}
}

// TimeRange matches the events with from <= time < to; a zero time leaves
// its side open. The whole hours inside the span are a range of hour terms
// (a few per day); only the partial hours at its ends are ranges of
// document ids, which cost a term per event.
func TimeRange(from, to time.Time) bquery.Query {
	if from.IsZero() && to.IsZero() {
		return bleve.NewMatchAllQuery()
	}
	in, ex := true, false
	idRange := func(lo, hi time.Time) bquery.Query {
		var l, h string
		if !lo.IsZero() {
			l = DocID(lo, 0)
		}
		if !hi.IsZero() {
			h = DocID(hi, 0)
		}
		q := bleve.NewTermRangeInclusiveQuery(l, h, &in, &ex)
		q.SetField(FieldID)
		return q
	}
	// [hoursFrom, hoursTo) are the whole hours in the span.
	var hoursFrom, hoursTo time.Time
	if !from.IsZero() {
		hoursFrom = from.Truncate(time.Hour)
		if hoursFrom.Before(from) {
			hoursFrom = hoursFrom.Add(time.Hour)
		}
	}
	if !to.IsZero() {
		hoursTo = to.Truncate(time.Hour)
	}
	if !hoursFrom.IsZero() && !hoursTo.IsZero() && !hoursFrom.Before(hoursTo) {
		return idRange(from, to) // less than a whole hour
	}
	var l, h string
	if !hoursFrom.IsZero() {
		l = hoursFrom.UTC().Format(hourLayout)
	}
	if !hoursTo.IsZero() {
		h = hoursTo.UTC().Format(hourLayout)
	}
	hours := bleve.NewTermRangeInclusiveQuery(l, h, &in, &ex)
	hours.SetField(FieldHour)
	parts := []bquery.Query{hours}
	if !from.IsZero() && from.Before(hoursFrom) {
		parts = append(parts, idRange(from, hoursFrom))
	}
	if !to.IsZero() && hoursTo.Before(to) {
		parts = append(parts, idRange(hoursTo, to))
	}
	return orOf(parts)
}
