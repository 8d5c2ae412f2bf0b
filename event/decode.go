package event

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/netip"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/go-json-experiment/json/jsontext"
)

// FormatNative names the native input shape of event-format.md.
const FormatNative = "native"

// Decode parses one event in the native shape. raw must hold exactly one
// JSON object; it is kept verbatim in Event.Raw. The returned event is not
// yet normalised: see Catalogue.Normalize.
//
// The error says why the event is unusable in a way that reads well after
// "file:line: ". An object that names a key twice is refused: parsers
// disagree on which value wins, and an audit record must mean one thing.
func Decode(raw []byte) (*Event, error) {
	var d Decoder
	return d.Decode(raw)
}

// Decoder decodes native events like Decode, reusing its buffers from one
// event to the next. It is not safe for concurrent use: give each goroutine
// its own. The zero value is ready to use.
type Decoder struct {
	r bytes.Reader
	d jsontext.Decoder
	// stored is set to read an event that was decoded once already, at
	// ingest (DecodeRecord): its keys are known to be unique, so the
	// decoder does not check them again (a third of its cost).
	stored bool
}

// Decode is Decode with the decoder's buffers.
func (x *Decoder) Decode(raw []byte) (*Event, error) {
	trimmed := bytes.TrimSpace(raw)
	if len(trimmed) == 0 {
		return nil, errors.New("empty line")
	}
	if trimmed[0] != '{' {
		if json.Valid(trimmed) {
			return nil, fmt.Errorf("not a JSON object (got %s)", jsonKind(trimmed[0]))
		}
		return nil, fmt.Errorf("not JSON: %s", syntaxReason(trimmed))
	}
	ev := &Event{Raw: raw, Format: FormatNative}
	x.r.Reset(trimmed)
	d := &x.d
	d.Reset(&x.r, jsontext.AllowInvalidUTF8(true), jsontext.AllowDuplicateNames(x.stored))
	seen, err := ev.read(d)
	if err == nil && d.InputOffset() != int64(len(trimmed)) {
		err = &jsonError{fmt.Errorf("content after the object at byte %d", d.InputOffset())}
	}
	var je *jsonError
	if errors.As(err, &je) {
		if !json.Valid(trimmed) {
			return nil, fmt.Errorf("not JSON: %s", syntaxReason(trimmed))
		}
		var se *jsontext.SyntacticError
		if errors.As(je.err, &se) && errors.Is(se.Err, jsontext.ErrDuplicateName) {
			return nil, fmt.Errorf("key %s appears twice", se.JSONPointer)
		}
		return nil, fmt.Errorf("not JSON: %v", je.err)
	}
	if err != nil {
		return nil, err
	}
	if !seen.timestamp {
		return nil, errors.New("missing timestamp")
	}
	if !seen.eventType {
		return nil, errors.New("missing event_type")
	}
	ev.jsonRaw = raw
	return ev, nil
}

// jsonError marks an error of the JSON syntax, as opposed to one of the
// event's content.
type jsonError struct{ err error }

func (e *jsonError) Error() string { return e.err.Error() }

type seenKeys struct{ timestamp, eventType bool }

// read decodes the top-level object in one pass.
func (ev *Event) read(d *jsontext.Decoder) (seenKeys, error) {
	var seen seenKeys
	if _, err := d.ReadToken(); err != nil {
		return seen, &jsonError{err}
	}
	for {
		kind := d.PeekKind()
		if kind == '}' {
			_, err := d.ReadToken()
			if err != nil {
				return seen, &jsonError{err}
			}
			return seen, nil
		}
		name, err := d.ReadToken()
		if err != nil {
			return seen, &jsonError{err}
		}
		key := name.String()
		if d.PeekKind() == '{' && nestedObject(key) {
			// Decode nested objects from the same stream: one pass over
			// the bytes, no second decoder.
			v, err := readAny(d)
			if err != nil {
				return seen, &jsonError{err}
			}
			obj := v.(map[string]any)
			switch key {
			case "actor":
				ev.Actor = partyFrom(obj)
			case "target":
				ev.Target = partyFrom(obj)
			case "context":
				ev.Context = contextFrom(obj)
			case "details":
				ev.Details = obj
			}
			continue
		}
		val, err := d.ReadValue()
		if err != nil {
			return seen, &jsonError{err}
		}
		if val.Kind() == 'n' { // null says nothing
			continue
		}
		switch key {
		case "timestamp":
			seen.timestamp = true
			if ev.Time, err = parseTimestamp(val); err != nil {
				return seen, fmt.Errorf("timestamp: %w", err)
			}
		case "event_type":
			seen.eventType = true
			typ, ok := stringValue(val)
			if !ok {
				return seen, errors.New("event_type: not a string")
			}
			if strings.TrimSpace(typ) == "" {
				return seen, errors.New("event_type: empty")
			}
			ev.Type = typ
		case "event_id":
			ev.ID, err = scalarField(key, val)
		case "actor":
			ev.Actor, err = decodeParty(key, val)
		case "target":
			ev.Target, err = decodeParty(key, val)
		case "details", "context":
			err = fmt.Errorf("%s: want an object", key)
		case "category":
			ev.Category, err = scalarField(key, val)
			ev.Category = strings.ToLower(strings.TrimSpace(ev.Category))
		case "component":
			ev.Component, err = scalarField(key, val)
		case "source":
			ev.Source, err = scalarField(key, val)
		case "severity":
			ev.Severity, err = scalarField(key, val)
			ev.Severity = strings.ToLower(strings.TrimSpace(ev.Severity))
		case "outcome":
			ev.Outcome, err = scalarField(key, val)
			ev.Outcome = strings.ToLower(strings.TrimSpace(ev.Outcome))
		case "message":
			ev.Message, err = scalarField(key, val)
		default:
			if ev.Extra == nil {
				ev.Extra = map[string]json.RawMessage{}
			}
			ev.Extra[key] = bytes.Clone(val)
		}
		if err != nil {
			return seen, err
		}
	}
}

// AssignID gives an event without an event_id one derived from the bytes it
// was received as, so that ingesting the same input twice stores it once.
func (ev *Event) AssignID() {
	if ev.ID != "" {
		return
	}
	sum := sha256.Sum256(bytes.TrimSpace(ev.Raw))
	ev.ID = "vgl_" + hex.EncodeToString(sum[:12])
}

// parseTimestamp accepts RFC 3339 with any fraction and offset, or a number
// (JSON number or numeric string) of Unix seconds or milliseconds. Numbers of
// magnitude 1e11 and above are milliseconds: as seconds they would be past
// the year 5000. The time in UTC must lie in the years 0000 to 9999, the only
// ones RFC 3339 can write: the record stores it so and reads it back.
func parseTimestamp(raw []byte) (time.Time, error) {
	t, err := parseTimestampValue(raw)
	if err == nil && (t.Year() < 0 || t.Year() > 9999) {
		return time.Time{}, fmt.Errorf("%s is outside the years 0000 to 9999", clip(raw))
	}
	return t, err
}

func parseTimestampValue(raw []byte) (time.Time, error) {
	if len(raw) > 0 && raw[0] == '"' {
		s, ok := stringValue(raw)
		if !ok {
			return time.Time{}, fmt.Errorf("invalid string %s", clip(raw))
		}
		s = strings.TrimSpace(s)
		if s == "" {
			return time.Time{}, errors.New("empty")
		}
		if looksNumeric(s) {
			return unixTime(s)
		}
		return parseRFC3339(s)
	}
	if len(raw) > 0 && (raw[0] == '-' || (raw[0] >= '0' && raw[0] <= '9')) {
		return unixTime(string(raw))
	}
	return time.Time{}, fmt.Errorf("want an RFC 3339 string or Unix seconds/milliseconds, got %s", clip(raw))
}

func parseRFC3339(s string) (time.Time, error) {
	// RFC 3339 allows a lower-case t and z, and a space for the T.
	if len(s) > 10 && (s[10] == 't' || s[10] == ' ') {
		s = s[:10] + "T" + s[11:]
	}
	if strings.HasSuffix(s, "z") {
		s = s[:len(s)-1] + "Z"
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is not RFC 3339 (2006-01-02T15:04:05Z07:00) or Unix time", s)
	}
	return t.UTC(), nil
}

func unixTime(s string) (time.Time, error) {
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return time.Time{}, fmt.Errorf("%q is not a number of Unix seconds or milliseconds", s)
	}
	if math.Abs(f) >= 1e11 {
		if math.Abs(f) >= 1e14 {
			return time.Time{}, fmt.Errorf("%s is out of range for Unix milliseconds", s)
		}
		ms, frac := math.Modf(f)
		return time.UnixMilli(int64(ms)).Add(time.Duration(math.Round(frac * 1e6))).UTC(), nil
	}
	// Seconds: keep nanoseconds exact where the text gives them.
	if i := strings.IndexByte(s, '.'); i >= 0 && !strings.ContainsAny(s, "eE") {
		sec, err1 := strconv.ParseInt(s[:i], 10, 64)
		fracDigits := (s[i+1:] + "000000000")[:9]
		nsec, err2 := strconv.ParseInt(fracDigits, 10, 64)
		if err1 == nil && err2 == nil {
			if strings.HasPrefix(s, "-") {
				nsec = -nsec
			}
			return time.Unix(sec, nsec).UTC(), nil
		}
	}
	sec, frac := math.Modf(f)
	return time.Unix(int64(sec), int64(math.Round(frac*1e9))).UTC(), nil
}

func looksNumeric(s string) bool {
	if s == "" {
		return false
	}
	for i, r := range s {
		switch {
		case r >= '0' && r <= '9', r == '.':
		case r == '-' && i == 0:
		default:
			return false
		}
	}
	return true
}

// nestedObject reports the top-level keys whose object values are decoded
// into the event's structure.
func nestedObject(key string) bool {
	switch key {
	case "actor", "target", "context", "details":
		return true
	}
	return false
}

// decodeParty reads an actor or target that is not an object: a string is
// the email when it holds an "@", else the name.
func decodeParty(key string, raw []byte) (Party, error) {
	var p Party
	s, ok := stringValue(raw)
	if !ok {
		return p, fmt.Errorf("%s: want an object or a string", key)
	}
	s = strings.TrimSpace(s)
	if strings.Contains(s, "@") {
		p.Email = s
	} else {
		p.Name = s
	}
	return p, nil
}

func partyFrom(obj map[string]any) Party {
	var p Party
	for k, v := range obj {
		s, isScalar := scalarString(v)
		switch {
		case k == "id" && isScalar:
			p.ID = s
		case k == "email" && isScalar:
			p.Email = s
		case k == "name" && isScalar:
			p.Name = s
		case k == "role" && isScalar:
			p.Role = s
		case k == "type" && isScalar:
			p.Type = s
		default:
			if p.Extra == nil {
				p.Extra = map[string]any{}
			}
			p.Extra[k] = v
		}
	}
	return p
}

func contextFrom(obj map[string]any) Context {
	var c Context
	for k, v := range obj {
		s, isScalar := scalarString(v)
		switch {
		case k == "ip" && isScalar:
			c.IP = normalizeIP(s)
		case k == "user_agent" && isScalar:
			c.UserAgent = s
		case k == "location" && isScalar:
			c.Location = s
		case k == "device" && isScalar:
			c.Device = s
		case k == "session_id" && isScalar:
			c.SessionID = s
		default:
			if c.Extra == nil {
				c.Extra = map[string]any{}
			}
			c.Extra[k] = v
		}
	}
	return c
}

// normalizeIP returns the address of s in canonical form, without a port
// ("10.0.0.1:443", "[2001:db8::1]:443") and without a zone. Text that is
// not an address is kept as given.
func normalizeIP(s string) string {
	s = strings.TrimSpace(s)
	if a, err := netip.ParseAddr(s); err == nil {
		return a.WithZone("").Unmap().String()
	}
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().WithZone("").Unmap().String()
	}
	return s
}

// NormalizeIP is normalizeIP for importers: canonical address text, no port.
func NormalizeIP(s string) string { return normalizeIP(s) }

// ParseObject decodes raw, which must hold exactly one JSON object, into a
// map, numbers as json.Number so that no digit is lost: what importers map
// their records from. As for native events, an object that names a key
// twice is refused. The error reads well after "file:line: ".
func ParseObject(raw []byte) (map[string]any, error) {
	trimmed := bytes.TrimSpace(raw)
	if len(trimmed) == 0 {
		return nil, errors.New("empty record")
	}
	if trimmed[0] != '{' {
		if json.Valid(trimmed) {
			return nil, fmt.Errorf("not a JSON object (got %s)", jsonKind(trimmed[0]))
		}
		return nil, fmt.Errorf("not JSON: %s", syntaxReason(trimmed))
	}
	d := jsontext.NewDecoder(bytes.NewReader(trimmed), jsontext.AllowInvalidUTF8(true))
	v, err := readAny(d)
	if err == nil && d.InputOffset() != int64(len(trimmed)) {
		err = fmt.Errorf("content after the object at byte %d", d.InputOffset())
	}
	if err != nil {
		var se *jsontext.SyntacticError
		if errors.As(err, &se) && errors.Is(se.Err, jsontext.ErrDuplicateName) {
			return nil, fmt.Errorf("key %s appears twice", se.JSONPointer)
		}
		if !json.Valid(trimmed) {
			return nil, fmt.Errorf("not JSON: %s", syntaxReason(trimmed))
		}
		return nil, fmt.Errorf("not JSON: %v", err)
	}
	return v.(map[string]any), nil
}

// readAny decodes the next JSON value with numbers as json.Number, so that
// no digit of a received number is lost.
func readAny(d *jsontext.Decoder) (any, error) {
	tok, err := d.ReadToken()
	if err != nil {
		return nil, err
	}
	switch tok.Kind() {
	case '{':
		m := map[string]any{}
		for d.PeekKind() != '}' {
			name, err := d.ReadToken()
			if err != nil {
				return nil, err
			}
			k := name.String() // before the token is reused
			v, err := readAny(d)
			if err != nil {
				return nil, err
			}
			m[k] = v
		}
		_, err := d.ReadToken()
		return m, err
	case '[':
		a := []any{}
		for d.PeekKind() != ']' {
			v, err := readAny(d)
			if err != nil {
				return nil, err
			}
			a = append(a, v)
		}
		_, err := d.ReadToken()
		return a, err
	case '"':
		return tok.String(), nil
	case '0':
		return json.Number(tok.String()), nil
	case 't', 'f':
		return tok.Bool(), nil
	default:
		return nil, nil
	}
}

// scalarField reads a top-level field that must be a string (or, leniently,
// a number or boolean, kept as its JSON text).
func scalarField(key string, raw []byte) (string, error) {
	s, ok := stringValue(raw)
	if ok {
		return s, nil
	}
	if len(raw) > 0 && (raw[0] == '{' || raw[0] == '[') {
		return "", fmt.Errorf("%s: want a string, got %s", key, jsonKind(raw[0]))
	}
	return string(raw), nil
}

func stringValue(raw []byte) (string, bool) {
	if len(raw) == 0 || raw[0] != '"' {
		return "", false
	}
	// Nothing to unescape, and no invalid UTF-8 for AppendUnquote to replace
	// with U+FFFD as every other decoded string has it.
	if in := raw[1 : len(raw)-1]; bytes.IndexByte(in, '\\') < 0 && utf8.Valid(in) {
		return string(in), true
	}
	b, err := jsontext.AppendUnquote(nil, raw)
	if err != nil && len(b) == 0 {
		return "", false
	}
	return string(b), true
}

// scalarString turns a decoded JSON scalar into text.
func scalarString(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, true
	case json.Number:
		return x.String(), true
	case bool:
		return strconv.FormatBool(x), true
	}
	return "", false
}

func jsonKind(b byte) string {
	switch b {
	case '{':
		return "an object"
	case '[':
		return "an array"
	case '"':
		return "a string"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	default:
		return "a number"
	}
}

// syntaxReason describes where and why data is not JSON.
func syntaxReason(data []byte) string {
	var v any
	err := json.Unmarshal(data, &v)
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Sprintf("%s at byte %d", se.Error(), se.Offset)
	}
	if err != nil {
		return err.Error()
	}
	return "unexpected content"
}

// clip shortens a JSON excerpt for a reason, which must stay one line of
// UTF-8 text: the whitespace JSON allows between tokens (a pretty-printed
// array element) becomes spaces, and the cut falls between runes.
func clip(b []byte) string {
	const max = 40
	s := strings.Map(func(r rune) rune {
		if r == '\n' || r == '\r' || r == '\t' {
			return ' '
		}
		return r
	}, string(b))
	if len(s) > max {
		i := max
		for i > 0 && !utf8.RuneStart(s[i]) {
			i--
		}
		return s[:i] + "..."
	}
	return s
}
