package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// demoData makes a data directory with a small demo store.
func demoData(t *testing.T) string {
	t.Helper()
	data := filepath.Join(t.TempDir(), "d")
	if r := run(t, data, nil, "demo", "--events", "3000", "--end", "2025-02-01T00:00:00Z"); r.code != 0 {
		t.Fatalf("demo: %s %s", r.stdout, r.stderr)
	}
	return data
}

func TestQueryCountsTablesAndErrors(t *testing.T) {
	data := demoData(t)
	r := run(t, data, nil, "query", "action:login.failed", "--count")
	if r.code != 0 {
		t.Fatalf("count: %d %s", r.code, r.stderr)
	}
	var n int
	fmt.Sscan(r.stdout, &n)
	if n == 0 {
		t.Fatalf("no login.failed in the demo: %q", r.stdout)
	}
	if s := statusJSON(t, data); s["indexed_seq"].(float64) != 3000 {
		t.Fatalf("indexed_seq %v after a query", s["indexed_seq"])
	}
	r = run(t, data, nil, "query", "action:login.failed", "--limit", "7")
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if r.code != 0 || len(lines) != 8 || !strings.HasPrefix(lines[0], "TIME") || !strings.Contains(lines[1], "login.failed") {
		t.Fatalf("table: %d\n%s", r.code, r.stdout)
	}
	if !strings.Contains(r.stderr, fmt.Sprintf("7 of %d matching events", n)) {
		t.Errorf("stderr %q", r.stderr)
	}
	r = run(t, data, nil, "query", "action:login.failed | top 3 ip")
	if r.code != 0 || !strings.Contains(r.stdout, fmt.Sprintf("%10d  events matched", n)) {
		t.Fatalf("top: %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	// Errors: position and hint, exit 1, never an empty result.
	r = run(t, data, nil, "query", "action:login.failed AND (ip:1.2.3.4")
	if r.code != 1 || !strings.Contains(r.stderr, "                        ^ unclosed \"(\" opened here") {
		t.Fatalf("parse error: %d %q", r.code, r.stderr)
	}
	r = run(t, data, nil, "query", "usr:bob")
	if r.code != 1 || !strings.Contains(r.stderr, "did you mean user?") {
		t.Fatalf("unknown field: %d %q", r.code, r.stderr)
	}
	// The hostile demo events leave no raw control character in the table.
	r = run(t, data, nil, "query", "details.hostile:true", "--limit", "100")
	if r.code != 0 || len(strings.Split(strings.TrimSpace(r.stdout), "\n")) < 5 {
		t.Fatalf("hostile: %d %s", r.code, r.stdout)
	}
	for _, c := range r.stdout {
		if (c < 0x20 && c != '\n') || c == 0x7f || (c >= 0x80 && c < 0xa0) || c == 0x202e {
			t.Fatalf("table holds control character %U:\n%q", c, r.stdout)
		}
	}
}

func TestQueryExportsParse(t *testing.T) {
	data := demoData(t)
	dir := t.TempDir()
	r := run(t, data, nil, "query", "category:authentication", "--count")
	var n int
	fmt.Sscan(r.stdout, &n)

	out := filepath.Join(dir, "auth.csv")
	if r := run(t, data, nil, "query", "category:authentication", "--format", "csv", "--output", out); r.code != 0 {
		t.Fatalf("csv: %s", r.stderr)
	}
	f, _ := os.Open(out)
	rows, err := csv.NewReader(f).ReadAll()
	f.Close()
	if err != nil || len(rows) != n+1 {
		t.Fatalf("csv: %d rows for %d events, %v", len(rows), n, err)
	}

	r = run(t, data, nil, "query", "category:authentication", "--format", "jsonl", "--limit", "5")
	for _, l := range strings.Split(strings.TrimSpace(r.stdout), "\n") {
		var v map[string]any
		if err := json.Unmarshal([]byte(l), &v); err != nil || v["seq"] == nil {
			t.Fatalf("jsonl line %q: %v", l, err)
		}
	}
	r = run(t, data, nil, "query", "*", "--format", "cef", "--limit", "50")
	if r.code != 0 || strings.Count(r.stdout, "\n") != 50 || !strings.HasPrefix(r.stdout, "CEF:0|") {
		t.Fatalf("cef: %d %q", r.code, r.stdout[:min(200, len(r.stdout))])
	}

	// The chain export verifies with nothing of vigil's code.
	chain := filepath.Join(dir, "chain.jsonl")
	if r := run(t, data, nil, "query", "*", "--format", "chain", "--output", chain); r.code != 0 {
		t.Fatalf("chain: %s", r.stderr)
	}
	b, _ := os.ReadFile(chain)
	var prev [32]byte
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	for i, l := range lines {
		var rec struct {
			Seq    uint64 `json:"seq"`
			Prev   string `json:"prev"`
			Hash   string `json:"hash"`
			Record string `json:"record"`
		}
		if err := json.Unmarshal([]byte(l), &rec); err != nil || rec.Seq != uint64(i+1) || rec.Prev != hex.EncodeToString(prev[:]) {
			t.Fatalf("chain line %d: %v %+v", i+1, err, rec.Seq)
		}
		var seq [8]byte
		for j := 0; j < 8; j++ {
			seq[7-j] = byte(rec.Seq >> (8 * j))
		}
		sum := sha256.Sum256(append(append(append([]byte{}, prev[:]...), seq[:]...), rec.Record...))
		if hex.EncodeToString(sum[:]) != rec.Hash {
			t.Fatalf("chain line %d does not hash", i+1)
		}
		prev = sum
	}
	if len(lines) != 3000 {
		t.Fatalf("chain has %d lines", len(lines))
	}
	if r := run(t, data, nil, "query", "role:admin", "--format", "chain"); r.code != 1 || !bytes.Contains([]byte(r.stderr), []byte("use the query '*'")) {
		t.Fatalf("chain of a subset: %d %s", r.code, r.stderr)
	}
}

func TestReindexKeepsCounts(t *testing.T) {
	data := demoData(t)
	before := run(t, data, nil, "query", "action:login.*", "--count").stdout
	r := run(t, data, nil, "reindex")
	if r.code != 0 || !strings.Contains(r.stdout, "indexed 3000 events") {
		t.Fatalf("reindex: %d %s %s", r.code, r.stdout, r.stderr)
	}
	if after := run(t, data, nil, "query", "action:login.*", "--count").stdout; after != before {
		t.Fatalf("count %q before reindex, %q after", before, after)
	}
}
