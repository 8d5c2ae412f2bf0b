package query

import (
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Query is a parsed query: a filter and at most one pipe stage.
type Query struct {
	Filter Expr
	Stage  Stage // nil when the query has no pipe
}

// String returns the canonical text of the query, which parses back to an
// equal query: canonical field names, explicit AND, NOT for "-", and
// parentheses only where precedence needs them.
func (q *Query) String() string {
	var b strings.Builder
	writeExpr(&b, q.Filter)
	if q.Stage != nil {
		b.WriteString(" | ")
		b.WriteString(q.Stage.String())
	}
	return b.String()
}

// Expr is a node of the filter: *MatchAll, *Or, *And, *Not, *Term, *Range or
// *FreeText.
type Expr interface {
	// Pos is where the node starts in the query text.
	Pos() Pos
	// String is the node's canonical query text.
	String() string
	exprNode()
}

// Op is the comparison of a term.
type Op int

// The comparisons of a term: field:v, field:>v, field:>=v, field:<v, field:<=v.
const (
	Eq Op = iota
	Gt
	Ge
	Lt
	Le
)

var opText = [...]string{Eq: "", Gt: ">", Ge: ">=", Lt: "<", Le: "<="}

// String returns the operator as written after "field:" ("" for Eq).
func (o Op) String() string {
	if o >= 0 && int(o) < len(opText) {
		return opText[o]
	}
	return "Op(" + strconv.Itoa(int(o)) + ")"
}

type (
	// MatchAll is "*", which matches every event.
	MatchAll struct {
		Star Pos
	}

	// Or matches when any of X matches. The parser gives it two or more
	// operands, none of them an *Or.
	Or struct {
		X []Expr
	}

	// And matches when all of X match. The parser gives it two or more
	// operands, none of them an *And. Adjacent terms are an And.
	And struct {
		X []Expr
	}

	// Not matches when X does not. "NOT x" and "-x" both parse to it.
	Not struct {
		OpPos Pos
		X     Expr
	}

	// Term is field:value, field:>value and the other comparisons.
	Term struct {
		Field string // canonical name (see CanonicalField)
		Op    Op
		Value string // as written, unquoted
		// Wildcard says that Value holds * or ? as wildcards. A quoted
		// value never does: its * and ? are themselves.
		Wildcard bool
		Quoted   bool
		FieldPos Pos
		ValuePos Pos
	}

	// Range is field:[Lo TO Hi], both ends included. An end of "*" is
	// open.
	Range struct {
		Field    string // canonical name
		Lo, Hi   string
		FieldPos Pos
		LoPos    Pos
		HiPos    Pos
	}

	// FreeText is a bare word or a quoted phrase, searched in the text of
	// the event (see TextValues and Tokens).
	FreeText struct {
		Text     string // as written, unquoted
		Phrase   bool   // quoted: * and ? are themselves
		Wildcard bool   // a bare word holding * or ?
		TextPos  Pos
	}
)

// Pos returns the position of the "*".
func (x *MatchAll) Pos() Pos { return x.Star }

// Pos returns the position of the first operand.
func (x *Or) Pos() Pos { return firstPos(x.X) }

// Pos returns the position of the first operand.
func (x *And) Pos() Pos { return firstPos(x.X) }

// Pos returns the position of the NOT or "-".
func (x *Not) Pos() Pos { return x.OpPos }

// Pos returns the position of the field name.
func (x *Term) Pos() Pos { return x.FieldPos }

// Pos returns the position of the field name.
func (x *Range) Pos() Pos { return x.FieldPos }

// Pos returns the position of the word or the opening quote.
func (x *FreeText) Pos() Pos { return x.TextPos }

func firstPos(x []Expr) Pos {
	if len(x) == 0 || x[0] == nil {
		return Pos{}
	}
	return x[0].Pos()
}

func (*MatchAll) exprNode() {}
func (*Or) exprNode()       {}
func (*And) exprNode()      {}
func (*Not) exprNode()      {}
func (*Term) exprNode()     {}
func (*Range) exprNode()    {}
func (*FreeText) exprNode() {}

// String returns "*".
func (x *MatchAll) String() string { return "*" }

// String returns the operands joined by OR.
func (x *Or) String() string { return exprString(x) }

// String returns the operands joined by AND.
func (x *And) String() string { return exprString(x) }

// String returns NOT and the operand.
func (x *Not) String() string { return exprString(x) }

// String returns field:OPvalue, quoting the value when it was quoted or
// needs quotes.
func (x *Term) String() string { return exprString(x) }

// String returns field:[lo TO hi].
func (x *Range) String() string { return exprString(x) }

// String returns the word, or the phrase in quotes.
func (x *FreeText) String() string { return exprString(x) }

func exprString(x Expr) string {
	var b strings.Builder
	writeExpr(&b, x)
	return b.String()
}

// precedence of a node when printed: an operand with a lower precedence
// than its parent's operands is put in parentheses.
func precedence(x Expr) int {
	switch x.(type) {
	case *Or:
		return 1
	case *And:
		return 2
	}
	return 3
}

func writeExpr(b *strings.Builder, x Expr) {
	switch x := x.(type) {
	case nil:
		b.WriteString("NOT *") // never produced by Parse
	case *MatchAll:
		b.WriteByte('*')
	case *Or:
		writeList(b, x.X, " OR ", 1)
	case *And:
		writeList(b, x.X, " AND ", 2)
	case *Not:
		b.WriteString("NOT ")
		writeOperand(b, x.X, 3)
	case *Term:
		b.WriteString(x.Field)
		b.WriteByte(':')
		b.WriteString(x.Op.String())
		switch {
		case x.Wildcard && !x.Quoted:
			b.WriteString(x.Value)
		case x.Quoted || valueNeedsQuotes(x.Value, true):
			b.WriteString(quote(x.Value))
		default:
			b.WriteString(x.Value)
		}
	case *Range:
		b.WriteString(x.Field)
		b.WriteString(":[")
		writeBound(b, x.Lo)
		b.WriteString(" TO ")
		writeBound(b, x.Hi)
		b.WriteByte(']')
	case *FreeText:
		switch {
		case x.Wildcard && !x.Phrase:
			b.WriteString(x.Text)
		case x.Phrase || textNeedsQuotes(x.Text):
			b.WriteString(quote(x.Text))
		default:
			b.WriteString(x.Text)
		}
	}
}

func writeList(b *strings.Builder, xs []Expr, sep string, prec int) {
	if len(xs) == 0 { // never produced by Parse
		if prec == 1 {
			b.WriteString("NOT *")
		} else {
			b.WriteByte('*')
		}
		return
	}
	for i, x := range xs {
		if i > 0 {
			b.WriteString(sep)
		}
		// An operand of the same kind is kept apart too, so that a
		// hand-built nested list prints as it is built.
		writeOperand(b, x, prec+1)
	}
}

func writeOperand(b *strings.Builder, x Expr, min int) {
	if x != nil && precedence(x) < min {
		b.WriteByte('(')
		writeExpr(b, x)
		b.WriteByte(')')
		return
	}
	writeExpr(b, x)
}

func writeBound(b *strings.Builder, s string) {
	if s == "*" || !boundNeedsQuotes(s) {
		b.WriteString(s)
		return
	}
	b.WriteString(quote(s))
}

// boundNeedsQuotes reports whether s, written bare as the end of a range,
// would not parse back as itself. A leading "-" scans as MINUS, which the
// parser joins to the word right after it.
func boundNeedsQuotes(s string) bool {
	if strings.EqualFold(s, "TO") {
		return true
	}
	if len(s) > 1 && s[0] == '-' && s[1] != '-' {
		s = s[1:]
	}
	return valueNeedsQuotes(s, false)
}

// valueNeedsQuotes reports whether s, written bare as a value, would not
// scan back as itself: after "field:" (term) or as a word of its own.
func valueNeedsQuotes(s string, term bool) bool {
	if s == "" || strings.ContainsAny(s, "*?") {
		return true
	}
	if term && (s[0] == '>' || s[0] == '<') {
		return true
	}
	if !term && (s[0] == '-' || isKeyword(s)) {
		return true
	}
	for i := 0; i < len(s); {
		r, w := utf8.DecodeRuneInString(s[i:])
		if r == '(' || r == ')' || r == '[' || r == ']' || r == '"' || r == '|' || unicode.IsSpace(r) {
			return true
		}
		i += w
	}
	return false
}

// textNeedsQuotes reports whether s, written bare, would not parse back as
// free text without wildcards.
func textNeedsQuotes(s string) bool {
	if valueNeedsQuotes(s, false) {
		return true
	}
	if i := strings.IndexByte(s, ':'); i >= 0 && startsField(s[:i]) {
		return true
	}
	return false
}

func isKeyword(s string) bool {
	return strings.EqualFold(s, "AND") || strings.EqualFold(s, "OR") || strings.EqualFold(s, "NOT")
}

// startsField reports whether the text before a ':' in a word is taken as
// a field name: it starts with a letter, '_' or '@'. Otherwise (12:30,
// 2001:db8::1) the word is free text.
func startsField(head string) bool {
	if head == "" {
		return false
	}
	r, _ := utf8.DecodeRuneInString(head)
	return r == '_' || r == '@' || unicode.IsLetter(r)
}

// Stage is the pipe stage after the filter: *Top, *CountBy or *Timechart.
type Stage interface {
	// Pos is where the stage's name starts in the query text.
	Pos() Pos
	// String is the stage's canonical text, without the "|".
	String() string
	stageNode()
}

type (
	// Top is "top N field": the N most frequent values of field, with
	// their counts.
	Top struct {
		N        int
		Field    string // canonical name
		StagePos Pos
	}

	// CountBy is "count by field": every value of field with its count,
	// largest first.
	CountBy struct {
		Field    string // canonical name
		StagePos Pos
	}

	// Timechart is "timechart INTERVAL": counts per time bucket (see
	// Bucket).
	Timechart struct {
		Interval time.Duration
		StagePos Pos
	}
)

// Pos returns the position of "top".
func (s *Top) Pos() Pos { return s.StagePos }

// Pos returns the position of "count".
func (s *CountBy) Pos() Pos { return s.StagePos }

// Pos returns the position of "timechart".
func (s *Timechart) Pos() Pos { return s.StagePos }

func (*Top) stageNode()       {}
func (*CountBy) stageNode()   {}
func (*Timechart) stageNode() {}

// String returns "top N field".
func (s *Top) String() string { return "top " + strconv.Itoa(s.N) + " " + s.Field }

// String returns "count by field".
func (s *CountBy) String() string { return "count by " + s.Field }

// String returns "timechart INTERVAL", the interval in the largest units
// (90m is 1h30m).
func (s *Timechart) String() string { return "timechart " + formatDuration(s.Interval) }

// Bucket returns the start of the bucket t falls in: t in UTC truncated to
// a multiple of the interval since the zero time, so that days start at
// midnight UTC and weeks on Monday.
func (s *Timechart) Bucket(t time.Time) time.Time {
	return t.UTC().Truncate(s.Interval)
}
