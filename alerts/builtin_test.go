package alerts

import (
	"fmt"
	"testing"
	"time"

	"github.com/vigil-dev/vigil/event"
)

// fired is an alert reduced to what a fixture states exactly.
type fired struct {
	rule  string
	group string // GroupText
	seqs  []uint64
	value string
}

func (f fired) String() string {
	return fmt.Sprintf("%s{%s %v %s}", f.rule, f.group, f.seqs, f.value)
}

// run evaluates events in order, the i-th at seq i+1, and returns what
// fired.
func run(t *testing.T, rs *RuleSet, evs []*event.Event) []fired {
	t.Helper()
	e := NewEvaluator(rs)
	var out []fired
	for i, x := range evs {
		for _, a := range e.Evaluate(x, uint64(i+1)) {
			if a.TriggerSeq != uint64(i+1) || a.Count != len(a.Seqs) || a.ID == "" || a.Severity == "" {
				t.Errorf("malformed alert %+v", a)
			}
			out = append(out, fired{rule: a.Rule, group: a.GroupText(), seqs: a.Seqs, value: a.Value})
		}
	}
	return out
}

func seqs(s ...uint64) []uint64 { return s }

func checkFired(t *testing.T, got, want []fired) {
	t.Helper()
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("fired\n  %v\nwant\n  %v", got, want)
	}
}

// only keeps the built-in rule of that name.
func only(t *testing.T, name string) *RuleSet {
	t.Helper()
	rs := Builtin()
	r := rs.Rule(name)
	if r == nil {
		t.Fatalf("no built-in rule %s", name)
	}
	rs.Rules = []*Rule{r}
	return rs
}

func mins(m int) time.Duration { return time.Duration(m) * time.Minute }

func TestBuiltinBruteForceUser(t *testing.T) {
	rs := only(t, "brute-force-user")
	fail := func(at time.Duration, user, ip string) *event.Event {
		return ev(t, "login.failed", t0.Add(at), "user", user, "ip", ip)
	}
	t.Run("five failures in ten minutes fire on the fifth", func(t *testing.T) {
		got := run(t, rs, []*event.Event{
			fail(0, "bob@x.com", "203.0.113.1"), fail(mins(2), "bob@x.com", "203.0.113.2"),
			fail(mins(4), "bob@x.com", "203.0.113.3"), fail(mins(6), "bob@x.com", "203.0.113.4"),
			fail(mins(9), "bob@x.com", "203.0.113.5"), fail(mins(9)+time.Second, "bob@x.com", "203.0.113.5"),
		})
		checkFired(t, got, []fired{{rule: "brute-force-user", group: "user=bob@x.com", seqs: seqs(1, 2, 3, 4, 5)}})
	})
	t.Run("four failures do not fire", func(t *testing.T) {
		got := run(t, rs, []*event.Event{
			fail(0, "bob@x.com", "203.0.113.1"), fail(mins(1), "bob@x.com", "203.0.113.1"),
			fail(mins(2), "bob@x.com", "203.0.113.1"), fail(mins(3), "bob@x.com", "203.0.113.1"),
			ev(t, "login.success", t0.Add(mins(4)), "user", "bob@x.com"),
		})
		checkFired(t, got, nil)
	})
	t.Run("the fifth just outside the window does not fire", func(t *testing.T) {
		// The window is (t-10m, t]: a failure exactly ten minutes before
		// the fifth is out of it.
		got := run(t, rs, []*event.Event{
			fail(0, "bob@x.com", "203.0.113.1"), fail(mins(3), "bob@x.com", "203.0.113.1"),
			fail(mins(5), "bob@x.com", "203.0.113.1"), fail(mins(7), "bob@x.com", "203.0.113.1"),
			fail(mins(10), "bob@x.com", "203.0.113.1"),
		})
		checkFired(t, got, nil)
		// One nanosecond sooner, it is in.
		got = run(t, rs, []*event.Event{
			fail(0, "bob@x.com", "203.0.113.1"), fail(mins(3), "bob@x.com", "203.0.113.1"),
			fail(mins(5), "bob@x.com", "203.0.113.1"), fail(mins(7), "bob@x.com", "203.0.113.1"),
			fail(mins(10)-1, "bob@x.com", "203.0.113.1"),
		})
		checkFired(t, got, []fired{{rule: "brute-force-user", group: "user=bob@x.com", seqs: seqs(1, 2, 3, 4, 5)}})
	})
	t.Run("failures of different accounts are counted apart", func(t *testing.T) {
		var evs []*event.Event
		for i := range 8 {
			evs = append(evs, fail(mins(i), fmt.Sprintf("u%d@x.com", i%2), "203.0.113.9"))
		}
		got := run(t, rs, evs)
		checkFired(t, got, nil)
	})
	t.Run("every catalogue's failed sign-in counts", func(t *testing.T) {
		got := run(t, rs, []*event.Event{
			ev(t, "login.failed", t0, "user", "ana@x.com"),
			ev(t, "Application Login Events", t0.Add(mins(1)), "user", "ana@x.com", "details.activity", "login_failed"),
			ev(t, "Business Admin Console Login Events", t0.Add(mins(2)), "user", "ana@x.com", "details.activity", "mfa_failed"),
			ev(t, "Application Login Events", t0.Add(mins(3)), "user", "ana@x.com", "details.activity", "login_success"),
			ev(t, "Application Login Events", t0.Add(mins(4)), "user", "ana@x.com", "details.activity", "multiple_unlock_failures"),
			ev(t, "login.blocked", t0.Add(mins(5)), "user", "ana@x.com"),
		})
		checkFired(t, got, []fired{{rule: "brute-force-user", group: "user=ana@x.com", seqs: seqs(1, 2, 3, 5, 6)}})
	})
	t.Run("a long attack fires once, and again after suppress", func(t *testing.T) {
		var evs []*event.Event
		for i := range 40 { // one failure every 2 minutes for 80 minutes
			evs = append(evs, fail(mins(2*i), "bob@x.com", "203.0.113.1"))
		}
		got := run(t, rs, evs)
		// Fires on the 5th failure (8m). The window (t-10m, t] then holds
		// 4 failures before each new one, so every failure brings the
		// count to 5 again; suppress holds them for an hour after the
		// alert, until the failure at 68m.
		checkFired(t, got, []fired{
			{rule: "brute-force-user", group: "user=bob@x.com", seqs: seqs(1, 2, 3, 4, 5)},
			{rule: "brute-force-user", group: "user=bob@x.com", seqs: seqs(31, 32, 33, 34, 35)},
		})
	})
}

func TestBuiltinBruteForceIP(t *testing.T) {
	rs := only(t, "brute-force-ip")
	t.Run("spraying five accounts from one address fires", func(t *testing.T) {
		var evs []*event.Event
		for i := range 5 {
			evs = append(evs, ev(t, "login.failed", t0.Add(mins(i)), "user", fmt.Sprintf("u%d@x.com", i), "ip", "198.51.100.7"))
		}
		checkFired(t, run(t, rs, evs), []fired{{rule: "brute-force-ip", group: "ip=198.51.100.7", seqs: seqs(1, 2, 3, 4, 5)}})
	})
	t.Run("four from one address and one from another do not", func(t *testing.T) {
		var evs []*event.Event
		for i := range 4 {
			evs = append(evs, ev(t, "login.failed", t0.Add(mins(i)), "user", "bob@x.com", "ip", "198.51.100.7"))
		}
		evs = append(evs, ev(t, "login.failed", t0.Add(mins(4)), "user", "bob@x.com", "ip", "198.51.100.8"))
		// And failures with no address are not grouped together.
		for i := range 5 {
			evs = append(evs, ev(t, "login.failed", t0.Add(mins(5+i)), "user", "bob@x.com"))
		}
		checkFired(t, run(t, rs, evs), nil)
	})
	t.Run("failures that arrive out of time order count while in the window", func(t *testing.T) {
		// A spray logged a few seconds out of order, as Microsoft 365
		// does: the fifth to arrive brings the window to five.
		var evs []*event.Event
		for i, sec := range []int{34, 35, 37, 36, 36, 34, 37, 33} {
			evs = append(evs, ev(t, "login.failed", t0.Add(time.Duration(sec)*time.Second), "user", fmt.Sprintf("u%d@x.com", i), "ip", "2001:db8::9"))
		}
		// One that arrives after the window has moved on does not count.
		late := []*event.Event{
			ev(t, "login.failed", t0, "user", "a@x.com", "ip", "2001:db8::8"),
			ev(t, "login.failed", t0.Add(mins(20)), "user", "b@x.com", "ip", "2001:db8::8"),
			ev(t, "login.failed", t0.Add(mins(20)), "user", "c@x.com", "ip", "2001:db8::8"),
			ev(t, "login.failed", t0.Add(mins(21)), "user", "d@x.com", "ip", "2001:db8::8"),
			ev(t, "login.failed", t0.Add(mins(5)), "user", "e@x.com", "ip", "2001:db8::8"),
		}
		checkFired(t, run(t, rs, append(evs, late...)), []fired{{rule: "brute-force-ip", group: "ip=2001:db8::9", seqs: seqs(1, 2, 3, 4, 5)}})
	})
	t.Run("Microsoft 365 and CloudTrail failures count", func(t *testing.T) {
		mk := func(typ string, i int, outcome string) *event.Event {
			x := ev(t, typ, t0.Add(mins(i)), "user", "ana@x.com", "ip", "2001:db8::7")
			x.Outcome = outcome
			return x
		}
		got := run(t, rs, []*event.Event{
			mk("UserLoginFailed", 0, "failure"), mk("ConsoleLogin", 1, "failure"), mk("ConsoleLogin", 2, "success"),
			mk("USER_LOGIN", 3, "failure"), mk("UserLoginFailed", 4, "failure"), mk("UserLoginFailed", 5, "failure"),
		})
		checkFired(t, got, []fired{{rule: "brute-force-ip", group: "ip=2001:db8::7", seqs: seqs(1, 2, 4, 5, 6)}})
	})
}

func TestBuiltinPrivilegeEscalation(t *testing.T) {
	rs := only(t, "privilege-escalation")
	at := func(h int) time.Time { return t0.Add(time.Duration(h) * time.Hour) }
	got := run(t, rs, []*event.Event{
		// 1: Zenovay, viewer -> admin: fires.
		ev(t, "member.role_changed", at(0), "user", "root@x.com", "target", "ana@x.com", "details.from_role", "viewer", "details.to_role", "admin"),
		// 2: the same escalation seen by Insight a minute later: suppressed.
		ev(t, "USER_ROLE_SET", at(0).Add(time.Minute), "user", "root@x.com", "target", "ana@x.com", "details.role", "admin"),
		// 3: viewer -> editor: no.
		ev(t, "member.role_changed", at(1), "user", "root@x.com", "target", "bob@x.com", "details.from_role", "viewer", "details.to_role", "editor"),
		// 4: Insight role set to Administrator: fires.
		ev(t, "USER_ROLE_SET", at(2), "user", "root@x.com", "target", "cy@x.com", "details.role", "Administrator"),
		// 5: Insight role set to viewer: no.
		ev(t, "USER_ROLE_SET", at(3), "user", "root@x.com", "target", "dee@x.com", "details.role", "viewer"),
		// 6: Enpass admin assignment: fires.
		ev(t, "Administrator & Policy Management", at(4), "user", "root@x.com", "target", "eve@x.com", "details.activity", "admin_assigned"),
		// 7: Enpass branding update: no.
		ev(t, "Administrator & Policy Management", at(5), "user", "root@x.com", "details.activity", "branding_updated"),
		// 8: Zenovay permissions granting admin: fires.
		ev(t, "member.permissions_changed", at(6), "user", "root@x.com", "target", "fay@x.com", "details.changes", "+admin:all"),
		// 9: permissions without admin: no.
		ev(t, "member.permissions_changed", at(7), "user", "root@x.com", "target", "gus@x.com", "details.changes", "+reports:export"),
		// 10: to owner: fires.
		ev(t, "member.role_changed", at(8), "user", "root@x.com", "target", "hal@x.com", "details.from_role", "editor", "details.to_role", "owner"),
		// 11: the same target as 1, a day later: fires again.
		ev(t, "member.role_changed", at(24), "user", "root@x.com", "target", "ana@x.com", "details.from_role", "viewer", "details.to_role", "admin"),
	})
	checkFired(t, got, []fired{
		{rule: "privilege-escalation", group: "target=ana@x.com user=root@x.com", seqs: seqs(1)},
		{rule: "privilege-escalation", group: "target=cy@x.com user=root@x.com", seqs: seqs(4)},
		{rule: "privilege-escalation", group: "target=eve@x.com user=root@x.com", seqs: seqs(6)},
		{rule: "privilege-escalation", group: "target=fay@x.com user=root@x.com", seqs: seqs(8)},
		{rule: "privilege-escalation", group: "target=hal@x.com user=root@x.com", seqs: seqs(10)},
		{rule: "privilege-escalation", group: "target=ana@x.com user=root@x.com", seqs: seqs(11)},
	})
}

func TestBuiltinMassExport(t *testing.T) {
	t.Run("one export over 100000 rows", func(t *testing.T) {
		rs := only(t, "mass-export-large")
		got := run(t, rs, []*event.Event{
			ev(t, "data.exported", t0, "user", "ana@x.com", "details.rows", "#100000"),
			ev(t, "data.exported", t0.Add(mins(1)), "user", "ana@x.com", "details.rows", "#100001"),
			ev(t, "data.exported", t0.Add(mins(2)), "user", "bob@x.com", "details.rows", "250000"), // a string, not a number
			ev(t, "audit.exported", t0.Add(mins(3)), "user", "cy@x.com", "details.row_count", "#2500000"),
			ev(t, "data.accessed", t0.Add(mins(4)), "user", "cy@x.com", "details.rows", "#2500000"),
		})
		checkFired(t, got, []fired{
			{rule: "mass-export-large", group: "user=ana@x.com", seqs: seqs(2)},
			{rule: "mass-export-large", group: "user=cy@x.com", seqs: seqs(4)},
		})
	})
	rs := only(t, "mass-export-many")
	export := func(at time.Duration, user string) *event.Event {
		return ev(t, "data.exported", t0.Add(at), "user", user, "details.rows", "#120")
	}
	t.Run("six exports within an hour", func(t *testing.T) {
		var evs []*event.Event
		for i := range 7 {
			evs = append(evs, export(mins(9*i), "ana@x.com"))
		}
		checkFired(t, run(t, rs, evs), []fired{{rule: "mass-export-many", group: "user=ana@x.com", seqs: seqs(1, 2, 3, 4, 5, 6)}})
	})
	t.Run("five do not, nor a sixth just outside the hour", func(t *testing.T) {
		var evs []*event.Event
		for _, m := range []int{0, 10, 20, 30, 40, 60} {
			evs = append(evs, export(mins(m), "bob@x.com"))
		}
		checkFired(t, run(t, rs, evs), nil)
	})
	t.Run("Enpass vault exports count, printing does not", func(t *testing.T) {
		evs := []*event.Event{
			ev(t, "Vault Data Handling", t0, "user", "cy@x.com", "details.activity", "vault_printed"),
		}
		for i := range 3 {
			evs = append(evs, export(mins(1+i), "cy@x.com"))
			evs = append(evs, ev(t, "Vault Data Handling", t0.Add(mins(5+i)), "user", "cy@x.com", "details.activity", "vault_exported"))
		}
		checkFired(t, run(t, rs, evs), []fired{{rule: "mass-export-many", group: "user=cy@x.com", seqs: seqs(2, 3, 4, 5, 6, 7)}})
	})
}

func TestBuiltinOffHours(t *testing.T) {
	rs := only(t, "off-hours-login")                               // UTC, 06:00-24:00 every day
	day := time.Date(2025, time.January, 18, 0, 0, 0, 0, time.UTC) // a Saturday
	login := func(h, m int, user string) *event.Event {
		return ev(t, "login.success", day.Add(time.Duration(h)*time.Hour+mins(m)), "user", user)
	}
	got := run(t, rs, []*event.Event{
		login(0, 0, "a@x.com"),  // 1: midnight: fires
		login(0, 40, "a@x.com"), // 2: a@x.com again within the hour: suppressed
		ev(t, "Application Login Events", day.Add(time.Hour), "user", "f@x.com", "details.activity", "login_success"), // 3: fires
		ev(t, "Application Login Events", day.Add(time.Hour), "user", "g@x.com", "details.activity", "login_failed"),  // 4: not a sign-in
		login(2, 0, "a@x.com"),   // 5: two hours after the first: fires
		login(5, 59, "b@x.com"),  // 6: fires
		login(6, 0, "c@x.com"),   // 7: business hours start: no
		login(13, 0, "d@x.com"),  // 8: a Saturday afternoon: no (every day is a business day)
		login(23, 59, "e@x.com"), // 9: no
	})
	checkFired(t, got, []fired{
		{rule: "off-hours-login", group: "user=a@x.com", seqs: seqs(1)},
		{rule: "off-hours-login", group: "user=f@x.com", seqs: seqs(3)},
		{rule: "off-hours-login", group: "user=a@x.com", seqs: seqs(5)},
		{rule: "off-hours-login", group: "user=b@x.com", seqs: seqs(6)},
	})
}

func TestBuiltinNewLocation(t *testing.T) {
	rs := only(t, "new-location")
	login := func(daysAgo int, user, loc string) *event.Event {
		return ev(t, "login.success", t0.Add(-time.Duration(daysAgo)*Day), "user", user, "location", loc)
	}
	t.Run("seen 31 days ago is new, 29 days ago is not", func(t *testing.T) {
		got := run(t, rs, []*event.Event{
			login(31, "ana@x.com", "Paris, France"),          // 1: first ever: no history, no alert
			login(29, "bob@x.com", "Paris, France"),          // 2: first ever
			login(10, "ana@x.com", "London, United Kingdom"), // 3: new country; Paris (21 days before) is history: fires
			login(10, "bob@x.com", "London, United Kingdom"), // 4: new country for bob: fires
			login(0, "ana@x.com", "Lyon, France"),            // 5: France last seen 31 days ago: fires
			login(0, "bob@x.com", "Lyon, France"),            // 6: France seen 29 days ago: no
		})
		checkFired(t, got, []fired{
			{rule: "new-location", group: "user=ana@x.com", seqs: seqs(3), value: "United Kingdom"},
			{rule: "new-location", group: "user=bob@x.com", seqs: seqs(4), value: "United Kingdom"},
			{rule: "new-location", group: "user=ana@x.com", seqs: seqs(5), value: "France"},
		})
	})
	t.Run("a new city in a known country is no new location", func(t *testing.T) {
		got := run(t, rs, []*event.Event{
			login(5, "cy@x.com", "Seattle, United States"),
			login(1, "cy@x.com", "Austin, United States"),
			// Failed sign-ins from anywhere teach nothing and fire nothing.
			ev(t, "login.failed", t0.Add(-time.Hour), "user", "cy@x.com", "location", "Jakarta, Indonesia"),
			login(0, "cy@x.com", "New York, united states"),
		})
		checkFired(t, got, nil)
	})
	t.Run("the history is a sliding window", func(t *testing.T) {
		// Used daily from home for 60 days, then from abroad: the home
		// country is in the history, the foreign one not.
		var evs []*event.Event
		for d := 60; d >= 1; d-- {
			evs = append(evs, login(d, "dee@x.com", "Berlin, Germany"))
		}
		evs = append(evs, login(0, "dee@x.com", "Warsaw, Poland"), login(0, "dee@x.com", "Gdańsk, Poland"))
		checkFired(t, run(t, rs, evs), []fired{{rule: "new-location", group: "user=dee@x.com", seqs: seqs(61), value: "Poland"}})
	})
}
