package event

import (
	"encoding/json"
	"strings"
)

// Normalize fills what the event did not say from the catalogue: category,
// severity, outcome and a message rendered from the entry's template. Values
// the event gave are kept when they are valid; an invalid category, severity
// or outcome is replaced by the derived one (the raw bytes still hold what
// was sent).
func (c *Catalogue) Normalize(ev *Event) {
	entry, known := c.Lookup(ev.Type)

	if !isCategory(ev.Category) {
		ev.Category = Other
		if known {
			ev.Category = entry.Category
		}
	}
	if SeverityRank(ev.Severity) < 0 {
		ev.Severity = "info"
		if known && entry.Severity != "" {
			ev.Severity = entry.Severity
		}
	}
	if !isOutcome(ev.Outcome) {
		ev.Outcome = normalizeOutcome(ev.Outcome)
	}
	if ev.Outcome == "" {
		switch {
		case known && entry.Outcome != "":
			ev.Outcome = entry.Outcome
		default:
			ev.Outcome = outcomeFromType(ev.Type)
		}
	}
	if ev.Message == "" && known && entry.Template != "" {
		ev.Message = Render(entry.Template, ev)
	}
	if ev.Source == "" && known {
		ev.Source = entry.Source
	}
}

// normalizeOutcome maps the spellings products use to success or failure;
// anything else becomes "" so that the outcome is derived instead.
func normalizeOutcome(s string) string {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "success", "succeeded", "successful", "ok", "true", "allowed", "allow", "pass", "passed":
		return "success"
	case "failure", "failed", "fail", "error", "false", "denied", "deny", "blocked", "rejected":
		return "failure"
	}
	return ""
}

// outcomeFromType derives the outcome when it is obvious from the action's
// name (login.failed, Access denied ...), else "unknown".
func outcomeFromType(t string) string {
	l := strings.ToLower(t)
	for _, w := range []string{"fail", "denied", "blocked", "rejected", "error"} {
		if strings.Contains(l, w) {
			return "failure"
		}
	}
	for _, w := range []string{"success", "succeeded"} {
		if strings.Contains(l, w) {
			return "success"
		}
	}
	return "unknown"
}

// Render fills the ${name} placeholders of a catalogue template from the
// event. A name is looked up in details, then in unknown top-level keys, then
// in context and target free keys; "username" falls back to the actor, and
// "device_ip" to the context IP. A placeholder with no value stays as written,
// so the gap is visible.
func Render(template string, ev *Event) string {
	var b strings.Builder
	rest := template
	for {
		i := strings.Index(rest, "${")
		if i < 0 {
			b.WriteString(rest)
			break
		}
		j := strings.IndexByte(rest[i:], '}')
		if j < 0 {
			b.WriteString(rest)
			break
		}
		name := rest[i+2 : i+j]
		b.WriteString(rest[:i])
		if v, ok := lookupVar(ev, name); ok {
			b.WriteString(v)
		} else {
			b.WriteString(rest[i : i+j+1])
		}
		rest = rest[i+j+1:]
	}
	return b.String()
}

func lookupVar(ev *Event, name string) (string, bool) {
	if v, ok := ev.Details[name]; ok {
		if s, ok := scalarString(v); ok && s != "" {
			return s, true
		}
	}
	if raw, ok := ev.Extra[name]; ok {
		var v any
		if json.Unmarshal(raw, &v) == nil {
			if s, ok := scalarString(v); ok && s != "" {
				return s, true
			}
		}
	}
	for _, m := range []map[string]any{ev.Context.Extra, ev.Target.Extra} {
		if v, ok := m[name]; ok {
			if s, ok := scalarString(v); ok && s != "" {
				return s, true
			}
		}
	}
	switch name {
	case "username", "user", "email":
		if l := ev.Actor.Label(); l != "" {
			return l, true
		}
	case "device_ip", "ip":
		if ev.Context.IP != "" {
			return ev.Context.IP, true
		}
	case "device_name", "device":
		if ev.Context.Device != "" {
			return ev.Context.Device, true
		}
	}
	return "", false
}
