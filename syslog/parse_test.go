package syslog

import (
	"reflect"
	"testing"
	"time"
)

func TestParseRFC5424(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want Message
	}{
		{
			// RFC 5424 section 6.5, example 1 (BOM before the MSG).
			name: "example 1",
			in:   "<34>1 2003-10-11T22:14:15.003Z mymachine.example.com su - ID47 - \xEF\xBB\xBF'su root' failed for lonvick on /dev/pts/8",
			want: Message{Format: RFC5424, Priority: 34, Timestamp: time.Date(2003, 10, 11, 22, 14, 15, 3e6, time.UTC),
				Hostname: "mymachine.example.com", AppName: "su", MsgID: "ID47",
				Msg: []byte("'su root' failed for lonvick on /dev/pts/8")},
		},
		{
			// Example 2: a time offset and microseconds, no MSGID.
			name: "example 2",
			in:   "<165>1 2003-08-24T05:14:15.000003-07:00 192.0.2.1 myproc 8710 - - %% It's time to make the do-nuts.",
			want: Message{Format: RFC5424, Priority: 165, Timestamp: time.Date(2003, 8, 24, 5, 14, 15, 3000, time.FixedZone("", -7*3600)),
				Hostname: "192.0.2.1", AppName: "myproc", ProcID: "8710", Msg: []byte("%% It's time to make the do-nuts.")},
		},
		{
			// Example 3: structured data and a message.
			name: "example 3",
			in:   `<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut="3" eventSource="Application" eventID="1011"] ` + "\xEF\xBB\xBFAn application event log entry...",
			want: Message{Format: RFC5424, Priority: 165, Timestamp: time.Date(2003, 10, 11, 22, 14, 15, 3e6, time.UTC),
				Hostname: "mymachine.example.com", AppName: "evntslog", MsgID: "ID47",
				StructuredData: []Element{{ID: "exampleSDID@32473", Params: []Param{{"iut", "3"}, {"eventSource", "Application"}, {"eventID", "1011"}}}},
				Msg:            []byte("An application event log entry...")},
		},
		{
			// Example 4: two elements, no MSG.
			name: "example 4",
			in:   `<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut="3" eventSource="Application" eventID="1011"][examplePriority@32473 class="high"]`,
			want: Message{Format: RFC5424, Priority: 165, Timestamp: time.Date(2003, 10, 11, 22, 14, 15, 3e6, time.UTC),
				Hostname: "mymachine.example.com", AppName: "evntslog", MsgID: "ID47",
				StructuredData: []Element{
					{ID: "exampleSDID@32473", Params: []Param{{"iut", "3"}, {"eventSource", "Application"}, {"eventID", "1011"}}},
					{ID: "examplePriority@32473", Params: []Param{{"class", "high"}}},
				},
				Msg: []byte{}},
		},
		{
			name: "escapes in values",
			in:   `<13>1 - - - - - [x@1 a="q\"b\\c\]d" e="\n"] m`,
			want: Message{Format: RFC5424, Priority: 13,
				StructuredData: []Element{{ID: "x@1", Params: []Param{{"a", `q"b\c]d`}, {"e", `\n`}}}},
				Msg:            []byte("m")},
		},
		{
			name: "all nil",
			in:   "<0>1 - - - - - -",
			want: Message{Format: RFC5424, Priority: 0, Msg: []byte{}},
		},
		{
			name: "broken structured data keeps the header",
			in:   `<13>1 2025-01-15T14:30:00Z h app - - [x@1 a="open] rest`,
			want: Message{Format: RFC5424, Priority: 13, Timestamp: time.Date(2025, 1, 15, 14, 30, 0, 0, time.UTC),
				Hostname: "h", AppName: "app", Msg: []byte(`[x@1 a="open] rest`),
				ParseError: "RFC 5424 element x@1: the value of a is not closed"},
		},
		{
			name: "bad timestamp is unparsed",
			in:   `<13>1 yesterday h app - - - hi`,
			want: Message{Format: Unparsed, Priority: 13, Msg: []byte("1 yesterday h app - - - hi"),
				ParseError: `RFC 5424 TIMESTAMP "yesterday" is not RFC 3339`},
		},
		{
			name: "multi-byte UTF-8 message",
			in:   "<14>1 2025-01-15T14:30:00Z h app - - - Grüße, 世界 🎉",
			want: Message{Format: RFC5424, Priority: 14, Timestamp: time.Date(2025, 1, 15, 14, 30, 0, 0, time.UTC),
				Hostname: "h", AppName: "app", Msg: []byte("Grüße, 世界 🎉")},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Parse([]byte(tt.in), Options{Location: time.UTC})
			assertMessage(t, got, tt.want)
		})
	}
}

func TestParseRFC3164(t *testing.T) {
	now := time.Date(2025, 1, 15, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		in   string
		now  time.Time
		want Message
	}{
		{
			// RFC 3164 section 5.4, example 1.
			name: "example 1",
			in:   "<34>Oct 11 22:14:15 mymachine su: 'su root' failed for lonvick on /dev/pts/8",
			want: Message{Format: RFC3164, Priority: 34, Timestamp: time.Date(2024, 10, 11, 22, 14, 15, 0, time.UTC),
				Hostname: "mymachine", AppName: "su", Msg: []byte("'su root' failed for lonvick on /dev/pts/8")},
		},
		{
			name: "tag with pid and a padded day",
			in:   "<38>Jan  5 03:04:05 bastion sshd[4242]: Failed password for root from 203.0.113.9 port 22 ssh2",
			want: Message{Format: RFC3164, Priority: 38, Timestamp: time.Date(2025, 1, 5, 3, 4, 5, 0, time.UTC),
				Hostname: "bastion", AppName: "sshd", ProcID: "4242", Msg: []byte("Failed password for root from 203.0.113.9 port 22 ssh2")},
		},
		{
			name: "no hostname (a local socket)",
			in:   "<86>Jan 15 11:59:00 sudo[17]: ana : TTY=pts/0 ; COMMAND=/bin/sh",
			want: Message{Format: RFC3164, Priority: 86, Timestamp: time.Date(2025, 1, 15, 11, 59, 0, 0, time.UTC),
				AppName: "sudo", ProcID: "17", Msg: []byte("ana : TTY=pts/0 ; COMMAND=/bin/sh")},
		},
		{
			name: "December received in January is last year",
			in:   "<13>Dec 31 23:59:59 h cron: tick",
			now:  time.Date(2025, 1, 1, 0, 0, 5, 0, time.UTC),
			want: Message{Format: RFC3164, Priority: 13, Timestamp: time.Date(2024, 12, 31, 23, 59, 59, 0, time.UTC),
				Hostname: "h", AppName: "cron", Msg: []byte("tick")},
		},
		{
			name: "January received in December (a fast clock) is next year",
			in:   "<13>Jan  1 00:00:02 h cron: tick",
			now:  time.Date(2024, 12, 31, 23, 59, 59, 0, time.UTC),
			want: Message{Format: RFC3164, Priority: 13, Timestamp: time.Date(2025, 1, 1, 0, 0, 2, 0, time.UTC),
				Hostname: "h", AppName: "cron", Msg: []byte("tick")},
		},
		{
			name: "fraction and year",
			in:   "<13>Mar  2 2023 10:11:12.345 fw1 kernel: drop",
			want: Message{Format: RFC3164, Priority: 13, Timestamp: time.Date(2023, 3, 2, 10, 11, 12, 345e6, time.UTC),
				Hostname: "fw1", AppName: "kernel", Msg: []byte("drop")},
		},
		{
			name: "fraction",
			in:   "<13>Mar  2 10:11:12.345 fw1 kernel: drop",
			want: Message{Format: RFC3164, Priority: 13, Timestamp: time.Date(2025, 3, 2, 10, 11, 12, 345e6, time.UTC),
				Hostname: "fw1", AppName: "kernel", Msg: []byte("drop")},
		},
		{
			name: "RFC 3339 timestamp (rsyslog high precision)",
			in:   "<30>2025-01-15T14:30:00.123456+01:00 web1 nginx[9]: GET /",
			want: Message{Format: RFC3164, Priority: 30, Timestamp: time.Date(2025, 1, 15, 14, 30, 0, 123456000, time.FixedZone("", 3600)),
				Hostname: "web1", AppName: "nginx", ProcID: "9", Msg: []byte("GET /")},
		},
		{
			name: "no tag",
			in:   "<13>Jan 15 10:00:00 host just some words",
			want: Message{Format: RFC3164, Priority: 13, Timestamp: time.Date(2025, 1, 15, 10, 0, 0, 0, time.UTC),
				Hostname: "host", Msg: []byte("just some words")},
		},
		{
			name: "no timestamp",
			in:   "<13>sshd[1]: hello",
			want: Message{Format: Unparsed, Priority: 13, AppName: "sshd", ProcID: "1", Msg: []byte("hello"),
				ParseError: "no RFC 5424 header and no RFC 3164 timestamp"},
		},
		{
			name: "no PRI at all",
			in:   "plain text line",
			want: Message{Format: Unparsed, Priority: -1, Msg: []byte("plain text line"),
				ParseError: "no PRI, no RFC 5424 header and no RFC 3164 timestamp"},
		},
		{
			name: "invalid PRI",
			in:   "<999>Jan 15 10:00:00 host x: y",
			want: Message{Format: Unparsed, Priority: -1, Msg: []byte("<999>Jan 15 10:00:00 host x: y"), ParseError: "invalid PRI"},
		},
		{
			name: "Feb 30 is no date",
			in:   "<13>Feb 30 10:00:00 host x: y",
			want: Message{Format: Unparsed, Priority: 13, Msg: []byte("Feb 30 10:00:00 host x: y"), ParseError: "no RFC 5424 header and no RFC 3164 timestamp"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := now
			if !tt.now.IsZero() {
				n = tt.now
			}
			got := Parse([]byte(tt.in), Options{Location: time.UTC, Now: n})
			assertMessage(t, got, tt.want)
		})
	}
}

func TestParseLocation(t *testing.T) {
	berlin := time.FixedZone("CET", 3600)
	got := Parse([]byte("<13>Jan 15 10:00:00 h a: b"), Options{Location: berlin, Now: time.Date(2025, 1, 15, 9, 0, 0, 0, time.UTC)})
	if want := time.Date(2025, 1, 15, 9, 0, 0, 0, time.UTC); !got.Timestamp.Equal(want) {
		t.Fatalf("time %v, want %v", got.Timestamp, want)
	}
}

func TestFacilityAndSeverity(t *testing.T) {
	m := Parse([]byte("<86>Jan 15 10:00:00 h a: b"), Options{Now: time.Now()})
	if m.Facility() != 10 || m.Severity() != 6 || FacilityName(m.Facility()) != "authpriv" || SeverityName(m.Severity()) != "info" {
		t.Fatalf("facility %d %s severity %d %s", m.Facility(), FacilityName(m.Facility()), m.Severity(), SeverityName(m.Severity()))
	}
	m = Parse([]byte("no pri"), Options{})
	if m.Facility() != -1 || m.Severity() != -1 {
		t.Fatalf("facility %d severity %d", m.Facility(), m.Severity())
	}
}

func assertMessage(t *testing.T, got, want Message) {
	t.Helper()
	if !got.Timestamp.Equal(want.Timestamp) {
		t.Errorf("timestamp %v, want %v", got.Timestamp, want.Timestamp)
	}
	got.Timestamp, want.Timestamp = time.Time{}, time.Time{}
	if got.Msg == nil {
		got.Msg = []byte{}
	}
	if want.Msg == nil {
		want.Msg = []byte{}
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %+v\nwant %+v\n(msg %q, want %q)", got, want, got.Msg, want.Msg)
	}
}
