package server

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/go-json-experiment/json/jsontext"

	"github.com/vigil-dev/vigil/event"
	"github.com/vigil-dev/vigil/ingest"
)

// Formats of the records of events received over HEC: "hec" records hold
// the whole JSON envelope as received, "hec-raw" records one line of a raw
// body.
const (
	FormatHEC    = "hec"
	FormatHECRaw = "hec-raw"
)

// Event types of HEC events that are neither native events nor in an
// ingest format, when the envelope (or the raw request) names no
// sourcetype.
const (
	TypeHECEvent = "hec.event"
	TypeHECRaw   = "hec.raw"
)

// hecStatus is one of the status codes the Splunk HTTP Event Collector
// documents, with its HTTP status and text.
type hecStatus struct {
	code int
	http int
	text string
}

// The documented HEC statuses vigil answers with.
var (
	hecSuccess         = hecStatus{0, http.StatusOK, "Success"}
	hecTokenRequired   = hecStatus{2, http.StatusUnauthorized, "Token is required"}
	hecInvalidAuth     = hecStatus{3, http.StatusUnauthorized, "Invalid authorization"}
	hecInvalidToken    = hecStatus{4, http.StatusForbidden, "Invalid token"}
	hecNoData          = hecStatus{5, http.StatusBadRequest, "No data"}
	hecInvalidFormat   = hecStatus{6, http.StatusBadRequest, "Invalid data format"}
	hecInternalError   = hecStatus{8, http.StatusInternalServerError, "Internal server error"}
	hecBusy            = hecStatus{9, http.StatusServiceUnavailable, "Server is busy"}
	hecEventRequired   = hecStatus{12, http.StatusBadRequest, "Event field is required"}
	hecEventBlank      = hecStatus{13, http.StatusBadRequest, "Event field cannot be blank"}
	hecAckDisabled     = hecStatus{14, http.StatusBadRequest, "ACK is disabled"}
	hecIndexedFields   = hecStatus{15, http.StatusBadRequest, "Error in handling indexed fields"}
	hecQueryStringAuth = hecStatus{16, http.StatusBadRequest, "Query string authorization is not enabled"}
	hecHealthy         = hecStatus{17, http.StatusOK, "HEC is healthy"}
	hecUnhealthy       = hecStatus{18, http.StatusServiceUnavailable, "HEC is unhealthy, queues are full"}
)

// HECResponse is the body of every HEC response, as Splunk writes it.
type HECResponse struct {
	Text string `json:"text"`
	Code int    `json:"code"`
	// InvalidEventNumber is the zero-based position of the first invalid
	// event of the body.
	InvalidEventNumber *int `json:"invalid-event-number,omitempty"`
}

func (s *Server) hecReply(w http.ResponseWriter, in input, st hecStatus, invalid int) {
	resp := HECResponse{Text: st.text, Code: st.code}
	if invalid >= 0 {
		resp.InvalidEventNumber = &invalid
	}
	if st.http == http.StatusServiceUnavailable {
		w.Header().Set("Retry-After", "1")
	}
	s.reply(w, in, st.http, resp)
}

// hecToken reads the token of an HEC request: "Authorization: Splunk
// TOKEN" (also Bearer, and Basic with the token as the password, as Splunk
// allows). Tokens in the query string are refused, as Splunk does unless
// told otherwise.
func hecToken(r *http.Request) (string, *hecStatus) {
	h := strings.TrimSpace(r.Header.Get("Authorization"))
	if h == "" {
		if r.URL.Query().Has("token") {
			return "", &hecQueryStringAuth
		}
		return "", &hecTokenRequired
	}
	scheme, rest, _ := strings.Cut(h, " ")
	rest = strings.TrimSpace(rest)
	switch strings.ToLower(scheme) {
	case "splunk", "bearer":
		if rest != "" {
			return rest, nil
		}
	case "basic":
		if dec, err := base64.StdEncoding.DecodeString(rest); err == nil {
			if _, pass, ok := strings.Cut(string(dec), ":"); ok && pass != "" {
				return pass, nil
			}
		}
	}
	return "", &hecInvalidAuth
}

// hecBegin runs what every HEC ingest request starts with: method, token,
// a slot and the body. It answers the request itself when it returns
// nil.
func (s *Server) hecBegin(w http.ResponseWriter, r *http.Request, in input) (*bytes.Buffer, func()) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", "POST")
		s.reply(w, in, http.StatusMethodNotAllowed, map[string]string{"text": "Method not allowed; use POST"})
		return nil, nil
	}
	tok, bad := hecToken(r)
	if bad != nil {
		s.hecReply(w, in, *bad, -1)
		return nil, nil
	}
	if !s.checkToken(tok) {
		s.log.Warn("HEC request with a wrong token", "remote", remote(r), "path", r.URL.Path)
		s.hecReply(w, in, hecInvalidToken, -1)
		return nil, nil
	}
	if !s.acquire(r.Context()) {
		s.hecReply(w, in, hecBusy, -1)
		return nil, nil
	}
	body, err := s.readBody(w, r)
	if err != nil {
		s.release()
		var tl errTooLarge
		if errors.As(err, &tl) {
			s.reply(w, in, http.StatusRequestEntityTooLarge, map[string]string{"text": "Request entity too large: " + err.Error()})
			return nil, nil
		}
		s.hecReply(w, in, hecInvalidFormat, -1)
		return nil, nil
	}
	return body, func() { s.putBody(body); s.release() }
}

// hecFinish stores a batch and answers: the first invalid event's status
// when there was one (the valid events are stored all the same: vigil
// keeps what it can and hands the rest to OnReject), else success.
func (s *Server) hecFinish(w http.ResponseWriter, r *http.Request, b *batch, start time.Time, firstBad hecStatus, firstBadAt int) {
	if _, err := s.store(r.Context(), b, start); err != nil {
		s.log.Error("store HEC events", "remote", remote(r), "err", err)
		if errors.Is(err, errClosing) {
			s.hecReply(w, b.input, hecBusy, -1)
			return
		}
		s.hecReply(w, b.input, hecInternalError, -1)
		return
	}
	if firstBadAt >= 0 {
		s.hecReply(w, b.input, firstBad, firstBadAt)
		return
	}
	s.hecReply(w, b.input, hecSuccess, -1)
}

// handleHECEvent is POST /services/collector/event: JSON envelopes, one
// after the other ({"time":...,"event":...}{"time":...}), each one event.
// The envelope's event is read as a native event when it is an object
// with an event_type (the envelope's time fills a missing timestamp), as
// an event of an ingest format when one recognises it, and otherwise as an
// event of source "hec": the envelope's time (else the time of arrival),
// its sourcetype as the event type (else "hec.event"), the object's fields
// under details or the string as the message, and the envelope's host,
// source, sourcetype, index and fields under details.hec. Every record
// keeps the envelope verbatim.
func (s *Server) handleHECEvent(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	body, done := s.hecBegin(w, r, inputHEC)
	if body == nil {
		return
	}
	defer done()
	data := body.Bytes()
	if len(bytes.TrimSpace(data)) == 0 {
		s.hecReply(w, inputHEC, hecNoData, -1)
		return
	}
	b := &batch{input: inputHEC, source: "POST " + r.URL.Path + " from " + remote(r)}
	now := s.clock()
	firstBad, firstBadAt := hecStatus{}, -1
	bad := func(i int, st hecStatus) {
		if firstBadAt < 0 {
			firstBad, firstBadAt = st, i
		}
	}
	lines := lineCounter{data: data, line: 1}
	// Bytes that are not UTF-8 are kept (the record keeps them in base64)
	// rather than refused: a log line in Latin-1 is still evidence.
	d := jsontext.NewDecoder(bytes.NewReader(data), jsontext.AllowInvalidUTF8(true))
	for i := 0; ; i++ {
		at := skipSpace(data, int(d.InputOffset()))
		if at >= len(data) {
			break
		}
		line := lines.at(at)
		b.units++
		if _, err := d.ReadValue(); err != nil {
			rest := bytes.TrimSpace(data[at:])
			b.reject(line, rest, fmt.Sprintf("event %d is not JSON: %v; the rest of the body (%d bytes) is rejected whole", i, err, len(rest)))
			bad(i, hecInvalidFormat)
			break
		}
		raw := data[at:d.InputOffset()]
		if len(raw) > s.opts.MaxEventSize {
			b.reject(line, raw, fmt.Sprintf("event %d is %d bytes, larger than the limit of %d", i, len(raw), s.opts.MaxEventSize))
			bad(i, hecInvalidFormat)
			continue
		}
		env, st, reason := parseEnvelope(raw)
		if st != nil {
			b.reject(line, raw, fmt.Sprintf("event %d: %s", i, reason))
			bad(i, *st)
			continue
		}
		ev, err := s.hecEvent(env, now)
		if err != nil {
			b.reject(line, raw, fmt.Sprintf("event %d: %v", i, err))
			bad(i, hecInvalidFormat)
			continue
		}
		ev.Raw, ev.Format = raw, FormatHEC
		s.prepare(b, ev, line, raw)
	}
	s.hecFinish(w, r, b, start, firstBad, firstBadAt)
}

// envelope is one HEC event envelope.
type envelope struct {
	time                          time.Time
	hasTime                       bool
	host, source, sourcetype, idx string
	event                         jsontext.Value
	fields                        map[string]any
}

// meta is the envelope's metadata as details.hec holds it.
func (e *envelope) meta() map[string]any {
	m := map[string]any{}
	for k, v := range map[string]string{"host": e.host, "source": e.source, "sourcetype": e.sourcetype, "index": e.idx} {
		if v != "" {
			m[k] = v
		}
	}
	if len(e.fields) > 0 {
		m["fields"] = e.fields
	}
	return m
}

// parseEnvelope reads one envelope; on failure it returns the HEC status
// and a reason.
func parseEnvelope(raw []byte) (envelope, *hecStatus, string) {
	var env envelope
	if raw[0] != '{' {
		return env, &hecInvalidFormat, "not a JSON object"
	}
	d := jsontext.NewDecoder(bytes.NewReader(raw), jsontext.AllowInvalidUTF8(true))
	if _, err := d.ReadToken(); err != nil {
		return env, &hecInvalidFormat, err.Error()
	}
	hasEvent := false
	for d.PeekKind() != '}' {
		name, err := d.ReadToken()
		if err != nil {
			return env, &hecInvalidFormat, err.Error()
		}
		key := name.String()
		val, err := d.ReadValue()
		if err != nil {
			return env, &hecInvalidFormat, err.Error()
		}
		switch key {
		case "event":
			hasEvent = true
			env.event = val.Clone()
		case "time":
			switch val.Kind() {
			case 'n':
			case '0', '"':
				text := string(val)
				if val.Kind() == '"' {
					text, _ = unquote(val)
				}
				t, err := parseEpoch(text)
				if err != nil {
					return env, &hecInvalidFormat, err.Error()
				}
				env.time, env.hasTime = t, true
			default:
				return env, &hecInvalidFormat, "time: want epoch seconds"
			}
		case "host", "source", "sourcetype", "index":
			var text string
			switch val.Kind() {
			case 'n':
			case '"':
				text, _ = unquote(val)
			case '0', 't', 'f':
				text = string(val)
			default:
				return env, &hecInvalidFormat, key + ": want a string"
			}
			switch key {
			case "host":
				env.host = text
			case "source":
				env.source = text
			case "sourcetype":
				env.sourcetype = text
			case "index":
				env.idx = text
			}
		case "fields":
			switch val.Kind() {
			case 'n':
			case '{':
				m, err := event.ParseObject(val)
				if err != nil {
					return env, &hecIndexedFields, "fields: " + err.Error()
				}
				env.fields = m
			default:
				return env, &hecIndexedFields, "fields: want an object"
			}
		}
	}
	if !hasEvent {
		return env, &hecEventRequired, "no event field"
	}
	switch env.event.Kind() {
	case 'n':
		return env, &hecEventBlank, "the event field is null"
	case '"':
		if s, _ := unquote(env.event); strings.TrimSpace(s) == "" {
			return env, &hecEventBlank, "the event field is blank"
		}
	}
	return env, nil, ""
}

func unquote(v jsontext.Value) (string, error) {
	b, err := jsontext.AppendUnquote(nil, v)
	return string(b), err
}

// hecEvent maps an envelope's event to an event that is not yet
// normalised (its Raw and Format are set by the caller).
func (s *Server) hecEvent(env envelope, now time.Time) (*event.Event, error) {
	var details map[string]any
	var message string
	switch env.event.Kind() {
	case '{':
		obj := []byte(env.event)
		sn := ingest.SniffJSON(obj)
		if sn.Has("event_type") {
			if !sn.Has("timestamp") && env.hasTime {
				obj = withTimestamp(obj, env.time)
			}
			return event.Decode(obj)
		}
		if f := ingest.Detect(s.opts.Formats, obj); f.Name() != event.FormatNative {
			if ev, err := f.Map(ingest.Unit{Line: 1, Raw: obj}); err == nil {
				return ev, nil
			}
		}
		m, err := event.ParseObject(obj)
		if err != nil {
			return nil, err
		}
		details = m
		for _, k := range []string{"message", "msg", "log"} {
			if v, ok := m[k].(string); ok {
				message = v
				break
			}
		}
	case '"':
		text, _ := unquote(env.event)
		if t := strings.TrimSpace(text); strings.HasPrefix(t, "{") {
			if ev, err := event.Decode([]byte(t)); err == nil {
				return ev, nil
			}
		}
		message = text
	default:
		// A number, a boolean or an array: kept as its JSON text.
		message = string(env.event)
	}
	return s.genericEvent(env, details, message, TypeHECEvent, now), nil
}

// genericEvent is an event of source "hec" from what an envelope (or a raw
// request) says.
func (s *Server) genericEvent(env envelope, details map[string]any, message, defaultType string, now time.Time) *event.Event {
	ev := &event.Event{Time: now.UTC(), Type: defaultType, Source: "hec", Message: message, Details: details}
	if env.hasTime {
		ev.Time = env.time
	}
	if strings.TrimSpace(env.sourcetype) != "" {
		ev.Type = env.sourcetype
	}
	if meta := env.meta(); len(meta) > 0 {
		if ev.Details == nil {
			ev.Details = map[string]any{}
		}
		key := "hec"
		if _, taken := ev.Details[key]; taken {
			key = "_hec"
		}
		ev.Details[key] = meta
	}
	return ev
}

// withTimestamp returns a JSON object with a "timestamp" key added first.
func withTimestamp(obj []byte, t time.Time) []byte {
	obj = bytes.TrimSpace(obj)
	out := make([]byte, 0, len(obj)+48)
	out = append(out, `{"timestamp":"`...)
	out = t.UTC().AppendFormat(out, time.RFC3339Nano)
	out = append(out, '"')
	if rest := bytes.TrimSpace(obj[1:]); len(rest) > 0 && rest[0] != '}' {
		out = append(out, ',')
	}
	return append(out, obj[1:]...)
}

// handleHECRaw is POST /services/collector/raw: a body in one of the
// ingest formats (detected) is read in it; any other body is read line by
// line, a line that is a native event as that event and any other line as
// an event of source "hec" with the line as its message. The query
// parameters host, source, sourcetype, index and time (epoch seconds) play
// the part of an envelope.
func (s *Server) handleHECRaw(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	body, done := s.hecBegin(w, r, inputHEC)
	if body == nil {
		return
	}
	defer done()
	data := body.Bytes()
	if len(bytes.TrimSpace(data)) == 0 {
		s.hecReply(w, inputHEC, hecNoData, -1)
		return
	}
	q := r.URL.Query()
	env := envelope{host: q.Get("host"), source: q.Get("source"), sourcetype: q.Get("sourcetype"), idx: q.Get("index")}
	if ts := q.Get("time"); ts != "" {
		t, err := parseEpoch(ts)
		if err != nil {
			s.hecReply(w, inputHEC, hecInvalidFormat, -1)
			return
		}
		env.time, env.hasTime = t, true
	}
	b := &batch{input: inputHEC, source: "POST " + r.URL.Path + " from " + remote(r)}
	firstBadAt := -1
	head := data[:min(len(data), ingest.DetectSize)]
	if f := ingest.Detect(s.opts.Formats, head); f.Name() != event.FormatNative {
		if _, err := s.decodeBody(b, data, f.Name()); err != nil {
			s.hecReply(w, inputHEC, hecInvalidFormat, -1)
			return
		}
	} else {
		s.rawLines(b, data, env, s.clock(), &firstBadAt)
	}
	if firstBadAt < 0 && len(b.rejects) > 0 {
		firstBadAt = 0 // an ingest format does not say which unit came first
	}
	s.hecFinish(w, r, b, start, hecInvalidFormat, firstBadAt)
}

// rawLines reads a raw body line by line.
func (s *Server) rawLines(b *batch, data []byte, env envelope, now time.Time, firstBadAt *int) {
	var dec event.Decoder
	line := 0
	for len(data) > 0 {
		line++
		var l []byte
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			l, data = data[:i], data[i+1:]
		} else {
			l, data = data, nil
		}
		l = bytes.TrimRight(l, "\r")
		if len(bytes.TrimSpace(l)) == 0 {
			continue
		}
		b.units++
		if len(l) > s.opts.MaxEventSize {
			b.reject(line, l, fmt.Sprintf("line is %d bytes, larger than the limit of %d", len(l), s.opts.MaxEventSize))
			if *firstBadAt < 0 {
				*firstBadAt = b.units - 1
			}
			continue
		}
		if t := bytes.TrimSpace(l); t[0] == '{' {
			if ev, err := dec.Decode(l); err == nil {
				s.prepare(b, ev, line, l)
				continue
			}
		}
		ev := s.genericEvent(env, nil, string(l), TypeHECRaw, now)
		ev.Raw, ev.Format = l, FormatHECRaw
		s.prepare(b, ev, line, l)
	}
}

func (s *Server) handleHECHealth(w http.ResponseWriter, r *http.Request) {
	if s.closing.Load() || len(s.slots) == cap(s.slots) {
		s.hecReply(w, inputHEC, hecUnhealthy, -1)
		return
	}
	s.hecReply(w, inputHEC, hecHealthy, -1)
}

// handleHECAck answers that acknowledgements are disabled: a 200 from
// vigil already means the events are durable.
func (s *Server) handleHECAck(w http.ResponseWriter, r *http.Request) {
	tok, bad := hecToken(r)
	if bad != nil {
		s.hecReply(w, inputHEC, *bad, -1)
		return
	}
	if !s.checkToken(tok) {
		s.hecReply(w, inputHEC, hecInvalidToken, -1)
		return
	}
	s.hecReply(w, inputHEC, hecAckDisabled, -1)
}

func skipSpace(data []byte, i int) int {
	for i < len(data) && (data[i] == ' ' || data[i] == '\t' || data[i] == '\r' || data[i] == '\n') {
		i++
	}
	return i
}

// lineCounter turns byte offsets, asked in increasing order, into 1-based
// line numbers.
type lineCounter struct {
	data []byte
	off  int
	line int
}

func (c *lineCounter) at(off int) int {
	off = min(off, len(c.data))
	if off > c.off {
		c.line += bytes.Count(c.data[c.off:off], []byte{'\n'})
		c.off = off
	}
	return c.line
}
