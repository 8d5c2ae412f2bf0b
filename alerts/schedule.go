package alerts

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Schedule is a rule's business days and hours. An event matches a rule
// with a schedule only outside them: off-hours. Local time is the event's
// time in the zone, so days and hours follow daylight saving time.
type Schedule struct {
	// Zone is the schedule's own zone; when nil, the rule set's ZoneBy
	// and Zone decide, per event.
	Zone *time.Location
	// Days are the business days, by time.Weekday.
	Days [7]bool
	// Hours are the business hours of a business day. A span whose end
	// is before its start runs past midnight into the next day (a night
	// shift belongs to the day it starts on).
	Hours []HourSpan
	// Holidays are local dates that are no business day.
	Holidays map[civilDate]bool
}

// HourSpan is [From, To) in minutes after local midnight; To may be 1440
// (24:00), and is before From for a span that runs past midnight.
type HourSpan struct {
	From, To int
}

type civilDate struct {
	y int
	m time.Month
	d int
}

func dateOf(t time.Time) civilDate {
	y, m, d := t.Date()
	return civilDate{y, m, d}
}

// businessDay reports whether the local date of t is a business day.
func (s *Schedule) businessDay(t time.Time) bool {
	return s.Days[t.Weekday()] && !s.Holidays[dateOf(t)]
}

// Inside reports whether t falls in business hours, read in loc.
func (s *Schedule) Inside(t time.Time, loc *time.Location) bool {
	lt := t.In(loc)
	m := lt.Hour()*60 + lt.Minute()
	for _, h := range s.Hours {
		if h.From < h.To {
			if m >= h.From && m < h.To && s.businessDay(lt) {
				return true
			}
			continue
		}
		// Past midnight: the evening belongs to today, the early morning
		// to the day before. AddDate keeps the wall clock, so the day
		// before is found across a change of offset too.
		if m >= h.From && s.businessDay(lt) {
			return true
		}
		if m < h.To && s.businessDay(lt.AddDate(0, 0, -1)) {
			return true
		}
	}
	return false
}

// addDays adds "mon", "monday", a range "mon-fri", or "all".
func (s *Schedule) addDays(item string) error {
	l := strings.ToLower(strings.TrimSpace(item))
	if l == "all" || l == "every day" {
		for i := range s.Days {
			s.Days[i] = true
		}
		return nil
	}
	lo, hi, isRange := strings.Cut(l, "-")
	a, ok := weekdays[strings.TrimSpace(lo)]
	if !ok {
		return fmt.Errorf("%q: want a day (mon, tue, ... sun), a range (mon-fri) or all", item)
	}
	if !isRange {
		s.Days[a] = true
		return nil
	}
	b, ok := weekdays[strings.TrimSpace(hi)]
	if !ok {
		return fmt.Errorf("%q: want a day (mon, tue, ... sun), a range (mon-fri) or all", item)
	}
	for d := a; ; d = (d + 1) % 7 {
		s.Days[d] = true
		if d == b {
			break
		}
	}
	return nil
}

// parseHours parses "08:00-18:00" (or "22:00-06:00", past midnight).
func parseHours(s string) (HourSpan, error) {
	lo, hi, ok := strings.Cut(strings.TrimSpace(s), "-")
	if !ok {
		return HourSpan{}, fmt.Errorf("%q: want a span of local time as 08:00-18:00", s)
	}
	from, err := parseClock(lo, false)
	if err != nil {
		return HourSpan{}, fmt.Errorf("%q: %v", s, err)
	}
	to, err := parseClock(hi, true)
	if err != nil {
		return HourSpan{}, fmt.Errorf("%q: %v", s, err)
	}
	if from == to {
		return HourSpan{}, fmt.Errorf("%q: an empty span", s)
	}
	return HourSpan{From: from, To: to}, nil
}

func parseClock(s string, end bool) (int, error) {
	s = strings.TrimSpace(s)
	h, m, ok := strings.Cut(s, ":")
	if !ok || len(h) == 0 || len(h) > 2 || len(m) != 2 {
		return 0, fmt.Errorf("bad time %q: write HH:MM", s)
	}
	hh, err1 := strconv.Atoi(h)
	mm, err2 := strconv.Atoi(m)
	if err1 != nil || err2 != nil || mm < 0 || mm > 59 || hh < 0 || hh > 24 || (hh == 24 && (mm != 0 || !end)) {
		return 0, fmt.Errorf("bad time %q: write HH:MM from 00:00 to 24:00", s)
	}
	return hh*60 + mm, nil
}

// zoneFor returns the zone a schedule reads ev's time in.
func (rs *RuleSet) zoneFor(s *Schedule, value func(field string) string) *time.Location {
	if s.Zone != nil {
		return s.Zone
	}
	if zb := rs.ZoneBy; zb != nil && zb.Field != "" {
		if loc, ok := zb.Zones[strings.ToLower(value(zb.Field))]; ok {
			return loc
		}
	}
	if rs.Zone != nil {
		return rs.Zone
	}
	return time.UTC
}
