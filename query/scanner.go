package query

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Pos is a position in the text of a query.
type Pos struct {
	Offset int // byte offset, from 0
	Line   int // line, from 1
	Column int // column in characters (runes; an invalid byte counts as one), from 1
}

// IsValid reports whether the position is set: nodes built by hand, rather
// than by Parse, have none.
func (p Pos) IsValid() bool { return p.Line > 0 }

// String returns "line:column", or "-" for an invalid position.
func (p Pos) String() string {
	if !p.IsValid() {
		return "-"
	}
	return fmt.Sprintf("%d:%d", p.Line, p.Column)
}

// advance returns the position after s, which holds no newline, read from p.
func (p Pos) advance(s string) Pos {
	p.Offset += len(s)
	p.Column += utf8.RuneCountInString(s)
	return p
}

// Token is the kind of a lexical token of the query language.
type Token int

// The tokens of the query language.
const (
	ILLEGAL Token = iota // a quoted string that is never closed
	EOF                  // the end of the query
	WORD                 // a run of characters other than white space and ( ) [ ] " |
	STRING               // a quoted string, "..."; \" and \\ are its escapes
	MINUS                // "-" at the start of a term: NOT
	AND                  // the word AND, in any case
	OR                   // the word OR, in any case
	NOT                  // the word NOT, in any case
	LPAREN               // (
	RPAREN               // )
	LBRACK               // [
	RBRACK               // ]
	PIPE                 // |
)

var tokenNames = [...]string{
	ILLEGAL: "ILLEGAL", EOF: "EOF", WORD: "WORD", STRING: "STRING", MINUS: "-",
	AND: "AND", OR: "OR", NOT: "NOT", LPAREN: "(", RPAREN: ")",
	LBRACK: "[", RBRACK: "]", PIPE: "|",
}

// String returns the token's name: the operator for operators, the upper-case
// kind for the others (WORD, STRING, EOF, ILLEGAL).
func (t Token) String() string {
	if t >= 0 && int(t) < len(tokenNames) {
		return tokenNames[t]
	}
	return fmt.Sprintf("Token(%d)", int(t))
}

// Scanner splits the text of a query into tokens, as go/scanner does for Go.
// It never fails: a quoted string without its closing quote is an ILLEGAL
// token running to the end of the text. The TUI may use it to highlight a
// query as it is typed.
type Scanner struct {
	src  string
	off  int // byte offset of the next character
	line int
	col  int
}

// Init prepares s to scan src from its start.
func (s *Scanner) Init(src string) {
	*s = Scanner{src: src, line: 1, col: 1}
}

// Scan returns the next token: its position, its kind and its literal, the
// exact text of the token in the source (quotes and escapes included for a
// STRING). At the end it returns EOF, again and again.
func (s *Scanner) Scan() (pos Pos, tok Token, lit string) {
	s.skipSpace()
	pos = Pos{Offset: s.off, Line: s.line, Column: s.col}
	if s.off >= len(s.src) {
		return pos, EOF, ""
	}
	start := s.off
	switch s.src[s.off] {
	case '(':
		tok = LPAREN
	case ')':
		tok = RPAREN
	case '[':
		tok = LBRACK
	case ']':
		tok = RBRACK
	case '|':
		tok = PIPE
	case '-':
		tok = MINUS
	case '"':
		s.next()
		closed := false
		for s.off < len(s.src) {
			c := s.src[s.off]
			s.next()
			if c == '\\' && s.off < len(s.src) {
				s.next()
			} else if c == '"' {
				closed = true
				break
			}
		}
		if !closed {
			return pos, ILLEGAL, s.src[start:]
		}
		return pos, STRING, s.src[start:s.off]
	default:
		for s.off < len(s.src) && !isDelimiter(s.src, s.off) {
			s.next()
		}
		lit = s.src[start:s.off]
		switch {
		case strings.EqualFold(lit, "AND"):
			return pos, AND, lit
		case strings.EqualFold(lit, "OR"):
			return pos, OR, lit
		case strings.EqualFold(lit, "NOT"):
			return pos, NOT, lit
		}
		return pos, WORD, lit
	}
	s.next()
	return pos, tok, s.src[start:s.off]
}

// next moves past the character at s.off.
func (s *Scanner) next() {
	c := s.src[s.off]
	if c < utf8.RuneSelf {
		s.off++
		if c == '\n' {
			s.line++
			s.col = 1
			return
		}
	} else {
		_, w := utf8.DecodeRuneInString(s.src[s.off:])
		s.off += w
	}
	s.col++
}

func (s *Scanner) skipSpace() {
	for s.off < len(s.src) && isSpaceAt(s.src, s.off) {
		s.next()
	}
}

func isSpaceAt(src string, off int) bool {
	c := src[off]
	if c < utf8.RuneSelf {
		return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'
	}
	r, _ := utf8.DecodeRuneInString(src[off:])
	return unicode.IsSpace(r)
}

// isDelimiter reports whether the character at off ends a word.
func isDelimiter(src string, off int) bool {
	switch src[off] {
	case '(', ')', '[', ']', '"', '|':
		return true
	}
	return isSpaceAt(src, off)
}

// unquote returns the value of a STRING literal: the text between the
// quotes with \" and \\ replaced by " and \. Any other backslash is kept
// as written, so that "C:\temp" means what it shows.
func unquote(lit string) string {
	s := lit[1 : len(lit)-1]
	if strings.IndexByte(s, '\\') < 0 {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) && (s[i+1] == '"' || s[i+1] == '\\') {
			i++
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// quote returns s as a STRING literal that unquote turns back into s.
func quote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		if s[i] == '"' || s[i] == '\\' {
			b.WriteByte('\\')
		}
		b.WriteByte(s[i])
	}
	b.WriteByte('"')
	return b.String()
}
