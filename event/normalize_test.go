package event

import (
	"os"
	"path/filepath"
	"testing"
)

// normalizeTestEntries is a user catalogue file: entries whose behaviour the
// tests need exactly, whatever the builtin catalogue says. The vigiltest.*
// types are unknown to the builtin catalogue; login.failed is overridden
// without an outcome so that the outcome must come from the type's name.
const normalizeTestEntries = `
events:
  - type: vigiltest.widget_synced
    category: configuration
    severity: high
    outcome: success
    source: vigiltest
    template: 'Widget ${widget} synced by ${username} from ${device_ip}'
  - type: vigiltest.bare
    category: data
  - type: login.failed
    category: authentication
    severity: low
`

// normalizeCatalogue is the builtin catalogue with normalizeTestEntries
// loaded from a user file.
func normalizeCatalogue(t *testing.T) *Catalogue {
	t.Helper()
	path := filepath.Join(t.TempDir(), "catalogue.yaml")
	if err := os.WriteFile(path, []byte(normalizeTestEntries), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := LoadCatalogue(path)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// normalized decodes line and normalises it against c.
func normalized(t *testing.T, c *Catalogue, line string) *Event {
	t.Helper()
	ev := mustDecode(t, line)
	c.Normalize(ev)
	return ev
}

// eventOf returns a native event line of the given type with extra
// top-level members (JSON text without braces, may be empty).
func eventOf(typ, members string) string {
	if members != "" {
		members = "," + members
	}
	return `{"timestamp":"2025-01-15T14:30:00Z","event_type":"` + typ + `"` + members + `}`
}

func TestNormalizeCategoryFromCatalogue(t *testing.T) {
	c := BuiltinCatalogue()
	cases := []struct{ typ, want string }{
		{"login.failed", "authentication"},
		{"login.success", "authentication"},
		{"member.role_changed", "team"},
		{"app_record_shared", "sharing"},
		{"LOGIN.FAILED", "authentication"}, // lookups ignore case
	}
	for _, tc := range cases {
		t.Run(tc.typ, func(t *testing.T) {
			if ev := normalized(t, c, eventOf(tc.typ, "")); ev.Category != tc.want {
				t.Errorf("category of %s = %q, want %q", tc.typ, ev.Category, tc.want)
			}
		})
	}
}

func TestNormalizeUnknownType(t *testing.T) {
	ev := normalized(t, normalizeCatalogue(t), eventOf("vigiltest.never_heard_of", ""))
	cases := []struct{ field, got, want string }{
		{"category is other", ev.Category, Other},
		{"severity is info", ev.Severity, "info"},
		{"outcome is unknown", ev.Outcome, "unknown"},
		{"message stays empty", ev.Message, ""},
		{"source stays empty", ev.Source, ""},
	}
	for _, tc := range cases {
		t.Run(tc.field, func(t *testing.T) {
			if tc.got != tc.want {
				t.Errorf("got %q, want %q", tc.got, tc.want)
			}
		})
	}
}

func TestNormalizeSeverityFromCatalogue(t *testing.T) {
	c := normalizeCatalogue(t)
	cases := []struct{ name, typ, want string }{
		{"entry's severity", "vigiltest.widget_synced", "high"},
		{"entry without a severity is info", "vigiltest.bare", "info"},
		{"unknown type is info", "vigiltest.never_heard_of", "info"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if ev := normalized(t, c, eventOf(tc.typ, "")); ev.Severity != tc.want {
				t.Errorf("severity of %s = %q, want %q", tc.typ, ev.Severity, tc.want)
			}
		})
	}
}

func TestNormalizeKeepsValidGivenValues(t *testing.T) {
	c := normalizeCatalogue(t)
	cases := []struct {
		name    string
		members string
		field   func(*Event) string
		want    string
	}{
		{"category", `"category":"security"`, func(e *Event) string { return e.Category }, "security"},
		{"category in other case", `"category":"Audit"`, func(e *Event) string { return e.Category }, "audit"},
		{"category other", `"category":"other"`, func(e *Event) string { return e.Category }, "other"},
		{"severity", `"severity":"critical"`, func(e *Event) string { return e.Severity }, "critical"},
		{"severity lower than the catalogue's", `"severity":"info"`, func(e *Event) string { return e.Severity }, "info"},
		{"outcome contradicting the catalogue", `"outcome":"failure"`, func(e *Event) string { return e.Outcome }, "failure"},
		{"outcome unknown", `"outcome":"unknown"`, func(e *Event) string { return e.Outcome }, "unknown"},
		{"source", `"source":"acme-shipper"`, func(e *Event) string { return e.Source }, "acme-shipper"},
		{"component", `"component":"hub"`, func(e *Event) string { return e.Component }, "hub"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ev := normalized(t, c, eventOf("vigiltest.widget_synced", tc.members))
			if got := tc.field(ev); got != tc.want {
				t.Errorf("{%s}: got %q, want %q", tc.members, got, tc.want)
			}
		})
	}
}

func TestNormalizeReplacesInvalidValues(t *testing.T) {
	c := normalizeCatalogue(t)
	cases := []struct {
		name    string
		typ     string
		members string
		field   func(*Event) string
		want    string
	}{
		{"category not in the list", "vigiltest.widget_synced", `"category":"bogus"`, func(e *Event) string { return e.Category }, "configuration"},
		{"category not in the list, unknown type", "vigiltest.never_heard_of", `"category":"bogus"`, func(e *Event) string { return e.Category }, Other},
		{"category as a number", "vigiltest.widget_synced", `"category":7`, func(e *Event) string { return e.Category }, "configuration"},
		{"severity not in the list", "vigiltest.widget_synced", `"severity":"urgent"`, func(e *Event) string { return e.Severity }, "high"},
		{"severity not in the list, unknown type", "vigiltest.never_heard_of", `"severity":"urgent"`, func(e *Event) string { return e.Severity }, "info"},
		{"outcome not a known spelling", "vigiltest.widget_synced", `"outcome":"maybe"`, func(e *Event) string { return e.Outcome }, "success"},
		{"outcome not a known spelling, failing name", "vigiltest.access_denied", `"outcome":"maybe"`, func(e *Event) string { return e.Outcome }, "failure"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ev := normalized(t, c, eventOf(tc.typ, tc.members))
			if got := tc.field(ev); got != tc.want {
				t.Errorf("%s {%s}: got %q, want %q", tc.typ, tc.members, got, tc.want)
			}
		})
	}
}

func TestNormalizeOutcomeSpellings(t *testing.T) {
	c := normalizeCatalogue(t)
	cases := []struct{ given, want string }{
		{"success", "success"},
		{"Succeeded", "success"},
		{"SUCCESSFUL", "success"},
		{"ok", "success"},
		{"allowed", "success"},
		{"passed", "success"},
		{"true", "success"},
		{"failure", "failure"},
		{"failed", "failure"},
		{"Failed", "failure"},
		{"fail", "failure"},
		{"denied", "failure"},
		{"DENY", "failure"},
		{"blocked", "failure"},
		{"rejected", "failure"},
		{"error", "failure"},
		{"false", "failure"},
		{" failed ", "failure"},
	}
	// An unknown type with a neutral name: the outcome can only come from the
	// spelling. Both decoded events and events built in code are normalised.
	for _, tc := range cases {
		t.Run("decoded "+tc.given, func(t *testing.T) {
			ev := normalized(t, c, eventOf("vigiltest.thing", `"outcome":"`+tc.given+`"`))
			if ev.Outcome != tc.want {
				t.Errorf("outcome %q normalised to %q, want %q", tc.given, ev.Outcome, tc.want)
			}
		})
		t.Run("built "+tc.given, func(t *testing.T) {
			ev := &Event{Type: "vigiltest.thing", Outcome: tc.given}
			c.Normalize(ev)
			if ev.Outcome != tc.want {
				t.Errorf("outcome %q normalised to %q, want %q", tc.given, ev.Outcome, tc.want)
			}
		})
	}
}

func TestNormalizeOutcomeFromTypeName(t *testing.T) {
	c := normalizeCatalogue(t) // login.failed has no outcome in it
	cases := []struct{ typ, want string }{
		{"login.failed", "failure"},
		{"vigiltest.access_denied", "failure"},
		{"vigiltest.request_blocked", "failure"},
		{"vigiltest.token_rejected", "failure"},
		{"vigiltest.sync_error", "failure"},
		{"Vigiltest Login Failure", "failure"},
		{"vigiltest.login_success", "success"},
		{"vigiltest.push_succeeded", "success"},
		{"vigiltest.bare", "unknown"},
		{"vigiltest.thing", "unknown"},
	}
	for _, tc := range cases {
		t.Run(tc.typ, func(t *testing.T) {
			if ev := normalized(t, c, eventOf(tc.typ, "")); ev.Outcome != tc.want {
				t.Errorf("outcome of %s = %q, want %q", tc.typ, ev.Outcome, tc.want)
			}
		})
	}
}

func TestNormalizeOutcomeFromCatalogueBeatsTypeName(t *testing.T) {
	ev := normalized(t, normalizeCatalogue(t), eventOf("vigiltest.widget_synced", ""))
	if ev.Outcome != "success" {
		t.Errorf("outcome = %q, want the catalogue's success", ev.Outcome)
	}
}

func TestNormalizeMessageFromTemplate(t *testing.T) {
	c := normalizeCatalogue(t)
	cases := []struct {
		name    string
		typ     string
		members string
		want    string
	}{
		{
			name:    "every placeholder from details",
			typ:     "app_record_shared",
			members: `"details":{"username":"alice@corp.example","secret_uid":"rec-1","app_uid":"app-9"}`,
			want:    "User alice@corp.example shared record UID rec-1 with KSM application app-9",
		},
		{
			name:    "username falls back to the actor's email",
			typ:     "app_record_shared",
			members: `"actor":{"id":"u1","email":"bob@corp.example","name":"Bob"},"details":{"secret_uid":"rec-1","app_uid":"app-9"}`,
			want:    "User bob@corp.example shared record UID rec-1 with KSM application app-9",
		},
		{
			name:    "username falls back to the actor's name",
			typ:     "app_record_shared",
			members: `"actor":"Bob","details":{"secret_uid":"rec-1","app_uid":"app-9"}`,
			want:    "User Bob shared record UID rec-1 with KSM application app-9",
		},
		{
			name:    "username falls back to the actor's id",
			typ:     "app_record_shared",
			members: `"actor":{"id":"u1"},"details":{"secret_uid":"rec-1","app_uid":"app-9"}`,
			want:    "User u1 shared record UID rec-1 with KSM application app-9",
		},
		{
			name:    "username in details beats the actor",
			typ:     "app_record_shared",
			members: `"actor":"bob@corp.example","details":{"username":"alice@corp.example","secret_uid":"rec-1","app_uid":"app-9"}`,
			want:    "User alice@corp.example shared record UID rec-1 with KSM application app-9",
		},
		{
			name:    "numbers rendered exactly",
			typ:     "app_record_shared",
			members: `"actor":"bob@corp.example","details":{"secret_uid":12345678901234567890,"app_uid":1.50}`,
			want:    "User bob@corp.example shared record UID 12345678901234567890 with KSM application 1.50",
		},
		{
			name:    "placeholder with no value stays visible",
			typ:     "app_record_shared",
			members: `"actor":"bob@corp.example","details":{"secret_uid":"rec-1"}`,
			want:    "User bob@corp.example shared record UID rec-1 with KSM application ${app_uid}",
		},
		{
			name:    "no values at all leaves every placeholder",
			typ:     "app_record_shared",
			members: ``,
			want:    "User ${username} shared record UID ${secret_uid} with KSM application ${app_uid}",
		},
		{
			name:    "empty detail is no value",
			typ:     "app_record_shared",
			members: `"actor":"bob@corp.example","details":{"secret_uid":"","app_uid":"app-9"}`,
			want:    "User bob@corp.example shared record UID ${secret_uid} with KSM application app-9",
		},
		{
			name:    "device_ip falls back to the context ip",
			typ:     "vigiltest.widget_synced",
			members: `"actor":"carol@corp.example","details":{"widget":"w1"},"context":{"ip":"10.0.0.1:8080"}`,
			want:    "Widget w1 synced by carol@corp.example from 10.0.0.1",
		},
		{
			name:    "value from an unknown top-level key",
			typ:     "vigiltest.widget_synced",
			members: `"widget":"w2","actor":"carol@corp.example","context":{"ip":"2001:db8::1"}`,
			want:    "Widget w2 synced by carol@corp.example from 2001:db8::1",
		},
		{
			name:    "value from a target free key",
			typ:     "vigiltest.widget_synced",
			members: `"target":{"widget":"w3"},"actor":"carol@corp.example","context":{"ip":"10.0.0.2"}`,
			want:    "Widget w3 synced by carol@corp.example from 10.0.0.2",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ev := normalized(t, c, eventOf(tc.typ, tc.members))
			if ev.Message != tc.want {
				t.Errorf("message\n got: %s\nwant: %s", ev.Message, tc.want)
			}
		})
	}
}

func TestNormalizeKeepsGivenMessage(t *testing.T) {
	c := normalizeCatalogue(t)
	for _, typ := range []string{"app_record_shared", "vigiltest.widget_synced", "vigiltest.never_heard_of"} {
		t.Run(typ, func(t *testing.T) {
			ev := normalized(t, c, eventOf(typ, `"message":"Written by the product","details":{"username":"u","secret_uid":"s","app_uid":"a","widget":"w"}`))
			if ev.Message != "Written by the product" {
				t.Errorf("message = %q, want the given one", ev.Message)
			}
		})
	}
}

func TestNormalizeSource(t *testing.T) {
	c := normalizeCatalogue(t)
	cases := []struct{ name, typ, members, want string }{
		{"filled from the catalogue when missing", "vigiltest.widget_synced", ``, "vigiltest"},
		{"given source kept", "vigiltest.widget_synced", `"source":"acme-shipper"`, "acme-shipper"},
		{"entry without a source leaves it empty", "vigiltest.bare", ``, ""},
		{"unknown type leaves it empty", "vigiltest.never_heard_of", ``, ""},
		{"builtin Keeper type is keeper", "app_record_shared", ``, "keeper"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if ev := normalized(t, c, eventOf(tc.typ, tc.members)); ev.Source != tc.want {
				t.Errorf("source = %q, want %q", ev.Source, tc.want)
			}
		})
	}
}

func TestNormalizeIsIdempotent(t *testing.T) {
	c := normalizeCatalogue(t)
	ev := normalized(t, c, eventOf("app_record_shared", `"actor":"bob@corp.example","details":{"secret_uid":"rec-1"}`))
	before := *ev
	c.Normalize(ev)
	if ev.Category != before.Category || ev.Severity != before.Severity || ev.Outcome != before.Outcome ||
		ev.Message != before.Message || ev.Source != before.Source {
		t.Errorf("second Normalize changed the event:\n got %+v\nwant %+v", ev, &before)
	}
}
