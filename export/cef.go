package export

import (
	"encoding/hex"
	"strconv"

	"github.com/vigil-dev/vigil/event"
	"github.com/vigil-dev/vigil/store"
)

// cefFormat writes ArcSight CEF, one event a line.
type cefFormat struct {
	plainLines
	prefix string // "CEF:0|Vendor|Product|Version|", escaped
	cat    *event.Catalogue
}

func newCEFFormat(opts Options) *cefFormat {
	b := []byte("CEF:0|")
	for _, s := range []string{opts.Vendor, opts.Product, opts.Version} {
		b = appendCEFHeader(b, s)
		b = append(b, '|')
	}
	cat := opts.Catalogue
	if cat == nil {
		cat = event.BuiltinCatalogue()
	}
	return &cefFormat{prefix: string(b), cat: cat}
}

func (f *cefFormat) needsEvent() bool { return true }

// name is CEF's Name: the catalogue's description of the action, else the
// action.
func (f *cefFormat) name(action string) string {
	if e, ok := f.cat.Lookup(action); ok && e.Description != "" {
		return e.Description
	}
	return action
}

func (f *cefFormat) appendLine(b []byte, r store.Record, ev *event.Event) ([]byte, error) {
	b = append(b, f.prefix...)
	b = appendCEFHeader(b, ev.Type)
	b = append(b, '|')
	b = appendCEFHeader(b, f.name(ev.Type))
	b = append(b, '|')
	b = strconv.AppendInt(b, int64(severityScore(ev.Severity)), 10)
	b = append(b, '|')

	x := cefExt{b: b}
	x.b = strconv.AppendInt(x.key("rt"), ev.Time.UnixMilli(), 10)
	x.add("externalId", ev.ID)
	x.add("cat", ev.Category)
	x.add("act", ev.Type)
	x.add("outcome", ev.Outcome)
	x.add("msg", ev.Message)
	x.add("suser", ev.Actor.Label())
	x.add("suid", ev.Actor.ID)
	x.add("spriv", ev.Actor.Role)
	x.add("duser", ev.Target.Label())
	x.add("duid", ev.Target.ID)
	kind, ip := classifyIP(ev.Context.IP)
	switch kind {
	case ipV4:
		x.add("src", ip)
	case ipV6:
		x.add("c6a1", ip)
		x.add("c6a1Label", "Source IPv6 Address")
	}
	x.add("requestClientApplication", ev.Context.UserAgent)
	x.labelled("cs1", "cs1Label", "location", ev.Context.Location)
	x.labelled("cs2", "cs2Label", "source", ev.Source)
	x.labelled("cs3", "cs3Label", "component", ev.Component)
	x.labelled("cs4", "cs4Label", "device", ev.Context.Device)
	x.b = hex.AppendEncode(x.key("cs5"), r.Hash[:])
	x.add("cs5Label", "chainHash")
	if d := detailsJSON(ev.Details); d != nil {
		x.labelled("cs6", "cs6Label", "details", string(d))
	}
	x.b = strconv.AppendUint(x.key("cn1"), r.Seq, 10)
	x.add("cn1Label", "seq")
	x.labelled("flexString1", "flexString1Label", "session", ev.Context.SessionID)
	if kind == ipText {
		x.labelled("flexString2", "flexString2Label", "ip", ip)
	}
	return x.b, nil
}

// cefExt builds a CEF extension: space-separated key=value pairs.
type cefExt struct {
	b []byte
	n int
}

// key appends the separator and "key=" and returns the buffer, for a value
// that needs no escaping (digits, hex) to be appended by the caller.
func (x *cefExt) key(k string) []byte {
	if x.n > 0 {
		x.b = append(x.b, ' ')
	}
	x.n++
	x.b = append(x.b, k...)
	return append(x.b, '=')
}

// add appends key=value with the value escaped; nothing for an empty value.
func (x *cefExt) add(k, v string) {
	if v == "" {
		return
	}
	x.b = appendCEFValue(x.key(k), v)
}

// labelled appends a custom field and its label; nothing for an empty value.
func (x *cefExt) labelled(k, labelKey, label, v string) {
	if v == "" {
		return
	}
	x.add(k, v)
	x.add(labelKey, label)
}

// appendCEFHeader appends s as a CEF header field: "\" and "|" escaped with
// a backslash, as the standard says; the header cannot hold a newline, so
// control characters (newlines among them) become their event.Safe
// stand-ins.
func appendCEFHeader(b []byte, s string) []byte {
	start := 0
	for i := 0; i < len(s); i++ {
		if c := s[i]; c == '\\' || c == '|' {
			b = append(b, event.Safe(s[start:i])...)
			b = append(b, '\\', c)
			start = i + 1
		}
	}
	return append(b, event.Safe(s[start:])...)
}

// appendCEFValue appends s as a CEF extension value: "\" and "=" escaped
// with a backslash, newline and carriage return written as \n and \r, as the
// standard says; every other control character becomes its event.Safe
// stand-in. "|" needs no escape in the extension.
func appendCEFValue(b []byte, s string) []byte {
	start := 0
	for i := 0; i < len(s); i++ {
		var esc byte
		switch s[i] {
		case '\\':
			esc = '\\'
		case '=':
			esc = '='
		case '\n':
			esc = 'n'
		case '\r':
			esc = 'r'
		default:
			continue
		}
		// s is cut only at ASCII bytes, which never occur inside a
		// multi-byte UTF-8 sequence: Safe sees every character whole.
		b = append(b, event.Safe(s[start:i])...)
		b = append(b, '\\', esc)
		start = i + 1
	}
	return append(b, event.Safe(s[start:])...)
}
