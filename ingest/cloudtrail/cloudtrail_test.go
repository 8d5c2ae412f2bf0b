package cloudtrail

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/vigil-dev/vigil/event"
	"github.com/vigil-dev/vigil/ingest"
)

// record builds a CloudTrail record with the given userIdentity and
// extra top-level members (JSON text after a comma).
func record(identity, extra string) string {
	r := `{"eventVersion":"1.08","userIdentity":` + identity + `,"eventTime":"2023-07-10T12:23:15Z",` +
		`"eventSource":"iam.amazonaws.com","eventName":"CreateUser","awsRegion":"us-east-1",` +
		`"sourceIPAddress":"192.0.2.10","userAgent":"aws-cli/2.0","requestParameters":{"userName":"eve"},` +
		`"responseElements":null,"eventID":"e-1","eventType":"AwsApiCall"`
	if extra != "" {
		r += "," + extra
	}
	return r + "}"
}

func mapOne(t *testing.T, raw string) *event.Event {
	t.Helper()
	ev, err := Format{}.Map(ingest.Unit{Line: 1, Raw: []byte(raw)})
	if err != nil {
		t.Fatalf("Map: %v\n%s", err, raw)
	}
	return ev
}

func TestActorByIdentityType(t *testing.T) {
	tests := []struct {
		name, identity         string
		id, label, role, ptype string
	}{
		{"IAMUser", `{"type":"IAMUser","principalId":"AIDA1","arn":"arn:aws:iam::111:user/ana","accountId":"111","accessKeyId":"AKIA1","userName":"ana"}`,
			"arn:aws:iam::111:user/ana", "ana", "", "user"},
		{"AssumedRole", `{"type":"AssumedRole","principalId":"AROA1:sess","arn":"arn:aws:sts::111:assumed-role/deploy/sess","sessionContext":{"sessionIssuer":{"type":"Role","arn":"arn:aws:iam::111:role/deploy","userName":"deploy"},"attributes":{"mfaAuthenticated":"false"}}}`,
			"arn:aws:sts::111:assumed-role/deploy/sess", "sess", "deploy", "user"},
		{"AssumedRole through Identity Center names the person", `{"type":"AssumedRole","arn":"arn:aws:sts::111:assumed-role/AWSReservedSSO_Admin_1/ana@example.com","sessionContext":{"sessionIssuer":{"userName":"AWSReservedSSO_Admin_1"}}}`,
			"arn:aws:sts::111:assumed-role/AWSReservedSSO_Admin_1/ana@example.com", "ana@example.com", "AWSReservedSSO_Admin_1", "user"},
		{"Root", `{"type":"Root","principalId":"111","arn":"arn:aws:iam::111:root","accountId":"111"}`,
			"arn:aws:iam::111:root", "root", "root", "user"},
		{"AWSService", `{"type":"AWSService","invokedBy":"inspector2.amazonaws.com"}`,
			"", "inspector2.amazonaws.com", "", "service"},
		{"FederatedUser", `{"type":"FederatedUser","principalId":"111:bob","arn":"arn:aws:sts::111:federated-user/bob","sessionContext":{"sessionIssuer":{"type":"IAMUser","userName":"broker"}}}`,
			"arn:aws:sts::111:federated-user/bob", "bob", "broker", "user"},
		{"AWSAccount", `{"type":"AWSAccount","principalId":"AIDA9","accountId":"222"}`,
			"AIDA9", "AIDA9", "", "user"},
		{"no type: a service event", `{"accountId":"111","invokedBy":"ec2.amazonaws.com"}`,
			"", "ec2.amazonaws.com", "", "service"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a := mapOne(t, record(tc.identity, "")).Actor
			if a.ID != tc.id || a.Label() != tc.label || a.Role != tc.role || a.Type != tc.ptype {
				t.Errorf("actor %+v; want id %q label %q role %q type %q", a, tc.id, tc.label, tc.role, tc.ptype)
			}
		})
	}
}

func TestOutcome(t *testing.T) {
	user := `{"type":"IAMUser","userName":"ana"}`
	tests := []struct{ name, raw, want string }{
		{"a call without error succeeded", record(user, ""), "success"},
		{"any errorCode is a failure", record(user, `"errorCode":"AccessDenied","errorMessage":"no"`), "failure"},
		{"a console sign-in says how it went", strings.Replace(record(user, ""), `"eventName":"CreateUser"`, `"eventName":"ConsoleLogin"`, 1) + "", "success"},
		{"a failed console sign-in", strings.NewReplacer(`"eventName":"CreateUser"`, `"eventName":"ConsoleLogin"`,
			`"responseElements":null`, `"responseElements":{"ConsoleLogin":"Failure"}`).Replace(record(user, `"errorMessage":"Failed authentication"`)), "failure"},
		{"CheckMfa", strings.NewReplacer(`"eventName":"CreateUser"`, `"eventName":"CheckMfa"`,
			`"responseElements":null`, `"responseElements":{"CheckMfa":"Success"}`).Replace(record(user, "")), "success"},
	}
	for _, tc := range tests {
		if got := mapOne(t, tc.raw).Outcome; got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
}

func TestMapFields(t *testing.T) {
	raw := record(`{"type":"IAMUser","userName":"ana","arn":"arn:aws:iam::111:user/ana"}`,
		`"resources":[{"ARN":"arn:aws:iam::111:user/eve","type":"AWS::IAM::User"}],"responseElements":{"user":{"arn":"x"}}`)
	raw = strings.Replace(raw, `"responseElements":null,`, "", 1)
	ev := mapOne(t, raw)
	want := time.Date(2023, 7, 10, 12, 23, 15, 0, time.UTC)
	switch {
	case ev.ID != "e-1" || !ev.Time.Equal(want) || ev.Type != "CreateUser" || ev.Source != "cloudtrail" || ev.Format != "cloudtrail":
		t.Errorf("id %q time %v type %q source %q format %q", ev.ID, ev.Time, ev.Type, ev.Source, ev.Format)
	case string(ev.Raw) != raw:
		t.Errorf("raw is not the record verbatim")
	case ev.Context.IP != "192.0.2.10" || ev.Context.UserAgent != "aws-cli/2.0" || ev.Component != "iam.amazonaws.com":
		t.Errorf("context %+v component %q", ev.Context, ev.Component)
	case ev.Target.Name != "eve" || ev.Target.ID != "arn:aws:iam::111:user/eve" || ev.Target.Type != "AWS::IAM::User":
		t.Errorf("target %+v", ev.Target)
	case ev.Details["awsRegion"] != "us-east-1" || ev.Details["eventType"] != "AwsApiCall" || ev.Details["responseElements"] != nil:
		t.Errorf("details %v", ev.Details)
	}
	// An AWS service calling is no IP address.
	raw = strings.Replace(record(`{"type":"AWSService","invokedBy":"cloudtrail.amazonaws.com"}`, ""), `"192.0.2.10"`, `"cloudtrail.amazonaws.com"`, 1)
	if ev := mapOne(t, raw); ev.Context.IP != "" || ev.Context.Extra["source_host"] != "cloudtrail.amazonaws.com" {
		t.Errorf("service source: %+v", ev.Context)
	}
	// IPv6, written in full.
	raw = strings.Replace(record(`{"type":"Root"}`, ""), `"192.0.2.10"`, `"2001:0db8:0000:0000:0000:0000:0000:0001"`, 1)
	if ev := mapOne(t, raw); ev.Context.IP != "2001:db8::1" {
		t.Errorf("IPv6: %q", ev.Context.IP)
	}
}

func TestMapRejects(t *testing.T) {
	good := record(`{"type":"Root"}`, "")
	tests := []struct{ raw, err string }{
		{strings.Replace(good, `"eventName":"CreateUser",`, "", 1), "no eventName"},
		{strings.Replace(good, `"eventTime":"2023-07-10T12:23:15Z",`, "", 1), "missing eventTime"},
		{strings.Replace(good, `2023-07-10T12:23:15Z`, `yesterday`, 1), "eventTime:"},
		{`{"Records":{"a":1}}`, `"Records" is not an array`},
		{`{"eventName":"A","eventName":"B"}`, "appears twice"},
		{`not json`, "not JSON"},
	}
	for _, tc := range tests {
		_, err := Format{}.Map(ingest.Unit{Raw: []byte(tc.raw)})
		if err == nil || !strings.Contains(err.Error(), tc.err) {
			t.Errorf("%.60s: %v, want %q", tc.raw, err, tc.err)
		}
	}
}

func TestDetect(t *testing.T) {
	tests := []struct {
		head string
		want bool
	}{
		{`{"Records":[{"eventVersion":"1.08"`, true},      // a log file, cut short
		{"\n  {\n  \"Records\": [\n", true},               // pretty-printed
		{record(`{"type":"Root"}`, "") + "\n", true},      // JSON Lines of records
		{"[" + record(`{"type":"Root"}`, "") + "]", true}, // an array of records
		{`{"event_type":"login","timestamp":"2025-01-01T00:00:00Z"}`, false},
		{`{"Records":"x"}`, false},
		{`{"eventName":"x"}`, false},
		{`type=SYSCALL msg=audit(1.2:3): a=b`, false},
	}
	for _, tc := range tests {
		if got := (Format{}).Detect([]byte(tc.head)); got != tc.want {
			t.Errorf("Detect(%.50q) = %v, want %v", tc.head, got, tc.want)
		}
	}
}

func TestSplitLogFileAndLines(t *testing.T) {
	rec := func(i int) string {
		return strings.Replace(record(`{"type":"Root"}`, ""), `"e-1"`, fmt.Sprintf(`"e-%d"`, i), 1)
	}
	in := `{"Records":[` + rec(1) + "," + rec(2) + "]}\n" + rec(3) + "\n"
	var ids []string
	err := Format{}.Split(strings.NewReader(in), 1<<20, func(u ingest.Unit) error {
		ev, err := Format{}.Map(u)
		if err != nil {
			return err
		}
		ids = append(ids, fmt.Sprintf("%d:%s", u.Line, ev.ID))
		return nil
	})
	if err != nil || strings.Join(ids, " ") != "1:e-1 1:e-2 2:e-3" {
		t.Errorf("units %v, %v", ids, err)
	}
}
