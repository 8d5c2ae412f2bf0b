package m365

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/vigil-dev/vigil/event"
	"github.com/vigil-dev/vigil/ingest"
)

const failedLogin = `{"CreationTime":"2023-07-12T12:38:43","Id":"f8a2e606-0300","Operation":"UserLoginFailed",` +
	`"OrganizationId":"org","RecordType":15,"ResultStatus":"Failed","UserKey":"key-1","UserType":0,"Version":1,` +
	`"Workload":"AzureActiveDirectory","ClientIP":"2a09:bac1:820:8::1a:9c","ObjectId":"app-1","UserId":"Miriam@contoso.example",` +
	`"ExtendedProperties":[{"Name":"UserAgent","Value":"Mozilla/5.0"},{"Name":"RequestType","Value":"OAuth2:Token"}],` +
	`"DeviceProperties":[{"Name":"OS","Value":"Windows 10"},{"Name":"BrowserType","Value":"Edge"},{"Name":"SessionId","Value":"s-1"}],` +
	`"LogonError":"InvalidUserNameOrPassword"}`

func mapOne(t *testing.T, raw string) *event.Event {
	t.Helper()
	ev, err := Format{}.Map(ingest.Unit{Raw: []byte(raw)})
	if err != nil {
		t.Fatalf("Map: %v\n%s", err, raw)
	}
	return ev
}

func TestMapRecord(t *testing.T) {
	ev := mapOne(t, failedLogin)
	switch {
	case ev.ID != "f8a2e606-0300" || ev.Type != "UserLoginFailed" || ev.Source != "m365" || ev.Format != "m365":
		t.Errorf("id %q type %q source %q format %q", ev.ID, ev.Type, ev.Source, ev.Format)
	case !ev.Time.Equal(time.Date(2023, 7, 12, 12, 38, 43, 0, time.UTC)):
		t.Errorf("time %v: CreationTime without a zone is UTC", ev.Time)
	case ev.Actor.Email != "Miriam@contoso.example" || ev.Actor.ID != "key-1" || ev.Actor.Type != "user":
		t.Errorf("actor %+v", ev.Actor)
	case ev.Context.IP != "2a09:bac1:820:8::1a:9c" || ev.Context.UserAgent != "Mozilla/5.0" ||
		ev.Context.SessionID != "s-1" || ev.Context.Device != "Windows 10 / Edge":
		t.Errorf("context %+v", ev.Context)
	case ev.Outcome != "failure" || ev.Component != "AzureActiveDirectory":
		t.Errorf("outcome %q component %q", ev.Outcome, ev.Component)
	case ingest.Path(ev.Details, "ExtendedProperties.RequestType") != "OAuth2:Token" || ev.Details["LogonError"] != "InvalidUserNameOrPassword":
		t.Errorf("details %v", ev.Details)
	}
	cat := event.BuiltinCatalogue()
	cat.Normalize(ev)
	if ev.Category != "authentication" || ev.Outcome != "failure" {
		t.Errorf("UserLoginFailed is %s/%s, want a failed authentication", ev.Category, ev.Outcome)
	}
}

// TestPowerShellObjects reads what Search-UnifiedAuditLog writes: the
// record in AuditData, as a JSON string or (after ConvertFrom-Json) an
// object, and CreationDate as /Date(ms)/.
func TestPowerShellObjects(t *testing.T) {
	quoted, _ := json.Marshal(failedLogin)
	wrap := func(auditData string) string {
		return `{"RecordType":"AzureActiveDirectoryStsLogon","CreationDate":"\/Date(1689165523000)\/",` +
			`"UserIds":"Miriam@contoso.example","Operations":"UserLoginFailed","AuditData":` + auditData +
			`,"ResultIndex":1,"ResultCount":2,"Identity":"other-guid","IsValid":true,"ObjectState":"Unchanged"}`
	}
	for name, raw := range map[string]string{"string": wrap(string(quoted)), "object": wrap(failedLogin)} {
		ev := mapOne(t, raw)
		if ev.ID != "f8a2e606-0300" || ev.Type != "UserLoginFailed" || ev.Actor.Email != "Miriam@contoso.example" || string(ev.Raw) != raw {
			t.Errorf("%s: id %q type %q actor %q raw kept %v", name, ev.ID, ev.Type, ev.Actor.Email, string(ev.Raw) == raw)
		}
	}
	// Without CreationTime, CreationDate gives the time.
	noTime := strings.Replace(failedLogin, `"CreationTime":"2023-07-12T12:38:43",`, "", 1)
	if ev := mapOne(t, wrap(noTime)); !ev.Time.Equal(time.UnixMilli(1689165523000)) {
		t.Errorf("CreationDate: %v", ev.Time)
	}
	if _, err := (Format{}).Map(ingest.Unit{Raw: []byte(wrap(`"{broken"`))}); err == nil || !strings.Contains(err.Error(), "AuditData: not JSON") {
		t.Errorf("broken AuditData: %v", err)
	}
}

func TestParseDate(t *testing.T) {
	tests := []struct {
		in   string
		want time.Time
		ok   bool
	}{
		{"/Date(1728364117000)/", time.UnixMilli(1728364117000), true},
		{"/Date(1728364117000+0000)/", time.UnixMilli(1728364117000), true},
		{"/Date(-1000)/", time.UnixMilli(-1000), true},
		{"2024-10-08T05:08:37", time.Date(2024, 10, 8, 5, 8, 37, 0, time.UTC), true},
		{"/Date(x)/", time.Time{}, false},
		{"/Date(1728364117000", time.Time{}, false},
	}
	for _, tc := range tests {
		got, err := ParseDate(tc.in)
		if (err == nil) != tc.ok || (tc.ok && !got.Equal(tc.want)) {
			t.Errorf("ParseDate(%q) = %v, %v", tc.in, got, err)
		}
	}
}

func TestClientIPAndOutcome(t *testing.T) {
	tests := []struct{ clientIP, status, ip, outcome string }{
		{"104.28.196.199:28491", "True", "104.28.196.199", "success"},
		{"[2a09:bac5:114:105::1a:9b]:54809", "Succeeded", "2a09:bac5:114:105::1a:9b", "success"},
		{"2a09:bac5:0114:0105:0000:0000:001a:009b", "False", "2a09:bac5:114:105::1a:9b", "failure"},
		{"41.203.78.171", "PartiallySucceeded", "41.203.78.171", ""},
		{"<unknown>", "Success", "", "success"},
	}
	for _, tc := range tests {
		raw := strings.NewReplacer(`"2a09:bac1:820:8::1a:9c"`, `"`+tc.clientIP+`"`, `"ResultStatus":"Failed"`, `"ResultStatus":"`+tc.status+`"`,
			`,"LogonError":"InvalidUserNameOrPassword"`, "").Replace(failedLogin)
		ev := mapOne(t, raw)
		if ev.Context.IP != tc.ip || ev.Outcome != tc.outcome {
			t.Errorf("ClientIP %q, ResultStatus %q: ip %q outcome %q; want %q %q", tc.clientIP, tc.status, ev.Context.IP, ev.Outcome, tc.ip, tc.outcome)
		}
	}
}

// TestAuditSettingsAreAuditTampering checks the category that depends on
// more than the operation: Set-Mailbox is configuration, unless its
// parameters change mailbox auditing.
func TestAuditSettingsAreAuditTampering(t *testing.T) {
	cat := event.BuiltinCatalogue()
	exchange := func(op, params string) string {
		return `{"CreationTime":"2023-05-20T11:00:56","Id":"x","Operation":"` + op + `","RecordType":1,"ResultStatus":"True",` +
			`"UserType":2,"Workload":"Exchange","ObjectId":"guid","UserId":"admin@contoso.example","Parameters":[` + params + `]}`
	}
	tests := []struct {
		op, params, category, severity, target string
	}{
		{"Set-Mailbox", `{"Name":"Identity","Value":"Alex@contoso.example"},{"Name":"AuditLogAgeLimit","Value":"1.00:00:00"}`, "audit", "high", "Alex@contoso.example"},
		{"Set-Mailbox", `{"Name":"Identity","Value":"Alex@contoso.example"},{"Name":"AuditEnabled","Value":"False"}`, "audit", "high", "Alex@contoso.example"},
		{"Set-Mailbox", `{"Name":"Identity","Value":"Alex@contoso.example"},{"Name":"ForwardingSmtpAddress","Value":"x@evil.example"}`, "configuration", "low", "Alex@contoso.example"},
		{"Set-AdminAuditLogConfig", `{"Name":"UnifiedAuditLogIngestionEnabled","Value":"False"}`, "audit", "high", "guid"},
		{"New-InboxRule", `{"Name":"ForwardTo","Value":"x@evil.example"}`, "data", "medium", "guid"},
	}
	for _, tc := range tests {
		ev := mapOne(t, exchange(tc.op, tc.params))
		cat.Normalize(ev)
		if ev.Category != tc.category || ev.Severity != tc.severity || ev.Target.Label() != tc.target || ev.Actor.Role != "admin" {
			t.Errorf("%s %s: %s/%s target %q actor %+v; want %s/%s %q", tc.op, tc.params, ev.Category, ev.Severity, ev.Target.Label(), ev.Actor, tc.category, tc.severity, tc.target)
		}
	}
	ev := mapOne(t, exchange("New-InboxRule", `{"Name":"ForwardTo","Value":"x@evil.example"}`))
	if ingest.Path(ev.Details, "Parameters.ForwardTo") != "x@evil.example" {
		t.Errorf("details.Parameters.ForwardTo: %v", ev.Details["Parameters"])
	}
}

func TestMapRejects(t *testing.T) {
	tests := []struct{ raw, err string }{
		{strings.Replace(failedLogin, `"Operation":"UserLoginFailed",`, "", 1), "no Operation"},
		{strings.Replace(failedLogin, `"CreationTime":"2023-07-12T12:38:43",`, "", 1), "missing CreationTime"},
		{strings.Replace(failedLogin, `2023-07-12T12:38:43`, "12/07/2023", 1), "CreationTime:"},
		{`{"AuditData":42,"RecordType":1}`, "AuditData: want the audit record"},
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
		{failedLogin, true},
		{"    [{\n        \"RecordType\":  \"ExchangeAdmin\",\n        \"CreationDate\":  \"\\/Date(1728364117000)\\/\",\n        \"AuditData\":  {", true},
		{`{"AppAccessContext":{"IssuedAtTime":"2024-02-04T21:14:37"},"CreationTime":"2024-02-04T22:49:32","Id":"x","Operation":"New-InboxRule","RecordType":1}`, true},
		{`{"CreationTime":"2024-02-04T22:49:32","Operation":"x"}`, false},
		{`{"eventName":"x","eventSource":"s","eventVersion":"1"}`, false},
	}
	for _, tc := range tests {
		if got := (Format{}).Detect([]byte(tc.head)); got != tc.want {
			t.Errorf("Detect(%.50q) = %v, want %v", tc.head, got, tc.want)
		}
	}
}
