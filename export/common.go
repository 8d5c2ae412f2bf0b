package export

import (
	"encoding/json"
	"net/netip"
	"unicode/utf8"
)

// severityScore maps vigil's severities onto the 1-10 scale of CEF and
// LEEF; 0 for a severity vigil does not know.
func severityScore(s string) int {
	switch s {
	case "info":
		return 1
	case "low":
		return 3
	case "medium":
		return 5
	case "high":
		return 8
	case "critical":
		return 10
	}
	return 0
}

// ipKind says what context.ip holds.
type ipKind int

const (
	ipNone ipKind = iota // empty
	ipText               // text that is not an address
	ipV4
	ipV6
)

// classifyIP returns the kind of s and the text to write for it: s itself,
// or the IPv4 form of an IPv4-mapped IPv6 address.
func classifyIP(s string) (ipKind, string) {
	if s == "" {
		return ipNone, ""
	}
	a, err := netip.ParseAddr(s)
	switch {
	case err != nil:
		return ipText, s
	case a.Is4():
		return ipV4, s
	case a.Is4In6():
		return ipV4, a.Unmap().WithZone("").String()
	default:
		return ipV6, s
	}
}

// detailsJSON renders details as compact JSON with sorted keys, nil when
// there are none.
func detailsJSON(d map[string]any) []byte {
	if len(d) == 0 {
		return nil
	}
	b, err := json.Marshal(d)
	if err != nil {
		// Details come from decoded JSON and always marshal; say so
		// rather than drop them silently if that ever changes.
		b, _ = json.Marshal(map[string]string{"error": "details: " + err.Error()})
	}
	return b
}

const hexDigits = "0123456789abcdef"

// appendJSONString appends s as a JSON string whose decoding is exactly s,
// which must be valid UTF-8. Besides what JSON requires (quote, backslash,
// C0 controls), DEL and the characters of lineUnsafe are escaped too, so
// that the string holds no control character and nothing that a line
// splitter could take for the end of a line.
func appendJSONString(b, s []byte) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < 0x7f {
			i++
			continue
		}
		if c < utf8.RuneSelf {
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = appendUnicodeEscape(b, rune(c))
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRune(s[i:])
		if lineUnsafe(r) {
			b = append(b, s[start:i]...)
			b = appendUnicodeEscape(b, r)
			start = i + size
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// AppendLineSafeJSON appends src, valid UTF-8 JSON, escaping inside its
// strings the characters the exports escape beyond what JSON requires:
// DEL and the characters of lineUnsafe. Outside strings JSON has only
// ASCII, so every such character found is inside a string, where the escape
// means the same character.
func AppendLineSafeJSON(b, src []byte) []byte {
	start := 0
	for i := 0; i < len(src); {
		c := src[i]
		if c < utf8.RuneSelf {
			if c == 0x7f {
				b = append(b, src[start:i]...)
				b = appendUnicodeEscape(b, rune(c))
				start = i + 1
			}
			i++
			continue
		}
		r, size := utf8.DecodeRune(src[i:])
		if lineUnsafe(r) {
			b = append(b, src[start:i]...)
			b = appendUnicodeEscape(b, r)
			start = i + size
		}
		i += size
	}
	return append(b, src[start:]...)
}

// lineUnsafe reports the non-ASCII runes escaped in JSON output, the ones
// event.Safe would not show as they are: the C1 controls (NEL, U+0085,
// among them), the bidirectional controls, and the line and paragraph
// separators. Escaped, they mean the same to a JSON reader, cannot end a
// line for a line splitter and cannot reorder what a terminal or an editor
// shows.
func lineUnsafe(r rune) bool {
	switch {
	case r >= 0x80 && r <= 0x9f,
		r == 0x061c, r == 0x200e, r == 0x200f,
		r >= 0x202a && r <= 0x202e,
		r >= 0x2066 && r <= 0x2069,
		r == 0x2028, r == 0x2029:
		return true
	}
	return false
}

func appendUnicodeEscape(b []byte, r rune) []byte {
	return append(b, '\\', 'u', hexDigits[r>>12&0xf], hexDigits[r>>8&0xf], hexDigits[r>>4&0xf], hexDigits[r&0xf])
}
