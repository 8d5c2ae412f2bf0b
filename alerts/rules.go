package alerts

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/vigil-dev/vigil/alerts/action"
	"github.com/vigil-dev/vigil/event"
	"github.com/vigil-dev/vigil/query"
)

// RuleSet is a rules file, parsed, validated and compiled: what the
// evaluator runs. It is not modified after Parse returns.
type RuleSet struct {
	// Source names where the rules came from: a file path, or "builtin".
	Source string
	// Zone is the zone of schedules that name none (UTC by default).
	Zone *time.Location
	// ZoneBy gives people in other zones theirs, by the value of a field.
	ZoneBy  *ZoneBy
	Rules   []*Rule
	Actions []action.Config
}

// ZoneBy maps the value of a field of the event (user, location, ...) to
// the zone a schedule is read in, for people who work in several zones.
type ZoneBy struct {
	Field string                    // canonical query field
	Zones map[string]*time.Location // by lower-cased value
	Names map[string]string         // zone names, by lower-cased value
}

// Rule is one alert rule. See docs/alerts.md for the schema.
type Rule struct {
	Name        string
	Title       string
	Description string
	// Type is the kind of alert, free text; the built-in rules use the
	// seed's five: brute_force, privilege_escalation, mass_export,
	// off_hours, new_location.
	Type     string
	Severity string
	// Match is the query-language filter an event must pass.
	Match   string
	GroupBy []string // canonical field names
	// At most one of Threshold and NewValue; Schedule may come with
	// either or alone.
	Threshold *Threshold
	NewValue  *NewValue
	Schedule  *Schedule
	// Suppress is how long after an alert the same rule and group stay
	// quiet.
	Suppress time.Duration
	Actions  []string
	// Line is where the rule starts in its file.
	Line int

	matcher *query.Matcher
}

// Threshold fires when Count matching events of one group fall within
// Window: on the event that brings the count in (t-Window, t] to Count.
type Threshold struct {
	Count  int
	Window time.Duration
}

// NewValue fires when a group's value of Field was not seen in the
// History before the event, while other values were.
type NewValue struct {
	Field   string // canonical field name
	History time.Duration
	// Extract, when set, reduces the value first: its first capture group
	// (or its whole match) is the value compared, e.g. the country of a
	// location.
	Extract *regexp.Regexp
}

// Lookback is how far back in event time a rule needs to see to decide on
// the next event: its window or history.
func (r *Rule) Lookback() time.Duration {
	switch {
	case r.Threshold != nil:
		return r.Threshold.Window
	case r.NewValue != nil:
		return r.NewValue.History
	}
	return 0
}

// Matches reports whether ev passes the rule's match filter (not its
// schedule, threshold or history).
func (r *Rule) Matches(ev *event.Event) bool { return r.matcher.Match(ev) }

// Rule returns the rule of that name, or nil.
func (rs *RuleSet) Rule(name string) *Rule {
	for _, r := range rs.Rules {
		if r.Name == name {
			return r
		}
	}
	return nil
}

// Action returns the action of that name.
func (rs *RuleSet) Action(name string) (action.Config, bool) {
	for _, a := range rs.Actions {
		if a.Name == name {
			return a, true
		}
	}
	return action.Config{}, false
}

// Lookback is the longest lookback of the rules.
func (rs *RuleSet) Lookback() time.Duration {
	var d time.Duration
	for _, r := range rs.Rules {
		d = max(d, r.Lookback())
	}
	return d
}

// Problem is one thing wrong in a rules file, with where it is.
type Problem struct {
	File  string
	Line  int
	Rule  string // the rule's name, or "#N" for an unnamed one; "" outside rules
	Field string // dotted: threshold.window
	Msg   string
}

func (p *Problem) Error() string {
	var b strings.Builder
	b.WriteString(p.File)
	if p.Line > 0 {
		b.WriteString(":" + strconv.Itoa(p.Line))
	}
	b.WriteString(": ")
	if p.Rule != "" {
		b.WriteString("rule " + p.Rule + ": ")
	}
	if p.Field != "" {
		b.WriteString(p.Field + ": ")
	}
	b.WriteString(p.Msg)
	return b.String()
}

// ValidationError lists every problem found in a rules file, in the order
// of the file.
type ValidationError struct {
	Problems []*Problem
}

func (e *ValidationError) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = p.Error()
	}
	return strings.Join(lines, "\n")
}

// LoadFile reads and parses a rules file.
func LoadFile(path string) (*RuleSet, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read rules: %w", err)
	}
	return Parse(data, path)
}

// Severities of rules and alerts, lowest first (event.Severities).
func severityRank(s string) int { return event.SeverityRank(s) }

var (
	ruleNameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]*$`)
	weekdays   = map[string]time.Weekday{
		"sun": time.Sunday, "mon": time.Monday, "tue": time.Tuesday, "wed": time.Wednesday,
		"thu": time.Thursday, "fri": time.Friday, "sat": time.Saturday,
		"sunday": time.Sunday, "monday": time.Monday, "tuesday": time.Tuesday, "wednesday": time.Wednesday,
		"thursday": time.Thursday, "friday": time.Friday, "saturday": time.Saturday,
	}
)

// parser holds the state of one Parse: the file name and the problems
// found so far.
type parser struct {
	file     string
	problems []*Problem
	rule     string
}

func (p *parser) add(n *yaml.Node, field, format string, args ...any) {
	line := 0
	if n != nil {
		line = n.Line
	}
	p.problems = append(p.problems, &Problem{File: p.file, Line: line, Rule: p.rule, Field: field, Msg: fmt.Sprintf(format, args...)})
}

// entry is one key of a YAML mapping.
type entry struct {
	key string
	k   *yaml.Node
	v   *yaml.Node
}

// mapping returns the entries of a mapping node, reporting keys that are
// not allowed and keys given twice.
func (p *parser) mapping(n *yaml.Node, field string, allowed ...string) map[string]entry {
	n = deref(n)
	out := map[string]entry{}
	if n.Kind != yaml.MappingNode {
		p.add(n, field, "want a mapping of keys to values, not %s", nodeKind(n))
		return out
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		name := k.Value
		full := join(field, name)
		if !slices.Contains(allowed, name) {
			hint := ""
			if near := nearestKey(name, allowed); near != "" {
				hint = "; did you mean " + near + "?"
			}
			p.add(k, full, "unknown key%s (keys here: %s)", hint, strings.Join(allowed, ", "))
			continue
		}
		if _, dup := out[name]; dup {
			p.add(k, full, "given twice")
			continue
		}
		out[name] = entry{key: name, k: k, v: v}
	}
	return out
}

func join(a, b string) string {
	if a == "" {
		return b
	}
	return a + "." + b
}

func nodeKind(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		if n.Tag == "!!null" {
			return "nothing"
		}
		return fmt.Sprintf("%q", n.Value)
	case yaml.AliasNode:
		return "an alias"
	}
	return "a document"
}

// deref follows a YAML alias to the node it names.
func deref(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	return n
}

func (p *parser) str(e entry, field string) (string, bool) {
	e.v = deref(e.v)
	if e.v.Kind != yaml.ScalarNode || e.v.Tag == "!!null" {
		p.add(e.v, field, "want a value, not %s", nodeKind(e.v))
		return "", false
	}
	return e.v.Value, true
}

func (p *parser) strs(e entry, field string) ([]string, bool) {
	e.v = deref(e.v)
	switch e.v.Kind {
	case yaml.ScalarNode:
		if s, ok := p.str(e, field); ok {
			return []string{s}, true
		}
		return nil, false
	case yaml.SequenceNode:
		var out []string
		for _, item := range e.v.Content {
			item = deref(item)
			if item.Kind != yaml.ScalarNode || item.Tag == "!!null" {
				p.add(item, field, "want a value, not %s", nodeKind(item))
				return nil, false
			}
			out = append(out, item.Value)
		}
		return out, true
	}
	p.add(e.v, field, "want a value or a list of values, not %s", nodeKind(e.v))
	return nil, false
}

func (p *parser) duration(e entry, field string) (time.Duration, bool) {
	s, ok := p.str(e, field)
	if !ok {
		return 0, false
	}
	d, err := ParseDuration(s)
	if err != nil {
		p.add(e.v, field, "%v", err)
		return 0, false
	}
	return d, true
}

func (p *parser) boolean(e entry, field string) (bool, bool) {
	s, ok := p.str(e, field)
	if !ok {
		return false, false
	}
	switch strings.ToLower(s) {
	case "true", "yes", "on":
		return true, true
	case "false", "no", "off":
		return false, true
	}
	p.add(e.v, field, "want true or false, not %q", s)
	return false, false
}

func (p *parser) zone(e entry, field string) (*time.Location, bool) {
	s, ok := p.str(e, field)
	if !ok {
		return nil, false
	}
	loc, err := loadZone(s)
	if err != nil {
		p.add(e.v, field, "%v", err)
		return nil, false
	}
	return loc, true
}

func loadZone(name string) (*time.Location, error) {
	if name == "" || strings.EqualFold(name, "local") {
		return nil, fmt.Errorf("unknown time zone %q: name an IANA zone (Europe/London, America/New_York, UTC)", name)
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, fmt.Errorf("unknown time zone %q: name an IANA zone (Europe/London, America/New_York, UTC)", name)
	}
	return loc, nil
}

// field resolves a query field name to its canonical name.
func (p *parser) field(n *yaml.Node, field, name string) (string, bool) {
	c, ok := query.CanonicalField(name)
	if !ok {
		p.add(n, field, "unknown field %q; fields are those of the query language (user, ip, location, target, details.KEY, ...)", name)
		return "", false
	}
	if c == "time" || c == "seq" {
		p.add(n, field, "%s cannot group or be compared as a value", c)
		return "", false
	}
	return c, true
}

// Parse parses, validates and compiles a rules file; file names it in
// errors. Every problem found is reported, each with the file, the line,
// the rule and the field, in a *ValidationError.
func Parse(data []byte, file string) (*RuleSet, error) {
	p := &parser{file: file}
	rs := &RuleSet{Source: file, Zone: time.UTC}
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, &ValidationError{Problems: []*Problem{{File: file, Msg: "the file is empty; it needs a rules: list"}}}
		}
		return nil, &ValidationError{Problems: []*Problem{yamlProblem(file, err)}}
	}
	if len(doc.Content) == 0 {
		return nil, &ValidationError{Problems: []*Problem{{File: file, Msg: "the file is empty; it needs a rules: list"}}}
	}
	top := p.mapping(doc.Content[0], "", "version", "zone", "zone_by", "rules", "actions")
	if e, ok := top["version"]; ok {
		if s, ok := p.str(e, "version"); ok && s != "1" {
			p.add(e.v, "version", "unknown version %q; this vigil reads version 1", s)
		}
	}
	if e, ok := top["zone"]; ok {
		if loc, ok := p.zone(e, "zone"); ok {
			rs.Zone = loc
		}
	}
	if e, ok := top["zone_by"]; ok {
		rs.ZoneBy = p.zoneBy(e)
	}
	actionNames := map[string]bool{}
	if e, ok := top["actions"]; ok {
		if e.v.Kind != yaml.SequenceNode {
			p.add(e.v, "actions", "want a list of actions, not %s", nodeKind(e.v))
		} else {
			for _, n := range e.v.Content {
				if a, ok := p.action(n); ok {
					if actionNames[a.Name] {
						p.add(n, "actions", "two actions are named %q", a.Name)
						continue
					}
					actionNames[a.Name] = true
					rs.Actions = append(rs.Actions, a)
				}
			}
		}
	}
	e, ok := top["rules"]
	switch {
	case !ok:
		p.add(doc.Content[0], "rules", "missing: the file needs a rules: list")
	case e.v.Kind != yaml.SequenceNode:
		p.add(e.v, "rules", "want a list of rules, not %s", nodeKind(e.v))
	default:
		names := map[string]int{}
		for i, n := range e.v.Content {
			r := p.ruleAt(n, i, actionNames)
			if r == nil {
				continue
			}
			if line, dup := names[r.Name]; dup {
				p.rule = r.Name
				p.add(n, "name", "two rules are named %q (the other at line %d)", r.Name, line)
				p.rule = ""
				continue
			}
			names[r.Name] = n.Line
			rs.Rules = append(rs.Rules, r)
		}
	}
	if len(p.problems) > 0 {
		slices.SortStableFunc(p.problems, func(a, b *Problem) int { return a.Line - b.Line })
		return nil, &ValidationError{Problems: p.problems}
	}
	return rs, nil
}

var yamlLineRE = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

func yamlProblem(file string, err error) *Problem {
	msg := err.Error()
	if m := yamlLineRE.FindStringSubmatch(msg); m != nil {
		n, _ := strconv.Atoi(m[1])
		return &Problem{File: file, Line: n, Msg: "not valid YAML: " + m[2]}
	}
	return &Problem{File: file, Msg: "not valid YAML: " + strings.TrimPrefix(msg, "yaml: ")}
}

func (p *parser) zoneBy(e entry) *ZoneBy {
	m := p.mapping(e.v, "zone_by", "field", "zones")
	zb := &ZoneBy{Zones: map[string]*time.Location{}, Names: map[string]string{}}
	f, ok := m["field"]
	if !ok {
		p.add(e.v, "zone_by.field", "missing: name the field whose value picks the zone (user, location, ...)")
	} else if s, ok := p.str(f, "zone_by.field"); ok {
		zb.Field, _ = p.field(f.v, "zone_by.field", s)
	}
	z, ok := m["zones"]
	if !ok {
		p.add(e.v, "zone_by.zones", "missing: map each value to an IANA zone")
		return zb
	}
	if z.v.Kind != yaml.MappingNode {
		p.add(z.v, "zone_by.zones", "want a mapping of values to IANA zones, not %s", nodeKind(z.v))
		return zb
	}
	for i := 0; i+1 < len(z.v.Content); i += 2 {
		k, v := z.v.Content[i], z.v.Content[i+1]
		key := strings.ToLower(k.Value)
		if _, dup := zb.Zones[key]; dup {
			p.add(k, "zone_by.zones", "%q is given twice", k.Value)
			continue
		}
		if loc, ok := p.zone(entry{k: k, v: v}, "zone_by.zones."+k.Value); ok {
			zb.Zones[key] = loc
			zb.Names[key] = v.Value
		}
	}
	return zb
}

func (p *parser) action(n *yaml.Node) (action.Config, bool) {
	m := p.mapping(n, "actions", "name", "type", "url", "url_env", "headers", "smtp", "from", "to",
		"username", "password_env", "password_file", "starttls", "ca_file", "subject_prefix", "timeout")
	var c action.Config
	before := len(p.problems)
	get := func(key string) string {
		if e, ok := m[key]; ok {
			s, _ := p.str(e, "actions."+key)
			return s
		}
		return ""
	}
	c.Name, c.Type = get("name"), get("type")
	if c.Name == "" {
		p.add(n, "actions.name", "missing: every action needs a name that rules refer to")
	} else if !ruleNameRE.MatchString(c.Name) {
		p.add(m["name"].v, "actions.name", "%q: use letters, digits, '-', '_' and '.'", c.Name)
	}
	where := "actions." + c.Name
	if !slices.Contains(action.Types, c.Type) {
		p.add(n, where+".type", "%q: want one of %s", c.Type, strings.Join(action.Types, ", "))
	}
	c.URL, c.URLEnv = get("url"), get("url_env")
	c.SMTP, c.From, c.Username = get("smtp"), get("from"), get("username")
	c.PasswordEnv, c.PasswordFile, c.CAFile, c.SubjectPrefix = get("password_env"), get("password_file"), get("ca_file"), get("subject_prefix")
	if e, ok := m["to"]; ok {
		c.To, _ = p.strs(e, where+".to")
	}
	if e, ok := m["starttls"]; ok {
		if b, ok := p.boolean(e, where+".starttls"); ok {
			c.NoStartTLS = !b
		}
	}
	if e, ok := m["timeout"]; ok {
		c.Timeout, _ = p.duration(e, where+".timeout")
	}
	if e, ok := m["headers"]; ok {
		if e.v.Kind != yaml.MappingNode {
			p.add(e.v, where+".headers", "want a mapping of header names to values")
		} else {
			c.Headers = map[string]string{}
			for i := 0; i+1 < len(e.v.Content); i += 2 {
				c.Headers[e.v.Content[i].Value] = e.v.Content[i+1].Value
			}
		}
	}
	switch c.Type {
	case action.TypeWebhook, action.TypeSlack:
		if c.URL == "" && c.URLEnv == "" {
			p.add(n, where+".url", "missing: give url, or url_env naming an environment variable that holds it")
		}
		if c.URL != "" && c.URLEnv != "" {
			p.add(m["url"].v, where+".url", "give url or url_env, not both")
		}
		for _, k := range []string{"smtp", "from", "to", "username", "password_env", "password_file", "starttls", "ca_file", "subject_prefix"} {
			if e, ok := m[k]; ok {
				p.add(e.k, where+"."+k, "only email actions take %s", k)
			}
		}
		if c.Type == action.TypeSlack {
			if e, ok := m["headers"]; ok {
				p.add(e.k, where+".headers", "a Slack incoming webhook takes no headers")
			}
		}
	case action.TypeEmail:
		if c.SMTP == "" {
			p.add(n, where+".smtp", "missing: the SMTP server as host:port (port 587 for STARTTLS)")
		}
		if c.From == "" {
			p.add(n, where+".from", "missing: the sender address")
		}
		if len(c.To) == 0 {
			p.add(n, where+".to", "missing: one or more recipient addresses")
		}
		for _, k := range []string{"url", "url_env", "headers"} {
			if e, ok := m[k]; ok {
				p.add(e.k, where+"."+k, "email actions take no %s", k)
			}
		}
		if c.PasswordEnv != "" && c.PasswordFile != "" {
			p.add(m["password_file"].v, where+".password_file", "give password_env or password_file, not both")
		}
		if c.Username != "" && c.PasswordEnv == "" && c.PasswordFile == "" {
			p.add(m["username"].v, where+".username", "a username needs password_env or password_file (passwords are never written in the rules file)")
		}
	}
	return c, len(p.problems) == before
}

func (p *parser) ruleAt(n *yaml.Node, i int, actions map[string]bool) *Rule {
	p.rule = "#" + strconv.Itoa(i+1)
	defer func() { p.rule = "" }()
	// Name the rule in every problem, those of keys before its name too.
	if m := deref(n); m.Kind == yaml.MappingNode {
		for j := 0; j+1 < len(m.Content); j += 2 {
			if v := deref(m.Content[j+1]); m.Content[j].Value == "name" && v.Kind == yaml.ScalarNode && ruleNameRE.MatchString(v.Value) {
				p.rule = v.Value
			}
		}
	}
	m := p.mapping(n, "", "name", "title", "description", "type", "severity", "enabled", "match",
		"group_by", "threshold", "new_value", "schedule", "suppress", "actions")
	if n.Kind != yaml.MappingNode {
		return nil
	}
	before := len(p.problems)
	r := &Rule{Line: n.Line}
	if e, ok := m["name"]; ok {
		if s, ok := p.str(e, "name"); ok {
			if !ruleNameRE.MatchString(s) {
				p.add(e.v, "name", "%q: use letters, digits, '-', '_' and '.', starting with a letter or digit", s)
			} else {
				r.Name = s
				p.rule = s
			}
		}
	} else {
		p.add(n, "name", "missing: every rule needs a name")
	}
	opt := func(key string) string {
		if e, ok := m[key]; ok {
			s, _ := p.str(e, key)
			return s
		}
		return ""
	}
	r.Title, r.Description, r.Type = opt("title"), opt("description"), opt("type")
	disabled := false
	if e, ok := m["enabled"]; ok {
		if b, ok := p.boolean(e, "enabled"); ok && !b {
			disabled = true // checked like the others, then left out
		}
	}
	if e, ok := m["severity"]; ok {
		if s, ok := p.str(e, "severity"); ok {
			if severityRank(strings.ToLower(s)) < 0 {
				p.add(e.v, "severity", "%q: want one of %s", s, strings.Join(event.Severities, ", "))
			} else {
				r.Severity = strings.ToLower(s)
			}
		}
	} else {
		p.add(n, "severity", "missing: one of %s", strings.Join(event.Severities, ", "))
	}
	if e, ok := m["match"]; ok {
		if s, ok := p.str(e, "match"); ok {
			r.Match = strings.TrimSpace(s)
			p.compileMatch(r, e.v)
		}
	} else {
		p.add(n, "match", "missing: a query-language filter (action:login.failed)")
	}
	if e, ok := m["group_by"]; ok {
		if fields, ok := p.strs(e, "group_by"); ok {
			for _, f := range fields {
				if c, ok := p.field(e.v, "group_by", f); ok {
					if slices.Contains(r.GroupBy, c) {
						p.add(e.v, "group_by", "%s is given twice", c)
						continue
					}
					r.GroupBy = append(r.GroupBy, c)
				}
			}
		}
	}
	if e, ok := m["threshold"]; ok {
		t := &Threshold{}
		tm := p.mapping(e.v, "threshold", "count", "window")
		if c, ok := tm["count"]; ok {
			if s, ok := p.str(c, "threshold.count"); ok {
				n, err := strconv.Atoi(s)
				if err != nil || n < 1 {
					p.add(c.v, "threshold.count", "%q: want a whole number of events, 1 or more", s)
				}
				t.Count = n
			}
		} else {
			p.add(e.v, "threshold.count", "missing: how many events fire the alert")
		}
		if w, ok := tm["window"]; ok {
			t.Window, _ = p.duration(w, "threshold.window")
		} else {
			p.add(e.v, "threshold.window", "missing: the sliding window the events must fall in (10m)")
		}
		r.Threshold = t
	}
	if e, ok := m["new_value"]; ok {
		nv := &NewValue{}
		nm := p.mapping(e.v, "new_value", "field", "history", "extract")
		if f, ok := nm["field"]; ok {
			if s, ok := p.str(f, "new_value.field"); ok {
				nv.Field, _ = p.field(f.v, "new_value.field", s)
			}
		} else {
			p.add(e.v, "new_value.field", "missing: the field whose new values fire (location, ip, ua)")
		}
		if h, ok := nm["history"]; ok {
			nv.History, _ = p.duration(h, "new_value.history")
		} else {
			p.add(e.v, "new_value.history", "missing: how far back a value counts as seen (30d)")
		}
		if x, ok := nm["extract"]; ok {
			if s, ok := p.str(x, "new_value.extract"); ok {
				re, err := regexp.Compile(s)
				switch {
				case err != nil:
					p.add(x.v, "new_value.extract", "bad regular expression: %v", err)
				case re.NumSubexp() > 1:
					p.add(x.v, "new_value.extract", "at most one capture group: it is the value compared")
				default:
					nv.Extract = re
				}
			}
		}
		r.NewValue = nv
		if r.Threshold != nil {
			p.add(e.k, "new_value", "a rule has a threshold or a new_value, not both")
		}
		if len(r.GroupBy) == 0 {
			p.add(n, "group_by", "a new_value rule needs group_by: whose values are new (user)")
		}
		if slices.Contains(r.GroupBy, nv.Field) {
			p.add(e.v, "new_value.field", "%s is also in group_by: a group has one value of it, never a new one", nv.Field)
		}
	}
	if e, ok := m["schedule"]; ok {
		r.Schedule = p.schedule(e)
	}
	if e, ok := m["suppress"]; ok {
		r.Suppress, _ = p.duration(e, "suppress")
	}
	if e, ok := m["actions"]; ok {
		if names, ok := p.strs(e, "actions"); ok {
			for _, a := range names {
				if !actions[a] {
					p.add(e.v, "actions", "no action is named %q (define it under actions: at the top of the file)", a)
					continue
				}
				r.Actions = append(r.Actions, a)
			}
		}
	}
	if len(p.problems) > before || r.Name == "" || disabled {
		return nil
	}
	return r
}

// compileMatch parses and compiles the rule's filter. Relative times
// (now-7d, today) are refused: a rule sees each event as it is stored, and
// its window or history says how far back it looks.
func (p *parser) compileMatch(r *Rule, n *yaml.Node) {
	q, err := query.Parse(r.Match)
	if err != nil {
		p.add(n, "match", "%v", err)
		return
	}
	if q.Stage != nil {
		p.add(n, "match", "a rule's match is a filter, without a pipe stage (| %s)", q.Stage)
		return
	}
	if t := relativeTime(q.Filter); t != "" {
		p.add(n, "match", "%s: rules cannot use relative times (now, today, yesterday); the window, history or schedule says when", t)
		return
	}
	// The evaluation time only matters for relative times, refused above.
	m, err := query.Compile(q.Filter, time.Unix(0, 0))
	if err != nil {
		p.add(n, "match", "%v", err)
		return
	}
	r.matcher = m
}

// relativeTime returns the first time term or range of x whose value is
// relative to the evaluation time, or "".
func relativeTime(x query.Expr) string {
	rel := func(v string) bool {
		l := strings.ToLower(v)
		return l == "today" || l == "yesterday" || strings.HasPrefix(l, "now")
	}
	switch x := x.(type) {
	case *query.And:
		for _, y := range x.X {
			if s := relativeTime(y); s != "" {
				return s
			}
		}
	case *query.Or:
		for _, y := range x.X {
			if s := relativeTime(y); s != "" {
				return s
			}
		}
	case *query.Not:
		return relativeTime(x.X)
	case *query.Term:
		if x.Field == "time" && rel(x.Value) {
			return x.String()
		}
	case *query.Range:
		if x.Field == "time" && (rel(x.Lo) || rel(x.Hi)) {
			return x.String()
		}
	}
	return ""
}

func (p *parser) schedule(e entry) *Schedule {
	m := p.mapping(e.v, "schedule", "zone", "days", "hours", "holidays")
	s := &Schedule{}
	if z, ok := m["zone"]; ok {
		if loc, ok := p.zone(z, "schedule.zone"); ok {
			s.Zone = loc
		}
	}
	if d, ok := m["days"]; ok {
		if list, ok := p.strs(d, "schedule.days"); ok {
			for _, item := range list {
				if err := s.addDays(item); err != nil {
					p.add(d.v, "schedule.days", "%v", err)
				}
			}
		}
	} else {
		for i := range s.Days {
			s.Days[i] = true
		}
	}
	if h, ok := m["hours"]; ok {
		if list, ok := p.strs(h, "schedule.hours"); ok {
			for _, item := range list {
				sp, err := parseHours(item)
				if err != nil {
					p.add(h.v, "schedule.hours", "%v", err)
					continue
				}
				s.Hours = append(s.Hours, sp)
			}
		}
	} else {
		p.add(e.v, "schedule.hours", `missing: the business hours, local time, as "08:00-18:00"`)
	}
	if h, ok := m["holidays"]; ok {
		if list, ok := p.strs(h, "schedule.holidays"); ok {
			s.Holidays = map[civilDate]bool{}
			for _, item := range list {
				t, err := time.Parse("2006-01-02", item)
				if err != nil {
					p.add(h.v, "schedule.holidays", "%q: want a date as 2025-12-25", item)
					continue
				}
				s.Holidays[dateOf(t)] = true
			}
		}
	}
	return s
}

// nearestKey returns the allowed key nearest to name, when one is close.
func nearestKey(name string, allowed []string) string {
	best, bestD := "", 3
	for _, a := range allowed {
		if d := editDistance(strings.ToLower(name), a); d < bestD {
			best, bestD = a, d
		}
	}
	return best
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			c := 1
			if a[i-1] == b[j-1] {
				c = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+c)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
