// Package demo generates realistic, deterministic audit events in vigil's
// native JSON shape (see event-format.md), for `vigil demo`, tests and
// benchmarks.
//
// The generated organisation has a few hundred people in a handful of
// companies and cities, each with a role, a home location, one to three usual
// IP addresses and a main device. They work office hours in their own time
// zone, sign in, read dashboards, call the API, change settings and now and
// then manage the team, across the event types of all seed products
// (Zenovay dotted names, Insight UPPER_CASE names, Keeper app_* names and
// Enpass event names). Into this traffic the generator plants incidents
// (brute force, privilege escalation, mass export, off-hours access, new
// location) and a few events carrying hostile strings, and reports the
// incidents so that tests can check that vigil detects them.
//
// The same Config always yields the same bytes.
package demo

import (
	"bufio"
	"io"
	"slices"
	"time"
)

// Config says what to generate.
type Config struct {
	Events int       // number of events to generate (default 50000 when 0)
	Days   int       // span of event time, ending at End (default 30)
	Seed   int64     // same Seed + same Config => byte-identical output
	End    time.Time // newest event time bound; required (tests pass a fixed time; the CLI passes now truncated to the hour)
}

// DefaultEnd is the End used when a Config leaves it zero, so that output
// stays deterministic.
var DefaultEnd = time.Date(2025, time.January, 31, 0, 0, 0, 0, time.UTC)

// Incident is a story planted in the data, so tests can check detections.
type Incident struct {
	Kind       string    // "brute_force", "privilege_escalation", "mass_export", "off_hours", "new_location"
	Actor      string    // actor email (or "" where keyed by IP)
	IP         string    // the address the story comes from
	Start, End time.Time // time of the first and the last event of the story
	EventIDs   []string  // event_ids of the events that make the story
}

// Incident kinds. For each, what the story is and what Actor and IP of its
// Incident hold.
const (
	// KindBruteForce: one address sends 8-20 login.failed against one
	// person within five minutes, then brute_force.detected, sometimes a
	// login.success from the same address. Actor: the person attacked; IP:
	// the attacker's address.
	KindBruteForce = "brute_force"
	// KindPrivilegeEscalation: member.role_changed from viewer or editor to
	// admin, sometimes followed by USER_ROLE_SET with role admin. Actor: the
	// admin making the change (the target is in the events); IP: theirs.
	KindPrivilegeEscalation = "privilege_escalation"
	// KindMassExport: one data.exported with more than 100000 rows, or 6-10
	// exports by one person within an hour. Actor: the exporter.
	KindMassExport = "mass_export"
	// KindOffHours: a login.success between 01:00 and 04:00 local time (on a
	// weekday or at a weekend) by someone who works office hours, then a
	// data.accessed. The people chosen live at UTC+00:00, so the hour is the
	// same in UTC. Actor: that person.
	KindOffHours = "off_hours"
	// KindNewLocation: a login.success from home, then one from a country
	// the person never signed in from, with a new address, then
	// suspicious.activity. Actor: that person; IP: the new address.
	KindNewLocation = "new_location"
)

// Kinds lists the incident kinds in the order the planner rotates them.
var Kinds = []string{KindBruteForce, KindPrivilegeEscalation, KindMassExport, KindOffHours, KindNewLocation}

// Generator produces the events of one Config, oldest first. It is not safe
// for concurrent use.
type Generator struct {
	cfg     Config
	seed    uint64
	startMS int64
	endMS   int64

	// The world.
	users      []user
	ips        []ipAddr
	v4Pool     []string
	v4Next     int
	v6Next     int
	zones      []int     // offsets in minutes
	zoneUsers  [][]int32 // per zone, users repeated by activity
	zoneAdmins [][]int32
	zoneWeight []float64
	admins     []int32
	utcUsers   []int32
	apps       []ksmApp
	devices    []ksmDevice
	secrets    []string
	blocked    []int32 // addresses outside every IP lock

	// Planted events, sorted by time.
	planned   []planned
	incidents []Incident
	nextPlan  int

	// Ordinary traffic: hour buckets of the span, each split by zone.
	ordinary int       // number of ordinary events
	cum      []float64 // cumulative weight per (bucket, zone) cell
	buckets  int
	bucket   int // next bucket to fill
	slots    []slot
	slotPos  int
	emitted  int // ordinary events emitted

	typeCum []float64 // cumulative ordinary weights per type
	// Per-user counters of the current bucket, for the traffic rules.
	failBucket   []int32
	failCount    []uint8
	exportBucket []int32
	exportCount  []uint8

	buf []byte
}

// slot is one ordinary event before it is built.
type slot struct {
	t    int64
	idx  uint32
	user int32
	typ  int16
	form uint8
	r    uint64
}

// planned is a planted event, built up front.
type planned struct {
	t   int64
	seq int
	raw []byte
}

// New returns a generator for cfg. Events defaults to 50000 and Days to 30
// when zero or negative; a zero End is DefaultEnd. Incidents are planned
// here, so Incidents is complete before the first call to Next.
func New(cfg Config) *Generator {
	if cfg.Events <= 0 {
		cfg.Events = 50000
	}
	if cfg.Days <= 0 {
		cfg.Days = 30
	}
	if cfg.End.IsZero() {
		cfg.End = DefaultEnd
	}
	g := &Generator{cfg: cfg, seed: mix(uint64(cfg.Seed), 0x76696769)}
	g.endMS = cfg.End.UnixMilli()
	g.startMS = g.endMS - int64(cfg.Days)*dayMS
	g.buildWorld()
	g.plan()
	g.ordinary = cfg.Events - len(g.planned)
	g.prepareTraffic()
	return g
}

// Config returns the configuration in effect, defaults filled in.
func (g *Generator) Config() Config { return g.cfg }

// Incidents returns the planted incidents, oldest first.
func (g *Generator) Incidents() []Incident {
	out := make([]Incident, len(g.incidents))
	for i, in := range g.incidents {
		in.EventIDs = slices.Clone(in.EventIDs)
		out[i] = in
	}
	return out
}

// Next returns the next event as one JSON object without a newline, in
// ascending time order, or false when all events have been returned. The
// slice is the caller's: the generator does not touch it again.
func (g *Generator) Next() ([]byte, bool) {
	b, ok := g.next()
	if !ok {
		return nil, false
	}
	out := make([]byte, len(b))
	copy(out, b)
	return out, true
}

// next returns the next event in a buffer reused by the following call.
func (g *Generator) next() ([]byte, bool) {
	for g.slotPos >= len(g.slots) {
		if g.bucket >= g.buckets {
			if g.nextPlan < len(g.planned) {
				p := &g.planned[g.nextPlan]
				g.nextPlan++
				return p.raw, true
			}
			return nil, false
		}
		g.fillBucket()
	}
	s := &g.slots[g.slotPos]
	if g.nextPlan < len(g.planned) && g.planned[g.nextPlan].t <= s.t {
		p := &g.planned[g.nextPlan]
		g.nextPlan++
		return p.raw, true
	}
	g.slotPos++
	sp := g.ordinarySpec(s)
	g.buf = g.build(g.buf[:0], &sp, mix(g.seed, 0xE7, uint64(g.emitted)*2))
	g.emitted++
	return g.buf, true
}

// WriteJSONL writes all events of cfg to w, one per line, and returns how
// many it wrote.
func WriteJSONL(w io.Writer, cfg Config) (int, error) {
	g := New(cfg)
	bw := bufio.NewWriterSize(w, 256<<10)
	n := 0
	for {
		b, ok := g.next()
		if !ok {
			break
		}
		bw.Write(b)
		if err := bw.WriteByte('\n'); err != nil {
			return n, err
		}
		n++
	}
	return n, bw.Flush()
}
