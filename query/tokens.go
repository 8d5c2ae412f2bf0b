package query

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Tokens splits text into the words that free text and the text fields
// (message, location, ua, device) are searched by, lower-cased. The index
// must analyse text with exactly this function. The rule, in full:
//
//   - A word is a maximal run of letters (Unicode L), numbers (N), combining
//     marks (M) and the joiners '.', '@', '-' and '_', with the joiners at
//     its two ends trimmed off; a run of joiners alone is no word. So
//     "login.failed", "bob@x.com", "10.0.0.1", "user_123" and "x-forwarded"
//     are one word each, and "end." is "end".
//   - Each Han ideograph, Hiragana and Katakana character, the scripts
//     written without spaces, is a word of its own, as is each "other
//     symbol" (Unicode So: emoji, ©, ...). "管理者" is three words, so a
//     search for it is the phrase 管 理 者.
//   - Every other character (spaces, punctuation such as , : / ' " ( ) + =,
//     control characters) separates words.
//   - Words are lower-cased with strings.ToLower (Unicode simple mapping);
//     an invalid UTF-8 byte reads as U+FFFD, which is a symbol.
func Tokens(text string) []string {
	var out []string
	for i := 0; ; {
		a, b, next := nextToken(text, i, false)
		if a < 0 {
			return out
		}
		out = append(out, strings.ToLower(text[a:b]))
		i = next
	}
}

// Character classes of the tokeniser.
const (
	classSep    = iota // separates words
	classWord          // part of a word
	classJoin          // part of a word, but not at its ends
	classSingle        // a word by itself
)

func charClass(r rune, wild bool) int {
	if r < utf8.RuneSelf {
		switch {
		case 'a' <= r && r <= 'z', 'A' <= r && r <= 'Z', '0' <= r && r <= '9':
			return classWord
		case r == '.', r == '@', r == '-', r == '_':
			return classJoin
		case wild && (r == '*' || r == '?'):
			return classWord
		}
		return classSep
	}
	switch {
	case unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana):
		return classSingle
	case unicode.IsLetter(r), unicode.IsNumber(r), unicode.IsMark(r):
		return classWord
	case unicode.Is(unicode.So, r):
		return classSingle
	}
	return classSep
}

func isJoiner(c byte) bool { return c == '.' || c == '@' || c == '-' || c == '_' }

func decodeRune(s string, i int) (rune, int) {
	if c := s[i]; c < utf8.RuneSelf {
		return rune(c), 1
	}
	return utf8.DecodeRuneInString(s[i:])
}

// nextToken finds the first word of s at or after byte i: s[start:end] is
// the word and next is where to look for the one after it. start is -1 when
// there is none. With wild, '*' and '?' are word characters (a wildcard
// pattern is cut into word patterns with the same rule as text).
func nextToken(s string, i int, wild bool) (start, end, next int) {
	for i < len(s) {
		r, w := decodeRune(s, i)
		switch charClass(r, wild) {
		case classSep:
			i += w
			continue
		case classSingle:
			return i, i + w, i + w
		}
		j := i + w
		for j < len(s) {
			r, w := decodeRune(s, j)
			if c := charClass(r, wild); c != classWord && c != classJoin {
				break
			}
			j += w
		}
		a, b := i, j
		for a < b && isJoiner(s[a]) {
			a++
		}
		for b > a && isJoiner(s[b-1]) {
			b--
		}
		if a < b {
			return a, b, j
		}
		i = j
	}
	return -1, -1, len(s)
}

// lowerEq reports whether strings.ToLower(s) == lower, without building the
// lower-cased string. lower must be lower-cased already.
func lowerEq(s, lower string) bool {
	i, j := 0, 0
	for i < len(s) && j < len(lower) {
		c, d := s[i], lower[j]
		if c < utf8.RuneSelf && d < utf8.RuneSelf {
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			if c != d {
				return false
			}
			i++
			j++
			continue
		}
		r, w := utf8.DecodeRuneInString(s[i:])
		q, qw := utf8.DecodeRuneInString(lower[j:])
		if unicode.ToLower(r) != q {
			return false
		}
		i += w
		j += qw
	}
	return i == len(s) && j == len(lower)
}

// glob is a compiled wildcard pattern: '*' matches any run of characters,
// '?' exactly one, every other character itself, ignoring case.
type glob struct {
	pat    []rune // lower-cased
	prefix string // the literal text before the first wildcard
}

func newGlob(pattern string) *glob {
	lower := strings.ToLower(pattern)
	g := &glob{pat: []rune(lower)}
	if i := strings.IndexAny(lower, "*?"); i >= 0 {
		g.prefix = lower[:i]
	}
	return g
}

// match reports whether the whole of s matches the pattern.
func (g *glob) match(s string) bool {
	// Cheap rejection on the literal prefix (ASCII text only: a non-ASCII
	// character may lower-case to ASCII).
	if n := len(g.prefix); n > 0 && len(s) >= n {
		for i := 0; i < n; i++ {
			c := s[i]
			if c >= utf8.RuneSelf {
				break
			}
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			if c != g.prefix[i] {
				return false
			}
		}
	}
	pat := g.pat
	px, sx := 0, 0
	starPx, starSx := -1, 0
	for {
		if px < len(pat) && pat[px] == '*' {
			starPx, starSx = px, sx
			px++
			continue
		}
		if sx < len(s) {
			r, w := decodeRune(s, sx)
			if px < len(pat) && (pat[px] == '?' || pat[px] == unicode.ToLower(r)) {
				px++
				sx += w
				continue
			}
			if starPx >= 0 {
				_, w := decodeRune(s, starSx)
				starSx += w
				sx = starSx
				px = starPx + 1
				continue
			}
			return false
		}
		for px < len(pat) && pat[px] == '*' {
			px++
		}
		return px == len(pat)
	}
}

// wordPattern matches one word of a text: exactly (ignoring case) or as a
// wildcard pattern.
type wordPattern struct {
	lit  string // lower-cased, when g is nil
	glob *glob
}

func (p *wordPattern) match(word string) bool {
	if p.glob != nil {
		return p.glob.match(word)
	}
	return lowerEq(word, p.lit)
}

// wordPatterns cuts a search text into the word patterns of a phrase, with
// the rule of Tokens; with wild, '*' and '?' are wildcards inside words.
func wordPatterns(text string, wild bool) []wordPattern {
	var out []wordPattern
	for i := 0; ; {
		a, b, next := nextToken(text, i, wild)
		if a < 0 {
			return out
		}
		w := text[a:b]
		if wild && strings.ContainsAny(w, "*?") {
			out = append(out, wordPattern{glob: newGlob(w)})
		} else {
			out = append(out, wordPattern{lit: strings.ToLower(w)})
		}
		i = next
	}
}

// matchPhrase reports whether consecutive words of s match pats, one by one.
func matchPhrase(pats []wordPattern, s string) bool {
	first := &pats[0]
	for i := 0; ; {
		a, b, next := nextToken(s, i, false)
		if a < 0 {
			return false
		}
		if first.match(s[a:b]) && matchRest(pats[1:], s, next) {
			return true
		}
		i = next
	}
}

func matchRest(pats []wordPattern, s string, i int) bool {
	for k := range pats {
		a, b, next := nextToken(s, i, false)
		if a < 0 || !pats[k].match(s[a:b]) {
			return false
		}
		i = next
	}
	return true
}
