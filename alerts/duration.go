package alerts

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Day and Week are the calendar-free units of rule durations: exactly 24
// hours and 7 days, as in the query language (now-7d).
const (
	Day  = 24 * time.Hour
	Week = 7 * Day
)

// ParseDuration parses a rule duration: one or more numbers each followed
// by a unit s, m, h, d (24h) or w (7d), as 30s, 10m, 1h30m, 30d or 2w. It
// must be positive.
func ParseDuration(s string) (time.Duration, error) {
	text := strings.TrimSpace(s)
	if text == "" {
		return 0, fmt.Errorf("empty duration; write a number and a unit s, m, h, d or w (10m, 30d)")
	}
	var total time.Duration
	rest := text
	for rest != "" {
		i := 0
		for i < len(rest) && rest[i] >= '0' && rest[i] <= '9' {
			i++
		}
		if i == 0 || i == len(rest) {
			return 0, fmt.Errorf("bad duration %q: write a number and a unit s, m, h, d or w (10m, 30d, 1h30m)", s)
		}
		n, err := strconv.ParseInt(rest[:i], 10, 64)
		if err != nil {
			return 0, fmt.Errorf("bad duration %q: %w", s, err)
		}
		var unit time.Duration
		switch rest[i] {
		case 's':
			unit = time.Second
		case 'm':
			unit = time.Minute
		case 'h':
			unit = time.Hour
		case 'd':
			unit = Day
		case 'w':
			unit = Week
		default:
			return 0, fmt.Errorf("bad duration %q: unknown unit %q; units are s, m, h, d and w", s, rest[i:i+1])
		}
		if n > int64((1<<63-1)/unit) {
			return 0, fmt.Errorf("bad duration %q: too long", s)
		}
		total += time.Duration(n) * unit
		if total < 0 {
			return 0, fmt.Errorf("bad duration %q: too long", s)
		}
		rest = rest[i+1:]
	}
	if total <= 0 {
		return 0, fmt.Errorf("bad duration %q: must be longer than zero", s)
	}
	return total, nil
}

// FormatDuration writes d the way rules do: 10m, 1h30m, 30d, and weeks
// only for a whole number of them (2w). Fractions of a second are dropped;
// zero is "0s".
func FormatDuration(d time.Duration) string {
	if d <= 0 {
		return "0s"
	}
	if d%Week == 0 {
		return strconv.FormatInt(int64(d/Week), 10) + "w"
	}
	var b strings.Builder
	for _, u := range []struct {
		unit time.Duration
		name byte
	}{{Day, 'd'}, {time.Hour, 'h'}, {time.Minute, 'm'}, {time.Second, 's'}} {
		if n := d / u.unit; n > 0 {
			b.WriteString(strconv.FormatInt(int64(n), 10))
			b.WriteByte(u.name)
			d -= n * u.unit
		}
	}
	if b.Len() == 0 {
		return "0s"
	}
	return b.String()
}
