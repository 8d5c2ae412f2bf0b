package ingest

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// Unit is one candidate event cut from an input: a line of JSON Lines or an
// element of a JSON array, with the line it starts on.
type Unit struct {
	Line int
	Raw  []byte
	// Err, when set, rejects the unit before decoding (too large, or the
	// unreadable rest of a broken array).
	Err error
}

// openInput undoes gzip when the stream starts with gzip's magic bytes,
// whatever the file is called.
func openInput(r io.Reader) (io.Reader, error) {
	br := bufio.NewReaderSize(r, 1<<16)
	magic, err := br.Peek(2)
	if err == nil && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("gzip: %w", err)
		}
		return zr, nil
	}
	return br, nil
}

// split cuts an input into units and sends them to emit in order. The shape
// is told by the first byte that is not white space: '[' is one JSON array,
// anything else JSON Lines. emit's error stops the split.
func split(r io.Reader, maxSize int, emit func(Unit) error) error {
	br := bufio.NewReaderSize(r, 1<<16)
	skipped := 0 // lines of white space before the content
	for {
		b, err := br.Peek(1)
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		switch b[0] {
		case ' ', '\t', '\r', '\n':
			if _, err := br.ReadByte(); err != nil {
				return err
			}
			if b[0] == '\n' {
				skipped++
			}
			continue
		case 0xEF: // a UTF-8 byte order mark, as some Windows tools write
			if bom, _ := br.Peek(3); bytes.Equal(bom, []byte{0xEF, 0xBB, 0xBF}) {
				_, _ = br.Discard(3)
				continue
			}
		}
		if b[0] == '[' {
			return splitArray(br, skipped, maxSize, emit)
		}
		return splitLines(br, skipped, maxSize, emit)
	}
}

// splitLines cuts JSON Lines; skipped lines of white space came before.
func splitLines(br *bufio.Reader, skipped, maxSize int, emit func(Unit) error) error {
	line := skipped
	for {
		data, err := br.ReadBytes('\n')
		if len(data) == 0 && err == io.EOF {
			return nil
		}
		if err != nil && err != io.EOF {
			return err
		}
		line++
		trimmed := bytes.TrimRight(data, "\r\n")
		if len(bytes.TrimSpace(trimmed)) > 0 {
			u := Unit{Line: line, Raw: trimmed}
			if len(trimmed) > maxSize {
				u.Err = fmt.Errorf("event is %d bytes, larger than the limit of %d", len(trimmed), maxSize)
			}
			if err := emit(u); err != nil {
				return err
			}
		}
		if err == io.EOF {
			return nil
		}
	}
}

// splitArray cuts the elements of one JSON array, read whole. When the
// array breaks off, the rest of the input becomes one rejected unit, so that
// nothing is lost.
func splitArray(br *bufio.Reader, skipped, maxSize int, emit func(Unit) error) error {
	data, err := io.ReadAll(br)
	if err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	lines := lineCounter{data: data, line: skipped + 1}
	if _, err := dec.Token(); err != nil { // the opening '['
		return emit(Unit{Line: 1, Raw: data, Err: fmt.Errorf("not a JSON array: %w", err)})
	}
	for dec.More() {
		start := skipSpace(data, int(dec.InputOffset()))
		if start < len(data) && data[start] == ',' {
			start = skipSpace(data, start+1)
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			rest := bytes.TrimSpace(data[start:])
			return emit(Unit{Line: lines.at(start), Raw: rest,
				Err: fmt.Errorf("not JSON: %s; the rest of the array (%d bytes) is rejected whole", describe(err), len(rest))})
		}
		end := int(dec.InputOffset())
		u := Unit{Line: lines.at(start), Raw: data[start:end]}
		if end-start > maxSize {
			u.Err = fmt.Errorf("event is %d bytes, larger than the limit of %d", end-start, maxSize)
		}
		if err := emit(u); err != nil {
			return err
		}
	}
	if _, err := dec.Token(); err != nil { // the closing ']'
		off := skipSpace(data, int(dec.InputOffset()))
		rest := bytes.TrimSpace(data[off:])
		if len(rest) == 0 {
			return emit(Unit{Line: lines.at(len(data)), Raw: nil, Err: errors.New("the JSON array is not closed")})
		}
		return emit(Unit{Line: lines.at(off), Raw: rest, Err: fmt.Errorf("not JSON: %s", describe(err))})
	}
	if off := skipSpace(data, int(dec.InputOffset())); off < len(data) {
		return emit(Unit{Line: lines.at(off), Raw: bytes.TrimSpace(data[off:]), Err: errors.New("content after the end of the JSON array")})
	}
	return nil
}

func skipSpace(data []byte, i int) int {
	for i < len(data) && (data[i] == ' ' || data[i] == '\t' || data[i] == '\r' || data[i] == '\n') {
		i++
	}
	return i
}

func describe(err error) string {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return se.Error()
	}
	return err.Error()
}

// lineCounter turns byte offsets, asked in increasing order, into 1-based
// line numbers.
type lineCounter struct {
	data []byte
	off  int
	line int
}

func (c *lineCounter) at(off int) int {
	if off > len(c.data) {
		off = len(c.data)
	}
	if off > c.off {
		c.line += bytes.Count(c.data[c.off:off], []byte{'\n'})
		c.off = off
	}
	return c.line
}
