package export

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/vigil-dev/vigil/event"
)

// cefRecord is a CEF line as parseCEF reads it.
type cefRecord struct {
	header [7]string // CEF:0, vendor, product, version, signature id, name, severity
	ext    map[string]string
	keys   []string // in order
}

var cefKey = regexp.MustCompile(`^[A-Za-z0-9]+$`)

// parseCEF is an independent reader of one CEF line, written from the
// standard alone: seven header fields separated by unescaped pipes, in
// which "\|" and "\\" are the only escapes; then space-separated key=value
// pairs in which every "=" of a value is escaped, so that each unescaped
// "=" ends a key, the key being the last space-separated word before it;
// value escapes are "\\", "\=", "\n" and "\r" and nothing else.
func parseCEF(line string) (cefRecord, error) {
	var rec cefRecord
	field, i := 0, 0
	var cur strings.Builder
	for ; i < len(line) && field < 7; i++ {
		switch c := line[i]; c {
		case '\\':
			if i+1 >= len(line) || (line[i+1] != '\\' && line[i+1] != '|') {
				return rec, fmt.Errorf("header: bad escape at byte %d", i)
			}
			cur.WriteByte(line[i+1])
			i++
		case '|':
			rec.header[field] = cur.String()
			cur.Reset()
			field++
		default:
			cur.WriteByte(c)
		}
	}
	if field < 7 {
		return rec, fmt.Errorf("header has %d fields, want 7", field)
	}
	if rec.header[0] != "CEF:0" {
		return rec, fmt.Errorf("starts with %q", rec.header[0])
	}
	ext := line[i:]
	// Positions of the unescaped "=": each ends a key.
	var eqs []int
	for j := 0; j < len(ext); j++ {
		switch ext[j] {
		case '\\':
			if j+1 >= len(ext) || !strings.ContainsRune(`\=nr`, rune(ext[j+1])) {
				return rec, fmt.Errorf("extension: bad escape at byte %d of %q", j, ext)
			}
			j++
		case '=':
			eqs = append(eqs, j)
		}
	}
	rec.ext = map[string]string{}
	keyStart := func(eq int) int { return strings.LastIndexByte(ext[:eq], ' ') + 1 }
	for n, eq := range eqs {
		ks := keyStart(eq)
		if n == 0 && ks != 0 {
			return rec, fmt.Errorf("extension starts with %q before its first key", ext[:ks])
		}
		key := ext[ks:eq]
		if !cefKey.MatchString(key) {
			return rec, fmt.Errorf("extension: bad key %q", key)
		}
		end := len(ext)
		if n+1 < len(eqs) {
			end = keyStart(eqs[n+1]) - 1 // the space before the next key
		}
		if _, dup := rec.ext[key]; dup {
			return rec, fmt.Errorf("extension: key %q twice", key)
		}
		rec.ext[key] = unescapeCEF(ext[eq+1 : end])
		rec.keys = append(rec.keys, key)
	}
	return rec, nil
}

func unescapeCEF(s string) string {
	return strings.NewReplacer(`\\`, `\`, `\=`, `=`, `\n`, "\n", `\r`, "\r").Replace(s)
}

// cefLine builds a CEF line from its parts with the writer's own escaping.
func cefLine(hdr [5]string, sev int, ext [][2]string) string {
	b := []byte("CEF:0|")
	for _, h := range hdr {
		b = appendCEFHeader(b, h)
		b = append(b, '|')
	}
	b = strconv.AppendInt(b, int64(sev), 10)
	b = append(b, '|')
	x := cefExt{b: b}
	for _, kv := range ext {
		x.add(kv[0], kv[1])
	}
	return string(x.b)
}

// TestCEFSpecExamples rebuilds the example lines of the CEF standard, and of
// a reference parser's tests, from their parts.
func TestCEFSpecExamples(t *testing.T) {
	tm := [3]string{"security", "threatmanager", "1.0"}
	cases := []struct {
		source string
		line   string // without the syslog prefix "Sep 19 08:26:10 host "
		hdr    [5]string
		sev    int
		ext    [][2]string
	}{
		{
			// Micro Focus ArcSight, "Implementing ArcSight Common Event
			// Format (CEF)" (CEF Version 25), "CEF Header": the example
			// event, as sent by syslog:
			//   Sep 19 08:26:10 host CEF:0|security|threatmanager|1.0|100|worm successfully stopped|10|src=10.0.0.1 dst=2.1.2.2 spt=1232
			source: "CEF standard, header example",
			line:   `CEF:0|security|threatmanager|1.0|100|worm successfully stopped|10|src=10.0.0.1 dst=2.1.2.2 spt=1232`,
			hdr:    [5]string{tm[0], tm[1], tm[2], "100", "worm successfully stopped"},
			sev:    10,
			ext:    [][2]string{{"src", "10.0.0.1"}, {"dst", "2.1.2.2"}, {"spt", "1232"}},
		},
		{
			// Same standard, "Character Encoding": "If a pipe (|) is used in
			// the header, it has to be escaped with a backslash (\). But
			// note that pipes in the extension do not need escaping."
			//   Sep 19 08:26:10 host CEF:0|security|threatmanager|1.0|100|detected a \| in message|10|src=10.0.0.1 act=blocked a | dst=1.1.1.1
			source: "CEF standard, pipe in header and extension",
			line:   `CEF:0|security|threatmanager|1.0|100|detected a \| in message|10|src=10.0.0.1 act=blocked a | dst=1.1.1.1`,
			hdr:    [5]string{tm[0], tm[1], tm[2], "100", "detected a | in message"},
			sev:    10,
			ext:    [][2]string{{"src", "10.0.0.1"}, {"act", "blocked a |"}, {"dst", "1.1.1.1"}},
		},
		{
			// "If a backslash (\) is used in the header or the extension, it
			// has to be escaped with another backslash (\)." (The example
			// is also quoted by Falcon LogScale's parseCEF() reference.)
			//   Sep 19 08:26:10 host CEF:0|security|threatmanager|1.0|100|detected a \\ in packet|10|src=10.0.0.1 act=blocked a \\ dst=1.1.1.1
			source: "CEF standard, backslash",
			line:   `CEF:0|security|threatmanager|1.0|100|detected a \\ in packet|10|src=10.0.0.1 act=blocked a \\ dst=1.1.1.1`,
			hdr:    [5]string{tm[0], tm[1], tm[2], "100", `detected a \ in packet`},
			sev:    10,
			ext:    [][2]string{{"src", "10.0.0.1"}, {"act", `blocked a \`}, {"dst", "1.1.1.1"}},
		},
		{
			// "If an equal sign (=) is used in the extensions, it has to be
			// escaped with a backslash (\). Equal signs in the header need
			// no escaping."
			//   Sep 19 08:26:10 host CEF:0|security|threatmanager|1.0|100|detected a = in message|10|src=10.0.0.1 act=blocked a \= dst=1.1.1.1
			source: "CEF standard, equal sign",
			line:   `CEF:0|security|threatmanager|1.0|100|detected a = in message|10|src=10.0.0.1 act=blocked a \= dst=1.1.1.1`,
			hdr:    [5]string{tm[0], tm[1], tm[2], "100", "detected a = in message"},
			sev:    10,
			ext:    [][2]string{{"src", "10.0.0.1"}, {"act", "blocked a ="}, {"dst", "1.1.1.1"}},
		},
		{
			// "Multi-line fields can be sent by CEF by encoding the newline
			// character as \n or \r. Note that multiple lines are only
			// allowed in the value part of the extensions.", with its
			// example value: msg=Detected a threat.\n No action needed.
			source: "CEF standard, multi-line extension value",
			line:   `CEF:0|security|threatmanager|1.0|100|detected a threat|10|msg=Detected a threat.\n No action needed.`,
			hdr:    [5]string{tm[0], tm[1], tm[2], "100", "detected a threat"},
			sev:    10,
			ext:    [][2]string{{"msg", "Detected a threat.\n No action needed."}},
		},
		{
			// elastic/beats, x-pack/filebeat/processors/decode_cef/cef/
			// cef_test.go, escapedMessage (its parser reads vendor
			// `security\compliance`, product `threat|->manager`, and the msg
			// below):
			//   CEF:0|security\\compliance|threat\|->manager|1.0|100|message contains escapes|10|spt=1232 msg=Newlines in messages\nare allowed.\r\nAnd so are carriage feeds\\newlines\\\=.
			source: "elastic/beats decode_cef test, escapedMessage",
			line:   `CEF:0|security\\compliance|threat\|->manager|1.0|100|message contains escapes|10|spt=1232 msg=Newlines in messages\nare allowed.\r\nAnd so are carriage feeds\\newlines\\\=.`,
			hdr:    [5]string{`security\compliance`, "threat|->manager", "1.0", "100", "message contains escapes"},
			sev:    10,
			ext:    [][2]string{{"spt", "1232"}, {"msg", "Newlines in messages\nare allowed.\r\nAnd so are carriage feeds\\newlines\\=."}},
		},
	}
	for _, c := range cases {
		t.Run(c.source, func(t *testing.T) {
			if got := cefLine(c.hdr, c.sev, c.ext); got != c.line {
				t.Errorf("built\n%s\nwant\n%s", got, c.line)
			}
			// The test's reader agrees with the example too.
			rec, err := parseCEF(c.line)
			if err != nil {
				t.Fatalf("parseCEF: %v", err)
			}
			if got := [5]string(rec.header[1:6]); got != c.hdr {
				t.Errorf("parsed header %q, want %q", got, c.hdr)
			}
			for _, kv := range c.ext {
				if rec.ext[kv[0]] != kv[1] {
					t.Errorf("parsed %s=%q, want %q", kv[0], rec.ext[kv[0]], kv[1])
				}
			}
		})
	}
}

// safeKeepingLines is what a CEF value becomes: event.Safe, but with CR and
// LF kept (the value escapes write them as \r and \n).
func safeKeepingLines(s string) string {
	var b strings.Builder
	for {
		i := strings.IndexAny(s, "\r\n")
		if i < 0 {
			b.WriteString(event.Safe(s))
			return b.String()
		}
		b.WriteString(event.Safe(s[:i]))
		b.WriteByte(s[i])
		s = s[i+1:]
	}
}

func TestCEFEvent(t *testing.T) {
	f := build(t, sampleEvents(t)...)
	out := f.export(t, CEF, Options{Vendor: "Acme|Corp", Product: "vigil", Version: "1.2"})
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) != len(f.recs) {
		t.Fatalf("%d lines for %d events:\n%s", len(lines), len(f.recs), out)
	}
	rec, err := parseCEF(lines[0])
	if err != nil {
		t.Fatalf("%v\n%s", err, lines[0])
	}
	entry, ok := event.BuiltinCatalogue().Lookup("member.role_changed")
	if !ok || entry.Description == "" {
		t.Fatal("the catalogue has no description of member.role_changed")
	}
	wantHeader := [7]string{"CEF:0", "Acme|Corp", "vigil", "1.2", "member.role_changed",
		entry.Description, strconv.Itoa(severityScore(f.evs[0].Severity))}
	if rec.header != wantHeader {
		t.Errorf("header %q\nwant   %q", rec.header, wantHeader)
	}
	want := map[string]string{
		"rt":                       "1736951400000",
		"externalId":               "evt_abc123",
		"cat":                      "team",
		"act":                      "member.role_changed",
		"outcome":                  f.evs[0].Outcome,
		"suser":                    "admin@company.com",
		"suid":                     "user_123",
		"spriv":                    "admin",
		"duser":                    "john@company.com",
		"duid":                     "user_456",
		"src":                      "192.168.1.100",
		"requestClientApplication": "Chrome/120",
		"cs1":                      "San Francisco, CA",
		"cs1Label":                 "location",
		"cs5":                      fmt.Sprintf("%x", f.recs[0].Hash),
		"cs5Label":                 "chainHash",
		"cs6":                      `{"from_role":"viewer","to_role":"editor"}`,
		"cs6Label":                 "details",
		"cn1":                      "1",
		"cn1Label":                 "seq",
	}
	if m := f.evs[0].Message; m != "" {
		want["msg"] = m
	}
	if s := f.evs[0].Source; s != "" {
		want["cs2"], want["cs2Label"] = s, "source"
	}
	for k, v := range want {
		if rec.ext[k] != v {
			t.Errorf("%s=%q, want %q", k, rec.ext[k], v)
		}
	}
	for k := range rec.ext {
		if _, ok := want[k]; !ok {
			t.Errorf("unexpected key %s=%q", k, rec.ext[k])
		}
	}

	// IPv6 goes to c6a1, text that is not an address to flexString2.
	rec2, err := parseCEF(lines[1])
	if err != nil {
		t.Fatal(err)
	}
	if rec2.ext["c6a1"] != "2001:db8::1" || rec2.ext["c6a1Label"] != "Source IPv6 Address" || rec2.ext["src"] != "" {
		t.Errorf("IPv6: %v", rec2.ext)
	}
	if rec2.ext["flexString1"] != "s-1" || rec2.ext["flexString1Label"] != "session" {
		t.Errorf("session: %v", rec2.ext)
	}
	if rec2.header[6] != "3" || rec2.ext["outcome"] != "failure" {
		t.Errorf("login.failed: severity %s outcome %s", rec2.header[6], rec2.ext["outcome"])
	}
	rec4, err := parseCEF(lines[3])
	if err != nil {
		t.Fatal(err)
	}
	if rec4.ext["flexString2"] != "not-an-ip" || rec4.ext["src"] != "" || rec4.ext["c6a1"] != "" {
		t.Errorf("non-address ip: %v", rec4.ext)
	}
}

func TestCEFHostile(t *testing.T) {
	var raws []string
	for i, h := range hostile {
		raws = append(raws, hostileEvent(t, i, h))
	}
	f := build(t, raws...)
	out := f.export(t, CEF, Options{Vendor: "ven|dor\\", Product: "pro\nduct", Version: "v=1"})
	if strings.Contains(out, "\r") {
		t.Error("output holds a carriage return")
	}
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) != len(f.recs) {
		t.Fatalf("%d lines for %d events: a value broke a line", len(lines), len(f.recs))
	}
	for i, line := range lines {
		ev, h := f.evs[i], hostile[i]
		if hasControl(line, 0) {
			t.Errorf("event %d (%q): raw control character in %q", i, h, line)
		}
		rec, err := parseCEF(line)
		if err != nil {
			t.Errorf("event %d (%q): %v\n%s", i, h, err, line)
			continue
		}
		wantHeader := [7]string{"CEF:0", `ven|dor\`, event.Safe("pro\nduct"), "v=1", event.Safe(ev.Type), event.Safe(ev.Type),
			strconv.Itoa(severityScore(ev.Severity))}
		if rec.header != wantHeader {
			t.Errorf("event %d (%q): header %q\nwant %q", i, h, rec.header, wantHeader)
		}
		want := map[string]string{
			"externalId":               ev.ID,
			"act":                      ev.Type,
			"msg":                      ev.Message,
			"suser":                    ev.Actor.Label(),
			"suid":                     ev.Actor.ID,
			"spriv":                    ev.Actor.Role,
			"duser":                    ev.Target.Label(),
			"duid":                     ev.Target.ID,
			"requestClientApplication": ev.Context.UserAgent,
			"cs1":                      ev.Context.Location,
			"cs2":                      ev.Source,
			"cs3":                      ev.Component,
			"cs4":                      ev.Context.Device,
			"flexString1":              ev.Context.SessionID,
			"flexString2":              ev.Context.IP,
		}
		for k, v := range want {
			if v == "" {
				continue
			}
			if got, wantV := rec.ext[k], safeKeepingLines(v); got != wantV {
				t.Errorf("event %d (%q): %s=%q, want %q", i, h, k, got, wantV)
			}
		}
		// No key was forged: exactly the keys the writer writes.
		wantKeys := []string{"rt", "externalId", "cat", "act", "outcome", "msg", "suser", "suid", "spriv", "duser", "duid",
			"requestClientApplication", "cs1", "cs1Label", "cs2", "cs2Label", "cs3", "cs3Label", "cs4", "cs4Label",
			"cs5", "cs5Label", "cs6", "cs6Label", "cn1", "cn1Label", "flexString1", "flexString1Label", "flexString2", "flexString2Label"}
		if !slices.Equal(rec.keys, wantKeys) {
			t.Errorf("event %d (%q): keys\n%q\nwant\n%q", i, h, rec.keys, wantKeys)
		}
		// Every "=" and "\" inside a value is escaped.
		ext := line[strings.Index(line, "|rt=")+1:]
		for _, k := range rec.keys {
			v := valueText(ext, k)
			for j := 0; j < len(v); j++ {
				switch v[j] {
				case '\\':
					if j+1 == len(v) || !strings.ContainsRune(`\=nr`, rune(v[j+1])) {
						t.Errorf("event %d: %s: lone backslash in %q", i, k, v)
					}
					j++
				case '=':
					t.Errorf("event %d: %s: unescaped = in %q", i, k, v)
				}
			}
		}
	}
}

// valueText returns the raw text of key's value in a CEF extension whose
// keys are known to be right.
func valueText(ext, key string) string {
	i := strings.Index(" "+ext, " "+key+"=")
	v := ext[i+len(key)+1:]
	if j := regexp.MustCompile(` [A-Za-z0-9]+=`).FindStringIndex(v); j != nil {
		v = v[:j[0]]
	}
	return v
}

func TestCEFSeverity(t *testing.T) {
	for sev, want := range map[string]int{"info": 1, "low": 3, "medium": 5, "high": 8, "critical": 10, "bogus": 0, "": 0} {
		if got := severityScore(sev); got != want {
			t.Errorf("severityScore(%q) = %d, want %d", sev, got, want)
		}
	}
}
