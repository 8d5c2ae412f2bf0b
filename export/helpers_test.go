package export

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/vigil-dev/vigil/event"
	"github.com/vigil-dev/vigil/store"
)

// fixture is a chain of stored events built the way the store builds them:
// decoded, normalised against the builtin catalogue, given an id, encoded as
// records and linked by store.Hash from the zero anchor.
type fixture struct {
	recs []store.Record
	evs  []*event.Event // as a reader sees them: event.DecodeRecord of the record
}

var received = time.Date(2025, 1, 15, 15, 0, 0, 0, time.UTC)

// build makes a fixture of native events given as JSON.
func build(t testing.TB, raws ...string) fixture {
	t.Helper()
	evs := make([]*event.Event, len(raws))
	for i, raw := range raws {
		ev, err := event.Decode([]byte(raw))
		if err != nil {
			t.Fatalf("decode event %d %q: %v", i, raw, err)
		}
		evs[i] = ev
	}
	return buildEvents(t, evs...)
}

// buildEvents makes a fixture of decoded events.
func buildEvents(t testing.TB, evs ...*event.Event) fixture {
	t.Helper()
	cat := event.BuiltinCatalogue()
	var f fixture
	var prev [32]byte // the anchor of a new store
	for i, ev := range evs {
		cat.Normalize(ev)
		ev.AssignID()
		seq := uint64(i + 1)
		rec, err := event.EncodeRecord(ev, seq, received)
		if err != nil {
			t.Fatalf("encode event %d: %v", i, err)
		}
		hash := store.Hash(prev, seq, rec)
		f.recs = append(f.recs, store.Record{Seq: seq, Prev: prev, Hash: hash, Data: rec})
		dev, err := event.DecodeRecord(rec)
		if err != nil {
			t.Fatalf("decode record %d: %v", seq, err)
		}
		f.evs = append(f.evs, dev)
		prev = hash
	}
	return f
}

// export writes the fixture in a format and returns the output.
func (f fixture) export(t testing.TB, format string, opts Options) string {
	t.Helper()
	var out bytes.Buffer
	w, err := NewWriter(format, &out, opts)
	if err != nil {
		t.Fatalf("NewWriter(%s): %v", format, err)
	}
	for i, r := range f.recs {
		if err := w.Write(r, f.evs[i]); err != nil {
			t.Fatalf("%s: write seq %d: %v", format, r.Seq, err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatalf("%s: close: %v", format, err)
	}
	return out.String()
}

// jsonText returns v as JSON, for building test events.
func jsonText(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// hostile are strings an attacker can put in any field of an event.
var hostile = []string{
	"\x1b[2J\x1b[H",    // ESC: clear the screen
	"\x1b]0;pwned\x07", // OSC: set the window title
	"\x1b]8;;http://evil/\x1b\\link\x1b]8;;\x1b\\", // OSC 8 hyperlink
	`=HYPERLINK("http://evil.example/","click")`,
	"+cmd|' /C calc'!A0",
	"-2+3",
	"@SUM(A1)",
	"\tleading tab",
	"\rleading CR",
	`a|b=c\d`,
	"line1\nline2\r\n",
	"evil\u202Etxt.exe", // RIGHT-TO-LEFT OVERRIDE
	"👩‍💻 emoji 🎉",
	"日本語のテキスト 中文",
	"x\u2028y\u2029z\u0085w",
	"^caret^ and\ttab",
	`trailing backslash \`,
	"forged CEF:0|a|b|c|d|e|10|src=1.1.1.1",
	"forged\nLEEF:1.0|a|b|c|d|usrName=root",
	" key=value msg=forged suser=root",
	"\x00nul\x7fdel\u009bcsi",
	"'quoted",
	"＝1+1",
}

// hostileEvent returns a native event with h in every field that takes a
// string.
func hostileEvent(t testing.TB, i int, h string) string {
	t.Helper()
	return jsonText(t, map[string]any{
		"event_id":   "evt_" + h,
		"timestamp":  "2025-01-15T14:30:00.123Z",
		"event_type": "x" + h,
		"actor":      map[string]any{"id": h, "email": h + "@example.com", "name": h, "role": h},
		"target":     map[string]any{"id": h, "name": h},
		"details":    map[string]any{"k": h, h: []any{h, i}},
		"context":    map[string]any{"ip": h, "user_agent": h, "location": h, "device": h, "session_id": h},
		"component":  h,
		"source":     h,
		"message":    h,
	})
}

// sampleEvents are ordinary events: the seed's webhook payload and a few
// others, IPv4 and IPv6, with and without details.
func sampleEvents(t testing.TB) []string {
	return []string{
		`{
  "event_id": "evt_abc123",
  "timestamp": "2025-01-15T14:30:00Z",
  "event_type": "member.role_changed",
  "actor":   {"id": "user_123", "email": "admin@company.com", "role": "admin"},
  "target":  {"id": "user_456", "email": "john@company.com"},
  "details": {"from_role": "viewer", "to_role": "editor"},
  "context": {"ip": "192.168.1.100", "user_agent": "Chrome/120", "location": "San Francisco, CA"}
}`,
		`{"event_id":"evt_2","timestamp":"2025-01-15T14:31:00.5Z","event_type":"login.failed","actor":"john@company.com","context":{"ip":"2001:db8::1","session_id":"s-1"},"details":{"reason":"bad password","attempts":3}}`,
		`{"timestamp":1736951520,"event_type":"USER_CREATED","actor":{"name":"root","type":"system"},"target":{"email":"new@company.com","uid":"u-9"},"component":"admin_console","source":"insight"}`,
		`{"timestamp":"2025-01-15T14:33:00Z","event_type":"app_record_shared","details":{"username":"kim","secret_uid":"rec-1","app_uid":"app-7"},"context":{"ip":"not-an-ip"}}`,
	}
}

// hasControl reports whether s holds a character no CEF or LEEF line may
// carry raw: a C0 control other than except, DEL, a C1 control, a
// bidirectional control, a line or paragraph separator, or a byte that is
// not UTF-8. event.Safe changes exactly those.
func hasControl(s string, except byte) bool {
	if except != 0 {
		s = strings.ReplaceAll(s, string(except), "")
	}
	return event.Safe(s) != s
}
