package demo

import (
	"slices"
	"time"
)

// Thresholds of the planner.
const (
	minEventsIncidents = 300   // below this, no incidents are planted
	minEventsHostile   = 1000  // from here on, the hostile events are planted
	minEventsCoverage  = 5000  // from here on, every seed event type occurs
	eventsPerIncident  = 80000 // one more incident of each kind per this many events
)

// planner collects the planted events of a generator.
type planner struct {
	g     *Generator
	r     rng
	specs []spec
	used  map[int32]bool // people already in a story
}

// add records a planted event and returns its index.
func (p *planner) add(sp spec) int {
	if sp.form == 0 {
		sp.form = pickForm(&p.r)
	}
	if sp.form == formUnixS {
		sp.t -= sp.t % secMS
	}
	if sp.r == 0 {
		sp.r = p.r.next()
	}
	p.specs = append(p.specs, sp)
	return len(p.specs) - 1
}

// base returns a spec with nothing chosen yet.
func base(t int64, typ int16, u int32) spec {
	return spec{t: t, typ: typ, user: u, target: -1, dev: -1, ip: -1}
}

// place returns an instant near center at a local hour in [hLo, hHi) of a
// zone off minutes east of UTC, on a weekday (days 1), a weekend day (2) or
// any day (0), at least margin inside the span.
func (p *planner) place(center int64, off, hLo, hHi, days int, margin int64) int64 {
	g := p.g
	localDay := floorDiv(center+int64(off)*minMS, dayMS)
	for d := 0; d <= 2*g.cfg.Days+16; d++ {
		delta := int64((d + 1) / 2)
		if d%2 == 1 {
			delta = -delta
		}
		day := localDay + delta
		wd := int(((day+4)%7 + 7) % 7)
		weekend := wd == 0 || wd == 6
		if (days == 1 && weekend) || (days == 2 && !weekend) {
			continue
		}
		t := day*dayMS - int64(off)*minMS + int64(hLo)*hourMS + p.r.n64(int64(hHi-hLo)*hourMS)
		if t >= g.startMS+margin && t+margin < g.endMS {
			return t
		}
	}
	return max(g.startMS+margin, min(center, g.endMS-margin-1))
}

// person picks someone not yet in a story, for whom ok holds.
func (p *planner) person(from []int32, ok func(*user) bool) int32 {
	g := p.g
	for try := 0; try < 4000; try++ {
		var i int32
		if len(from) > 0 {
			i = pick(&p.r, from)
		} else {
			i = int32(p.r.n(len(g.users)))
		}
		if p.used[i] || (ok != nil && !ok(&g.users[i])) {
			continue
		}
		p.used[i] = true
		return i
	}
	return int32(p.r.n(len(g.users)))
}

// plan plants the incidents, the hostile events and the events that make
// sure every seed event type occurs.
func (g *Generator) plan() {
	p := &planner{g: g, r: newRNG(g.seed, 0x91A), used: map[int32]bool{}}
	var stories []storyOf
	span := g.endMS - g.startMS

	if g.cfg.Events >= minEventsIncidents {
		k := 1 + g.cfg.Events/eventsPerIncident
		n := k * len(Kinds)
		rot := p.r.n(len(Kinds))
		for i := 0; i < n; i++ {
			center := g.startMS + int64((float64(i)+0.5)/float64(n)*float64(span))
			center += p.r.n64(span/int64(4*n)+1) - span/int64(8*n)
			kind := Kinds[(i+rot)%len(Kinds)]
			nth := i / len(Kinds)
			var st storyOf
			switch kind {
			case KindBruteForce:
				st = p.bruteForce(center)
			case KindPrivilegeEscalation:
				st = p.privilegeEscalation(center, nth)
			case KindMassExport:
				st = p.massExport(center, nth)
			case KindOffHours:
				st = p.offHours(center, nth)
			case KindNewLocation:
				st = p.newLocation(center)
			}
			st.kind = kind
			stories = append(stories, st)
		}
	}
	if g.cfg.Events >= minEventsHostile {
		p.hostile()
	}
	if g.cfg.Events >= minEventsCoverage {
		p.coverage()
	}

	ids := make([]string, len(p.specs))
	g.planned = make([]planned, len(p.specs))
	for j := range p.specs {
		sp := &p.specs[j]
		id := mix(g.seed, 0xE7, uint64(j)*2+1)
		ids[j] = "evt_" + hex(id, 16)
		g.planned[j] = planned{t: sp.t, seq: j, raw: g.build(nil, sp, id)}
	}
	slices.SortFunc(g.planned, func(a, b planned) int {
		switch {
		case a.t < b.t:
			return -1
		case a.t > b.t:
			return 1
		}
		return a.seq - b.seq
	})
	for _, st := range stories {
		in := Incident{Kind: st.kind, Actor: st.actor, IP: st.ip}
		lo, hi := int64(1<<62), int64(-1<<62)
		for _, j := range st.idx {
			in.EventIDs = append(in.EventIDs, ids[j])
			lo = min(lo, p.specs[j].t)
			hi = max(hi, p.specs[j].t)
		}
		in.Start = time.UnixMilli(lo).UTC()
		in.End = time.UnixMilli(hi).UTC()
		g.incidents = append(g.incidents, in)
	}
	slices.SortStableFunc(g.incidents, func(a, b Incident) int { return a.Start.Compare(b.Start) })
}

// storyOf is what an incident planner returns.
type storyOf struct {
	kind  string
	actor string
	ip    string
	idx   []int
}

func (p *planner) freshIP(c city) int32 {
	if p.r.chance(0.25) {
		return p.g.publicV6(&p.r, c)
	}
	return p.g.publicV4(&p.r, c)
}

// bruteForce: one address sends 8-20 failed logins against one person within
// five minutes; the product notices; sometimes the attacker then gets in.
// An attack that succeeds comes through a proxy in the victim's country, so
// that it is not also a new-location story.
func (p *planner) bruteForce(center int64) storyOf {
	g := p.g
	v := p.person(nil, nil)
	u := &g.users[v]
	success := p.r.chance(0.35)
	c := foreignCities[p.r.n(len(foreignCities))]
	if success {
		var same []city
		for _, hc := range homeCities {
			if hc.country == u.city.country {
				same = append(same, hc)
			}
		}
		c = pick(&p.r, same)
	}
	ip := p.freshIP(c)
	ua := pick(&p.r, attackerUAs)
	t := p.place(center, u.city.off, 7, 22, 0, 15*minMS)
	n := p.r.between(8, 20)
	var idx []int
	for i := 0; i < n; i++ {
		sp := base(t, tLoginFailed, v)
		sp.ip, sp.ua, sp.noSess, sp.object = ip, ua, true, true
		reason := "invalid_password"
		if p.r.chance(0.15) {
			reason = "mfa_failed"
		}
		sp.det = []kv{kS("reason", reason), kN("attempts", int64(i+1))}
		idx = append(idx, p.add(sp))
		t += int64(p.r.between(2000, 270000/n))
	}
	t += int64(p.r.between(500, 3000))
	det := base(t, tBruteDetected, v)
	det.target, det.ip = v, ip
	det.det = []kv{kS("target_user", u.email), kS("source_ip", g.ips[ip].addr), kN("attempts", int64(n)), kN("window_seconds", 300)}
	idx = append(idx, p.add(det))
	if success {
		t += int64(p.r.between(5000, 40000))
		sp := base(t, tLoginSuccess, v)
		sp.ip, sp.ua, sp.object = ip, ua, true
		sp.det = []kv{kS("method", "password"), kB("mfa", false)}
		idx = append(idx, p.add(sp))
	}
	return storyOf{actor: u.email, ip: g.ips[ip].addr, idx: idx}
}

// privilegeEscalation: an admin makes a viewer or editor an admin.
func (p *planner) privilegeEscalation(center int64, nth int) storyOf {
	g := p.g
	a := p.person(g.admins, nil)
	if !g.users[a].privileged() {
		a = g.admins[0]
	}
	v := p.person(nil, func(u *user) bool { return u.role == roleViewer || u.role == roleEditor })
	au, vu := &g.users[a], &g.users[v]
	ip := au.ips[0]
	t := p.place(center, au.city.off, 9, 18, 1, 15*minMS)
	sp := base(t, tRoleChanged, a)
	sp.target, sp.ip, sp.object = v, ip, true
	sp.det = []kv{kS("from_role", vu.role), kS("to_role", roleAdmin), kS("changer", au.email)}
	idx := []int{p.add(sp)}
	if nth%2 == 1 || p.r.chance(0.3) {
		sp := base(t+int64(p.r.between(3000, 60000)), tUserRoleSet, a)
		sp.target, sp.ip, sp.object = v, ip, true
		sp.det = []kv{kS("role", roleAdmin), kS("previous_role", vu.role)}
		idx = append(idx, p.add(sp))
	}
	return storyOf{actor: au.email, ip: g.ips[ip].addr, idx: idx}
}

// massExport: one export of more than 100000 rows, or 6-10 exports within
// an hour.
func (p *planner) massExport(center int64, nth int) storyOf {
	g := p.g
	v := p.person(nil, func(u *user) bool { return u.role != roleBilling })
	u := &g.users[v]
	ip := u.ips[0]
	t := p.place(center, u.city.off, 9, 18, 1, 70*minMS)
	var idx []int
	export := func(t int64, rows int) {
		sp := base(t, tDataExported, v)
		sp.ip, sp.object = ip, true
		sp.det = []kv{
			kS("type", pick(&p.r, exportKinds)), kS("format", pick(&p.r, []string{"csv", "json"})),
			kN("rows", int64(rows)),
			kS("date_range", dateString(t-int64(p.r.between(90, 730))*dayMS)+"/"+dateString(t)),
		}
		idx = append(idx, p.add(sp))
	}
	if nth%2 == 0 {
		export(t, p.r.between(150000, 2500000))
	} else {
		m := p.r.between(6, 10)
		offs := make([]int64, m)
		for i := range offs {
			offs[i] = p.r.n64(50 * minMS)
		}
		slices.Sort(offs)
		for _, o := range offs {
			export(t+o, p.r.between(800, 15000))
		}
	}
	return storyOf{actor: u.email, ip: g.ips[ip].addr, idx: idx}
}

// offHours: someone who works office hours signs in between 01:00 and 04:00
// local time and looks at data. The people chosen live at UTC+00:00, so the
// sign-in is off hours in UTC too.
func (p *planner) offHours(center int64, nth int) storyOf {
	g := p.g
	v := p.person(g.utcUsers, nil)
	u := &g.users[v]
	ip := u.ips[0]
	days := 1
	if nth%2 == 1 {
		days = 2
	}
	t := p.place(center, u.city.off, 1, 4, days, 15*minMS)
	sp := base(t, tLoginSuccess, v)
	sp.ip, sp.object = ip, true
	sp.det = []kv{kS("method", "password"), kB("mfa", true)}
	idx := []int{p.add(sp)}
	sp = base(t+int64(p.r.between(30000, 600000)), tDataAccessed, v)
	sp.ip = ip
	idx = append(idx, p.add(sp))
	return storyOf{actor: u.email, ip: g.ips[ip].addr, idx: idx}
}

// newLocation: after a sign-in from home, a sign-in from a country the
// person never signed in from, with a new address; the product flags it.
func (p *planner) newLocation(center int64) storyOf {
	g := p.g
	v := p.person(nil, nil)
	u := &g.users[v]
	var c city
	for {
		if p.r.chance(0.5) {
			c = foreignCities[p.r.n(len(foreignCities))]
		} else {
			c = homeCities[p.r.n(len(homeCities))]
		}
		if c.country != u.city.country {
			break
		}
	}
	ip := p.freshIP(c)
	t := p.place(center, u.city.off, 11, 18, 1, 5*hourMS)
	home := base(t-int64(p.r.between(30, 240))*minMS, tLoginSuccess, v)
	home.ip, home.object = u.ips[0], true
	home.det = []kv{kS("method", "sso"), kB("mfa", true)}
	idx := []int{p.add(home)}
	sp := base(t, tLoginSuccess, v)
	sp.ip, sp.object = ip, true
	sp.ua = platforms[(u.plat+3)%len(platforms)].ua
	sp.det = []kv{kS("method", "password"), kB("mfa", true)}
	idx = append(idx, p.add(sp))
	flag := base(t+int64(p.r.between(1000, 20000)), tSuspicious, v)
	flag.target, flag.ip = v, ip
	flag.det = []kv{
		kS("type", "new_location"), kS("ip", g.ips[ip].addr), kS("location", c.location()),
		kS("previous_location", u.city.location()),
	}
	idx = append(idx, p.add(flag))
	return storyOf{actor: u.email, ip: g.ips[ip].addr, idx: idx}
}

// Hostile strings, each planted at least once.
const (
	HostileClear     = "\u001b[2J\u001b[H"
	HostileRed       = "\u001b[31mred"
	HostileOSC       = "\u001b]0;pwned\u0007"
	HostileCSI8      = "\u009b31m8-bit CSI"
	HostileHyperlink = "=HYPERLINK(\"http://evil.example\",\"x\")"
	HostilePlusCmd   = "+cmd"
	HostileMinus     = "-2+3"
	HostileAtSum     = "@SUM(A1)"
	HostilePipes     = "a|b=c\\d"
	HostileNewlines  = "line1\nline2\r\n"
	HostileRTL       = "\u202Egnp.exe"
	HostileEmoji     = "🚀🔥 launch 🎉"
	HostileCJK       = "管理者"
)

// HostileStrings lists the hostile strings the generator plants.
var HostileStrings = []string{
	HostileClear, HostileRed, HostileOSC, HostileCSI8, HostileHyperlink,
	HostilePlusCmd, HostileMinus, HostileAtSum, HostilePipes, HostileNewlines,
	HostileRTL, HostileEmoji, HostileCJK,
}

// hostile plants a fixed set of events whose message, details, actor name
// or user agent carry strings meant to break terminals, CSV files and
// parsers. Each has details.hostile = true.
func (p *planner) hostile() {
	g := p.g
	type h struct {
		typ  int16
		det  []kv
		msg  string
		name string
		ua   string
		tgt  bool
	}
	hs := []h{
		{typ: tSettings, det: []kv{kS("setting", "display_name"), kS("old_value", "Northwind"), kS("new_value", HostileClear)}, msg: HostileRed + " alert: settings changed"},
		{typ: tMemberInvited, det: []kv{kS("role", roleViewer), kS("note", HostileOSC)}, name: "Mallory " + HostileOSC, tgt: true},
		{typ: tReport, det: []kv{kS("report_type", HostileCSI8), kS("parameters", "period=last_30d")}},
		{typ: tDataExported, det: []kv{kS("type", "contacts"), kS("format", "csv"), kN("rows", 42), kS("filename", HostileHyperlink)}, msg: HostileHyperlink},
		{typ: tDataAccessed, det: []kv{kS("resource_type", "segment"), kS("filter", HostilePlusCmd), kS("note", HostileMinus)}, msg: HostileAtSum},
		{typ: tGoal, det: []kv{kS("name", HostileAtSum), kS("type", "event"), kS("value", HostileMinus)}},
		{typ: tAPIAccessed, det: []kv{kS("endpoint", "/v1/"+HostilePipes), kS("method", "GET"), kN("response_code", 200), kS("query", HostilePipes)}},
		{typ: tLoginFailed, det: []kv{kS("reason", "invalid_password"), kN("attempts", 1)}, ua: HostileNewlines},
		{typ: tItemSharing, det: []kv{kS("activity", "item_shared_email"), kS("item", HostileRTL)}, tgt: true},
		{typ: tUserUpdated, det: []kv{kS("fields", "display_name"), kS("new_value", HostileCJK+" "+HostileEmoji)}, name: HostileCJK, msg: "ユーザー " + HostileCJK + " " + HostileEmoji},
		{typ: tAppRecordShared, det: []kv{kS("secret_uid", g.secrets[0]), kS("app_uid", g.apps[0].uid), kS("record_title", HostileNewlines)}},
		{typ: tVaultMgmt, det: []kv{kS("activity", "vault_renamed"), kS("vault", HostileRed)}, ua: "Enpass/6.11.2 " + HostileClear},
		{typ: tRoleChanged, det: []kv{kS("from_role", roleViewer), kS("to_role", roleEditor)}, name: HostileClear + "root", tgt: true},
	}
	span := g.endMS - g.startMS
	for i, x := range hs {
		center := g.startMS + int64((float64(i)+0.5)/float64(len(hs))*float64(span))
		var v int32
		if types[x.typ].admin {
			v = pick(&p.r, g.admins)
		} else {
			v = int32(p.r.n(len(g.users)))
		}
		u := &g.users[v]
		sp := base(p.place(center, u.city.off, 9, 17, 1, 0), x.typ, v)
		sp.msg, sp.name, sp.ua, sp.object = x.msg, x.name, x.ua, true
		sp.det = append(x.det, kB("hostile", true))
		switch x.typ {
		case tAppRecordShared:
			sp.det = append([]kv{kS("username", u.email)}, sp.det...)
		case tMemberInvited:
			sp.det = append(sp.det, kS("inviter", u.email))
		case tAPIAccessed:
			sp.det = append([]kv{kS("key", u.apiKey)}, sp.det...)
		}
		if x.tgt {
			sp.target = int32(p.r.n(len(g.users)))
			if sp.target == v {
				sp.target = (v + 1) % int32(len(g.users))
			}
		}
		p.add(sp)
	}
}

// coverage plants one ordinary-looking event of every type that ordinary
// traffic uses, spread over the span in office hours.
func (p *planner) coverage() {
	g := p.g
	var list []int16
	for i := range types {
		if types[i].w > 0 {
			list = append(list, int16(i))
		}
	}
	// Shuffle so rare types are not all at one end of the span.
	for i := len(list) - 1; i > 0; i-- {
		j := p.r.n(i + 1)
		list[i], list[j] = list[j], list[i]
	}
	span := g.endMS - g.startMS
	for i, typ := range list {
		center := g.startMS + int64((float64(i)+0.5)/float64(len(list))*float64(span))
		var v int32
		if types[typ].admin {
			v = pick(&p.r, g.admins)
		} else {
			v = int32(p.r.n(len(g.users)))
		}
		u := &g.users[v]
		sp := base(p.place(center, u.city.off, 9, 17, 1, 0), typ, v)
		if types[typ].name == "Access denied from blocked IP" {
			sp.ip = pick(&p.r, g.blocked)
		}
		p.add(sp)
	}
}
