package alerts

import (
	"encoding/json"
	"unicode/utf8"
)

// MarshalLine encodes v as JSON on one line that is safe to print on a
// terminal: besides what JSON escapes, C1 controls, bidirectional controls
// and line separators inside strings are written as \uXXXX (they mean the
// same to any JSON reader, and cannot reorder or break what a terminal or
// a line splitter shows).
func MarshalLine(v any) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	const hex = "0123456789abcdef"
	var out []byte
	start := 0
	for i := 0; i < len(b); {
		c := b[i]
		if c < utf8.RuneSelf {
			if c == 0x7f {
				out = append(out, b[start:i]...)
				out = append(out, `\u007f`...)
				start = i + 1
			}
			i++
			continue
		}
		r, size := utf8.DecodeRune(b[i:])
		if lineUnsafe(r) {
			if out == nil {
				out = make([]byte, 0, len(b)+16)
			}
			out = append(out, b[start:i]...)
			out = append(out, '\\', 'u', hex[r>>12&0xf], hex[r>>8&0xf], hex[r>>4&0xf], hex[r&0xf])
			start = i + size
		}
		i += size
	}
	if out == nil && start == 0 {
		return b, nil
	}
	return append(out, b[start:]...), nil
}

// lineUnsafe reports the runes MarshalLine escapes: C1 controls, the
// bidirectional controls and the line and paragraph separators.
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
