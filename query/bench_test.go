package query

import (
	"fmt"
	"testing"

	"github.com/vigil-dev/vigil/event"
)

// benchEvents are varied events of the seed's shape, decoded and
// normalised as the live tail sees them.
func benchEvents(b *testing.B) []*event.Event {
	types := []string{"login.success", "login.failed", "member.role_changed", "data.exported", "settings.changed", "USER_CREATED", "app_record_shared", "Vault Management"}
	var evs []*event.Event
	for i := range 512 {
		line := fmt.Sprintf(`{"event_id":"evt_%d","timestamp":"2025-01-%02dT%02d:%02d:00Z","event_type":%q,`+
			`"actor":{"id":"user_%d","email":"user%d@company.com","role":"%s"},"target":{"id":"user_%d","email":"t%d@company.com"},`+
			`"details":{"rows":%d,"format":"csv","from_role":"viewer","to_role":"editor","path":"/v1/reports/%d"},`+
			`"context":{"ip":"10.%d.%d.%d","user_agent":"Mozilla/5.0 (Macintosh) Chrome/120.0","location":"San Francisco, CA"},`+
			`"message":"User user%d@company.com did something to record %d in the shared vault"}`,
			i, 1+i%28, i%24, i%60, types[i%len(types)], i%50, i%50, []string{"admin", "editor", "viewer"}[i%3], i%70, i%70,
			i*397%200000, i, i%256, i*7%256, i*13%256, i%50, i)
		ev, err := event.Decode([]byte(line))
		if err != nil {
			b.Fatal(err)
		}
		catalogue.Normalize(ev)
		ev.Seq = uint64(i + 1)
		evs = append(evs, ev)
	}
	return evs
}

func BenchmarkMatch(b *testing.B) {
	evs := benchEvents(b)
	for _, q := range []string{
		"action:login.failed AND ip:192.168.1.100",
		"user:john@company.com AND action:login.* AND time:>2025-01-01",
		"role:admin AND time:>now-7d",
		"ip:10.0.0.0/8 AND severity:>=medium",
		"details.rows:>100000",
		"shared",
		`"shared vault"`,
		"rec*",
		"NOT action:login.* AND (user:user1@company.com OR target:t1@company.com) -details.format:json",
	} {
		parsed, err := Parse(q)
		if err != nil {
			b.Fatal(err)
		}
		m, err := Compile(parsed.Filter, seedNow)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(q, func(b *testing.B) {
			b.ReportAllocs()
			n, hits := 0, 0
			for b.Loop() {
				if m.Match(evs[n%len(evs)]) {
					hits++
				}
				n++
			}
			b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "events/s")
			_ = hits
		})
	}
}

func BenchmarkParse(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse("action:login.failed AND (ip:10.0.0.0/8 OR user:*@company.com) time:>now-24h | top 10 ip"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkTokens(b *testing.B) {
	text := "User john@company.com shared record UID 4f2a-9b1c with team Engineering from 192.168.1.100 (Chrome/120)"
	b.SetBytes(int64(len(text)))
	b.ReportAllocs()
	for b.Loop() {
		Tokens(text)
	}
}
