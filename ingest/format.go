package ingest

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/vigil-dev/vigil/event"
)

// A Format reads one input format: it recognises an input by its first
// bytes, cuts the input into units (one per event) and maps each unit to the
// canonical event of event-format.md.
//
// A Format holds configuration only: Split and Map keep no state between
// calls beyond what one call of Split needs, so that one value serves every
// input and every decoding goroutine. Each format lives in a package of its
// own under ingest/ (ingest/cloudtrail, ...); Native, the event format's own
// shape, lives here. The command line builds the list of formats it offers
// and hands it to Run in Options.
type Format interface {
	// Name is what --format calls the format and what Event.Format
	// records: "native", "cloudtrail", "k8s", "m365", "auditd".
	Name() string
	// Detect reports whether an input that starts with head is in this
	// format. head holds the first bytes of the input (decompressed), at
	// most DetectSize of them, and may end in the middle of a record.
	Detect(head []byte) bool
	// Split cuts r into units, in input order, and passes each to emit; an
	// error from emit stops Split and is returned. A unit that cannot
	// become an event whatever its content (larger than maxSize, or the
	// unreadable rest of a broken document) is passed with Err set, so
	// that it is rejected verbatim. Split returns an error only when r
	// cannot be read.
	Split(r io.Reader, maxSize int, emit func(Unit) error) error
	// Map turns one unit into an event that is not yet normalised: Format
	// set to the format's name, Raw to the unit's bytes, and every field
	// the input gives. Its error says why the unit is unusable and reads
	// well after "file:line: ". Map is called from many goroutines at once.
	Map(u Unit) (*event.Event, error)
}

// A ReusingFormat is a Format whose mapping reuses buffers from one unit to
// the next. Each decoding goroutine asks it for a mapper of its own.
type ReusingFormat interface {
	Format
	// NewMapper returns a function that does what Map does, for use by
	// one goroutine at a time.
	NewMapper() func(Unit) (*event.Event, error)
}

// Auto is the format name that asks Run to detect the format of each input.
const Auto = "auto"

// DetectSize is the most of an input that auto-detection looks at.
const DetectSize = 64 << 10

// Native is the native shape of event-format.md: JSON Lines or one JSON
// array of objects with timestamp and event_type.
type Native struct{}

// Name returns "native".
func (Native) Name() string { return event.FormatNative }

// Detect recognises a JSON object (or an array of them) whose first keys
// include event_type or timestamp. Auto-detection falls back to Native
// anyway when no format recognises an input.
func (Native) Detect(head []byte) bool {
	s := SniffJSON(head)
	return s.Has("event_type") || s.Has("timestamp")
}

// Split cuts JSON Lines, or the elements of one JSON array.
func (Native) Split(r io.Reader, maxSize int, emit func(Unit) error) error {
	return split(r, maxSize, emit)
}

// Map decodes a unit with event.Decode.
func (Native) Map(u Unit) (*event.Event, error) { return event.Decode(u.Raw) }

// NewMapper returns a mapper that reuses one event.Decoder.
func (Native) NewMapper() func(Unit) (*event.Event, error) {
	var dec event.Decoder
	return func(u Unit) (*event.Event, error) { return dec.Decode(u.Raw) }
}

// Detect returns the first of formats that recognises head, or Native when
// none does: the native decoder then says, line by line, what is wrong.
func Detect(formats []Format, head []byte) Format {
	for _, f := range formats {
		if f.Name() == event.FormatNative {
			continue // the fallback: it is asked last
		}
		if f.Detect(head) {
			return f
		}
	}
	return Native{}
}

// Lookup returns the format called name among formats; Native is always
// known.
func Lookup(formats []Format, name string) (Format, error) {
	for _, f := range formats {
		if f.Name() == name {
			return f, nil
		}
	}
	if name == event.FormatNative {
		return Native{}, nil
	}
	return nil, fmt.Errorf("unknown format %q (known: %s)", name, strings.Join(Names(formats), ", "))
}

// Names lists "auto", "native" and the names of formats, without repeats.
func Names(formats []Format) []string {
	names := []string{Auto, event.FormatNative}
	for _, f := range formats {
		if f.Name() != event.FormatNative {
			names = append(names, f.Name())
		}
	}
	return names
}

// sniff detects the format of the input buffered in br without consuming
// anything. It reads no more than it needs: it stops as soon as a format
// other than Native recognises what is buffered, or the first record is
// complete, or DetectSize bytes or the end of the input are reached, so
// that a live pipe of native events is not held up.
func sniff(br *bufio.Reader, formats []Format) (Format, error) {
	if _, err := br.Peek(1); err != nil {
		if errors.Is(err, io.EOF) {
			return Native{}, nil
		}
		return nil, err
	}
	for {
		head, _ := br.Peek(br.Buffered())
		f := Detect(formats, head)
		if _, native := f.(Native); !native || len(head) >= DetectSize || firstRecordComplete(head) {
			return f, nil
		}
		// Wait for more of the input: one read's worth.
		if _, err := br.Peek(br.Buffered() + 1); err != nil {
			if errors.Is(err, io.EOF) || errors.Is(err, bufio.ErrBufferFull) {
				head, _ = br.Peek(br.Buffered())
				return Detect(formats, head), nil
			}
			return nil, err
		}
	}
}

// firstRecordComplete reports whether head holds the whole first record:
// the first JSON value (the first element of an array), or the first line
// of text that is not JSON.
func firstRecordComplete(head []byte) bool {
	head = bytes.TrimLeft(head, " \t\r\n\ufeff")
	if len(head) == 0 {
		return false
	}
	switch head[0] {
	case '{', '[':
		return SniffJSON(head).Complete
	}
	return bytes.IndexByte(head, '\n') >= 0
}
