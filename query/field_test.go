package query

import (
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vigil-dev/vigil/event"
)

func TestTokens(t *testing.T) {
	cases := []struct {
		text string
		want []string
	}{
		{"", nil},
		{"Login failed for bob@x.com: bad password.", []string{"login", "failed", "for", "bob@x.com", "bad", "password"}},
		{"login.failed", []string{"login.failed"}},
		{"10.0.0.1 and 2001:db8::1", []string{"10.0.0.1", "and", "2001", "db8", "1"}},
		{"user_123 x-forwarded-for", []string{"user_123", "x-forwarded-for"}},
		// joiners are trimmed from the ends of a word, and alone are none
		{"-2+3", []string{"2", "3"}},
		{"...end. __init__ --flag @home", []string{"end", "init", "flag", "home"}},
		{"- . @ _", nil},
		{"/v1/events?limit=10", []string{"v1", "events", "limit", "10"}},
		{`a|b=c\d`, []string{"a", "b", "c", "d"}},
		{"it's", []string{"it", "s"}},
		// lower-cased, Unicode letters and marks kept
		{"ÜNÏCODE Straße ÉCOLE", []string{"ünïcode", "straße", "école"}},
		{"e\u0301cole", []string{"e\u0301cole"}},
		{"Ωmega ΣΊΣΥΦΟΣ", []string{"ωmega", "σίσυφοσ"}},
		{"١٢٣ مرحبا", []string{"١٢٣", "مرحبا"}},
		{"Привет, мир", []string{"привет", "мир"}},
		// Han, Hiragana and Katakana: one character, one word
		{"管理者", []string{"管", "理", "者"}},
		{"管理者がログイン", []string{"管", "理", "者", "が", "ロ", "グ", "イ", "ン"}},
		{"abc管理", []string{"abc", "管", "理"}},
		// Hangul is written with spaces: runs stay words
		{"관리자 로그인", []string{"관리자", "로그인"}},
		// symbols (emoji, ©) are words; the rest of punctuation separates
		{"🚀🔥 launch 🎉", []string{"🚀", "🔥", "launch", "🎉"}},
		{"©2025", []string{"©", "2025"}},
		{"a+b=c<d>e", []string{"a", "b", "c", "d", "e"}},
		// control characters separate; an invalid byte is U+FFFD, a symbol
		{"a\x1b[31mb\x00c", []string{"a", "31mb", "c"}},
		{"a\xffb", []string{"a", "\ufffd", "b"}},
		{"line1\nline2\r\n", []string{"line1", "line2"}},
	}
	for _, c := range cases {
		if got := Tokens(c.text); !slices.Equal(got, c.want) {
			t.Errorf("Tokens(%q) = %q, want %q", c.text, got, c.want)
		}
	}
}

// TestLowerEqMatchesToLower checks that the matcher's case folding, which
// builds no string, agrees with strings.ToLower, which Tokens (and so the
// index) uses.
func TestLowerEqMatchesToLower(t *testing.T) {
	words := []string{"abc", "ABC", "Straße", "STRASSE", "\u212a" /* Kelvin sign */, "k", "K", "İ", "i", "ǅ", "ǆ", "a\xffb", "a\ufffdb", "ΣΊΣ", "σίσ", "σίς", "", "ÀB"}
	for _, a := range words {
		for _, b := range words {
			lb := strings.ToLower(b)
			if got, want := lowerEq(a, lb), strings.ToLower(a) == lb; got != want {
				t.Errorf("lowerEq(%q, %q) = %v, want %v", a, lb, got, want)
			}
		}
	}
}

func TestGlob(t *testing.T) {
	cases := []struct {
		pat, s string
		want   bool
	}{
		{"*", "", true},
		{"*", "anything", true},
		{"?", "", false},
		{"?", "é", true},
		{"?", "ab", false},
		{"login.*", "login.failed", true},
		{"login.*", "LOGIN.", true},
		{"login.*", "login", false},
		{"*.failed", "login.failed", true},
		{"*a*b*c*", "xxaxxbxxcxx", true},
		{"*a*b*c*", "xxaxxcxxbxx", false},
		{"a*b?c", "aXXbYc", true},
		{"a*b?c", "abc", false},
		{"**x", "x", true},
		{"管*", "管理者", true},
		{"straße*", "STRASSE", false},
		{"k*", "\u212aelvin", true}, // the Kelvin sign lower-cases to k
		{"user_*", "User_Created", true},
	}
	for _, c := range cases {
		if got := newGlob(c.pat).match(c.s); got != c.want {
			t.Errorf("glob %q match %q = %v, want %v", c.pat, c.s, got, c.want)
		}
	}
}

func TestFields(t *testing.T) {
	fields := Fields()
	var names []string
	for _, f := range fields {
		names = append(names, f.Name)
		if f.Doc == "" {
			t.Errorf("field %s has no doc", f.Name)
		}
	}
	want := []string{"time", "action", "category", "user", "actor.email", "actor.id", "actor.name", "actor.type", "role", "target", "ip", "location", "ua", "device", "session", "component", "source", "severity", "outcome", "message", "id", "seq", "details."}
	if !slices.Equal(names, want) {
		t.Errorf("Fields() names = %q\nwant %q", names, want)
	}
	// The result is the caller's.
	fields[0].Aliases[0] = "changed"
	if Fields()[0].Aliases[0] != "timestamp" {
		t.Error("changing the result of Fields changed the field table")
	}
}

func TestCanonicalField(t *testing.T) {
	cases := []struct{ in, want string }{
		{"time", "time"}, {"timestamp", "time"}, {"@timestamp", "time"}, {"@TIMESTAMP", "time"},
		{"action", "action"}, {"event_type", "action"}, {"type", "action"}, {"Type", "action"},
		{"category", "category"},
		{"user", "user"}, {"actor", "user"},
		{"actor.email", "actor.email"}, {"actor.id", "actor.id"}, {"actor.name", "actor.name"}, {"actor.type", "actor.type"},
		{"role", "role"}, {"actor.role", "role"},
		{"target", "target"},
		{"ip", "ip"}, {"src", "ip"},
		{"location", "location"}, {"ua", "ua"}, {"user_agent", "ua"}, {"device", "device"}, {"session", "session"},
		{"component", "component"}, {"source", "source"}, {"severity", "severity"}, {"outcome", "outcome"}, {"message", "message"},
		{"id", "id"}, {"event_id", "id"},
		{"seq", "seq"},
		{"details.rows", "details.rows"}, {"DETAILS.Meta.Region", "details.meta.region"}, {"details.名前", "details.名前"},
	}
	for _, c := range cases {
		if got, ok := CanonicalField(c.in); !ok || got != c.want {
			t.Errorf("CanonicalField(%q) = %q, %v; want %q", c.in, got, ok, c.want)
		}
	}
	for _, bad := range []string{"", "usr", "details", "details.", "details..x", "details.x.", "context.ip", "target.email"} {
		if got, ok := CanonicalField(bad); ok {
			t.Errorf("CanonicalField(%q) = %q, want no field", bad, got)
		}
	}
	kinds := map[string]Kind{"time": KindTime, "src": KindIP, "message": KindText, "ua": KindText, "seq": KindNumber, "severity": KindSeverity, "details.x": KindDetails, "user": KindKeyword}
	for name, want := range kinds {
		if got, ok := FieldKind(name); !ok || got != want {
			t.Errorf("FieldKind(%q) = %v, %v; want %v", name, got, ok, want)
		}
	}
}

func TestFieldValues(t *testing.T) {
	ev := decoded(t, `{"event_id":"e1","timestamp":"2025-01-15T14:30:00.5Z","event_type":"member.role_changed",
		"actor":{"id":"user_123","email":"admin@company.com","name":"Admin","role":"admin","type":"user"},
		"target":{"id":"user_456","email":"john@company.com","uid":"x"},
		"details":{"from_role":"viewer","n":1.50,"tags":["b","a","b"],"deep":{"Key":[{"v":true},{"v":null}]},"empty":""},
		"context":{"ip":"192.168.1.100","user_agent":"Chrome/120","location":"San Francisco, CA","device":"mac","session_id":"s1","geo":"x"},
		"component":"api","message":"Role changed"}`)
	ev.Seq = 42
	cases := []struct {
		field string
		want  []string
	}{
		{"time", []string{"2025-01-15T14:30:00.5Z"}},
		{"@timestamp", []string{"2025-01-15T14:30:00.5Z"}},
		{"action", []string{"member.role_changed"}},
		{"category", []string{"team"}},
		{"user", []string{"admin@company.com", "user_123", "Admin"}},
		{"actor.type", []string{"user"}},
		{"role", []string{"admin"}},
		{"target", []string{"john@company.com", "user_456"}},
		{"ip", []string{"192.168.1.100"}},
		{"ua", []string{"Chrome/120"}},
		{"session", []string{"s1"}},
		{"component", []string{"api"}},
		{"source", []string{"zenovay"}},
		{"severity", []string{"medium"}},
		{"outcome", []string{"unknown"}},
		{"message", []string{"Role changed"}},
		{"id", []string{"e1"}},
		{"seq", []string{"42"}},
		{"details.n", []string{"1.50"}}, // as received
		{"details.tags", []string{"a", "b", "b"}},
		{"details.deep.key.v", []string{"true"}},
		{"details.empty", nil},
		{"details.nope", nil},
		{"nofield", nil},
	}
	for _, c := range cases {
		if got := FieldValues(ev, c.field); !slices.Equal(got, c.want) {
			t.Errorf("FieldValues(%s) = %q, want %q", c.field, got, c.want)
		}
	}
	facets := map[string][]string{
		"user":         {"admin@company.com"},
		"target":       {"john@company.com"},
		"details.tags": {"a", "b"},
		"ip":           {"192.168.1.100"},
	}
	for field, want := range facets {
		if got := FacetValues(ev, field); !slices.Equal(got, want) {
			t.Errorf("FacetValues(%s) = %q, want %q", field, got, want)
		}
	}
	text := TextValues(ev)
	slices.Sort(text)
	wantText := []string{"1.50", "192.168.1.100", "Admin", "Chrome/120", "Role changed", "San Francisco, CA", "a", "admin", "admin@company.com", "b", "b", "john@company.com", "mac", "member.role_changed", "s1", "true", "user", "user_123", "user_456", "viewer", "x", "x"}
	if !slices.Equal(text, wantText) {
		t.Errorf("TextValues = %q\nwant %q", text, wantText)
	}
}

func TestTally(t *testing.T) {
	evs := decodeAll(t, seedCorpus...)
	tally, err := NewTally("actor")
	if err != nil {
		t.Fatal(err)
	}
	for _, ev := range evs {
		tally.Add(ev)
	}
	want := []Count{{"admin@company.com", 3}, {"alice@company.com", 2}, {"John@Company.com", 1}, {"eve@evil.example", 1}, {"john@company.com", 1}}
	if got := tally.Counts(); !reflect.DeepEqual(got, want) {
		t.Errorf("Counts() = %v\nwant %v", got, want)
	}
	if got := tally.Top(2); !reflect.DeepEqual(got, want[:2]) {
		t.Errorf("Top(2) = %v, want %v", got, want[:2])
	}
	if got := tally.Top(50); !reflect.DeepEqual(got, want) {
		t.Errorf("Top(50) = %v, want all", got)
	}
	ipTally, _ := NewTally("src")
	for _, ev := range evs {
		ipTally.Add(ev)
	}
	wantIP := []Count{{"192.168.1.100", 2}, {"10.0.0.5", 1}, {"2001:db8::7", 1}, {"203.0.113.9", 1}}
	if got := ipTally.Counts(); !reflect.DeepEqual(got, wantIP) {
		t.Errorf("ip Counts() = %v\nwant %v (events without an ip are not counted)", got, wantIP)
	}
	if _, err := NewTally("usr"); err == nil {
		t.Error("NewTally(usr): no error")
	}
}

func TestTimechartBucket(t *testing.T) {
	cases := []struct {
		interval string
		t, want  string
	}{
		{"1h", "2025-01-15T14:30:00Z", "2025-01-15T14:00:00Z"},
		{"1h", "2025-01-15T14:30:00+02:00", "2025-01-15T12:00:00Z"},
		{"15m", "2025-01-15T14:29:59.999Z", "2025-01-15T14:15:00Z"},
		{"30s", "2025-01-15T14:29:45Z", "2025-01-15T14:29:30Z"},
		{"1d", "2025-01-15T23:59:59.999999999Z", "2025-01-15T00:00:00Z"},
		{"1d", "2025-01-16T00:00:00Z", "2025-01-16T00:00:00Z"},
		{"1w", "2025-01-15T10:00:00Z", "2025-01-13T00:00:00Z"}, // a Wednesday: the Monday before
		{"1w", "2025-01-13T00:00:00Z", "2025-01-13T00:00:00Z"},
	}
	for _, c := range cases {
		q, err := Parse("* | timechart " + c.interval)
		if err != nil {
			t.Fatal(err)
		}
		got := q.Stage.(*Timechart).Bucket(at(c.t))
		if !got.Equal(at(c.want)) || got.Location() != time.UTC {
			t.Errorf("timechart %s: Bucket(%s) = %v, want %s", c.interval, c.t, got, c.want)
		}
	}
}

// TestEveryValueFindsItsEvent holds FieldValues, TextValues and Tokens to
// Match: the quoted value of any field finds the event, as does each word
// of a text field and of the free text. The index is tested against the
// matcher, so these functions are what it must index.
func TestEveryValueFindsItsEvent(t *testing.T) {
	lines := append(append([]string{}, seedCorpus...),
		`{"event_id":"u1","timestamp":"2025-01-15T14:30:00.123456789+02:00","event_type":"Vault Management","actor":{"name":"管理者 🚀","type":"user"},"target":{"name":"Carol \"C\" O'Neil","kind":"x"},"details":{"Path":"C:\\temp","n":-1.5e3,"list":[1,"two",true],"obj":{"Deep":"v"}},"context":{"ip":"fe80::1%eth0","device":"Bob's Mac","session_id":"s-1","extra":"ünï"},"component":"hub","message":"Straße \u202e\u0007 ok"}`)
	evs := decodeAll(t, lines...)
	for i, ev := range evs {
		ev.Seq = uint64(i + 1)
	}
	for _, ev := range evs {
		var queries []string
		for _, f := range Fields() {
			if f.Kind == KindDetails {
				continue
			}
			for _, v := range FieldValues(ev, f.Name) {
				queries = append(queries, f.Name+":"+quote(v))
				if f.Kind == KindText {
					for _, w := range Tokens(v) {
						queries = append(queries, f.Name+":"+quote(w))
					}
				}
			}
		}
		for k := range ev.Details {
			field := DetailsPrefix + k
			for _, v := range FieldValues(ev, field) {
				queries = append(queries, field+":"+quote(v))
			}
		}
		for _, v := range TextValues(ev) {
			for _, w := range Tokens(v) {
				queries = append(queries, quote(w))
			}
			if len(Tokens(v)) > 0 {
				queries = append(queries, quote(v)) // the whole value is a phrase of it
			}
		}
		for _, q := range queries {
			if got := matching(t, q, seedNow, []*event.Event{ev}); len(got) != 1 {
				t.Errorf("%s does not find event %s", q, ev.ID)
			}
		}
	}
}

// TestSearchWordsAreTheMatchersWords holds SearchWords, which the index
// searches, to the words the matcher looks for.
func TestSearchWordsAreTheMatchersWords(t *testing.T) {
	for _, text := range []string{"Login.Failed", "/v1/events?x=1", "管理者 🚀", "fail* pa?s *@X.com", "ÜNÏ-*", "+++", "a\xffb"} {
		for _, wild := range []bool{false, true} {
			var want []string
			for _, p := range wordPatterns(text, wild) {
				if p.glob != nil {
					want = append(want, string(p.glob.pat))
				} else {
					want = append(want, p.lit)
				}
			}
			if got := SearchWords(text, wild); !slices.Equal(got, want) {
				t.Errorf("SearchWords(%q, %v) = %q, the matcher looks for %q", text, wild, got, want)
			}
		}
	}
	if n, ok := JSONNumber("-1.5e3"); !ok || n != -1500 {
		t.Errorf("JSONNumber(-1.5e3) = %v, %v", n, ok)
	}
	for _, bad := range []string{"", "01", "1.", ".5", "+1", "1e", "0x10", "Inf", "NaN", "1_000"} {
		if _, ok := JSONNumber(bad); ok {
			t.Errorf("JSONNumber(%q) accepted", bad)
		}
	}
}
