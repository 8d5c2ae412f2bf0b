package query

import (
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigil-dev/vigil/event"
)

// seedCorpus is a small store for the seed's examples. now is 2025-01-31
// noon: e7 is within the last 7 days, e8 is not.
var seedCorpus = []string{
	// the seed's webhook payload: admin changes john's role
	`{"event_id":"e1","timestamp":"2025-01-15T14:30:00Z","event_type":"member.role_changed","actor":{"id":"user_123","email":"admin@company.com","role":"admin"},"target":{"id":"user_456","email":"john@company.com"},"details":{"from_role":"viewer","to_role":"editor"},"context":{"ip":"192.168.1.100","user_agent":"Chrome/120","location":"San Francisco, CA"}}`,
	`{"event_id":"e2","timestamp":"2025-01-02T08:00:00Z","event_type":"login.success","actor":{"id":"user_456","email":"john@company.com","role":"editor"},"context":{"ip":"10.0.0.5"}}`,
	// the email in another case
	`{"event_id":"e3","timestamp":"2025-01-16T09:00:00Z","event_type":"login.failed","actor":{"email":"John@Company.com"},"context":{"ip":"192.168.1.100"},"message":"Login failed for john@company.com: bad password"}`,
	`{"event_id":"e4","timestamp":"2025-01-16T09:05:00Z","event_type":"login.failed","actor":{"email":"eve@evil.example"},"context":{"ip":"203.0.113.9"}}`,
	`{"event_id":"e5","timestamp":"2025-01-20T10:00:00Z","event_type":"settings.changed","actor":{"email":"admin@company.com","role":"admin"},"details":{"setting":"sso","old":false,"new":true}}`,
	// the last nanosecond of 2024
	`{"event_id":"e6","timestamp":"2024-12-31T23:59:59.999999999Z","event_type":"settings.changed","actor":{"email":"admin@company.com","role":"admin"}}`,
	`{"event_id":"e7","timestamp":"2025-01-28T12:00:00Z","event_type":"data.exported","actor":{"email":"alice@company.com","role":"admin"},"details":{"rows":150000,"format":"csv"},"context":{"ip":"2001:db8::7"}}`,
	`{"event_id":"e8","timestamp":"2025-01-10T12:00:00Z","event_type":"data.exported","actor":{"email":"alice@company.com","role":"editor"},"details":{"rows":100,"format":"json"}}`,
}

var seedNow = at("2025-01-31T12:00:00Z")

var matchSeedExamplesCases = []matchCase{
	// john as the actor, in any case; not e1, where he is the target
	{"user:john@company.com AND action:login.* AND time:>2025-01-01", ids("e2", "e3")},
	{"action:login.failed AND ip:192.168.1.100", ids("e3")},
	// the 15th counts: "after it starts"
	{"role:admin AND time:>2025-01-15", ids("e1", "e5", "e7")},
	{"action:data.exported AND time:>now-7d", ids("e7")},
	{"user:admin@company.com AND action:settings.*", ids("e5", "e6")},
	{"action:login.failed AND time:>now-24h | top 10 ip", nil},
	{"action:login.failed | count by user", ids("e3", "e4")},
	{"* | timechart 1h", ids("e1", "e2", "e3", "e4", "e5", "e6", "e7", "e8")},
}

func TestMatchSeedExamples(t *testing.T) {
	evs := decodeAll(t, seedCorpus...)
	runMatchCases(t, evs, seedNow, matchSeedExamplesCases)
}

var matchBooleanOperatorsCases = []matchCase{
	{"action:login.failed OR action:login.success", ids("e2", "e3", "e4")},
	{"action:login.failed AND user:eve@evil.example", ids("e4")},
	{"action:login.failed user:eve@evil.example", ids("e4")}, // adjacency
	{"action:login.failed NOT user:eve@evil.example", ids("e3")},
	{"action:login.failed -user:eve@evil.example", ids("e3")},
	{"action:login.failed AND NOT user:eve@evil.example", ids("e3")},
	{"NOT action:login.*", ids("e1", "e5", "e6", "e7", "e8")},
	// NOT inside OR
	{"action:data.exported OR NOT role:admin", ids("e2", "e3", "e4", "e7", "e8")},
	{"NOT role:admin OR action:data.exported", ids("e2", "e3", "e4", "e7", "e8")},
	// AND binds tighter than OR
	{"action:login.success OR action:login.failed AND ip:203.0.113.9", ids("e2", "e4")},
	{"(action:login.success OR action:login.failed) AND ip:203.0.113.9", ids("e4")},
	{"action:login.failed AND ip:203.0.113.9 OR action:login.success", ids("e2", "e4")},
	// NOT binds tighter than AND
	{"NOT action:login.failed AND action:login.*", ids("e2")},
	{"NOT (action:login.failed AND ip:203.0.113.9) AND action:login.*", ids("e2", "e3")},
	{"NOT NOT action:login.success", ids("e2")},
	// operators in any case
	{"action:login.failed and not user:eve@evil.example", ids("e3")},
	{"action:login.success or Action:LOGIN.FAILED", ids("e2", "e3", "e4")},
	{"*", ids("e1", "e2", "e3", "e4", "e5", "e6", "e7", "e8")},
	{"NOT *", nil},
	{"* action:login.success", ids("e2")},
}

func TestMatchBooleanOperators(t *testing.T) {
	evs := decodeAll(t, seedCorpus...)
	runMatchCases(t, evs, seedNow, matchBooleanOperatorsCases)
}

// TestMatchFieldAliases checks that every alias, in any case, matches as
// its canonical field does.
func TestMatchFieldAliases(t *testing.T) {
	evs := decodeAll(t, seedCorpus...)
	values := map[string]string{
		"time": "2025-01-16", "action": "login.failed", "user": "admin@company.com",
		"role": "admin", "ip": "192.168.1.100", "ua": "chrome", "id": "e3",
	}
	for _, f := range Fields() {
		v, ok := values[f.Name]
		if !ok {
			continue
		}
		want := matching(t, f.Name+":"+v, seedNow, evs)
		if len(want) == 0 {
			t.Fatalf("%s:%s matches nothing: a useless check", f.Name, v)
		}
		for _, a := range append(f.Aliases, strings.ToUpper(f.Name)) {
			if got := matching(t, a+":"+v, seedNow, evs); !slices.Equal(got, want) {
				t.Errorf("%s:%s matches %v, %s:%s matches %v", a, v, got, f.Name, v, want)
			}
		}
	}
}

var matchKeywordFieldsCases = []matchCase{
	// exact, ignoring case on both sides
	{"action:user_created", ids("k1", "k2")},
	{"action:USER_CREATED", ids("k1", "k2")},
	{"action:user", nil}, // a keyword is the whole value
	{`action:"vault management"`, ids("k3")},
	{"action:vault", nil},
	// wildcards over the whole value
	{"action:user_*", ids("k1", "k2")},
	{"action:*_created", ids("k1", "k2")},
	{"action:US?R_CREATED", ids("k1", "k2")},
	{"action:user?created", ids("k1", "k2")},
	{"action:user_created?", nil},
	{"action:vault*", ids("k3")},
	{`action:"user_*"`, nil}, // quoted: the star is a star
	// user is the actor's email, id or name
	{"user:ops@example.com", ids("k1")},
	{"user:u1", ids("k1")},
	{`user:"ops bot"`, ids("k1")},
	{"user:dave@example.com", ids("k2")}, // a plain string actor
	{`user:"Erin Smith"`, ids("k3")},
	{"user:*@example.com", ids("k1", "k2")},
	{"actor.email:OPS@EXAMPLE.COM", ids("k1")},
	{"actor.id:U1", ids("k1")},
	{`actor.name:"OPS BOT"`, ids("k1")},
	{"actor.type:service", ids("k1")},
	{"role:owner", ids("k1")},
	{"target:carol@example.com", ids("k1")},
	{"target:carol", ids("k1")},         // the target's name
	{"target:t-9", nil},                 // free keys are not the target
	{"source:INSIGHT", ids("k1", "k2")}, // the catalogue knows user_created
	{"component:admin_console", ids("k1")},
	{"session:s-abc", ids("k1")},
	{"id:K2", ids("k2")},
	// category and outcome, derived by normalisation
	{"category:users", ids("k1", "k2")},
	{"category:VAULTS", ids("k3")},
	{"outcome:failure", ids("k3")},
	{"outcome:unknown", ids("k1", "k2")},
	{"category:vault*", ids("k3")},
}

func TestMatchKeywordFields(t *testing.T) {
	evs := decodeAll(t,
		`{"event_id":"k1","timestamp":"2025-01-15T00:00:00Z","event_type":"USER_CREATED","actor":{"id":"u1","email":"Ops@Example.com","name":"Ops Bot","type":"service","role":"Owner"},"target":{"email":"carol@example.com","name":"Carol","uid":"t-9"},"source":"insight","component":"admin_console","context":{"session_id":"S-ABC"}}`,
		`{"event_id":"k2","timestamp":"2025-01-15T00:00:00Z","event_type":"user_created","actor":"dave@example.com"}`,
		`{"event_id":"k3","timestamp":"2025-01-15T00:00:00Z","event_type":"Vault Management","actor":{"name":"Erin Smith"},"outcome":"denied"}`,
	)
	runMatchCases(t, evs, seedNow, matchKeywordFieldsCases)
}

var matchExistsCases = []matchCase{
	{"user:*", ids("x1")},
	{"NOT user:*", ids("x2")},
	{"message:*", ids("x1")},
	{"ip:*", nil},
	{"time:*", ids("x1", "x2")},
	{"seq:*", nil}, // not stored yet
	{"details.rows:*", ids("x1")},
	{"details.empty:*", nil},
	{"details.nothing:*", nil},
	{"details.obj:*", nil}, // an object is not a value; its keys are
	{"details.obj.k:*", ids("x1")},
	{"details.missing:*", nil},
}

func TestMatchExists(t *testing.T) {
	evs := decodeAll(t,
		`{"event_id":"x1","timestamp":"2025-01-15T00:00:00Z","event_type":"a","actor":{"email":"a@x.com"},"details":{"rows":5,"empty":"","nothing":null,"obj":{"k":"v"}},"message":"hi"}`,
		`{"event_id":"x2","timestamp":"2025-01-15T00:00:00Z","event_type":"b","actor":{"email":""}}`,
	)
	runMatchCases(t, evs, seedNow, matchExistsCases)
}

var matchIPCases = []matchCase{
	{"ip:10.1.2.3", ids("v4")},
	{"ip:192.168.1.100", ids("v4b")}, // the port is not the address
	{"ip:2001:db8::7", ids("v6")},
	{"ip:2001:0DB8:0000::0007", ids("v6")}, // matched as an address
	{"ip:10.9.9.9", ids("mapped")},
	{"ip:::ffff:10.9.9.9", ids("mapped")},
	{"src:10.1.2.3", ids("v4")},
	// CIDR, v4 and v6
	{"ip:10.0.0.0/8", ids("mapped", "v4")},
	{"ip:10.1.0.0/16", ids("v4")},
	{"ip:10.1.2.3/32", ids("v4")},
	{"ip:10.1.2.77/24", ids("v4")}, // host bits are ignored
	{"ip:192.168.0.0/16", ids("v4b")},
	{"ip:0.0.0.0/0", ids("mapped", "v4", "v4b")},
	{"ip:2001:db8::/32", ids("v6")},
	{"ip:2001:db8::/128", nil},
	{"ip:2001:db8::7/128", ids("v6")},
	{"ip:::/0", ids("v6")},
	{"ip:::ffff:10.0.0.0/104", ids("mapped", "v4")}, // the IPv4-mapped block is the IPv4 one
	{"NOT ip:10.0.0.0/8", ids("text", "v4b", "v6")},
	// patterns over the text
	{"ip:10.1.*", ids("v4")},
	{"ip:2001:db8:*", ids("v6")},
	// quoted: the text, exactly
	{`ip:"unknown"`, ids("text")},
	{`ip:"UNKNOWN"`, ids("text")},
}

func TestMatchIP(t *testing.T) {
	evs := decodeAll(t,
		`{"event_id":"v4","timestamp":"2025-01-15T00:00:00Z","event_type":"a","context":{"ip":"10.1.2.3"}}`,
		`{"event_id":"v4b","timestamp":"2025-01-15T00:00:00Z","event_type":"a","context":{"ip":"192.168.1.100:443"}}`,
		`{"event_id":"v6","timestamp":"2025-01-15T00:00:00Z","event_type":"a","context":{"ip":"2001:DB8:0:0::7"}}`,
		`{"event_id":"mapped","timestamp":"2025-01-15T00:00:00Z","event_type":"a","context":{"ip":"::ffff:10.9.9.9"}}`,
		`{"event_id":"text","timestamp":"2025-01-15T00:00:00Z","event_type":"a","context":{"ip":"unknown"}}`,
	)
	runMatchCases(t, evs, seedNow, matchIPCases)
}

var matchSeverityCases = []matchCase{
	{"severity:high", ids("high")},
	{"severity:HIGH", ids("high")},
	{"severity:>=high", ids("critical", "high")},
	{"severity:>high", ids("critical")},
	{"severity:<low", ids("info")},
	{"severity:<=Medium", ids("info", "low", "medium")},
	{"severity:[low TO high]", ids("high", "low", "medium")},
	{"severity:[medium TO *]", ids("critical", "high", "medium")},
	{"severity:[* TO info]", ids("info")},
	{"severity:*", ids("critical", "high", "info", "low", "medium")},
	{"severity:?ow", ids("low")},
}

func TestMatchSeverity(t *testing.T) {
	var lines []string
	for _, s := range event.Severities {
		lines = append(lines, `{"event_id":"`+s+`","timestamp":"2025-01-15T00:00:00Z","event_type":"a","severity":"`+strings.ToUpper(s)+`"}`)
	}
	evs := decodeAll(t, lines...)
	runMatchCases(t, evs, seedNow, matchSeverityCases)
}

var matchSeqCases = []matchCase{
	{"seq:3", ids("e3")},
	{"seq:>6", ids("e7", "e8")},
	{"seq:>=6", ids("e6", "e7", "e8")},
	{"seq:<2", ids("e1")}, // seq 0 is no seq
	{"seq:<=2", ids("e1", "e2")},
	{"seq:[2 TO 4]", ids("e2", "e3", "e4")},
	{"seq:[7 TO *]", ids("e7", "e8")},
	{"seq:[* TO 1]", ids("e1")},
	{"seq:[3 TO 3]", ids("e3")},
	{"seq:0", nil},
	{"seq:18446744073709551615", nil},
}

func TestMatchSeq(t *testing.T) {
	var evs []*event.Event
	for i, line := range seedCorpus {
		ev := decoded(t, line)
		ev.Seq = uint64(i + 1) // e1 is seq 1 ... e8 is seq 8
		evs = append(evs, ev)
	}
	unstored := decoded(t, `{"event_id":"e0","timestamp":"2025-01-15T00:00:00Z","event_type":"a"}`)
	evs = append(evs, unstored)
	runMatchCases(t, evs, seedNow, matchSeqCases)
}

var matchDetailsCases = []matchCase{
	// exact text, ignoring case
	{"details.format:csv", ids("d1", "d3")},
	{"details.FORMAT:Csv", ids("d1", "d3")},
	{"details.format:cs*", ids("d1", "d3")},
	{"details.ok:true", ids("d1")},
	{"details.ok:false", ids("d2")},
	// a number as text, and a number as a number
	{"details.rows:100", ids("d2")},
	{"details.rows:150000", ids("d1")},
	{"details.rows:100000", ids("d4")}, // 1.0E5 == 100000
	{"details.rows:1.0E5", ids("d4")},
	{"details.rows:200000", ids("d3")}, // the string, as text
	// comparisons and ranges: JSON numbers only, not digits in strings
	{"details.rows:>100000", ids("d1")},
	{"details.rows:>=100000", ids("d1", "d4")},
	{"details.rows:<100000", ids("d2")},
	{"details.rows:<=100", ids("d2")},
	{"details.rows:[100 TO 100000]", ids("d2", "d4")},
	{"details.rows:[100001 TO *]", ids("d1")},
	{"details.ratio:<0", ids("d2")},
	{"details.ratio:[-5 TO 0.5]", ids("d1", "d2")},
	{"details.ratio:>-2", ids("d1")},
	{"details.big:>1e300", ids("d1")},
	{"details.format:>1", nil},
	// arrays, depth, case and dotted keys
	{"details.tables:billing", ids("d1")},
	{"details.tables:user*", ids("d1")},
	{"details.meta.region:EU-WEST-1", ids("d1")},
	{"details.meta.size.mb:>12", ids("d1")},
	{"details.meta.parts.n:7", ids("d1")},
	{"details.meta.parts.n:[2 TO 9]", ids("d1")},
	{"details.meta:eu-west-1", nil}, // an object is not its values
	{"details.region:eu-west-1", nil},
}

func TestMatchDetails(t *testing.T) {
	evs := decodeAll(t,
		`{"event_id":"d1","timestamp":"2025-01-15T00:00:00Z","event_type":"data.exported","details":{"rows":150000,"format":"CSV","ok":true,"ratio":0.5,"big":1e400,"tables":["users","billing"],"Meta":{"Region":"eu-west-1","size.mb":12.5,"parts":[{"n":1},{"n":7}]}}}`,
		`{"event_id":"d2","timestamp":"2025-01-15T00:00:00Z","event_type":"data.exported","details":{"rows":100,"format":"json","ok":false,"ratio":-2}}`,
		`{"event_id":"d3","timestamp":"2025-01-15T00:00:00Z","event_type":"data.exported","details":{"rows":"200000","format":"csv"}}`,
		`{"event_id":"d4","timestamp":"2025-01-15T00:00:00Z","event_type":"data.exported","details":{"rows":1.0E5}}`,
	)
	runMatchCases(t, evs, seedNow, matchDetailsCases)
}

var matchFreeTextCases = []matchCase{
	// a word of the message, the action, the actor, the context
	{"failed", ids("f1", "f4")},
	{"FAILED", ids("f1", "f4")},
	{"password", ids("f1")},     // "password." ends with a joiner, trimmed
	{"login.failed", ids("f1")}, // the action is one word
	{"bob@x.com", ids("f1")},    // an email is one word
	{"bob", nil},                // and not its parts
	{"bob*", ids("f1")},         // which wildcards reach
	{"10.0.0.1", ids("f1")},     // an address is one word
	{"chrome", ids("f1")},       // the user agent
	{"francisco", ids("f1")},    // the location
	{"oakland", ids("f1")},      // a free key of the context
	{"get", ids("f2")},          // a details value
	{"needle", ids("f2")},       // at any depth
	{"endpoint", nil},           // keys are not searched
	{"security", nil},           // nor the category
	{"zenovay", nil},            // nor the source
	{"admin", ids("f3")},        // the actor's role
	{"ünïcode", ids("f3")},      // a target's free key, lower-cased
	{"ÜNÏCODE", ids("f3")},      // upper-cased query
	{"/v1/events", ids("f2")},   // cut into the phrase v1 events
	{`"v1 events"`, ids("f2")},  // the same phrase
	{`"events v1"`, nil},        // in order
	{`"failed for bob@x.com"`, ids("f1")},
	{`"login failed"`, ids("f1")}, // "Login failed" in the message
	// a phrase never spans two values: f4's actor and target
	{`"failed login"`, nil},
	// wildcards inside a word
	{"pass*", ids("f1")},
	{"pa?sword", ids("f1")},
	{"login.*", ids("f1")},
	{"*.failed", ids("f1")},
	{"fail*", ids("f1", "f4")},
	{`"fail*"`, nil}, // quoted: no wildcards
	{"*@x.com", ids("f1", "f3")},
	{"v1/ev*", ids("f2")},
	// quoted operators are words
	{`"AND"`, ids("f2")},
	{`"or" "not"`, ids("f2")},
	{`"this and that"`, ids("f2")},
	// CJK: each ideograph and kana is a word, so a run is a phrase
	{"管理者", ids("f3")},
	{"管理", ids("f3")},
	{"ログイン", ids("f3")},
	{"理管", nil},
	// emoji are words
	{"🚀", ids("f3")},
	{"🎉 launch", ids("f3")},
	{`"🚀🔥 launch"`, ids("f3")},
	{"🔥🚀", nil},
	// free text with fields
	{"failed action:x", ids("f4")},
	{"failed -action:x", ids("f1")},
}

func TestMatchFreeText(t *testing.T) {
	evs := decodeAll(t,
		`{"event_id":"f1","timestamp":"2025-01-15T00:00:00Z","event_type":"login.failed","actor":{"email":"bob@x.com"},"context":{"ip":"10.0.0.1","user_agent":"Mozilla/5.0 (X11) Chrome/120.0","location":"San Francisco, CA","geo":{"city":"Oakland"}},"message":"Login failed for bob@x.com: bad password."}`,
		`{"event_id":"f2","timestamp":"2025-01-15T00:00:00Z","event_type":"api.accessed","details":{"endpoint":"/v1/events","method":"GET","note":"this AND that, or not","nested":{"deep":["Needle"]}}}`,
		`{"event_id":"f3","timestamp":"2025-01-15T00:00:00Z","event_type":"member.invited","actor":{"name":"管理者","role":"admin"},"target":{"email":"new@x.com","team":"Ünïcode Team"},"message":"管理者がログインしました 🚀🔥 launch 🎉"}`,
		`{"event_id":"f4","timestamp":"2025-01-15T00:00:00Z","event_type":"x","actor":{"name":"Failed"},"target":{"name":"Login"},"category":"security","source":"zenovay"}`,
	)
	runMatchCases(t, evs, seedNow, matchFreeTextCases)
}

var matchTextFieldsCases = []matchCase{
	{"message:failed", ids("t1")}, // not t2, whose action says failed
	{"message:FAILED", ids("t1")},
	{"message:login", ids("t1")},
	{"message:bob@x.com", ids("t1")},
	{`message:"login failed"`, ids("t1")},
	{`message:"failed login"`, nil},
	{"message:fail*", ids("t1")},
	{"message:good", ids("t2")},
	{"location:francisco", ids("t1")},
	{`location:"san francisco"`, ids("t1")},
	{`location:"San Francisco, CA"`, ids("t1")},
	{"ua:chrome", ids("t1")},
	{"ua:chrome/120.0", ids("t1")},
	{"user_agent:mozilla*", ids("t1")},
	{"device:macbook", ids("t1")},
	{"device:bob", ids("t1")},
	{"device:*", ids("t1")},
}

func TestMatchTextFields(t *testing.T) {
	evs := decodeAll(t,
		`{"event_id":"t1","timestamp":"2025-01-15T00:00:00Z","event_type":"login.failed","message":"Login failed for bob@x.com","context":{"user_agent":"Mozilla/5.0 Chrome/120.0","location":"San Francisco, CA","device":"Bob's MacBook Pro"}}`,
		`{"event_id":"t2","timestamp":"2025-01-15T00:00:00Z","event_type":"failed","message":"All good"}`,
	)
	runMatchCases(t, evs, seedNow, matchTextFieldsCases)
}

var matchTimeEdgesCases = []matchCase{
	// a day
	{"time:2025-01-15", ids("b", "c")},
	{"time:>2025-01-15", ids("b", "c", "d")}, // after the day starts
	{"time:>=2025-01-15", ids("b", "c", "d")},
	{"time:<2025-01-15", ids("a")},            // before it starts
	{"time:<=2025-01-15", ids("a", "b", "c")}, // to its end
	{"time:<2025-01-16", ids("a", "b", "c")},
	{"time:[2025-01-15 TO 2025-01-15]", ids("b", "c")},
	{"time:[2025-01-14 TO 2025-01-15]", ids("a", "b", "c")},
	{"time:[2025-01-15 TO *]", ids("b", "c", "d")},
	{"time:[* TO 2025-01-14]", ids("a")},
	// an instant: > is strictly after, <= includes it
	{"time:2025-01-15T00:00:00Z", ids("b")},
	{"time:>2025-01-15T00:00:00Z", ids("c", "d")},
	{"time:>=2025-01-15T00:00:00Z", ids("b", "c", "d")},
	{"time:<2025-01-15T00:00:00Z", ids("a")},
	{"time:<=2025-01-15T00:00:00Z", ids("a", "b")},
	{"time:2025-01-15T01:00:00+01:00", ids("b")}, // any offset
	{"time:2025-01-15t00:00:00z", ids("b")},
	{"time:2025-01-14T23:59:59.999999999Z", ids("a")},
	{"time:>2025-01-15T23:59:59.999999998Z", ids("c", "d")},
	{`time:"2025-01-15 00:00:00Z"`, ids("b")},
	{"time:[2025-01-14T23:59:59.999999999Z TO 2025-01-15T00:00:00Z]", ids("a", "b")},
	{"time:[2025-01-15T00:00:00Z TO 2025-01-15]", ids("b", "c")}, // an instant to a whole day
	// relative to now, 2025-01-16T00:00:00Z
	{"time:now", ids("d")},
	{"time:>now", nil},
	{"time:>=now", ids("d")},
	{"time:<now", ids("a", "b", "c")},
	{"time:>now-1s", ids("c", "d")},
	{"time:[now-24h TO now]", ids("b", "c", "d")},
	{"time:>=now-1d", ids("b", "c", "d")},
	{"time:>now-1d", ids("c", "d")},
	{"time:today", ids("d")},
	{"time:yesterday", ids("b", "c")},
	{"time:>=yesterday", ids("b", "c", "d")},
	{"time:<today", ids("a", "b", "c")},
	{"time:<=yesterday", ids("a", "b", "c")},
	{"time:[yesterday TO today]", ids("b", "c", "d")},
	{"TIME:TODAY", ids("d")},
}

// TestMatchTimeEdges pins the meaning of each comparison at a day's two
// edges: the last nanosecond before it, its first and last nanoseconds,
// and the first of the next day.
func TestMatchTimeEdges(t *testing.T) {
	evs := decodeAll(t,
		`{"event_id":"a","timestamp":"2025-01-14T23:59:59.999999999Z","event_type":"x"}`,
		`{"event_id":"b","timestamp":"2025-01-15T00:00:00Z","event_type":"x"}`,
		`{"event_id":"c","timestamp":"2025-01-15T23:59:59.999999999Z","event_type":"x"}`,
		`{"event_id":"d","timestamp":"2025-01-16T00:00:00Z","event_type":"x"}`,
	)
	runMatchCases(t, evs, at("2025-01-16T00:00:00Z"), matchTimeEdgesCases)
}

func TestMatchRelativeTimeUsesInjectedNow(t *testing.T) {
	evs := decodeAll(t,
		`{"event_id":"old","timestamp":"2025-01-01T00:00:00Z","event_type":"x"}`,
		`{"event_id":"new","timestamp":"2025-03-01T00:00:00Z","event_type":"x"}`,
	)
	cases := []struct {
		now  string
		q    string
		want []string
	}{
		{"2025-01-05T00:00:00Z", "time:>now-7d", ids("new", "old")}, // new is in the future
		{"2025-01-09T00:00:00Z", "time:>now-7d", ids("new")},
		{"2025-01-05T00:00:00Z", "time:[now-7d TO now]", ids("old")},
		{"2025-01-09T00:00:00Z", "time:[now-7d TO now]", nil},
		{"2025-03-02T00:00:00Z", "time:>now-7d", ids("new")},
		{"2025-03-02T00:00:00Z", "time:>now-2w", ids("new")},
		{"2025-03-02T00:00:00Z", "time:>now-15m", nil},
		{"2025-03-01T00:10:00Z", "time:>now-15m", ids("new")},
		{"2025-03-01T01:29:00Z", "time:>now-1h30m", ids("new")},
		{"2025-03-01T01:31:00Z", "time:>now-1h30m", nil},
		{"2025-03-01T00:00:30Z", "time:>=now-30s", ids("new")},
		{"2025-02-28T00:00:00Z", "time:<now+1d", ids("old")},
		{"2025-02-28T00:00:01Z", "time:<=now+1d", ids("new", "old")},
		// today is the UTC day, whatever the zone now is given in
		{"2025-03-01T23:00:00-05:00", "time:today", nil},
		{"2025-03-01T20:00:00-05:00", "time:yesterday", ids("new")},
		{"2025-01-01T23:59:59Z", "time:today", ids("old")},
	}
	for _, c := range cases {
		if got := matching(t, c.q, at(c.now), evs); !slices.Equal(got, append([]string{}, c.want...)) {
			t.Errorf("%s at %s matches %v, want %v", c.q, c.now, got, c.want)
		}
	}
}

func TestCompileBuiltByHand(t *testing.T) {
	ev := decoded(t, `{"event_id":"h","timestamp":"2025-01-15T00:00:00Z","event_type":"login.failed","context":{"ip":"10.0.0.1"}}`)
	// The TUI builds terms from clicked values: aliases and case resolve.
	good := []Expr{
		&Term{Field: "ACTION", Value: "LOGIN.FAILED"},
		&Term{Field: "src", Value: "10.0.0.0/8"},
		&And{X: []Expr{&Term{Field: "action", Value: "login.*", Wildcard: true}, &Not{X: &FreeText{Text: "ok"}}}},
		&Or{X: []Expr{&FreeText{Text: "nope"}, &Range{Field: "time", Lo: "2025-01-15", Hi: "*"}}},
	}
	for _, x := range good {
		m, err := Compile(x, seedNow)
		if err != nil {
			t.Errorf("Compile(%s): %v", x, err)
			continue
		}
		if !m.Match(ev) {
			t.Errorf("Compile(%s) does not match", x)
		}
	}
	bad := []struct {
		x   Expr
		msg string
	}{
		{&Term{Field: "usr", Value: "x"}, `unknown field "usr"`},
		{&Term{Field: "user", Value: ""}, "user has no value"},
		{&Term{Field: "time", Value: "soon"}, `bad time "soon"`},
		{&Range{Field: "seq", Lo: "", Hi: "5"}, "missing lower end"},
		{&FreeText{Text: "--"}, "nothing to search for"},
		{&And{}, "without operands"},
		{&Not{}, "NOT has no operand"},
		{nil, "empty filter"},
	}
	for _, c := range bad {
		_, err := Compile(c.x, seedNow)
		pe, ok := err.(*ParseError)
		if !ok || !strings.Contains(pe.Msg, c.msg) {
			t.Errorf("Compile(%#v) = %v, want a *ParseError %q", c.x, err, c.msg)
			continue
		}
		if strings.Contains(pe.Caret(), "^") {
			t.Errorf("Caret() of an error without a position draws a caret: %q", pe.Caret())
		}
	}
}

func TestTermTimeSpan(t *testing.T) {
	now := at("2025-01-16T10:00:00Z")
	day := at("2025-01-15T00:00:00Z")
	next := at("2025-01-16T00:00:00Z")
	inst := at("2025-01-15T14:30:00Z")
	cases := []struct {
		q    string
		want TimeSpan
	}{
		{"time:2025-01-15", TimeSpan{From: day, To: next, HasFrom: true, HasTo: true}},
		{"time:>2025-01-15", TimeSpan{From: day, HasFrom: true}},
		{"time:>=2025-01-15", TimeSpan{From: day, HasFrom: true}},
		{"time:<2025-01-15", TimeSpan{To: day, HasTo: true}},
		{"time:<=2025-01-15", TimeSpan{To: next, HasTo: true}},
		{"time:>2025-01-15T14:30:00Z", TimeSpan{From: inst.Add(1), HasFrom: true}},
		{"time:<=2025-01-15T14:30:00Z", TimeSpan{To: inst.Add(1), HasTo: true}},
		{"time:yesterday", TimeSpan{From: day, To: next, HasFrom: true, HasTo: true}},
		{"time:>=now-10h", TimeSpan{From: next, HasFrom: true}},
		{"time:[2025-01-15 TO now]", TimeSpan{From: day, To: now.Add(1), HasFrom: true, HasTo: true}},
		{"time:[* TO 2025-01-15]", TimeSpan{To: next, HasTo: true}},
	}
	for _, c := range cases {
		q, err := Parse(c.q)
		if err != nil {
			t.Fatal(err)
		}
		var got TimeSpan
		switch x := q.Filter.(type) {
		case *Term:
			got, err = x.TimeSpan(now)
		case *Range:
			got, err = x.TimeSpan(now)
		}
		if err != nil || got != c.want {
			t.Errorf("%s: TimeSpan = %+v, %v; want %+v", c.q, got, err, c.want)
		}
	}
	if _, err := (&Term{Field: "user", Value: "x"}).TimeSpan(now); err == nil {
		t.Error("TimeSpan of a user term: no error")
	}
}

func TestParseTimeValue(t *testing.T) {
	now := at("2025-01-16T10:00:00Z")
	cases := []struct {
		in         string
		start, end time.Time
		day        bool
	}{
		{"2025-01-15", at("2025-01-15T00:00:00Z"), at("2025-01-16T00:00:00Z"), true},
		{"2024-02-29", at("2024-02-29T00:00:00Z"), at("2024-03-01T00:00:00Z"), true},
		{"2025-01-15T14:30:00.123+02:00", at("2025-01-15T12:30:00.123Z"), at("2025-01-15T12:30:00.123000001Z"), false},
		{"now", now, now.Add(1), false},
		{"NOW-2w", now.Add(-14 * 24 * time.Hour), now.Add(-14*24*time.Hour + 1), false},
		{"now-1h30m", now.Add(-90 * time.Minute), now.Add(-90*time.Minute + 1), false},
		{"today", at("2025-01-16T00:00:00Z"), at("2025-01-17T00:00:00Z"), true},
		{"Yesterday", at("2025-01-15T00:00:00Z"), at("2025-01-16T00:00:00Z"), true},
	}
	for _, c := range cases {
		v, err := ParseTimeValue(c.in)
		if err != nil {
			t.Errorf("ParseTimeValue(%q): %v", c.in, err)
			continue
		}
		s, e := v.Span(now)
		if !s.Equal(c.start) || !e.Equal(c.end) || v.IsDay() != c.day {
			t.Errorf("ParseTimeValue(%q).Span = [%v, %v) day %v, want [%v, %v) day %v", c.in, s, e, v.IsDay(), c.start, c.end, c.day)
		}
	}
	for _, bad := range []string{"", "2025-02-30", "2025-1-5", "15/01/2025", "now-", "now-5", "now-5M", "now-5y", "now*2", "tomorrow", "now-99999999999w"} {
		if _, err := ParseTimeValue(bad); err == nil {
			t.Errorf("ParseTimeValue(%q): no error", bad)
		}
	}
}

func TestMatcherIsSafeForConcurrentUse(t *testing.T) {
	evs := decodeAll(t, seedCorpus...)
	q, err := Parse(`(action:login.* OR details.rows:>100 OR "bad password" OR ip:10.0.0.0/8 OR user:*@company.com) -severity:critical`)
	if err != nil {
		t.Fatal(err)
	}
	m, err := Compile(q.Filter, seedNow)
	if err != nil {
		t.Fatal(err)
	}
	want := matching(t, q.String(), seedNow, evs)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 200 {
				var got []string
				for _, ev := range evs {
					if m.Match(ev) {
						got = append(got, ev.ID)
					}
				}
				if !slices.Equal(got, want) {
					t.Errorf("concurrent Match = %v, want %v", got, want)
					return
				}
			}
		})
	}
	wg.Wait()
}
