package query

import (
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/vigil-dev/vigil/event"

	"cmp"
)

// Matcher is a filter compiled for evaluation on events in memory: the live
// tail, alert rules, and the oracle the index is tested against. Wildcards,
// CIDR blocks, numbers and times are parsed once, by Compile. A Matcher is
// safe for concurrent use.
type Matcher struct {
	match matchFunc
}

type matchFunc func(ev *event.Event) bool

// Compile compiles a filter, resolving relative times (now-7d, today) at
// now. A filter from Parse always compiles; a hand-built one is checked as
// Parse checks a query, and the error is a *ParseError.
func Compile(filter Expr, now time.Time) (*Matcher, error) {
	fn, err := compile(filter, now)
	if err != nil {
		return nil, err
	}
	return &Matcher{match: fn}, nil
}

// Match reports whether ev matches the filter.
func (m *Matcher) Match(ev *event.Event) bool { return m.match(ev) }

// problem is why a term, range or free text does not compile, and where.
type problem struct {
	at   where
	msg  string
	hint string
}

type where uint8

const (
	atValue where = iota // a term's value, or free text
	atField              // the field name
	atLo                 // a range's lower end
	atHi                 // a range's upper end
	atOp                 // a term's comparison operator
)

func problemf(at where, hint, format string, args ...any) *problem {
	return &problem{at: at, msg: fmt.Sprintf(format, args...), hint: hint}
}

func compile(x Expr, now time.Time) (matchFunc, *ParseError) {
	switch x := x.(type) {
	case *MatchAll:
		return func(*event.Event) bool { return true }, nil
	case *Not:
		if x.X == nil {
			return nil, &ParseError{Pos: x.OpPos, Msg: "NOT has no operand"}
		}
		f, err := compile(x.X, now)
		if err != nil {
			return nil, err
		}
		return func(ev *event.Event) bool { return !f(ev) }, nil
	case *And, *Or:
		var xs []Expr
		_, isAnd := x.(*And)
		if isAnd {
			xs = x.(*And).X
		} else {
			xs = x.(*Or).X
		}
		if len(xs) == 0 {
			return nil, &ParseError{Msg: "AND or OR without operands"}
		}
		fs := make([]matchFunc, 0, len(xs))
		// Cheap operands first: the result is the same, sooner.
		order := slices.Clone(xs)
		slices.SortStableFunc(order, func(a, b Expr) int { return cmp.Compare(cost(a), cost(b)) })
		for _, y := range order {
			f, err := compile(y, now)
			if err != nil {
				return nil, err
			}
			fs = append(fs, f)
		}
		if len(fs) == 1 {
			return fs[0], nil
		}
		if isAnd {
			return func(ev *event.Event) bool {
				for _, f := range fs {
					if !f(ev) {
						return false
					}
				}
				return true
			}, nil
		}
		return func(ev *event.Event) bool {
			for _, f := range fs {
				if f(ev) {
					return true
				}
			}
			return false
		}, nil
	case *Term:
		f, p := compileTerm(x, now)
		if p != nil {
			pos := x.ValuePos
			switch p.at {
			case atField:
				pos = x.FieldPos
			case atOp:
				if n := len(x.Op.String()); pos.IsValid() && n > 0 {
					pos.Offset -= n
					pos.Column -= n
				}
			}
			return nil, &ParseError{Pos: pos, Msg: p.msg, Hint: p.hint}
		}
		return f, nil
	case *Range:
		f, p := compileRange(x, now)
		if p != nil {
			pos := x.FieldPos
			switch p.at {
			case atLo:
				pos = x.LoPos
			case atHi:
				pos = x.HiPos
			}
			return nil, &ParseError{Pos: pos, Msg: p.msg, Hint: p.hint}
		}
		return f, nil
	case *FreeText:
		f, p := compileFreeText(x)
		if p != nil {
			return nil, &ParseError{Pos: x.TextPos, Msg: p.msg, Hint: p.hint}
		}
		return f, nil
	case nil:
		return nil, &ParseError{Msg: "empty filter", Hint: "write * to match every event"}
	}
	return nil, &ParseError{Msg: fmt.Sprintf("unknown node %T", x)}
}

// cost estimates how long a node takes to evaluate, to order an And or Or.
func cost(x Expr) int {
	switch x := x.(type) {
	case *MatchAll:
		return 0
	case *Term:
		if k, _ := FieldKind(x.Field); k == KindText || k == KindDetails {
			return 3
		}
		return 1
	case *Range:
		return 1
	case *FreeText:
		return 10
	case *Not:
		return cost(x.X)
	case *And:
		return sumCost(x.X)
	case *Or:
		return sumCost(x.X)
	}
	return 10
}

func sumCost(xs []Expr) int {
	n := 0
	for _, x := range xs {
		n += cost(x)
	}
	return n
}

func unknownField(name string, at where) *problem {
	return &problem{at: at, msg: fmt.Sprintf("unknown field %q", name), hint: fieldHint(name)}
}

// fieldHint suggests the fields nearest to an unknown name.
func fieldHint(name string) string {
	l := strings.ToLower(name)
	if l == "details" || l == "details." {
		return "name a key of the details object: details.KEY, dotted for depth (details.rows)"
	}
	if s, ok := jsonNames[l]; ok {
		return "did you mean " + s + "?"
	}
	// details misspelled: detail.rows, detials.rows
	if head, rest, ok := strings.Cut(l, "."); ok && rest != "" && head != "details" && editDistance(head, "details") <= 2 {
		return "did you mean " + DetailsPrefix + rest + "?"
	}
	if s := didYouMean(nearest(l, fieldNames())); s != "" {
		return s
	}
	return "fields are " + strings.Join(fieldNames()[:len(fieldDefs)-1], ", ") + " and details.KEY"
}

// jsonNames maps the keys of the native JSON shape that are not field
// names to the field to write instead.
var jsonNames = map[string]string{
	"context.ip":         "ip",
	"context.user_agent": "ua",
	"context.location":   "location",
	"context.device":     "device",
	"context.session_id": "session",
	"session_id":         "session",
	"target.email":       "target",
	"target.id":          "target",
	"target.name":        "target",
	"actor.label":        "user",
	"email":              "user or actor.email",
	"date":               "time",
	"ts":                 "time",
	"event":              "action",
	"level":              "severity",
	"msg":                "message",
	"result":             "outcome",
	"status":             "outcome",
	"address":            "ip",
	"client_ip":          "ip",
	"src_ip":             "ip",
}

// fieldNames lists the canonical names (in table order) and then the
// aliases.
func fieldNames() []string {
	var names, aliases []string
	for _, d := range fieldDefs {
		if d.id != fDetails {
			names = append(names, d.Name)
			aliases = append(aliases, d.Aliases...)
		}
	}
	return append(names, aliases...)
}

const compareHint = "comparisons work on time, seq, severity and numbers in details.KEY"

func compileTerm(t *Term, now time.Time) (matchFunc, *problem) {
	f, ok := resolveField(t.Field)
	if !ok {
		return nil, unknownField(t.Field, atField)
	}
	if t.Value == "" {
		return nil, problemf(atValue, "to find events without it, write NOT "+f.name+":*", "%s has no value", f.name)
	}
	wild := t.Wildcard && !t.Quoted
	if wild && t.Op == Eq && strings.Trim(t.Value, "*") == "" {
		return func(ev *event.Event) bool { return hasValue(ev, f) }, nil
	}
	if wild && t.Op != Eq {
		return nil, problemf(atValue, "compare with a value, without * or ?", "%q cannot be compared: it holds a wildcard", t.Value)
	}
	switch f.Kind {
	case KindTime:
		if wild {
			return nil, problemf(atValue, "use a comparison or a range: time:>now-7d, time:[2025-01-01 TO 2025-01-31]", "time takes no wildcards")
		}
		v, why := parseTimeValue(t.Value)
		if why != "" {
			return nil, problemf(atValue, why, "bad time %q", t.Value)
		}
		span := spanOf(v, t.Op, now)
		return func(ev *event.Event) bool { return span.Contains(ev.Time) }, nil
	case KindNumber:
		if wild {
			return nil, problemf(atValue, "use a comparison or a range: seq:>100, seq:[10 TO 20]", "%s takes no wildcards", f.name)
		}
		n, err := strconv.ParseUint(t.Value, 10, 64)
		if err != nil {
			return nil, problemf(atValue, "e.g. seq:42, seq:>100 or seq:[10 TO 20]", "%s takes a whole number, not %q", f.name, t.Value)
		}
		op := t.Op
		return func(ev *event.Event) bool { return ev.Seq != 0 && compareOp(op, cmp.Compare(ev.Seq, n)) }, nil
	case KindSeverity:
		if wild {
			return keywordMatcher(f, t.Value, true), nil
		}
		rank := event.SeverityRank(strings.ToLower(t.Value))
		if rank < 0 {
			return nil, badEnumValue(f, t.Value)
		}
		if t.Op == Eq {
			return keywordMatcher(f, t.Value, false), nil
		}
		op := t.Op
		return func(ev *event.Event) bool {
			r := severityRank(ev.Severity)
			return r >= 0 && compareOp(op, cmp.Compare(r, rank))
		}, nil
	case KindIP:
		return compileIP(t, f, wild)
	case KindText:
		if t.Op != Eq {
			return nil, problemf(atOp, f.name+" matches words: "+f.name+":word, "+f.name+`:"a phrase"`, "%s cannot be compared with %q", f.name, t.Op.String())
		}
		pats := wordPatterns(t.Value, wild)
		if len(pats) == 0 {
			return nil, nothingToSearch(t.Value)
		}
		inner := func(s string) bool { return matchPhrase(pats, s) }
		return func(ev *event.Event) bool { return eachValue(ev, f, inner) }, nil
	case KindDetails:
		return compileDetails(t, f, wild)
	}
	if t.Op != Eq {
		return nil, problemf(atOp, compareHint, "%s cannot be compared with %q", f.name, t.Op.String())
	}
	if len(f.Values) > 0 && !wild && !slices.Contains(f.Values, strings.ToLower(t.Value)) {
		return nil, badEnumValue(f, t.Value)
	}
	return keywordMatcher(f, t.Value, wild), nil
}

func nothingToSearch(text string) *problem {
	return problemf(atValue, "text is searched by words of letters and digits (see Tokens)", "nothing to search for in %q", text)
}

func badEnumValue(f fieldRef, v string) *problem {
	hint := didYouMean(nearest(v, f.Values))
	if hint == "" {
		hint = f.name + " is one of " + orList(f.Values)
	}
	return problemf(atValue, hint, "unknown %s %q", f.name, v)
}

// keywordMatcher matches any value of f exactly, or as a wildcard pattern,
// ignoring case.
func keywordMatcher(f fieldRef, value string, wild bool) matchFunc {
	var inner func(string) bool
	if wild {
		g := newGlob(value)
		inner = g.match
	} else {
		needle := strings.ToLower(value)
		inner = func(s string) bool { return lowerEq(s, needle) }
	}
	return func(ev *event.Event) bool { return eachValue(ev, f, inner) }
}

func hasValue(ev *event.Event, f fieldRef) bool {
	switch f.id {
	case fTime:
		return !ev.Time.IsZero()
	case fSeq:
		return ev.Seq != 0
	}
	return eachValue(ev, f, func(string) bool { return true })
}

// severityRank is event.SeverityRank ignoring case.
func severityRank(s string) int {
	for i, v := range event.Severities {
		if lowerEq(s, v) {
			return i
		}
	}
	return -1
}

// compareOp reports whether c, the comparison of an event's value with the
// query's, satisfies op.
func compareOp(op Op, c int) bool {
	switch op {
	case Gt:
		return c > 0
	case Ge:
		return c >= 0
	case Lt:
		return c < 0
	case Le:
		return c <= 0
	}
	return c == 0
}

func compileIP(t *Term, f fieldRef, wild bool) (matchFunc, *problem) {
	if t.Op != Eq {
		return nil, problemf(atOp, "match a block with CIDR: ip:10.0.0.0/8", "ip cannot be compared with %q", t.Op.String())
	}
	if t.Quoted || wild {
		return keywordMatcher(f, t.Value, wild), nil
	}
	if strings.Contains(t.Value, "/") {
		p, err := netip.ParsePrefix(t.Value)
		if err != nil {
			return nil, problemf(atValue, "write an address and a prefix length of at most 32 for IPv4 or 128 for IPv6: ip:10.0.0.0/8, ip:2001:db8::/32", "bad CIDR block %q", t.Value)
		}
		p = p.Masked()
		if p.Addr().Is4In6() && p.Bits() >= 96 {
			p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
		}
		return func(ev *event.Event) bool {
			a, ok := parseAddr(ev.Context.IP)
			return ok && p.Contains(a)
		}, nil
	}
	a, err := netip.ParseAddr(t.Value)
	if err != nil {
		return nil, problemf(atValue, `write an address (ip:10.0.0.1), a CIDR block (ip:10.0.0.0/8) or a pattern (ip:10.0.*); quote other text to match it exactly: ip:"unknown"`, "%q is not an IP address", t.Value)
	}
	a = a.WithZone("").Unmap()
	canon := a.String()
	return func(ev *event.Event) bool {
		s := ev.Context.IP
		if s == canon {
			return true
		}
		b, ok := parseAddr(s)
		return ok && b == a
	}, nil
}

// parseAddr reads an event's address as the event package normalises it:
// without a port or a zone, IPv4-mapped IPv6 as IPv4.
func parseAddr(s string) (netip.Addr, bool) {
	if s == "" {
		return netip.Addr{}, false
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		ap, err := netip.ParseAddrPort(s)
		if err != nil {
			return netip.Addr{}, false
		}
		a = ap.Addr()
	}
	return a.WithZone("").Unmap(), true
}

// jsonNumber parses s when it is a number in JSON syntax, as details
// numbers are; an out-of-range one is ±Inf.
func jsonNumber(s string) (float64, bool) {
	i := 0
	if i < len(s) && s[i] == '-' {
		i++
	}
	digits := func() int {
		j := i
		for i < len(s) && '0' <= s[i] && s[i] <= '9' {
			i++
		}
		return i - j
	}
	start := i
	if n := digits(); n == 0 || (n > 1 && s[start] == '0') {
		return 0, false
	}
	if i < len(s) && s[i] == '.' {
		i++
		if digits() == 0 {
			return 0, false
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if digits() == 0 {
			return 0, false
		}
	}
	if i != len(s) {
		return 0, false
	}
	f, _ := strconv.ParseFloat(s, 64)
	return f, true
}

func compileDetails(t *Term, f fieldRef, wild bool) (matchFunc, *problem) {
	var inner func(any) bool
	switch {
	case t.Op != Eq:
		num, ok := jsonNumber(t.Value)
		if !ok {
			return nil, problemf(atValue, "details comparisons take a number: "+f.name+":>100000", "%q is not a number", t.Value)
		}
		op := t.Op
		inner = func(v any) bool {
			n, ok := scalarNumber(v)
			return ok && compareOp(op, cmp.Compare(n, num))
		}
	case wild:
		g := newGlob(t.Value)
		inner = func(v any) bool {
			s, ok := scalarText(v)
			return ok && g.match(s)
		}
	default:
		needle := strings.ToLower(t.Value)
		num, isNum := jsonNumber(t.Value)
		inner = func(v any) bool {
			if s, ok := scalarText(v); ok && lowerEq(s, needle) {
				return true
			}
			if isNum {
				n, ok := scalarNumber(v)
				return ok && n == num
			}
			return false
		}
	}
	path := f.path
	return func(ev *event.Event) bool { return eachDetail(ev.Details, path, inner) }, nil
}

func compileFreeText(x *FreeText) (matchFunc, *problem) {
	pats := wordPatterns(x.Text, x.Wildcard && !x.Phrase)
	if len(pats) == 0 {
		return nil, nothingToSearch(x.Text)
	}
	inner := func(s string) bool { return matchPhrase(pats, s) }
	return func(ev *event.Event) bool { return eachText(ev, inner) }, nil
}

const rangeHint = "ranges work on time, seq, severity and numbers in details.KEY"

func compileRange(r *Range, now time.Time) (matchFunc, *problem) {
	f, ok := resolveField(r.Field)
	if !ok {
		return nil, unknownField(r.Field, atField)
	}
	if r.Lo == "" {
		return nil, problemf(atLo, "write * for no lower end", "missing lower end")
	}
	if r.Hi == "" {
		return nil, problemf(atHi, "write * for no upper end", "missing upper end")
	}
	loOpen, hiOpen := r.Lo == "*", r.Hi == "*"
	reversed := func() *problem {
		return problemf(atHi, fmt.Sprintf("write the lower end first: %s:[%s TO %s]", f.name, r.Hi, r.Lo), "empty range: %s is after %s", r.Lo, r.Hi)
	}
	switch f.Kind {
	case KindTime:
		span, p := rangeSpan(r, now)
		if p != nil {
			return nil, p
		}
		return func(ev *event.Event) bool { return span.Contains(ev.Time) }, nil
	case KindNumber:
		var lo, hi uint64 = 0, ^uint64(0)
		var err error
		if !loOpen {
			if lo, err = strconv.ParseUint(r.Lo, 10, 64); err != nil {
				return nil, problemf(atLo, "e.g. seq:[10 TO 20]", "%s takes a whole number, not %q", f.name, r.Lo)
			}
		}
		if !hiOpen {
			if hi, err = strconv.ParseUint(r.Hi, 10, 64); err != nil {
				return nil, problemf(atHi, "e.g. seq:[10 TO 20]", "%s takes a whole number, not %q", f.name, r.Hi)
			}
		}
		if lo > hi {
			return nil, reversed()
		}
		return func(ev *event.Event) bool { return ev.Seq != 0 && ev.Seq >= lo && ev.Seq <= hi }, nil
	case KindSeverity:
		lo, hi := 0, len(event.Severities)-1
		if !loOpen {
			if lo = event.SeverityRank(strings.ToLower(r.Lo)); lo < 0 {
				p := badEnumValue(f, r.Lo)
				p.at = atLo
				return nil, p
			}
		}
		if !hiOpen {
			if hi = event.SeverityRank(strings.ToLower(r.Hi)); hi < 0 {
				p := badEnumValue(f, r.Hi)
				p.at = atHi
				return nil, p
			}
		}
		if lo > hi {
			return nil, reversed()
		}
		return func(ev *event.Event) bool {
			n := severityRank(ev.Severity)
			return n >= 0 && n >= lo && n <= hi
		}, nil
	case KindDetails:
		lo, hi, hasLo, hasHi := 0.0, 0.0, !loOpen, !hiOpen
		if hasLo {
			var ok bool
			if lo, ok = jsonNumber(r.Lo); !ok {
				return nil, problemf(atLo, "details ranges take numbers: "+f.name+":[10 TO 20]", "%q is not a number", r.Lo)
			}
		}
		if hasHi {
			var ok bool
			if hi, ok = jsonNumber(r.Hi); !ok {
				return nil, problemf(atHi, "details ranges take numbers: "+f.name+":[10 TO 20]", "%q is not a number", r.Hi)
			}
		}
		if hasLo && hasHi && lo > hi {
			return nil, reversed()
		}
		inner := func(v any) bool {
			n, ok := scalarNumber(v)
			return ok && (!hasLo || n >= lo) && (!hasHi || n <= hi)
		}
		path := f.path
		return func(ev *event.Event) bool { return eachDetail(ev.Details, path, inner) }, nil
	}
	return nil, problemf(atField, rangeHint, "%s has no order to take a range of", f.name)
}

// rangeSpan is the time span of a time range at now: from the start of
// Lo to the end of Hi (a whole day when Hi is a day).
func rangeSpan(r *Range, now time.Time) (TimeSpan, *problem) {
	var span TimeSpan
	var lv, hv TimeValue
	if r.Lo != "*" {
		var why string
		if lv, why = parseTimeValue(r.Lo); why != "" {
			return span, problemf(atLo, why, "bad time %q", r.Lo)
		}
		span.From, _ = lv.Span(now)
		span.HasFrom = true
	}
	if r.Hi != "*" {
		var why string
		if hv, why = parseTimeValue(r.Hi); why != "" {
			return span, problemf(atHi, why, "bad time %q", r.Hi)
		}
		_, span.To = hv.Span(now)
		span.HasTo = true
	}
	// Whether the range is empty is known before now is when both ends are
	// absolute, or both relative to the same thing (now, or the day).
	if span.HasFrom && span.HasTo && timeBase(lv) == timeBase(hv) {
		if span.IsEmpty() {
			return span, problemf(atHi, fmt.Sprintf("write the lower end first: time:[%s TO %s]", r.Hi, r.Lo), "empty range: %s is after %s", r.Lo, r.Hi)
		}
	}
	return span, nil
}

func timeBase(v TimeValue) int {
	switch v.kind {
	case timeNow:
		return 1
	case timeToday, timeYesterday:
		return 2
	}
	return 0
}

// TimeSpan returns the instants a term on the time field matches at
// evaluation time now, for the index to search; time:* gives a span open
// at both ends. See the package documentation for the meaning of each
// comparison.
func (t *Term) TimeSpan(now time.Time) (TimeSpan, error) {
	if k, ok := FieldKind(t.Field); !ok || k != KindTime {
		return TimeSpan{}, fmt.Errorf("%s is not a time field", t.Field)
	}
	if t.Wildcard && !t.Quoted && strings.Trim(t.Value, "*") == "" {
		return TimeSpan{}, nil // time:*, every event
	}
	v, err := ParseTimeValue(t.Value)
	if err != nil {
		return TimeSpan{}, err
	}
	return spanOf(v, t.Op, now), nil
}

// TimeSpan returns the instants a range on the time field matches at
// evaluation time now, for the index to search: from the start of Lo to
// the end of Hi, a whole day when Hi is a day.
func (r *Range) TimeSpan(now time.Time) (TimeSpan, error) {
	if k, ok := FieldKind(r.Field); !ok || k != KindTime {
		return TimeSpan{}, fmt.Errorf("%s is not a time field", r.Field)
	}
	span, p := rangeSpan(r, now)
	if p != nil {
		return TimeSpan{}, &ParseError{Pos: r.FieldPos, Msg: p.msg, Hint: p.hint}
	}
	return span, nil
}
