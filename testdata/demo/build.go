package demo

import "strconv"

// spec is everything that decides the bytes of one event. Building is a pure
// function of the spec, the event id and the generated world, so planted
// events can be built up front and ordinary ones on demand.
type spec struct {
	t      int64 // Unix milliseconds
	form   uint8 // timestamp form
	typ    int16
	user   int32 // the acting person; for device types, whose working day it follows
	target int32 // target person; -1: chosen by the builder where the type has one
	dev    int32 // KSM device; -1: chosen by the builder
	ip     int32 // -1: one of the actor's usual addresses
	fail   bool  // Enpass login events: a failed attempt
	object bool  // actor always as an object, never the plain-string form
	r      uint64
	ua     string // user agent instead of the actor's usual one
	det    []kv   // details instead of the builder's own
	msg    string // message (hostile events only: vigil derives messages)
	name   string // actor name instead of the user's own
	noSess bool   // no session_id in the context
}

var systemActor = map[string]string{
	srcZenovay: `{"id":"system","name":"Zenovay Security","type":"system"}`,
	srcInsight: `{"id":"system","name":"Insight Platform","type":"system"}`,
	srcKeeper:  `{"id":"system","name":"Keeper","type":"system"}`,
	srcEnpass:  `{"id":"system","name":"Enpass Hub","type":"system"}`,
}

// build appends the JSON of one event to b.
func (g *Generator) build(b []byte, sp *spec, id uint64) []byte {
	et := &types[sp.typ]
	r := rng{s: sp.r}
	w := jw{b: b}
	w.begin()
	w.key("event_id")
	w.b = append(w.b, `"evt_`...)
	w.b = appendHex64(w.b, id)
	w.b = append(w.b, '"')
	u := &g.users[sp.user]
	w.key("timestamp")
	w.b = appendTimestamp(w.b, sp.t, sp.form, u.city.off)
	w.b = append(w.b, ',')
	w.b = append(w.b, et.head...)

	dev := sp.dev
	switch et.actor {
	case actUser:
		switch {
		case sp.name != "":
			w.obj("actor")
			w.str("id", u.id)
			w.str("email", u.email)
			w.str("name", sp.name)
			w.str("role", u.role)
			w.end()
		case !sp.object && r.chance(0.02):
			w.raw("actor", u.emailJSON)
		default:
			w.raw("actor", u.actorJSON)
		}
	case actDevice:
		if dev < 0 {
			dev = int32(r.n(len(g.devices)))
		}
		w.raw("actor", g.devices[dev].actorJSON)
	default:
		w.raw("actor", systemActor[et.source])
	}

	if sp.det != nil {
		if sp.target >= 0 {
			w.raw("target", g.users[sp.target].targetJSON)
		}
		w.obj("details")
		w.kvs(sp.det)
		w.end()
	} else {
		g.body(&w, sp, &r, et, u, dev)
	}

	switch et.actor {
	case actUser:
		w.obj("context")
		if sp.ip < 0 {
			k := 0
			if n := len(u.ctx); n > 1 && r.chance(0.35) {
				k = 1 + r.n(n-1)
			}
			w.b = append(w.b, u.ctx[k]...)
			w.first = false
		} else {
			w.str("ip", g.ips[sp.ip].addr)
			w.str("location", g.ips[sp.ip].city.location())
		}
		p := &platforms[u.plat]
		switch {
		case sp.ua != "":
			w.str("user_agent", sp.ua)
		case et.comp == "api":
			w.raw("user_agent", apiUAsJSON[int(mix(uint64(sp.user))%uint64(len(apiUAs)))])
		case et.source == srcEnpass && et.comp == "app":
			w.raw("user_agent", p.enpassJSON)
		default:
			w.raw("user_agent", p.uaJSON)
		}
		// A user agent of its own means a device that is not the actor's
		// usual one, with a session of its own.
		if sp.ua == "" && (et.login || sp.typ == tLoginFailed || sp.typ == tLogout) {
			w.str("device", p.device)
		}
		if !sp.noSess && sp.typ != tLoginFailed && et.comp != "api" {
			sess := mix(g.seed, 8, sp.r)
			if sp.ua == "" {
				// One session per person and local day.
				day := floorDiv(sp.t+int64(u.city.off)*minMS, dayMS)
				sess = mix(g.seed, 7, uint64(sp.user), uint64(day))
			}
			w.key("session_id")
			w.b = append(w.b, `"sess_`...)
			w.b = append(w.b, hex(sess, 16)...)
			w.b = append(w.b, '"')
		}
		w.end()
	case actDevice:
		d := &g.devices[dev]
		ip := d.ip
		if sp.ip >= 0 {
			ip = sp.ip
		}
		w.obj("context")
		w.str("ip", g.ips[ip].addr)
		w.str("user_agent", d.ua)
		w.str("location", g.ips[ip].city.location())
		w.str("device", d.name)
		w.end()
	default:
		// The product itself: the address the finding is about, if any.
		if sp.ip >= 0 {
			w.obj("context")
			w.str("ip", g.ips[sp.ip].addr)
			w.str("location", g.ips[sp.ip].city.location())
			w.end()
		}
	}
	if sp.msg != "" {
		w.str("message", sp.msg)
	}
	w.end()
	return w.b
}

// otherUser returns the spec's target, or a person other than the actor.
func (g *Generator) otherUser(sp *spec, r *rng) int32 {
	if sp.target >= 0 {
		return sp.target
	}
	t := int32(r.n(len(g.users) - 1))
	if t >= sp.user {
		t++
	}
	return t
}

var (
	loginMethods    = []string{"password", "password", "sso", "sso", "passkey"}
	failReasons     = []string{"invalid_password", "invalid_password", "invalid_password", "mfa_failed", "expired_password"}
	mfaMethods      = []string{"totp", "totp", "webauthn", "sms"}
	exportKinds     = []string{"contacts", "events", "sessions", "goals", "visitors", "audit_log"}
	exportFormats   = []string{"csv", "csv", "json", "xlsx"}
	resourceTypes   = []string{"dashboard", "report", "website", "funnel", "segment", "contact_list"}
	filters         = []string{"last_7d", "last_30d", "country=US", "source=organic", "device=mobile", "campaign=spring_launch", "", "plan=enterprise"}
	reportTypes     = []string{"user_access", "login_activity", "permission_changes", "data_access", "admin_actions", "soc2"}
	reportParams    = []string{"period=last_30d", "period=last_7d", "period=2025-Q1", "team=all", "format=pdf"}
	endpoints       = []string{"/v1/events", "/v1/websites", "/v1/reports", "/v1/goals", "/v1/visitors", "/v1/members", "/v1/exports", "/v2/analytics/query"}
	httpMethods     = []string{"GET", "GET", "GET", "GET", "POST", "PUT", "DELETE"}
	siteNames       = []string{"Marketing site", "Docs portal", "Customer dashboard", "Careers page", "Status page", "Partner portal", "Blog"}
	siteDomains     = []string{"www.northwind.example", "docs.northwind.example", "app.bluepeak.example", "careers.ferrox-labs.example", "status.quillon.example", "partners.bluepeak.example", "blog.northwind.example"}
	goalNames       = []string{"Trial signup", "Demo request", "Newsletter signup", "Checkout completed", "Pricing page visit"}
	goalTypes       = []string{"pageview", "event", "revenue"}
	integrations    = []string{"slack", "jira", "splunk", "datadog", "pagerduty", "github", "salesforce"}
	ssoProviders    = []string{"okta", "azure_ad", "google_workspace", "onelogin"}
	policyTypes     = []string{"password", "session", "mfa", "data_retention"}
	products        = []string{"InsightIDR", "InsightVM", "InsightAppSec", "InsightConnect", "InsightCloudSec"}
	customers       = []string{"Northwind Traders", "Northwind EMEA", "Bluepeak Analytics", "Ferrox Labs", "Quillon Group"}
	contactTypes    = []string{"security", "billing", "technical", "executive"}
	idps            = []string{"Okta", "Azure AD", "Google Workspace", "PingOne"}
	vaultNames      = []string{"Primary", "Engineering", "Finance", "Marketing", "Shared Ops", "Personal", "Customer Success"}
	itemNames       = []string{"AWS root", "GitHub deploy key", "Office Wi-Fi", "Stripe dashboard", "VPN", "Figma", "Salesforce", "Jira service account"}
	groupNames      = []string{"Engineering", "Finance", "Sales", "Support", "Security", "Contractors"}
	browsers        = []string{"Chrome", "Firefox", "Edge", "Safari", "Brave"}
	offboardReasons = []string{"offboarding", "contract_ended", "duplicate_account", "role_eliminated"}
	permChanges     = []string{"+reports:export", "-billing:read", "+websites:write", "+members:invite", "-api_keys:manage", "+goals:write"}
)

// settingChanges are realistic (setting, old, new) triples.
var settingChanges = [][3]string{
	{"timezone", "UTC", "Europe/Berlin"},
	{"session_timeout_minutes", "60", "30"},
	{"default_dashboard", "overview", "realtime"},
	{"email_digest", "daily", "weekly"},
	{"data_retention_days", "365", "730"},
	{"theme", "light", "dark"},
	{"bot_filtering", "false", "true"},
	{"ip_anonymization", "false", "true"},
	{"currency", "USD", "EUR"},
	{"weekly_report_recipients", "1", "3"},
}

var ordinaryRoles = []string{roleViewer, roleEditor, roleBilling}

// body writes the target and details of an event from its type.
func (g *Generator) body(w *jw, sp *spec, r *rng, et *etype, u *user, dev int32) {
	target := func() *user {
		t := g.otherUser(sp, r)
		w.raw("target", g.users[t].targetJSON)
		return &g.users[t]
	}
	keeperUser := func(folder bool) (string, string) {
		uid := g.secrets[r.n(len(g.secrets))]
		kind := "record"
		if folder {
			kind = "folder"
		}
		w.obj("target")
		w.str("uid", uid)
		w.str("type", kind)
		w.end()
		app := &g.apps[r.n(len(g.apps))]
		w.obj("details")
		w.str("username", u.email)
		w.str("secret_uid", uid)
		w.str("app_uid", app.uid)
		w.str("app_name", app.name)
		return uid, app.uid
	}
	activity := func(acts ...string) {
		w.obj("details")
		w.str("activity", pick(r, acts))
	}

	switch et.name {
	case "login.success":
		w.obj("details")
		w.str("method", pick(r, loginMethods))
		w.bool("mfa", r.chance(0.85))
	case "login.failed":
		w.obj("details")
		w.str("reason", pick(r, failReasons))
		w.int("attempts", int64(1+r.n(2)))
	case "logout":
		w.obj("details")
		w.int("session_duration", int64(r.between(120, 9*3600)))
	case "mfa.enrolled":
		w.obj("details")
		w.str("method", pick(r, mfaMethods))
	case "mfa.challenge":
		w.obj("details")
		w.str("method", pick(r, mfaMethods))
		res := "success"
		if r.chance(0.04) {
			res = "failure"
		}
		w.str("result", res)
	case "password.changed":
		if u.privileged() && r.chance(0.4) {
			target()
			w.obj("details")
			w.str("changed_by", "admin")
		} else {
			w.obj("details")
			w.str("changed_by", "self")
		}
	case "session.expired":
		w.obj("details")
		w.int("duration", int64(r.between(900, 12*3600)))
		w.str("reason", pick(r, []string{"idle_timeout", "idle_timeout", "max_age"}))
	case "member.invited":
		t := target()
		w.obj("details")
		w.str("role", pick(r, ordinaryRoles))
		w.str("inviter", u.email)
		_ = t
	case "member.joined":
		w.obj("details")
		w.str("method", pick(r, []string{"invite_link", "sso", "scim"}))
	case "member.removed":
		target()
		w.obj("details")
		w.str("reason", pick(r, offboardReasons))
		w.str("remover", u.email)
	case "member.role_changed":
		t := target()
		from := t.role
		if from != roleViewer && from != roleEditor && from != roleBilling {
			from = roleViewer
		}
		to := pick(r, ordinaryRoles)
		for to == from {
			to = pick(r, ordinaryRoles)
		}
		w.obj("details")
		w.str("from_role", from)
		w.str("to_role", to)
		w.str("changer", u.email)
	case "member.permissions_changed":
		target()
		w.obj("details")
		w.str("changes", pick(r, permChanges))
		w.str("changer", u.email)
	case "data.exported":
		w.obj("details")
		w.str("type", pick(r, exportKinds))
		w.str("format", pick(r, exportFormats))
		w.int("rows", int64(r.between(12, 4800)))
		w.str("date_range", dateString(sp.t-int64(r.between(7, 90))*dayMS)+"/"+dateString(sp.t))
	case "data.accessed":
		rt := pick(r, resourceTypes)
		w.obj("target")
		w.str("type", rt)
		w.str("id", rt[:3]+"_"+strconv.Itoa(1000+r.n(9000)))
		w.end()
		w.obj("details")
		w.str("resource_type", rt)
		if f := pick(r, filters); f != "" {
			w.str("filter", f)
		}
	case "report.generated":
		w.obj("details")
		w.str("report_type", pick(r, reportTypes))
		w.str("parameters", pick(r, reportParams))
	case "api.accessed":
		w.obj("details")
		w.str("key", u.apiKey)
		w.str("endpoint", pick(r, endpoints))
		w.str("method", pick(r, httpMethods))
		code := int64(200)
		switch x := r.n(100); {
		case x < 4:
			code = 201
		case x < 6:
			code = 404
		case x < 7:
			code = 429
		case x < 8:
			code = 401
		}
		w.int("response_code", code)
		w.int("duration_ms", int64(8+r.n(400)))
	case "website.created":
		k := r.n(len(siteNames))
		w.obj("details")
		w.str("name", siteNames[k])
		w.str("domain", siteDomains[k])
		w.str("creator", u.email)
	case "website.deleted":
		w.obj("details")
		w.str("name", pick(r, siteNames))
		w.str("deleter", u.email)
		w.str("reason", pick(r, []string{"decommissioned", "duplicate", "migrated"}))
	case "goal.created":
		w.obj("details")
		w.str("name", pick(r, goalNames))
		w.str("type", pick(r, goalTypes))
		w.str("creator", u.email)
	case "settings.changed":
		s := settingChanges[r.n(len(settingChanges))]
		w.obj("details")
		w.str("setting", s[0])
		w.str("old_value", s[1])
		w.str("new_value", s[2])
	case "integration.connected":
		w.obj("details")
		w.str("type", pick(r, integrations))
		w.str("configurer", u.email)
	case "sso.configured":
		w.obj("details")
		w.str("provider", pick(r, ssoProviders))
		w.str("configurer", u.email)
	case "policy.changed":
		w.obj("details")
		w.str("policy_type", pick(r, policyTypes))
		w.str("changes", pick(r, []string{"min_length 12 -> 14", "session max_age 24h -> 12h", "mfa required for all members", "retention 365d -> 730d"}))
	case "ip_restriction.updated":
		w.obj("details")
		w.strs("added", []string{"198.51.100.0/24"})
		w.strs("removed", []string{"192.0.2.0/28"})

	case "API_KEY_CREATED", "API_KEY_DELETED":
		w.obj("details")
		w.str("key_name", pick(r, []string{"ci-deploy", "siem-export", "terraform", "grafana", "backup-job"}))
		w.str("key_id", "ak_"+hex(r.next(), 12))
		w.str("scope", pick(r, []string{"organization", "user"}))
	case "API_KEY_MOVED", "ORGANIZATION_MOVED", "USER_SWITCHED_CUSTOMER":
		w.obj("details")
		a := r.n(len(customers))
		w.str("from_customer", customers[a])
		w.str("to_customer", customers[(a+1+r.n(len(customers)-1))%len(customers)])
	case "USER_MOVED", "USER_CUSTOMER_MOVED":
		target()
		w.obj("details")
		a := r.n(len(customers))
		w.str("from_customer", customers[a])
		w.str("to_customer", customers[(a+1)%len(customers)])
	case "EIDP_ENABLED", "EIDP_DISABLED", "EIDP_UPDATED", "EIDP_DELETED":
		w.obj("details")
		w.str("idp", pick(r, idps))
		w.str("idp_id", "idp_"+hex(r.next(), 8))
	case "EIDP_X509_CERT_UPLOADED":
		w.obj("details")
		w.str("idp", pick(r, idps))
		w.str("fingerprint", "SHA256:"+hex(r.next(), 16)+hex(r.next(), 16))
		w.str("expires", dateString(sp.t+int64(365+r.n(365))*dayMS))
	case "JIT_PROFILE_UPDATED":
		w.obj("details")
		w.str("idp", pick(r, idps))
		w.str("default_role", pick(r, []string{roleViewer, roleEditor}))
	case "KEY_CONTACT_ADDED", "KEY_CONTACT_REMOVED":
		target()
		w.obj("details")
		w.str("contact_type", pick(r, contactTypes))
	case "MFA_UPDATED":
		w.obj("details")
		w.bool("mfa_required", true)
		w.str("methods", pick(r, []string{"totp,webauthn", "totp", "webauthn"}))
	case "ORG_NAME_UPDATED", "CUSTOMER_NAME_UPDATED":
		a := r.n(len(customers))
		w.obj("details")
		w.str("old_name", customers[a])
		w.str("new_name", customers[a]+" Inc.")
	case "CUSTOMER_MERGED":
		w.obj("details")
		w.str("merged_customer", customers[1])
		w.str("into_customer", customers[0])
	case "PASSWORD_POLICY_UPDATED":
		w.obj("details")
		w.str("setting", "min_length")
		w.str("old_value", "12")
		w.str("new_value", "14")
	case "ORG_PRODUCT_CREATED", "PRODUCT_TRIAL_EVENT":
		w.obj("details")
		w.str("product", pick(r, products))
		if et.name == "PRODUCT_TRIAL_EVENT" {
			w.int("trial_days", 30)
		}
	case "USER_ACCOUNT_RESET", "USER_DELETED", "USER_MFA_RESET", "USER_ACTIVATION_RESENT":
		target()
		w.obj("details")
	case "USER_CREATED":
		target()
		w.obj("details")
		w.str("role", pick(r, ordinaryRoles))
	case "USER_UPDATED":
		w.obj("details")
		w.str("fields", pick(r, []string{"first_name", "last_name", "job_title", "phone", "locale"}))
	case "USER_ACTIVATED", "USER_CHANGED_PASSWORD", "USER_CHANGED_SECURITY_QUESTION", "USER_FORGOTTEN_PASSWORD", "USER_LOGOUT":
		w.obj("details")
	case "USER_ROLE_SET":
		t := target()
		w.obj("details")
		role := pick(r, ordinaryRoles)
		if role == t.role {
			role = roleViewer
			if t.role == roleViewer {
				role = roleEditor
			}
		}
		w.str("role", role)
	case "USER_TO_ORG_PRODUCT_CREATED", "USER_TO_ORG_PRODUCT_DELETED":
		target()
		w.obj("details")
		w.str("product", pick(r, products))
	case "USER_TO_PRODUCT_NAVIGATION":
		w.obj("details")
		w.str("product", pick(r, products))
	case "AUDIT_LOG_OPT_IN", "AUDIT_LOG_OPT_OUT":
		w.obj("details")
		w.str("region", pick(r, []string{"us", "eu", "ca", "ap"}))

	case "app_record_shared", "app_record_removed":
		keeperUser(false)
	case "app_folder_shared", "app_folder_removed":
		keeperUser(true)
	case "app_record_share_changed", "app_folder_share_changed":
		keeperUser(et.name == "app_folder_share_changed")
		w.bool("can_edit", r.chance(0.5))
	case "app_client_added", "app_client_removed":
		d := &g.devices[r.n(len(g.devices))]
		w.obj("details")
		w.str("username", u.email)
		w.str("device_name", d.name)
		w.str("app_uid", g.apps[d.app].uid)
		w.str("app_name", g.apps[d.app].name)
	case "app_client_connected", "app_client_access":
		d := &g.devices[dev]
		w.obj("details")
		w.str("device_name", d.name)
		w.str("app_uid", g.apps[d.app].uid)
		w.str("app_name", g.apps[d.app].name)
	case "app_client_record_update":
		d := &g.devices[dev]
		uid := g.secrets[r.n(len(g.secrets))]
		w.obj("target")
		w.str("uid", uid)
		w.str("type", "record")
		w.end()
		w.obj("details")
		w.str("device_name", d.name)
		w.str("secret_uid", uid)
		w.str("app_uid", g.apps[d.app].uid)
	case "Access denied from blocked IP":
		d := &g.devices[dev]
		uid := g.secrets[r.n(len(g.secrets))]
		w.obj("target")
		w.str("uid", uid)
		w.str("type", "record")
		w.end()
		w.obj("details")
		w.str("device_name", d.name)
		w.str("secret_uid", uid)
		w.str("device_ip", g.ips[sp.ip].addr)
		w.str("app_uid", g.apps[d.app].uid)

	case "brute_force.detected":
		// Always planted: the planner gives the details.
		w.obj("details")
	case "suspicious.activity":
		w.obj("details")

	case "New Device Registered":
		w.obj("details")
		w.str("activity", "device_registered")
		w.str("device", platforms[u.plat].device)
	case "MFA Changes":
		activity("mfa_enabled", "mfa_updated", "mfa_reset")
		w.str("method", pick(r, mfaMethods))
	case "Admin Password Changes":
		activity("admin_password_added", "admin_password_changed", "admin_password_reset")
	case "Admin Permissions Updated":
		target()
		activity("scopes_updated", "permissions_updated")
		w.str("scopes", pick(r, []string{"users:write", "vaults:read", "policies:write", "reports:read"}))
	case "Public Key Changes":
		activity("public_key_detected", "public_key_resolved", "public_key_added")
	case "Master Password Changed":
		activity("master_password_changed")
	case "Authentication Methods Added":
		activity("pin_added", "biometric_added")
		w.str("method", pick(r, []string{"PIN", "Touch ID", "Face ID", "Windows Hello", "Fingerprint"}))
	case "Device Deprovisioned":
		target()
		activity("device_deprovisioned")
		w.str("device", pick(r, platforms).device)
	case "Business Admin Console Login Events", "Application Login Events":
		w.obj("details")
		switch {
		case !sp.fail:
			w.str("activity", "login_success")
		case et.name == "Application Login Events" && r.chance(0.2):
			w.str("activity", "multiple_unlock_failures")
		case r.chance(0.25):
			w.str("activity", "mfa_failed")
		default:
			w.str("activity", "login_failed")
		}
	case "Vault Management":
		activity("vault_created", "vault_removed", "vault_renamed")
		w.str("vault", pick(r, vaultNames))
	case "Vault Data Handling":
		activity("vault_exported", "vault_printed", "vault_imported")
		w.str("vault", pick(r, vaultNames))
		w.int("items", int64(r.between(3, 240)))
	case "Vault Security":
		activity("vault_password_changed", "vault_password_revealed", "locked_vault_removed")
		w.str("vault", pick(r, vaultNames))
	case "Vault Synchronization & Backup":
		w.obj("details")
		switch x := r.n(10); {
		case x < 7:
			w.str("activity", "vault_backed_up")
		case x < 9:
			w.str("activity", "sync_failed")
			w.str("error", pick(r, []string{"network timeout", "conflict on server", "storage quota exceeded"}))
		default:
			w.str("activity", "keyfile_exported")
		}
		w.str("vault", pick(r, vaultNames))
	case "Item Sharing":
		t := target()
		activity("item_shared_email", "item_shared_clipboard", "shared_item_added")
		w.str("item", pick(r, itemNames))
		w.str("recipient", t.email)
	case "Vault Sharing":
		target()
		w.obj("details")
		w.str("vault", pick(r, vaultNames))
		w.int("recipients", int64(1+r.n(6)))
	case "Shared Vault Management":
		activity("shared_vault_created")
		w.str("vault", pick(r, vaultNames))
	case "Shared Vault Permissions":
		target()
		w.obj("details")
		w.str("vault", pick(r, vaultNames))
		w.str("permission", pick(r, []string{"read_only", "read_write", "manage"}))
	case "Shared Vault Access Control":
		target()
		activity("access_revoked")
		w.str("vault", pick(r, vaultNames))
	case "Account Recovery Management":
		target()
		activity("recovery_initiated", "recovery_approved", "recovery_declined", "recovery_expired", "recovery_link_revoked", "recovery_link_expired")
	case "Master Password Recovery":
		activity("account_recovered")
	case "Recovery Request Issues":
		activity("recovery_request_failed")
		w.str("reason", pick(r, []string{"hub_unreachable", "no_recovery_admin", "public_key_mismatch"}))
	case "User Management":
		target()
		activity("user_created", "user_removed", "user_activated", "user_deactivated", "user_email_updated")
	case "Group Management":
		activity("group_created", "group_deleted", "group_modified", "user_added_to_group", "user_removed_from_group")
		w.str("group", pick(r, groupNames))
	case "Administrator & Policy Management":
		activity("admin_assigned", "admin_permissions_changed", "policy_updated", "branding_updated")
	case "Authentication & Security":
		activity("sso_configured", "sso_enabled", "sso_enforced", "scim_token_generated")
		w.str("provider", pick(r, ssoProviders))
	case "Hub & Recovery Management":
		activity("hub_integrated", "ssl_settings_updated", "recovery_admin_added")
	case "Password Policies":
		activity("password_policy_created", "password_policy_modified")
		w.int("min_length", int64(12+2*r.n(3)))
	case "Browser & Security Configurations":
		activity("browser_linked", "browser_linked", "ssl_validation_failed")
		w.str("browser", pick(r, browsers))
	case "Application Settings & Proxy":
		activity("settings_modified", "proxy_modified")
	case "Data & Backup Management":
		activity("storage_location_changed", "backup_settings_changed", "log_files_deleted")
	case "Account & Vault Updates":
		activity("personal_vault_added")
		w.str("vault", pick(r, vaultNames))
	case "System & Device Changes":
		activity("incorrect_system_time", "all_data_erased")
	default:
		w.obj("details")
	}
	w.end()
}
