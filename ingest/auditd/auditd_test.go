package auditd

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/vigil-dev/vigil/event"
	"github.com/vigil-dev/vigil/ingest"
)

// units splits a log and returns its units.
func units(t *testing.T, in string) []ingest.Unit {
	t.Helper()
	var got []ingest.Unit
	if err := (Format{}).Split(strings.NewReader(in), 1<<20, func(u ingest.Unit) error {
		got = append(got, u)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return got
}

func mapOne(t *testing.T, raw string) *event.Event {
	t.Helper()
	ev, err := Format{}.Map(ingest.Unit{Raw: []byte(raw)})
	if err != nil {
		t.Fatalf("Map: %v\n%s", err, raw)
	}
	return ev
}

func TestGroupsTheRecordsOfAnEvent(t *testing.T) {
	lines := []string{
		`type=SYSCALL msg=audit(1.001:10): arch=c000003e syscall=59 success=yes exit=0 auid=1000 uid=0 comm="ls" exe="/bin/ls" key="exec"`,
		`type=USER_LOGIN msg=audit(1.002:11): pid=1 uid=0 auid=1000 ses=2 msg='op=login id=1000 exe="/usr/sbin/sshd" hostname=? addr=192.0.2.1 terminal=ssh res=success'`,
		`type=EXECVE msg=audit(1.001:10): argc=2 a0="ls" a1="-l"`,
		`type=PROCTITLE msg=audit(1.001:10): proctitle=6C73002D6C`,
		`type=EOE msg=audit(1.001:10): `,
		`type=CWD msg=audit(1.001:10): cwd="/late"`, // after EOE: an event of its own
		`type=UNKNOWN[1329] msg=?`,
		`node=web1 type=SYSCALL msg=audit(1.001:10): syscall=1 success=no auid=4294967295 uid=33`, // another host
	}
	got := units(t, strings.Join(lines, "\n")+"\n")
	var summary []string
	for _, u := range got {
		s := fmt.Sprintf("%d:%d", u.Line, strings.Count(string(u.Raw), "\n")+1)
		if u.Err != nil {
			s += ":reject"
		}
		summary = append(summary, s)
	}
	if want := "1:4 7:1:reject 2:1 6:1 8:1"; strings.Join(summary, " ") != want {
		t.Errorf("units %s, want %s", strings.Join(summary, " "), want)
	}
	if string(got[0].Raw) != strings.Join([]string{lines[0], lines[2], lines[3], lines[4]}, "\n") {
		t.Errorf("raw of the grouped event:\n%s", got[0].Raw)
	}
	if !strings.Contains(got[1].Err.Error(), "no type=TYPE msg=audit(TIME:SERIAL)") {
		t.Errorf("reject reason %v", got[1].Err)
	}
	ev := mapOne(t, string(got[0].Raw))
	if ev.Type != "EXECVE" || ev.Details["command"] != "ls -l" || ev.Details["key"] != "exec" || ev.Actor.ID != "1000" ||
		ingest.Path(ev.Details, "proctitle.proctitle") != "ls\x00-l" || ev.Outcome != "success" {
		t.Errorf("event %+v", ev)
	}
	if ev := mapOne(t, string(got[4].Raw)); ev.Details["node"] != "web1" || ev.Actor.ID != "33" || ev.Actor.Type != "system" || ev.Outcome != "failure" {
		t.Errorf("node event: %+v", ev)
	}
}

// TestRecordsFarApart checks the window: records of one event with other
// events' records between them are one event; beyond the window they are
// not (each part is still stored, with an id of its own).
func TestRecordsFarApart(t *testing.T) {
	var lines []string
	lines = append(lines, `type=SYSCALL msg=audit(5.000:1): syscall=2 success=yes`)
	for i := 0; i < window+20; i++ {
		lines = append(lines, fmt.Sprintf(`type=USER_AUTH msg=audit(5.000:%d): res=success`, 100+i))
		if i == 10 {
			lines = append(lines, `type=PATH msg=audit(5.000:1): item=0 name="/etc/shadow" nametype=NORMAL`)
		}
	}
	lines = append(lines, `type=CWD msg=audit(5.000:1): cwd="/"`)
	got := units(t, strings.Join(lines, "\n"))
	if len(got) != window+20+2 {
		t.Fatalf("%d units", len(got))
	}
	first := mapOne(t, string(got[0].Raw))
	if first.Target.Name != "/etc/shadow" || strings.Count(string(got[0].Raw), "\n") != 1 {
		t.Errorf("first part: %q", got[0].Raw)
	}
	if last := got[len(got)-1]; !strings.HasPrefix(string(last.Raw), "type=CWD") || last.Line != len(lines) {
		t.Errorf("late part: %d %q", last.Line, last.Raw)
	}
}

func TestDecodesHexValues(t *testing.T) {
	tests := []struct {
		line, path, want string
	}{
		{`type=USER_LOGIN msg=audit(1.0:1): pid=1 uid=0 auid=4294967295 ses=4294967295 msg='op=login acct=28696E76616C6964207573657229 exe="/usr/sbin/sshd" hostname=? addr=179.38.151.221 terminal=sshd res=failed'`,
			"user_login.acct", "(invalid user)"},
		{`type=CWD msg=audit(1.0:1):  cwd=2F746D702F6120622063`, "cwd.cwd", "/tmp/a b c"},
		{`type=PATH msg=audit(1.0:1): item=0 name=2F73686172652F67656E6572616C nametype=NORMAL`, "path.name", "/share/general"},
		{`type=SYSCALL msg=audit(1.0:1): a0=9 a1=7f56476614b0 exe=2F62696E2F7368 key=(null)`, "syscall.a1", "7f56476614b0"}, // SYSCALL args are numbers
		{`type=SYSCALL msg=audit(1.0:1): a0=9 a1=7f56476614b0 exe=2F62696E2F7368 key=(null)`, "syscall.exe", "/bin/sh"},
		{`type=SYSCALL msg=audit(1.0:1): syscall=59 key=65786563013634626974"`, "key", "exec,64bit"},
		{`type=EXECVE msg=audit(1.0:1): argc=3 a0="jq" a1="." a2=7B7D`, "command", "jq . {}"},
		{`type=EXECVE msg=audit(1.0:1): argc=2 a0="echo" a1_len=6 a1[0]=616263 a1[1]=646566`, "command", "echo abcdef"},
		{`type=USER_CMD msg=audit(1.0:1): user pid=3027 uid=497 auid=700 ses=11988 msg='cwd="/" cmd=2F62696E2F6C73202D6C terminal=? res=success'`, "user_cmd.cmd", "/bin/ls -l"},
		{`type=TTY msg=audit(1.0:1): tty pid=1 uid=1000 auid=1000 ses=7 major=136 minor=0 comm="bash" data=6C730D`, "tty.data", "ls\r"},
		{`type=ADD_USER msg=audit(1.0:1): pid=1 uid=0 auid=0 msg='op=adding user acct="ana" exe="/usr/sbin/useradd" res=success'`, "add_user.acct", "ana"},
		{`type=AVC msg=audit(1.0:1): avc:  denied  { read write } for  pid=1 comm="httpd" name="shadow" scontext=a tcontext=b tclass=file permissive=0`, "avc.seperms", "read,write"},
		{`type=SOCKADDR msg=audit(1.0:1): saddr=02000050A9FEA9FE0000000000000000`, "sockaddr.addr", "169.254.169.254"},
		{`type=DAEMON_CONFIG msg=audit(1490239800.477:34) config changed, auid=0 pid=1512 res=success`, "daemon_config.auid", "0"},
	}
	for _, tc := range tests {
		ev := mapOne(t, tc.line)
		if got := ingest.Path(ev.Details, tc.path); got != tc.want {
			t.Errorf("%s: %s = %q, want %q", tc.line, tc.path, got, tc.want)
		}
	}
}

func TestActorTargetAndOutcome(t *testing.T) {
	tests := []struct {
		line                            string
		typ, actor, target, ip, outcome string
	}{
		// Sign-in: the account signing in is the actor.
		{`type=USER_LOGIN msg=audit(1.0:1): pid=1 uid=0 auid=1000 ses=1 msg='op=login id=1000 exe="/usr/sbin/sshd" hostname=h.example addr=96.241.146.97 terminal=/dev/pts/0 res=success'`,
			"USER_LOGIN", "1000", "", "96.241.146.97", "success"},
		{`type=USER_AUTH msg=audit(1.0:1): pid=1 uid=0 auid=4294967295 ses=4294967295 msg='op=PAM:authentication acct="root" exe="/usr/sbin/sshd" hostname=203.0.113.9 addr=? terminal=ssh res=failed'`,
			"USER_AUTH", "root", "", "203.0.113.9", "failure"},
		{`type=LOGIN msg=audit(1.0:1): pid=1298 uid=0 old-auid=4294967295 auid=1000 old-ses=4294967295 ses=1 res=1`,
			"LOGIN", "1000", "", "", "success"},
		// Account management: the account is the target, the admin the actor.
		{`type=DEL_USER msg=audit(1.0:1): pid=1 uid=0 auid=1000 ses=3 msg='op=delete-user acct="eve" exe="/usr/sbin/userdel" hostname=? addr=? terminal=pts/0 res=success'`,
			"DEL_USER", "1000", "eve", "", "success"},
		{`type=USER_CHAUTHTOK msg=audit(1.0:1): pid=1 uid=0 auid=1000 ses=3 msg='op=PAM:chauthtok acct="ana" exe="/usr/bin/passwd" hostname=? addr=? terminal=pts/0 res=success'`,
			"USER_CHAUTHTOK", "1000", "ana", "", "success"},
		// A daemon's syscall: no login uid, so the uid, as system.
		{`type=SYSCALL msg=audit(1.0:1): syscall=42 success=no exit=-115 auid=4294967295 uid=0 comm="python"`,
			"SYSCALL", "0", "", "", "failure"},
		{`type=AVC msg=audit(1.0:1): apparmor="DENIED" operation="ptrace" profile="docker-default" pid=5571 comm="metricbeat"`,
			"AVC", "", "", "", "failure"},
		{`type=SERVICE_STOP msg=audit(1.0:1): pid=1 uid=0 auid=4294967295 ses=4294967295 msg='unit=auditd comm="systemd" exe="/usr/lib/systemd/systemd" hostname=? addr=? terminal=? res=success'`,
			"SERVICE_STOP", "0", "auditd", "", "success"},
	}
	cat := event.BuiltinCatalogue()
	for _, tc := range tests {
		ev := mapOne(t, tc.line)
		if ev.Type != tc.typ || ev.Actor.Label() != tc.actor || ev.Target.Label() != tc.target || ev.Context.IP != tc.ip || ev.Outcome != tc.outcome {
			t.Errorf("%s: type %q actor %q target %q ip %q outcome %q; want %q %q %q %q %q", tc.line,
				ev.Type, ev.Actor.Label(), ev.Target.Label(), ev.Context.IP, ev.Outcome, tc.typ, tc.actor, tc.target, tc.ip, tc.outcome)
		}
		if e, ok := cat.Lookup(ev.Type); ev.Type != "LOGIN" && (!ok || e.Type != ev.Type) {
			t.Errorf("%s: no catalogue entry of its own", tc.typ)
		}
		if cat.Normalize(ev); ev.Type == "LOGIN" && ev.Category != "authentication" {
			t.Errorf("LOGIN: category %q", ev.Category)
		}
	}
	ev := mapOne(t, tests[0].line)
	if !ev.Time.Equal(time.Unix(1, 0)) || ev.Context.SessionID != "1" || ev.Context.Extra["terminal"] != "/dev/pts/0" || ev.ID != "" {
		t.Errorf("time %v context %+v id %q", ev.Time, ev.Context, ev.ID)
	}
}

func TestMapRejects(t *testing.T) {
	tests := []struct{ raw, err string }{
		{"type=UNKNOWN[1329] msg=?", "no type=TYPE msg=audit"},
		{"type=SYSCALL msg=audit(1.0:1): a=b\ntype=PATH msg=audit(1.0:2): c=d", "belongs to event 1.0:2"},
		{"type=SYSCALL msg=audit(99999999999999.0:1): a=b", "after the year 9999"},
	}
	for _, tc := range tests {
		_, err := Format{}.Map(ingest.Unit{Raw: []byte(tc.raw)})
		if err == nil || !strings.Contains(err.Error(), tc.err) {
			t.Errorf("%q: %v, want %q", tc.raw, err, tc.err)
		}
	}
}

func TestDetect(t *testing.T) {
	tests := []struct {
		head string
		want bool
	}{
		{"type=SYSCALL msg=audit(1490995752.404:20614537): arch=c000003e", true},
		{"\nnode=web1 type=USER_LOGIN msg=audit(1.0:1): pid=1", true},
		{"type=UNKNOWN[1329] msg=?\n", true},
		{`{"type":"SYSCALL"}`, false},
		{"Jan  1 00:00:00 host audit: type=1400 audit(1.0:1): x", false},
		{"type=a b msg=x", false},
	}
	for _, tc := range tests {
		if got := (Format{}).Detect([]byte(tc.head)); got != tc.want {
			t.Errorf("Detect(%q) = %v, want %v", tc.head, got, tc.want)
		}
	}
}
