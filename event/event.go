// Package event owns vigil's event: the canonical type of event-format.md,
// decoding of the native JSON shape, normalisation against the category
// catalogue, and the safe rendering of hostile strings for terminals.
//
// It knows nothing of storage or user interfaces: the store keeps the bytes
// an event arrived as and the fields this package derived from them, and every
// reader rebuilds the Event with Decode and the stored derived fields.
package event

import (
	"encoding/json"
	"time"
)

// Categories lists every category an event can belong to, in the order of
// event-format.md. Other is the category of anything the catalogue does not
// know.
var Categories = []string{
	"authentication", "users", "team", "data", "vaults", "sharing",
	"recovery", "configuration", "security", "api", "audit", Other,
}

// Other is the category of event types the catalogue does not know.
const Other = "other"

// Severities lists the severities from lowest to highest rank.
var Severities = []string{"info", "low", "medium", "high", "critical"}

// Outcomes lists the outcomes an event can have.
var Outcomes = []string{"success", "failure", "unknown"}

// Party is the actor or the target of an event. Free keys of a target (uid,
// kind, ...) are kept in Extra.
type Party struct {
	ID    string         `json:"id,omitempty"`
	Email string         `json:"email,omitempty"`
	Name  string         `json:"name,omitempty"`
	Role  string         `json:"role,omitempty"`
	Type  string         `json:"type,omitempty"`
	Extra map[string]any `json:"-"`
}

// Label is what an analyst reads as "who": the email, else the name, else the id.
func (p Party) Label() string {
	switch {
	case p.Email != "":
		return p.Email
	case p.Name != "":
		return p.Name
	default:
		return p.ID
	}
}

// IsZero reports whether the party carries nothing at all.
func (p Party) IsZero() bool {
	return p.ID == "" && p.Email == "" && p.Name == "" && p.Role == "" && p.Type == "" && len(p.Extra) == 0
}

// Context is where an event came from. Free keys are kept in Extra.
type Context struct {
	IP        string         `json:"ip,omitempty"`
	UserAgent string         `json:"user_agent,omitempty"`
	Location  string         `json:"location,omitempty"`
	Device    string         `json:"device,omitempty"`
	SessionID string         `json:"session_id,omitempty"`
	Extra     map[string]any `json:"-"`
}

// Event is one audit event, decoded and normalised.
//
// Numbers inside Details and the Extra maps are json.Number, so that no
// precision is lost between what was received and what is shown.
type Event struct {
	// Seq is the event's position in the store's chain; zero until stored.
	Seq uint64
	// Received is when the store accepted the event; zero until stored.
	Received time.Time

	ID        string    // event_id as given, or assigned by AssignID
	Time      time.Time // UTC, nanosecond precision
	Type      string    // event_type exactly as given
	Actor     Party
	Target    Party
	Details   map[string]any
	Context   Context
	Category  string
	Component string
	Source    string
	Severity  string
	Outcome   string
	Message   string
	// Extra holds unknown top-level keys, kept rather than dropped.
	Extra map[string]json.RawMessage

	// Format names the input format Raw is in: FormatNative, or an
	// importer's format (cloudtrail, k8s, ...).
	Format string
	// Raw is the exact bytes the event was received as.
	Raw []byte
	// jsonRaw is the slice Decode parsed as JSON: while Raw is still that
	// very slice, encoding the record need not check it again.
	jsonRaw []byte
}

// rawIsJSON reports that Raw is the slice Decode parsed as JSON.
func (ev *Event) rawIsJSON() bool {
	return len(ev.Raw) > 0 && len(ev.Raw) == len(ev.jsonRaw) && &ev.Raw[0] == &ev.jsonRaw[0]
}

// SeverityRank returns the rank of a severity (info=0 ... critical=4), or -1
// for a value that is not a severity.
func SeverityRank(s string) int {
	for i, v := range Severities {
		if v == s {
			return i
		}
	}
	return -1
}

func isCategory(s string) bool {
	for _, c := range Categories {
		if c == s {
			return true
		}
	}
	return false
}
