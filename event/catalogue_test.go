package event

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// seedEvents reads ../testdata/seed-events.txt: every event type the seed
// documents name, grouped by "# NNN source" comment lines.
func seedEvents(t *testing.T) map[string][]string {
	t.Helper()
	f, err := os.Open(filepath.Join("..", "testdata", "seed-events.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	group := regexp.MustCompile(`^#\s*(\d{3})\s+(\w+)\s*$`)
	bySource := map[string][]string{}
	source := ""
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if m := group.FindStringSubmatch(line); m != nil {
			source = m[2]
			continue
		}
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if source == "" {
			t.Fatalf("seed-events.txt: %q comes before any \"# NNN source\" line", line)
		}
		bySource[source] = append(bySource[source], line)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return bySource
}

// TestCatalogueSeedEvents checks that every event the seeds name is known
// exactly (not only through a wildcard), with a real category and a
// description, and comes from the seed's product.
func TestCatalogueSeedEvents(t *testing.T) {
	c := BuiltinCatalogue()
	bySource := seedEvents(t)
	want := map[string]int{"enpass": 33, "insight": 39, "zenovay": 26, "keeper": 12}
	for source, n := range want {
		if got := len(bySource[source]); got != n {
			t.Errorf("seed-events.txt lists %d %s events, want %d", got, source, n)
		}
	}
	for source, types := range bySource {
		for _, typ := range types {
			e, ok := c.Lookup(typ)
			switch {
			case !ok:
				t.Errorf("%s: %q is not in the catalogue", source, typ)
				continue
			case e.Type != typ:
				t.Errorf("%s: %q resolves to %q, want an exact entry", source, typ, e.Type)
			}
			if e.Category == Other || !isCategory(e.Category) {
				t.Errorf("%s: %q has category %q", source, typ, e.Category)
			}
			if strings.TrimSpace(e.Description) == "" {
				t.Errorf("%s: %q has no description", source, typ)
			}
			if SeverityRank(e.Severity) < 0 {
				t.Errorf("%s: %q has severity %q", source, typ, e.Severity)
			}
			if e.Source != source {
				t.Errorf("%q has source %q, want %q", typ, e.Source, source)
			}
			if source == "keeper" && e.Template == "" {
				t.Errorf("keeper: %q has no template", typ)
			}
		}
	}
}

// TestCatalogueBuiltinFile checks the embedded file itself: no type twice,
// every entry complete, every category but other used.
func TestCatalogueBuiltinFile(t *testing.T) {
	var f catalogueFile
	dec := yaml.NewDecoder(strings.NewReader(string(builtinCatalogue)))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	used := map[string]bool{}
	for i, e := range f.Events {
		key := strings.ToLower(e.Type)
		if j, dup := seen[key]; dup {
			t.Errorf("entry %d (%q) repeats entry %d", i+1, e.Type, j)
		}
		seen[key] = i + 1
		used[e.Category] = true
		if e.Severity == "" || e.Description == "" || e.Source == "" {
			t.Errorf("entry %d (%q): severity, description and source are all required in the builtin catalogue", i+1, e.Type)
		}
		if e.Type != strings.TrimSpace(e.Type) {
			t.Errorf("entry %d (%q): type has surrounding spaces", i+1, e.Type)
		}
	}
	for _, cat := range Categories {
		if cat != Other && !used[cat] {
			t.Errorf("no builtin entry has category %q", cat)
		}
	}
	if got := len(BuiltinCatalogue().Entries()); got != len(f.Events) {
		t.Errorf("BuiltinCatalogue has %d entries, the file %d", got, len(f.Events))
	}
}

// TestCatalogueJudgements pins the decisions analysts rely on: category,
// severity and outcome of the events that matter most.
func TestCatalogueJudgements(t *testing.T) {
	c := BuiltinCatalogue()
	tests := []struct {
		typ, category, severity, outcome string
	}{
		{"login.success", "authentication", "info", "success"},
		{"login.failed", "authentication", "low", "failure"},
		{"logout", "authentication", "info", ""},
		{"mfa.challenge", "authentication", "info", ""},
		{"member.role_changed", "team", "medium", ""},
		{"data.exported", "data", "medium", ""},
		{"api.accessed", "data", "info", ""},
		{"settings.changed", "configuration", "low", ""},
		{"sso.configured", "security", "high", ""},
		{"brute_force.detected", "security", "high", ""},
		{"suspicious.activity", "security", "high", ""},
		{"API_KEY_CREATED", "api", "medium", ""},
		{"EIDP_DISABLED", "security", "high", ""},
		{"MFA_UPDATED", "security", "medium", ""},
		{"USER_CREATED", "users", "low", ""},
		{"USER_DELETED", "users", "medium", ""},
		{"USER_LOGOUT", "authentication", "info", ""},
		{"USER_ROLE_SET", "team", "medium", ""},
		{"ORG_NAME_UPDATED", "configuration", "low", ""},
		{"PASSWORD_POLICY_UPDATED", "configuration", "medium", ""},
		{"AUDIT_LOG_OPT_IN", "audit", "info", ""},
		{"AUDIT_LOG_OPT_OUT", "audit", "high", ""},
		{"app_record_shared", "sharing", "medium", ""},
		{"app_client_added", "api", "medium", ""},
		{"Access denied from blocked IP", "security", "high", "failure"},
		{"Application Login Events", "authentication", "low", ""},
		{"Business Admin Console Login Events", "authentication", "low", ""},
		{"New Device Registered", "users", "low", ""},
		{"Master Password Changed", "users", "low", ""},
		{"Vault Management", "vaults", "low", ""},
		{"Vault Data Handling", "data", "medium", ""},
		{"Item Sharing", "sharing", "low", ""},
		{"Account Recovery Management", "recovery", "medium", ""},
		{"Recovery Request Issues", "recovery", "low", "failure"},
		{"Group Management", "team", "low", ""},
		{"Authentication & Security", "security", "high", ""},
		{"Password Policies", "configuration", "medium", ""},
		{"Application Settings & Proxy", "configuration", "low", ""},
		{"audit.integrity_failed", "audit", "critical", ""},
	}
	for _, tc := range tests {
		e, ok := c.Lookup(tc.typ)
		if !ok {
			t.Errorf("%q: not found", tc.typ)
			continue
		}
		if e.Category != tc.category || e.Severity != tc.severity || e.Outcome != tc.outcome {
			t.Errorf("%q: category %q, severity %q, outcome %q; want %q, %q, %q",
				tc.typ, e.Category, e.Severity, e.Outcome, tc.category, tc.severity, tc.outcome)
		}
	}
}

func TestCatalogueLookupIgnoresCase(t *testing.T) {
	c := BuiltinCatalogue()
	tests := []struct{ in, want string }{
		{"LOGIN.FAILED", "login.failed"},
		{"Login.Success", "login.success"},
		{"user_created", "USER_CREATED"},
		{"Audit_Log_Opt_Out", "AUDIT_LOG_OPT_OUT"},
		{"APP_RECORD_SHARED", "app_record_shared"},
		{"vault management", "Vault Management"},
		{"BROWSER & SECURITY CONFIGURATIONS", "Browser & Security Configurations"},
		{"access DENIED from blocked ip", "Access denied from blocked IP"},
		{"MFA.NEW_METHOD", "mfa.*"},
		{"user_something_new", "USER_*"},
	}
	for _, tc := range tests {
		e, ok := c.Lookup(tc.in)
		if !ok || e.Type != tc.want {
			t.Errorf("Lookup(%q) = %q, %v; want %q", tc.in, e.Type, ok, tc.want)
		}
	}
}

func TestCatalogueWildcards(t *testing.T) {
	t.Run("builtin", func(t *testing.T) {
		c := BuiltinCatalogue()
		tests := []struct{ in, want string }{
			{"mfa.enrolled", "mfa.enrolled"}, // exact beats mfa.*
			{"mfa.webauthn_added", "mfa.*"},
			{"login.locked", "login.*"},
			{"member.suspended", "member.*"},
			{"USER_ROLE_REMOVED", "USER_ROLE_*"}, // longest wildcard beats USER_*
			{"USER_TO_ORG_PRODUCT_UPDATED", "USER_TO_ORG_PRODUCT_*"},
			{"USER_LOCKED", "USER_*"},
			{"EIDP_CERT_EXPIRED", "EIDP_*"},
			{"app_client_revoked", "app_client_*"},
			{"app_record_expired", "app_record_*"},
			{"AUDIT_LOG_RETENTION_SET", "AUDIT_LOG_*"},
		}
		for _, tc := range tests {
			e, ok := c.Lookup(tc.in)
			if !ok || e.Type != tc.want {
				t.Errorf("Lookup(%q) = %q, %v; want %q", tc.in, e.Type, ok, tc.want)
			}
		}
		for _, in := range []string{"", "unknown.event", "mfa", "login", "Vault", "app_", "sso"} {
			if e, ok := c.Lookup(in); ok {
				t.Errorf("Lookup(%q) = %q, want not found", in, e.Type)
			}
		}
	})
	t.Run("precedence", func(t *testing.T) {
		c, err := ReadCatalogue(strings.NewReader(`
events:
  - {type: "zz.*", category: data, description: short}
  - {type: "zz.b.c", category: users, description: exact}
  - {type: "zz.b.*", category: team, description: long}
  - {type: "ZZ.B.C.*", category: api, description: longest}
`), "precedence")
		if err != nil {
			t.Fatal(err)
		}
		tests := []struct{ in, want string }{
			{"zz.b.c", "exact"},
			{"ZZ.B.C", "exact"},
			{"zz.b.c.d", "longest"},
			{"zz.b.cd", "long"},
			{"zz.b.", "long"},
			{"zz.x", "short"},
			{"zz.", "short"},
		}
		for _, tc := range tests {
			e, ok := c.Lookup(tc.in)
			if !ok || e.Description != tc.want {
				t.Errorf("Lookup(%q) = %q, %v; want the %q entry", tc.in, e.Description, ok, tc.want)
			}
		}
		if e, ok := c.Lookup("zz"); ok {
			t.Errorf("Lookup(%q) = %q, want not found", "zz", e.Type)
		}
	})
	t.Run("override", func(t *testing.T) {
		c, err := ReadCatalogue(strings.NewReader("events:\n  - {type: \"MFA.*\", category: security, severity: high, description: mine}\n"), "override")
		if err != nil {
			t.Fatal(err)
		}
		e, ok := c.Lookup("mfa.webauthn_added")
		if !ok || e.Description != "mine" || e.Category != "security" {
			t.Errorf("user wildcard did not replace the builtin one: %+v", e)
		}
		if n := countType(c.Entries(), "mfa.*"); n != 1 {
			t.Errorf("%d mfa.* entries, want 1", n)
		}
	})
}

func countType(entries []Entry, typ string) int {
	n := 0
	for _, e := range entries {
		if strings.EqualFold(e.Type, typ) {
			n++
		}
	}
	return n
}

func TestLoadCatalogue(t *testing.T) {
	dir := t.TempDir()
	builtin := BuiltinCatalogue()

	t.Run("missing file gives the builtin", func(t *testing.T) {
		for _, path := range []string{"", filepath.Join(dir, "absent.yaml")} {
			c, err := LoadCatalogue(path)
			if err != nil {
				t.Fatalf("LoadCatalogue(%q): %v", path, err)
			}
			if !reflect.DeepEqual(c.Entries(), builtin.Entries()) {
				t.Errorf("LoadCatalogue(%q) differs from the builtin catalogue", path)
			}
		}
	})

	t.Run("empty file gives the builtin", func(t *testing.T) {
		for name, content := range map[string]string{
			"empty.yaml":    "",
			"comments.yaml": "# nothing yet\n",
			"no-list.yaml":  "events:\n",
		} {
			path := filepath.Join(dir, name)
			if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
				t.Fatal(err)
			}
			c, err := LoadCatalogue(path)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if !reflect.DeepEqual(c.Entries(), builtin.Entries()) {
				t.Errorf("%s: differs from the builtin catalogue", name)
			}
		}
	})

	t.Run("override and add", func(t *testing.T) {
		path := filepath.Join(dir, "catalogue.yaml")
		err := os.WriteFile(path, []byte(`# site additions
events:
  - type: LOGIN.FAILED
    category: security
    severity: medium
    outcome: failure
    description: Failed sign-in; we treat every one as a security event.
    source: site
  - type: vpn.connected
    category: authentication
    severity: info
    outcome: success
    description: A VPN session was opened.
    template: 'VPN session for ${username} from ${ip}'
    source: site
`), 0o644)
		if err != nil {
			t.Fatal(err)
		}
		c, err := LoadCatalogue(path)
		if err != nil {
			t.Fatal(err)
		}
		tests := []struct {
			typ  string
			want Entry
		}{
			{"login.failed", Entry{Type: "LOGIN.FAILED", Category: "security", Severity: "medium", Outcome: "failure",
				Description: "Failed sign-in; we treat every one as a security event.", Source: "site"}},
			{"VPN.Connected", Entry{Type: "vpn.connected", Category: "authentication", Severity: "info", Outcome: "success",
				Description: "A VPN session was opened.", Template: "VPN session for ${username} from ${ip}", Source: "site"}},
		}
		for _, tc := range tests {
			got, ok := c.Lookup(tc.typ)
			if !ok || got != tc.want {
				t.Errorf("Lookup(%q) = %+v, %v; want %+v", tc.typ, got, ok, tc.want)
			}
		}
		if n, want := len(c.Entries()), len(builtin.Entries())+1; n != want {
			t.Errorf("%d entries, want %d (the builtin ones, one replaced, one added)", n, want)
		}
		if e, _ := c.Lookup("login.success"); e.Source != "zenovay" {
			t.Errorf("login.success lost: %+v", e)
		}
		// The builtin catalogue is not changed by loading a user file.
		if e, _ := BuiltinCatalogue().Lookup("login.failed"); e.Category != "authentication" || e.Severity != "low" {
			t.Errorf("builtin login.failed changed: %+v", e)
		}
		if _, ok := BuiltinCatalogue().Lookup("vpn.connected"); ok {
			t.Error("builtin catalogue gained vpn.connected")
		}
	})
}

func TestLoadCatalogueErrors(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name    string
		content string
		want    []string // all must appear in the error
	}{
		{
			name: "bad category",
			content: `events:
  - {type: a.ok, category: data}
  - {type: a.bad, category: bogus}
`,
			want: []string{"entry 2", `"a.bad"`, "category", `"bogus"`},
		},
		{
			name:    "bad severity",
			content: "events:\n  - {type: a.bad, category: data, severity: urgent}\n",
			want:    []string{"entry 1", `"a.bad"`, "severity", `"urgent"`},
		},
		{
			name:    "bad outcome",
			content: "events:\n  - {type: a.bad, category: data, outcome: maybe}\n",
			want:    []string{"entry 1", "outcome", `"maybe"`},
		},
		{
			name: "empty type",
			content: `events:
  - {type: a.one, category: data}
  - {type: a.two, category: data}
  - {type: "  ", category: data}
`,
			want: []string{"entry 3", "type", "empty"},
		},
		{
			name:    "missing type",
			content: "events:\n  - {category: data}\n",
			want:    []string{"entry 1", "type", "empty"},
		},
		{
			name:    "missing category",
			content: "events:\n  - {type: a.b}\n",
			want:    []string{"entry 1", "category", `""`},
		},
		{
			name:    "invalid YAML",
			content: "events:\n  - type: [unclosed\n",
			want:    []string{"parse catalogue", "line"},
		},
		{
			name:    "misspelt key",
			content: "events:\n  - {type: a.b, category: data, severty: high}\n",
			want:    []string{"line 2", "severty"},
		},
		{
			name:    "events not a list",
			content: "events: login.failed\n",
			want:    []string{"parse catalogue"},
		},
		{
			name:    "misspelt events",
			content: "event:\n  - {type: a.b, category: data}\n",
			want:    []string{"line 1", "event"},
		},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(dir, fmt.Sprintf("bad-%d.yaml", i))
			if err := os.WriteFile(path, []byte(tc.content), 0o644); err != nil {
				t.Fatal(err)
			}
			c, err := LoadCatalogue(path)
			if err == nil {
				t.Fatalf("LoadCatalogue accepted %q (%d entries)", tc.content, len(c.Entries()))
			}
			msg := err.Error()
			for _, w := range append([]string{path}, tc.want...) {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q does not mention %q", msg, w)
				}
			}
			// The same through ReadCatalogue, named by its caller.
			if _, err := ReadCatalogue(strings.NewReader(tc.content), "stdin-catalogue"); err == nil || !strings.Contains(err.Error(), "stdin-catalogue") {
				t.Errorf("ReadCatalogue: error %v does not name the input", err)
			}
		})
	}

	t.Run("unreadable path", func(t *testing.T) {
		_, err := LoadCatalogue(dir) // a directory
		if err == nil || !strings.Contains(err.Error(), dir) {
			t.Errorf("LoadCatalogue(directory) = %v, want an error naming it", err)
		}
		if errors.Is(err, os.ErrNotExist) {
			t.Errorf("a directory is not a missing file: %v", err)
		}
	})
}

// placeholder is a well-formed template placeholder: ${snake_case_name}.
var placeholder = regexp.MustCompile(`\$\{[a-z][a-z0-9_]*\}`)

// templateProblem returns why a template is malformed, or "". Every "$",
// "{" and "}" must belong to a well-formed placeholder.
func templateProblem(tpl string) string {
	rest := placeholder.ReplaceAllString(tpl, "")
	if i := strings.IndexAny(rest, "${}"); i >= 0 {
		return fmt.Sprintf("stray %q in %q", rest[i], rest)
	}
	return ""
}

func TestCatalogueTemplates(t *testing.T) {
	// The check itself.
	for _, tc := range []struct {
		tpl string
		ok  bool
	}{
		{"", true},
		{"no placeholders", true},
		{"User ${username} shared ${secret_uid}", true},
		{"${a}${b_2}", true},
		{"User ${username", false},
		{"User $username", false},
		{"User ${}", false},
		{"User ${user name}", false},
		{"User ${User}", false},
		{"User ${${x}}", false},
		{"cost $5", false},
		{"brace }", false},
	} {
		if got := templateProblem(tc.tpl) == ""; got != tc.ok {
			t.Errorf("templateProblem(%q) ok = %v, want %v", tc.tpl, got, tc.ok)
		}
	}

	n := 0
	for _, e := range BuiltinCatalogue().Entries() {
		if e.Template == "" {
			continue
		}
		n++
		if p := templateProblem(e.Template); p != "" {
			t.Errorf("%q: template %s", e.Type, p)
		}
		if !placeholder.MatchString(e.Template) {
			t.Errorf("%q: template %q has no placeholder", e.Type, e.Template)
		}
	}
	if n < 12 {
		t.Errorf("%d templates, want at least the 12 of Keeper", n)
	}
	// Keeper's templates, exactly as its documentation gives them.
	c := BuiltinCatalogue()
	for typ, want := range map[string]string{
		"app_record_shared":             "User ${username} shared record UID ${secret_uid} with KSM application ${app_uid}",
		"app_client_record_update":      "KSM device ${device_name} has updated record UID ${secret_uid}",
		"Access denied from blocked IP": "Access denied to record UID ${secret_uid} from device with blocked IP address ${device_ip}",
	} {
		if e, _ := c.Lookup(typ); e.Template != want {
			t.Errorf("%q: template %q, want %q", typ, e.Template, want)
		}
	}
}
