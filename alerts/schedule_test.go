package alerts

import (
	"testing"
	"time"

	"github.com/vigil-dev/vigil/event"
)

// officeRules is an off-hours rule for an office in London, Monday to
// Friday 08:00-18:00, with a bank holiday.
const officeRules = `
zone: Europe/London
rules:
  - name: off-hours
    severity: medium
    match: action:login.success
    group_by: [user]
    schedule:
      days: [mon-fri]
      hours: "08:00-18:00"
      holidays: [2025-04-18]
`

func mustParse(t *testing.T, text string) *RuleSet {
	t.Helper()
	rs, err := Parse([]byte(text), "test.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return rs
}

func TestOffHoursAcrossDaylightSavingTime(t *testing.T) {
	rs := mustParse(t, officeRules)
	utc := func(s string) time.Time {
		x, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return x
	}
	// London moves from GMT (UTC+0) to BST (UTC+1) at 01:00 UTC on Sunday
	// 30 March 2025, and back at 01:00 UTC on Sunday 26 October 2025. The
	// same UTC instant of the day is inside business hours on one side of
	// the change and outside on the other.
	for _, c := range []struct {
		at   string
		fire bool
		why  string
	}{
		{"2025-03-28T07:30:00Z", true, "Friday 07:30 GMT: before 08:00"},
		{"2025-03-28T17:30:00Z", false, "Friday 17:30 GMT: business hours"},
		{"2025-03-31T07:30:00Z", false, "Monday 08:30 BST: business hours"},
		{"2025-03-31T17:30:00Z", true, "Monday 18:30 BST: after 18:00"},
		{"2025-03-31T06:59:59Z", true, "Monday 07:59:59 BST"},
		{"2025-03-31T07:00:00Z", false, "Monday 08:00 BST exactly"},
		{"2025-03-30T12:00:00Z", true, "the Sunday of the change: no business day"},
		{"2025-04-18T12:00:00Z", true, "Good Friday: a holiday"},
		{"2025-10-24T07:30:00Z", false, "Friday 08:30 BST"},
		{"2025-10-27T07:30:00Z", true, "Monday 07:30 GMT, after the change back"},
		{"2025-10-27T08:00:00Z", false, "Monday 08:00 GMT"},
		{"2025-10-27T17:30:00Z", false, "Monday 17:30 GMT"},
	} {
		got := run(t, rs, []*event.Event{ev(t, "login.success", utc(c.at), "user", "ana@x.com")})
		if (len(got) == 1) != c.fire {
			t.Errorf("%s (%s): fired %v, want %v", c.at, c.why, got, c.fire)
		}
	}
}

func TestScheduleSpansAndZones(t *testing.T) {
	rs := mustParse(t, `
zone: America/New_York
zone_by:
  field: user
  zones:
    Tokyo@X.com: Asia/Tokyo
rules:
  - name: night-shift
    severity: low
    match: action:login.success
    schedule:
      days: [sun-thu]
      hours: ["22:00-06:00"]
`)
	// A shift from 22:00 to 06:00 starting Sunday to Thursday: Friday
	// 03:00 belongs to Thursday's shift, Saturday 03:00 to Friday's (no
	// business day).
	ny := func(s string) time.Time {
		loc, _ := time.LoadLocation("America/New_York")
		x, err := time.ParseInLocation("2006-01-02T15:04", s, loc)
		if err != nil {
			t.Fatal(err)
		}
		return x
	}
	for _, c := range []struct {
		at   string
		user string
		fire bool
	}{
		{"2025-01-16T23:00", "a@x.com", false}, // Thursday 23:00
		{"2025-01-17T03:00", "a@x.com", false}, // Friday 03:00, Thursday's shift
		{"2025-01-17T23:00", "a@x.com", true},  // Friday 23:00
		{"2025-01-18T03:00", "a@x.com", true},  // Saturday 03:00, Friday's shift
		{"2025-01-19T22:30", "a@x.com", false}, // Sunday 22:30
		{"2025-01-17T12:00", "a@x.com", true},  // Friday noon: no shift
		// 2025-01-17T09:00 New York is 23:00 Friday in Tokyo: the user's
		// own zone decides.
		{"2025-01-17T09:00", "tokyo@x.com", true},
		{"2025-01-16T09:00", "tokyo@x.com", false}, // 23:00 Thursday in Tokyo
	} {
		got := run(t, rs, []*event.Event{ev(t, "login.success", ny(c.at), "user", c.user)})
		if (len(got) == 1) != c.fire {
			t.Errorf("%s %s: fired %v, want %v", c.at, c.user, got, c.fire)
		}
	}
}
