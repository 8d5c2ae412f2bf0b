package ingest

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
)

// Unit is one candidate event cut from an input, with the line it starts
// on: a line of JSON Lines, an element of a JSON array or of a wrapper's
// array, a pretty-printed document, or the lines of one auditd event.
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

// split cuts an input in the native shape into units and sends them to
// emit in order. The shape is told by the first byte that is not white
// space: '[' is one JSON array, anything else JSON Lines. emit's error stops
// the split.
func split(r io.Reader, maxSize int, emit func(Unit) error) error {
	s := &jsonSplit{maxSize: maxSize, emit: emit}
	return s.run(r)
}

// SplitJSON cuts JSON input for a Format: JSON Lines, one JSON array, or
// one or more pretty-printed JSON documents one after the other (told by a
// first line that is not JSON on its own and is followed by an indented
// line). When wrapper is not empty, a unit that is an object with an array
// under that key (CloudTrail's {"Records":[...]}, a Kubernetes EventList's
// "items") is replaced by the array's elements, each with the line it
// starts on; the size limit applies to the elements, not to the wrapper.
// Every unit's Raw is the exact bytes of the input.
func SplitJSON(r io.Reader, maxSize int, wrapper string, emit func(Unit) error) error {
	s := &jsonSplit{maxSize: maxSize, emit: emit, documents: true}
	if wrapper != "" {
		s.wrapper = wrapper
		s.quotedWrapper = []byte(strconv.Quote(wrapper))
	}
	return s.run(r)
}

// jsonSplit is one split of a JSON input.
type jsonSplit struct {
	maxSize int
	emit    func(Unit) error
	// documents allows pretty-printed documents besides JSON Lines.
	documents     bool
	wrapper       string
	quotedWrapper []byte
}

func (s *jsonSplit) run(r io.Reader) error {
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
			return s.array(br, skipped)
		}
		if b[0] == '{' && s.documents {
			first, err := br.ReadBytes('\n')
			if err != nil && err != io.EOF {
				return err
			}
			if s.pretty(first, br) {
				return s.documentStream(br, first, skipped)
			}
			return s.lines(br, first, skipped)
		}
		return s.lines(br, nil, skipped)
	}
}

// pretty reports whether an input whose first line is first is
// pretty-printed JSON: the line is not JSON on its own and the next one is
// indented (JSON Lines never are).
func (s *jsonSplit) pretty(first []byte, br *bufio.Reader) bool {
	if json.Valid(bytes.TrimSpace(first)) {
		return false
	}
	if bytes.Equal(bytes.TrimSpace(first), []byte("{")) {
		return true
	}
	next, _ := br.Peek(1)
	return len(next) == 1 && (next[0] == ' ' || next[0] == '\t')
}

// unit passes one candidate event on: the elements of a wrapper, or the
// unit itself, each checked against the size limit.
func (s *jsonSplit) unit(line int, raw []byte) error {
	if s.wrapper != "" && bytes.Contains(raw, s.quotedWrapper) {
		spans, found, err := arrayField(raw, s.wrapper)
		if err != nil {
			return s.emit(Unit{Line: line, Raw: raw, Err: fmt.Errorf("not JSON: %v", err)})
		}
		if found {
			lines := lineCounter{data: raw, line: line}
			for _, sp := range spans {
				if err := s.sized(lines.at(sp[0]), raw[sp[0]:sp[1]]); err != nil {
					return err
				}
			}
			return nil
		}
	}
	return s.sized(line, raw)
}

func (s *jsonSplit) sized(line int, raw []byte) error {
	u := Unit{Line: line, Raw: raw}
	if len(raw) > s.maxSize {
		u.Err = fmt.Errorf("event is %d bytes, larger than the limit of %d", len(raw), s.maxSize)
	}
	return s.emit(u)
}

// lines cuts JSON Lines; skipped lines of white space came before, and
// first, when not nil, is the first line, already read.
func (s *jsonSplit) lines(br *bufio.Reader, first []byte, skipped int) error {
	line := skipped
	for {
		var data []byte
		var err error
		if first != nil {
			data, first = first, nil
			if !bytes.HasSuffix(data, []byte{'\n'}) {
				err = io.EOF
			}
		} else {
			data, err = br.ReadBytes('\n')
		}
		if len(data) == 0 && err == io.EOF {
			return nil
		}
		if err != nil && err != io.EOF {
			return err
		}
		line++
		trimmed := bytes.TrimRight(data, "\r\n")
		if len(bytes.TrimSpace(trimmed)) > 0 {
			if err := s.unit(line, trimmed); err != nil {
				return err
			}
		}
		if err == io.EOF {
			return nil
		}
	}
}

// array cuts the elements of one JSON array, read whole. When the array
// breaks off, the rest of the input becomes one rejected unit, so that
// nothing is lost.
func (s *jsonSplit) array(br *bufio.Reader, skipped int) error {
	data, err := io.ReadAll(br)
	if err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	lines := lineCounter{data: data, line: skipped + 1}
	if _, err := dec.Token(); err != nil { // the opening '['
		return s.emit(Unit{Line: 1, Raw: data, Err: fmt.Errorf("not a JSON array: %w", err)})
	}
	for dec.More() {
		start := skipSpace(data, int(dec.InputOffset()))
		if start < len(data) && data[start] == ',' {
			start = skipSpace(data, start+1)
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			rest := bytes.TrimSpace(data[start:])
			return s.emit(Unit{Line: lines.at(start), Raw: rest,
				Err: fmt.Errorf("not JSON: %s; the rest of the array (%d bytes) is rejected whole", describe(err), len(rest))})
		}
		end := int(dec.InputOffset())
		if err := s.unit(lines.at(start), data[start:end]); err != nil {
			return err
		}
	}
	if _, err := dec.Token(); err != nil { // the closing ']'
		off := skipSpace(data, int(dec.InputOffset()))
		rest := bytes.TrimSpace(data[off:])
		if len(rest) == 0 {
			return s.emit(Unit{Line: lines.at(len(data)), Raw: nil, Err: errors.New("the JSON array is not closed")})
		}
		return s.emit(Unit{Line: lines.at(off), Raw: rest, Err: fmt.Errorf("not JSON: %s", describe(err))})
	}
	if off := skipSpace(data, int(dec.InputOffset())); off < len(data) {
		return s.emit(Unit{Line: lines.at(off), Raw: bytes.TrimSpace(data[off:]), Err: errors.New("content after the end of the JSON array")})
	}
	return nil
}

// documentStream cuts pretty-printed JSON documents that follow each
// other, read whole; first is the first line, already read. When a document
// breaks off, the rest of the input becomes one rejected unit.
func (s *jsonSplit) documentStream(br *bufio.Reader, first []byte, skipped int) error {
	rest, err := io.ReadAll(br)
	if err != nil {
		return err
	}
	data := append(first, rest...)
	dec := json.NewDecoder(bytes.NewReader(data))
	lines := lineCounter{data: data, line: skipped + 1}
	for {
		start := skipSpace(data, int(dec.InputOffset()))
		if start >= len(data) {
			return nil
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			tail := bytes.TrimSpace(data[start:])
			return s.emit(Unit{Line: lines.at(start), Raw: tail,
				Err: fmt.Errorf("not JSON: %s; the rest of the input (%d bytes) is rejected whole", describe(err), len(tail))})
		}
		end := int(dec.InputOffset())
		if err := s.unit(lines.at(start), data[start:end]); err != nil {
			return err
		}
	}
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
