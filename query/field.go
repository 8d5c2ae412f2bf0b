package query

import (
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/vigil-dev/vigil/event"
)

// Kind says how the values of a field are matched.
type Kind int

// The kinds of fields.
const (
	// KindKeyword values match whole and ignoring case; * and ? are
	// wildcards over the whole value. Emails, actions, roles, ids.
	KindKeyword Kind = iota
	// KindText values are searched by word (see Tokens): field:word is a
	// word of the value, field:"two words" a phrase, field:fail* a word
	// pattern. The message, location, user agent and device.
	KindText
	// KindTime is the event's timestamp: days, instants, relative times,
	// comparisons and ranges (see ParseTimeValue).
	KindTime
	// KindNumber is a whole number compared numerically: seq.
	KindNumber
	// KindSeverity is a keyword that also compares by rank:
	// info < low < medium < high < critical.
	KindSeverity
	// KindIP is the client address: an address, a CIDR block (v4 or v6) or
	// a wildcard pattern.
	KindIP
	// KindDetails is details.KEY: keyword matching of the value's text,
	// numeric comparisons and ranges when it is a JSON number.
	KindDetails
)

var kindNames = [...]string{"keyword", "text", "time", "number", "severity", "ip", "details"}

// String returns the kind's name: keyword, text, time, ...
func (k Kind) String() string {
	if k >= 0 && int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "Kind(" + strconv.Itoa(int(k)) + ")"
}

// Field describes a field of the query language, for completion and help.
type Field struct {
	// Name is the canonical name. The details entry is the prefix
	// "details.", to be followed by a key.
	Name    string
	Aliases []string
	Kind    Kind
	// Values is the closed set of values the field takes, when it has one
	// (category, severity, outcome), lowest rank first for severity.
	Values []string
	// Doc says what the field is, in a few words.
	Doc string
}

// DetailsPrefix starts the name of every field of the details object.
const DetailsPrefix = "details."

// fieldID names the fields internally, for a switch rather than string
// comparisons on the hot path.
type fieldID uint8

const (
	fTime fieldID = iota
	fAction
	fCategory
	fUser
	fActorEmail
	fActorID
	fActorName
	fActorType
	fRole
	fTarget
	fIP
	fLocation
	fUA
	fDevice
	fSession
	fComponent
	fSource
	fSeverity
	fOutcome
	fMessage
	fID
	fSeq
	fDetails
)

type fieldDef struct {
	id fieldID
	Field
}

// fieldDefs is the field table of event-format.md, in its order.
var fieldDefs = []fieldDef{
	{fTime, Field{Name: "time", Aliases: []string{"timestamp", "@timestamp"}, Kind: KindTime, Doc: "the event's timestamp"}},
	{fAction, Field{Name: "action", Aliases: []string{"event_type", "type"}, Kind: KindKeyword, Doc: "the event type, e.g. login.failed"}},
	{fCategory, Field{Name: "category", Kind: KindKeyword, Values: event.Categories, Doc: "the event's category"}},
	{fUser, Field{Name: "user", Aliases: []string{"actor"}, Kind: KindKeyword, Doc: "the actor's email, id or name"}},
	{fActorEmail, Field{Name: "actor.email", Kind: KindKeyword, Doc: "the actor's email"}},
	{fActorID, Field{Name: "actor.id", Kind: KindKeyword, Doc: "the actor's id"}},
	{fActorName, Field{Name: "actor.name", Kind: KindKeyword, Doc: "the actor's name"}},
	{fActorType, Field{Name: "actor.type", Kind: KindKeyword, Doc: "the actor's type: user, system, service, device"}},
	{fRole, Field{Name: "role", Aliases: []string{"actor.role"}, Kind: KindKeyword, Doc: "the actor's role"}},
	{fTarget, Field{Name: "target", Kind: KindKeyword, Doc: "the target's email, id or name"}},
	{fIP, Field{Name: "ip", Aliases: []string{"src"}, Kind: KindIP, Doc: "the client address; a CIDR block matches its range"}},
	{fLocation, Field{Name: "location", Kind: KindText, Doc: "where the client was"}},
	{fUA, Field{Name: "ua", Aliases: []string{"user_agent"}, Kind: KindText, Doc: "the client's user agent"}},
	{fDevice, Field{Name: "device", Kind: KindText, Doc: "the client's device"}},
	{fSession, Field{Name: "session", Kind: KindKeyword, Doc: "the session id"}},
	{fComponent, Field{Name: "component", Kind: KindKeyword, Doc: "where it happened: app, hub, admin_console, api, ..."}},
	{fSource, Field{Name: "source", Kind: KindKeyword, Doc: "the product or system that emitted the event"}},
	{fSeverity, Field{Name: "severity", Kind: KindSeverity, Values: event.Severities, Doc: "info < low < medium < high < critical"}},
	{fOutcome, Field{Name: "outcome", Kind: KindKeyword, Values: event.Outcomes, Doc: "success, failure or unknown"}},
	{fMessage, Field{Name: "message", Kind: KindText, Doc: "the human-readable message"}},
	{fID, Field{Name: "id", Aliases: []string{"event_id"}, Kind: KindKeyword, Doc: "the event id"}},
	{fSeq, Field{Name: "seq", Kind: KindNumber, Doc: "the position in the store's chain"}},
	{fDetails, Field{Name: DetailsPrefix, Kind: KindDetails, Doc: "details.KEY: a key of the details object, dotted for depth"}},
}

// fieldsByName maps every lower-cased name and alias to its definition.
var fieldsByName = func() map[string]*fieldDef {
	m := map[string]*fieldDef{}
	for i := range fieldDefs {
		d := &fieldDefs[i]
		if d.id == fDetails {
			continue
		}
		m[d.Name] = d
		for _, a := range d.Aliases {
			m[a] = d
		}
	}
	return m
}()

// Fields returns the fields of the query language in the order of
// event-format.md, ending with the "details." prefix. The caller may
// modify the result.
func Fields() []Field {
	out := make([]Field, len(fieldDefs))
	for i, d := range fieldDefs {
		f := d.Field
		f.Aliases = slices.Clone(f.Aliases)
		f.Values = slices.Clone(f.Values)
		out[i] = f
	}
	return out
}

// fieldRef is a resolved field: its definition and, for details, the
// lower-cased key path.
type fieldRef struct {
	*fieldDef
	name string // canonical
	path string // details key path, lower-cased, dotted
}

// resolveField resolves a field name or alias, ignoring case. A details
// field needs a key without empty segments.
func resolveField(name string) (fieldRef, bool) {
	l := strings.ToLower(name)
	if d, ok := fieldsByName[l]; ok {
		return fieldRef{fieldDef: d, name: d.Name}, true
	}
	if key, ok := strings.CutPrefix(l, DetailsPrefix); ok && key != "" && !slices.Contains(strings.Split(key, "."), "") {
		return fieldRef{fieldDef: &fieldDefs[len(fieldDefs)-1], name: l, path: key}, true
	}
	return fieldRef{}, false
}

// CanonicalField resolves a field name or alias, in any case, to its
// canonical name: "@timestamp" is "time", "SRC" is "ip", "Details.Rows" is
// "details.rows" (details keys match ignoring case). ok is false for a name
// that is no field.
func CanonicalField(name string) (canonical string, ok bool) {
	f, ok := resolveField(name)
	return f.name, ok
}

// FieldKind returns the kind of the field a name or alias resolves to.
func FieldKind(name string) (Kind, bool) {
	f, ok := resolveField(name)
	if !ok {
		return 0, false
	}
	return f.Kind, true
}

// FieldValues returns the values a term on field is matched against, as
// text, for any name or alias (nil for no field): the event's values for
// that field, leaving out empty ones. user and target give the email, id
// and name that are set; time gives RFC 3339 with nanoseconds; seq gives
// nothing until the event is stored; a details key gives every string,
// number (as received) and boolean at its path, through arrays, sorted.
func FieldValues(ev *event.Event, field string) []string {
	f, ok := resolveField(field)
	if !ok {
		return nil
	}
	var out []string
	eachValue(ev, f, func(s string) bool {
		out = append(out, s)
		return false
	})
	if f.id == fDetails {
		slices.Sort(out)
	}
	return out
}

// FacetValues returns the values that "top" and "count by" count an event
// under: FieldValues without repeats, except that user and target give
// only the party's label (its email, else its name, else its id), so that
// each event counts once for its actor.
func FacetValues(ev *event.Event, field string) []string {
	f, ok := resolveField(field)
	if !ok {
		return nil
	}
	switch f.id {
	case fUser:
		if l := ev.Actor.Label(); l != "" {
			return []string{l}
		}
		return nil
	case fTarget:
		if l := ev.Target.Label(); l != "" {
			return []string{l}
		}
		return nil
	}
	vals := FieldValues(ev, field)
	slices.Sort(vals)
	return slices.Compact(vals)
}

// TextValues returns the values that free text searches, each of which is
// tokenised on its own (a phrase never spans two values): the action, the
// message, every field of the actor, the target and the context including
// their free keys, and every value of details, at any depth. Keys are not
// searched, nor are category, severity, outcome, source, component, id,
// seq and time, which have fields of their own.
func TextValues(ev *event.Event) []string {
	var out []string
	eachText(ev, func(s string) bool {
		out = append(out, s)
		return false
	})
	return out
}

// eachValue calls fn with each non-empty value of field f in ev until fn
// returns true, and reports whether it did.
func eachValue(ev *event.Event, f fieldRef, fn func(string) bool) bool {
	one := func(s string) bool { return s != "" && fn(s) }
	switch f.id {
	case fTime:
		return !ev.Time.IsZero() && fn(ev.Time.Format(time.RFC3339Nano))
	case fAction:
		return one(ev.Type)
	case fCategory:
		return one(ev.Category)
	case fUser:
		return one(ev.Actor.Email) || one(ev.Actor.ID) || one(ev.Actor.Name)
	case fActorEmail:
		return one(ev.Actor.Email)
	case fActorID:
		return one(ev.Actor.ID)
	case fActorName:
		return one(ev.Actor.Name)
	case fActorType:
		return one(ev.Actor.Type)
	case fRole:
		return one(ev.Actor.Role)
	case fTarget:
		return one(ev.Target.Email) || one(ev.Target.ID) || one(ev.Target.Name)
	case fIP:
		return one(ev.Context.IP)
	case fLocation:
		return one(ev.Context.Location)
	case fUA:
		return one(ev.Context.UserAgent)
	case fDevice:
		return one(ev.Context.Device)
	case fSession:
		return one(ev.Context.SessionID)
	case fComponent:
		return one(ev.Component)
	case fSource:
		return one(ev.Source)
	case fSeverity:
		return one(ev.Severity)
	case fOutcome:
		return one(ev.Outcome)
	case fMessage:
		return one(ev.Message)
	case fID:
		return one(ev.ID)
	case fSeq:
		return ev.Seq != 0 && fn(strconv.FormatUint(ev.Seq, 10))
	case fDetails:
		return eachDetail(ev.Details, f.path, func(v any) bool {
			s, ok := scalarText(v)
			return ok && fn(s)
		})
	}
	return false
}

// eachDetail calls fn with each scalar (string, number, boolean) at the
// dotted, lower-cased path below m until fn returns true. Keys match
// ignoring case, and a key may itself hold dots: {"a.b": 1} and
// {"a": {"b": 1}} both have details.a.b. Arrays are walked through.
func eachDetail(m map[string]any, path string, fn func(any) bool) bool {
	for k, v := range m {
		n, ok := lowerPrefix(path, k)
		if !ok {
			continue
		}
		if n == len(path) {
			if eachScalar(v, fn) {
				return true
			}
		} else if path[n] == '.' && descend(v, path[n+1:], fn) {
			return true
		}
	}
	return false
}

func descend(v any, path string, fn func(any) bool) bool {
	switch x := v.(type) {
	case map[string]any:
		return eachDetail(x, path, fn)
	case []any:
		for _, e := range x {
			if descend(e, path, fn) {
				return true
			}
		}
	}
	return false
}

func eachScalar(v any, fn func(any) bool) bool {
	switch x := v.(type) {
	case []any:
		for _, e := range x {
			if eachScalar(e, fn) {
				return true
			}
		}
		return false
	case map[string]any, nil:
		return false
	case string:
		return x != "" && fn(x)
	}
	return fn(v)
}

// lowerPrefix reports whether path starts with strings.ToLower(key), and
// how many bytes of path that is.
func lowerPrefix(path, key string) (int, bool) {
	j := 0
	for i := 0; i < len(key); {
		c := key[i]
		if c < utf8.RuneSelf {
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			if j >= len(path) || path[j] != c {
				return 0, false
			}
			i++
			j++
			continue
		}
		r, w := utf8.DecodeRuneInString(key[i:])
		var buf [utf8.UTFMax]byte
		n := utf8.EncodeRune(buf[:], unicode.ToLower(r))
		if len(path)-j < n {
			return 0, false
		}
		for k := 0; k < n; k++ {
			if path[j+k] != buf[k] {
				return 0, false
			}
		}
		i += w
		j += n
	}
	return j, true
}

// scalarText is the text of a decoded JSON scalar: a string as is, a
// number as received, a boolean as true or false.
func scalarText(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, x != ""
	case json.Number:
		return string(x), true
	case bool:
		if x {
			return "true", true
		}
		return "false", true
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64), true
	case int:
		return strconv.Itoa(x), true
	case int64:
		return strconv.FormatInt(x, 10), true
	}
	return "", false
}

// scalarNumber is the value of a JSON number, as the index stores numbers
// (float64). Strings are not numbers, even when they hold digits.
func scalarNumber(v any) (float64, bool) {
	switch x := v.(type) {
	case json.Number:
		f, err := strconv.ParseFloat(string(x), 64)
		if err != nil && f == 0 { // out of range gives ±Inf with an error
			return 0, false
		}
		return f, true
	case float64:
		return x, true
	case int:
		return float64(x), true
	case int64:
		return float64(x), true
	}
	return 0, false
}

// eachText calls fn with each value free text searches (see TextValues)
// until fn returns true.
func eachText(ev *event.Event, fn func(string) bool) bool {
	one := func(s string) bool { return s != "" && fn(s) }
	scalar := func(v any) bool {
		s, ok := scalarText(v)
		return ok && fn(s)
	}
	return one(ev.Type) || one(ev.Message) ||
		eachParty(&ev.Actor, one, scalar) || eachParty(&ev.Target, one, scalar) ||
		one(ev.Context.IP) || one(ev.Context.UserAgent) || one(ev.Context.Location) ||
		one(ev.Context.Device) || one(ev.Context.SessionID) ||
		eachDeep(ev.Context.Extra, scalar) || eachDeep(ev.Details, scalar)
}

func eachParty(p *event.Party, one func(string) bool, scalar func(any) bool) bool {
	return one(p.Email) || one(p.ID) || one(p.Name) || one(p.Role) || one(p.Type) || eachDeep(p.Extra, scalar)
}

// eachDeep calls fn with every scalar in v, at any depth, until fn returns
// true.
func eachDeep(v any, fn func(any) bool) bool {
	switch x := v.(type) {
	case map[string]any:
		for _, e := range x {
			if eachDeep(e, fn) {
				return true
			}
		}
		return false
	case []any:
		for _, e := range x {
			if eachDeep(e, fn) {
				return true
			}
		}
		return false
	case nil:
		return false
	}
	return fn(v)
}
