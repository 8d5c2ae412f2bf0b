package export

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/vigil-dev/vigil/event"
	"github.com/vigil-dev/vigil/store"
)

// Format names.
const (
	JSON  = "json"
	JSONL = "jsonl"
	CSV   = "csv"
	CEF   = "cef"
	LEEF  = "leef"
	LEEF2 = "leef2"
	Chain = "chain"
)

// Formats lists the export formats NewWriter accepts. Each call returns a
// new slice.
func Formats() []string {
	return []string{JSON, JSONL, CSV, CEF, LEEF, LEEF2, Chain}
}

// Options configure a Writer. The zero value is ready to use.
type Options struct {
	// Vendor, Product and Version name the producer in the CEF and LEEF
	// headers; "vigil", "vigil" and "dev" when empty.
	Vendor, Product, Version string
	// LEEFDelimiter separates the attributes of leef2; '^' when zero. See
	// the package documentation for the characters allowed.
	LEEFDelimiter rune
	// Catalogue gives CEF's Name (the description of the action); the
	// builtin catalogue when nil.
	Catalogue *event.Catalogue
}

// Writer writes stored events in one format.
type Writer interface {
	// Write writes one stored event: r is the store's record (its seq,
	// hash and prev, and the exact record bytes) and ev its decoded event,
	// or nil to have it decoded from r.Data. Neither is kept after Write
	// returns.
	//
	// An event the format cannot write (a record that does not decode; for
	// chain, one out of order or not UTF-8) is refused with an error and
	// nothing of it is written: later events can still be. An error of the
	// underlying io.Writer sticks: every later Write and Close returns it.
	Write(r store.Record, ev *event.Event) error
	// Close flushes what is buffered and, for json, writes the closing
	// bracket. It does not close the underlying io.Writer. A closed Writer
	// refuses further writes.
	Close() error
}

// ErrClosed is returned by Write on a closed Writer.
var ErrClosed = errors.New("export writer is closed")

const (
	defaultVendor  = "vigil"
	defaultProduct = "vigil"
	defaultVersion = "dev"
	// writeBufferSize is the size of the buffer between a Writer and its
	// io.Writer.
	writeBufferSize = 64 << 10
	// keepBuffer bounds the line buffer kept from one event to the next, so
	// that one huge event does not pin its memory for the rest of an export.
	keepBuffer = 1 << 20
)

// NewWriter returns a Writer of the named format (one of Formats) on w.
func NewWriter(format string, w io.Writer, opts Options) (Writer, error) {
	if opts.Vendor == "" {
		opts.Vendor = defaultVendor
	}
	if opts.Product == "" {
		opts.Product = defaultProduct
	}
	if opts.Version == "" {
		opts.Version = defaultVersion
	}
	switch strings.ToLower(format) {
	case JSON:
		return newLineWriter(w, &jsonFormat{array: true}), nil
	case JSONL:
		return newLineWriter(w, &jsonFormat{}), nil
	case Chain:
		return newLineWriter(w, &chainFormat{}), nil
	case CSV:
		return newCSVWriter(w), nil
	case CEF:
		return newLineWriter(w, newCEFFormat(opts)), nil
	case LEEF:
		return newLineWriter(w, newLEEFFormat(opts, '\t', false)), nil
	case LEEF2:
		d := opts.LEEFDelimiter
		if d == 0 {
			d = '^'
		}
		if !validLEEFDelimiter(d) {
			return nil, fmt.Errorf("export leef2: delimiter %q is not allowed: use a tab or one of %s", d, leefDelimiters)
		}
		return newLineWriter(w, newLEEFFormat(opts, d, true)), nil
	}
	return nil, fmt.Errorf("unknown export format %q: want one of %s", format, strings.Join(Formats(), ", "))
}

// lineFormat renders one event as one line of output.
type lineFormat interface {
	// needsEvent reports whether appendLine uses its ev argument.
	needsEvent() bool
	// appendLine appends the event's line, without framing.
	appendLine(b []byte, r store.Record, ev *event.Event) ([]byte, error)
	// before, after and final frame the lines: what is written before a
	// line (first: before the first one), after each line, and at Close
	// (empty: when no line was written).
	before(first bool) string
	after() string
	final(empty bool) string
}

// lineWriter is a Writer of a line-oriented format.
type lineWriter struct {
	f      lineFormat
	bw     *bufio.Writer
	buf    []byte
	n      int
	err    error
	closed bool
}

func newLineWriter(w io.Writer, f lineFormat) *lineWriter {
	return &lineWriter{f: f, bw: bufio.NewWriterSize(w, writeBufferSize)}
}

func (lw *lineWriter) Write(r store.Record, ev *event.Event) error {
	if lw.err != nil {
		return lw.err
	}
	if lw.closed {
		return ErrClosed
	}
	if ev == nil && lw.f.needsEvent() {
		var err error
		if ev, err = event.DecodeRecord(r.Data); err != nil {
			return fmt.Errorf("export seq %d: %w", r.Seq, err)
		}
	}
	b := append(lw.buf[:0], lw.f.before(lw.n == 0)...)
	b, err := lw.f.appendLine(b, r, ev)
	b = append(b, lw.f.after()...)
	if err != nil {
		// Nothing of this event was written: the export may go on.
		lw.keep(b)
		return fmt.Errorf("export seq %d: %w", r.Seq, err)
	}
	if _, err := lw.bw.Write(b); err != nil {
		lw.err = err
		return err
	}
	lw.keep(b)
	lw.n++
	return nil
}

// keep retains b as the next event's buffer unless it grew too large.
func (lw *lineWriter) keep(b []byte) {
	if cap(b) > keepBuffer {
		b = nil
	}
	lw.buf = b
}

func (lw *lineWriter) Close() error {
	if lw.closed {
		return lw.err
	}
	lw.closed = true
	if lw.err != nil {
		return lw.err
	}
	if _, lw.err = lw.bw.WriteString(lw.f.final(lw.n == 0)); lw.err == nil {
		lw.err = lw.bw.Flush()
	}
	lw.buf = nil
	return lw.err
}

// plainLines is the framing of formats that are just lines, each ended by
// a newline as soon as it is written.
type plainLines struct{}

func (plainLines) before(bool) string { return "" }
func (plainLines) after() string      { return "\n" }
func (plainLines) final(bool) string  { return "" }
