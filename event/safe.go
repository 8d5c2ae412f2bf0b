package event

import (
	"strings"
	"unicode/utf8"
)

const (
	placeOpen  = "⟨"
	placeClose = "⟩"
	hexDigits  = "0123456789ABCDEF"
)

// Safe renders s, a string from an event, for a single line of a terminal.
//
// Every string from an event is hostile: an actor name, a detail value or an
// event type can carry escape sequences that clear the screen, set the window
// title or rewrite what is already shown, or hide text behind bidirectional
// overrides. Safe replaces each such character with a visible stand-in:
//
//   - C0 controls U+0000..U+001F: the control pictures U+2400..U+241F
//     (ESC is "␛", newline "␊", tab "␉", carriage return "␍");
//   - DEL U+007F: "␡";
//   - C1 controls U+0080..U+009F, the bidirectional controls U+061C, U+200E,
//     U+200F, U+202A..U+202E and U+2066..U+2069, and the line and paragraph
//     separators U+2028 and U+2029: "⟨U+XXXX⟩", e.g. "⟨U+202E⟩";
//   - each byte that is not part of valid UTF-8: "⟨0xNN⟩", e.g. "⟨0xFF⟩".
//
// Everything else, CJK, accents, emoji and their zero-width-joiner sequences
// among it, is kept. The result is valid UTF-8, holds no control character
// and is unchanged by Safe. A string that needs no change is returned as it
// is, without allocating.
func Safe(s string) string {
	return render(s, false)
}

// SafeMultiline is Safe for text shown over several lines (detail views,
// message bodies): "\n" stays a real newline, "\r\n" becomes "\n", "\t"
// becomes four spaces; everything else, including a lone "\r", is rendered
// as Safe does.
func SafeMultiline(s string) string {
	return render(s, true)
}

// render is Safe (multi false) or SafeMultiline (multi true).
func render(s string, multi bool) string {
	i := firstUnsafe(s, multi)
	if i == len(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + len(s)/2 + 16) // room for a few stand-ins
	b.WriteString(s[:i])
	for i < len(s) {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case multi && c == '\n':
				b.WriteByte('\n')
			case multi && c == '\t':
				b.WriteString("    ")
			case multi && c == '\r' && i+1 < len(s) && s[i+1] == '\n':
				b.WriteByte('\n')
				i++
			case c < 0x20:
				b.WriteRune(0x2400 + rune(c)) // control pictures: ␀ ... ␛ ... ␟
			case c == 0x7f:
				b.WriteString("␡")
			default:
				b.WriteByte(c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b.WriteString(placeOpen + "0x")
			b.WriteByte(hexDigits[c>>4])
			b.WriteByte(hexDigits[c&0xf])
			b.WriteString(placeClose)
		case unsafeRune(r):
			b.WriteString(placeOpen + "U+")
			for shift := 12; shift >= 0; shift -= 4 {
				b.WriteByte(hexDigits[(r>>shift)&0xf])
			}
			b.WriteString(placeClose)
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

// firstUnsafe returns the index of the first byte of s that render must
// change, or len(s) when there is none.
func firstUnsafe(s string, multi bool) int {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if (c < 0x20 && !(multi && c == '\n')) || c == 0x7f {
				return i
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if (r == utf8.RuneError && size == 1) || unsafeRune(r) {
			return i
		}
		i += size
	}
	return len(s)
}

// unsafeRune reports whether a non-ASCII rune must be shown as "⟨U+XXXX⟩":
// C1 controls, bidirectional controls and the line and paragraph separators.
// All of them are at most U+FFFF, so four hex digits always suffice.
func unsafeRune(r rune) bool {
	switch {
	case r >= 0x80 && r <= 0x9f: // C1 controls, CSI (U+009B) among them
		return true
	case r == 0x061c, // ARABIC LETTER MARK
		r == 0x200e, r == 0x200f, // LRM, RLM
		r >= 0x202a && r <= 0x202e, // LRE, RLE, PDF, LRO, RLO
		r >= 0x2066 && r <= 0x2069, // LRI, RLI, FSI, PDI
		r == 0x2028, r == 0x2029:   // LINE SEPARATOR, PARAGRAPH SEPARATOR
		return true
	}
	return false
}
