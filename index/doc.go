package index

import (
	"encoding/json"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/document"
	bindex "github.com/blevesearch/bleve_index_api"

	"github.com/vigil-dev/vigil/event"
	"github.com/vigil-dev/vigil/query"
)

// Field names in the index. Keyword fields hold lower-cased exact values;
// text fields hold the tokens of query.Tokens; numeric fields end in "#n".
// Time is in the document id (DocID).
const (
	FieldID      = "_id"
	FieldSeq     = "seq"     // SeqTerm text
	FieldIP      = "ip#ip"   // an IP field, for CIDR
	FieldText    = "_text"   // free text: the words of query.TextValues
	FieldDetails = "details" // terms "key=value", see DetailTerm
	// FieldFacetDetails holds "key=value" with the value as received.
	FieldFacetDetails = "f.details"
	FieldMinute       = "time.m" // the event's UTC minute, 200601021504
	FieldHour         = "time.h" // the event's UTC hour, 2006010215
)

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
	numericOpts = bindex.IndexField
)

// DocID is the index id of a stored event: its time key, Unix nanoseconds
// then seq, both as fixed-width decimal text, so that sorting ids sorts by
// time and newest first is a sort on _id.
func DocID(t time.Time, seq uint64) string {
	return fmt.Sprintf("%020d%020d", uint64(t.UnixNano())^(1<<63), seq)
}

// SeqTerm is the indexed text of a seq: fixed-width decimal.
func SeqTerm(seq uint64) string { return fmt.Sprintf("%020d", seq) }

// SeqOfDocID returns the seq a DocID names.
func SeqOfDocID(id string) (uint64, error) {
	var seq uint64
	if len(id) != 40 {
		return 0, fmt.Errorf("index id %q: want 40 digits", id)
	}
	_, err := fmt.Sscanf(id[20:], "%d", &seq)
	return seq, err
}

// builder makes Bleve documents from events. Words are query.Tokens, so
// that the index and the in-memory matcher agree by construction.
type builder struct{}

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

func (b builder) document(ev *event.Event) *document.Document {
	doc := document.NewDocument(DocID(ev.Time, ev.Seq))
	add := func(name, value string, opts bindex.FieldIndexingOptions, a analysis.Analyzer) {
		doc.AddField(document.NewTextFieldCustom(name, nil, []byte(value), opts, a))
	}
	// Search fields: keywords whole, as received (for facets too) and
	// lower-cased where that differs; text as its words.
	for _, f := range query.Fields() {
		switch f.Kind {
		case query.KindKeyword, query.KindSeverity, query.KindIP:
			for _, v := range query.FieldValues(ev, f.Name) {
				add(f.Name, v, facetOpts, keywordAnalyzer{})
				if lv := strings.ToLower(v); lv != v {
					add(LowerField(f.Name), lv, keywordOpts, keywordAnalyzer{})
				}
			}
		case query.KindText:
			for _, v := range query.FieldValues(ev, f.Name) {
				if words := query.Tokens(v); len(words) > 0 {
					add(f.Name, strings.Join(words, " "), textOpts, spaceAnalyzer{})
				}
			}
		}
	}
	if ip := net.ParseIP(ev.Context.IP); ip != nil {
		doc.AddField(document.NewIPFieldWithIndexingOptions(FieldIP, nil, ip, bindex.IndexField))
	}
	// Facet fields of their own: values as received.
	for _, name := range facetFields {
		if !ownFacet(name) {
			continue
		}
		for _, v := range query.FacetValues(ev, name) {
			add("f."+name, v, facetOpts, keywordAnalyzer{})
		}
	}
	// Time needs no field: the document id is the time key, and a time
	// range is a range of ids. Seq is fixed-width text, so that a range of
	// seqs is a range of terms: one term a document, where a numeric field
	// would index sixteen.
	add(FieldSeq, SeqTerm(ev.Seq), bindex.IndexField|bindex.SkipFreqNorm, keywordAnalyzer{})
	// The minute and the hour of the event, for timecharts by facet.
	utc := ev.Time.UTC()
	add(FieldMinute, utc.Format(minuteLayout), facetOpts, keywordAnalyzer{})
	add(FieldHour, utc.Format(hourLayout), facetOpts, keywordAnalyzer{})
	// Every details leaf is one term "key=value" of the one keyword field
	// "details" (a field per key would give every segment a dictionary per
	// key), again as received for facets, and numeric leaves are also
	// numbers in "details.KEY#n".
	flatten("", ev.Details, func(name string, v any) {
		s := scalarText(v)
		add(FieldDetails, DetailTerm(name, s), keywordOpts, keywordAnalyzer{})
		add(FieldFacetDetails, strings.ToLower(name)+"="+s, facetOpts, keywordAnalyzer{})
		if n, ok := v.(json.Number); ok {
			if f, err := n.Float64(); err == nil {
				doc.AddField(document.NewNumericFieldWithIndexingOptions("details."+name+"#n", nil, f, numericOpts))
			}
		}
	})
	// Free text: each value's words, values kept apart by a word no query
	// can ask for, so that a phrase never spans two of them.
	var words []string
	for _, v := range query.TextValues(ev) {
		w := query.Tokens(v)
		if len(w) == 0 {
			continue
		}
		if len(words) > 0 {
			words = append(words, partBreak)
		}
		words = append(words, w...)
	}
	if len(words) > 0 {
		add(FieldText, strings.Join(words, " "), textOpts, spaceAnalyzer{})
	}
	return doc
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

// partBreak separates the parts of the free text; query.Tokens never yields it.
const partBreak = "|"

// keywordAnalyzer makes the whole value one token.
type keywordAnalyzer struct{}

func (keywordAnalyzer) Analyze(b []byte) analysis.TokenStream {
	return analysis.TokenStream{{Term: b, Start: 0, End: len(b), Position: 1, Type: analysis.AlphaNumeric}}
}

// spaceAnalyzer splits on single spaces: its input is already the words of
// query.Tokens joined by spaces, and words hold no space.
type spaceAnalyzer struct{}

func (spaceAnalyzer) Analyze(b []byte) analysis.TokenStream {
	var ts analysis.TokenStream
	start, pos := 0, 1
	for i := 0; i <= len(b); i++ {
		if i == len(b) || b[i] == ' ' {
			if i > start {
				ts = append(ts, &analysis.Token{Term: b[start:i], Start: start, End: i, Position: pos, Type: analysis.AlphaNumeric})
				pos++
			}
			start = i + 1
		}
	}
	return ts
}
