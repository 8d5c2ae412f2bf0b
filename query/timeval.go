package query

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"time"
)

// TimeValue is a time as a query writes it: a UTC day, an instant, or a
// time relative to the moment the query is evaluated (now, now-7d, today,
// yesterday). Span resolves it.
type TimeValue struct {
	kind timeKind
	t    time.Time     // the instant, or the start of the day
	off  time.Duration // from now
}

type timeKind uint8

const (
	timeInstant timeKind = iota
	timeDay
	timeNow
	timeToday
	timeYesterday
)

const day = 24 * time.Hour

// ParseTimeValue parses a time as queries write it:
//
//	2025-01-15                       that UTC day
//	2025-01-15T14:30:00Z             an RFC 3339 instant, any fraction and offset
//	now, now-15m, now-1h30m, now+1d  relative to the evaluation time (units s m h d w)
//	today, yesterday                 those UTC days, at the evaluation time
//
// Words are case-insensitive.
func ParseTimeValue(s string) (TimeValue, error) {
	v, why := parseTimeValue(s)
	if why != "" {
		return TimeValue{}, fmt.Errorf("bad time %q: %s", s, why)
	}
	return v, nil
}

// parseTimeValue is ParseTimeValue with the reason for a bad value, written
// as a hint, instead of an error.
func parseTimeValue(s string) (TimeValue, string) {
	l := strings.ToLower(s)
	switch {
	case l == "today":
		return TimeValue{kind: timeToday}, ""
	case l == "yesterday":
		return TimeValue{kind: timeYesterday}, ""
	case l == "now":
		return TimeValue{kind: timeNow}, ""
	case strings.HasPrefix(l, "now-"), strings.HasPrefix(l, "now+"):
		d, err := parseDuration(s[4:])
		if err != nil {
			return TimeValue{}, err.Error()
		}
		if l[3] == '-' {
			d = -d
		}
		return TimeValue{kind: timeNow, off: d}, ""
	}
	if len(s) == len(time.DateOnly) {
		if t, err := time.Parse(time.DateOnly, s); err == nil {
			return TimeValue{kind: timeDay, t: t}, ""
		}
	}
	if t, ok := parseInstant(s); ok {
		return TimeValue{kind: timeInstant, t: t}, ""
	}
	if _, ok := parseInstant(s + "Z"); ok {
		return TimeValue{}, "an instant needs its offset: add Z for UTC (" + s + "Z)"
	}
	return TimeValue{}, "write a day (2025-01-15), an RFC 3339 instant (2025-01-15T14:30:00Z), now, now-15m, today or yesterday"
}

// parseInstant parses RFC 3339 as event timestamps are read: a lower-case
// t or z and a space for the T are allowed.
func parseInstant(s string) (time.Time, bool) {
	if len(s) > 10 && (s[10] == 't' || s[10] == ' ') {
		s = s[:10] + "T" + s[11:]
	}
	if strings.HasSuffix(s, "z") {
		s = s[:len(s)-1] + "Z"
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, false
	}
	return t.UTC(), true
}

// IsDay reports whether v stands for a whole UTC day (a date, today or
// yesterday) rather than an instant.
func (v TimeValue) IsDay() bool {
	return v.kind == timeDay || v.kind == timeToday || v.kind == timeYesterday
}

// IsRelative reports whether v depends on the evaluation time.
func (v TimeValue) IsRelative() bool { return v.kind >= timeNow }

// Span returns the instants v stands for at evaluation time now, as the
// half-open interval [start, end): a whole day for a day, one nanosecond
// for an instant.
func (v TimeValue) Span(now time.Time) (start, end time.Time) {
	switch v.kind {
	case timeDay:
		return v.t, v.t.Add(day)
	case timeNow:
		t := now.Add(v.off)
		return t, t.Add(1)
	case timeToday, timeYesterday:
		u := now.UTC()
		start = time.Date(u.Year(), u.Month(), u.Day(), 0, 0, 0, 0, time.UTC)
		if v.kind == timeYesterday {
			start = start.Add(-day)
		}
		return start, start.Add(day)
	}
	return v.t, v.t.Add(1)
}

// TimeSpan is a set of instants: those from From (included) to To
// (excluded). A side without a bound is open.
type TimeSpan struct {
	From, To       time.Time
	HasFrom, HasTo bool
}

// Contains reports whether t lies in the span.
func (s TimeSpan) Contains(t time.Time) bool {
	return (!s.HasFrom || !t.Before(s.From)) && (!s.HasTo || t.Before(s.To))
}

// IsEmpty reports whether no instant lies in the span.
func (s TimeSpan) IsEmpty() bool {
	return s.HasFrom && s.HasTo && !s.From.Before(s.To)
}

// spanOf is the span time:OP v stands for. With [S, E) the span of v:
//
//	time:v     [S, E)
//	time:>v    [S, ∞) for a day (the spec: after the day starts), (v, ∞) = [E, ∞) for an instant
//	time:>=v   [S, ∞)
//	time:<v    (-∞, S)
//	time:<=v   (-∞, E)  (to the end of a day)
func spanOf(v TimeValue, op Op, now time.Time) TimeSpan {
	s, e := v.Span(now)
	switch op {
	case Gt:
		if v.IsDay() {
			return TimeSpan{From: s, HasFrom: true}
		}
		return TimeSpan{From: e, HasFrom: true}
	case Ge:
		return TimeSpan{From: s, HasFrom: true}
	case Lt:
		return TimeSpan{To: s, HasTo: true}
	case Le:
		return TimeSpan{To: e, HasTo: true}
	}
	return TimeSpan{From: s, To: e, HasFrom: true, HasTo: true}
}

// Duration units of relative times and timechart intervals.
var durationUnits = map[byte]time.Duration{
	's': time.Second, 'm': time.Minute, 'h': time.Hour, 'd': day, 'w': 7 * day,
}

// parseDuration parses a sequence of NUMBER UNIT, such as 15m or 1h30m,
// with the units s, m, h, d (24h) and w (7d), in either case but for M,
// which is refused rather than read as minutes when a month was meant.
func parseDuration(s string) (time.Duration, error) {
	if s == "" {
		return 0, errors.New("missing a duration such as 15m, 24h or 7d (units s, m, h, d, w)")
	}
	var total time.Duration
	for i := 0; i < len(s); {
		j := i
		var n int64
		for j < len(s) && '0' <= s[j] && s[j] <= '9' {
			if n > (math.MaxInt64-9)/10 {
				return 0, fmt.Errorf("duration %q is too long", s)
			}
			n = n*10 + int64(s[j]-'0')
			j++
		}
		if j == i {
			return 0, fmt.Errorf("bad duration %q: write a number and a unit, such as 15m, 24h or 7d", s)
		}
		if j == len(s) {
			return 0, fmt.Errorf("duration %q has no unit: units are s, m, h, d, w", s)
		}
		if s[j] == 'M' {
			return 0, errors.New("capital M is not a unit: write m for minutes, 30d for about a month")
		}
		unit, ok := durationUnits[lowerASCII(s[j])]
		if !ok {
			return 0, fmt.Errorf("unknown duration unit %q: units are s, m, h, d, w", s[j:j+1])
		}
		if n > int64(math.MaxInt64/unit) || total > math.MaxInt64-time.Duration(n)*unit {
			return 0, fmt.Errorf("duration %q is too long", s)
		}
		total += time.Duration(n) * unit
		i = j + 1
	}
	return total, nil
}

// formatDuration writes d with the units of parseDuration, largest first:
// 90m is 1h30m, 7d is 1w.
func formatDuration(d time.Duration) string {
	if d <= 0 {
		return "0s"
	}
	var b strings.Builder
	for _, u := range []struct {
		c byte
		d time.Duration
	}{{'w', 7 * day}, {'d', day}, {'h', time.Hour}, {'m', time.Minute}, {'s', time.Second}} {
		if n := d / u.d; n > 0 {
			fmt.Fprintf(&b, "%d%c", n, u.c)
			d -= n * u.d
		}
	}
	if d > 0 { // below a second: not written by parseDuration
		fmt.Fprintf(&b, "%dns", d.Nanoseconds())
	}
	return b.String()
}

func lowerASCII(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}
