package auditd

import (
	"bytes"
	"encoding/hex"
	"errors"
	"net/netip"
	"strconv"
	"strings"
	"unicode/utf8"
)

// header is the start of an audit record:
// [node=NODE ]type=TYPE msg=audit(SECONDS.MILLIS:SERIAL):
type header struct {
	node, typ string
	sec, frac string // seconds and fraction, as written
	serial    string
	body      string // the fields after the header
}

// auditID is SECONDS.MILLIS:SERIAL, the kernel's name of the event.
func (h header) auditID() string { return h.sec + "." + h.frac + ":" + h.serial }

// key groups the records of one event.
func (h header) key() string { return h.node + " " + h.auditID() }

var errNoHeader = errors.New("not an auditd record: no type=TYPE msg=audit(TIME:SERIAL)")

// parseHeader reads a record's header. DAEMON_* records of some versions
// have no colon after the closing parenthesis; both forms are read.
func parseHeader(line string) (header, error) {
	var h header
	s := line
	if rest, ok := strings.CutPrefix(s, "node="); ok {
		i := strings.IndexByte(rest, ' ')
		if i < 0 {
			return h, errNoHeader
		}
		h.node, s = rest[:i], rest[i+1:]
	}
	rest, ok := strings.CutPrefix(s, "type=")
	if !ok {
		return h, errNoHeader
	}
	i := strings.Index(rest, " msg=audit(")
	if i <= 0 {
		return h, errNoHeader
	}
	h.typ = rest[:i]
	rest = rest[i+len(" msg=audit("):]
	j := strings.IndexByte(rest, ')')
	if j < 0 {
		return h, errNoHeader
	}
	stamp := rest[:j]
	ts, serial, ok := strings.Cut(stamp, ":")
	if !ok {
		return h, errNoHeader
	}
	sec, frac, ok := strings.Cut(ts, ".")
	if !ok || !digits(sec) || !digits(frac) || !digits(serial) {
		return h, errNoHeader
	}
	h.sec, h.frac, h.serial = sec, frac, serial
	body := strings.TrimPrefix(rest[j+1:], ":")
	h.body = strings.TrimSpace(body)
	return h, nil
}

func digits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// field is one key=value of a record, its value decoded.
type field struct {
	key, value string
}

// parseFields reads the key=value pairs of a record's body. Values are
// bare, "double-quoted" or 'single-quoted'; the single-quoted msg='...'
// of user-space records holds more pairs, which are read as the record's
// own. Words without "=" (DAEMON_END's "auditd normal halt,") are
// skipped, except SELinux's "avc:  denied  { read } for", read as
// seresult and seperms. The enriched part of a record (after the group
// separator \x1d) is read like the rest. Hex-encoded values are decoded:
// see decodeValue.
func parseFields(typ, body string) []field {
	var out []field
	if rest, ok := strings.CutPrefix(body, "avc:"); ok {
		rest = strings.TrimSpace(rest)
		word, after, _ := strings.Cut(rest, " ")
		out = append(out, field{"seresult", word})
		if i, j := strings.IndexByte(after, '{'), strings.IndexByte(after, '}'); i >= 0 && j > i {
			out = append(out, field{"seperms", strings.Join(strings.Fields(after[i+1:j]), ",")})
			body = after[j+1:]
		}
	}
	scanFields(typ, body, &out)
	return out
}

func scanFields(typ, s string, out *[]field) {
	i := 0
	for i < len(s) {
		for i < len(s) && (s[i] == ' ' || s[i] == '\x1d') {
			i++
		}
		start := i
		for i < len(s) && s[i] != '=' && s[i] != ' ' && s[i] != '\x1d' {
			i++
		}
		if i >= len(s) || s[i] != '=' {
			continue // a word, not a pair
		}
		key := s[start:i]
		i++ // the '='
		var val string
		quoted := false
		if i < len(s) && (s[i] == '"' || s[i] == '\'') {
			q := s[i]
			end := strings.IndexByte(s[i+1:], q)
			if end < 0 {
				val = s[i+1:]
				i = len(s)
			} else {
				val = s[i+1 : i+1+end]
				i += end + 2
			}
			quoted = true
			if key == "msg" && q == '\'' {
				scanFields(typ, val, out)
				continue
			}
		} else {
			// A bare value ends at white space or at a stray quote (some
			// kernels write key=HEX").
			vs := i
			for i < len(s) && s[i] != ' ' && s[i] != '\x1d' && s[i] != '"' && s[i] != '\'' {
				i++
			}
			val = s[vs:i]
		}
		if key == "" {
			continue
		}
		if !quoted {
			val = decodeValue(typ, key, val)
		}
		*out = append(*out, field{key, val})
	}
}

// decodeValue decodes an unquoted value that auditd hex-encoded. Auditd
// writes an untrusted string (a command, a path, an account name) in
// double quotes, or, when it holds a space, a quote or a control
// character, as upper-case hex without quotes. Only the fields that carry
// such strings are decoded: acct, cmd, comm, cwd, data, dir, exe, file,
// grp, key, name, new_group, ocomm, path, proctitle, root_dir, sw, watch,
// and the arguments a0, a1, ... (and a1[0], ...) of EXECVE records. The
// several keys of a rule (key=...) are separated by \x01 when encoded;
// they are joined with commas.
func decodeValue(typ, key, val string) string {
	if !encodedField(typ, key) || !upperHex(val) {
		return val
	}
	b, err := hex.DecodeString(val)
	if err != nil {
		return val
	}
	s := string(b)
	if key == "key" {
		s = strings.ReplaceAll(s, "\x01", ",")
	}
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	return s
}

func encodedField(typ, key string) bool {
	switch key {
	case "acct", "cmd", "comm", "cwd", "data", "dir", "exe", "file", "grp", "key",
		"name", "new_group", "ocomm", "path", "proctitle", "root_dir", "sw", "watch":
		return true
	}
	if typ == "EXECVE" && len(key) > 1 && key[0] == 'a' && (key[1] >= '0' && key[1] <= '9') {
		return !strings.HasSuffix(key, "_len")
	}
	return false
}

func upperHex(s string) bool {
	if len(s) == 0 || len(s)%2 != 0 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return true
}

// sockaddr reads the hex-encoded socket address of a SOCKADDR record: the
// family, and the address and port of an IPv4 or IPv6 address or the path
// of a Unix socket. What it cannot read, it leaves out.
func sockaddr(saddr string) map[string]string {
	b, err := hex.DecodeString(saddr)
	if err != nil || len(b) < 2 {
		return nil
	}
	family := int(b[0]) | int(b[1])<<8 // sa_family is in host order: little-endian on the machines auditd runs on
	switch {
	case family == 1: // AF_UNIX
		p := b[2:]
		if i := bytes.IndexByte(p, 0); i > 0 {
			p = p[:i]
		} else if i == 0 {
			return map[string]string{"family": "unix"}
		}
		return map[string]string{"family": "unix", "path": strings.ToValidUTF8(string(p), "\uFFFD")}
	case family == 2 && len(b) >= 8: // AF_INET
		ip, _ := netip.AddrFromSlice(b[4:8])
		return map[string]string{"family": "ipv4", "addr": ip.String(), "port": strconv.Itoa(int(b[2])<<8 | int(b[3]))}
	case family == 10 && len(b) >= 24: // AF_INET6
		ip, _ := netip.AddrFromSlice(b[8:24])
		return map[string]string{"family": "ipv6", "addr": ip.String(), "port": strconv.Itoa(int(b[2])<<8 | int(b[3]))}
	case family == 0:
		return map[string]string{"family": "unspec"}
	case family == 16:
		return map[string]string{"family": "netlink"}
	}
	return map[string]string{"family": strconv.Itoa(family)}
}
