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
)

// Field names in the index. Keyword fields hold lower-cased exact values;
// text fields hold the tokens of query.Tokens; numeric fields end in "#n".
// Time is in the document id (DocID).
const (
	FieldID      = "_id"
	FieldSeq     = "seq"   // SeqTerm text
	FieldIP      = "ip#ip" // an IP field, for CIDR
	FieldText    = "_text" // free text: every word of the event
	FieldMessage = "message"
	FieldDetails = "details" // terms "key=value", see DetailTerm
)

// Options of the fields, as Bleve wants them.
const (
	keywordOpts = bindex.IndexField | bindex.DocValues | bindex.SkipFreqNorm
	textOpts    = bindex.IndexField | bindex.IncludeTermVectors | bindex.SkipFreqNorm
	numericOpts = bindex.IndexField | bindex.DocValues
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

// Tokenizer turns text into the words the index and the in-memory matcher
// both search for. The query package gives it (query.Tokens), so that the
// two agree by construction.
type Tokenizer func(text string) []string

// builder makes Bleve documents from events.
type builder struct {
	tokens Tokenizer
}

func (b builder) document(ev *event.Event) *document.Document {
	doc := document.NewDocument(DocID(ev.Time, ev.Seq))
	kw := func(name, value string) {
		if value == "" {
			return
		}
		doc.AddField(document.NewTextFieldCustom(name, nil, []byte(strings.ToLower(value)), keywordOpts, keywordAnalyzer{}))
	}
	kw("action", ev.Type)
	kw("category", ev.Category)
	kw("severity", ev.Severity)
	kw("outcome", ev.Outcome)
	kw("component", ev.Component)
	kw("source", ev.Source)
	kw("id", ev.ID)
	for _, v := range []string{ev.Actor.Email, ev.Actor.ID, ev.Actor.Name} {
		kw("user", v)
	}
	kw("actor.email", ev.Actor.Email)
	kw("actor.id", ev.Actor.ID)
	kw("actor.name", ev.Actor.Name)
	kw("actor.type", ev.Actor.Type)
	kw("role", ev.Actor.Role)
	for _, v := range []string{ev.Target.Email, ev.Target.ID, ev.Target.Name} {
		kw("target", v)
	}
	kw("ip", ev.Context.IP)
	if ip := net.ParseIP(ev.Context.IP); ip != nil {
		doc.AddField(document.NewIPFieldWithIndexingOptions(FieldIP, nil, ip, bindex.IndexField))
	}
	kw("location", ev.Context.Location)
	kw("ua", ev.Context.UserAgent)
	kw("device", ev.Context.Device)
	kw("session", ev.Context.SessionID)
	// Time needs no field: the document id is the time key, and a time
	// range is a range of ids. Seq is fixed-width text, so that a range of
	// seqs is a range of terms: one term a document, where a numeric field
	// would index sixteen.
	doc.AddField(document.NewTextFieldCustom(FieldSeq, nil, []byte(SeqTerm(ev.Seq)), bindex.IndexField|bindex.SkipFreqNorm, keywordAnalyzer{}))
	// Every details leaf is one term "key=value" of the one keyword field
	// "details" (a field per key would give every segment a dictionary per
	// key), and numeric leaves are also numbers in "details.KEY#n".
	var text []string
	flatten("", ev.Details, func(name string, v any) {
		s := scalarText(v)
		doc.AddField(document.NewTextFieldCustom(FieldDetails, nil, []byte(DetailTerm(name, s)), keywordOpts, keywordAnalyzer{}))
		if n, ok := v.(json.Number); ok {
			if f, err := n.Float64(); err == nil {
				doc.AddField(document.NewNumericFieldWithIndexingOptions("details."+name+"#n", nil, f, numericOpts))
			}
		}
		text = append(text, s)
	})
	if ev.Message != "" {
		doc.AddField(document.NewTextFieldCustom(FieldMessage, nil, []byte(strings.Join(b.tokens(ev.Message), " ")), textOpts, spaceAnalyzer{}))
	}
	text = append(text, ev.Message, ev.Type, ev.Actor.Email, ev.Actor.ID, ev.Actor.Name, ev.Actor.Role,
		ev.Target.Email, ev.Target.ID, ev.Target.Name, ev.Context.IP, ev.Context.UserAgent, ev.Context.Location,
		ev.Context.Device, ev.Context.SessionID)
	// Parts are kept apart by a word no query can ask for, so that a
	// phrase never spans two of them.
	var words []string
	for _, t := range text {
		if t == "" {
			continue
		}
		if len(words) > 0 {
			words = append(words, partBreak)
		}
		words = append(words, b.tokens(t)...)
	}
	if len(words) > 0 {
		doc.AddField(document.NewTextFieldCustom(FieldText, nil, []byte(strings.Join(words, " ")), textOpts, spaceAnalyzer{}))
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

// partBreak separates the parts of the free text; Tokenizer never yields it.
const partBreak = "|"

// keywordAnalyzer makes the whole value one token.
type keywordAnalyzer struct{}

func (keywordAnalyzer) Analyze(b []byte) analysis.TokenStream {
	return analysis.TokenStream{{Term: b, Start: 0, End: len(b), Position: 1, Type: analysis.AlphaNumeric}}
}

// spaceAnalyzer splits on single spaces: its input is already the words of
// the Tokenizer joined by spaces, and words hold no space.
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
