// Package syslog reads syslog messages: it parses RFC 5424 and RFC 3164
// (BSD) messages into their header fields, cuts a TCP stream into messages
// with RFC 6587 octet counting or LF framing (told apart per connection),
// and maps a message to vigil's event.
//
// It is pure: it does no network I/O and keeps no state between calls, so
// that every part can be tested and fuzzed on bytes. The receivers that
// listen on UDP and TCP live in the server package.
package syslog

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"time"
)

// Format names the shape a message was parsed in.
type Format string

// The formats Parse tells apart.
const (
	RFC5424 Format = "rfc5424"
	RFC3164 Format = "rfc3164"
	// Unparsed is a message whose header could not be read: all of it
	// (after the PRI, when there is one) is the MSG.
	Unparsed Format = "unparsed"
)

// Message is one syslog message, parsed. Fields a message does not carry
// (or carries as the RFC 5424 nil value "-") are empty.
type Message struct {
	Format Format
	// Priority is the PRI value (facility*8 + severity), or -1 when the
	// message has none.
	Priority int
	// Timestamp is the time the header gives; zero when there is none.
	// RFC 3164 times carry no year and no zone: the year is the one that
	// puts the time nearest to the time of arrival, the zone the one
	// configured (see Options).
	Timestamp time.Time
	Hostname  string
	AppName   string // RFC 5424 APP-NAME, or the RFC 3164 TAG
	ProcID    string // RFC 5424 PROCID, or the RFC 3164 [pid]
	MsgID     string
	// StructuredData holds the RFC 5424 SD-ELEMENTs in order.
	StructuredData []Element
	// Msg is the free-form message, without the UTF-8 byte order mark
	// RFC 5424 allows in front of it.
	Msg []byte
	// ParseError says why the header could not be read, for Unparsed
	// messages (and for an RFC 5424 message whose structured data is
	// broken: its MSG is then the rest of the line).
	ParseError string
}

// Facility is the facility code of the PRI, or -1 without a PRI.
func (m *Message) Facility() int {
	if m.Priority < 0 {
		return -1
	}
	return m.Priority / 8
}

// Severity is the severity code of the PRI (0 emergency ... 7 debug), or
// -1 without a PRI.
func (m *Message) Severity() int {
	if m.Priority < 0 {
		return -1
	}
	return m.Priority % 8
}

// Element is one RFC 5424 SD-ELEMENT: an SD-ID and its parameters, in order.
type Element struct {
	ID     string
	Params []Param
}

// Param is one SD-PARAM, its value unescaped.
type Param struct {
	Name, Value string
}

// Options configure Parse.
type Options struct {
	// Location is the zone of RFC 3164 timestamps, which carry none;
	// time.Local when nil.
	Location *time.Location
	// Now is the time of arrival, used to choose the year of an RFC 3164
	// timestamp; required for such messages to get a time.
	Now time.Time
}

// Parse reads one syslog message (a UDP datagram or one TCP frame, without
// its framing). It never fails: a message whose header cannot be read is
// returned as Unparsed with everything after the PRI as its MSG and the
// reason in ParseError, so that nothing received is lost.
func Parse(b []byte, opts Options) Message {
	b = bytes.TrimRight(b, "\r\n\x00")
	m := Message{Priority: -1}
	rest := b
	if pri, n, ok := parsePRI(b); ok {
		m.Priority = pri
		rest = b[n:]
	} else if len(b) > 0 && b[0] == '<' {
		m.Format, m.Msg, m.ParseError = Unparsed, b, "invalid PRI"
		return m
	}
	if len(rest) >= 2 && rest[0] >= '1' && rest[0] <= '9' {
		// RFC 5424: a VERSION of one to three digits, then a space.
		i := 1
		for i < len(rest) && i < 3 && rest[i] >= '0' && rest[i] <= '9' {
			i++
		}
		if i < len(rest) && rest[i] == ' ' && m.Priority >= 0 {
			if err := parse5424(&m, rest[i+1:]); err != nil {
				m = Message{Format: Unparsed, Priority: m.Priority, Msg: rest, ParseError: err.Error()}
			}
			return m
		}
	}
	parse3164(&m, rest, opts)
	return m
}

// parsePRI reads "<N>" with N in 0..191 written without leading zeros
// (but "<0>").
func parsePRI(b []byte) (pri, n int, ok bool) {
	if len(b) < 3 || b[0] != '<' {
		return 0, 0, false
	}
	i := 1
	for i < len(b) && i <= 4 && b[i] >= '0' && b[i] <= '9' {
		pri = pri*10 + int(b[i]-'0')
		i++
	}
	digits := i - 1
	if digits == 0 || digits > 3 || i >= len(b) || b[i] != '>' || pri > 191 || (digits > 1 && b[1] == '0') {
		return 0, 0, false
	}
	return pri, i + 1, true
}

// parse5424 reads what follows "<PRI>1 ".
func parse5424(m *Message, b []byte) error {
	m.Format = RFC5424
	fields := [5]string{}
	names := [5]string{"TIMESTAMP", "HOSTNAME", "APP-NAME", "PROCID", "MSGID"}
	limits := [5]int{64, 255, 48, 128, 32}
	for i := range fields {
		j := bytes.IndexByte(b, ' ')
		if j < 0 {
			return fmt.Errorf("RFC 5424 header ends before %s", names[min(i+1, 4)])
		}
		tok := b[:j]
		if len(tok) == 0 {
			return fmt.Errorf("RFC 5424 %s is empty", names[i])
		}
		if len(tok) > limits[i] {
			return fmt.Errorf("RFC 5424 %s is longer than %d characters", names[i], limits[i])
		}
		if !printASCII(tok) {
			return fmt.Errorf("RFC 5424 %s holds characters other than printable ASCII", names[i])
		}
		if string(tok) != "-" {
			fields[i] = string(tok)
		}
		b = b[j+1:]
	}
	if fields[0] != "" {
		t, err := time.Parse(time.RFC3339Nano, fields[0])
		if err != nil {
			return fmt.Errorf("RFC 5424 TIMESTAMP %q is not RFC 3339", fields[0])
		}
		m.Timestamp = t
	}
	m.Hostname, m.AppName, m.ProcID, m.MsgID = fields[1], fields[2], fields[3], fields[4]
	rest, err := parseSD(m, b)
	if err != nil {
		// Keep the header; what follows it is the message as received.
		m.StructuredData = nil
		m.ParseError = err.Error()
		m.Msg = b
		return nil
	}
	if len(rest) > 0 {
		if rest[0] != ' ' {
			m.StructuredData = nil
			m.ParseError = "RFC 5424 STRUCTURED-DATA is not followed by a space"
			m.Msg = b
			return nil
		}
		rest = rest[1:]
	}
	m.Msg = bytes.TrimPrefix(rest, []byte("\xEF\xBB\xBF"))
	return nil
}

func printASCII(b []byte) bool {
	for _, c := range b {
		if c < 33 || c > 126 {
			return false
		}
	}
	return true
}

// parseSD reads STRUCTURED-DATA ("-" or SD-ELEMENTs) and returns what
// follows it.
func parseSD(m *Message, b []byte) ([]byte, error) {
	if len(b) == 0 {
		return nil, errors.New("RFC 5424 STRUCTURED-DATA is missing")
	}
	if b[0] == '-' {
		return b[1:], nil
	}
	if b[0] != '[' {
		return nil, errors.New("RFC 5424 STRUCTURED-DATA is neither \"-\" nor an element")
	}
	for len(b) > 0 && b[0] == '[' {
		var el Element
		i := 1
		j := i
		for j < len(b) && b[j] != ' ' && b[j] != ']' && b[j] != '=' && b[j] != '"' {
			j++
		}
		if j == i || j >= len(b) || !printASCII(b[i:j]) {
			return nil, errors.New("RFC 5424 SD-ID is missing or invalid")
		}
		el.ID = string(b[i:j])
		i = j
		for {
			if i >= len(b) {
				return nil, fmt.Errorf("RFC 5424 element %s is not closed", el.ID)
			}
			if b[i] == ']' {
				i++
				break
			}
			if b[i] != ' ' {
				return nil, fmt.Errorf("RFC 5424 element %s: want a space before a parameter", el.ID)
			}
			i++
			j = i
			for j < len(b) && b[j] != '=' && b[j] != ' ' && b[j] != ']' && b[j] != '"' {
				j++
			}
			if j == i || j+1 >= len(b) || b[j] != '=' || b[j+1] != '"' || !printASCII(b[i:j]) {
				return nil, fmt.Errorf("RFC 5424 element %s: a parameter is not NAME=\"VALUE\"", el.ID)
			}
			name := string(b[i:j])
			i = j + 2
			var val []byte
			closed := false
			for i < len(b) {
				c := b[i]
				if c == '\\' && i+1 < len(b) && (b[i+1] == '"' || b[i+1] == '\\' || b[i+1] == ']') {
					val = append(val, b[i+1])
					i += 2
					continue
				}
				if c == '"' {
					closed = true
					i++
					break
				}
				val = append(val, c)
				i++
			}
			if !closed {
				return nil, fmt.Errorf("RFC 5424 element %s: the value of %s is not closed", el.ID, name)
			}
			el.Params = append(el.Params, Param{Name: name, Value: string(val)})
		}
		m.StructuredData = append(m.StructuredData, el)
		b = b[i:]
	}
	return b, nil
}

var months = map[string]time.Month{
	"Jan": time.January, "Feb": time.February, "Mar": time.March, "Apr": time.April,
	"May": time.May, "Jun": time.June, "Jul": time.July, "Aug": time.August,
	"Sep": time.September, "Oct": time.October, "Nov": time.November, "Dec": time.December,
}

// parse3164 reads what follows the PRI of a BSD message: an optional
// timestamp ("Mmm dd hh:mm:ss", also with a fraction or a year, or RFC
// 3339), a hostname, a TAG with an optional [PID], and the content. A
// message without a timestamp is kept whole as the MSG.
func parse3164(m *Message, b []byte, opts Options) {
	m.Format = RFC3164
	rest, ok := parse3164Time(m, b, opts)
	if !ok {
		m.Format = Unparsed
		m.Msg = b
		m.ParseError = "no RFC 5424 header and no RFC 3164 timestamp"
		if m.Priority < 0 {
			m.ParseError = "no PRI, no RFC 5424 header and no RFC 3164 timestamp"
		}
		parseTag(m, b)
		return
	}
	// HOSTNAME, unless the next word is already the TAG (messages written
	// to a local socket carry no hostname).
	if j := bytes.IndexByte(rest, ' '); j > 0 {
		word := rest[:j]
		if !bytes.HasSuffix(word, []byte(":")) && !bytes.ContainsAny(word, "[]") && printASCII(word) {
			m.Hostname = string(word)
			rest = rest[j+1:]
		}
	} else if len(rest) > 0 && !bytes.HasSuffix(rest, []byte(":")) && printASCII(rest) {
		m.Hostname = string(rest)
		rest = nil
	}
	parseTag(m, rest)
}

// parseTag reads "TAG: " or "TAG[PID]: " at the start of b, when there;
// the rest is the MSG.
func parseTag(m *Message, b []byte) {
	m.Msg = b
	i := 0
	for i < len(b) && i <= 48 && b[i] != '[' && b[i] != ':' && b[i] != ' ' && b[i] > 32 && b[i] < 127 {
		i++
	}
	if i == 0 || i > 48 || i >= len(b) {
		return
	}
	tag := b[:i]
	var pid []byte
	j := i
	if b[j] == '[' {
		k := bytes.IndexByte(b[j:], ']')
		if k < 0 || k > 129 {
			return
		}
		pid = b[j+1 : j+k]
		j += k + 1
	}
	if j >= len(b) || b[j] != ':' {
		return
	}
	j++
	if j < len(b) && b[j] == ' ' {
		j++
	}
	m.AppName, m.ProcID, m.Msg = string(tag), string(pid), b[j:]
}

// parse3164Time reads the timestamp at the start of b and returns the rest
// after the space that follows it.
func parse3164Time(m *Message, b []byte, opts Options) ([]byte, bool) {
	// RFC 3339, as rsyslog's high-precision templates write it.
	if len(b) >= 20 && b[4] == '-' && b[7] == '-' && (b[10] == 'T' || b[10] == 't') {
		j := bytes.IndexByte(b, ' ')
		if j < 0 {
			j = len(b)
		}
		t, err := time.Parse(time.RFC3339Nano, string(b[:j]))
		if err != nil {
			return nil, false
		}
		m.Timestamp = t
		return b[min(j+1, len(b)):], true
	}
	// "Mmm dd hh:mm:ss", the day padded with a space; optionally with a
	// fraction (".000") or a year ("Mmm dd yyyy hh:mm:ss").
	if len(b) < 15 {
		return nil, false
	}
	mon, ok := months[string(b[:3])]
	if !ok || b[3] != ' ' {
		return nil, false
	}
	day, ok := digits(b[4:6], true)
	if !ok || day < 1 || day > 31 || b[6] != ' ' {
		return nil, false
	}
	i := 7
	year := -1
	if len(b) >= i+5 && b[i+4] == ' ' {
		if y, ok := digits(b[i:i+4], false); ok {
			year = y
			i += 5
		}
	}
	if len(b) < i+8 || b[i+2] != ':' || b[i+5] != ':' {
		return nil, false
	}
	hh, ok1 := digits(b[i:i+2], false)
	mm, ok2 := digits(b[i+3:i+5], false)
	ss, ok3 := digits(b[i+6:i+8], false)
	if !ok1 || !ok2 || !ok3 || hh > 23 || mm > 59 || ss > 60 {
		return nil, false
	}
	i += 8
	nsec := 0
	if i < len(b) && b[i] == '.' {
		j := i + 1
		for j < len(b) && j-i <= 9 && b[j] >= '0' && b[j] <= '9' {
			j++
		}
		if j > i+1 {
			frac := string(b[i+1:j]) + "000000000"
			nsec, _ = strconv.Atoi(frac[:9])
			i = j
		}
	}
	if i < len(b) && b[i] != ' ' {
		return nil, false
	}
	loc := opts.Location
	if loc == nil {
		loc = time.Local
	}
	if year < 0 {
		if opts.Now.IsZero() {
			// No time of arrival to choose a year by.
			return b[min(i+1, len(b)):], true
		}
		year = nearestYear(opts.Now.In(loc), mon, day, hh, mm, ss, loc)
	}
	t := time.Date(year, mon, day, hh, mm, ss, nsec, loc)
	if t.Day() != day { // Feb 30 and the like
		return nil, false
	}
	m.Timestamp = t
	return b[min(i+1, len(b)):], true
}

// nearestYear picks the year that puts the date nearest to now: a message
// from Dec 31 received on Jan 1 is from last year.
func nearestYear(now time.Time, mon time.Month, day, hh, mm, ss int, loc *time.Location) int {
	best, bestDiff := now.Year(), time.Duration(1<<62)
	for _, y := range []int{now.Year() - 1, now.Year(), now.Year() + 1} {
		t := time.Date(y, mon, day, hh, mm, ss, 0, loc)
		if t.Day() != day {
			continue // Feb 29 of a year without it
		}
		d := t.Sub(now)
		if d < 0 {
			d = -d
		}
		if d < bestDiff {
			best, bestDiff = y, d
		}
	}
	return best
}

// digits reads a small decimal number; a leading space stands for a zero
// when space is true (the day of an RFC 3164 timestamp).
func digits(b []byte, space bool) (int, bool) {
	n := 0
	for i, c := range b {
		switch {
		case c >= '0' && c <= '9':
			n = n*10 + int(c-'0')
		case c == ' ' && space && i == 0:
		default:
			return 0, false
		}
	}
	return n, true
}
