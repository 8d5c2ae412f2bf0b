package export

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/vigil-dev/vigil/event"
)

// element is one exported event as encoding/json reads it back.
type element struct {
	Seq       uint64          `json:"seq"`
	Event     json.RawMessage `json:"event"`
	Raw       json.RawMessage `json:"raw"`
	RawText   *string         `json:"raw_text"`
	RawBase64 *string         `json:"raw_base64"`
}

// sameJSON reports whether a and b are the same JSON value, numbers
// compared by their text.
func sameJSON(t *testing.T, a, b []byte) bool {
	t.Helper()
	decode := func(s []byte) any {
		var v any
		d := json.NewDecoder(bytes.NewReader(s))
		d.UseNumber()
		if err := d.Decode(&v); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
		return v
	}
	return reflect.DeepEqual(decode(a), decode(b))
}

// checkElement checks an element against the record it was written from.
func checkElement(t *testing.T, i int, el element, ev *event.Event, seq uint64) {
	t.Helper()
	if el.Seq != seq {
		t.Errorf("element %d: seq %d, want %d", i, el.Seq, seq)
	}
	native, err := event.MarshalNative(ev)
	if err != nil {
		t.Fatal(err)
	}
	if !sameJSON(t, el.Event, native) {
		t.Errorf("element %d: event\n%s\nwant\n%s", i, el.Event, native)
	}
	raw := bytes.TrimSpace(ev.Raw)
	switch {
	case el.Raw != nil:
		if !json.Valid(raw) || !sameJSON(t, el.Raw, raw) {
			t.Errorf("element %d: raw %s, want %s", i, el.Raw, raw)
		}
		var compact bytes.Buffer
		if json.Compact(&compact, el.Raw); !bytes.Equal(compact.Bytes(), el.Raw) {
			t.Errorf("element %d: raw is not compact: %s", i, el.Raw)
		}
	case el.RawText != nil:
		if *el.RawText != string(raw) {
			t.Errorf("element %d: raw_text %q, want %q", i, *el.RawText, raw)
		}
	case el.RawBase64 != nil:
		got, err := base64.StdEncoding.DecodeString(*el.RawBase64)
		if err != nil || !bytes.Equal(got, raw) {
			t.Errorf("element %d: raw_base64 decodes to %q, want %q", i, got, raw)
		}
	default:
		t.Errorf("element %d: no raw", i)
	}
}

func TestJSONArray(t *testing.T) {
	f := chainFixture(t)
	out := f.export(t, JSON, Options{})
	var els []element
	if err := json.Unmarshal([]byte(out), &els); err != nil {
		t.Fatalf("not a JSON array: %v\n%s", err, out)
	}
	if len(els) != len(f.recs) {
		t.Fatalf("%d elements for %d events", len(els), len(f.recs))
	}
	for i, el := range els {
		checkElement(t, i, el, f.evs[i], f.recs[i].Seq)
	}
	// One element a line, between the brackets.
	lines := strings.Split(out, "\n")
	if lines[0] != "[" || lines[len(lines)-2] != "]" || lines[len(lines)-1] != "" || len(lines) != len(f.recs)+3 {
		t.Errorf("layout: %d lines, first %q, last %q", len(lines), lines[0], lines[len(lines)-2])
	}
	if hasControl(strings.ReplaceAll(out, "\n", ""), 0) || strings.ContainsAny(out, "\u2028\u2029\u0085") {
		t.Error("raw control or line-breaking character in the output")
	}
}

func TestJSONLines(t *testing.T) {
	f := chainFixture(t)
	out := f.export(t, JSONL, Options{})
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) != len(f.recs) {
		t.Fatalf("%d lines for %d events: an element broke a line", len(lines), len(f.recs))
	}
	for i, line := range lines {
		var el element
		dec := json.NewDecoder(strings.NewReader(line))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&el); err != nil {
			t.Fatalf("line %d: %v\n%s", i+1, err, line)
		}
		checkElement(t, i, el, f.evs[i], f.recs[i].Seq)
		if hasControl(line, 0) || strings.ContainsAny(line, "\u2028\u2029\u0085") {
			t.Errorf("line %d: raw control or line-breaking character", i+1)
		}
	}
}

// TestJSONNoDuplicateKeys: an event may carry top-level keys named like the
// element's own; they stay inside "event".
func TestJSONNoDuplicateKeys(t *testing.T) {
	f := build(t, `{"timestamp":"2025-01-15T14:30:00Z","event_type":"x","seq":999,"raw":"forged","event":{"a":1}}`)
	out := f.export(t, JSONL, Options{})
	dec := json.NewDecoder(strings.NewReader(out))
	seen := map[string]bool{}
	dec.Token() // {
	for dec.More() {
		k, _ := dec.Token()
		if seen[k.(string)] {
			t.Errorf("key %q twice in %s", k, out)
		}
		seen[k.(string)] = true
		var v json.RawMessage
		dec.Decode(&v)
	}
	var el struct {
		Seq   uint64
		Event map[string]any
	}
	json.Unmarshal([]byte(out), &el)
	if el.Seq != 1 || el.Event["seq"] != float64(999) || el.Event["raw"] != "forged" {
		t.Errorf("element %s", out)
	}
}

func TestJSONEmpty(t *testing.T) {
	if out := (fixture{}).export(t, JSON, Options{}); out != "[]\n" {
		t.Errorf("empty json %q", out)
	}
	if out := (fixture{}).export(t, JSONL, Options{}); out != "" {
		t.Errorf("empty jsonl %q", out)
	}
}
