package event

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// FuzzDecode feeds Decode arbitrary bytes. It must never panic. A rejection
// must give a reason that reads as one line after "file:line: ". An accepted
// event must have a UTC time and a type, and must survive being stored: its
// record is UTF-8 JSON, and DecodeRecord gives back the same ID, type, time
// and raw bytes (trimmed, as the record keeps them).
func FuzzDecode(f *testing.F) {
	for _, tc := range decodeTimestampCases {
		f.Add([]byte(withTimestamp(tc.ts)))
	}
	for _, tc := range decodeErrorCases {
		f.Add([]byte(tc.line))
	}
	for _, tc := range decodeNotJSONCases {
		f.Add([]byte(tc.line))
	}
	for _, s := range []string{
		recordNativeLine,
		recordCloudTrailRaw,
		" \t" + withTimestamp(`"2025-01-15T14:30:00Z"`) + "\r\n",
		"{\"timestamp\":\"2025-01-15T14:30:00Z\",\"event_type\":\"login.failed\",\"actor\":{\"name\":\"Jos\xe9\"}}",
		withField("actor", `"admin@company.com"`),
		withField("actor", `{"id":"u1","email":"a@b.c","name":"A","role":"admin","type":"user","x":[1]}`),
		withField("target", `{"uid":"rec_1","owner":{"id":"o1"}}`),
		withField("context", `{"ip":"[2001:db8::1]:443","user_agent":"UA","location":"L","device":"D","session_id":"S","z":1}`),
		withField("context", `{"ip":"10.0.0.1:8080"}`),
		withField("details", `{"big":12345678901234567890,"deep":{"a":[{"b":{"c":null}}]}}`),
		withField("event_id", `"evt_1"`),
		withField("x_unknown", `{"k" : [1, 2]}`),
		`{"timestamp":"2025-01-15T14:30:00Z","event_type":"app_record_shared","details":{"username":"u","secret_uid":"s"}}`,
		`{"timestamp":-1.5,"event_type":"x"}`,
		`{"timestamp":"-0.000000001","event_type":"x"}`,
		`{"timestamp":99999999999.9999999,"event_type":"x"}`,
		`{"timestamp":"0000-01-01T00:00:00Z","event_type":"x"}`,
		`{"timestamp":"9999-12-31T23:59:59.999999999Z","event_type":"x"}`,
		`{"timestamp":"2025-01-15T14:30:00Z","event_type":"x","timestamp":"2025-01-15T14:30:01Z"}`,
	} {
		f.Add([]byte(s))
	}

	cat := BuiltinCatalogue()
	received := time.Date(2025, 1, 15, 14, 31, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, data []byte) {
		in := append([]byte(nil), data...)
		ev, err := Decode(data)
		if !bytes.Equal(data, in) {
			t.Fatalf("Decode changed its input")
		}
		if err != nil {
			if ev != nil {
				t.Fatalf("Decode returned an event with error %v", err)
			}
			reason := err.Error()
			if reason == "" || strings.ContainsAny(reason, "\n\r") || !utf8.ValidString(reason) {
				t.Fatalf("reason %q is not one line of UTF-8 text", reason)
			}
			return
		}
		if ev.Time.Location() != time.UTC {
			t.Fatalf("Time %v is not in UTC", ev.Time)
		}
		if strings.TrimSpace(ev.Type) == "" {
			t.Fatalf("Type %q is empty", ev.Type)
		}
		if !bytes.Equal(ev.Raw, data) {
			t.Fatalf("Raw %q is not the input %q", ev.Raw, data)
		}

		cat.Normalize(ev)
		ev.AssignID()
		if ev.ID == "" {
			t.Fatalf("no ID after AssignID")
		}
		rec, err := EncodeRecord(ev, 1, received)
		if err != nil {
			t.Fatalf("EncodeRecord: %v", err)
		}
		if !utf8.Valid(rec) || !json.Valid(rec) {
			t.Fatalf("record is not UTF-8 JSON: %q", rec)
		}
		got, err := DecodeRecord(rec)
		if err != nil {
			t.Fatalf("DecodeRecord(%s): %v", rec, err)
		}
		if got.ID != ev.ID {
			t.Errorf("ID %q came back as %q", ev.ID, got.ID)
		}
		if got.Type != ev.Type {
			t.Errorf("Type %q came back as %q", ev.Type, got.Type)
		}
		if !got.Time.Equal(ev.Time) || got.Time.Location() != time.UTC {
			t.Errorf("Time %s came back as %s", ev.Time.Format(time.RFC3339Nano), got.Time.Format(time.RFC3339Nano))
		}
		if want := bytes.TrimSpace(data); !bytes.Equal(got.Raw, want) {
			t.Errorf("Raw %q came back as %q", want, got.Raw)
		}
	})
}
