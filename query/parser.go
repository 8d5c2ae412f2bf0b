package query

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Parse parses the text of a query: a filter and an optional pipe stage.
// Field names are resolved to their canonical names and every value is
// checked (times, numbers, CIDR blocks, severities, ...), so that a query
// that parses always compiles. The error is a *ParseError.
//
// The empty query is an error: "*" matches every event.
func Parse(text string) (*Query, error) {
	p := &parser{}
	p.sc.Init(text)
	q, err := p.parse()
	if err != nil {
		err.src = text
		return nil, err
	}
	return q, nil
}

// parser is a recursive-descent parser of the grammar in
// docs/query-language.md, with one token of lookahead.
type parser struct {
	sc Scanner

	pos   Pos    // of the current token
	tok   Token  // the current token
	lit   string // its text
	depth int    // of NOT, "-" and parentheses around the current token
}

// maxDepth bounds the nesting of NOT, "-" and parentheses, so that a
// hostile query cannot exhaust the stack of the parser, the printer or the
// matcher.
const maxDepth = 200

func (p *parser) enter(pos Pos) {
	p.depth++
	if p.depth > maxDepth {
		p.failf(pos, "", "the query nests NOT, - and parentheses more than %d deep", maxDepth)
	}
}

// bailout carries the first error up the stack, as go/parser does.
type bailout struct{ err *ParseError }

func (p *parser) parse() (q *Query, err *ParseError) {
	defer func() {
		if r := recover(); r != nil {
			b, ok := r.(bailout)
			if !ok {
				panic(r)
			}
			q, err = nil, b.err
		}
	}()
	p.next()
	switch p.tok {
	case EOF:
		p.fail(p.pos, "empty query", "write * to match every event")
	case PIPE:
		p.fail(p.pos, "missing filter before |", "write * | "+exampleStage+" to aggregate every event")
	}
	q = &Query{Filter: p.parseOr()}
	switch p.tok {
	case EOF:
	case PIPE:
		q.Stage = p.parseStage()
	case RPAREN:
		p.fail(p.pos, `unexpected ")"`, `no "(" is open before it`)
	case RBRACK:
		p.fail(p.pos, `unexpected "]"`, `no "[" is open before it`)
	default:
		p.fail(p.pos, "unexpected "+p.describe(), "")
	}
	return q, nil
}

func (p *parser) next() {
	p.pos, p.tok, p.lit = p.sc.Scan()
	if p.tok == ILLEGAL {
		p.fail(p.pos, "unclosed quote", `close it with "`)
	}
}

// end is the byte offset after the current token.
func (p *parser) end() int { return p.pos.Offset + len(p.lit) }

func (p *parser) fail(pos Pos, msg, hint string) {
	panic(bailout{&ParseError{Pos: pos, Msg: msg, Hint: hint}})
}

func (p *parser) failf(pos Pos, hint, format string, args ...any) {
	p.fail(pos, fmt.Sprintf(format, args...), hint)
}

// describe names the current token in an error message.
func (p *parser) describe() string {
	switch p.tok {
	case EOF:
		return "end of query"
	case WORD, STRING:
		return strconv.Quote(p.lit)
	}
	return strconv.Quote(p.tok.String())
}

// startsTerm reports whether the current token can start a unary
// expression.
func (p *parser) startsTerm() bool {
	switch p.tok {
	case WORD, STRING, MINUS, NOT, LPAREN, LBRACK:
		return true
	}
	return false
}

// or = and { "OR" and }
func (p *parser) parseOr() Expr {
	x := p.parseAnd()
	if p.tok != OR {
		return x
	}
	or := &Or{}
	or.X = appendFlat(or.X, x, true)
	for p.tok == OR {
		opPos, op := p.pos, p.lit
		p.next()
		if !p.startsTerm() {
			p.failf(opPos, "", "%s needs a term on its right, not %s", op, p.describe())
		}
		or.X = appendFlat(or.X, p.parseAnd(), true)
	}
	return or
}

// and = unary { [ "AND" ] unary }
func (p *parser) parseAnd() Expr {
	x := p.parseUnary()
	var and *And
	for {
		if p.tok == AND {
			opPos, op := p.pos, p.lit
			p.next()
			if !p.startsTerm() {
				p.failf(opPos, "", "%s needs a term on its right, not %s", op, p.describe())
			}
		} else if !p.startsTerm() {
			break
		}
		if and == nil {
			and = &And{X: appendFlat(nil, x, false)}
		}
		and.X = appendFlat(and.X, p.parseUnary(), false)
	}
	if and == nil {
		return x
	}
	return and
}

// appendFlat appends x to the operands of an Or (or) or an And, or appends
// its operands when x is of the same kind: (a OR b) OR c is a OR b OR c.
func appendFlat(xs []Expr, x Expr, or bool) []Expr {
	switch y := x.(type) {
	case *Or:
		if or {
			return append(xs, y.X...)
		}
	case *And:
		if !or {
			return append(xs, y.X...)
		}
	}
	return append(xs, x)
}

// unary = ( "NOT" | "-" ) unary | primary
func (p *parser) parseUnary() Expr {
	switch p.tok {
	case NOT:
		opPos, op := p.pos, p.lit
		p.next()
		if !p.startsTerm() {
			p.failf(opPos, "", "%s needs a term on its right, not %s", op, p.describe())
		}
		p.enter(opPos)
		x := &Not{OpPos: opPos, X: p.parseUnary()}
		p.depth--
		return x
	case MINUS:
		opPos, end := p.pos, p.end()
		p.next()
		if !p.startsTerm() || p.pos.Offset != end {
			p.fail(opPos, `"-" needs a term right after it`, `write -action:logout or NOT action:logout; to search for "-", quote it`)
		}
		p.enter(opPos)
		x := &Not{OpPos: opPos, X: p.parseUnary()}
		p.depth--
		return x
	}
	return p.parsePrimary()
}

// primary = "(" or ")" | field ":" [ cmp ] value | field ":" range | value
func (p *parser) parsePrimary() Expr {
	switch p.tok {
	case LPAREN:
		lparen := p.pos
		p.enter(lparen)
		defer func() { p.depth-- }()
		p.next()
		if p.tok == RPAREN {
			p.fail(lparen, "empty parentheses", "put a term between them, or remove them")
		}
		if !p.startsTerm() {
			if p.tok == EOF || p.tok == PIPE {
				p.fail(lparen, `unclosed "(" opened here`, `close it with ")"`)
			}
			p.failf(p.pos, "", "expected a term after \"(\", not %s", p.describe())
		}
		x := p.parseOr()
		switch p.tok {
		case RPAREN:
			p.next()
			return x
		case EOF, PIPE:
			p.fail(lparen, `unclosed "(" opened here`, `close it with ")"`)
		}
		p.failf(p.pos, `close "(" with ")"`, "unexpected %s", p.describe())
	case WORD:
		return p.parseWord()
	case STRING:
		pos, lit := p.pos, p.lit
		p.next()
		x := &FreeText{Text: unquote(lit), Phrase: true, TextPos: pos}
		p.check(x)
		return x
	case LBRACK:
		p.fail(p.pos, "a range needs a field", "write field:[lo TO hi], e.g. seq:[10 TO 20] or time:[2025-01-01 TO 2025-01-31]")
	case AND, OR:
		p.failf(p.pos, `to search for the word, quote it: "`+p.lit+`"`, "%s needs a term on its left", p.lit)
	}
	p.failf(p.pos, "", "expected a term, not %s", p.describe())
	return nil
}

// parseWord parses a word: "*", field:value, field:[range] or free text.
func (p *parser) parseWord() Expr {
	word, pos, end := p.lit, p.pos, p.end()
	p.next()
	if word == "*" {
		return &MatchAll{Star: pos}
	}
	colon := strings.IndexByte(word, ':')
	if colon < 0 || !startsField(word[:colon]) {
		if colon == 0 {
			p.fail(pos, `":" needs a field name before it`, `to search for the text, quote it: "`+word+`"`)
		}
		x := &FreeText{Text: word, Wildcard: strings.ContainsAny(word, "*?"), TextPos: pos}
		p.check(x)
		return x
	}
	head := word[:colon]
	f, ok := resolveField(head)
	if !ok {
		hint := fieldHint(head)
		if !strings.HasPrefix(hint, "did you mean") {
			hint += `; to search for the text, quote it: "` + word + `"`
		}
		p.failf(pos, hint, "unknown field %q", head)
	}
	rest := word[colon+1:]
	restPos := pos.advance(word[:colon+1])
	op, n := scanOp(rest)
	value := rest[n:]
	valuePos := restPos.advance(rest[:n])
	quoted := false
	if value == "" {
		adjacent := p.pos.Offset == end
		switch {
		case adjacent && p.tok == STRING:
			value, quoted, valuePos = unquote(p.lit), true, p.pos
			if value == "" {
				p.failf(valuePos, "to find events without it, write NOT "+f.name+":*", "%s has no value", head)
			}
			p.next()
		case adjacent && p.tok == LBRACK && op == Eq:
			return p.parseRange(f, pos)
		case adjacent && p.tok == LBRACK:
			p.fail(restPos, "a range takes no comparison", "write "+f.name+":[lo TO hi]")
		case adjacent && p.tok == LPAREN:
			p.fail(p.pos, "a field cannot be applied to a group", "write the field in each term: ("+f.name+":a OR "+f.name+":b)")
		default:
			what := head + ":"
			if op != Eq {
				what += op.String()
			}
			p.failf(valuePos, "write "+f.name+":VALUE with no space after the colon, and quote a value with spaces: "+f.name+`:"two words"`, "%s has no value", what)
		}
	}
	t := &Term{
		Field: f.name, Op: op, Value: value,
		Wildcard: !quoted && strings.ContainsAny(value, "*?"),
		Quoted:   quoted, FieldPos: pos, ValuePos: valuePos,
	}
	p.check(t)
	return t
}

// scanOp reads the comparison at the start of a term's value.
func scanOp(s string) (Op, int) {
	switch {
	case strings.HasPrefix(s, ">="):
		return Ge, 2
	case strings.HasPrefix(s, "<="):
		return Le, 2
	case strings.HasPrefix(s, ">"):
		return Gt, 1
	case strings.HasPrefix(s, "<"):
		return Lt, 1
	}
	return Eq, 0
}

// range = "[" value "TO" value "]"
func (p *parser) parseRange(f fieldRef, fieldPos Pos) Expr {
	lbrack := p.pos
	p.next()
	if p.tok == RBRACK {
		p.fail(lbrack, "empty range", "write "+f.name+":[lo TO hi], with * for an open end")
	}
	lo, loPos := p.parseBound(lbrack, "lower")
	if p.tok != WORD || !strings.EqualFold(p.lit, "TO") {
		if p.tok == EOF || p.tok == PIPE {
			p.fail(lbrack, `unclosed "[" opened here`, "write "+f.name+":[lo TO hi]")
		}
		p.failf(p.pos, "write "+f.name+":[lo TO hi]", "expected TO, not %s", p.describe())
	}
	p.next()
	hi, hiPos := p.parseBound(lbrack, "upper")
	switch p.tok {
	case RBRACK:
		p.next()
	case EOF, PIPE:
		p.fail(lbrack, `unclosed "[" opened here`, `close it with "]"`)
	default:
		p.failf(p.pos, `close the range with "]"`, "unexpected %s", p.describe())
	}
	r := &Range{Field: f.name, Lo: lo, Hi: hi, FieldPos: fieldPos, LoPos: loPos, HiPos: hiPos}
	p.check(r)
	return r
}

func (p *parser) parseBound(lbrack Pos, which string) (string, Pos) {
	pos := p.pos
	switch p.tok {
	case WORD:
		if strings.EqualFold(p.lit, "TO") {
			p.failf(pos, "write * for an open end", "missing %s end", which)
		}
		v := p.lit
		p.next()
		return v, pos
	case STRING:
		v := unquote(p.lit)
		p.next()
		return v, pos
	case MINUS: // a negative number
		end := p.end()
		p.next()
		if p.tok == WORD && p.pos.Offset == end {
			v := "-" + p.lit
			p.next()
			return v, pos
		}
		p.fail(pos, `"-" needs a number right after it`, "")
	case RBRACK:
		p.failf(pos, "write * for an open end", "missing %s end", which)
	case EOF, PIPE:
		p.fail(lbrack, `unclosed "[" opened here`, `close it with "]"`)
	}
	p.failf(pos, "", "expected the %s end of the range, not %s", which, p.describe())
	return "", pos
}

// check compiles a leaf to find what is wrong with its value, as Compile
// would.
func (p *parser) check(x Expr) {
	if _, err := compile(x, time.Unix(0, 0)); err != nil {
		panic(bailout{err})
	}
}

const (
	exampleStage = "top 10 ip"
	stagesHint   = "stages are top N FIELD, count by FIELD and timechart INTERVAL"
	maxTop       = 10000
)

// parseStage parses the stage after "|".
func (p *parser) parseStage() Stage {
	pipe := p.pos
	p.next()
	if p.tok != WORD {
		if p.tok == EOF {
			p.fail(pipe, "missing stage after |", stagesHint)
		}
		p.failf(p.pos, stagesHint, "expected a stage, not %s", p.describe())
	}
	pos, name := p.pos, strings.ToLower(p.lit)
	p.next()
	var s Stage
	switch name {
	case "top":
		if p.tok != WORD {
			p.fail(p.pos, "top needs a number of values", "write | top 10 FIELD")
		}
		n, err := strconv.Atoi(p.lit)
		if err != nil || n < 1 {
			p.failf(p.pos, "write | top 10 FIELD", "top takes a number of values, not %s", p.describe())
		}
		if n > maxTop {
			p.failf(p.pos, "use | count by FIELD for every value", "top takes at most %d values", maxTop)
		}
		p.next()
		s = &Top{N: n, Field: p.parseStageField("top"), StagePos: pos}
	case "count":
		if p.tok != WORD || !strings.EqualFold(p.lit, "by") {
			p.failf(p.pos, "write | count by FIELD", "expected \"by\" after count, not %s", p.describe())
		}
		p.next()
		s = &CountBy{Field: p.parseStageField("count by"), StagePos: pos}
	case "timechart":
		if p.tok != WORD {
			p.fail(p.pos, "timechart needs an interval", "write | timechart 1h (units s, m, h, d, w)")
		}
		d, err := parseDuration(p.lit)
		if err != nil {
			p.failf(p.pos, err.Error(), "bad interval %s", p.describe())
		}
		if d < time.Second {
			p.fail(p.pos, "the interval must be at least 1s", "")
		}
		p.next()
		s = &Timechart{Interval: d, StagePos: pos}
	default:
		hint := stagesHint
		if near := nearest(name, []string{"top", "count", "timechart"}); len(near) == 1 {
			hint = didYouMean(near) + " " + hint
		}
		p.failf(pos, hint, "unknown stage %q", name)
	}
	switch p.tok {
	case EOF:
	case PIPE:
		p.fail(p.pos, "only one stage can follow the filter", "")
	default:
		p.failf(p.pos, stagesHint, "unexpected %s after the stage", p.describe())
	}
	return s
}

func (p *parser) parseStageField(stage string) string {
	if p.tok != WORD {
		p.failf(p.pos, "write | "+stage+" FIELD, e.g. | "+stage+" user", "%s needs a field, not %s", stage, p.describe())
	}
	f, ok := resolveField(p.lit)
	if !ok {
		p.failf(p.pos, fieldHint(p.lit), "unknown field %q", p.lit)
	}
	if f.Kind == KindTime {
		p.failf(p.pos, "use | timechart 1h to count by time", "%s cannot count by %s", stage, f.name)
	}
	p.next()
	return f.name
}
