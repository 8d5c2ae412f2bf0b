package syslog

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/vigil-dev/vigil/event"
)

func TestEventFromRFC5424(t *testing.T) {
	raw := []byte(`<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut="3" eventSource="Application"][x@1 k="a" k="b"] ` + "\xEF\xBB\xBFAn application event log entry")
	rcv := Received{Time: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), Peer: "192.0.2.7:514", Transport: "udp"}
	ev := Event(raw, rcv)
	if ev.Format != "syslog" || string(ev.Raw) != string(raw) || ev.Source != "syslog" {
		t.Fatalf("format %q source %q raw %q", ev.Format, ev.Source, ev.Raw)
	}
	if !ev.Time.Equal(time.Date(2003, 10, 11, 22, 14, 15, 3e6, time.UTC)) || ev.Type != "ID47" || ev.Component != "evntslog" {
		t.Fatalf("time %v type %q component %q", ev.Time, ev.Type, ev.Component)
	}
	// 165 = local4 (20) * 8 + notice (5).
	if ev.Severity != "low" || ev.Message != "An application event log entry" {
		t.Fatalf("severity %q message %q", ev.Severity, ev.Message)
	}
	got, _ := json.Marshal(ev.Details)
	want := `{"app_name":"evntslog","facility":"local4","hostname":"mymachine.example.com","msg_id":"ID47","peer":"192.0.2.7:514","severity":"notice","structured_data":{"exampleSDID@32473":{"eventSource":"Application","iut":"3"},"x@1":{"k":["a","b"]}},"syslog_format":"rfc5424","transport":"udp"}`
	if string(got) != want {
		t.Fatalf("details\n%s\nwant\n%s", got, want)
	}
	// It stores and reads back like any event.
	event.BuiltinCatalogue().Normalize(ev)
	rec, err := event.EncodeRecord(ev, 1, rcv.Time)
	if err != nil {
		t.Fatal(err)
	}
	back, err := event.DecodeRecord(rec)
	if err != nil {
		t.Fatal(err)
	}
	if string(back.Raw) != string(raw) || back.Type != "ID47" || back.Message != ev.Message || back.Details["hostname"] != "mymachine.example.com" {
		t.Fatalf("read back %+v", back)
	}
}

func TestEventFromRFC3164(t *testing.T) {
	rcv := Received{Time: time.Date(2025, 1, 15, 12, 0, 0, 0, time.UTC), Peer: "10.0.0.1:40000", Transport: "tcp", Location: time.UTC}
	ev := Event([]byte("<38>Jan 15 11:00:00 bastion sshd[4242]: Failed password for root"), rcv)
	if ev.Type != "sshd" || ev.Severity != "info" || !ev.Time.Equal(time.Date(2025, 1, 15, 11, 0, 0, 0, time.UTC)) ||
		ev.Details["proc_id"] != "4242" || ev.Details["facility"] != "auth" || ev.Details["hostname"] != "bastion" {
		t.Fatalf("%+v", ev)
	}
	// Severity err (3) is high.
	if ev := Event([]byte("<11>Jan 15 11:00:00 h a: b"), rcv); ev.Severity != "high" {
		t.Fatalf("severity %q", ev.Severity)
	}
}

func TestEventWithoutTimeTakesArrival(t *testing.T) {
	rcv := Received{Time: time.Date(2025, 1, 15, 12, 0, 0, 0, time.FixedZone("", 3600))}
	ev := Event([]byte("just text"), rcv)
	if !ev.Time.Equal(rcv.Time) || ev.Time.Location() != time.UTC || ev.Type != "syslog" || ev.Message != "just text" || ev.Severity != "" {
		t.Fatalf("%+v", ev)
	}
	if ev.Details["parse_error"] == nil {
		t.Fatalf("no parse error in %v", ev.Details)
	}
}

func TestEventJSONPayloadIsNative(t *testing.T) {
	payload := `{"event_id":"evt_1","timestamp":"2025-01-15T14:30:00Z","event_type":"login.failed","actor":{"email":"ana@example.com"}}`
	raw := []byte("<13>1 2025-01-15T14:30:01Z h app - - - " + payload)
	ev := Event(raw, Received{Time: time.Now()})
	if ev.ID != "evt_1" || ev.Type != "login.failed" || ev.Actor.Email != "ana@example.com" || ev.Source != "" {
		t.Fatalf("%+v", ev)
	}
	if ev.Format != "syslog" || string(ev.Raw) != string(raw) {
		t.Fatalf("format %q raw %q", ev.Format, ev.Raw)
	}
	// JSON that is not a native event stays a syslog event.
	ev = Event([]byte(`<13>1 2025-01-15T14:30:01Z h app - - - {"level":"warn"}`), Received{Time: time.Now()})
	if ev.Type != "app" || ev.Message != `{"level":"warn"}` {
		t.Fatalf("%+v", ev)
	}
}

func TestIdenticalMessagesAreTwoEvents(t *testing.T) {
	at := time.Date(2025, 1, 15, 12, 0, 0, 0, time.UTC)
	raw := []byte("<13>Jan 15 11:00:00 h a: same")
	a := Event(raw, Received{Time: at, Peer: "p", Seq: 1})
	b := Event(raw, Received{Time: at, Peer: "p", Seq: 2})
	c := Event(raw, Received{Time: at, Peer: "p", Seq: 1})
	if a.ID == b.ID || a.ID != c.ID {
		t.Fatalf("ids %s %s %s", a.ID, b.ID, c.ID)
	}
}
