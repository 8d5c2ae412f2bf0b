package export

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vigil-dev/vigil/event"
)

// leefRecord is a LEEF line as parseLEEF reads it.
type leefRecord struct {
	header []string // LEEF:V, vendor, product, version, event id (and the delimiter field of 2.0)
	attrs  map[string]string
	keys   []string
}

// parseLEEF is an independent reader of one LEEF line, written from IBM's
// description alone: a header of pipe-separated fields (five for 1.0; six
// for 2.0, whose sixth names the delimiter as a character or as hex after
// "x" or "0x"), then attributes separated by the delimiter (a tab for 1.0),
// each a key, "=", and a value. Keys must not contain spaces or "="; LEEF
// has no escapes.
func parseLEEF(line string) (leefRecord, error) {
	var rec leefRecord
	n := 6
	if strings.HasPrefix(line, "LEEF:2.0|") {
		n = 7
	} else if !strings.HasPrefix(line, "LEEF:1.0|") {
		return rec, fmt.Errorf("not LEEF: %.20q", line)
	}
	parts := strings.SplitN(line, "|", n)
	if len(parts) != n {
		return rec, fmt.Errorf("header has %d fields", len(parts)-1)
	}
	rec.header = parts[:n-1]
	delim := "\t"
	if n == 7 {
		d := parts[5]
		switch {
		case strings.HasPrefix(d, "0x"), strings.HasPrefix(d, "x") && len(d) > 1:
			var r rune
			if _, err := fmt.Sscanf(strings.TrimPrefix(strings.TrimPrefix(d, "0"), "x"), "%x", &r); err != nil {
				return rec, fmt.Errorf("delimiter %q: %v", d, err)
			}
			delim = string(r)
		case len([]rune(d)) == 1:
			delim = d
		default:
			return rec, fmt.Errorf("delimiter field %q", d)
		}
	}
	rec.attrs = map[string]string{}
	for _, a := range strings.Split(parts[n-1], delim) {
		k, v, ok := strings.Cut(a, "=")
		if !ok || k == "" || strings.ContainsAny(k, " =") {
			return rec, fmt.Errorf("attribute %q", a)
		}
		if _, dup := rec.attrs[k]; dup {
			return rec, fmt.Errorf("key %q twice", k)
		}
		rec.attrs[k] = v
		rec.keys = append(rec.keys, k)
	}
	return rec, nil
}

// leefLine builds a LEEF line from its parts with the writer's own code.
func leefLine(v2 bool, delim rune, hdr [4]string, attrs [][2]string) string {
	f := newLEEFFormat(Options{Vendor: hdr[0], Product: hdr[1], Version: hdr[2]}, delim, v2)
	b := append([]byte(f.prefix), hdr[3]...)
	b = append(b, f.suffix...)
	x := leefAttrs{b: b, delim: f.delim}
	for _, kv := range attrs {
		x.add(kv[0], kv[1])
	}
	return string(x.b)
}

// TestLEEFSpecExamples rebuilds IBM's example lines from their parts.
func TestLEEFSpecExamples(t *testing.T) {
	cases := []struct {
		source string
		line   string
		v2     bool
		delim  rune
		hdr    [4]string
		attrs  [][2]string
	}{
		{
			// IBM QRadar DSM Configuration, "LEEF event components", the
			// header examples:
			//   LEEF:1.0|Microsoft|MSExchange|4.0 SP1|15345|
			//   LEEF:2.0|Lancope|StealthWatch|1.0|41|^|
			// with the attribute example of the same page (shown there
			// with <tab> for the tabs):
			//   src=192.0.2.0<tab>dst=172.50.123.1<tab>sev=5<tab>cat=anomaly<tab>srcPort=81<tab>dstPort=21<tab>usrName=joe.black
			source: "IBM LEEF event components, 1.0",
			line:   "LEEF:1.0|Microsoft|MSExchange|4.0 SP1|15345|src=192.0.2.0\tdst=172.50.123.1\tsev=5\tcat=anomaly\tsrcPort=81\tdstPort=21\tusrName=joe.black",
			delim:  '\t',
			hdr:    [4]string{"Microsoft", "MSExchange", "4.0 SP1", "15345"},
			attrs: [][2]string{{"src", "192.0.2.0"}, {"dst", "172.50.123.1"}, {"sev", "5"}, {"cat", "anomaly"},
				{"srcPort", "81"}, {"dstPort", "21"}, {"usrName", "joe.black"}},
		},
		{
			// Tenzir's LEEF format reference, "real-world LEEF events":
			//   LEEF:2.0|Lancope|StealthWatch|1.0|41|^|src=10.0.1.8^dst=10.0.0.5^sev=5^srcPort=81^dstPort=21
			source: "Tenzir LEEF reference, 2.0 with caret",
			line:   "LEEF:2.0|Lancope|StealthWatch|1.0|41|^|src=10.0.1.8^dst=10.0.0.5^sev=5^srcPort=81^dstPort=21",
			v2:     true,
			delim:  '^',
			hdr:    [4]string{"Lancope", "StealthWatch", "1.0", "41"},
			attrs:  [][2]string{{"src", "10.0.1.8"}, {"dst", "10.0.0.5"}, {"sev", "5"}, {"srcPort", "81"}, {"dstPort", "21"}},
		},
		{
			// IBM QRadar, "Expressions in LEEF format for structured data",
			// the LEEF V2.0 event with the caret separator (the page wraps
			// it over lines; its devTimeFormat there lacks a "-", which its
			// V1.0 twin has):
			//   LEEF:2.0|ABC Company|SystemDefender|1.13|console_login|^|devTimeFormat=yyyy-MM-dd'T'HH:mm:ss.SSSZ^devTime=2017-10-18T11:26:03.060+0200^usrName=flastname^name=Firstname Lastname^authType=interactivePassword^src=192.168.0.1
			source: "IBM QRadar LEEF expressions, 2.0",
			line:   "LEEF:2.0|ABC Company|SystemDefender|1.13|console_login|^|devTimeFormat=yyyy-MM-dd'T'HH:mm:ss.SSSZ^devTime=2017-10-18T11:26:03.060+0200^usrName=flastname^name=Firstname Lastname^authType=interactivePassword^src=192.168.0.1",
			v2:     true,
			delim:  '^',
			hdr:    [4]string{"ABC Company", "SystemDefender", "1.13", "console_login"},
			attrs: [][2]string{{"devTimeFormat", leefTimeFormatJava}, {"devTime", "2017-10-18T11:26:03.060+0200"},
				{"usrName", "flastname"}, {"name", "Firstname Lastname"}, {"authType", "interactivePassword"}, {"src", "192.168.0.1"}},
		},
		{
			// The same page's LEEF V1.0 event (tabs shown there as spaces):
			//   LEEF:1.0|ABC Company|SystemDefender|1.13|console_login|devTimeFormat=yyyy-MM-dd'T'HH:mm:ss.SSSZ devTime=2017-10-18T11:26:03.060+0200 usrName=flastname name=Firstname Lastname authType=interactivePassword src=192.168.0.1
			source: "IBM QRadar LEEF expressions, 1.0",
			line:   "LEEF:1.0|ABC Company|SystemDefender|1.13|console_login|devTimeFormat=yyyy-MM-dd'T'HH:mm:ss.SSSZ\tdevTime=2017-10-18T11:26:03.060+0200\tusrName=flastname\tname=Firstname Lastname\tauthType=interactivePassword\tsrc=192.168.0.1",
			delim:  '\t',
			hdr:    [4]string{"ABC Company", "SystemDefender", "1.13", "console_login"},
			attrs: [][2]string{{"devTimeFormat", leefTimeFormatJava}, {"devTime", "2017-10-18T11:26:03.060+0200"},
				{"usrName", "flastname"}, {"name", "Firstname Lastname"}, {"authType", "interactivePassword"}, {"src", "192.168.0.1"}},
		},
	}
	for _, c := range cases {
		t.Run(c.source, func(t *testing.T) {
			if got := leefLine(c.v2, c.delim, c.hdr, c.attrs); got != c.line {
				t.Errorf("built\n%q\nwant\n%q", got, c.line)
			}
			rec, err := parseLEEF(c.line)
			if err != nil {
				t.Fatalf("parseLEEF: %v", err)
			}
			if got := [4]string(rec.header[1:5]); got != c.hdr {
				t.Errorf("parsed header %q, want %q", got, c.hdr)
			}
			for _, kv := range c.attrs {
				if rec.attrs[kv[0]] != kv[1] {
					t.Errorf("parsed %s=%q, want %q", kv[0], rec.attrs[kv[0]], kv[1])
				}
			}
		})
	}

	// devTime in the writer's layout reproduces IBM's example time, and the
	// writer's devTimeFormat is the example's pattern.
	at := time.Date(2017, 10, 18, 11, 26, 3, 60e6, time.FixedZone("", 2*3600))
	if got := at.Format(leefTimeFormat); got != "2017-10-18T11:26:03.060+0200" {
		t.Errorf("devTime %s", got)
	}
	if got := at.UTC().Format(leefTimeFormat); got != "2017-10-18T09:26:03.060+0000" {
		t.Errorf("devTime in UTC %s", got)
	}
}

func TestLEEFDelimiters(t *testing.T) {
	f := build(t, sampleEvents(t)[0])
	for _, c := range []struct {
		delim  rune
		header string
	}{
		{0, "|^|"}, {'^', "|^|"}, {'\t', "|x09|"}, {'|', "|x7C|"}, {'~', "|~|"}, {';', "|;|"},
	} {
		out := f.export(t, LEEF2, Options{LEEFDelimiter: c.delim})
		if !strings.HasPrefix(out, "LEEF:2.0|vigil|vigil|dev|member.role_changed"+c.header) {
			t.Errorf("delimiter %q: %.70q", c.delim, out)
		}
		rec, err := parseLEEF(strings.TrimSuffix(out, "\n"))
		if err != nil {
			t.Errorf("delimiter %q: %v", c.delim, err)
			continue
		}
		if rec.attrs["usrName"] != "admin@company.com" || rec.attrs["location"] != "San Francisco, CA" {
			t.Errorf("delimiter %q: %v", c.delim, rec.attrs)
		}
	}
	for _, d := range []rune{' ', '=', 'a', 'Z', '7', '-', ':', '.', '+', '\'', '"', ',', '{', '\\', '\n', '\r', 0x7f, '¦', '⟨'} {
		if _, err := NewWriter(LEEF2, &strings.Builder{}, Options{LEEFDelimiter: d}); err == nil {
			t.Errorf("delimiter %q accepted", d)
		}
	}
}

func TestLEEFEvent(t *testing.T) {
	f := build(t, sampleEvents(t)...)
	for _, format := range []string{LEEF, LEEF2} {
		out := f.export(t, format, Options{})
		lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
		if len(lines) != len(f.recs) {
			t.Fatalf("%s: %d lines for %d events", format, len(lines), len(f.recs))
		}
		rec, err := parseLEEF(lines[0])
		if err != nil {
			t.Fatalf("%s: %v\n%s", format, err, lines[0])
		}
		ev := f.evs[0]
		want := map[string]string{
			"devTime":       "2025-01-15T14:30:00.000+0000",
			"devTimeFormat": "yyyy-MM-dd'T'HH:mm:ss.SSSZ",
			"cat":           "team",
			"sev":           fmt.Sprint(severityScore(ev.Severity)),
			"usrName":       "admin@company.com",
			"role":          "admin",
			"resource":      "john@company.com",
			"src":           "192.168.1.100",
			"externalId":    "evt_abc123",
			"outcome":       ev.Outcome,
			"actorId":       "user_123",
			"targetId":      "user_456",
			"userAgent":     "Chrome/120",
			"location":      "San Francisco, CA",
			"seq":           "1",
			"chainHash":     fmt.Sprintf("%x", f.recs[0].Hash),
			"details":       `{"from_role":"viewer","to_role":"editor"}`,
		}
		if ev.Message != "" {
			want["msg"] = ev.Message
		}
		if ev.Source != "" {
			want["source"] = ev.Source
		}
		for k, v := range want {
			if rec.attrs[k] != v {
				t.Errorf("%s: %s=%q, want %q", format, k, rec.attrs[k], v)
			}
		}
		for k := range rec.attrs {
			if _, ok := want[k]; !ok {
				t.Errorf("%s: unexpected %s=%q", format, k, rec.attrs[k])
			}
		}
		if rec.header[4] != "member.role_changed" {
			t.Errorf("%s: EventID %q", format, rec.header[4])
		}
		rec2, _ := parseLEEF(lines[1])
		if rec2.attrs["src"] != "2001:db8::1" {
			t.Errorf("%s: IPv6 src %q", format, rec2.attrs["src"])
		}
		rec4, _ := parseLEEF(lines[3])
		if rec4.attrs["ip"] != "not-an-ip" || rec4.attrs["src"] != "" {
			t.Errorf("%s: non-address ip: %v", format, rec4.attrs)
		}
	}
}

func TestLEEFHostile(t *testing.T) {
	var raws []string
	for i, h := range hostile {
		raws = append(raws, hostileEvent(t, i, h))
	}
	f := build(t, raws...)
	for _, c := range []struct {
		format string
		delim  rune
	}{{LEEF, '\t'}, {LEEF2, '^'}, {LEEF2, '|'}, {LEEF2, '\t'}, {LEEF2, '@'}} {
		out := f.export(t, c.format, Options{Vendor: "ven|dor", Product: "pro\nduct", Version: "1^2", LEEFDelimiter: c.delim})
		if strings.Contains(out, "\r") {
			t.Errorf("%s %q: output holds a carriage return", c.format, c.delim)
		}
		lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
		if len(lines) != len(f.recs) {
			t.Fatalf("%s %q: %d lines for %d events: a value broke a line", c.format, c.delim, len(lines), len(f.recs))
		}
		// The value a string becomes: Safe, then the delimiter a space.
		value := func(s string) string { return strings.ReplaceAll(event.Safe(s), string(c.delim), " ") }
		for i, line := range lines {
			ev, h := f.evs[i], hostile[i]
			tab := byte(0)
			if c.delim == '\t' {
				tab = '\t'
			}
			if hasControl(line, tab) {
				t.Errorf("%s %q event %d (%q): raw control character in %q", c.format, c.delim, i, h, line)
			}
			rec, err := parseLEEF(line)
			if err != nil {
				t.Errorf("%s %q event %d (%q): %v\n%q", c.format, c.delim, i, h, err, line)
				continue
			}
			wantHeader := []string{"LEEF:1.0", "ven dor", event.Safe("pro\nduct"), "1^2", strings.ReplaceAll(event.Safe(ev.Type), "|", " ")}
			if c.format == LEEF2 {
				wantHeader[0] = "LEEF:2.0"
			}
			if !slices.Equal(rec.header[:5], wantHeader) {
				t.Errorf("%s %q event %d (%q): header %q\nwant %q", c.format, c.delim, i, h, rec.header, wantHeader)
			}
			wantKeys := []string{"devTime", "devTimeFormat", "cat", "sev", "usrName", "role", "resource", "externalId",
				"outcome", "msg", "actorId", "targetId", "userAgent", "location", "device", "session", "source",
				"component", "ip", "seq", "chainHash", "details"}
			if !slices.Equal(rec.keys, wantKeys) {
				t.Errorf("%s %q event %d (%q): keys\n%q\nwant\n%q", c.format, c.delim, i, h, rec.keys, wantKeys)
			}
			for k, v := range map[string]string{
				"usrName": ev.Actor.Label(), "role": ev.Actor.Role, "resource": ev.Target.Label(),
				"externalId": ev.ID, "msg": ev.Message, "actorId": ev.Actor.ID, "targetId": ev.Target.ID,
				"userAgent": ev.Context.UserAgent, "location": ev.Context.Location, "device": ev.Context.Device,
				"session": ev.Context.SessionID, "source": ev.Source, "component": ev.Component, "ip": ev.Context.IP,
			} {
				if got, want := rec.attrs[k], value(v); got != want {
					t.Errorf("%s %q event %d (%q): %s=%q, want %q", c.format, c.delim, i, h, k, got, want)
				}
				if strings.Contains(rec.attrs[k], string(c.delim)) {
					t.Errorf("%s %q event %d: the delimiter inside %s=%q", c.format, c.delim, i, k, rec.attrs[k])
				}
			}
		}
	}
}
