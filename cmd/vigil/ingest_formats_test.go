package main

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const datasets = "../../testdata/datasets"

// TestIngestDatasetsWithAutoFormat ingests real audit logs of four formats
// in one run of the built binary with --format auto, and checks what it
// says and what the store holds against counts read out of the files.
func TestIngestDatasetsWithAutoFormat(t *testing.T) {
	trails, err := filepath.Glob(filepath.Join(datasets, "cloudtrail-invictus", "*.json"))
	if err != nil || len(trails) == 0 {
		t.Fatalf("CloudTrail files: %v", err)
	}
	records := 0
	for _, f := range trails {
		var file struct{ Records []json.RawMessage }
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(data, &file); err != nil {
			t.Fatal(err)
		}
		records += len(file.Records)
	}
	k8s := filepath.Join(datasets, "k8s-audit", "audit2rbac-demo.log")
	m365 := filepath.Join(datasets, "m365-ual", "t1114.003_rule_mail_forward_same_dest.json") // Search-UnifiedAuditLog output
	auditd := filepath.Join(datasets, "auditd", "audit-ubuntu16.log")
	lines := func(path string) int {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		return len(strings.Split(strings.TrimSpace(string(data)), "\n"))
	}
	var psObjects []json.RawMessage
	data, _ := os.ReadFile(m365)
	if err := json.Unmarshal(data, &psObjects); err != nil {
		t.Fatal(err)
	}
	want := records + lines(k8s) + len(psObjects) + lines(auditd) // each auditd line there is an event of its own

	data1 := t.TempDir()
	args := append([]string{"ingest", "--format", "auto"}, trails...)
	r := run(t, data1, nil, append(args, k8s, m365, auditd)...)
	if r.code != 0 {
		t.Fatalf("exit %d\nstdout: %s\nstderr: %s", r.code, r.stdout, r.stderr)
	}
	for _, s := range []string{
		fmt.Sprintf("read %d inputs as cloudtrail", len(trails)),
		"read " + k8s + " as k8s",
		"read " + m365 + " as m365",
		"read " + auditd + " as auditd",
		fmt.Sprintf("stored %d, duplicates 0, rejected 0", want),
	} {
		if !strings.Contains(r.stdout, s) {
			t.Errorf("stdout lacks %q:\n%s", s, r.stdout)
		}
	}
	if got := statusJSON(t, data1)["events"].(float64); int(got) != want {
		t.Errorf("status: %v events, want %d", got, want)
	}
	if v := run(t, data1, nil, "verify"); v.code != 0 {
		t.Errorf("verify: %d %s", v.code, v.stdout)
	}

	// A CloudTrail log file as delivered, gzip-compressed: its records
	// are stored already, by eventID.
	raw, _ := os.ReadFile(trails[0])
	var file struct{ Records []json.RawMessage }
	json.Unmarshal(raw, &file)
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(raw)
	zw.Close()
	gzPath := writeFile(t, "123456789012_CloudTrail_us-east-1_20230710T1145Z_x.json.gz", gz.String())
	r = run(t, data1, nil, "ingest", gzPath)
	if r.code != 0 || !strings.Contains(r.stdout, fmt.Sprintf("stored 0, duplicates %d, rejected 0", len(file.Records))) ||
		!strings.Contains(r.stdout, "as cloudtrail") {
		t.Errorf("gzip log file again: %d %s %s", r.code, r.stdout, r.stderr)
	}

	// A file in another format than the one named: every record is
	// rejected with its line and why, and kept verbatim.
	rejects := filepath.Join(t.TempDir(), "rejects.jsonl")
	r = run(t, data1, nil, "ingest", "--format", "cloudtrail", "--rejects", rejects, auditd)
	if r.code != 2 || !strings.Contains(r.stdout, fmt.Sprintf("stored 0, duplicates 0, rejected %d", lines(auditd))) ||
		!strings.Contains(r.stderr, auditd+":1: not JSON") {
		t.Errorf("--format cloudtrail on auditd: %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if got, _ := os.ReadFile(rejects); strings.TrimSpace(string(got)) != strings.TrimSpace(string(mustRead(t, auditd))) {
		t.Errorf("rejects file is not the input verbatim:\n%s", got)
	}
	if r := run(t, data1, nil, "ingest", "--format", "syslog", auditd); r.code != 1 || !strings.Contains(r.stderr, `unknown format "syslog"`) {
		t.Errorf("--format syslog: %d %s", r.code, r.stderr)
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
