package event

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

//go:embed catalogue.yaml
var builtinCatalogue []byte

// Entry is what the catalogue knows of one event type.
type Entry struct {
	// Type is the event type exactly as products emit it. It may end in "*"
	// to cover every type with that prefix (mfa.*).
	Type        string `yaml:"type"`
	Category    string `yaml:"category"`
	Severity    string `yaml:"severity,omitempty"`
	Outcome     string `yaml:"outcome,omitempty"`
	Description string `yaml:"description,omitempty"`
	// Template renders the message when an event has none, with ${name}
	// placeholders filled from the event (see Render).
	Template string `yaml:"template,omitempty"`
	// Source names the product whose catalogue the type comes from.
	Source string `yaml:"source,omitempty"`
}

type catalogueFile struct {
	Events []Entry `yaml:"events"`
}

// Catalogue maps event types to categories, descriptions, default severities
// and message templates. Lookups ignore case. It is read-only once built and
// safe for concurrent use.
type Catalogue struct {
	exact    map[string]Entry
	prefixes []Entry // longest prefix first
}

// BuiltinCatalogue returns the catalogue embedded in the binary.
func BuiltinCatalogue() *Catalogue {
	c, err := parseCatalogue(nil, builtinCatalogue, "builtin catalogue")
	if err != nil {
		// The embedded file is tested; failing here is a build defect.
		panic(err)
	}
	return c
}

// LoadCatalogue returns the builtin catalogue with the entries of the user
// file at path added or overriding builtin entries of the same type. A path
// that does not exist yields the builtin catalogue.
func LoadCatalogue(path string) (*Catalogue, error) {
	base := BuiltinCatalogue()
	if path == "" {
		return base, nil
	}
	data, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return base, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read catalogue %s: %w", path, err)
	}
	return parseCatalogue(base, data, path)
}

// ReadCatalogue is LoadCatalogue for a reader.
func ReadCatalogue(r io.Reader, name string) (*Catalogue, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("read catalogue %s: %w", name, err)
	}
	return parseCatalogue(BuiltinCatalogue(), data, name)
}

func parseCatalogue(base *Catalogue, data []byte, name string) (*Catalogue, error) {
	var f catalogueFile
	// Unknown keys are errors: a misspelt key in a user file (severty:) must
	// not be dropped silently. An empty file (or one of comments) has no
	// document at all, which is no error.
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("parse catalogue %s: %w", name, err)
	}
	c := &Catalogue{exact: map[string]Entry{}}
	if base != nil {
		for k, v := range base.exact {
			c.exact[k] = v
		}
		c.prefixes = append(c.prefixes, base.prefixes...)
	}
	for i, e := range f.Events {
		where := fmt.Sprintf("catalogue %s: entry %d (%q)", name, i+1, e.Type)
		if strings.TrimSpace(e.Type) == "" {
			return nil, fmt.Errorf("catalogue %s: entry %d: type is empty", name, i+1)
		}
		if !isCategory(e.Category) {
			return nil, fmt.Errorf("%s: category %q is not one of %s", where, e.Category, strings.Join(Categories, ", "))
		}
		if e.Severity != "" && SeverityRank(e.Severity) < 0 {
			return nil, fmt.Errorf("%s: severity %q is not one of %s", where, e.Severity, strings.Join(Severities, ", "))
		}
		if e.Outcome != "" && !isOutcome(e.Outcome) {
			return nil, fmt.Errorf("%s: outcome %q is not one of %s", where, e.Outcome, strings.Join(Outcomes, ", "))
		}
		key := strings.ToLower(e.Type)
		if strings.HasSuffix(key, "*") {
			c.prefixes = removePrefix(c.prefixes, key)
			c.prefixes = append(c.prefixes, e)
			continue
		}
		c.exact[key] = e
	}
	sort.SliceStable(c.prefixes, func(i, j int) bool { return len(c.prefixes[i].Type) > len(c.prefixes[j].Type) })
	return c, nil
}

func removePrefix(list []Entry, key string) []Entry {
	out := list[:0:0]
	for _, e := range list {
		if strings.ToLower(e.Type) != key {
			out = append(out, e)
		}
	}
	return out
}

// Lookup returns the entry for an event type: an exact match (ignoring
// case), else the longest wildcard entry whose prefix matches.
func (c *Catalogue) Lookup(eventType string) (Entry, bool) {
	key := strings.ToLower(eventType)
	if e, ok := c.exact[key]; ok {
		return e, true
	}
	for _, e := range c.prefixes {
		if p := strings.TrimSuffix(strings.ToLower(e.Type), "*"); strings.HasPrefix(key, p) {
			return e, true
		}
	}
	return Entry{}, false
}

// Entries returns every entry, exact ones sorted by type, then wildcards.
func (c *Catalogue) Entries() []Entry {
	out := make([]Entry, 0, len(c.exact)+len(c.prefixes))
	for _, e := range c.exact {
		out = append(out, e)
	}
	sort.Slice(out, func(i, j int) bool { return strings.ToLower(out[i].Type) < strings.ToLower(out[j].Type) })
	return append(out, c.prefixes...)
}

func isOutcome(s string) bool {
	for _, o := range Outcomes {
		if o == s {
			return true
		}
	}
	return false
}
