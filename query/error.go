package query

import (
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// ParseError is a query that does not parse, or an AST that does not
// compile: where, what, and what to write instead.
type ParseError struct {
	Pos  Pos    // where the problem is; invalid for an AST built by hand
	Msg  string // what is wrong, e.g. `unknown field "usr"`
	Hint string // what to do about it, e.g. "did you mean user?"; may be empty
	src  string
}

// Error returns the error on one line: "column 12: MSG; HINT", with the
// line too when the query has several.
func (e *ParseError) Error() string {
	var b strings.Builder
	if e.Pos.IsValid() {
		if e.Pos.Line > 1 || strings.Contains(e.src, "\n") {
			b.WriteString("line ")
			b.WriteString(strconv.Itoa(e.Pos.Line))
			b.WriteString(", ")
		}
		b.WriteString("column ")
		b.WriteString(strconv.Itoa(e.Pos.Column))
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	if e.Hint != "" {
		b.WriteString("; ")
		b.WriteString(e.Hint)
	}
	return b.String()
}

// Caret returns the error drawn under the query line it is on:
//
//	action:login.failed AND (ip:1.2.3.4
//	                        ^ unclosed "(" opened here
//	                          close it with ")"
//
// The caret is placed by display cells (wide CJK characters and emoji take
// two), and control and format characters of the query are shown as U+FFFD
// so that the query cannot drive the terminal. Without a position or the
// query's text (an error of Compile) it is the message and the hint.
func (e *ParseError) Caret() string {
	if !e.Pos.IsValid() || e.src == "" {
		if e.Hint == "" {
			return e.Msg
		}
		return e.Msg + "\n" + e.Hint
	}
	line := e.src
	start := 0
	for n := 1; n < e.Pos.Line; n++ {
		i := strings.IndexByte(line, '\n')
		if i < 0 {
			break
		}
		line = line[i+1:]
		start += i + 1
	}
	if i := strings.IndexByte(line, '\n'); i >= 0 {
		line = line[:i]
	}
	var shown strings.Builder
	indent := 0
	col := 1
	for i := 0; i < len(line); col++ {
		r, w := utf8.DecodeRuneInString(line[i:])
		if r == '\t' {
			r = ' '
		} else if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
			r = utf8.RuneError
		}
		shown.WriteRune(r)
		if col < e.Pos.Column {
			indent += cellWidth(r)
		}
		i += w
	}
	pad := strings.Repeat(" ", indent)
	var b strings.Builder
	b.WriteString(strings.TrimRight(shown.String(), " "))
	b.WriteByte('\n')
	b.WriteString(pad)
	b.WriteString("^ ")
	b.WriteString(e.Msg)
	if e.Hint != "" {
		b.WriteByte('\n')
		b.WriteString(pad)
		b.WriteString("  ")
		b.WriteString(e.Hint)
	}
	return b.String()
}

// cellWidth is the number of terminal cells r takes: 0 for combining
// marks, 2 for East Asian wide characters and most emoji, else 1. It is an
// approximation of UAX #11 good enough to place a caret.
func cellWidth(r rune) int {
	switch {
	case unicode.In(r, unicode.Mn, unicode.Me):
		return 0
	case r >= 0x1100 && r <= 0x115F, r >= 0x2E80 && r <= 0x303E, r >= 0x3041 && r <= 0x33FF,
		r >= 0x3400 && r <= 0x4DBF, r >= 0x4E00 && r <= 0x9FFF, r >= 0xA000 && r <= 0xA4CF,
		r >= 0xAC00 && r <= 0xD7A3, r >= 0xF900 && r <= 0xFAFF, r >= 0xFE30 && r <= 0xFE4F,
		r >= 0xFF00 && r <= 0xFF60, r >= 0xFFE0 && r <= 0xFFE6, r >= 0x1F300 && r <= 0x1F64F,
		r >= 0x1F680 && r <= 0x1F6FF, r >= 0x1F900 && r <= 0x1F9FF, r >= 0x20000 && r <= 0x3FFFD:
		return 2
	}
	return 1
}

// editDistance is the optimal string alignment distance between a and b,
// counted in runes: insertions, deletions, substitutions and transpositions
// of neighbours.
func editDistance(a, b string) int {
	x, y := []rune(a), []rune(b)
	d := make([][]int, len(x)+1)
	for i := range d {
		d[i] = make([]int, len(y)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(x); i++ {
		for j := 1; j <= len(y); j++ {
			cost := 1
			if x[i-1] == y[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && x[i-1] == y[j-2] && x[i-2] == y[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(x)][len(y)]
}

// nearest returns the candidates closest to s (ignoring case) within an
// edit distance that grows with the length of s, then those s is a prefix
// of; failing all that, those that are a prefix of s. At most three.
func nearest(s string, candidates []string) []string {
	s = strings.ToLower(s)
	n := utf8.RuneCountInString(s)
	limit := 1
	switch {
	case n < 2: // every short name is one edit from a one-letter one
		limit = 0
	case n > 7:
		limit = 3
	case n > 4:
		limit = 2
	}
	if n > 64 { // not worth the quadratic cost
		return nil
	}
	best := limit
	var out []string
	for _, c := range candidates {
		d := editDistance(s, c)
		switch {
		case d > best:
		case d < best || len(out) == 0:
			best, out = d, []string{c}
		case !slices.Contains(out, c):
			out = append(out, c)
		}
	}
	if n >= 2 {
		// Names s begins: sev for severity.
		for _, c := range candidates {
			if strings.HasPrefix(c, s) && !slices.Contains(out, c) {
				out = append(out, c)
			}
		}
	}
	if len(out) == 0 {
		// Names that begin s: ipaddr for ip.
		for _, c := range candidates {
			if len(c) >= 2 && strings.HasPrefix(s, c) && !slices.Contains(out, c) {
				out = append(out, c)
			}
		}
	}
	if len(out) > 3 {
		out = out[:3]
	}
	return out
}

// didYouMean writes "did you mean a, b or c?", or "" for no names.
func didYouMean(names []string) string {
	if len(names) == 0 {
		return ""
	}
	return "did you mean " + orList(names) + "?"
}

// orList writes "a", "a or b", "a, b or c".
func orList(names []string) string {
	switch len(names) {
	case 0:
		return ""
	case 1:
		return names[0]
	}
	return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}
