package syslog

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"time"

	"github.com/vigil-dev/vigil/event"
)

// FormatName is the name of the syslog format in a record: its raw part
// holds the message as received (without framing).
const FormatName = "syslog"

// Source is the event source of syslog messages that are not native events.
const Source = "syslog"

// Received says how a message arrived.
type Received struct {
	// Time is when it arrived: the event time of a message without a
	// timestamp, and part of its event id.
	Time time.Time
	// Peer is the sender's address (host:port).
	Peer string
	// Transport is "udp", "tcp" or "tls".
	Transport string
	// Seq counts the messages of a receiver, so that two identical
	// messages arriving at the same instant are still two events.
	Seq uint64
	// Location is the zone of RFC 3164 timestamps; time.Local when nil.
	Location *time.Location
}

var facilities = [...]string{
	"kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news",
	"uucp", "cron", "authpriv", "ftp", "ntp", "security", "console", "solaris-cron",
	"local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7",
}

var severities = [...]string{"emerg", "alert", "crit", "err", "warning", "notice", "info", "debug"}

// vigilSeverity maps a syslog severity to vigil's scale.
var vigilSeverity = [...]string{"critical", "critical", "critical", "high", "medium", "low", "info", "info"}

// FacilityName is the keyword of a facility code ("auth", "local0"), or ""
// for a code out of range.
func FacilityName(code int) string {
	if code < 0 || code >= len(facilities) {
		return ""
	}
	return facilities[code]
}

// SeverityName is the keyword of a severity code ("err", "warning").
func SeverityName(code int) string {
	if code < 0 || code >= len(severities) {
		return ""
	}
	return severities[code]
}

// Event maps one message, as received (without framing), to an event that
// is not yet normalised. Its Raw is the message, its Format "syslog".
//
// A MSG that is a JSON object in the native event shape is read as that
// event (with its own id, time, type and fields). Any other message
// becomes an event of source "syslog": the header's time (or the time of
// arrival), as event_type the MSGID, else the APP-NAME (TAG), else
// "syslog"; the syslog severity mapped to vigil's (emerg, alert, crit:
// critical; err: high; warning: medium; notice: low; info, debug: info);
// the MSG as message; and the header fields, structured data and sender
// under details. Its id is derived from the bytes, the sender and the time
// of arrival: syslog has no ids and no retransmission, and two identical
// lines are two events.
func Event(raw []byte, rcv Received) *event.Event {
	m := Parse(raw, Options{Location: rcv.Location, Now: rcv.Time})
	if msg := bytes.TrimSpace(m.Msg); len(msg) > 0 && msg[0] == '{' {
		if ev, err := event.Decode(msg); err == nil {
			ev.Raw, ev.Format = raw, FormatName
			return ev
		}
	}
	ev := &event.Event{
		Format:  FormatName,
		Raw:     raw,
		Time:    m.Timestamp.UTC(),
		Type:    "syslog",
		Source:  Source,
		Message: string(m.Msg),
	}
	if ev.Time.IsZero() {
		ev.Time = rcv.Time.UTC()
	}
	switch {
	case m.MsgID != "":
		ev.Type = m.MsgID
	case m.AppName != "":
		ev.Type = m.AppName
	}
	ev.Component = m.AppName
	d := map[string]any{"syslog_format": string(m.Format)}
	if sev := m.Severity(); sev >= 0 {
		ev.Severity = vigilSeverity[sev]
		d["severity"] = SeverityName(sev)
		d["facility"] = FacilityName(m.Facility())
	}
	for k, v := range map[string]string{
		"hostname": m.Hostname, "app_name": m.AppName, "proc_id": m.ProcID, "msg_id": m.MsgID,
		"peer": rcv.Peer, "transport": rcv.Transport, "parse_error": m.ParseError,
	} {
		if v != "" {
			d[k] = v
		}
	}
	if len(m.StructuredData) > 0 {
		sd := make(map[string]any, len(m.StructuredData))
		for _, el := range m.StructuredData {
			params, _ := sd[el.ID].(map[string]any)
			if params == nil {
				params = make(map[string]any, len(el.Params))
			}
			for _, p := range el.Params {
				// A name given twice keeps every value, in order.
				switch prev := params[p.Name].(type) {
				case nil:
					params[p.Name] = p.Value
				case string:
					params[p.Name] = []any{prev, p.Value}
				case []any:
					params[p.Name] = append(prev, p.Value)
				}
			}
			sd[el.ID] = params
		}
		d["structured_data"] = sd
	}
	ev.Details = d
	ev.ID = arrivalID(raw, rcv)
	return ev
}

// arrivalID derives an id from a message and its arrival.
func arrivalID(raw []byte, rcv Received) string {
	h := sha256.New()
	var n [16]byte
	binary.BigEndian.PutUint64(n[:8], uint64(rcv.Time.UnixNano()))
	binary.BigEndian.PutUint64(n[8:], rcv.Seq)
	h.Write(n[:])
	h.Write([]byte(rcv.Transport))
	h.Write([]byte{0})
	h.Write([]byte(rcv.Peer))
	h.Write([]byte{0})
	h.Write(raw)
	return "sys_" + hex.EncodeToString(h.Sum(nil)[:12])
}
