package event

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"reflect"
	"testing"
	"time"
	"unicode/utf8"
)

// recordReceived is when the records of these tests were received; not in
// UTC, to show that the record stores UTC.
var recordReceived = time.Date(2025, 1, 15, 15, 31, 2, 987654321, time.FixedZone("CET", 3600))

// recordNativeLine is a native event with whitespace inside the object,
// unicode, escapes, exact numbers, free keys and an unknown top-level key.
const recordNativeLine = "{ \"event_id\" : \"evt_abc123\",\n\t\"timestamp\": \"2025-01-15T16:30:00.123456789+02:00\",  \"event_type\":\"member.role_changed\",\n" +
	`  "actor":{"id":"user_123","email":"admin@company.com","role":"admin","team":"blue"},` +
	`"target":{"id":"user_456","email":"john@company.com","uid":"u-9"},` +
	`"details":{"from_role":"viewer","to_role":"editor","note":"Zoë \u00e9 \"quoted\" back\\slash \/ 🔐 \u2028 \ud83d\ude00",` +
	`"big":12345678901234567890,"ratio":1.50,"nested":{"list":[1,"two",null,true]}},` +
	`"context":{"ip":"[2001:DB8::1]:443","user_agent":"Chrome/120","location":"San Francisco, CA","device":"mac","session_id":"s-1","tz":"PST"},` +
	`"component":"admin_console","source":"zenovay","x_custom":{"a" : [1, 2]}}`

// recordCloudTrailRaw is an event as CloudTrail sends it: not the native
// shape, so Decode alone cannot read it.
const recordCloudTrailRaw = `{"eventVersion":"1.08", "eventTime":"2025-01-15T14:30:00Z","eventSource":"signin.amazonaws.com",` +
	`"eventName":"ConsoleLogin","sourceIPAddress":"198.51.100.7","userIdentity":{"type":"IAMUser","userName":"alice"},` +
	`"responseElements":{"ConsoleLogin":"Failure"},"additionalEventData":{"MFAUsed":"No"}}`

// recordCloudTrailEvent is recordCloudTrailRaw as an importer maps it.
func recordCloudTrailEvent() *Event {
	return &Event{
		ID:    "ct-0001",
		Time:  time.Date(2025, 1, 15, 14, 30, 0, 0, time.UTC),
		Type:  "ConsoleLogin",
		Actor: Party{Name: "alice", Type: "user", Extra: map[string]any{"arn": "arn:aws:iam::123456789012:user/alice"}},
		Target: Party{ID: "123456789012", Extra: map[string]any{
			"kind": "account", "regions": []any{"us-east-1", "eu-west-1"}}},
		Details: map[string]any{"mfa_used": false, "attempts": json.Number("3"), "event_source": "signin.amazonaws.com",
			"nested": map[string]any{"deep": []any{json.Number("1.0"), nil}}},
		Context:   Context{IP: "198.51.100.7", UserAgent: "Mozilla/5.0", Extra: map[string]any{"region": "us-east-1"}},
		Category:  "authentication",
		Component: "console",
		Source:    "cloudtrail",
		Severity:  "low",
		Outcome:   "failure",
		Message:   "Console login failed for alice",
		Extra:     map[string]json.RawMessage{"aws_account": json.RawMessage(`"123456789012"`)},
		Format:    "cloudtrail",
		Raw:       []byte(recordCloudTrailRaw),
	}
}

// recordSyslogEvent is an imported event whose raw form is a text line.
func recordSyslogEvent(raw string) *Event {
	return &Event{
		ID:       "sys-1",
		Time:     time.Date(2025, 10, 11, 22, 14, 15, 0, time.UTC),
		Type:     "su.failed",
		Actor:    Party{Name: "lonvick"},
		Category: "authentication",
		Severity: "low",
		Outcome:  "failure",
		Format:   "syslog",
		Raw:      []byte(raw),
	}
}

// recordNativeEvent decodes and normalises line as ingest does.
func recordNativeEvent(t testing.TB, line string) *Event {
	t.Helper()
	ev := mustDecode(t, line)
	BuiltinCatalogue().Normalize(ev)
	ev.AssignID()
	return ev
}

// roundTrip encodes ev as the record of seq and decodes it again.
func roundTrip(t *testing.T, ev *Event, seq uint64) (rec []byte, got *Event) {
	t.Helper()
	rec, err := EncodeRecord(ev, seq, recordReceived)
	if err != nil {
		t.Fatalf("EncodeRecord: %v", err)
	}
	got, err = DecodeRecord(rec)
	if err != nil {
		t.Fatalf("DecodeRecord(%s): %v", rec, err)
	}
	return rec, got
}

// wantStored is ev as a reader of its record at seq must see it.
func wantStored(ev *Event, seq uint64) *Event {
	w := *ev
	w.Seq = seq
	w.Received = recordReceived.UTC()
	w.Raw = bytes.TrimSpace(ev.Raw)
	return &w
}

// sameEvent reports field by field where got differs from want; times are
// compared as instants in UTC.
func sameEvent(t *testing.T, got, want *Event) {
	t.Helper()
	if !got.Time.Equal(want.Time) || got.Time.Location() != time.UTC {
		t.Errorf("Time = %v, want %v in UTC", got.Time, want.Time)
	}
	if !got.Received.Equal(want.Received) || got.Received.Location() != time.UTC {
		t.Errorf("Received = %v, want %v in UTC", got.Received, want.Received)
	}
	if !bytes.Equal(got.Raw, want.Raw) {
		t.Errorf("Raw = %q, want %q", got.Raw, want.Raw)
	}
	g, w := *got, *want
	g.Time, w.Time, g.Received, w.Received, g.Raw, w.Raw = time.Time{}, time.Time{}, time.Time{}, time.Time{}, nil, nil
	gv, wv := reflect.ValueOf(g), reflect.ValueOf(w)
	for i := 0; i < gv.NumField(); i++ {
		if !gv.Type().Field(i).IsExported() {
			continue // bookkeeping, not part of what the event says
		}
		if !reflect.DeepEqual(gv.Field(i).Interface(), wv.Field(i).Interface()) {
			t.Errorf("%s = %#v, want %#v", gv.Type().Field(i).Name, gv.Field(i).Interface(), wv.Field(i).Interface())
		}
	}
}

// recordKeys decodes a record's top level, failing unless it is one valid
// UTF-8 JSON object.
func recordKeys(t *testing.T, rec []byte) map[string]json.RawMessage {
	t.Helper()
	if !utf8.Valid(rec) {
		t.Fatalf("record is not valid UTF-8: %q", rec)
	}
	if !json.Valid(rec) {
		t.Fatalf("record is not valid JSON: %s", rec)
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(rec, &m); err != nil {
		t.Fatalf("record is not a JSON object: %v", err)
	}
	return m
}

func TestRecordRoundTripNative(t *testing.T) {
	ev := recordNativeEvent(t, recordNativeLine)
	rec, got := roundTrip(t, ev, 42)
	sameEvent(t, got, wantStored(ev, 42))
	if string(got.Raw) != recordNativeLine {
		t.Errorf("Raw is not byte for byte what was received:\n got %q\nwant %q", got.Raw, recordNativeLine)
	}
	if raw := recordKeys(t, rec)["raw"]; string(raw) != recordNativeLine {
		t.Errorf("record's raw = %s, want the received object verbatim", raw)
	}
}

func TestRecordRoundTripNativeWithoutEventID(t *testing.T) {
	ev := recordNativeEvent(t, `{"timestamp":1736951400123,"event_type":"login.failed","actor":"admin@company.com"}`)
	_, got := roundTrip(t, ev, 1)
	sameEvent(t, got, wantStored(ev, 1))
}

func TestRecordTrimsWhitespaceAroundRaw(t *testing.T) {
	line := " \t" + `{"timestamp":"2025-01-15T14:30:00Z","event_type":"login.failed"}` + "\r\n"
	ev := recordNativeEvent(t, line)
	_, got := roundTrip(t, ev, 3)
	if want := line[2 : len(line)-2]; string(got.Raw) != want {
		t.Errorf("Raw = %q, want %q", got.Raw, want)
	}
	sameEvent(t, got, wantStored(ev, 3))
}

func TestRecordRoundTripImportedFormat(t *testing.T) {
	ev := recordCloudTrailEvent()
	if _, err := Decode(ev.Raw); err == nil {
		t.Fatal("the CloudTrail raw form decodes as native; the test would prove nothing")
	}
	rec, got := roundTrip(t, ev, 9)

	t.Run("every field from the stored mapping", func(t *testing.T) {
		sameEvent(t, got, wantStored(ev, 9))
	})
	t.Run("Raw is the original", func(t *testing.T) {
		if string(got.Raw) != recordCloudTrailRaw {
			t.Errorf("Raw = %s, want %s", got.Raw, recordCloudTrailRaw)
		}
	})
	t.Run("Format is the importer's", func(t *testing.T) {
		if got.Format != "cloudtrail" {
			t.Errorf("Format = %q, want cloudtrail", got.Format)
		}
	})
	t.Run("record holds the mapping and the original", func(t *testing.T) {
		m := recordKeys(t, rec)
		if string(m["raw"]) != recordCloudTrailRaw {
			t.Errorf("record's raw = %s, want the original verbatim", m["raw"])
		}
		if len(m["mapped"]) == 0 {
			t.Errorf("record has no mapped canonical form: %s", rec)
		}
	})
}

func TestRecordNativeHasNoMapping(t *testing.T) {
	rec, _ := roundTrip(t, recordNativeEvent(t, recordNativeLine), 1)
	if m, ok := recordKeys(t, rec)["mapped"]; ok {
		t.Errorf("native record carries a mapping: %s", m)
	}
}

func TestRecordRawText(t *testing.T) {
	line := "<34>Oct 11 22:14:15 mymachine su: 'su root' failed for lonvick on /dev/pts/8 \"quoted\" \\ é\t🔐"
	ev := recordSyslogEvent(line + "\n")
	rec, got := roundTrip(t, ev, 5)
	m := recordKeys(t, rec)
	var text string
	if err := json.Unmarshal(m["raw_text"], &text); err != nil || text != line {
		t.Errorf("record's raw_text = %s (%v), want the line as a JSON string", m["raw_text"], err)
	}
	for _, k := range []string{"raw", "raw_base64"} {
		if _, ok := m[k]; ok {
			t.Errorf("record has %q besides raw_text: %s", k, rec)
		}
	}
	if string(got.Raw) != line {
		t.Errorf("Raw = %q, want %q", got.Raw, line)
	}
	sameEvent(t, got, wantStored(ev, 5))
}

func TestRecordRawBase64(t *testing.T) {
	cases := []struct {
		name string
		ev   func(t *testing.T) *Event
	}{
		{"native object with Latin-1 bytes", func(t *testing.T) *Event {
			return recordNativeEvent(t, "{\"timestamp\":\"2025-01-15T14:30:00Z\",\"event_type\":\"login.failed\",\"actor\":{\"name\":\"Jos\xe9\"}}")
		}},
		{"imported text with invalid bytes", func(t *testing.T) *Event {
			return recordSyslogEvent("<34>Oct 11 22:14:15 host su: \xff\xfe failed \xc3")
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ev := tc.ev(t)
			rec, got := roundTrip(t, ev, 6)
			m := recordKeys(t, rec)
			var b64 string
			if err := json.Unmarshal(m["raw_base64"], &b64); err != nil {
				t.Fatalf("record has no raw_base64 string: %s", rec)
			}
			if dec, err := base64.StdEncoding.DecodeString(b64); err != nil || !bytes.Equal(dec, ev.Raw) {
				t.Errorf("raw_base64 decodes to %q (%v), want %q", dec, err, ev.Raw)
			}
			for _, k := range []string{"raw", "raw_text"} {
				if _, ok := m[k]; ok {
					t.Errorf("record has %q besides raw_base64: %s", k, rec)
				}
			}
			if !bytes.Equal(got.Raw, ev.Raw) {
				t.Errorf("Raw = %q, want %q", got.Raw, ev.Raw)
			}
			sameEvent(t, got, wantStored(ev, 6))
		})
	}
}

func TestRecordIsUTF8JSONObject(t *testing.T) {
	cases := []struct {
		name string
		ev   func(t *testing.T) *Event
	}{
		{"native", func(t *testing.T) *Event { return recordNativeEvent(t, recordNativeLine) }},
		{"imported JSON", func(*testing.T) *Event { return recordCloudTrailEvent() }},
		{"imported text", func(*testing.T) *Event { return recordSyslogEvent("plain text line") }},
		{"bytes that are not UTF-8", func(*testing.T) *Event { return recordSyslogEvent("\xff\xfe") }},
		{"hostile message", func(t *testing.T) *Event {
			ev := recordNativeEvent(t, `{"timestamp":"2025-01-15T14:30:00Z","event_type":"login.failed"}`)
			ev.Message = "\x1b[31mred\x1b[0m \u2028 <script> \x00"
			return ev
		}},
	}
	derived := []string{"seq", "received", "format", "id", "time", "category", "severity", "outcome"}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rec, err := EncodeRecord(tc.ev(t), 11, recordReceived)
			if err != nil {
				t.Fatal(err)
			}
			m := recordKeys(t, rec)
			for _, k := range derived {
				if _, ok := m[k]; !ok {
					t.Errorf("record has no %q: %s", k, rec)
				}
			}
			if string(m["received"]) != `"2025-01-15T14:31:02.987654321Z"` {
				t.Errorf("received = %s, want the UTC time with nanoseconds", m["received"])
			}
		})
	}
}

func TestRecordSeq(t *testing.T) {
	ev := recordNativeEvent(t, recordNativeLine)
	for _, seq := range []uint64{1, 7, 1 << 40, 1<<64 - 1} {
		rec, err := EncodeRecord(ev, seq, recordReceived)
		if err != nil {
			t.Fatal(err)
		}
		got, err := RecordSeq(rec)
		if err != nil || got != seq {
			t.Errorf("RecordSeq = %d, %v; want %d", got, err, seq)
		}
	}
}

func TestRecordSeqErrors(t *testing.T) {
	cases := []struct{ name, rec, want string }{
		{"no seq", `{"id":"evt_1"}`, "decode record: no seq"},
		{"null seq", `{"seq":null}`, "decode record: no seq"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := RecordSeq([]byte(tc.rec))
			if err == nil || err.Error() != tc.want {
				t.Errorf("RecordSeq(%s) error = %v, want %q", tc.rec, err, tc.want)
			}
		})
	}
	for _, rec := range []string{``, `not json`, `{"seq":"7"}`, `{"seq":-1}`} {
		t.Run("invalid "+rec, func(t *testing.T) {
			if _, err := RecordSeq([]byte(rec)); err == nil {
				t.Errorf("RecordSeq(%q) succeeded", rec)
			}
		})
	}
}

func TestDecodeRecordUsesStoredDerivedFields(t *testing.T) {
	line := `{"timestamp":"2025-01-15T14:30:00Z","event_type":"app_record_shared","actor":"bob@corp.example",` +
		`"details":{"secret_uid":"rec-1","app_uid":"app-9"}}`
	derivedNow := recordNativeEvent(t, line)

	ev := recordNativeEvent(t, line)
	ev.Category = "audit"
	ev.Severity = "critical"
	ev.Outcome = "failure"
	ev.Message = "stored at ingest"
	ev.ID = "evt_stored"
	_, got := roundTrip(t, ev, 2)

	cases := []struct{ field, got, stored, rederived string }{
		{"category", got.Category, "audit", derivedNow.Category},
		{"severity", got.Severity, "critical", derivedNow.Severity},
		{"outcome", got.Outcome, "failure", derivedNow.Outcome},
		{"message", got.Message, "stored at ingest", derivedNow.Message},
		{"id", got.ID, "evt_stored", derivedNow.ID},
	}
	for _, tc := range cases {
		t.Run(tc.field, func(t *testing.T) {
			if tc.stored == tc.rederived {
				t.Fatalf("Normalize also gives %q; the test would prove nothing", tc.stored)
			}
			if tc.got != tc.stored {
				t.Errorf("%s = %q, want the stored %q (Normalize would give %q)", tc.field, tc.got, tc.stored, tc.rederived)
			}
		})
	}
}

func TestDecodeRecordErrors(t *testing.T) {
	good, err := EncodeRecord(recordNativeEvent(t, recordNativeLine), 4, recordReceived)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct{ name, rec string }{
		{"not JSON", `not json`},
		{"truncated", string(good[:len(good)-1])},
		{"raw event unusable", `{"seq":1,"format":"native","received":"2025-01-15T14:30:00Z","time":"2025-01-15T14:30:00Z","raw":{"event_type":"x"}}`},
		{"bad base64", `{"seq":1,"format":"native","received":"2025-01-15T14:30:00Z","time":"2025-01-15T14:30:00Z","raw_base64":"%%%"}`},
		{"bad received", string(bytes.Replace(good, []byte(`"received":"`), []byte(`"received":"x`), 1))},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if ev, err := DecodeRecord([]byte(tc.rec)); err == nil {
				t.Errorf("DecodeRecord(%s) = %+v, want an error", tc.rec, ev)
			}
		})
	}
}

// TestRecordChecksRawReplacedAfterDecode: a Raw swapped for text that is not
// JSON after Decode is stored as raw_text, not embedded as if it were JSON.
func TestRecordChecksRawReplacedAfterDecode(t *testing.T) {
	ev, err := Decode([]byte(`{"timestamp":"2025-01-15T14:30:00Z","event_type":"logout"}`))
	if err != nil {
		t.Fatal(err)
	}
	ev.Raw = []byte("Jan 15 14:30:00 host sshd[1]: not json")
	rec, err := EncodeRecord(ev, 1, time.Date(2025, 1, 15, 14, 31, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	if !json.Valid(rec) || !bytes.Contains(rec, []byte(`"raw_text":"Jan 15`)) {
		t.Fatalf("record %s", rec)
	}
}

// recordsForReading are records of every shape: native, imported (with
// mapped), raw_text, raw_base64, escapes in every string, an unknown key.
func recordsForReading(t testing.TB) [][]byte {
	t.Helper()
	var recs [][]byte
	add := func(ev *Event, seq uint64) {
		rec, err := EncodeRecord(ev, seq, recordReceived)
		if err != nil {
			t.Fatal(err)
		}
		recs = append(recs, rec)
	}
	add(recordNativeEvent(t, recordNativeLine), 1)
	hostile, err := Decode([]byte(`{"timestamp":"2025-01-15T14:30:00Z","event_type":"x\u001b]0;pwned\u0007","actor":"a\"b\\c\u202e"}`))
	if err != nil {
		t.Fatal(err)
	}
	hostile.Message = "line\nbreak \u2028 \"q\""
	hostile.Source = "s\u0000"
	add(hostile, 2)
	imported := recordNativeEvent(t, recordNativeLine)
	imported.Format, imported.Raw = "cloudtrail", []byte(recordCloudTrailRaw)
	add(imported, 3)
	text := recordNativeEvent(t, recordNativeLine)
	text.Format, text.Raw = "syslog", []byte("<13>Jan 15 11:59:00 h app: \"not json\" \x1b[2J")
	add(text, 4)
	bin := recordNativeEvent(t, recordNativeLine)
	bin.Format, bin.Raw = "syslog", []byte{0xff, 0xfe, 'x'}
	add(bin, 5)
	recs = append(recs, []byte(`{"seq":6,"future":{"a":[1,{"b":null}]},"received":"2025-01-15T14:30:00Z","format":"native","time":"2025-01-15T14:30:00Z","raw":{"timestamp":"2025-01-15T14:30:00Z","event_type":"logout"}}`))
	return recs
}

// TestReadRecordAgreesWithEncodingJSON: the one-pass reader gives what
// encoding/json gives for the same record (the oracle), on records of every
// shape.
func TestReadRecordAgreesWithEncodingJSON(t *testing.T) {
	for i, rec := range recordsForReading(t) {
		var want recordFull
		if err := json.Unmarshal(rec, &want); err != nil {
			t.Fatalf("record %d: oracle: %v", i, err)
		}
		got, err := readRecord(rec)
		if err != nil {
			t.Fatalf("record %d: %v\n%s", i, err, rec)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("record %d:\n got %+v\nwant %+v", i, got, want)
		}
	}
	for _, bad := range []string{`[]`, `{"seq":"1"}`, `{"seq":-1}`, `{"time":1}`, `{"seq":1,`, `{"seq":1}x`} {
		if r, err := readRecord([]byte(bad)); err == nil {
			t.Errorf("readRecord(%s) = %+v, want an error", bad, r)
		}
	}
}

// FuzzReadRecord: wherever encoding/json reads a record without error, the
// one-pass reader reads the same.
func FuzzReadRecord(f *testing.F) {
	for _, rec := range recordsForReading(f) {
		f.Add(rec)
	}
	f.Fuzz(func(t *testing.T, rec []byte) {
		var want recordFull
		if json.Unmarshal(rec, &want) != nil || !json.Valid(rec) || !utf8.Valid(rec) || bytes.Contains(rec, []byte(`null`)) {
			return
		}
		// encoding/json matches keys whatever their case ("Seq", "ſeq");
		// records are written with their keys exactly, and so are read.
		if !bytes.Equal(bytes.ToLower(rec), rec) || bytes.ContainsRune(rec, 'ſ') {
			return
		}
		got, err := readRecord(rec)
		if err != nil {
			t.Fatalf("%s: %v", rec, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s:\n got %+v\nwant %+v", rec, got, want)
		}
	})
}

// BenchmarkDecodeRecord is DecodeRecord and its reading of the record's
// keys, beside baselines measured in the same run: the keys read with
// encoding/json, and the whole decoding as DecodeRecord did it before.
func BenchmarkDecodeRecord(b *testing.B) {
	rec, err := EncodeRecord(recordNativeEvent(b, recordNativeLine), 1, recordReceived)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("baseline-encoding-json-keys", func(b *testing.B) {
		for b.Loop() {
			var r recordFull
			if err := json.Unmarshal(rec, &r); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("baseline-decode-record-as-before", func(b *testing.B) {
		// encoding/json for the keys, then Decode of the raw event with
		// its keys checked for repeats.
		for b.Loop() {
			var r recordFull
			if err := json.Unmarshal(rec, &r); err != nil {
				b.Fatal(err)
			}
			if _, err := Decode(r.Raw); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("read-keys", func(b *testing.B) {
		for b.Loop() {
			if _, err := readRecord(rec); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("decode-record", func(b *testing.B) {
		for b.Loop() {
			if _, err := DecodeRecord(rec); err != nil {
				b.Fatal(err)
			}
		}
	})
}
