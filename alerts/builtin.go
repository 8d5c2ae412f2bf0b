package alerts

import (
	_ "embed"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// BuiltinYAML is the built-in rules file (alerts/builtin.yaml): the seed's
// five alert types over every catalogue's event names. `vigil alerts rules`
// prints it for users to copy and edit.
//
//go:embed builtin.yaml
var BuiltinYAML []byte

// BuiltinSource is the Source of the built-in rule set.
const BuiltinSource = "builtin.yaml"

// Builtin returns the built-in rules, parsed afresh (the caller may keep
// or change the result).
func Builtin() *RuleSet {
	rs, err := Parse(BuiltinYAML, BuiltinSource)
	if err != nil {
		panic(fmt.Sprintf("alerts: the built-in rules do not parse: %v", err))
	}
	return rs
}

// RulesPath is where a data directory keeps its own rules file:
// DATA/rules.yaml (beside catalogue.yaml).
func RulesPath(dataDir string) string { return filepath.Join(dataDir, "rules.yaml") }

// LoadRules returns the rules a data directory runs: its rules file
// (RulesPath) when there is one, else the built-in rules.
func LoadRules(dataDir string) (*RuleSet, error) {
	path := RulesPath(dataDir)
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return Builtin(), nil
	}
	return LoadFile(path)
}
