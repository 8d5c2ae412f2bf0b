package event

import (
	"encoding/json"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"
)

// withTimestamp returns a minimal valid native event whose timestamp is the
// JSON value ts.
func withTimestamp(ts string) string {
	return `{"timestamp":` + ts + `,"event_type":"login.failed"}`
}

// withField returns a minimal valid native event with one more top-level key
// holding the JSON value val.
func withField(key, val string) string {
	return `{"timestamp":"2025-01-15T14:30:00Z","event_type":"login.failed","` + key + `":` + val + `}`
}

// mustDecode decodes a line that the test expects to be valid.
func mustDecode(t testing.TB, line string) *Event {
	t.Helper()
	ev, err := Decode([]byte(line))
	if err != nil {
		t.Fatalf("Decode(%s): %v", line, err)
	}
	return ev
}

// The reference instant of the timestamp table: 2025-01-15T14:30:00Z, that
// is Unix second 1736951400.
var decodeBaseTime = time.Date(2025, 1, 15, 14, 30, 0, 0, time.UTC)

// decodeTimestampCases lists every timestamp form event-format.md accepts.
// tolerance is zero where the result must be exact to the nanosecond; a JSON
// number with a fraction may only be as exact as a float64 allows.
var decodeTimestampCases = []struct {
	name      string
	ts        string // JSON value of "timestamp"
	want      time.Time
	tolerance time.Duration
}{
	{"RFC 3339 with Z and no fraction", `"2025-01-15T14:30:00Z"`, decodeBaseTime, 0},
	{"RFC 3339 with a 1-digit fraction", `"2025-01-15T14:30:00.1Z"`, decodeBaseTime.Add(100 * time.Millisecond), 0},
	{"RFC 3339 with a 3-digit fraction", `"2025-01-15T14:30:00.123Z"`, decodeBaseTime.Add(123 * time.Millisecond), 0},
	{"RFC 3339 with a 6-digit fraction", `"2025-01-15T14:30:00.123456Z"`, decodeBaseTime.Add(123456 * time.Microsecond), 0},
	{"RFC 3339 with a 9-digit fraction", `"2025-01-15T14:30:00.123456789Z"`, decodeBaseTime.Add(123456789), 0},
	{"RFC 3339 with offset +02:00 is the same instant in UTC", `"2025-01-15T16:30:00.123456789+02:00"`, decodeBaseTime.Add(123456789), 0},
	{"RFC 3339 with offset -05:30 is the same instant in UTC", `"2025-01-15T09:00:00.5-05:30"`, decodeBaseTime.Add(500 * time.Millisecond), 0},
	{"RFC 3339 with offset +00:00", `"2025-01-15T14:30:00+00:00"`, decodeBaseTime, 0},
	{"RFC 3339 offset crossing midnight", `"2025-01-16T00:30:00+10:00"`, decodeBaseTime, 0},
	{"RFC 3339 with lower-case t and z", `"2025-01-15t14:30:00.25z"`, decodeBaseTime.Add(250 * time.Millisecond), 0},
	{"RFC 3339 with a space for the T", `"2025-01-15 14:30:00Z"`, decodeBaseTime, 0},
	{"RFC 3339 with a space and an offset", `"2025-01-15 16:30:00.000001+02:00"`, decodeBaseTime.Add(time.Microsecond), 0},
	{"RFC 3339 with surrounding spaces", `" 2025-01-15T14:30:00Z "`, decodeBaseTime, 0},
	{"Unix seconds as a JSON integer", `1736951400`, decodeBaseTime, 0},
	{"Unix seconds zero is the epoch", `0`, time.Unix(0, 0).UTC(), 0},
	{"Unix seconds as a JSON number with a 9-digit fraction", `1736951400.123456789`, decodeBaseTime.Add(123456789), time.Microsecond},
	{"Unix seconds as a JSON number with a 1-digit fraction", `1736951400.5`, decodeBaseTime.Add(500 * time.Millisecond), 0},
	{"Unix seconds as a JSON number with an exponent", `1.7369514e9`, decodeBaseTime, 0},
	{"Unix milliseconds as a JSON integer", `1736951400123`, decodeBaseTime.Add(123 * time.Millisecond), 0},
	{"Unix milliseconds as a JSON number with a fraction", `1736951400123.5`, decodeBaseTime.Add(123*time.Millisecond + 500*time.Microsecond), time.Microsecond},
	{"Unix seconds as a numeric string", `"1736951400"`, decodeBaseTime, 0},
	{"Unix seconds as a numeric string with a fraction", `"1736951400.000000001"`, decodeBaseTime.Add(1), 0},
	{"Unix milliseconds as a numeric string", `"1736951400123"`, decodeBaseTime.Add(123 * time.Millisecond), 0},
}

func TestDecodeTimestamp(t *testing.T) {
	for _, tc := range decodeTimestampCases {
		t.Run(tc.name, func(t *testing.T) {
			ev := mustDecode(t, withTimestamp(tc.ts))
			if ev.Time.Location() != time.UTC {
				t.Errorf("Time %v is in %v, want UTC", ev.Time, ev.Time.Location())
			}
			d := ev.Time.Sub(tc.want)
			if d < 0 {
				d = -d
			}
			if d > tc.tolerance {
				t.Errorf("timestamp %s = %s, want %s (within %v)", tc.ts,
					ev.Time.Format(time.RFC3339Nano), tc.want.Format(time.RFC3339Nano), tc.tolerance)
			}
		})
	}
}

func TestDecodeActor(t *testing.T) {
	cases := []struct {
		name  string
		actor string
		want  Party
	}{
		{
			name:  "object with every known key",
			actor: `{"id":"user_123","email":"admin@company.com","name":"Ada Admin","role":"admin","type":"user"}`,
			want:  Party{ID: "user_123", Email: "admin@company.com", Name: "Ada Admin", Role: "admin", Type: "user"},
		},
		{
			name:  "object keeps extra keys in Extra",
			actor: `{"id":"svc_9","type":"service","team":"blue","tags":["a","b"],"level":3}`,
			want: Party{ID: "svc_9", Type: "service", Extra: map[string]any{
				"team": "blue", "tags": []any{"a", "b"}, "level": json.Number("3"),
			}},
		},
		{
			name:  "numeric id kept as its text",
			actor: `{"id":12345678901234567890}`,
			want:  Party{ID: "12345678901234567890"},
		},
		{
			name:  "string with @ is the email",
			actor: `"admin@company.com"`,
			want:  Party{Email: "admin@company.com"},
		},
		{
			name:  "string without @ is the name",
			actor: `"Ada Admin"`,
			want:  Party{Name: "Ada Admin"},
		},
		{
			name:  "string is trimmed",
			actor: `"  admin@company.com "`,
			want:  Party{Email: "admin@company.com"},
		},
		{
			name:  "null is no actor",
			actor: `null`,
			want:  Party{},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ev := mustDecode(t, withField("actor", tc.actor))
			if !reflect.DeepEqual(ev.Actor, tc.want) {
				t.Errorf("actor %s decoded as %#v, want %#v", tc.actor, ev.Actor, tc.want)
			}
		})
	}
}

func TestDecodeTarget(t *testing.T) {
	cases := []struct {
		name   string
		target string
		want   Party
	}{
		{
			name:   "object with known and free keys",
			target: `{"id":"user_456","email":"john@company.com","uid":"rec_1","kind":"record","owner":{"id":"o1"}}`,
			want: Party{ID: "user_456", Email: "john@company.com", Extra: map[string]any{
				"uid": "rec_1", "kind": "record", "owner": map[string]any{"id": "o1"},
			}},
		},
		{
			name:   "string without @ is the name",
			target: `"Finance vault"`,
			want:   Party{Name: "Finance vault"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ev := mustDecode(t, withField("target", tc.target))
			if !reflect.DeepEqual(ev.Target, tc.want) {
				t.Errorf("target %s decoded as %#v, want %#v", tc.target, ev.Target, tc.want)
			}
		})
	}
}

func TestDecodeContext(t *testing.T) {
	cases := []struct {
		name    string
		context string
		want    Context
	}{
		{
			name:    "every known key and free keys",
			context: `{"ip":"192.168.1.100","user_agent":"Chrome/120","location":"San Francisco, CA","device":"MacBook","session_id":"sess_1","region":"us-west","hops":2}`,
			want: Context{IP: "192.168.1.100", UserAgent: "Chrome/120", Location: "San Francisco, CA", Device: "MacBook", SessionID: "sess_1",
				Extra: map[string]any{"region": "us-west", "hops": json.Number("2")}},
		},
		{"IPv4", `{"ip":"10.0.0.1"}`, Context{IP: "10.0.0.1"}},
		{"IPv4 with a port is the address", `{"ip":"10.0.0.1:8080"}`, Context{IP: "10.0.0.1"}},
		{"IPv6", `{"ip":"2001:db8::1"}`, Context{IP: "2001:db8::1"}},
		{"IPv6 in canonical form", `{"ip":"2001:DB8:0:0:0:0:0:1"}`, Context{IP: "2001:db8::1"}},
		{"IPv6 in brackets with a port is the address", `{"ip":"[2001:db8::1]:443"}`, Context{IP: "2001:db8::1"}},
		{"IPv4-mapped IPv6 is the IPv4 address", `{"ip":"::ffff:10.0.0.1"}`, Context{IP: "10.0.0.1"}},
		{"IP with surrounding spaces", `{"ip":" 10.0.0.1 "}`, Context{IP: "10.0.0.1"}},
		{"text that is not an address is kept", `{"ip":"unknown"}`, Context{IP: "unknown"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ev := mustDecode(t, withField("context", tc.context))
			if !reflect.DeepEqual(ev.Context, tc.want) {
				t.Errorf("context %s decoded as %#v, want %#v", tc.context, ev.Context, tc.want)
			}
		})
	}
}

func TestDecodeDetails(t *testing.T) {
	cases := []struct {
		name    string
		details string
		want    map[string]any
	}{
		{
			name:    "flat strings",
			details: `{"from_role":"viewer","to_role":"editor"}`,
			want:    map[string]any{"from_role": "viewer", "to_role": "editor"},
		},
		{
			name:    "numbers are json.Number, exact",
			details: `{"big":12345678901234567890,"ratio":1.50,"neg":-0.000001,"exp":1e400}`,
			want: map[string]any{"big": json.Number("12345678901234567890"), "ratio": json.Number("1.50"),
				"neg": json.Number("-0.000001"), "exp": json.Number("1e400")},
		},
		{
			name:    "every JSON type",
			details: `{"s":"x","b":true,"n":null,"a":[1,"two",false,null],"o":{}}`,
			want: map[string]any{"s": "x", "b": true, "n": nil,
				"a": []any{json.Number("1"), "two", false, nil}, "o": map[string]any{}},
		},
		{
			name:    "nested any depth",
			details: `{"l1":{"l2":{"l3":{"l4":[{"l5":{"n":7}}]}}}}`,
			want: map[string]any{"l1": map[string]any{"l2": map[string]any{"l3": map[string]any{
				"l4": []any{map[string]any{"l5": map[string]any{"n": json.Number("7")}}}}}}},
		},
		{
			name:    "unicode and escapes decoded",
			details: `{"note":"Zoë \u00e9 \"q\" a\\b \/ 🔐"}`,
			want:    map[string]any{"note": "Zoë é \"q\" a\\b / 🔐"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ev := mustDecode(t, withField("details", tc.details))
			if !reflect.DeepEqual(ev.Details, tc.want) {
				t.Errorf("details %s decoded as %#v, want %#v", tc.details, ev.Details, tc.want)
			}
		})
	}
}

func TestDecodeTopLevelFields(t *testing.T) {
	line := `{"event_id":"evt_abc123","timestamp":"2025-01-15T14:30:00Z","event_type":"member.role_changed",` +
		`"category":" Team ","component":"admin_console","source":"zenovay","severity":"HIGH","outcome":"Success",` +
		`"message":"Role changed"}`
	ev := mustDecode(t, line)
	cases := []struct{ field, got, want string }{
		{"ID is event_id", ev.ID, "evt_abc123"},
		{"Type is event_type", ev.Type, "member.role_changed"},
		{"Category is trimmed and lower-cased", ev.Category, "team"},
		{"Component kept", ev.Component, "admin_console"},
		{"Source kept", ev.Source, "zenovay"},
		{"Severity lower-cased", ev.Severity, "high"},
		{"Outcome lower-cased", ev.Outcome, "success"},
		{"Message kept", ev.Message, "Role changed"},
		{"Format is native", ev.Format, FormatNative},
	}
	for _, tc := range cases {
		t.Run(tc.field, func(t *testing.T) {
			if tc.got != tc.want {
				t.Errorf("got %q, want %q", tc.got, tc.want)
			}
		})
	}
}

func TestDecodeKeepsEventTypeExactly(t *testing.T) {
	for _, typ := range []string{"login.failed", "USER_CREATED", "app_record_shared", "Vault Management", " padded ", "ünïcode/ⓣype"} {
		t.Run(typ, func(t *testing.T) {
			b, _ := json.Marshal(typ)
			ev := mustDecode(t, `{"timestamp":"2025-01-15T14:30:00Z","event_type":`+string(b)+`}`)
			if ev.Type != typ {
				t.Errorf("Type = %q, want %q", ev.Type, typ)
			}
		})
	}
}

func TestDecodeEventIDScalars(t *testing.T) {
	cases := []struct{ name, id, want string }{
		{"string", `"evt_1"`, "evt_1"},
		{"number kept as its text", `12345678901234567890`, "12345678901234567890"},
		{"null is no id", `null`, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if ev := mustDecode(t, withField("event_id", tc.id)); ev.ID != tc.want {
				t.Errorf("event_id %s: ID = %q, want %q", tc.id, ev.ID, tc.want)
			}
		})
	}
}

func TestDecodeKeepsUnknownTopLevelKeys(t *testing.T) {
	line := `{"timestamp":"2025-01-15T14:30:00Z","event_type":"login.failed","tenant":"acme",` +
		`"attempts":12345678901234567890,"labels":{"env" : "prod"},"flag":false}`
	ev := mustDecode(t, line)
	want := map[string]json.RawMessage{
		"tenant":   json.RawMessage(`"acme"`),
		"attempts": json.RawMessage(`12345678901234567890`),
		"labels":   json.RawMessage(`{"env" : "prod"}`),
		"flag":     json.RawMessage(`false`),
	}
	if !reflect.DeepEqual(ev.Extra, want) {
		t.Errorf("Extra = %q, want %q", ev.Extra, want)
	}
}

func TestDecodeKeepsRawVerbatim(t *testing.T) {
	cases := []struct{ name, line string }{
		{"compact", `{"timestamp":"2025-01-15T14:30:00Z","event_type":"login.failed"}`},
		{"whitespace inside and around", " \t{ \"timestamp\" : \"2025-01-15T14:30:00Z\",\n  \"event_type\":\"login.failed\" }\r\n"},
		{"unicode and escapes", `{"timestamp":"2025-01-15T14:30:00Z","event_type":"login.failed","actor":"Zo\u00eb 🔐 \"x\""}`},
		{"bytes that are not UTF-8", "{\"timestamp\":\"2025-01-15T14:30:00Z\",\"event_type\":\"login.failed\",\"actor\":\"Jos\xe9\"}"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			in := []byte(tc.line)
			ev, err := Decode(in)
			if err != nil {
				t.Fatal(err)
			}
			if string(ev.Raw) != tc.line {
				t.Errorf("Raw = %q, want %q", ev.Raw, tc.line)
			}
		})
	}
}

func TestDecodeInvalidUTF8BecomesReplacementCharacter(t *testing.T) {
	line := "{\"event_id\":\"evt_\xe9\",\"timestamp\":\"2025-01-15T14:30:00Z\",\"event_type\":\"login.\xff\",\"message\":\"a\xe9\\n\"," +
		"\"actor\":{\"name\":\"Jos\xe9\"},\"target\":\"\xe9\xe9\",\"context\":{\"location\":\"S\xe3o Paulo\"},\"details\":{\"k\":\"v\xe9\"}}"
	ev := mustDecode(t, line)
	cases := []struct{ field, got, want string }{
		{"event_id", ev.ID, "evt_\ufffd"},
		{"event_type", ev.Type, "login.\ufffd"},
		{"message with an escape", ev.Message, "a\ufffd\n"},
		{"actor name", ev.Actor.Name, "Jos\ufffd"},
		{"target string, one U+FFFD per byte", ev.Target.Name, "\ufffd\ufffd"},
		{"context location", ev.Context.Location, "S\ufffdo Paulo"},
		{"details value", ev.Details["k"].(string), "v\ufffd"},
	}
	for _, tc := range cases {
		t.Run(tc.field, func(t *testing.T) {
			if tc.got != tc.want {
				t.Errorf("got %q, want %q", tc.got, tc.want)
			}
		})
	}
	t.Run("Raw keeps the bytes", func(t *testing.T) {
		if string(ev.Raw) != line {
			t.Errorf("Raw = %q, want %q", ev.Raw, line)
		}
	})
}

// decodeErrorCases lists every way an event can be unusable, with the exact
// reason Decode gives (it is shown after "file:line: ").
var decodeErrorCases = []struct {
	name string
	line string
	want string
}{
	{"empty line", ``, `empty line`},
	{"blank line", " \t\r\n", `empty line`},
	{"JSON array", `[{"timestamp":"2025-01-15T14:30:00Z","event_type":"login.failed"}]`, `not a JSON object (got an array)`},
	{"JSON string", `"login.failed"`, `not a JSON object (got a string)`},
	{"JSON number", `42`, `not a JSON object (got a number)`},
	{"JSON boolean", `true`, `not a JSON object (got a boolean)`},
	{"JSON null", `null`, `not a JSON object (got null)`},
	{"missing timestamp", `{"event_type":"login.failed"}`, `missing timestamp`},
	{"null timestamp", `{"timestamp":null,"event_type":"login.failed"}`, `missing timestamp`},
	{"empty timestamp", withTimestamp(`""`), `timestamp: empty`},
	{"unparseable timestamp", withTimestamp(`"yesterday"`), `timestamp: "yesterday" is not RFC 3339 (2006-01-02T15:04:05Z07:00) or Unix time`},
	{"timestamp without a time", withTimestamp(`"2025-01-15"`), `timestamp: "2025-01-15" is not RFC 3339 (2006-01-02T15:04:05Z07:00) or Unix time`},
	{"timestamp without an offset", withTimestamp(`"2025-01-15T14:30:00"`), `timestamp: "2025-01-15T14:30:00" is not RFC 3339 (2006-01-02T15:04:05Z07:00) or Unix time`},
	{"timestamp with an impossible date", withTimestamp(`"2025-02-30T14:30:00Z"`), `timestamp: "2025-02-30T14:30:00Z" is not RFC 3339 (2006-01-02T15:04:05Z07:00) or Unix time`},
	{"timestamp as a malformed numeric string", withTimestamp(`"1.2.3"`), `timestamp: "1.2.3" is not a number of Unix seconds or milliseconds`},
	{"timestamp as an object", withTimestamp(`{"seconds":1736951400}`), `timestamp: want an RFC 3339 string or Unix seconds/milliseconds, got {"seconds":1736951400}`},
	{"timestamp as an array", withTimestamp(`[2025,1,15]`), `timestamp: want an RFC 3339 string or Unix seconds/milliseconds, got [2025,1,15]`},
	{"timestamp as a boolean", withTimestamp(`true`), `timestamp: want an RFC 3339 string or Unix seconds/milliseconds, got true`},
	{"timestamp as a long object is clipped", withTimestamp(`{"seconds":1736951400,"nanos":123456789,"zone":"UTC"}`),
		`timestamp: want an RFC 3339 string or Unix seconds/milliseconds, got {"seconds":1736951400,"nanos":123456789,...`},
	{"timestamp as a multi-line object is one line", withTimestamp("{\n  \"s\": 1\n}"),
		`timestamp: want an RFC 3339 string or Unix seconds/milliseconds, got {   "s": 1 }`},
	{"timestamp too large for milliseconds", withTimestamp(`1e20`), `timestamp: 1e20 is out of range for Unix milliseconds`},
	{"timestamp before year 0000", withTimestamp(`-99999999999`), `timestamp: -99999999999 is outside the years 0000 to 9999`},
	{"timestamp after year 9999 in UTC", withTimestamp(`"9999-12-31T23:30:00-01:00"`), `timestamp: "9999-12-31T23:30:00-01:00" is outside the years 0000 to 9999`},
	{"timestamp before year 0000 in UTC", withTimestamp(`"0000-01-01T00:30:00+01:00"`), `timestamp: "0000-01-01T00:30:00+01:00" is outside the years 0000 to 9999`},
	{"missing event_type", `{"timestamp":"2025-01-15T14:30:00Z"}`, `missing event_type`},
	{"null event_type", `{"timestamp":"2025-01-15T14:30:00Z","event_type":null}`, `missing event_type`},
	{"event_type as a number", `{"timestamp":"2025-01-15T14:30:00Z","event_type":42}`, `event_type: not a string`},
	{"event_type as an object", `{"timestamp":"2025-01-15T14:30:00Z","event_type":{"name":"login"}}`, `event_type: not a string`},
	{"empty event_type", `{"timestamp":"2025-01-15T14:30:00Z","event_type":""}`, `event_type: empty`},
	{"blank event_type", `{"timestamp":"2025-01-15T14:30:00Z","event_type":" \t"}`, `event_type: empty`},
	{"actor as a number", withField("actor", `42`), `actor: want an object or a string`},
	{"actor as an array", withField("actor", `["admin@company.com"]`), `actor: want an object or a string`},
	{"actor as a boolean", withField("actor", `true`), `actor: want an object or a string`},
	{"target as a number", withField("target", `7`), `target: want an object or a string`},
	{"details as a string", withField("details", `"from viewer to editor"`), `details: want an object`},
	{"details as an array", withField("details", `[1,2]`), `details: want an object`},
	{"context as a string", withField("context", `"192.168.1.100"`), `context: want an object`},
	{"context as a number", withField("context", `1`), `context: want an object`},
	{"event_id as an object", withField("event_id", `{"id":"evt_1"}`), `event_id: want a string, got an object`},
	{"message as an array", withField("message", `["a","b"]`), `message: want a string, got an array`},
	{"top-level key twice", withField("timestamp", `"2025-01-15T14:30:01Z"`), `key /timestamp appears twice`},
	{"top-level key twice, once escaped", withField(`\u0074imestamp`, `"2025-01-15T14:30:01Z"`), `key /timestamp appears twice`},
	{"unknown top-level key twice", `{"timestamp":"2025-01-15T14:30:00Z","event_type":"x","tenant":"a","tenant":"b"}`, `key /tenant appears twice`},
	{"actor key twice", withField("actor", `{"id":"a","id":"b"}`), `key /actor/id appears twice`},
	{"nested details key twice", withField("details", `{"a":{"b":1,"b":2}}`), `key /details/a/b appears twice`},
}

func TestDecodeErrors(t *testing.T) {
	for _, tc := range decodeErrorCases {
		t.Run(tc.name, func(t *testing.T) {
			ev, err := Decode([]byte(tc.line))
			if err == nil {
				t.Fatalf("Decode(%q) = %+v, want error %q", tc.line, ev, tc.want)
			}
			if ev != nil {
				t.Errorf("Decode(%q) returned an event with its error", tc.line)
			}
			if err.Error() != tc.want {
				t.Errorf("Decode(%q) error\n got: %s\nwant: %s", tc.line, err, tc.want)
			}
		})
	}
}

// decodeNotJSONCases are lines that are not JSON at all. The reason starts
// with "not JSON: " and ends with the byte offset where parsing broke off;
// the words between come from encoding/json.
var decodeNotJSONCases = []struct {
	name string
	line string
	at   string
}{
	{"bare word", `hello`, "at byte 1"},
	{"broken object", `{bad`, "at byte 2"},
	{"truncated object", `{"timestamp":"2025-01-15T14:30:00Z"`, "at byte 35"},
	{"trailing garbage", `{"timestamp":"2025-01-15T14:30:00Z","event_type":"x"} x`, "at byte 55"},
	{"single quotes", `{'timestamp':'2025-01-15T14:30:00Z'}`, "at byte 2"},
	{"syslog line", `<34>Oct 11 22:14:15 mymachine su: 'su root' failed`, "at byte 1"},
}

func TestDecodeNotJSONSaysWhere(t *testing.T) {
	reason := regexp.MustCompile(`^not JSON: \S.* at byte \d+$`)
	for _, tc := range decodeNotJSONCases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Decode([]byte(tc.line))
			if err == nil {
				t.Fatalf("Decode(%q) succeeded, want a not-JSON error", tc.line)
			}
			if !reason.MatchString(err.Error()) || !strings.HasSuffix(err.Error(), " "+tc.at) {
				t.Errorf("Decode(%q) error = %q, want \"not JSON: <why> %s\"", tc.line, err, tc.at)
			}
		})
	}
}

func TestAssignID(t *testing.T) {
	a := []byte(`{"timestamp":"2025-01-15T14:30:00Z","event_type":"login.failed"}`)
	b := []byte(`{"timestamp":"2025-01-15T14:30:01Z","event_type":"login.failed"}`)
	idOf := func(raw []byte) string {
		t.Helper()
		ev, err := Decode(raw)
		if err != nil {
			t.Fatal(err)
		}
		ev.AssignID()
		return ev.ID
	}

	t.Run("derived from the bytes as vgl_ and 24 hex digits", func(t *testing.T) {
		if id := idOf(a); !regexp.MustCompile(`^vgl_[0-9a-f]{24}$`).MatchString(id) {
			t.Errorf("ID = %q, want vgl_ and 24 lower-case hex digits", id)
		}
	})
	t.Run("same bytes give the same id", func(t *testing.T) {
		if x, y := idOf(a), idOf(append([]byte(nil), a...)); x != y {
			t.Errorf("ids differ for the same bytes: %q, %q", x, y)
		}
	})
	t.Run("different bytes give different ids", func(t *testing.T) {
		if x, y := idOf(a), idOf(b); x == y {
			t.Errorf("ids equal for different bytes: %q", x)
		}
	})
	t.Run("same event with other whitespace inside is other bytes", func(t *testing.T) {
		spaced := []byte(`{"timestamp": "2025-01-15T14:30:00Z", "event_type": "login.failed"}`)
		if x, y := idOf(a), idOf(spaced); x == y {
			t.Errorf("ids equal for different bytes: %q", x)
		}
	})
	t.Run("whitespace around the object is ignored, as in the record", func(t *testing.T) {
		padded := append(append([]byte(" \t"), a...), "\r\n"...)
		if x, y := idOf(a), idOf(padded); x != y {
			t.Errorf("ids differ with surrounding whitespace: %q, %q", x, y)
		}
	})
	t.Run("an existing id is kept", func(t *testing.T) {
		ev := mustDecode(t, `{"event_id":"evt_abc123","timestamp":"2025-01-15T14:30:00Z","event_type":"login.failed"}`)
		ev.AssignID()
		if ev.ID != "evt_abc123" {
			t.Errorf("ID = %q, want evt_abc123", ev.ID)
		}
	})
}
