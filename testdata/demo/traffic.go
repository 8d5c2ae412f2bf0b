package demo

import (
	"math"
	"slices"
	"sort"
)

// rhythm is the relative activity of a person at a local hour and weekday
// (0 = Sunday): office hours on weekdays, a little in the evening, almost
// nothing at night and at weekends.
func rhythm(hour, weekday int) float64 {
	if weekday == 0 || weekday == 6 {
		switch {
		case hour >= 10 && hour < 18:
			return 0.6
		case hour >= 8 && hour < 22:
			return 0.25
		default:
			return 0.04
		}
	}
	switch {
	case hour == 12:
		return 8
	case hour >= 8 && hour < 18:
		return 10
	case hour == 7 || hour == 18:
		return 3
	case hour >= 19 && hour < 22:
		return 1.2
	case hour == 6 || hour >= 22:
		return 0.4
	default:
		return 0.08
	}
}

// Traffic rules that keep ordinary traffic from looking like an incident.
const (
	maxFailsPerHour   = 2 // failed logins per person per hour
	maxExportsPerHour = 2 // exports per person per hour
	nightEnd          = 6 // no ordinary sign-in between 00:00 and 06:00 local
)

func (g *Generator) prepareTraffic() {
	g.buckets = g.cfg.Days * 24
	nz := len(g.zones)
	g.cum = make([]float64, g.buckets*nz)
	sum := 0.0
	for b := 0; b < g.buckets; b++ {
		mid := g.startMS + int64(b)*hourMS + hourMS/2
		for z := 0; z < nz; z++ {
			h, wd := localClock(mid, g.zones[z])
			// The conversion rounds the product, so that no platform
			// fuses it with the addition and the output stays the same
			// everywhere.
			sum += float64(rhythm(h, wd) * g.zoneWeight[z])
			g.cum[b*nz+z] = sum
		}
	}
	g.typeCum = make([]float64, len(types))
	sum = 0
	for i := range types {
		sum += types[i].w
		g.typeCum[i] = sum
	}
	n := len(g.users)
	g.failBucket = make([]int32, n)
	g.exportBucket = make([]int32, n)
	g.failCount = make([]uint8, n)
	g.exportCount = make([]uint8, n)
	for i := range g.failBucket {
		g.failBucket[i] = -1
		g.exportBucket[i] = -1
	}
}

// cellCount returns how many ordinary events the cells up to and including
// i hold; rounding the cumulative share makes the counts add up exactly.
func (g *Generator) cellCount(i int) int {
	if i < 0 {
		return 0
	}
	if i == len(g.cum)-1 {
		return g.ordinary
	}
	return int(math.Floor(float64(g.ordinary)*g.cum[i]/g.cum[len(g.cum)-1] + 0.5))
}

func (g *Generator) pickType(r *rng) int16 {
	x := r.float() * g.typeCum[len(g.typeCum)-1]
	i := sort.SearchFloat64s(g.typeCum, x)
	if i >= len(types) {
		i = len(types) - 1
	}
	for types[i].w == 0 {
		i++
	}
	return int16(i)
}

// pickForm chooses how a timestamp is written: mostly RFC 3339 UTC with
// milliseconds, about 3% in the other forms the decoder accepts.
func pickForm(r *rng) uint8 {
	switch x := r.n(1000); {
	case x < 10:
		return formOffset
	case x < 20:
		return formUnixS
	case x < 30:
		return formUnixMS
	}
	return formRFC3339
}

// fillBucket lays out the ordinary events of the next hour, sorted by time.
func (g *Generator) fillBucket() {
	b := g.bucket
	g.bucket++
	g.slots = g.slots[:0]
	g.slotPos = 0
	nz := len(g.zones)
	r := newRNG(g.seed, 0xB0, uint64(b))
	base := g.startMS + int64(b)*hourMS
	idx := uint32(0)
	for z := 0; z < nz; z++ {
		cell := b*nz + z
		k := g.cellCount(cell) - g.cellCount(cell-1)
		for ; k > 0; k-- {
			s := slot{
				t:    base + r.n64(hourMS),
				idx:  idx,
				user: pick(&r, g.zoneUsers[z]),
				typ:  g.pickType(&r),
				form: pickForm(&r),
				r:    r.next(),
			}
			if s.form == formUnixS {
				s.t -= s.t % secMS
			}
			idx++
			g.slots = append(g.slots, s)
		}
	}
	slices.SortFunc(g.slots, func(a, b slot) int {
		switch {
		case a.t < b.t:
			return -1
		case a.t > b.t:
			return 1
		}
		return int(a.idx) - int(b.idx)
	})
}

// ordinarySpec turns a slot into an event, applying the traffic rules.
func (g *Generator) ordinarySpec(s *slot) spec {
	r := rng{s: s.r}
	sp := spec{t: s.t, form: s.form, typ: s.typ, user: s.user, target: -1, dev: -1, ip: -1, r: r.next()}
	et := &types[sp.typ]
	u := &g.users[sp.user]
	if et.admin && !u.privileged() {
		list := g.zoneAdmins[u.zone]
		if len(list) == 0 {
			list = g.admins
		}
		sp.user = pick(&r, list)
		u = &g.users[sp.user]
	}
	bucket := int32(floorDiv(s.t-g.startMS, hourMS))
	hour, _ := localClock(s.t, u.city.off)
	fails := func() bool {
		if g.failBucket[sp.user] != bucket {
			g.failBucket[sp.user] = bucket
			g.failCount[sp.user] = 0
		}
		if g.failCount[sp.user] >= maxFailsPerHour {
			return false
		}
		g.failCount[sp.user]++
		return true
	}
	switch {
	case sp.typ == tLoginFailed:
		if hour < nightEnd || !fails() {
			sp.typ = tDataAccessed
		}
	case sp.typ == tDataExported:
		if g.exportBucket[sp.user] != bucket {
			g.exportBucket[sp.user] = bucket
			g.exportCount[sp.user] = 0
		}
		if g.exportCount[sp.user] >= maxExportsPerHour {
			sp.typ = tDataAccessed
		} else {
			g.exportCount[sp.user]++
		}
	case et.login:
		if hour < nightEnd {
			sp.typ = tDataAccessed
		} else if sp.typ != tLoginSuccess && r.chance(0.03) && fails() {
			sp.fail = true
		}
	case et.name == "Access denied from blocked IP":
		sp.ip = pick(&r, g.blocked)
	}
	return sp
}
