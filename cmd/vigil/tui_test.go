package main

import (
	"strings"
	"testing"
)

// TestExplorerNeedsATerminal: vigil tui refuses a pipe, and vigil with no
// command keeps printing the status there (scripts rely on it).
func TestExplorerNeedsATerminal(t *testing.T) {
	data := t.TempDir()
	r := run(t, data, nil, "tui")
	if r.code != 1 || !strings.Contains(r.stderr, "needs a terminal") {
		t.Fatalf("vigil tui on a pipe: %d %q", r.code, r.stderr)
	}
	r = run(t, data, nil)
	if r.code != 0 || !strings.Contains(r.stdout, "data dir") || !strings.Contains(r.stdout, "vigil ingest") {
		t.Fatalf("vigil on a pipe: %d %q %q", r.code, r.stdout, r.stderr)
	}
}
