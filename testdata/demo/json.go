package demo

import (
	"strconv"
	"unicode/utf8"
)

const hexDigits = "0123456789abcdef"

// jw appends one JSON object to a byte slice without reflection. Keys are
// package constants (plain ASCII); every value string goes through
// appendJSONString.
type jw struct {
	b     []byte
	first bool
}

func (w *jw) begin() {
	w.b = append(w.b, '{')
	w.first = true
}

func (w *jw) end() {
	w.b = append(w.b, '}')
	w.first = false
}

func (w *jw) key(k string) {
	if w.first {
		w.first = false
	} else {
		w.b = append(w.b, ',')
	}
	w.b = append(w.b, '"')
	w.b = append(w.b, k...)
	w.b = append(w.b, '"', ':')
}

// obj opens a nested object under key k; close it with end.
func (w *jw) obj(k string) {
	w.key(k)
	w.begin()
}

func (w *jw) str(k, v string) {
	w.key(k)
	w.b = appendJSONString(w.b, v)
}

func (w *jw) int(k string, v int64) {
	w.key(k)
	w.b = strconv.AppendInt(w.b, v, 10)
}

func (w *jw) bool(k string, v bool) {
	w.key(k)
	w.b = strconv.AppendBool(w.b, v)
}

// raw writes v, which must already be valid JSON.
func (w *jw) raw(k, v string) {
	w.key(k)
	w.b = append(w.b, v...)
}

func (w *jw) strs(k string, vs []string) {
	w.key(k)
	w.b = append(w.b, '[')
	for i, v := range vs {
		if i > 0 {
			w.b = append(w.b, ',')
		}
		w.b = appendJSONString(w.b, v)
	}
	w.b = append(w.b, ']')
}

func (w *jw) kvs(list []kv) {
	for _, f := range list {
		switch f.t {
		case 'n':
			w.int(f.k, f.n)
		case 'b':
			w.bool(f.k, f.n != 0)
		default:
			w.str(f.k, f.s)
		}
	}
}

// kv is one field of a details object given up front (planted events).
type kv struct {
	k string
	s string
	n int64
	t byte // 's', 'n' or 'b'
}

func kS(k, v string) kv { return kv{k: k, s: v, t: 's'} }
func kN(k string, v int64) kv {
	return kv{k: k, n: v, t: 'n'}
}
func kB(k string, v bool) kv {
	n := int64(0)
	if v {
		n = 1
	}
	return kv{k: k, n: n, t: 'b'}
}

// appendJSONString appends s as a JSON string. Besides what JSON requires
// (quote, backslash, C0 controls) it escapes DEL, the C1 controls (so an
// 8-bit CSI is visible as \u009b) and U+2028/U+2029; invalid UTF-8 becomes
// U+FFFD. Everything else, including emoji, CJK and bidi controls, is kept
// as UTF-8, which is valid JSON.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != 0x7f {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"':
				b = append(b, '\\', '"')
			case '\\':
				b = append(b, '\\', '\\')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if (r >= 0x80 && r <= 0x9f) || r == 0x2028 || r == 0x2029 {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', hexDigits[r>>12&0xf], hexDigits[r>>8&0xf], hexDigits[r>>4&0xf], hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

func appendHex64(b []byte, v uint64) []byte {
	for shift := 60; shift >= 0; shift -= 4 {
		b = append(b, hexDigits[v>>uint(shift)&0xf])
	}
	return b
}

func hex(v uint64, n int) string {
	var buf [16]byte
	for i := 15; i >= 0; i-- {
		buf[i] = hexDigits[v&0xf]
		v >>= 4
	}
	return string(buf[16-n:])
}

// Timestamp forms.
const (
	formRFC3339 = iota // "2025-01-15T14:30:00.123Z"
	formOffset         // "2025-01-15T16:30:00.123+02:00", the actor's zone
	formUnixS          // 1736951400 (the instant is a whole second)
	formUnixMS         // 1736951400123
)

const (
	secMS  = int64(1000)
	minMS  = 60 * secMS
	hourMS = 60 * minMS
	dayMS  = 24 * hourMS
)

func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

// civil converts days since 1970-01-01 to a proleptic Gregorian date
// (H. Hinnant's algorithm).
func civil(days int64) (y, m, d int64) {
	z := days + 719468
	era := floorDiv(z, 146097)
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	y = yoe + era*400
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	d = doy - (153*mp+2)/5 + 1
	if mp < 10 {
		m = mp + 3
	} else {
		m = mp - 9
	}
	if m <= 2 {
		y++
	}
	return y, m, d
}

func append2(b []byte, v int64) []byte {
	return append(b, byte('0'+v/10), byte('0'+v%10))
}

// appendTimestamp writes the instant ms (Unix milliseconds) in the given form;
// off is the zone offset in minutes used by formOffset.
func appendTimestamp(b []byte, ms int64, form uint8, off int) []byte {
	switch form {
	case formUnixS:
		return strconv.AppendInt(b, floorDiv(ms, secMS), 10)
	case formUnixMS:
		return strconv.AppendInt(b, ms, 10)
	}
	if form != formOffset {
		off = 0
	}
	local := ms + int64(off)*minMS
	days := floorDiv(local, dayMS)
	rem := local - days*dayMS
	y, m, d := civil(days)
	b = append(b, '"')
	b = append2(b, y/100)
	b = append2(b, y%100)
	b = append(b, '-')
	b = append2(b, m)
	b = append(b, '-')
	b = append2(b, d)
	b = append(b, 'T')
	b = append2(b, rem/hourMS)
	b = append(b, ':')
	b = append2(b, rem/minMS%60)
	b = append(b, ':')
	b = append2(b, rem/secMS%60)
	f := rem % 1000
	b = append(b, '.', byte('0'+f/100), byte('0'+f/10%10), byte('0'+f%10))
	if form != formOffset {
		b = append(b, 'Z')
	} else {
		sign := byte('+')
		if off < 0 {
			sign = '-'
			off = -off
		}
		b = append(b, sign)
		b = append2(b, int64(off/60))
		b = append(b, ':')
		b = append2(b, int64(off%60))
	}
	return append(b, '"')
}

// localClock returns the hour and weekday (0 = Sunday) of instant ms in a
// zone off minutes east of UTC.
func localClock(ms int64, off int) (hour, weekday int) {
	local := ms + int64(off)*minMS
	days := floorDiv(local, dayMS)
	hour = int((local - days*dayMS) / hourMS)
	weekday = int(((days+4)%7 + 7) % 7) // 1970-01-01 was a Thursday
	return hour, weekday
}

// dateString formats the UTC day of ms as YYYY-MM-DD.
func dateString(ms int64) string {
	y, m, d := civil(floorDiv(ms, dayMS))
	b := make([]byte, 0, 10)
	b = append2(b, y/100)
	b = append2(b, y%100)
	b = append(b, '-')
	b = append2(b, m)
	b = append(b, '-')
	b = append2(b, d)
	return string(b)
}
