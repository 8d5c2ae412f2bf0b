package demo

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/netip"
	"os"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

var testEnd = time.Date(2025, time.March, 1, 0, 0, 0, 0, time.UTC)

// ev is a generated event as a consumer sees it.
type ev struct {
	id, typ, source, comp string
	t                     time.Time
	form                  string // "rfc3339", "offset", "unix_s", "unix_ms"
	actor                 string // email (object or plain string)
	actorPlain            bool
	actorName, actorType  string
	target                map[string]any
	details               map[string]any
	ctx                   map[string]any
	ip, ua, loc           string
	msg                   string
	all                   any // the whole event decoded
	raw                   []byte
}

func (e *ev) str(key string) string {
	s, _ := e.details[key].(string)
	return s
}

func (e *ev) num(key string) float64 {
	f, _ := e.details[key].(float64)
	return f
}

func country(loc string) string {
	if i := strings.LastIndex(loc, ", "); i >= 0 {
		return loc[i+2:]
	}
	return loc
}

var idRE = regexp.MustCompile(`^evt_[0-9a-f]{16}$`)

// parse decodes one line and checks the fields every event must have.
func parse(raw []byte) (*ev, error) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(raw, &top); err != nil {
		return nil, fmt.Errorf("not JSON: %v: %s", err, raw)
	}
	for _, k := range []string{"category", "severity", "outcome"} {
		if _, ok := top[k]; ok {
			return nil, fmt.Errorf("sets %s, which vigil derives: %s", k, raw)
		}
	}
	e := &ev{raw: raw}
	if err := json.Unmarshal(raw, &e.all); err != nil {
		return nil, err
	}
	m := e.all.(map[string]any)
	e.id, _ = m["event_id"].(string)
	if !idRE.MatchString(e.id) {
		return nil, fmt.Errorf("bad event_id %q", e.id)
	}
	e.typ, _ = m["event_type"].(string)
	if e.typ == "" {
		return nil, fmt.Errorf("no event_type: %s", raw)
	}
	e.source, _ = m["source"].(string)
	e.comp, _ = m["component"].(string)
	e.msg, _ = m["message"].(string)
	ts := top["timestamp"]
	switch {
	case len(ts) > 0 && ts[0] == '"':
		var s string
		json.Unmarshal(ts, &s)
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return nil, fmt.Errorf("timestamp %q: %v", s, err)
		}
		e.t = t.UTC()
		e.form = "rfc3339"
		if !strings.HasSuffix(s, "Z") {
			e.form = "offset"
		}
	case len(ts) > 0:
		var n int64
		if err := json.Unmarshal(ts, &n); err != nil {
			return nil, fmt.Errorf("timestamp %s: %v", ts, err)
		}
		if n > 1e11 {
			e.t = time.UnixMilli(n).UTC()
			e.form = "unix_ms"
		} else {
			e.t = time.Unix(n, 0).UTC()
			e.form = "unix_s"
		}
	default:
		return nil, fmt.Errorf("no timestamp: %s", raw)
	}
	switch a := m["actor"].(type) {
	case string:
		e.actor, e.actorPlain = a, true
	case map[string]any:
		e.actor, _ = a["email"].(string)
		e.actorName, _ = a["name"].(string)
		e.actorType, _ = a["type"].(string)
	default:
		return nil, fmt.Errorf("no actor: %s", raw)
	}
	e.target, _ = m["target"].(map[string]any)
	e.details, _ = m["details"].(map[string]any)
	if e.details == nil {
		return nil, fmt.Errorf("no details: %s", raw)
	}
	e.ctx, _ = m["context"].(map[string]any)
	if e.ctx != nil {
		e.ip, _ = e.ctx["ip"].(string)
		e.ua, _ = e.ctx["user_agent"].(string)
		e.loc, _ = e.ctx["location"].(string)
	}
	return e, nil
}

// run is one generated data set with its generator.
type run struct {
	g       *Generator
	lines   [][]byte
	events  []*ev
	byID    map[string]*ev
	planted map[string]bool
	users   map[string]*user
}

var (
	runsMu sync.Mutex
	runs   = map[Config]*run{}
)

// generate returns the events of cfg, decoded and checked for the shape
// every event must have; results are shared between tests.
func generate(t testing.TB, cfg Config) *run {
	t.Helper()
	runsMu.Lock()
	defer runsMu.Unlock()
	if r, ok := runs[cfg]; ok {
		return r
	}
	g := New(cfg)
	r := &run{g: g, byID: map[string]*ev{}, planted: map[string]bool{}, users: map[string]*user{}}
	for j := range g.planned {
		r.planted["evt_"+hex(mix(g.seed, 0xE7, uint64(j)*2+1), 16)] = true
	}
	for i := range g.users {
		r.users[g.users[i].email] = &g.users[i]
	}
	for {
		b, ok := g.Next()
		if !ok {
			break
		}
		e, err := parse(b)
		if err != nil {
			t.Fatalf("event %d: %v", len(r.events), err)
		}
		if r.byID[e.id] != nil {
			t.Fatalf("duplicate event_id %s", e.id)
		}
		r.byID[e.id] = e
		r.lines = append(r.lines, b)
		r.events = append(r.events, e)
	}
	runs[cfg] = r
	return r
}

func TestDeterminism(t *testing.T) {
	cfg := Config{Events: 20000, Days: 14, Seed: 42, End: testEnd}
	var a, b, c bytes.Buffer
	na, err := WriteJSONL(&a, cfg)
	if err != nil || na != cfg.Events {
		t.Fatalf("WriteJSONL = %d, %v", na, err)
	}
	WriteJSONL(&b, cfg)
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Fatal("same config, different output")
	}
	cfg2 := cfg
	cfg2.Seed = 43
	WriteJSONL(&c, cfg2)
	if bytes.Equal(a.Bytes(), c.Bytes()) {
		t.Fatal("different seed, same output")
	}
	// Next yields the same events as WriteJSONL.
	g := New(cfg)
	var d bytes.Buffer
	for {
		line, ok := g.Next()
		if !ok {
			break
		}
		d.Write(line)
		d.WriteByte('\n')
	}
	if !bytes.Equal(a.Bytes(), d.Bytes()) {
		t.Fatal("Next and WriteJSONL differ")
	}
	// Incidents are the same too.
	if fmt.Sprint(New(cfg).Incidents()) != fmt.Sprint(New(cfg).Incidents()) {
		t.Fatal("incidents differ")
	}
}

func TestNextReturnsOwnedSlices(t *testing.T) {
	g := New(Config{Events: 100, End: testEnd})
	first, _ := g.Next()
	keep := bytes.Clone(first)
	for {
		if _, ok := g.Next(); !ok {
			break
		}
	}
	if !bytes.Equal(first, keep) {
		t.Fatal("the generator reused a returned slice")
	}
	if _, ok := g.Next(); ok {
		t.Fatal("Next after the end returned an event")
	}
}

func TestDefaults(t *testing.T) {
	g := New(Config{End: testEnd})
	if c := g.Config(); c.Events != 50000 || c.Days != 30 {
		t.Fatalf("defaults = %+v", c)
	}
	n, err := WriteJSONL(io.Discard, Config{End: testEnd})
	if err != nil || n != 50000 {
		t.Fatalf("WriteJSONL = %d, %v", n, err)
	}
}

// TestEvents checks the shape, order and mix of a month of events.
func TestEvents(t *testing.T) {
	cfg := Config{Events: 50000, Seed: 7, End: testEnd}
	r := generate(t, cfg)
	if len(r.events) != cfg.Events {
		t.Fatalf("%d events, want %d", len(r.events), cfg.Events)
	}
	start := testEnd.Add(-30 * 24 * time.Hour)
	forms := map[string]int{}
	types := map[string]int{}
	plain := 0
	for i, e := range r.events {
		if i > 0 && e.t.Before(r.events[i-1].t) {
			t.Fatalf("event %d at %v is older than event %d at %v", i, e.t, i-1, r.events[i-1].t)
		}
		if e.t.Before(start) || !e.t.Before(testEnd) {
			t.Fatalf("event %d at %v outside [%v, %v)", i, e.t, start, testEnd)
		}
		forms[e.form]++
		types[e.typ]++
		if e.actorPlain {
			plain++
		}
		want := srcEnpass
		switch {
		case strings.Contains(e.typ, ".") || e.typ == "logout":
			want = srcZenovay
		case strings.ToUpper(e.typ) == e.typ:
			want = srcInsight
		case strings.HasPrefix(e.typ, "app_") || e.typ == "Access denied from blocked IP":
			want = srcKeeper
		}
		if e.source != want {
			t.Fatalf("%s has source %q, want %q", e.typ, e.source, want)
		}
		switch e.comp {
		case "app", "hub", "admin_console", "api":
		default:
			t.Fatalf("%s has component %q", e.typ, e.comp)
		}
		if e.actorType == "" && e.actor == "" {
			t.Fatalf("no actor email: %s", e.raw)
		}
		if e.actorType != "system" && (e.ip == "" || e.loc == "" || e.ua == "") {
			t.Fatalf("context incomplete: %s", e.raw)
		}
		if e.msg != "" && e.details["hostile"] != true {
			t.Fatalf("message on an ordinary event: %s", e.raw)
		}
		if e.form == "offset" && e.actorType == "" {
			// The offset is the actor's own zone.
			u := r.users[e.actor]
			var s string
			json.Unmarshal(bytes.SplitN(bytes.SplitN(e.raw, []byte(`"timestamp":`), 2)[1], []byte(","), 2)[0], &s)
			ts, _ := time.Parse(time.RFC3339Nano, s)
			if _, off := ts.Zone(); off != u.city.off*60 {
				t.Fatalf("offset %d for a user at %d: %s", off, u.city.off*60, s)
			}
		}
	}
	other := len(r.events) - forms["rfc3339"]
	if share := float64(other) / float64(len(r.events)); share < 0.015 || share > 0.06 {
		t.Errorf("%.1f%% of timestamps in other forms, want about 3%%", share*100)
	}
	for _, f := range []string{"offset", "unix_s", "unix_ms"} {
		if forms[f] == 0 {
			t.Errorf("no timestamp in form %s", f)
		}
	}
	if share := float64(plain) / float64(len(r.events)); share < 0.01 || share > 0.03 {
		t.Errorf("%.1f%% plain-string actors, want about 2%%", share*100)
	}
	// Logins dominate, then data access and the API.
	var ranked []string
	for k := range types {
		ranked = append(ranked, k)
	}
	sort.Slice(ranked, func(i, j int) bool { return types[ranked[i]] > types[ranked[j]] })
	if ranked[0] != "login.success" || ranked[1] != "data.accessed" || ranked[2] != "api.accessed" {
		t.Errorf("most frequent types %v", ranked[:3])
	}
	t.Logf("types: %d, top: %v", len(types), ranked[:8])
}

// TestWorld checks the people and addresses behind the events.
func TestWorld(t *testing.T) {
	r := generate(t, Config{Events: 50000, Seed: 7, End: testEnd})
	roles := map[string]int{}
	for _, u := range r.g.users {
		roles[u.role]++
	}
	if len(r.g.users) < 400 {
		t.Fatalf("%d users", len(r.g.users))
	}
	if roles[roleAdmin] < 8 || roles[roleAdmin] > 12 || roles[roleViewer]+roles[roleEditor] < len(r.g.users)*8/10 {
		t.Errorf("roles %v", roles)
	}
	actors := map[string]bool{}
	ips := map[string]bool{}
	v4, v6 := 0, 0
	allowed := []netip.Prefix{
		netip.MustParsePrefix("203.0.113.0/24"), netip.MustParsePrefix("198.51.100.0/24"),
		netip.MustParsePrefix("192.0.2.0/24"), netip.MustParsePrefix("2001:db8::/32"),
		netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("172.16.0.0/12"),
	}
	for _, e := range r.events {
		if e.actorType == "" {
			actors[e.actor] = true
		}
		if e.ip == "" || ips[e.ip] {
			continue
		}
		ips[e.ip] = true
		a, err := netip.ParseAddr(e.ip)
		if err != nil {
			t.Fatalf("bad ip %q", e.ip)
		}
		if a.Is4() {
			v4++
		} else {
			v6++
		}
		ok := false
		for _, p := range allowed {
			ok = ok || p.Contains(a)
		}
		if !ok {
			t.Errorf("ip %s outside the documentation and private ranges", a)
		}
	}
	if len(actors) < 400 {
		t.Errorf("%d distinct actors", len(actors))
	}
	if len(ips) < 200 || v4 == 0 || v6 == 0 {
		t.Errorf("%d distinct IPs (%d IPv4, %d IPv6)", len(ips), v4, v6)
	}
	t.Logf("%d actors, %d IPs (%d v4, %d v6), roles %v", len(actors), len(ips), v4, v6, roles)
}

// seedTypes reads ../seed-events.txt, or falls back to SeedEventTypes.
func seedTypes(t *testing.T) []string {
	data, err := os.ReadFile("../seed-events.txt")
	if err != nil {
		t.Logf("no ../seed-events.txt (%v): using SeedEventTypes", err)
		return SeedEventTypes()
	}
	var out []string
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line != "" && !strings.HasPrefix(line, "#") {
			out = append(out, line)
		}
	}
	return out
}

func TestEveryseedTypeOccurs(t *testing.T) {
	want := seedTypes(t)
	known := map[string]bool{}
	for _, s := range SeedEventTypes() {
		known[s] = true
	}
	for _, s := range want {
		if !known[s] {
			t.Errorf("seed type %q unknown to the generator", s)
		}
	}
	for _, seed := range []int64{1, 2, 3} {
		r := generate(t, Config{Events: 5000, Seed: seed, End: testEnd})
		seen := map[string]int{}
		for _, e := range r.events {
			seen[e.typ]++
		}
		for _, s := range want {
			if seen[s] == 0 {
				t.Errorf("seed %d: no %q in 5000 events", seed, s)
			}
		}
	}
}

// TestKeeperTemplates checks that Keeper events carry the keys their message
// templates need.
func TestKeeperTemplates(t *testing.T) {
	need := map[string][]string{
		"app_record_shared":             {"username", "secret_uid", "app_uid"},
		"app_folder_shared":             {"username", "secret_uid", "app_uid"},
		"app_record_removed":            {"username", "secret_uid", "app_uid"},
		"app_folder_removed":            {"username", "secret_uid", "app_uid"},
		"app_record_share_changed":      {"username", "secret_uid", "app_uid"},
		"app_folder_share_changed":      {"username", "secret_uid", "app_uid"},
		"app_client_added":              {"username", "device_name", "app_uid"},
		"app_client_removed":            {"username", "device_name", "app_uid"},
		"app_client_connected":          {"device_name", "app_uid"},
		"app_client_access":             {"device_name", "app_uid"},
		"app_client_record_update":      {"device_name", "secret_uid"},
		"Access denied from blocked IP": {"secret_uid", "device_ip"},
	}
	r := generate(t, Config{Events: 5000, Seed: 1, End: testEnd})
	for _, e := range r.events {
		for _, k := range need[e.typ] {
			if e.str(k) == "" {
				t.Errorf("%s without details.%s: %s", e.typ, k, e.raw)
			}
		}
		if e.typ == "Access denied from blocked IP" && e.str("device_ip") != e.ip {
			t.Errorf("blocked IP %s but context ip %s", e.str("device_ip"), e.ip)
		}
	}
}

// checkIncident verifies that the story of in is really in the data.
func checkIncident(t *testing.T, r *run, in Incident) {
	t.Helper()
	var evs []*ev
	for _, id := range in.EventIDs {
		e := r.byID[id]
		if e == nil {
			t.Errorf("%s: event %s not in the output", in.Kind, id)
			return
		}
		if e.t.Before(in.Start) || e.t.After(in.End) {
			t.Errorf("%s: event at %v outside [%v, %v]", in.Kind, e.t, in.Start, in.End)
		}
		evs = append(evs, e)
	}
	switch in.Kind {
	case KindBruteForce:
		var fails []time.Time
		for _, e := range evs {
			if e.typ == "login.failed" && e.ip == in.IP && e.actor == in.Actor {
				fails = append(fails, e.t)
			}
		}
		if len(fails) < 8 || len(fails) > 20 || fails[len(fails)-1].Sub(fails[0]) > 5*time.Minute {
			t.Errorf("brute force: %d failures over %v", len(fails), fails[len(fails)-1].Sub(fails[0]))
		}
		// What an alert rule sees: 5+ failures from the IP within 10 minutes.
		n := 0
		for _, e := range r.events {
			if e.typ == "login.failed" && e.ip == in.IP && !e.t.Before(in.Start) && e.t.Sub(in.Start) <= 10*time.Minute {
				n++
			}
		}
		if n < 5 {
			t.Errorf("brute force from %s: %d failures in 10 minutes", in.IP, n)
		}
	case KindPrivilegeEscalation:
		ok := false
		for _, e := range evs {
			switch e.typ {
			case "member.role_changed":
				from := e.str("from_role")
				ok = ok || (e.str("to_role") == roleAdmin && (from == roleViewer || from == roleEditor))
			case "USER_ROLE_SET":
				ok = ok || e.str("role") == roleAdmin
			}
			if e.actor != in.Actor || e.target == nil {
				t.Errorf("privilege escalation event by %s, target %v", e.actor, e.target)
			}
		}
		if !ok {
			t.Errorf("privilege escalation without a change to admin")
		}
	case KindMassExport:
		big, n := false, 0
		for _, e := range evs {
			if e.typ != "data.exported" || e.actor != in.Actor {
				t.Errorf("mass export: %s by %s", e.typ, e.actor)
			}
			big = big || e.num("rows") > 100000
			n++
		}
		if !big && (n < 6 || in.End.Sub(in.Start) > time.Hour) {
			t.Errorf("mass export: %d exports over %v, none large", n, in.End.Sub(in.Start))
		}
	case KindOffHours:
		e := evs[0]
		u := r.users[in.Actor]
		h, _ := localClock(e.t.UnixMilli(), u.city.off)
		if e.typ != "login.success" || e.actor != in.Actor || h < 1 || h >= 4 || e.t.Hour() < 1 || e.t.Hour() >= 4 {
			t.Errorf("off hours: %s by %s at local hour %d (%v)", e.typ, e.actor, h, e.t)
		}
	case KindNewLocation:
		var login *ev
		for _, e := range evs {
			if e.typ == "login.success" && e.ip == in.IP {
				login = e
			}
		}
		if login == nil || login.actor != in.Actor {
			t.Errorf("new location: no login from %s by %s", in.IP, in.Actor)
			return
		}
		before := 0
		for _, e := range r.events {
			if e.id == login.id {
				break
			}
			if e.typ == "login.success" && e.actor == in.Actor {
				before++
				if country(e.loc) == country(login.loc) || e.ip == login.ip {
					t.Errorf("new location: %s already used %s / %s", in.Actor, e.loc, e.ip)
				}
			}
		}
		if before == 0 {
			t.Errorf("new location: no earlier login of %s", in.Actor)
		}
	default:
		t.Errorf("unknown incident kind %q", in.Kind)
	}
}

func TestIncidents(t *testing.T) {
	for _, cfg := range []Config{
		{Events: 2000, Days: 30, Seed: 1, End: testEnd},
		{Events: 2000, Days: 1, Seed: 5, End: testEnd},
		{Events: 50000, Seed: 7, End: testEnd},
		{Events: 120000, Days: 45, Seed: 9, End: testEnd},
	} {
		t.Run(fmt.Sprintf("%d_%dd", cfg.Events, New(cfg).Config().Days), func(t *testing.T) {
			r := generate(t, cfg)
			ins := r.g.Incidents()
			kinds := map[string]int{}
			story := 0
			for _, in := range ins {
				kinds[in.Kind]++
				story += len(in.EventIDs)
				checkIncident(t, r, in)
			}
			want := 1 + cfg.Events/eventsPerIncident
			for _, k := range Kinds {
				if kinds[k] != want {
					t.Errorf("%d incidents of kind %s, want %d", kinds[k], k, want)
				}
			}
			if share := float64(story) / float64(cfg.Events); share > 0.03 {
				t.Errorf("incidents make %.1f%% of the events", share*100)
			}
			// Spread over the span.
			span := r.events[len(r.events)-1].t.Sub(r.events[0].t)
			if spread := ins[len(ins)-1].Start.Sub(ins[0].Start); spread < span/2 {
				t.Errorf("incidents spread over %v of %v", spread, span)
			}
		})
	}
	if ins := New(Config{Events: 299, End: testEnd}).Incidents(); len(ins) != 0 {
		t.Errorf("%d incidents in 299 events", len(ins))
	}
}

// TestNoAccidentalIncidents checks that ordinary traffic does not look like
// the planted stories.
func TestNoAccidentalIncidents(t *testing.T) {
	r := generate(t, Config{Events: 120000, Days: 45, Seed: 9, End: testEnd})
	story := map[string]bool{}
	for _, in := range r.g.Incidents() {
		for _, id := range in.EventIDs {
			story[id] = true
		}
	}
	fails := map[string][]time.Time{}   // by actor and by ip
	exports := map[string][]time.Time{} // by actor
	for _, e := range r.events {
		if story[e.id] {
			continue
		}
		u := r.users[e.actor]
		switch e.typ {
		case "login.failed":
			fails["actor "+e.actor] = append(fails["actor "+e.actor], e.t)
			fails["ip "+e.ip] = append(fails["ip "+e.ip], e.t)
		case "data.exported":
			exports[e.actor] = append(exports[e.actor], e.t)
			if e.num("rows") > 100000 {
				t.Errorf("ordinary export of %v rows", e.num("rows"))
			}
		case "member.role_changed":
			if to := e.str("to_role"); to == roleAdmin || to == roleOwner {
				t.Errorf("ordinary role change to %s", to)
			}
		case "USER_ROLE_SET":
			if to := e.str("role"); to == roleAdmin || to == roleOwner {
				t.Errorf("ordinary USER_ROLE_SET %s", to)
			}
		case "login.success":
			if h, _ := localClock(e.t.UnixMilli(), u.city.off); h >= 1 && h < 5 {
				t.Errorf("ordinary login at local hour %d: %s", h, e.raw)
			}
			if country(e.loc) != u.city.country {
				t.Errorf("ordinary login from %s by a user living in %s", e.loc, u.city.country)
			}
		}
	}
	burst := func(ts []time.Time, n int, window time.Duration) bool {
		for i := n - 1; i < len(ts); i++ {
			if ts[i].Sub(ts[i-n+1]) <= window {
				return true
			}
		}
		return false
	}
	for k, ts := range fails {
		if burst(ts, 5, 10*time.Minute) {
			t.Errorf("ordinary failed-login burst for %s", k)
		}
		if burst(ts, 3, 0) {
			t.Errorf("3 ordinary failed logins in a moment for %s", k)
		}
	}
	for k, ts := range exports {
		if burst(ts, 6, time.Hour) {
			t.Errorf("ordinary export burst by %s", k)
		}
	}
}

// TestRhythm checks that people work office hours in their own zone.
func TestRhythm(t *testing.T) {
	r := generate(t, Config{Events: 50000, Seed: 7, End: testEnd})
	office, night, n := 0, 0, 0
	for _, e := range r.events {
		u := r.users[e.actor]
		if r.planted[e.id] || u == nil || e.actorType != "" {
			continue
		}
		h, wd := localClock(e.t.UnixMilli(), u.city.off)
		if wd >= 1 && wd <= 5 && h >= 8 && h < 18 {
			office++
		}
		if h < 6 {
			night++
		}
		n++
	}
	if share := float64(office) / float64(n); share < 0.6 {
		t.Errorf("%.1f%% of ordinary events in office hours", share*100)
	}
	if share := float64(night) / float64(n); share > 0.03 {
		t.Errorf("%.1f%% of ordinary events at night", share*100)
	}
	t.Logf("office hours %.1f%%, night %.2f%% of %d", float64(office)*100/float64(n), float64(night)*100/float64(n), n)
}

// strs collects every string of a decoded JSON value.
func strs(v any, out *[]string) {
	switch x := v.(type) {
	case string:
		*out = append(*out, x)
	case map[string]any:
		for k, y := range x {
			*out = append(*out, k)
			strs(y, out)
		}
	case []any:
		for _, y := range x {
			strs(y, out)
		}
	}
}

func TestHostile(t *testing.T) {
	for _, cfg := range []Config{{Events: 1000, Days: 3, Seed: 3, End: testEnd}, {Events: 50000, Seed: 7, End: testEnd}} {
		r := generate(t, cfg)
		var found []string
		n := 0
		fields := map[string]bool{}
		for _, e := range r.events {
			if e.details["hostile"] != true {
				continue
			}
			n++
			strs(e.all, &found)
			if e.msg != "" {
				fields["message"] = true
			}
			if strings.ContainsAny(e.actorName, "\u001b管") {
				fields["actor.name"] = true
			}
			if strings.ContainsAny(e.ua, "\u001b\n") {
				fields["user_agent"] = true
			}
		}
		if n < len(HostileStrings)-3 || n > 20 {
			t.Errorf("%d hostile events", n)
		}
		all := strings.Join(found, "\x00")
		for _, h := range HostileStrings {
			if !strings.Contains(all, h) {
				t.Errorf("hostile string %q not planted", h)
			}
		}
		for _, f := range []string{"message", "actor.name", "user_agent"} {
			if !fields[f] {
				t.Errorf("no hostile %s", f)
			}
		}
	}
	if n := bytes.Count(bytes.Join(generate(t, Config{Events: 1000, Days: 3, Seed: 3, End: testEnd}).lines, nil), []byte(`"hostile":true`)); n == 0 {
		t.Error("no hostile events in 1000")
	}
}

func TestSmallConfigs(t *testing.T) {
	for _, n := range []int{1, 2, 10, 299, 300, 999, 1000, 4999, 5000} {
		var buf bytes.Buffer
		got, err := WriteJSONL(&buf, Config{Events: n, Days: 1, Seed: int64(n), End: testEnd})
		if err != nil || got != n {
			t.Fatalf("Events %d: wrote %d, %v", n, got, err)
		}
		var last time.Time
		for i, line := range bytes.Split(bytes.TrimSuffix(buf.Bytes(), []byte("\n")), []byte("\n")) {
			e, err := parse(line)
			if err != nil {
				t.Fatalf("Events %d, line %d: %v", n, i, err)
			}
			if e.t.Before(last) {
				t.Fatalf("Events %d: line %d out of order", n, i)
			}
			last = e.t
		}
	}
}

func TestAppendJSONString(t *testing.T) {
	cases := append([]string{"", "plain", "\x00\x1f\x7f", "\"\\/", "\u0080\u009f\u00a0", "\u2028\u2029", "a\tb"}, HostileStrings...)
	rnd := rand.New(rand.NewPCG(1, 2))
	alphabet := []rune{'a', '"', '\\', '\n', '\x01', '\x1b', 0x7f, 0x85, 0x9b, 'é', '管', '🚀', 0x202e, 0x2028, 0xfffd}
	for i := 0; i < 2000; i++ {
		rs := make([]rune, rnd.IntN(12))
		for j := range rs {
			rs[j] = alphabet[rnd.IntN(len(alphabet))]
		}
		cases = append(cases, string(rs))
	}
	for _, s := range cases {
		b := appendJSONString(nil, s)
		var got string
		if err := json.Unmarshal(b, &got); err != nil || got != s {
			t.Fatalf("%q -> %s -> %q, %v", s, b, got, err)
		}
		for _, c := range b {
			if c < 0x20 {
				t.Fatalf("%q -> %q holds a raw control byte", s, b)
			}
		}
	}
	// Invalid UTF-8 still yields valid JSON.
	if b := appendJSONString(nil, "a\xffb"); !json.Valid(b) {
		t.Fatalf("invalid UTF-8 -> %s", b)
	}
}

func TestAppendTimestamp(t *testing.T) {
	rnd := rand.New(rand.NewPCG(3, 4))
	for i := 0; i < 20000; i++ {
		ms := rnd.Int64N(4102444800000) // 1970 .. 2100
		off := (rnd.IntN(28) - 12) * 30
		ref := time.UnixMilli(ms)
		got := string(appendTimestamp(nil, ms, formRFC3339, off))
		if want := `"` + ref.UTC().Format("2006-01-02T15:04:05.000Z07:00") + `"`; got != want {
			t.Fatalf("%d: %s, want %s", ms, got, want)
		}
		got = string(appendTimestamp(nil, ms, formOffset, off))
		want := `"` + ref.In(time.FixedZone("", off*60)).Format("2006-01-02T15:04:05.000-07:00") + `"`
		if got != want {
			t.Fatalf("%d %d: %s, want %s", ms, off, got, want)
		}
		h, wd := localClock(ms, off)
		lt := ref.In(time.FixedZone("", off*60))
		if h != lt.Hour() || wd != int(lt.Weekday()) {
			t.Fatalf("localClock(%d, %d) = %d, %d, want %d, %d", ms, off, h, wd, lt.Hour(), lt.Weekday())
		}
	}
}

// BenchmarkGenerate measures generation speed on a million events.
func BenchmarkGenerate(b *testing.B) {
	const n = 1000000
	cfg := Config{Events: n, Seed: 1, End: testEnd}
	b.Run("Next", func(b *testing.B) {
		bytesOut := 0
		for b.Loop() {
			g := New(cfg)
			for {
				line, ok := g.Next()
				if !ok {
					break
				}
				bytesOut += len(line) + 1
			}
		}
		b.ReportMetric(float64(b.N)*n/b.Elapsed().Seconds(), "events/s")
		b.ReportMetric(float64(bytesOut)/float64(b.N)/n, "B/event")
	})
	b.Run("WriteJSONL", func(b *testing.B) {
		for b.Loop() {
			if _, err := WriteJSONL(io.Discard, cfg); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.N)*n/b.Elapsed().Seconds(), "events/s")
	})
}

func TestHomeZonesKeepEachCitysOffset(t *testing.T) {
	g := New(Config{Events: 2000, Days: 3, Seed: 3, End: testEnd})
	zones := g.HomeZones()
	if len(zones) != len(g.users) {
		t.Fatalf("%d zones for %d people", len(zones), len(g.users))
	}
	at := time.Date(2025, 7, 1, 12, 0, 0, 0, time.UTC) // summer: no DST may move them
	for _, u := range g.users {
		loc, err := time.LoadLocation(zones[u.email])
		if err != nil {
			t.Fatalf("%s: %v", u.email, err)
		}
		if _, off := at.In(loc).Zone(); off != u.city.off*60 {
			t.Errorf("%s lives in %s (UTC%+d min) but got zone %s (%+d s)", u.email, u.city.name, u.city.off, zones[u.email], off)
		}
	}
}
