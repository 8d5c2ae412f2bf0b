package alerts

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestRuleErrorsNameFileLineRuleAndField(t *testing.T) {
	for _, c := range []struct {
		name string
		text string
		want []string // each a whole problem line
	}{
		{"unknown key with a hint", `
rules:
  - name: r1
    severity: high
    match: action:login.failed
    treshold: {count: 5, window: 10m}
`, []string{`r.yaml:6: rule r1: treshold: unknown key; did you mean threshold? (keys here: name, title, description, type, severity, enabled, match, group_by, threshold, new_value, schedule, suppress, actions)`}},
		{"bad duration and count", `
rules:
  - name: r1
    severity: high
    match: action:login.failed
    group_by: [user]
    threshold:
      count: 0
      window: 10x
`, []string{
			`r.yaml:8: rule r1: threshold.count: "0": want a whole number of events, 1 or more`,
			`r.yaml:9: rule r1: threshold.window: bad duration "10x": unknown unit "x"; units are s, m, h, d and w`,
		}},
		{"query error with position", `
rules:
  - name: r1
    severity: high
    match: usr:bob
`, []string{`r.yaml:5: rule r1: match: column 1: unknown field "usr"; did you mean user?`}},
		{"relative time refused", `
rules:
  - name: r1
    severity: high
    match: action:login.failed AND time:>now-1h
`, []string{`r.yaml:5: rule r1: match: time:>now-1h: rules cannot use relative times (now, today, yesterday); the window, history or schedule says when`}},
		{"missing name and severity", `
rules:
  - match: "*"
`, []string{`r.yaml:3: rule #1: name: missing: every rule needs a name`, `r.yaml:3: rule #1: severity: missing: one of info, low, medium, high, critical`}},
		{"bad severity, zone and group field", `
rules:
  - name: r2
    severity: urgent
    match: "*"
    group_by: [usr]
    schedule: {zone: Mars/Olympus, hours: "08:00-18:00"}
`, []string{
			`r.yaml:4: rule r2: severity: "urgent": want one of info, low, medium, high, critical`,
			`r.yaml:6: rule r2: group_by: unknown field "usr"; fields are those of the query language (user, ip, location, target, details.KEY, ...)`,
			`r.yaml:7: rule r2: schedule.zone: unknown time zone "Mars/Olympus": name an IANA zone (Europe/London, America/New_York, UTC)`,
		}},
		{"bad hours and days", `
rules:
  - name: r3
    severity: low
    match: "*"
    schedule:
      days: [mon-fry]
      hours: "8-18"
`, []string{
			`r.yaml:7: rule r3: schedule.days: "mon-fry": want a day (mon, tue, ... sun), a range (mon-fri) or all`,
			`r.yaml:8: rule r3: schedule.hours: "8-18": bad time "8": write HH:MM`,
		}},
		{"duplicate names and unknown action", `
rules:
  - name: r1
    severity: low
    match: "*"
    actions: [pager]
  - name: r1
    severity: low
    match: "*"
`, []string{
			`r.yaml:6: rule r1: actions: no action is named "pager" (define it under actions: at the top of the file)`,
		}},
		{"duplicate names", `
rules:
  - name: r1
    severity: low
    match: "*"
  - name: r1
    severity: low
    match: "*"
`, []string{`r.yaml:6: rule r1: name: two rules are named "r1" (the other at line 3)`}},
		{"threshold and new_value together, new_value without group", `
rules:
  - name: r4
    severity: low
    match: "*"
    threshold: {count: 2, window: 1m}
    new_value: {field: location, history: 30d}
`, []string{
			`r.yaml:3: rule r4: group_by: a new_value rule needs group_by: whose values are new (user)`,
			`r.yaml:7: rule r4: new_value: a rule has a threshold or a new_value, not both`,
		}},
		{"actions", `
actions:
  - name: hook
    type: webhook
  - name: mail
    type: email
    smtp: mail.example.com:587
    username: vigil
    url: https://x.example
  - name: page
    type: pager
rules:
  - name: r1
    severity: low
    match: "*"
`, []string{
			`r.yaml:3: actions.hook.url: missing: give url, or url_env naming an environment variable that holds it`,
			`r.yaml:5: actions.mail.from: missing: the sender address`,
			`r.yaml:5: actions.mail.to: missing: one or more recipient addresses`,
			`r.yaml:8: actions.mail.username: a username needs password_env or password_file (passwords are never written in the rules file)`,
			`r.yaml:9: actions.mail.url: email actions take no url`,
			`r.yaml:10: actions.page.type: "pager": want one of webhook, slack, email`,
		}},
		{"not YAML", "rules:\n  - name: [\n", []string{`r.yaml:2: not valid YAML: did not find expected node content`}},
		{"empty", "# nothing\n", []string{`r.yaml: the file is empty; it needs a rules: list`}},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse([]byte(c.text), "r.yaml")
			var ve *ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("got %v, want a *ValidationError", err)
			}
			got := strings.Split(err.Error(), "\n")
			if strings.Join(got, "\n") != strings.Join(c.want, "\n") {
				t.Errorf("got\n  %s\nwant\n  %s", strings.Join(got, "\n  "), strings.Join(c.want, "\n  "))
			}
		})
	}
}

func TestRulesFileSchema(t *testing.T) {
	rs := mustParse(t, `
version: 1
zone: Europe/Berlin
zone_by:
  field: user
  zones: {ana@x.com: Asia/Tokyo}
actions:
  - name: hook
    type: webhook
    url: https://hooks.example/alerts
    headers: {Authorization: Bearer x}
  - name: chat
    type: slack
    url_env: SLACK_URL
  - name: mail
    type: email
    smtp: mail.example.com
    from: vigil@example.com
    to: [soc@example.com, oncall@example.com]
    username: vigil
    password_env: SMTP_PASSWORD
rules:
  - name: failures
    title: Failures
    type: brute_force
    severity: High
    match: action:login.failed
    group_by: [user, ip]
    threshold: {count: 3, window: 1h30m}
    suppress: 2h
    actions: [hook, chat, mail]
  - name: off
    enabled: false
    severity: low
    match: "*"
  - name: countries
    severity: medium
    match: action:login.success
    group_by: user
    new_value: {field: location, history: 2w, extract: '([^,]+)$'}
`)
	if rs.Zone.String() != "Europe/Berlin" || rs.ZoneBy.Field != "user" || rs.ZoneBy.Zones["ana@x.com"].String() != "Asia/Tokyo" {
		t.Errorf("zones: %v %+v", rs.Zone, rs.ZoneBy)
	}
	if len(rs.Rules) != 2 {
		t.Fatalf("%d rules, want 2 (the disabled one left out)", len(rs.Rules))
	}
	r := rs.Rules[0]
	if r.Severity != "high" || strings.Join(r.GroupBy, ",") != "user,ip" || r.Threshold.Count != 3 ||
		r.Threshold.Window != 90*time.Minute || r.Suppress != 2*time.Hour || len(r.Actions) != 3 || r.Line != 23 {
		t.Errorf("rule: %+v %+v", r, r.Threshold)
	}
	if nv := rs.Rules[1].NewValue; nv.Field != "location" || nv.History != 2*Week || nv.Extract == nil {
		t.Errorf("new_value: %+v", nv)
	}
	if a, ok := rs.Action("mail"); !ok || a.SMTP != "mail.example.com" || len(a.To) != 2 || a.NoStartTLS || a.PasswordEnv != "SMTP_PASSWORD" {
		t.Errorf("mail action: %+v", a)
	}
	if rs.Lookback() != 2*Week {
		t.Errorf("lookback %v", rs.Lookback())
	}
}

func TestDurations(t *testing.T) {
	for in, want := range map[string]time.Duration{"30s": 30 * time.Second, "10m": 10 * time.Minute, "1h30m": 90 * time.Minute, "30d": 30 * Day, "2w": 2 * Week} {
		d, err := ParseDuration(in)
		if err != nil || d != want {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v", in, d, err, want)
		}
		if s := FormatDuration(d); s != in {
			t.Errorf("FormatDuration(%v) = %q, want %q", d, s, in)
		}
	}
	for _, bad := range []string{"", "10", "m", "-5m", "0s", "5x", "1.5h", "99999999999999999999d"} {
		if _, err := ParseDuration(bad); err == nil {
			t.Errorf("ParseDuration(%q) gave no error", bad)
		}
	}
}

func TestBuiltinRulesFileIsTheEmbeddedOne(t *testing.T) {
	rs := Builtin()
	want := map[string]string{
		"brute-force-user": "brute_force", "brute-force-ip": "brute_force",
		"privilege-escalation": "privilege_escalation",
		"mass-export-large":    "mass_export", "mass-export-many": "mass_export",
		"off-hours-login": "off_hours", "new-location": "new_location",
	}
	if len(rs.Rules) != len(want) {
		t.Errorf("%d built-in rules, want %d", len(rs.Rules), len(want))
	}
	for _, r := range rs.Rules {
		if want[r.Name] != r.Type || r.Title == "" || r.Description == "" {
			t.Errorf("rule %s: type %q, title %q", r.Name, r.Type, r.Title)
		}
	}
}
