package k8saudit

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/vigil-dev/vigil/event"
	"github.com/vigil-dev/vigil/ingest"
)

// ev builds an audit.k8s.io/v1 event line.
func ev(id, stage, verb, resource, extra string) string {
	ref := ""
	if resource != "" {
		ref = `,"objectRef":{"resource":"` + resource + `","namespace":"default","name":"db","apiVersion":"v1"}`
	}
	s := `{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"` + id + `","stage":"` + stage +
		`","requestURI":"/api/v1/namespaces/default/x","verb":"` + verb + `","user":{"username":"ana@example.com","uid":"u-1","groups":["devs"]},` +
		`"sourceIPs":["10.0.0.7","10.0.0.1"],"userAgent":"kubectl/v1.29"` + ref +
		`,"requestReceivedTimestamp":"2024-05-01T10:00:00.123456Z","stageTimestamp":"2024-05-01T10:00:01Z"`
	if extra != "" {
		s += "," + extra
	}
	return s + "}"
}

func split(t *testing.T, f Format, in string) []string {
	t.Helper()
	var got []string
	err := f.Split(strings.NewReader(in), 1<<20, func(u ingest.Unit) error {
		e, err := f.Map(u)
		if err != nil {
			got = append(got, fmt.Sprintf("%d:reject", u.Line))
			return nil
		}
		got = append(got, fmt.Sprintf("%d:%s:%s", u.Line, e.ID, e.Details["stage"]))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// TestOneEventPerAuditID checks the stages: the kept one is passed on
// first, so that it is the one stored, and the others after it (they are
// then duplicates); a request without the kept stage keeps its latest.
func TestOneEventPerAuditID(t *testing.T) {
	code := `"responseStatus":{"code":200}`
	in := strings.Join([]string{
		ev("a", "RequestReceived", "get", "pods", ""),
		ev("b", "RequestReceived", "create", "pods/exec", ""),
		ev("b", "ResponseStarted", "create", "pods/exec", `"responseStatus":{"code":101}`),
		ev("a", "ResponseComplete", "get", "pods", code),
		ev("c", "ResponseComplete", "list", "secrets", code),
		ev("d", "Panic", "list", "nodes", `"responseStatus":{"code":500}`),
	}, "\n")
	tests := []struct {
		stage string
		want  string
	}{
		{"", "4:a:ResponseComplete 1:a:RequestReceived 5:c:ResponseComplete 6:d:Panic 3:b:ResponseStarted 2:b:RequestReceived"},
		{StageRequestReceived, "1:a:RequestReceived 2:b:RequestReceived 3:b:ResponseStarted 4:a:ResponseComplete 5:c:ResponseComplete 6:d:Panic"},
		{AllStages, "1:a/RequestReceived:RequestReceived 2:b/RequestReceived:RequestReceived 3:b/ResponseStarted:ResponseStarted " +
			"4:a/ResponseComplete:ResponseComplete 5:c/ResponseComplete:ResponseComplete 6:d/Panic:Panic"},
	}
	for _, tc := range tests {
		got := strings.Join(split(t, Format{Stage: tc.stage}, in), " ")
		if got != tc.want {
			t.Errorf("stage %q:\n got %s\nwant %s", tc.stage, got, tc.want)
		}
	}
}

func TestEventList(t *testing.T) {
	x, y := ev("x", "ResponseComplete", "get", "secrets", ""), ev("y", "ResponseComplete", "delete", "pods", "")
	tests := []struct{ name, in, want string }{
		{"one line", `{"kind":"EventList","apiVersion":"audit.k8s.io/v1","metadata":{},"items":[` + x + "," + y + "]}\n",
			"1:x:ResponseComplete 1:y:ResponseComplete"},
		{"pretty-printed", "{\n  \"kind\": \"EventList\",\n  \"items\": [\n    " + x + ",\n    " + y + "\n  ]\n}\n",
			"4:x:ResponseComplete 5:y:ResponseComplete"},
	}
	for _, tc := range tests {
		if got := strings.Join(split(t, Format{}, tc.in), " "); got != tc.want {
			t.Errorf("%s: got %s, want %s", tc.name, got, tc.want)
		}
		if !(Format{}).Detect([]byte(tc.in)) {
			t.Errorf("%s: EventList not detected", tc.name)
		}
	}
}

func TestMapFields(t *testing.T) {
	raw := ev("id-1", "ResponseComplete", "get", "secrets",
		`"impersonatedUser":{"username":"bob"},"responseStatus":{"code":403,"reason":"Forbidden"},"requestObject":{"big":true}`)
	e, err := Format{}.Map(ingest.Unit{Raw: []byte(raw)})
	if err != nil {
		t.Fatal(err)
	}
	want := time.Date(2024, 5, 1, 10, 0, 0, 123456000, time.UTC)
	switch {
	case e.ID != "id-1" || e.Type != "secrets.get" || !e.Time.Equal(want) || e.Source != "kubernetes" || e.Format != "k8s":
		t.Errorf("id %q type %q time %v source %q format %q", e.ID, e.Type, e.Time, e.Source, e.Format)
	case e.Actor.Email != "ana@example.com" || e.Actor.ID != "u-1" || e.Actor.Type != "user" || e.Actor.Extra["impersonated_user"] != "bob":
		t.Errorf("actor %+v", e.Actor)
	case e.Target.Name != "db" || e.Target.Type != "secrets" || e.Target.Extra["namespace"] != "default":
		t.Errorf("target %+v", e.Target)
	case e.Context.IP != "10.0.0.7" || e.Context.UserAgent != "kubectl/v1.29":
		t.Errorf("context %+v", e.Context)
	case e.Outcome != "failure":
		t.Errorf("outcome %q", e.Outcome)
	case e.Details["requestObject"] != nil || e.Details["stage"] != "ResponseComplete" || e.Details["requestURI"] == nil:
		t.Errorf("details %v", e.Details)
	}
	// The catalogue makes any verb on secrets data access.
	cat := event.BuiltinCatalogue()
	for _, verb := range []string{"get", "list", "watch", "create", "delete", "deletecollection"} {
		e := &event.Event{Type: "secrets." + verb}
		cat.Normalize(e)
		if e.Category != "data" {
			t.Errorf("secrets.%s: category %q", verb, e.Category)
		}
	}
}

func TestTypeAndOutcome(t *testing.T) {
	tests := []struct {
		raw, typ, outcome string
	}{
		{ev("1", "ResponseComplete", "create", "pods/exec", `"objectRef":{"resource":"pods","subresource":"exec"},"responseStatus":{"code":101}`), "", ""},
		{ev("2", "ResponseComplete", "get", "", `"responseStatus":{"code":200}`), "nonresource.get", "success"},
		{ev("3", "RequestReceived", "list", "nodes", ""), "nodes.list", "unknown"},
		{ev("4", "ResponseComplete", "delete", "pods", `"responseStatus":{"code":404}`), "pods.delete", "failure"},
		{ev("5", "ResponseComplete", "get", "pods", `"annotations":{"authorization.k8s.io/decision":"forbid"}`), "pods.get", "failure"},
	}
	// The first case names its objectRef twice: refused, as any record
	// that says two things.
	if _, err := (Format{}).Map(ingest.Unit{Raw: []byte(tests[0].raw)}); err == nil || !strings.Contains(err.Error(), "appears twice") {
		t.Errorf("duplicate objectRef: %v", err)
	}
	sub := strings.Replace(ev("1", "ResponseComplete", "create", "", `"responseStatus":{"code":101}`),
		`"verb"`, `"objectRef":{"resource":"pods","subresource":"exec","name":"web"},"verb"`, 1)
	tests[0] = struct{ raw, typ, outcome string }{sub, "pods/exec.create", "success"}
	for _, tc := range tests {
		e, err := Format{}.Map(ingest.Unit{Raw: []byte(tc.raw)})
		if err != nil {
			t.Fatal(err)
		}
		if e.Type != tc.typ || e.Outcome != tc.outcome {
			t.Errorf("%s: type %q outcome %q, want %q %q", e.ID, e.Type, e.Outcome, tc.typ, tc.outcome)
		}
	}
}

func TestMapRejects(t *testing.T) {
	tests := []struct{ raw, err string }{
		{`{"kind": 0}`, `kind is 0, want "Event"`},
		{`{"kind":"Pod","auditID":"x"}`, `kind is "Pod"`},
		{strings.Replace(ev("x", "ResponseComplete", "get", "", ""), `"auditID":"x",`, "", 1), "no auditID"},
		{strings.Replace(ev("x", "ResponseComplete", "get", "", ""), `"verb":"get",`, "", 1), "missing verb"},
		{strings.NewReplacer(`,"requestReceivedTimestamp":"2024-05-01T10:00:00.123456Z","stageTimestamp":"2024-05-01T10:00:01Z"`, "").
			Replace(ev("x", "ResponseComplete", "get", "", "")), "missing requestReceivedTimestamp"},
	}
	for _, tc := range tests {
		_, err := Format{}.Map(ingest.Unit{Raw: []byte(tc.raw)})
		if err == nil || !strings.Contains(err.Error(), tc.err) {
			t.Errorf("%.60s: %v, want %q", tc.raw, err, tc.err)
		}
	}
	if err := (Format{Stage: "Done"}).Validate(); err == nil {
		t.Error("stage Done accepted")
	}
}

func TestDetect(t *testing.T) {
	tests := []struct {
		head string
		want bool
	}{
		{ev("a", "ResponseComplete", "get", "pods", ""), true},
		{`{"annotations":{},"auditID":"a","kind":"Event","level":"Request"}`, true}, // no apiVersion
		{`{"apiVersion":"audit.k8s.io/v1beta1","kind":"Event"`, true},
		{`{"kind":"Event","involvedObject":{}}`, false}, // a core/v1 Event is no audit event
		{`{"kind":"Pod","apiVersion":"v1"}`, false},
		{`{"CreationTime":"2023-01-01T00:00:00","Operation":"x","RecordType":1}`, false},
	}
	for _, tc := range tests {
		if got := (Format{}).Detect([]byte(tc.head)); got != tc.want {
			t.Errorf("Detect(%.50q) = %v, want %v", tc.head, got, tc.want)
		}
	}
}
