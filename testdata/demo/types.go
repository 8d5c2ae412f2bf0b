package demo

// Who performs an event type.
const (
	actUser   = iota // a person
	actDevice        // a Keeper Secrets Manager client device
	actSystem        // the product itself
)

// Sources, as event-format.md names them.
const (
	srcZenovay = "zenovay"
	srcInsight = "insight"
	srcKeeper  = "keeper"
	srcEnpass  = "enpass"
)

// etype is one event type of the seed catalogues and how ordinary traffic
// uses it.
type etype struct {
	name   string
	source string
	comp   string
	w      float64 // weight in ordinary traffic; 0: only planted
	admin  bool    // performed by an admin or owner
	actor  int
	login  bool // a successful sign-in: never at night in ordinary traffic
	head   string
}

// types lists every event type named in the seed documents.
var types = []etype{
	// 003: enterprise audit logging (Zenovay), dotted names.
	{name: "login.success", source: srcZenovay, comp: "app", w: 20, login: true},
	{name: "login.failed", source: srcZenovay, comp: "app", w: 1.2},
	{name: "logout", source: srcZenovay, comp: "app", w: 6},
	{name: "mfa.enrolled", source: srcZenovay, comp: "app", w: 0.15},
	{name: "mfa.challenge", source: srcZenovay, comp: "app", w: 5},
	{name: "password.changed", source: srcZenovay, comp: "app", w: 0.3},
	{name: "session.expired", source: srcZenovay, comp: "app", w: 2},
	{name: "member.invited", source: srcZenovay, comp: "admin_console", w: 0.3, admin: true},
	{name: "member.joined", source: srcZenovay, comp: "app", w: 0.25},
	{name: "member.removed", source: srcZenovay, comp: "admin_console", w: 0.1, admin: true},
	{name: "member.role_changed", source: srcZenovay, comp: "admin_console", w: 0.2, admin: true},
	{name: "member.permissions_changed", source: srcZenovay, comp: "admin_console", w: 0.2, admin: true},
	{name: "data.exported", source: srcZenovay, comp: "app", w: 0.9},
	{name: "data.accessed", source: srcZenovay, comp: "app", w: 17},
	{name: "report.generated", source: srcZenovay, comp: "app", w: 2.5},
	{name: "api.accessed", source: srcZenovay, comp: "api", w: 11},
	{name: "website.created", source: srcZenovay, comp: "app", w: 0.05},
	{name: "website.deleted", source: srcZenovay, comp: "app", w: 0.03},
	{name: "goal.created", source: srcZenovay, comp: "app", w: 0.08},
	{name: "settings.changed", source: srcZenovay, comp: "app", w: 2.5},
	{name: "integration.connected", source: srcZenovay, comp: "admin_console", w: 0.06, admin: true},
	{name: "sso.configured", source: srcZenovay, comp: "admin_console", w: 0.01, admin: true},
	{name: "policy.changed", source: srcZenovay, comp: "admin_console", w: 0.04, admin: true},
	{name: "ip_restriction.updated", source: srcZenovay, comp: "admin_console", w: 0.02, admin: true},
	{name: "brute_force.detected", source: srcZenovay, comp: "app", actor: actSystem},
	{name: "suspicious.activity", source: srcZenovay, comp: "app", actor: actSystem},

	// 002: Insight platform, UPPER_CASE names.
	{name: "API_KEY_CREATED", source: srcInsight, comp: "admin_console", w: 0.05, admin: true},
	{name: "API_KEY_DELETED", source: srcInsight, comp: "admin_console", w: 0.03, admin: true},
	{name: "API_KEY_MOVED", source: srcInsight, comp: "admin_console", w: 0.003, admin: true},
	{name: "EIDP_ENABLED", source: srcInsight, comp: "admin_console", w: 0.003, admin: true},
	{name: "EIDP_DISABLED", source: srcInsight, comp: "admin_console", w: 0.002, admin: true},
	{name: "EIDP_X509_CERT_UPLOADED", source: srcInsight, comp: "admin_console", w: 0.004, admin: true},
	{name: "EIDP_UPDATED", source: srcInsight, comp: "admin_console", w: 0.008, admin: true},
	{name: "EIDP_DELETED", source: srcInsight, comp: "admin_console", w: 0.001, admin: true},
	{name: "JIT_PROFILE_UPDATED", source: srcInsight, comp: "admin_console", w: 0.005, admin: true},
	{name: "KEY_CONTACT_ADDED", source: srcInsight, comp: "admin_console", w: 0.01, admin: true},
	{name: "KEY_CONTACT_REMOVED", source: srcInsight, comp: "admin_console", w: 0.006, admin: true},
	{name: "MFA_UPDATED", source: srcInsight, comp: "admin_console", w: 0.01, admin: true},
	{name: "ORG_NAME_UPDATED", source: srcInsight, comp: "admin_console", w: 0.002, admin: true},
	{name: "ORGANIZATION_MOVED", source: srcInsight, comp: "admin_console", w: 0.001, admin: true},
	{name: "PASSWORD_POLICY_UPDATED", source: srcInsight, comp: "admin_console", w: 0.006, admin: true},
	{name: "ORG_PRODUCT_CREATED", source: srcInsight, comp: "admin_console", w: 0.004, admin: true},
	{name: "PRODUCT_TRIAL_EVENT", source: srcInsight, comp: "admin_console", w: 0.006, admin: true},
	{name: "USER_ACCOUNT_RESET", source: srcInsight, comp: "admin_console", w: 0.02, admin: true},
	{name: "USER_CREATED", source: srcInsight, comp: "admin_console", w: 0.08, admin: true},
	{name: "USER_DELETED", source: srcInsight, comp: "admin_console", w: 0.03, admin: true},
	{name: "USER_MFA_RESET", source: srcInsight, comp: "admin_console", w: 0.02, admin: true},
	{name: "USER_UPDATED", source: srcInsight, comp: "app", w: 0.25},
	{name: "USER_ACTIVATED", source: srcInsight, comp: "app", w: 0.06},
	{name: "USER_CHANGED_PASSWORD", source: srcInsight, comp: "app", w: 0.2},
	{name: "USER_CHANGED_SECURITY_QUESTION", source: srcInsight, comp: "app", w: 0.03},
	{name: "USER_ACTIVATION_RESENT", source: srcInsight, comp: "admin_console", w: 0.02, admin: true},
	{name: "USER_FORGOTTEN_PASSWORD", source: srcInsight, comp: "app", w: 0.15},
	{name: "USER_MOVED", source: srcInsight, comp: "admin_console", w: 0.003, admin: true},
	{name: "USER_LOGOUT", source: srcInsight, comp: "app", w: 2},
	{name: "USER_ROLE_SET", source: srcInsight, comp: "admin_console", w: 0.06, admin: true},
	{name: "USER_TO_ORG_PRODUCT_CREATED", source: srcInsight, comp: "admin_console", w: 0.05, admin: true},
	{name: "USER_TO_ORG_PRODUCT_DELETED", source: srcInsight, comp: "admin_console", w: 0.02, admin: true},
	{name: "USER_TO_PRODUCT_NAVIGATION", source: srcInsight, comp: "app", w: 3},
	{name: "USER_SWITCHED_CUSTOMER", source: srcInsight, comp: "app", w: 0.15},
	{name: "USER_CUSTOMER_MOVED", source: srcInsight, comp: "admin_console", w: 0.002, admin: true},
	{name: "CUSTOMER_NAME_UPDATED", source: srcInsight, comp: "admin_console", w: 0.001, admin: true},
	{name: "CUSTOMER_MERGED", source: srcInsight, comp: "admin_console", w: 0.001, admin: true},
	{name: "AUDIT_LOG_OPT_IN", source: srcInsight, comp: "admin_console", w: 0.001, admin: true},
	{name: "AUDIT_LOG_OPT_OUT", source: srcInsight, comp: "admin_console", w: 0.0005, admin: true},

	// 004: Keeper Secrets Manager.
	{name: "app_record_shared", source: srcKeeper, comp: "app", w: 0.25},
	{name: "app_folder_shared", source: srcKeeper, comp: "app", w: 0.08},
	{name: "app_record_removed", source: srcKeeper, comp: "app", w: 0.08},
	{name: "app_folder_removed", source: srcKeeper, comp: "app", w: 0.03},
	{name: "app_record_share_changed", source: srcKeeper, comp: "app", w: 0.05},
	{name: "app_folder_share_changed", source: srcKeeper, comp: "app", w: 0.02},
	{name: "app_client_added", source: srcKeeper, comp: "app", w: 0.03},
	{name: "app_client_removed", source: srcKeeper, comp: "app", w: 0.015},
	{name: "app_client_connected", source: srcKeeper, comp: "api", w: 0.03, actor: actDevice},
	{name: "app_client_access", source: srcKeeper, comp: "api", w: 3, actor: actDevice},
	{name: "app_client_record_update", source: srcKeeper, comp: "api", w: 0.3, actor: actDevice},
	{name: "Access denied from blocked IP", source: srcKeeper, comp: "api", w: 0.02, actor: actDevice},

	// 001: Enpass.
	{name: "New Device Registered", source: srcEnpass, comp: "hub", w: 0.2},
	{name: "MFA Changes", source: srcEnpass, comp: "admin_console", w: 0.1},
	{name: "Admin Password Changes", source: srcEnpass, comp: "admin_console", w: 0.02, admin: true},
	{name: "Admin Permissions Updated", source: srcEnpass, comp: "admin_console", w: 0.02, admin: true},
	{name: "Public Key Changes", source: srcEnpass, comp: "hub", w: 0.03},
	{name: "Master Password Changed", source: srcEnpass, comp: "app", w: 0.1},
	{name: "Authentication Methods Added", source: srcEnpass, comp: "app", w: 0.1},
	{name: "Device Deprovisioned", source: srcEnpass, comp: "hub", w: 0.04, admin: true},
	{name: "Business Admin Console Login Events", source: srcEnpass, comp: "admin_console", w: 0.6, admin: true, login: true},
	{name: "Application Login Events", source: srcEnpass, comp: "app", w: 4, login: true},
	{name: "Vault Management", source: srcEnpass, comp: "app", w: 0.15},
	{name: "Vault Data Handling", source: srcEnpass, comp: "app", w: 0.08},
	{name: "Vault Security", source: srcEnpass, comp: "app", w: 0.05},
	{name: "Vault Synchronization & Backup", source: srcEnpass, comp: "app", w: 1},
	{name: "Item Sharing", source: srcEnpass, comp: "app", w: 0.7},
	{name: "Vault Sharing", source: srcEnpass, comp: "app", w: 0.12},
	{name: "Shared Vault Management", source: srcEnpass, comp: "hub", w: 0.04},
	{name: "Shared Vault Permissions", source: srcEnpass, comp: "hub", w: 0.04},
	{name: "Shared Vault Access Control", source: srcEnpass, comp: "hub", w: 0.03},
	{name: "Account Recovery Management", source: srcEnpass, comp: "admin_console", w: 0.02, admin: true},
	{name: "Master Password Recovery", source: srcEnpass, comp: "app", w: 0.01},
	{name: "Recovery Request Issues", source: srcEnpass, comp: "app", w: 0.005},
	{name: "User Management", source: srcEnpass, comp: "admin_console", w: 0.08, admin: true},
	{name: "Group Management", source: srcEnpass, comp: "admin_console", w: 0.06, admin: true},
	{name: "Administrator & Policy Management", source: srcEnpass, comp: "admin_console", w: 0.02, admin: true},
	{name: "Authentication & Security", source: srcEnpass, comp: "admin_console", w: 0.01, admin: true},
	{name: "Hub & Recovery Management", source: srcEnpass, comp: "admin_console", w: 0.005, admin: true},
	{name: "Password Policies", source: srcEnpass, comp: "admin_console", w: 0.01, admin: true},
	{name: "Browser & Security Configurations", source: srcEnpass, comp: "app", w: 0.1},
	{name: "Application Settings & Proxy", source: srcEnpass, comp: "app", w: 0.1},
	{name: "Data & Backup Management", source: srcEnpass, comp: "app", w: 0.05},
	{name: "Account & Vault Updates", source: srcEnpass, comp: "app", w: 0.05},
	{name: "System & Device Changes", source: srcEnpass, comp: "app", w: 0.01},
}

// Indexes of the types the planner and the traffic rules refer to.
var (
	tLoginSuccess    = typeIndex("login.success")
	tLoginFailed     = typeIndex("login.failed")
	tLogout          = typeIndex("logout")
	tDataExported    = typeIndex("data.exported")
	tDataAccessed    = typeIndex("data.accessed")
	tAPIAccessed     = typeIndex("api.accessed")
	tRoleChanged     = typeIndex("member.role_changed")
	tMemberInvited   = typeIndex("member.invited")
	tReport          = typeIndex("report.generated")
	tSettings        = typeIndex("settings.changed")
	tGoal            = typeIndex("goal.created")
	tUserRoleSet     = typeIndex("USER_ROLE_SET")
	tUserUpdated     = typeIndex("USER_UPDATED")
	tBruteDetected   = typeIndex("brute_force.detected")
	tSuspicious      = typeIndex("suspicious.activity")
	tItemSharing     = typeIndex("Item Sharing")
	tAppRecordShared = typeIndex("app_record_shared")
	tVaultMgmt       = typeIndex("Vault Management")
)

func typeIndex(name string) int16 {
	for i := range types {
		if types[i].name == name {
			return int16(i)
		}
	}
	panic("demo: unknown event type " + name)
}

// SeedEventTypes returns every event type named in the seed documents, in
// catalogue order; with Events >= 5000 every one of them occurs.
func SeedEventTypes() []string {
	out := make([]string, len(types))
	for i := range types {
		out[i] = types[i].name
	}
	return out
}

func init() {
	for i := range types {
		t := &types[i]
		w := jw{first: true}
		w.str("event_type", t.name)
		w.str("source", t.source)
		w.str("component", t.comp)
		t.head = string(w.b)
	}
}
