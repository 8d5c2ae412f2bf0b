package alerts

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vigil-dev/vigil/engine"
	"github.com/vigil-dev/vigil/event"
	"github.com/vigil-dev/vigil/store"
	"github.com/vigil-dev/vigil/testdata/demo"
)

// demoZones are the zones of the demo's home cities. The demo's cities
// keep one offset all year (testdata/demo/people.go), so the zones are
// fixed offsets too (Etc/GMT+8 is UTC-8).
var demoZones = map[string]string{
	"San Francisco": "Etc/GMT+8", "Seattle": "Etc/GMT+8", "Austin": "Etc/GMT+6",
	"New York": "Etc/GMT+5", "Toronto": "Etc/GMT+5", "São Paulo": "Etc/GMT+3",
	"London": "Etc/UTC", "Dublin": "Etc/UTC", "Lisbon": "Etc/UTC",
	"Berlin": "Etc/GMT-1", "Paris": "Etc/GMT-1", "Amsterdam": "Etc/GMT-1", "Warsaw": "Etc/GMT-1",
	"Bangalore": "Asia/Kolkata", "Singapore": "Etc/GMT-8", "Tokyo": "Etc/GMT-9", "Sydney": "Etc/GMT-10",
}

// demoStore is a store filled by the demo generator, with what the test
// needs to know of it.
type demoStore struct {
	eng       *engine.Engine
	incidents []demo.Incident
	seqOf     map[string]uint64 // by event_id
	raw       map[uint64][]byte // planted-looking events, by seq
	zones     map[string]string // user -> zone of their home city
}

func buildDemoStore(t *testing.T, cfg demo.Config) *demoStore {
	t.Helper()
	d := &demoStore{eng: openEngine(t, t.TempDir()), seqOf: map[string]uint64{}, raw: map[uint64][]byte{}, zones: map[string]string{}}
	t.Cleanup(func() { d.eng.Close() })
	g := demo.New(cfg)
	d.incidents = g.Incidents()
	// Where each person lives: the city they sign in from most.
	homes := map[string]map[string]int{}
	var batch []*event.Event
	var ids []string
	flush := func() {
		appendEvents(t, d.eng, batch...)
		for _, id := range ids {
			seq, err := d.eng.Store().LookupID(id)
			if err != nil {
				t.Fatal(err)
			}
			d.seqOf[id] = seq
		}
		batch, ids = batch[:0], ids[:0]
	}
	for {
		b, ok := g.Next()
		if !ok {
			break
		}
		x, err := event.Decode(b)
		if err != nil {
			t.Fatal(err)
		}
		if u := x.Actor.Label(); x.Type == "login.success" && u != "" {
			city, _, _ := strings.Cut(x.Context.Location, ",")
			if homes[u] == nil {
				homes[u] = map[string]int{}
			}
			homes[u][city]++
		}
		batch = append(batch, x)
		ids = append(ids, x.ID)
		if len(batch) == 5000 {
			flush()
		}
	}
	flush()
	for u, cities := range homes {
		best, n := "", 0
		for c, k := range cities {
			if k > n || (k == n && c < best) {
				best, n = c, k
			}
		}
		if z, ok := demoZones[best]; ok {
			d.zones[u] = z
		}
	}
	return d
}

// TestBacktestFindsExactlyThePlantedIncidents backtests the built-in rules
// over a month of generated events and checks that every incident the
// generator planted is found, by the rules of its kind, on the events of
// its story, and that nothing else fires.
//
// Two things the test supplies, as a user would: each person's zone
// (rules file zone_by), since the demo's people work in 15 zones and the
// off-hours rule reads business hours in the person's zone; and the
// Enpass admin assignments of ordinary traffic, which are escalations to
// admin by the seed's definition but not planted as incidents (see
// ordinaryEscalations).
func TestBacktestFindsExactlyThePlantedIncidents(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a store of 90,000 events")
	}
	// 90,000 events plant two incidents of each kind, so both forms of a
	// mass export (one large, many small) and of a privilege escalation
	// (with and without the USER_ROLE_SET that follows) are there.
	d := buildDemoStore(t, demo.Config{Events: 90000, Days: 30, Seed: 3, End: time.Date(2025, time.March, 1, 0, 0, 0, 0, time.UTC)})
	if len(d.incidents) != 10 {
		t.Fatalf("%d incidents planted, want 10", len(d.incidents))
	}
	rs := Builtin()
	zb := &ZoneBy{Field: "user", Zones: map[string]*time.Location{}, Names: map[string]string{}}
	for u, z := range d.zones {
		loc, err := time.LoadLocation(z)
		if err != nil {
			t.Fatal(err)
		}
		zb.Zones[strings.ToLower(u)], zb.Names[strings.ToLower(u)] = loc, z
	}
	rs.ZoneBy = zb
	alerts := backtestAll(t, d.eng.Store(), rs)

	// Which incident each event is in.
	inIncident := map[uint64]int{}
	for i, in := range d.incidents {
		for _, id := range in.EventIDs {
			seq, ok := d.seqOf[id]
			if !ok {
				t.Fatalf("incident event %s not stored", id)
			}
			inIncident[seq] = i
		}
	}
	extra := ordinaryEscalations(t, d, inIncident)
	byIncident := make([][]Alert, len(d.incidents))
	var stray []Alert
	for _, a := range alerts {
		i, ok := inIncident[a.TriggerSeq]
		switch {
		case ok:
			byIncident[i] = append(byIncident[i], a)
		case a.Rule == "privilege-escalation" && extra[a.TriggerSeq]:
			delete(extra, a.TriggerSeq)
		default:
			stray = append(stray, a)
		}
	}
	for _, a := range stray {
		_, x, _ := d.eng.Get(a.TriggerSeq)
		t.Errorf("alert outside every incident: %s %s at %v: %s", a.Rule, a.GroupText(), a.Time, event.Safe(string(x.Raw)))
	}
	if len(extra) > 0 {
		t.Errorf("ordinary admin assignments without an alert: %v", extra)
	}

	seqsOf := func(in demo.Incident, typ string) []uint64 {
		var out []uint64
		for _, id := range in.EventIDs {
			seq := d.seqOf[id]
			if _, x, _ := d.eng.Get(seq); x.Type == typ {
				out = append(out, seq)
			}
		}
		return out
	}
	kinds := map[string]int{}
	for i, in := range d.incidents {
		kinds[in.Kind]++
		got := byIncident[i]
		rules := make([]string, len(got))
		for j, a := range got {
			rules[j] = a.Rule
		}
		slices.Sort(rules)
		name := fmt.Sprintf("incident %d (%s by %s at %v)", i, in.Kind, in.Actor, in.Start)
		want := map[string][]string{
			demo.KindBruteForce:          {"brute-force-ip", "brute-force-user"},
			demo.KindPrivilegeEscalation: {"privilege-escalation"},
			demo.KindOffHours:            {"off-hours-login"},
			demo.KindNewLocation:         {"new-location"},
		}[in.Kind]
		if in.Kind == demo.KindMassExport {
			want = []string{"mass-export-many"}
			if len(in.EventIDs) == 1 {
				want = []string{"mass-export-large"}
			}
		}
		if !slices.Equal(rules, want) {
			t.Errorf("%s: rules fired %v, want %v", name, rules, want)
			continue
		}
		for _, a := range got {
			switch a.Rule {
			case "brute-force-ip":
				// A fresh address: the five are the story's first five failures.
				fails := seqsOf(in, "login.failed")
				if a.Group["ip"] != in.IP || !slices.Equal(a.Seqs, fails[:5]) {
					t.Errorf("%s: %s %v, want ip=%s %v", name, a.GroupText(), a.Seqs, in.IP, fails[:5])
				}
			case "brute-force-user":
				// The person may have failed a sign-in of their own just
				// before: the alert holds the story's failures up to it.
				fails := seqsOf(in, "login.failed")
				k := slices.Index(fails, a.TriggerSeq)
				if a.Group["user"] != in.Actor || k < 0 || k > 4 || a.Count != 5 {
					t.Errorf("%s: %s %v", name, a.GroupText(), a.Seqs)
				}
				for _, s := range fails[:k+1] {
					if !slices.Contains(a.Seqs, s) {
						t.Errorf("%s: failure %d not in %v", name, s, a.Seqs)
					}
				}
			case "privilege-escalation":
				rc := seqsOf(in, "member.role_changed")
				if a.TriggerSeq != rc[0] || a.Group["target"] == "" {
					t.Errorf("%s: fired on %d (%s), want the role change %d", name, a.TriggerSeq, a.GroupText(), rc[0])
				}
			case "mass-export-large":
				if a.Group["user"] != in.Actor {
					t.Errorf("%s: %s", name, a.GroupText())
				}
			case "mass-export-many":
				exports := seqsOf(in, "data.exported")
				if a.Group["user"] != in.Actor || a.Count != 6 || !slices.Contains(exports[:6], a.TriggerSeq) {
					t.Errorf("%s: %s %v, exports %v", name, a.GroupText(), a.Seqs, exports)
				}
			case "off-hours-login":
				if a.Group["user"] != in.Actor || a.TriggerSeq != seqsOf(in, "login.success")[0] {
					t.Errorf("%s: %s on %d", name, a.GroupText(), a.TriggerSeq)
				}
			case "new-location":
				logins := seqsOf(in, "login.success")
				_, x, _ := d.eng.Get(a.TriggerSeq)
				country := strings.TrimSpace(x.Context.Location[strings.LastIndex(x.Context.Location, ",")+1:])
				if a.Group["user"] != in.Actor || a.TriggerSeq != logins[1] || x.Context.IP != in.IP || a.Value != country {
					t.Errorf("%s: %s on %d value %q, want the login from %s", name, a.GroupText(), a.TriggerSeq, a.Value, in.IP)
				}
			}
		}
	}
	for _, k := range demo.Kinds {
		if kinds[k] != 2 {
			t.Errorf("%d incidents of kind %s, want 2", kinds[k], k)
		}
	}
	t.Logf("%d alerts: %d incidents found exactly, %d ordinary Enpass admin assignments", len(alerts), len(d.incidents), len(ordinaryEscalations(t, d, inIncident)))
}

// ordinaryEscalations returns the seqs of the Enpass "Administrator &
// Policy Management" events of ordinary traffic whose activity is
// admin_assigned: someone made an admin, which the built-in rule reports.
// The generator picks that activity at random for ordinary events
// (testdata/demo/build.go) without planting it as an incident. Read from
// the stored raw JSON, not through the rule.
func ordinaryEscalations(t *testing.T, d *demoStore, inIncident map[uint64]int) map[uint64]bool {
	t.Helper()
	out := map[uint64]bool{}
	err := d.eng.Store().Scan(context.Background(), 1, 0, false, func(r store.Record) error {
		if _, ok := inIncident[r.Seq]; ok {
			return nil
		}
		var x struct {
			Raw struct {
				Type    string `json:"event_type"`
				Details struct {
					Activity string `json:"activity"`
				} `json:"details"`
			} `json:"raw"`
		}
		if err := json.Unmarshal(r.Data, &x); err != nil {
			return err
		}
		if x.Raw.Type == "Administrator & Policy Management" && x.Raw.Details.Activity == "admin_assigned" {
			out[r.Seq] = true
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}
