package export

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"unicode/utf8"

	"github.com/vigil-dev/vigil/event"
	"github.com/vigil-dev/vigil/store"
)

// jsonFormat writes json (array) or jsonl elements:
// {"seq":N,"event":{native},"raw":...}.
type jsonFormat struct {
	array   bool
	scratch bytes.Buffer // the compacted raw of the current event
}

func (f *jsonFormat) needsEvent() bool { return true }

func (f *jsonFormat) appendLine(b []byte, r store.Record, ev *event.Event) ([]byte, error) {
	native, err := event.MarshalNative(ev)
	if err != nil {
		return b, err
	}
	b = append(b, `{"seq":`...)
	b = strconv.AppendUint(b, r.Seq, 10)
	b = append(b, `,"event":`...)
	b = AppendLineSafeJSON(b, native)
	b = f.appendRaw(b, ev.Raw)
	return append(b, '}'), nil
}

// appendRaw appends the received bytes: as JSON when they are JSON (made
// compact so that the element stays on one line), else as a string when
// they are UTF-8, else in base64.
func (f *jsonFormat) appendRaw(b, raw []byte) []byte {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return b
	}
	if !utf8.Valid(raw) {
		b = append(b, `,"raw_base64":"`...)
		b = base64.StdEncoding.AppendEncode(b, raw)
		return append(b, '"')
	}
	f.scratch.Reset()
	if f.scratch.Cap() > keepBuffer {
		f.scratch = bytes.Buffer{}
	}
	if json.Compact(&f.scratch, raw) == nil {
		b = append(b, `,"raw":`...)
		return AppendLineSafeJSON(b, f.scratch.Bytes())
	}
	b = append(b, `,"raw_text":`...)
	return appendJSONString(b, raw)
}

func (f *jsonFormat) before(first bool) string {
	switch {
	case !f.array:
		return ""
	case first:
		return "[\n"
	default:
		return ",\n"
	}
}

func (f *jsonFormat) after() string {
	if f.array {
		return ""
	}
	return "\n"
}

func (f *jsonFormat) final(empty bool) string {
	switch {
	case !f.array:
		return ""
	case empty:
		return "[]\n"
	default:
		return "\n]\n"
	}
}

// chainFormat writes the chain export of chain-format.md.
type chainFormat struct {
	plainLines
	last    uint64
	started bool
}

// errNotUTF8 is returned for a record that no JSON string can carry exactly.
var errNotUTF8 = errors.New("the record is not UTF-8, so no JSON string can hold it exactly")

func (f *chainFormat) needsEvent() bool { return false }

func (f *chainFormat) appendLine(b []byte, r store.Record, _ *event.Event) ([]byte, error) {
	if f.started && r.Seq <= f.last {
		return b, fmt.Errorf("chain export is oldest first: seq %d after %d", r.Seq, f.last)
	}
	if !utf8.Valid(r.Data) {
		return b, errNotUTF8
	}
	f.started, f.last = true, r.Seq
	b = append(b, `{"seq":`...)
	b = strconv.AppendUint(b, r.Seq, 10)
	b = append(b, `,"prev":"`...)
	b = hex.AppendEncode(b, r.Prev[:])
	b = append(b, `","hash":"`...)
	b = hex.AppendEncode(b, r.Hash[:])
	b = append(b, `","record":`...)
	b = appendJSONString(b, r.Data)
	return append(b, '}'), nil
}
