package index

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/blevesearch/bleve/v2/document"
	bindex "github.com/blevesearch/bleve_index_api"

	"github.com/vigil-dev/vigil/event"
	"github.com/vigil-dev/vigil/query"
)

// Field names in the index. Keyword fields hold exact values; text fields
// hold the words of query.Tokens; time is in the document id (DocID).
//
// Some query fields are searched through the distinct values of a field
// (see valueQuery) rather than through words or numbers of their own: the
// user agent, location and device through their facet fields, CIDR blocks
// through ip, numeric comparisons of details through FieldDetailsNum. And
// the query language's user field is actor.email, actor.id and actor.name
// (userFields).
const (
	FieldID      = "_id"
	FieldSeq     = "seq"     // SeqTerm text
	FieldText    = "_text"   // free text: words of query.TextValues no other field finds (see builder.document)
	FieldDetails = "details" // terms "key=value" lower-cased, where that differs from FieldFacetDetails
	// FieldFacetDetails holds "key=value" with the value as received, for
	// every leaf of details.
	FieldFacetDetails = "f.details"
	// FieldDetailsNum holds "key=value" for the leaves of details that
	// are JSON numbers, the number as received.
	FieldDetailsNum = "details#n"
	FieldMinute     = "time.m" // the event's UTC minute, 200601021504
	FieldHour       = "time.h" // the event's UTC hour, 2006010215
)

// userFields are the fields the query language's user field stands for.
var userFields = []string{"actor.email", "actor.id", "actor.name"}

// tokenFields are the keyword fields every value of which free text
// searches (query.TextValues). A value that is one word, the value itself
// lower-cased, is found by a term on the field and is not repeated in
// _text.
var tokenFields = []string{"action", "actor.email", "actor.id", "actor.name", "role", "actor.type", "target", "ip", "session"}

// valueFields are the text fields searched through the distinct values of
// their facet fields, by the matcher itself: their values repeat across
// events (a few hundred user agents, places, devices), so testing each
// distinct value at search time is cheap, where indexing their words with
// positions made a quarter of all the terms indexed.
var valueFields = []string{"location", "ua", "device"}

const (
	minuteLayout = "200601021504"
	hourLayout   = "2006010215"
)

// ParseMinute and ParseHour read the terms of FieldMinute and FieldHour.
func ParseMinute(term string) (time.Time, error) { return time.Parse(minuteLayout, term) }

// ParseHour reads a term of FieldHour.
func ParseHour(term string) (time.Time, error) { return time.Parse(hourLayout, term) }

// Options of the fields, as Bleve wants them.
const (
	keywordOpts = bindex.IndexField | bindex.SkipFreqNorm
	facetOpts   = bindex.IndexField | bindex.DocValues | bindex.SkipFreqNorm
	textOpts    = bindex.IndexField | bindex.IncludeTermVectors | bindex.SkipFreqNorm
)

// DocID is the index id of a stored event: its time key, Unix nanoseconds
// then seq, both as fixed-width decimal text, so that sorting ids sorts by
// time and newest first is a sort on _id.
func DocID(t time.Time, seq uint64) string {
	var b [40]byte
	putDigits(b[:20], uint64(t.UnixNano())^(1<<63))
	putDigits(b[20:], seq)
	return string(b[:])
}

// SeqTerm is the indexed text of a seq: fixed-width decimal.
func SeqTerm(seq uint64) string {
	var b [20]byte
	putDigits(b[:], seq)
	return string(b[:])
}

// putDigits writes n in decimal into b, right-aligned and zero-padded.
func putDigits(b []byte, n uint64) {
	for i := len(b) - 1; i >= 0; i-- {
		b[i] = byte('0' + n%10)
		n /= 10
	}
}

// SeqOfDocID returns the seq a DocID names.
func SeqOfDocID(id string) (uint64, error) {
	var seq uint64
	if len(id) != 40 {
		return 0, fmt.Errorf("index id %q: want 40 digits", id)
	}
	_, err := fmt.Sscanf(id[20:], "%d", &seq)
	return seq, err
}

// facetFields are the fields "top" and "count by" can count, each indexed
// again as FacetField(name) with the values as received.
var facetFields = func() []string {
	var out []string
	for _, f := range query.Fields() {
		switch f.Kind {
		case query.KindTime, query.KindNumber, query.KindDetails:
			continue
		}
		if f.Name == "message" {
			continue
		}
		out = append(out, f.Name)
	}
	return out
}()

// FacetField is the index field holding the values of a query field as
// "top" and "count by" count them (query.FacetValues): a keyword field
// itself, which holds its values as received; for user, target and the text
// fields a field of its own ("f." and the name).
func FacetField(name string) (string, error) {
	canon, ok := query.CanonicalField(name)
	if !ok {
		return "", fmt.Errorf("unknown field %s", name)
	}
	if strings.HasPrefix(canon, query.DetailsPrefix) {
		return FieldFacetDetails, nil
	}
	for _, f := range facetFields {
		if f == canon {
			if ownFacet(canon) {
				return "f." + canon, nil
			}
			return canon, nil
		}
	}
	return "", fmt.Errorf("%s cannot be counted by value", canon)
}

// ownFacet reports the fields whose facet values are not their search
// values: user and target count under the party's label only, text fields
// are searched by word.
func ownFacet(name string) bool {
	if name == "user" || name == "target" {
		return true
	}
	k, _ := query.FieldKind(name)
	return k == query.KindText
}

// LowerField holds the lower-cased values of a keyword field that differ
// from the values as received: a search for a lower-cased value looks in
// both.
func LowerField(name string) string { return name + ".lc" }

// indexedField is a field of the query language as the builder indexes it.
type indexedField struct {
	name  string
	kind  query.Kind
	lower string // LowerField(name), for keyword fields
	facet string // the facet field of its own, if any
	cache bool   // values repeat across events: share their terms
	token bool   // one of tokenFields
	value bool   // one of valueFields
}

// indexedFields are the query fields with a field in the index, in the
// order of query.Fields: user has none (see userFields), nor have time,
// seq and details, which are indexed apart.
var indexedFields = func() []indexedField {
	var out []indexedField
	for _, f := range query.Fields() {
		switch f.Kind {
		case query.KindTime, query.KindNumber, query.KindDetails:
			continue
		}
		if f.Name == "user" {
			continue
		}
		x := indexedField{name: f.Name, kind: f.Kind, lower: LowerField(f.Name)}
		x.token = slices.Contains(tokenFields, f.Name)
		x.value = slices.Contains(valueFields, f.Name)
		if ownFacet(f.Name) && (f.Kind != query.KindText || x.value) {
			x.facet = "f." + f.Name // not the message's: it is not counted
		}
		// Ids are one an event; the session's rarely repeat.
		x.cache = f.Name != "id" && f.Name != "session"
		out = append(out, x)
	}
	return out
}()

// builder makes Bleve documents from events. Words are query.Tokens and
// values query.FieldValues, so that the index and the in-memory matcher
// agree by construction.
//
// The builder analyses values itself: its fields carry their terms, so
// Bleve's analysis has nothing left to do, and it allocates terms in slabs
// shared by consecutive documents. The terms of a value that repeats
// across events (an action, a role, a user agent) are made once and
// shared by every document holding it: Bleve only reads them, since no
// field name occurs twice in a document. A builder is not safe for
// concurrent use.
type builder struct {
	fields slab[field]
	freqs  slab[bindex.TokenFreq]
	locs   slab[bindex.TokenLocation]
	ptrs   slab[*bindex.TokenLocation]
	docs   slab[document.Document]
	// Shared terms of recent values: of each of indexedFields, of their
	// facet fields, of f.user, of the message's words, of minutes and
	// hours.
	values, facets []valueCache
	user, message  valueCache
	minutes, hours map[int64]bindex.TokenFrequencies
	// scratch, reused from one document to the next
	vals, words, found []string
	fs                 []document.Field
}

func newBuilder() *builder {
	return &builder{
		values:  make([]valueCache, len(indexedFields)),
		facets:  make([]valueCache, len(indexedFields)),
		minutes: map[int64]bindex.TokenFrequencies{},
		hours:   map[int64]bindex.TokenFrequencies{},
	}
}

// maxShared bounds the values a cache keeps; past it the cache starts
// again.
const maxShared = 4096

// value is what the builder knows of a keyword value.
type value struct {
	freqs   bindex.TokenFrequencies // the value as received
	lower   bindex.TokenFrequencies // lower-cased, when that differs
	oneWord bool                    // see oneWord
}

// valueCache holds the values of a field seen lately.
type valueCache struct{ m map[string]*value }

func (c *valueCache) get(v string) (*value, bool) {
	e, ok := c.m[v]
	return e, ok
}

func (c *valueCache) put(v string, e *value) {
	if c.m == nil || len(c.m) >= maxShared {
		c.m = make(map[string]*value)
	}
	c.m[v] = e
}

// keyword returns the terms of a keyword value, from the cache when it
// has them (c nil: no cache).
func (b *builder) keyword(c *valueCache, v string) *value {
	if c != nil {
		if e, ok := c.get(v); ok {
			return e
		}
	}
	// Terms kept in a cache are allocated on their own: a slab's chunk
	// lives as long as any of its values does.
	tf := b.freqs.next
	if c != nil {
		tf = newTokenFreq
	}
	e := &value{freqs: bindex.TokenFrequencies{v: tf()}, oneWord: oneWord(v)}
	if lv := strings.ToLower(v); lv != v {
		e.lower = bindex.TokenFrequencies{lv: tf()}
	}
	if c != nil {
		c.put(v, e)
	}
	return e
}

// slab hands out values of T from chunks, so that the fields and terms of
// many documents cost a few allocations. A chunk lives as long as any
// document using it.
type slab[T any] struct{ buf []T }

func (s *slab[T]) next() *T {
	if len(s.buf) == cap(s.buf) {
		s.buf = make([]T, 0, 256)
	}
	s.buf = s.buf[:len(s.buf)+1]
	return &s.buf[len(s.buf)-1]
}

// one returns a slice of one element, v, whose capacity ends with it: an
// append copies it out of the slab.
func (s *slab[T]) one(v T) []T {
	p := s.next()
	*p = v
	i := len(s.buf) - 1
	return s.buf[i : i+1 : i+1]
}

// field is a document field whose terms are computed by the builder.
type field struct {
	name   string
	opts   bindex.FieldIndexingOptions
	length int
	freqs  bindex.TokenFrequencies
	plain  uint64
}

func (f *field) Name() string                                      { return f.name }
func (f *field) ArrayPositions() []uint64                          { return nil }
func (f *field) Options() bindex.FieldIndexingOptions              { return f.opts }
func (f *field) Analyze()                                          {}
func (f *field) Value() []byte                                     { return nil }
func (f *field) NumPlainTextBytes() uint64                         { return f.plain }
func (f *field) EncodedFieldType() byte                            { return 't' }
func (f *field) AnalyzedLength() int                               { return f.length }
func (f *field) AnalyzedTokenFrequencies() bindex.TokenFrequencies { return f.freqs }

// Size is an estimate of the memory the field holds, as Bleve accounts it.
func (f *field) Size() int { return 64 + len(f.name) + len(f.freqs)*48 + int(f.plain) }

// add adds a field of the given terms.
func (b *builder) add(name string, opts bindex.FieldIndexingOptions, length int, freqs bindex.TokenFrequencies, plain int) {
	f := b.fields.next()
	*f = field{name: name, opts: opts, length: length, freqs: freqs, plain: uint64(plain)}
	b.fs = append(b.fs, f)
}

// keywords adds a field of whole values (none: no field): one term each,
// no positions.
func (b *builder) keywords(name string, opts bindex.FieldIndexingOptions, vals []string) {
	if len(vals) == 0 {
		return
	}
	freqs := make(bindex.TokenFrequencies, len(vals))
	plain := 0
	for _, v := range vals {
		if _, ok := freqs[v]; !ok {
			freqs[v] = b.freqs.next()
			plain += len(v)
		}
	}
	b.add(name, opts, len(vals), freqs, plain)
}

// facet adds the facet values of a field, sharing the terms of a single
// one.
func (b *builder) facet(c *valueCache, name string, vals []string) {
	if len(vals) == 1 {
		b.add(name, facetOpts, 1, b.keyword(c, vals[0]).freqs, len(vals[0]))
		return
	}
	b.keywords(name, facetOpts, vals)
}

// wordsField adds a field of words with their positions (for phrases). A
// partBreak in words is no word: it leaves a position empty, so that no
// phrase spans it. Terms to be cached (kept) are allocated on their own.
func (b *builder) wordsField(name string, words []string, plain int, kept bool) bindex.TokenFrequencies {
	freqs := make(bindex.TokenFrequencies, len(words))
	var locs []bindex.TokenLocation
	if kept {
		locs = make([]bindex.TokenLocation, len(words))
	}
	n := 0
	for i, w := range words {
		if w == partBreak {
			continue
		}
		n++
		var loc *bindex.TokenLocation
		if kept {
			loc = &locs[i]
		} else {
			loc = b.locs.next()
		}
		loc.Position = i + 1
		if tf, ok := freqs[w]; ok {
			tf.Locations = append(tf.Locations, loc)
			continue
		}
		if kept {
			freqs[w] = &bindex.TokenFreq{Locations: []*bindex.TokenLocation{loc}}
			continue
		}
		tf := b.freqs.next()
		tf.Locations = b.ptrs.one(loc)
		freqs[w] = tf
	}
	b.add(name, textOpts, n, freqs, plain)
	return freqs
}

func newTokenFreq() *bindex.TokenFreq { return new(bindex.TokenFreq) }

// textParts adds a field of the words of several values, kept apart by an
// empty position, so that a phrase never spans two of them.
func (b *builder) textParts(name string, vals []string) {
	words := b.words[:0]
	plain := 0
	for _, v := range vals {
		w := query.Tokens(v)
		if len(w) == 0 {
			continue
		}
		if len(words) > 0 {
			words = append(words, partBreak)
		}
		words = append(words, w...)
		plain += len(v)
	}
	if len(words) > 0 {
		b.wordsField(name, words, plain, false)
	}
	b.words = words[:0]
}

// message adds the message's words, sharing them with the other documents
// holding the same message.
func (b *builder) messageField(name, v string) {
	if e, ok := b.message.get(v); ok {
		if e.freqs != nil {
			n := 0
			for _, tf := range e.freqs {
				n += len(tf.Locations)
			}
			b.add(name, textOpts, n, e.freqs, len(v))
		}
		return
	}
	var freqs bindex.TokenFrequencies
	if words := query.Tokens(v); len(words) > 0 {
		freqs = b.wordsField(name, words, len(v), true)
	}
	b.message.put(v, &value{freqs: freqs})
}

// timeTerm adds the one term of a minute or an hour, shared by the events
// of that minute or hour.
func (b *builder) timeTerm(name string, cache map[int64]bindex.TokenFrequencies, t time.Time, d time.Duration, layout string) {
	k := t.Unix() / int64(d/time.Second)
	if t.Unix() < 0 && t.Unix()%int64(d/time.Second) != 0 {
		k-- // floor, before 1970
	}
	freqs, ok := cache[k]
	if !ok {
		if len(cache) >= maxShared {
			clear(cache)
		}
		freqs = bindex.TokenFrequencies{t.Format(layout): newTokenFreq()}
		cache[k] = freqs
	}
	b.add(name, facetOpts, 1, freqs, len(layout))
}

func (b *builder) document(ev *event.Event) *document.Document {
	b.fs = b.fs[:0]
	// found holds the values whose words other fields find, so that _text
	// need not repeat them.
	found := b.found[:0]
	for i := range indexedFields {
		x := &indexedFields[i]
		b.vals = append(b.vals[:0], query.FieldValues(ev, x.name)...)
		if len(b.vals) == 0 {
			continue
		}
		switch {
		case x.value:
			// Searched through the values of the facet field (valueQuery).
			found = append(found, b.vals...)
		case x.kind == query.KindText && len(b.vals) == 1:
			b.messageField(x.name, b.vals[0])
			found = append(found, b.vals[0])
		case x.kind == query.KindText:
			// Several values (no text field has yet) are kept apart as
			// the parts of _text are.
			b.textParts(x.name, b.vals)
			found = append(found, b.vals...)
		case len(b.vals) == 1:
			// Keywords whole, as received (for facets too) and
			// lower-cased where that differs.
			v := b.vals[0]
			var c *valueCache
			if x.cache {
				c = &b.values[i]
			}
			e := b.keyword(c, v)
			b.add(x.name, facetOpts, 1, e.freqs, len(v))
			if e.lower != nil {
				b.add(x.lower, keywordOpts, 1, e.lower, len(v))
			}
			if x.token && e.oneWord {
				found = append(found, v)
			}
		default:
			b.keywords(x.name, facetOpts, b.vals)
			lower := b.words[:0]
			for _, v := range b.vals {
				if lv := strings.ToLower(v); lv != v {
					lower = append(lower, lv)
				}
				if x.token && oneWord(v) {
					found = append(found, v)
				}
			}
			b.keywords(x.lower, keywordOpts, lower)
			b.words = lower[:0]
		}
		// Facet fields of their own: values as received.
		if x.facet != "" {
			b.facet(&b.facets[i], x.facet, query.FacetValues(ev, x.name))
		}
	}
	b.facet(&b.user, "f.user", query.FacetValues(ev, "user"))
	// Time needs no field: the document id is the time key, and a time
	// range is a range of ids. Seq is fixed-width text, so that a range of
	// seqs is a range of terms: one term a document, where a numeric field
	// would index sixteen.
	b.add(FieldSeq, bindex.IndexField|bindex.SkipFreqNorm, 1, bindex.TokenFrequencies{SeqTerm(ev.Seq): b.freqs.next()}, 20)
	// The minute and the hour of the event, for timecharts by facet.
	utc := ev.Time.UTC()
	b.timeTerm(FieldMinute, b.minutes, utc, time.Minute, minuteLayout)
	b.timeTerm(FieldHour, b.hours, utc, time.Hour, hourLayout)
	// Every details leaf is one term "key=value" of the keyword field
	// f.details, as received, and, where lower-casing changes it, of
	// "details" (a field per key would give every segment a dictionary per
	// key); numeric leaves are also in details#n.
	var asIs, lower, nums []string
	flatten("", ev.Details, func(name string, v any) {
		s := scalarText(v)
		if s == "" {
			return // the matcher sees no value in an empty string
		}
		t := name + "=" + s
		asIs = append(asIs, t)
		if lt := strings.ToLower(t); lt != t {
			lower = append(lower, lt)
		}
		if _, ok := v.(json.Number); ok {
			nums = append(nums, t)
		}
	})
	b.keywords(FieldFacetDetails, facetOpts, asIs)
	b.keywords(FieldDetails, keywordOpts, lower)
	b.keywords(FieldDetailsNum, keywordOpts, nums)
	// Free text: the words of the values no other field finds.
	vals := b.vals[:0]
	for _, v := range query.TextValues(ev) {
		if !slices.Contains(found, v) {
			vals = append(vals, v)
		}
	}
	b.textParts(FieldText, vals)
	b.vals = vals[:0]
	b.found = found[:0]

	doc := b.docs.next()
	doc.SetID(DocID(ev.Time, ev.Seq))
	doc.Fields = make([]document.Field, len(b.fs), len(b.fs)+1) // +1: Bleve adds _id
	copy(doc.Fields, b.fs)
	return doc
}

// oneWord reports whether v is one word, v lower-cased: a term of its
// keyword field is then a search for that word.
func oneWord(v string) bool {
	w := query.Tokens(v)
	return len(w) == 1 && w[0] == strings.ToLower(v)
}

// DetailTerm is the term that stands for details.KEY having value v: the
// lower-cased dotted key, "=", the lower-cased value.
func DetailTerm(key, v string) string { return strings.ToLower(key) + "=" + strings.ToLower(v) }

// flatten calls fn with the dotted name and value of every leaf of a
// details object; array elements share their array's name.
func flatten(prefix string, v any, fn func(name string, v any)) {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			name := strings.ToLower(k)
			if prefix != "" {
				name = prefix + "." + name
			}
			flatten(name, e, fn)
		}
	case []any:
		for _, e := range x {
			flatten(prefix, e, fn)
		}
	case nil:
	default:
		fn(prefix, x)
	}
}

func scalarText(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case json.Number:
		return x.String()
	case bool:
		if x {
			return "true"
		}
		return "false"
	}
	return fmt.Sprint(v)
}

// partBreak separates the parts of a field of words; query.Tokens never
// yields it.
const partBreak = ""
