package alerts

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/vigil-dev/vigil/event"
)

// Alert is one firing of a rule. Every time in it is event time, but
// FiredAt, the wall-clock time it was stored at.
type Alert struct {
	// ID is derived from Rule, Group and TriggerSeq, so that evaluating
	// the same events again gives the same id (and the store drops the
	// repeat).
	ID       string `json:"id"`
	Rule     string `json:"rule"`
	Title    string `json:"title,omitempty"`
	Type     string `json:"type,omitempty"`
	Severity string `json:"severity"`
	// Group holds the values of the rule's group_by fields.
	Group map[string]string `json:"group"`
	// Field and Value are, for a new_value rule, the field and the value
	// seen for the first time.
	Field string `json:"field,omitempty"`
	Value string `json:"value,omitempty"`
	// Count is the number of events in Seqs.
	Count int `json:"count"`
	// Window is the rule's threshold window or new_value history ("10m",
	// "30d"), empty for rules without one.
	Window string `json:"window,omitempty"`
	// TriggerSeq is the event that fired the alert; Seqs are the events it
	// is about (for a threshold, those in the window), ascending.
	TriggerSeq uint64   `json:"trigger_seq"`
	Seqs       []uint64 `json:"seqs"`
	// Time is the trigger event's time; First and Last the earliest and
	// latest times of the events in Seqs.
	Time    time.Time `json:"time"`
	First   time.Time `json:"first"`
	Last    time.Time `json:"last"`
	FiredAt time.Time `json:"fired_at,omitzero"`
}

// alertID is "alt_" and 24 hex digits of SHA-256 over the rule, the group
// values in group_by order and the trigger seq.
func alertID(rule string, groupValues []string, trigger uint64) string {
	h := sha256.New()
	h.Write([]byte(rule))
	for _, v := range groupValues {
		h.Write([]byte{0})
		h.Write([]byte(v))
	}
	h.Write([]byte{0})
	h.Write([]byte(strconv.FormatUint(trigger, 10)))
	return "alt_" + hex.EncodeToString(h.Sum(nil)[:12])
}

// Query returns a query that finds the alert's events: seq:A OR seq:B ...
func (a *Alert) Query() string {
	parts := make([]string, len(a.Seqs))
	for i, s := range a.Seqs {
		parts[i] = "seq:" + strconv.FormatUint(s, 10)
	}
	return strings.Join(parts, " OR ")
}

// GroupText writes the group as "user=bob@example.com ip=10.0.0.1", keys
// sorted, values as they are (hostile: pass it through event.Safe before
// showing it on a terminal).
func (a *Alert) GroupText() string {
	keys := make([]string, 0, len(a.Group))
	for k := range a.Group {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var b strings.Builder
	for i, k := range keys {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(k)
		b.WriteByte('=')
		b.WriteString(a.Group[k])
	}
	return b.String()
}

// Summary is one line saying what happened, safe to show on a terminal.
func (a *Alert) Summary() string {
	var b strings.Builder
	b.WriteString("[" + a.Severity + "] " + a.Rule + ": ")
	switch {
	case a.Value != "":
		fmt.Fprintf(&b, "new %s %q (not seen in %s)", a.Field, a.Value, a.Window)
	case a.Window != "":
		fmt.Fprintf(&b, "%d events in %s", a.Count, a.Window)
	default:
		fmt.Fprintf(&b, "%d event", a.Count)
		if a.Count != 1 {
			b.WriteString("s")
		}
	}
	if g := a.GroupText(); g != "" {
		b.WriteString(" for " + g)
	}
	return event.Safe(b.String())
}

// Text is the body of a notification: what, who, when, and how to see the
// events; safe to show on a terminal.
func (a *Alert) Text() string {
	var b strings.Builder
	title := a.Title
	if title == "" {
		title = a.Rule
	}
	fmt.Fprintf(&b, "%s (%s)\n", event.Safe(title), a.Severity)
	fmt.Fprintf(&b, "rule:     %s\n", event.Safe(a.Rule))
	if g := a.GroupText(); g != "" {
		fmt.Fprintf(&b, "group:    %s\n", event.Safe(g))
	}
	if a.Value != "" {
		fmt.Fprintf(&b, "new %s: %s (not seen in %s)\n", event.Safe(a.Field), event.Safe(a.Value), a.Window)
	}
	fmt.Fprintf(&b, "events:   %d", a.Count)
	if a.Window != "" && a.Value == "" {
		fmt.Fprintf(&b, " within %s", a.Window)
	}
	b.WriteString("\n")
	fmt.Fprintf(&b, "time:     %s", a.First.UTC().Format(time.RFC3339))
	if !a.Last.Equal(a.First) {
		fmt.Fprintf(&b, " to %s", a.Last.UTC().Format(time.RFC3339))
	}
	b.WriteString("\n")
	q := a.Query()
	if len(q) > 400 {
		q = fmt.Sprintf("seq:[%d TO %d]", a.Seqs[0], a.Seqs[len(a.Seqs)-1])
	}
	fmt.Fprintf(&b, "query:    vigil query '%s'\n", q)
	fmt.Fprintf(&b, "alert id: %s\n", a.ID)
	return b.String()
}
