package syslog

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
)

// Framing is how messages are delimited on a TCP stream (RFC 6587).
type Framing int

// The framings of RFC 6587.
const (
	// FramingUnknown: nothing has been read yet.
	FramingUnknown Framing = iota
	// OctetCounting: "MSG-LEN SP SYSLOG-MSG", MSG-LEN counting bytes.
	OctetCounting
	// NonTransparent: each message ends at a line feed.
	NonTransparent
)

func (f Framing) String() string {
	switch f {
	case OctetCounting:
		return "octet-counting"
	case NonTransparent:
		return "lf"
	}
	return "unknown"
}

// maxLenDigits bounds the MSG-LEN of octet counting: a length of ten
// digits or more is not a length but a stream out of step.
const maxLenDigits = 9

// ErrFraming is returned (wrapped) when an octet-counted stream is out of
// step: what should be a MSG-LEN is not one. Nothing that follows can be
// trusted to start a message, so the connection should be closed.
var ErrFraming = errors.New("syslog framing")

// Frame is one message cut from a stream.
type Frame struct {
	// Data is the message, at most the scanner's size limit of it. It is
	// valid until the next call of Next.
	Data []byte
	// Size is the message's whole size in bytes.
	Size int
	// Truncated reports that the message was larger than the limit: Data
	// holds its first bytes, the rest was read and dropped.
	Truncated bool
}

// Scanner cuts a TCP stream into syslog messages. The framing is told by
// the stream's first byte that is not white space: a digit starts an
// octet-counted stream, anything else (normally "<") a stream framed by
// line feeds; it holds for the rest of the connection.
type Scanner struct {
	br      *bufio.Reader
	max     int
	framing Framing
	buf     []byte
}

// NewScanner returns a scanner that reads r and keeps at most maxSize
// bytes of a message.
func NewScanner(r io.Reader, maxSize int) *Scanner {
	if maxSize <= 0 {
		maxSize = 64 << 10
	}
	return &Scanner{br: bufio.NewReaderSize(r, 64<<10), max: maxSize}
}

// Framing is the stream's framing, once the first message is read.
func (s *Scanner) Framing() Framing { return s.framing }

// Next returns the next message. It returns io.EOF at the clean end of the
// stream; an error wrapping ErrFraming when an octet-counted stream is out
// of step; io.ErrUnexpectedEOF when the stream ends inside an octet-counted
// message (the part read is returned with it, so that nothing is lost);
// and any error of the reader.
func (s *Scanner) Next() (Frame, error) {
	if s.framing == FramingUnknown {
		c, err := s.skipSpace()
		if err != nil {
			return Frame{}, err
		}
		if c >= '0' && c <= '9' {
			s.framing = OctetCounting
		} else {
			s.framing = NonTransparent
		}
	}
	if s.framing == OctetCounting {
		return s.nextCounted()
	}
	return s.nextLine()
}

// skipSpace skips white space (blank lines, a line feed some senders put
// after an octet-counted message) and returns the next byte, unread.
func (s *Scanner) skipSpace() (byte, error) {
	for {
		c, err := s.br.ReadByte()
		if err != nil {
			return 0, err
		}
		if c != ' ' && c != '\n' && c != '\r' && c != '\t' && c != 0 {
			_ = s.br.UnreadByte()
			return c, nil
		}
	}
}

func (s *Scanner) nextCounted() (Frame, error) {
	if _, err := s.skipSpace(); err != nil {
		return Frame{}, err
	}
	n := 0
	digits := 0
	for {
		c, err := s.br.ReadByte()
		if err != nil {
			if err == io.EOF {
				return Frame{}, fmt.Errorf("%w: the stream ends inside a MSG-LEN", ErrFraming)
			}
			return Frame{}, err
		}
		if c == ' ' && digits > 0 {
			break
		}
		if c < '0' || c > '9' || (digits == 0 && c == '0') || digits == maxLenDigits {
			return Frame{}, fmt.Errorf("%w: octet counting: want a MSG-LEN followed by a space, got byte %q after %d digits", ErrFraming, c, digits)
		}
		n = n*10 + int(c-'0')
		digits++
	}
	keep := min(n, s.max)
	if cap(s.buf) < keep {
		s.buf = make([]byte, keep)
	}
	s.buf = s.buf[:keep]
	got, err := io.ReadFull(s.br, s.buf)
	if err != nil {
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			return Frame{Data: s.buf[:got], Size: got, Truncated: true}, io.ErrUnexpectedEOF
		}
		return Frame{}, err
	}
	f := Frame{Data: s.buf, Size: n}
	if n > keep {
		f.Truncated = true
		skipped, err := s.br.Discard(n - keep)
		if err != nil {
			f.Size = keep + skipped
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return f, err
		}
	}
	return f, nil
}

func (s *Scanner) nextLine() (Frame, error) {
	for {
		s.buf = s.buf[:0]
		size := 0 // bytes of the line, its terminator included
		terminated := false
		for {
			chunk, err := s.br.ReadSlice('\n')
			size += len(chunk)
			if room := s.max - len(s.buf); room > 0 {
				s.buf = append(s.buf, chunk[:min(len(chunk), room)]...)
			}
			if err == bufio.ErrBufferFull {
				continue
			}
			if err == io.EOF {
				if size == 0 {
					return Frame{}, io.EOF
				}
				break
			}
			if err != nil {
				return Frame{}, err
			}
			terminated = true
			break
		}
		data, content := s.buf, size
		if terminated {
			content--
			if len(data) > content {
				data = data[:content]
			}
		}
		if content > 0 && len(data) == content && data[content-1] == '\r' {
			data = data[:content-1]
			content--
		}
		if len(data) == content && len(bytes.TrimSpace(data)) == 0 {
			continue // a blank line
		}
		return Frame{Data: data, Size: content, Truncated: len(data) < content}, nil
	}
}
