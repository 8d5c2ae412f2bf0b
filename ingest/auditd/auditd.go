// Package auditd reads raw Linux audit logs (/var/log/audit/audit.log, the
// lines "type=TYPE msg=audit(SECONDS.MILLIS:SERIAL): key=value ...") for
// ingest. The records of one event, which share their msg=audit(...) stamp
// (SYSCALL, EXECVE, CWD, PATH, PROCTITLE, ...), become one event whose Raw
// is the records' lines exactly as read, joined with "\n".
//
// Hex-encoded values are decoded, the event is typed by its most telling
// record, and the login uid (auid), uid, acct and id fields give the actor
// or the target depending on the kind of record.
package auditd

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/vigil-dev/vigil/event"
	"github.com/vigil-dev/vigil/ingest"
)

// Name is the format's name, and Source the source its events carry.
const (
	Name   = "auditd"
	Source = "auditd"
)

// window is how many records later an event's records may still arrive:
// the kernel writes an event's records together, but other events'
// records can come between them. An event is complete when its EOE
// record comes, or when window records have passed since its last one.
const window = 128

// Format is the raw auditd log format. The zero value is ready to use.
type Format struct{}

var _ ingest.Format = Format{}

// Name returns "auditd".
func (Format) Name() string { return Name }

// Detect recognises a first line that starts with "type=TYPE msg=", after
// an optional "node=NAME ".
func (Format) Detect(head []byte) bool {
	head = bytes.TrimLeft(head, " \t\r\n")
	if i := bytes.IndexByte(head, '\n'); i >= 0 {
		head = head[:i]
	}
	s := string(head)
	if rest, ok := strings.CutPrefix(s, "node="); ok {
		_, s, _ = strings.Cut(rest, " ")
	}
	rest, ok := strings.CutPrefix(s, "type=")
	if !ok {
		return false
	}
	typ, _, ok := strings.Cut(rest, " msg=")
	return ok && typ != "" && !strings.ContainsAny(typ, " =")
}

// group is an event being gathered by Split.
type group struct {
	key   string
	line  int
	lines [][]byte
	last  int // index of its last record
}

// grouper gathers the records of events for Split.
type grouper struct {
	maxSize int
	emit    func(ingest.Unit) error
	open    map[string]*group
	order   []*group // open events, first seen first
	index   int      // records read so far
}

// Split groups the records of each event. A line that is no audit record
// (no msg=audit(TIME:SERIAL) stamp) is a unit of its own, rejected with
// the reason; nothing is dropped.
func (Format) Split(r io.Reader, maxSize int, emit func(ingest.Unit) error) error {
	br := bufio.NewReaderSize(r, 1<<16)
	g := &grouper{maxSize: maxSize, emit: emit, open: map[string]*group{}}
	lineNo := 0
	for {
		data, err := br.ReadBytes('\n')
		if err != nil && err != io.EOF {
			return err
		}
		if len(data) > 0 {
			lineNo++
			line := bytes.TrimRight(data, "\r\n")
			if len(bytes.TrimSpace(line)) > 0 {
				if e := g.record(line, lineNo); e != nil {
					return e
				}
			}
		}
		if err == io.EOF {
			break
		}
	}
	for len(g.order) > 0 {
		if err := g.send(g.order[0]); err != nil {
			return err
		}
	}
	return nil
}

// record adds one line to its event, or emits it as a reject, and passes
// on the events that are complete.
func (g *grouper) record(line []byte, lineNo int) error {
	h, err := parseHeader(string(line))
	if err != nil {
		return g.emit(ingest.Unit{Line: lineNo, Raw: line, Err: err})
	}
	key := h.key()
	e := g.open[key]
	if e == nil {
		e = &group{key: key, line: lineNo}
		g.open[key] = e
		g.order = append(g.order, e)
	}
	e.lines = append(e.lines, line)
	e.last = g.index
	g.index++
	if h.typ == "EOE" {
		if err := g.send(e); err != nil {
			return err
		}
	}
	for len(g.order) > 0 && g.order[0].last < g.index-window {
		if err := g.send(g.order[0]); err != nil {
			return err
		}
	}
	return nil
}

// send passes on one event: its lines joined with "\n".
func (g *grouper) send(e *group) error {
	delete(g.open, e.key)
	for i, o := range g.order {
		if o == e {
			g.order = append(g.order[:i], g.order[i+1:]...)
			break
		}
	}
	u := ingest.Unit{Line: e.line, Raw: bytes.Join(e.lines, []byte{'\n'})}
	if len(u.Raw) > g.maxSize {
		u.Err = fmt.Errorf("event is %d bytes, larger than the limit of %d", len(u.Raw), g.maxSize)
	}
	return g.emit(u)
}

// rec is one parsed record of an event.
type rec struct {
	typ    string
	fields []field
}

func (r rec) get(key string) string {
	for _, f := range r.fields {
		if f.key == key {
			return f.value
		}
	}
	return ""
}

// auxiliary records describe the event their SYSCALL or user-space record
// is about; they do not name it.
func auxiliary(typ string) bool {
	switch typ {
	case "SYSCALL", "EXECVE", "CWD", "PATH", "PROCTITLE", "SOCKADDR", "EOE", "BPRM_FCAPS",
		"OBJ_PID", "FD_PAIR", "IPC", "MMAP", "CAPSET", "MQ_OPEN", "MQ_SENDRECV", "MQ_NOTIFY", "MQ_GETSETATTR":
		return true
	}
	return false
}

// loginRecord reports the records about a user signing in or out, whose
// acct and id name that user: the actor.
func loginRecord(typ string) bool {
	switch typ {
	case "USER_AUTH", "USER_ACCT", "USER_LOGIN", "USER_LOGOUT", "USER_START", "USER_END",
		"USER_ERR", "CRED_ACQ", "CRED_DISP", "CRED_REFR", "LOGIN", "USER_ROLE_CHANGE",
		"ANOM_LOGIN_FAILURES", "ANOM_LOGIN_TIME", "ANOM_LOGIN_SESSIONS", "ANOM_LOGIN_LOCATION":
		return true
	}
	return false
}

// accountRecord reports the records about managing an account, whose acct
// and id name the account: the target.
func accountRecord(typ string) bool {
	switch typ {
	case "ADD_USER", "DEL_USER", "ADD_GROUP", "DEL_GROUP", "USER_MGMT", "GRP_MGMT",
		"USER_CHAUTHTOK", "GRP_CHAUTHTOK", "ACCT_LOCK", "ACCT_UNLOCK", "ROLE_ASSIGN", "ROLE_REMOVE":
		return true
	}
	return false
}

// Map maps the records of one event.
//
// Type is the type of the event's first record that is not auxiliary (a
// user-space record such as USER_LOGIN, or CONFIG_CHANGE, AVC, ...), else
// EXECVE when a program was run, else SYSCALL, else the first record's
// type. Time is the stamp's, in UTC. The id is left to the store, which
// derives it from Raw: serials restart at boot and are per host, and logs
// often do not name the host, so SECONDS.MILLIS:SERIAL alone could merge
// the events of two machines; it is kept as details.audit_id.
func (Format) Map(u ingest.Unit) (*event.Event, error) {
	var recs []rec
	var first header
	for i, line := range strings.Split(string(u.Raw), "\n") {
		line = strings.TrimRight(line, "\r")
		if strings.TrimSpace(line) == "" {
			continue
		}
		h, err := parseHeader(line)
		if err != nil {
			return nil, fmt.Errorf("record %d: %w", i+1, err)
		}
		if len(recs) == 0 {
			first = h
		} else if h.key() != first.key() {
			return nil, fmt.Errorf("record %d belongs to event %s, not %s", i+1, h.auditID(), first.auditID())
		}
		recs = append(recs, rec{typ: h.typ, fields: parseFields(h.typ, h.body)})
	}
	if len(recs) == 0 {
		return nil, errors.New("empty event")
	}
	t, err := stampTime(first)
	if err != nil {
		return nil, err
	}
	primary := pick(recs)
	get := func(key string) string {
		if v := present(primary.get(key)); v != "" {
			return v
		}
		for _, r := range recs {
			if v := present(r.get(key)); v != "" {
				return v
			}
		}
		return ""
	}
	ev := &event.Event{
		Format:  Name,
		Source:  Source,
		Raw:     u.Raw,
		Time:    t,
		Type:    primary.typ,
		Outcome: outcome(primary, recs),
		Details: details(first, recs, get),
	}
	ev.Actor, ev.Target = parties(primary.typ, recs, get)
	ev.Context = context(get)
	if primary.typ == "LOGIN" {
		// The catalogue cannot hold LOGIN: its lookups ignore case, and
		// "login" is no event type of other sources.
		ev.Category = "authentication"
	}
	return ev, nil
}

// pick chooses the record that names the event (see Map).
func pick(recs []rec) rec {
	for _, r := range recs {
		if !auxiliary(r.typ) {
			return r
		}
	}
	for _, want := range []string{"EXECVE", "SYSCALL"} {
		for _, r := range recs {
			if r.typ == want {
				return r
			}
		}
	}
	return recs[0]
}

func stampTime(h header) (time.Time, error) {
	sec, err := strconv.ParseInt(h.sec, 10, 64)
	if err != nil {
		return time.Time{}, fmt.Errorf("msg=audit(%s): %w", h.auditID(), err)
	}
	frac := (h.frac + "000000000")[:9]
	ns, err := strconv.ParseInt(frac, 10, 64)
	if err != nil {
		return time.Time{}, fmt.Errorf("msg=audit(%s): %w", h.auditID(), err)
	}
	t := time.Unix(sec, ns).UTC()
	if t.Year() > 9999 {
		return time.Time{}, fmt.Errorf("msg=audit(%s) is after the year 9999", h.auditID())
	}
	return t, nil
}

// present returns v unless it is one of auditd's ways of saying "no
// value": "?", "(null)", "(none)", "(unknown)" or an unset id.
func present(v string) string {
	switch v {
	case "", "?", "?,", "(null)", "(none)", "(unknown)", "unset", "4294967295", "-1":
		return ""
	}
	return v
}

// outcome reads res= (success, yes, 1 / failed, no, 0) of the naming
// record, else of any record, else success= of the SYSCALL record, else
// an AVC's verdict (AppArmor DENIED, SELinux denied).
func outcome(primary rec, recs []rec) string {
	ordered := append([]rec{primary}, recs...)
	for _, r := range ordered {
		switch strings.ToLower(r.get("res")) {
		case "success", "yes", "1":
			return "success"
		case "failed", "fail", "failure", "no", "0":
			return "failure"
		}
	}
	for _, r := range ordered {
		switch r.get("success") {
		case "yes":
			return "success"
		case "no":
			return "failure"
		}
	}
	for _, r := range ordered {
		switch strings.ToLower(r.get("apparmor") + r.get("seresult")) {
		case "denied":
			return "failure"
		case "allowed", "audit", "granted":
			return "success"
		}
	}
	return "unknown"
}

// parties gives the actor and the target. For sign-in records the account
// (acct, id) is the actor; for account management it is the target, and
// the actor is the login uid (auid) of who ran the tool, else its uid. For
// any other event the actor is the login uid, else the uid: "user" when a
// login uid is set, else "system" (a daemon). The uid and auid are kept in
// the actor's Extra.
func parties(typ string, recs []rec, get func(string) string) (actor, target event.Party) {
	auid, uid, acct, id := get("auid"), get("uid"), get("acct"), get("id")
	extra := map[string]any{}
	for _, k := range []string{"auid", "uid", "euid"} {
		if v := get(k); v != "" {
			extra[k] = v
		}
	}
	if len(extra) > 0 {
		actor.Extra = extra
	}
	switch {
	case loginRecord(typ):
		actor.Name, actor.ID, actor.Type = acct, id, "user"
		if actor.ID == "" {
			actor.ID = auid
		}
	case accountRecord(typ):
		target.Name, target.ID, target.Type = acct, id, "user"
		if strings.Contains(typ, "GROUP") || strings.HasPrefix(typ, "GRP_") {
			target.Type = "group"
			if target.Name == "" {
				target.Name = get("grp")
			}
		}
		fallthrough
	default:
		actor.ID, actor.Type = auid, "user"
		if auid == "" {
			actor.ID, actor.Type = uid, "system"
		}
		actor.Name = get("AUID")
		if actor.Name == "" && auid == "" {
			actor.Name = get("UID")
		}
	}
	if target.Name == "" && target.ID == "" {
		switch {
		case path(recs) != "":
			target.Name, target.Type = path(recs), "file"
		case get("unit") != "":
			target.Name, target.Type = get("unit"), "service"
		}
	}
	return actor, target
}

// path is the first file a syscall acted on (a PATH record that is not
// the parent directory).
func path(recs []rec) string {
	for _, r := range recs {
		if r.typ == "PATH" && r.get("nametype") != "PARENT" {
			if n := present(r.get("name")); n != "" {
				return n
			}
		}
	}
	return ""
}

// context: the remote address (addr=, else a hostname= that is an
// address), the session (ses=), and the terminal and remote host name.
func context(get func(string) string) event.Context {
	var c event.Context
	for _, k := range []string{"addr", "hostname"} {
		if v := get(k); v != "" {
			if a, err := netip.ParseAddr(event.NormalizeIP(v)); err == nil {
				c.IP = a.String()
				break
			}
		}
	}
	c.SessionID = get("ses")
	extra := map[string]any{}
	for _, k := range []string{"terminal", "hostname"} {
		if v := get(k); v != "" {
			extra[k] = v
		}
	}
	if len(extra) > 0 {
		c.Extra = extra
	}
	return c
}

// details: the stamp (audit_id), the host (node), the record types in
// order, the command line of an EXECVE record, the fields analysts ask for
// first (op, exe, comm, key), and every record's fields under its type in
// lower case (details.syscall.exit, details.cwd.cwd, details.path, a list
// when a type repeats).
func details(h header, recs []rec, get func(string) string) map[string]any {
	d := map[string]any{"audit_id": h.auditID()}
	if h.node != "" {
		d["node"] = h.node
	}
	types := make([]any, len(recs))
	for i, r := range recs {
		types[i] = r.typ
		m := make(map[string]any, len(r.fields))
		for _, f := range r.fields {
			if _, dup := m[f.key]; !dup {
				m[f.key] = f.value
			}
		}
		if r.typ == "SOCKADDR" {
			for k, v := range sockaddr(r.get("saddr")) {
				m[k] = v
			}
		}
		name := strings.ToLower(r.typ)
		switch prev := d[name].(type) {
		case nil:
			d[name] = m
		case map[string]any:
			d[name] = []any{prev, m}
		case []any:
			d[name] = append(prev, m)
		}
	}
	d["records"] = types
	for _, r := range recs {
		if r.typ == "EXECVE" {
			d["command"] = strings.Join(argv(r), " ")
			break
		}
	}
	for _, k := range []string{"op", "exe", "comm", "key"} {
		if v := get(k); v != "" {
			d[k] = v
		}
	}
	return d
}

// argv rebuilds the arguments of an EXECVE record: a0, a1, ..., with the
// parts a1[0], a1[1], ... of an argument too long for one field joined.
func argv(r rec) []string {
	n, err := strconv.Atoi(r.get("argc"))
	if err != nil || n < 0 || n > len(r.fields) {
		n = 0
		for _, f := range r.fields {
			if len(f.key) > 1 && f.key[0] == 'a' && digits(f.key[1:]) {
				n++
			}
		}
	}
	args := make([]string, 0, n)
	for i := 0; i < n; i++ {
		k := "a" + strconv.Itoa(i)
		if v := r.get(k); v != "" || hasKey(r, k) {
			args = append(args, v)
			continue
		}
		var b strings.Builder
		for j := 0; ; j++ {
			part := k + "[" + strconv.Itoa(j) + "]"
			if !hasKey(r, part) {
				break
			}
			b.WriteString(r.get(part))
		}
		args = append(args, b.String())
	}
	return args
}

func hasKey(r rec, key string) bool {
	for _, f := range r.fields {
		if f.key == key {
			return true
		}
	}
	return false
}
