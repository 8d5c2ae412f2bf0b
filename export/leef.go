package export

import (
	"encoding/hex"
	"strconv"
	"strings"

	"github.com/vigil-dev/vigil/event"
	"github.com/vigil-dev/vigil/store"
)

const (
	// leefTimeFormat is devTime's layout in Go; leefTimeFormatJava is the
	// same layout as the Java SimpleDateFormat pattern QRadar reads from
	// devTimeFormat (IBM's own example uses it).
	leefTimeFormat     = "2006-01-02T15:04:05.000-0700"
	leefTimeFormatJava = "yyyy-MM-dd'T'HH:mm:ss.SSSZ"
	// leefDelimiters lists the printable delimiters allowed for leef2,
	// besides the tab.
	leefDelimiters = "!#$%&()*/;<>?@^_`|~"
)

// validLEEFDelimiter reports whether d may separate leef2 attributes: it
// must not occur in keys (letters, digits), and must not be a character
// that devTime, devTimeFormat or the JSON of details need, nor a space,
// which every message has.
func validLEEFDelimiter(d rune) bool {
	return d == '\t' || (d < 0x80 && strings.ContainsRune(leefDelimiters, d))
}

// leefFormat writes QRadar LEEF 1.0 or 2.0, one event a line.
type leefFormat struct {
	plainLines
	prefix string // "LEEF:1.0|Vendor|Product|Version|"
	suffix string // after EventID: "|", or for 2.0 "|^|"
	delim  byte
}

func newLEEFFormat(opts Options, delim rune, v2 bool) *leefFormat {
	b := []byte("LEEF:1.0|")
	if v2 {
		b = []byte("LEEF:2.0|")
	}
	for _, s := range []string{opts.Vendor, opts.Product, opts.Version} {
		b = appendLEEFHeader(b, s)
		b = append(b, '|')
	}
	suffix := "|"
	if v2 {
		switch delim {
		case '\t', '|':
			// Written in hex: a tab is invisible, a pipe would end the
			// field.
			suffix = "|x" + strings.ToUpper(hex.EncodeToString([]byte{byte(delim)})) + "|"
		default:
			suffix = "|" + string(delim) + "|"
		}
	}
	return &leefFormat{prefix: string(b), suffix: suffix, delim: byte(delim)}
}

func (f *leefFormat) needsEvent() bool { return true }

func (f *leefFormat) appendLine(b []byte, r store.Record, ev *event.Event) ([]byte, error) {
	b = append(b, f.prefix...)
	b = appendLEEFHeader(b, ev.Type)
	b = append(b, f.suffix...)

	x := leefAttrs{b: b, delim: f.delim}
	x.b = ev.Time.UTC().AppendFormat(x.key("devTime"), leefTimeFormat)
	x.add("devTimeFormat", leefTimeFormatJava)
	x.add("cat", ev.Category)
	if sev := severityScore(ev.Severity); sev > 0 {
		x.b = strconv.AppendInt(x.key("sev"), int64(sev), 10)
	}
	x.add("usrName", ev.Actor.Label())
	x.add("role", ev.Actor.Role)
	x.add("resource", ev.Target.Label())
	kind, ip := classifyIP(ev.Context.IP)
	if kind == ipV4 || kind == ipV6 {
		x.add("src", ip)
	}
	x.add("externalId", ev.ID)
	x.add("outcome", ev.Outcome)
	x.add("msg", ev.Message)
	x.add("actorId", ev.Actor.ID)
	x.add("targetId", ev.Target.ID)
	x.add("userAgent", ev.Context.UserAgent)
	x.add("location", ev.Context.Location)
	x.add("device", ev.Context.Device)
	x.add("session", ev.Context.SessionID)
	x.add("source", ev.Source)
	x.add("component", ev.Component)
	if kind == ipText {
		x.add("ip", ip)
	}
	x.b = strconv.AppendUint(x.key("seq"), r.Seq, 10)
	x.b = hex.AppendEncode(x.key("chainHash"), r.Hash[:])
	if d := detailsJSON(ev.Details); d != nil {
		x.add("details", string(d))
	}
	return x.b, nil
}

// leefAttrs builds LEEF event attributes separated by the delimiter.
type leefAttrs struct {
	b     []byte
	n     int
	delim byte
}

// key appends the delimiter and "key=" and returns the buffer, for a value
// that needs no change (digits, hex, the time) to be appended by the caller.
func (x *leefAttrs) key(k string) []byte {
	if x.n > 0 {
		x.b = append(x.b, x.delim)
	}
	x.n++
	x.b = append(x.b, k...)
	return append(x.b, '=')
}

// add appends key=value; nothing for an empty value.
func (x *leefAttrs) add(k, v string) {
	if v == "" {
		return
	}
	x.b = appendLEEFValue(x.key(k), v, x.delim)
}

// appendLEEFHeader appends s as a LEEF header field. LEEF has no escaping:
// control characters become their event.Safe stand-ins and "|" a space.
func appendLEEFHeader(b []byte, s string) []byte {
	return appendReplacing(b, event.Safe(s), '|')
}

// appendLEEFValue appends s as a LEEF attribute value. LEEF has no escaping:
// control characters (CR and LF among them) become their event.Safe
// stand-ins and the delimiter a space. A tab delimiter never survives Safe.
func appendLEEFValue(b []byte, s string, delim byte) []byte {
	return appendReplacing(b, event.Safe(s), delim)
}

// appendReplacing appends s with every c replaced by a space. c is ASCII,
// so it never occurs inside a multi-byte character.
func appendReplacing(b []byte, s string, c byte) []byte {
	for {
		i := strings.IndexByte(s, c)
		if i < 0 {
			return append(b, s...)
		}
		b = append(b, s[:i]...)
		b = append(b, ' ')
		s = s[i+1:]
	}
}
