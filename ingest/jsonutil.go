package ingest

import (
	"bytes"
	"encoding/json"
	"strings"

	"github.com/go-json-experiment/json/jsontext"

	"github.com/vigil-dev/vigil/event"
)

// Sniffed is what SniffJSON saw at the start of an input.
type Sniffed struct {
	// Array reports that the input starts with a JSON array; the keys are
	// then those of its first element.
	Array bool
	// Keys holds the kind of every top-level key of the first object, as
	// far as the head goes: '"' string, '{' object, '[' array, '0'
	// number, 't'/'f' boolean, 'n' null.
	Keys map[string]jsontext.Kind
	// Strings holds the values of the keys whose value is a string.
	Strings map[string]string
	// Complete reports that the first object ends within the head.
	Complete bool
}

// Has reports whether the first object has key.
func (s Sniffed) Has(key string) bool {
	_, ok := s.Keys[key]
	return ok
}

// String returns the string value of key, or "".
func (s Sniffed) String(key string) string { return s.Strings[key] }

// SniffJSON reads the top-level keys of the first JSON object in head (the
// first element when head starts with an array) for a Format's Detect. It
// never fails: what it cannot read, it leaves out.
func SniffJSON(head []byte) Sniffed {
	var s Sniffed
	head = bytes.TrimLeft(head, " \t\r\n\ufeff")
	if len(head) == 0 || (head[0] != '{' && head[0] != '[') {
		return s
	}
	d := jsontext.NewDecoder(bytes.NewReader(head), jsontext.AllowInvalidUTF8(true), jsontext.AllowDuplicateNames(true))
	if head[0] == '[' {
		s.Array = true
		if _, err := d.ReadToken(); err != nil || d.PeekKind() != '{' {
			return s
		}
	}
	if _, err := d.ReadToken(); err != nil {
		return s
	}
	s.Keys = map[string]jsontext.Kind{}
	s.Strings = map[string]string{}
	for {
		if d.PeekKind() == '}' {
			s.Complete = true
			return s
		}
		name, err := d.ReadToken()
		if err != nil {
			return s
		}
		key := name.String()
		kind := d.PeekKind()
		if kind == jsontext.KindInvalid {
			return s
		}
		s.Keys[key] = kind
		if kind == '"' {
			tok, err := d.ReadToken()
			if err != nil {
				return s
			}
			s.Strings[key] = tok.String()
			continue
		}
		if err := d.SkipValue(); err != nil {
			return s
		}
	}
}

// arrayField finds the array under key at the top level of the JSON object
// raw and returns the byte spans of its elements. found is false when raw
// is not an object or has no array under key.
func arrayField(raw []byte, key string) (spans [][2]int, found bool, err error) {
	d := jsontext.NewDecoder(bytes.NewReader(raw), jsontext.AllowInvalidUTF8(true), jsontext.AllowDuplicateNames(true))
	tok, err := d.ReadToken()
	if err != nil {
		return nil, false, err
	}
	if tok.Kind() != '{' {
		return nil, false, nil
	}
	for d.PeekKind() != '}' {
		name, err := d.ReadToken()
		if err != nil {
			return nil, false, err
		}
		if name.String() != key || found || d.PeekKind() != '[' {
			if err := d.SkipValue(); err != nil {
				return nil, false, err
			}
			continue
		}
		found = true
		if _, err := d.ReadToken(); err != nil {
			return nil, false, err
		}
		for d.PeekKind() != ']' {
			v, err := d.ReadValue()
			if err != nil {
				return nil, false, err
			}
			end := int(d.InputOffset())
			spans = append(spans, [2]int{end - len(v), end})
		}
		if _, err := d.ReadToken(); err != nil {
			return nil, false, err
		}
	}
	if _, err := d.ReadToken(); err != nil {
		return nil, false, err
	}
	return spans, found, nil
}

// ParseObject decodes one JSON object for a Format's Map: see
// event.ParseObject.
func ParseObject(raw []byte) (map[string]any, error) { return event.ParseObject(raw) }

// Str returns m[key] as text when it is a string, a number or a boolean,
// else "". Formats use it to read decoded records.
func Str(m map[string]any, key string) string {
	switch v := m[key].(type) {
	case string:
		return v
	case json.Number:
		return v.String()
	case bool:
		if v {
			return "true"
		}
		return "false"
	}
	return ""
}

// Obj returns m[key] when it is an object, else nil.
func Obj(m map[string]any, key string) map[string]any {
	o, _ := m[key].(map[string]any)
	return o
}

// Path returns the value at a dotted path of keys in nested objects
// ("responseElements.ConsoleLogin"), or nil.
func Path(m map[string]any, path string) any {
	var v any = m
	for _, k := range strings.Split(path, ".") {
		o, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = o[k]
	}
	return v
}
