package event

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/go-json-experiment/json/jsontext"
)

// A record is the byte string the store keeps for one event and that the
// hash chain covers (chain-format.md): one UTF-8 JSON object with what vigil
// derived (seq, time received, id, time, category, severity, outcome,
// message, source), the canonical mapping for events of an imported format,
// and the event exactly as received:
//
//	{"seq":7,"received":"...","format":"native","id":"evt_1","time":"...",
//	 "category":"authentication","severity":"low","outcome":"failure",
//	 "message":"...","raw":{...the received object, byte for byte...}}
//
// "raw" holds the received bytes verbatim when they are a UTF-8 JSON value;
// other input (a syslog line) is kept as the JSON string "raw_text", and bytes
// that are not UTF-8 as "raw_base64".
type recordHeader struct {
	Seq      uint64          `json:"seq"`
	Received string          `json:"received"`
	Format   string          `json:"format"`
	ID       string          `json:"id"`
	Time     string          `json:"time"`
	Category string          `json:"category"`
	Severity string          `json:"severity"`
	Outcome  string          `json:"outcome"`
	Message  string          `json:"message,omitempty"`
	Source   string          `json:"source,omitempty"`
	Mapped   json.RawMessage `json:"mapped,omitempty"`
}

type recordFull struct {
	recordHeader
	Raw       json.RawMessage `json:"raw,omitempty"`
	RawText   *string         `json:"raw_text,omitempty"`
	RawBase64 string          `json:"raw_base64,omitempty"`
}

// EncodeRecord returns the record of a normalised event stored at seq and
// received at the given time.
func EncodeRecord(ev *Event, seq uint64, received time.Time) ([]byte, error) {
	body, err := RecordBody(ev, received)
	if err != nil {
		return nil, fmt.Errorf("encode record %d: %w", seq, err)
	}
	return RecordWithSeq(seq, body), nil
}

// RecordBody is the record of an event without its seq: what follows
// `{"seq":N,` in EncodeRecord's output. It lets the costly part of a record
// be built before the seq is known; RecordWithSeq completes it.
func RecordBody(ev *Event, received time.Time) ([]byte, error) {
	format := ev.Format
	if format == "" {
		format = FormatNative
	}
	var mapped []byte
	if format != FormatNative {
		var err error
		if mapped, err = MarshalNative(ev); err != nil {
			return nil, err
		}
	}
	raw := bytes.TrimSpace(ev.Raw)
	// Written by hand in the order of recordHeader: this runs once per
	// event stored, and reflection would double its cost.
	buf := make([]byte, 0, 256+len(ev.Message)+len(mapped)+len(raw)+len(raw)/3)
	buf = append(buf, `"received":"`...)
	buf = received.UTC().AppendFormat(buf, time.RFC3339Nano)
	buf = append(buf, `","format":`...)
	buf, _ = jsontext.AppendQuote(buf, format)
	buf = append(buf, `,"id":`...)
	buf, _ = jsontext.AppendQuote(buf, ev.ID)
	buf = append(buf, `,"time":"`...)
	buf = ev.Time.UTC().AppendFormat(buf, time.RFC3339Nano)
	buf = append(buf, `","category":`...)
	buf, _ = jsontext.AppendQuote(buf, ev.Category)
	buf = append(buf, `,"severity":`...)
	buf, _ = jsontext.AppendQuote(buf, ev.Severity)
	buf = append(buf, `,"outcome":`...)
	buf, _ = jsontext.AppendQuote(buf, ev.Outcome)
	if ev.Message != "" {
		buf = append(buf, `,"message":`...)
		buf, _ = jsontext.AppendQuote(buf, ev.Message)
	}
	if ev.Source != "" {
		buf = append(buf, `,"source":`...)
		buf, _ = jsontext.AppendQuote(buf, ev.Source)
	}
	if mapped != nil {
		buf = append(buf, `,"mapped":`...)
		buf = append(buf, mapped...)
	}
	switch {
	case utf8.Valid(raw) && (ev.rawIsJSON() || json.Valid(raw)):
		buf = append(buf, `,"raw":`...)
		buf = append(buf, raw...)
	case utf8.Valid(raw):
		buf = append(buf, `,"raw_text":`...)
		buf, _ = jsontext.AppendQuote(buf, raw)
	default:
		buf = append(buf, `,"raw_base64":"`...)
		buf = base64.StdEncoding.AppendEncode(buf, raw)
		buf = append(buf, '"')
	}
	buf = append(buf, '}')
	return buf, nil
}

// RecordWithSeq completes a record body made by RecordBody with its seq.
func RecordWithSeq(seq uint64, body []byte) []byte {
	rec := make([]byte, 0, len(body)+28)
	rec = append(rec, `{"seq":`...)
	rec = strconv.AppendUint(rec, seq, 10)
	rec = append(rec, ',')
	return append(rec, body...)
}

// DecodeRecord rebuilds the event from a stored record: the received event is
// decoded again (or, for an imported format, its stored canonical mapping),
// and the stored derived fields are laid over it, so that what was derived at
// ingest is what every reader sees even after the catalogue changes.
func DecodeRecord(rec []byte) (*Event, error) {
	r, err := readRecord(rec)
	if err != nil {
		return nil, fmt.Errorf("decode record: %w", err)
	}
	var raw []byte
	switch {
	case r.Raw != nil:
		raw = r.Raw
	case r.RawText != nil:
		raw = []byte(*r.RawText)
	case r.RawBase64 != "":
		b, err := base64.StdEncoding.DecodeString(r.RawBase64)
		if err != nil {
			return nil, fmt.Errorf("decode record %d: raw_base64: %w", r.Seq, err)
		}
		raw = b
	}
	src := raw
	if r.Format != FormatNative {
		src = r.Mapped
	}
	dec := Decoder{stored: true}
	ev, err := dec.Decode(src)
	if err != nil {
		return nil, fmt.Errorf("decode record %d: %w", r.Seq, err)
	}
	ev.Raw = raw
	ev.Format = r.Format
	ev.Seq = r.Seq
	ev.ID = r.ID
	ev.Category, ev.Severity, ev.Outcome, ev.Message = r.Category, r.Severity, r.Outcome, r.Message
	if r.Source != "" { // Normalize may have filled it from the catalogue
		ev.Source = r.Source
	}
	if ev.Received, err = time.Parse(time.RFC3339Nano, r.Received); err != nil {
		return nil, fmt.Errorf("decode record %d: received: %w", r.Seq, err)
	}
	if ev.Time, err = time.Parse(time.RFC3339Nano, r.Time); err != nil {
		return nil, fmt.Errorf("decode record %d: time: %w", r.Seq, err)
	}
	return ev, nil
}

// readRecord reads a record's keys in one pass with jsontext: every
// reader of the store (searches, exports, the index, the live bus) decodes
// records, and encoding/json's reflection and separate validation cost
// about three times as much (BenchmarkDecodeRecord). Like encoding/json,
// it skips keys it does not know and lets a repeated key's last value win;
// unlike it, it matches key names exactly, as vigil writes them, and
// refuses null for seq and the string keys (vigil never writes null). The values of raw and mapped are copied out.
func readRecord(rec []byte) (recordFull, error) {
	var r recordFull
	d := jsontext.NewDecoder(bytes.NewBuffer(rec), jsontext.AllowDuplicateNames(true))
	if tok, err := d.ReadToken(); err != nil {
		return r, err
	} else if tok.Kind() != '{' {
		return r, fmt.Errorf("a record is a JSON object, not %v", tok.Kind())
	}
	for d.PeekKind() != '}' {
		name, err := d.ReadToken()
		if err != nil {
			return r, err
		}
		key := name.String()
		var str *string
		switch key {
		case "seq":
			tok, err := d.ReadToken()
			if err != nil {
				return r, err
			}
			if tok.Kind() != '0' {
				return r, fmt.Errorf("seq is %v, not a number", tok.Kind())
			}
			if r.Seq, err = strconv.ParseUint(tok.String(), 10, 64); err != nil {
				return r, fmt.Errorf("seq: %w", err)
			}
			continue
		case "raw", "mapped":
			v, err := d.ReadValue()
			if err != nil {
				return r, err
			}
			c := bytes.Clone(v)
			if key == "raw" {
				r.Raw = c
			} else {
				r.Mapped = c
			}
			continue
		case "received":
			str = &r.Received
		case "format":
			str = &r.Format
		case "id":
			str = &r.ID
		case "time":
			str = &r.Time
		case "category":
			str = &r.Category
		case "severity":
			str = &r.Severity
		case "outcome":
			str = &r.Outcome
		case "message":
			str = &r.Message
		case "source":
			str = &r.Source
		case "raw_text":
			r.RawText = new(string)
			str = r.RawText
		case "raw_base64":
			str = &r.RawBase64
		default:
			if err := d.SkipValue(); err != nil {
				return r, err
			}
			continue
		}
		tok, err := d.ReadToken()
		if err != nil {
			return r, err
		}
		if tok.Kind() != '"' {
			return r, fmt.Errorf("%s is %v, not a string", key, tok.Kind())
		}
		*str = tok.String()
	}
	if _, err := d.ReadToken(); err != nil {
		return r, err
	}
	if off := d.InputOffset(); len(bytes.TrimSpace(rec[off:])) > 0 {
		return r, fmt.Errorf("content after the record at byte %d", off)
	}
	return r, nil
}

// RecordSeq reads only the seq a record says it was stored at.
func RecordSeq(rec []byte) (uint64, error) {
	var r struct {
		Seq *uint64 `json:"seq"`
	}
	if err := json.Unmarshal(rec, &r); err != nil {
		return 0, fmt.Errorf("decode record: %w", err)
	}
	if r.Seq == nil {
		return 0, fmt.Errorf("decode record: no seq")
	}
	return *r.Seq, nil
}

// MarshalNative renders an event in the native shape of event-format.md,
// with every derived field filled in. Unknown top-level keys are included.
func MarshalNative(ev *Event) ([]byte, error) {
	m := map[string]any{
		"event_id":   ev.ID,
		"timestamp":  ev.Time.UTC().Format(time.RFC3339Nano),
		"event_type": ev.Type,
	}
	for k, v := range ev.Extra {
		m[k] = v
	}
	if !ev.Actor.IsZero() {
		m["actor"] = partyMap(ev.Actor)
	}
	if !ev.Target.IsZero() {
		m["target"] = partyMap(ev.Target)
	}
	if len(ev.Details) > 0 {
		m["details"] = ev.Details
	}
	if c := contextMap(ev.Context); len(c) > 0 {
		m["context"] = c
	}
	for k, v := range map[string]string{
		"category": ev.Category, "component": ev.Component, "source": ev.Source,
		"severity": ev.Severity, "outcome": ev.Outcome, "message": ev.Message,
	} {
		if v != "" {
			m[k] = v
		}
	}
	return json.Marshal(m)
}

func partyMap(p Party) map[string]any {
	m := make(map[string]any, len(p.Extra)+5)
	for k, v := range p.Extra {
		m[k] = v
	}
	for k, v := range map[string]string{"id": p.ID, "email": p.Email, "name": p.Name, "role": p.Role, "type": p.Type} {
		if v != "" {
			m[k] = v
		}
	}
	return m
}

func contextMap(c Context) map[string]any {
	m := make(map[string]any, len(c.Extra)+5)
	for k, v := range c.Extra {
		m[k] = v
	}
	for k, v := range map[string]string{"ip": c.IP, "user_agent": c.UserAgent, "location": c.Location, "device": c.Device, "session_id": c.SessionID} {
		if v != "" {
			m[k] = v
		}
	}
	return m
}
