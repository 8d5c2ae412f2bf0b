package main

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/dgraph-io/badger/v4"
)

// vigilBin is the binary under test, built once by TestMain.
var vigilBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "vigil-bin")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	vigilBin = filepath.Join(dir, "vigil")
	out, err := exec.Command("go", "build", "-o", vigilBin, ".").CombinedOutput()
	if err != nil {
		fmt.Fprintf(os.Stderr, "build vigil: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

type result struct {
	stdout, stderr string
	code           int
}

// run runs the vigil binary with args on a data directory.
func run(t *testing.T, data string, stdin io.Reader, args ...string) result {
	t.Helper()
	cmd := exec.Command(vigilBin, append([]string{"--data", data}, args...)...)
	cmd.Stdin = stdin
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("run vigil %v: %v", args, err)
	}
	return result{out.String(), errb.String(), code}
}

func line(id, ts, typ string) string {
	return fmt.Sprintf(`{"event_id":%q,"timestamp":%q,"event_type":%q,"actor":{"email":"ana@example.com"},"context":{"ip":"203.0.113.7"}}`, id, ts, typ)
}

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func statusJSON(t *testing.T, data string) map[string]any {
	t.Helper()
	r := run(t, data, nil, "status", "--json")
	if r.code != 0 {
		t.Fatalf("status: %d %s", r.code, r.stderr)
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &m); err != nil {
		t.Fatalf("status --json: %v\n%s", err, r.stdout)
	}
	return m
}

func TestIngestRejectsBadLinesAndGoesOn(t *testing.T) {
	data := t.TempDir()
	big := `{"timestamp":"2025-01-15T10:00:00Z","event_type":"x","details":{"pad":"` + strings.Repeat("a", 300) + `"}}`
	lines := []string{
		line("e1", "2025-01-15T10:00:00Z", "login.success"),
		`{"timestamp": "2025-01-15T10:00:00Z", "event_type": `, // 2: not JSON
		line("e2", "2025-01-15T10:01:00Z", "login.failed"),
		`{"event_type":"login.failed"}`, // 4: no timestamp
		`["an","array"]`,                // 5: not an object
		"",                              // 6: blank, skipped
		`{"timestamp":"\u001b]0;pwned\u0007","event_type":"login.failed"}`, // 7: hostile bad timestamp
		big, // 8: over --max-event-size
		line("e3", "2025-01-15T10:02:00Z", "logout"),
	}
	in := writeFile(t, "events.jsonl", strings.Join(lines, "\n")+"\n")
	rejects := filepath.Join(t.TempDir(), "rejects.jsonl")

	r := run(t, data, nil, "ingest", "--max-event-size", "300", "--rejects", rejects, in)
	if r.code != 2 {
		t.Fatalf("exit %d, want 2 (some rejected)\nstdout: %s\nstderr: %s", r.code, r.stdout, r.stderr)
	}
	for _, want := range []string{
		in + ":2: not JSON",
		in + ":4: missing timestamp",
		in + ":5: not a JSON object (got an array)",
		in + ":7: timestamp:",
		in + ":8: event is",
	} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
		}
	}
	if strings.ContainsAny(r.stderr, "\x1b\x07") {
		t.Errorf("stderr passes a raw terminal control through:\n%q", r.stderr)
	}
	if !strings.Contains(r.stdout, "stored 3, duplicates 0, rejected 5") {
		t.Errorf("summary: %s", r.stdout)
	}
	got, err := os.ReadFile(rejects)
	if err != nil {
		t.Fatal(err)
	}
	want := strings.Join([]string{lines[1], lines[3], lines[4], lines[6], lines[7]}, "\n") + "\n"
	if string(got) != want {
		t.Errorf("rejects file:\n%s\nwant verbatim:\n%s", got, want)
	}
	if !strings.Contains(r.stdout, rejects) {
		t.Errorf("rejects path not printed: %s", r.stdout)
	}
	reasons, _ := os.ReadFile(rejects + ".reasons")
	if n := strings.Count(string(reasons), "\n"); n != 5 {
		t.Errorf("reasons file has %d lines:\n%s", n, reasons)
	}
	if s := statusJSON(t, data); s["events"].(float64) != 3 {
		t.Errorf("status events %v", s["events"])
	}
}

func TestIngestArrayGzipAndStdinThenDuplicates(t *testing.T) {
	data := t.TempDir()
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	fmt.Fprintf(zw, "[\n  %s,\n  %s\n]\n", line("a1", "2025-01-15T10:00:00Z", "login.success"), line("a2", "1736935260", "logout"))
	zw.Close()
	arr := writeFile(t, "export.json.gz", gz.String())

	r := run(t, data, nil, "ingest", arr)
	if r.code != 0 || !strings.Contains(r.stdout, "stored 2, duplicates 0, rejected 0") {
		t.Fatalf("array: %d %s %s", r.code, r.stdout, r.stderr)
	}
	stdin := strings.NewReader(line("a1", "2025-01-15T10:00:00Z", "login.success") + "\n" + line("s1", "2025-01-15T11:00:00Z", "login.failed") + "\n")
	r = run(t, data, stdin, "ingest", "-")
	if r.code != 0 || !strings.Contains(r.stdout, "stored 1, duplicates 1, rejected 0") {
		t.Fatalf("stdin: %d %s %s", r.code, r.stdout, r.stderr)
	}
	if r.stderr != "" {
		t.Errorf("piped ingest wrote to stderr (a progress bar?): %q", r.stderr)
	}
	r = run(t, data, nil, "ingest", arr)
	if r.code != 0 || !strings.Contains(r.stdout, "stored 0, duplicates 2") {
		t.Fatalf("again: %d %s", r.code, r.stdout)
	}
}

func TestVerifyIntactThenBrokenAfterTampering(t *testing.T) {
	data := t.TempDir()
	var lines []string
	for i := 1; i <= 30; i++ {
		lines = append(lines, line(fmt.Sprintf("v%d", i), fmt.Sprintf("2025-01-15T10:%02d:00Z", i), "data.accessed"))
	}
	if r := run(t, data, nil, "ingest", writeFile(t, "e.jsonl", strings.Join(lines, "\n"))); r.code != 0 {
		t.Fatalf("ingest: %d %s", r.code, r.stderr)
	}
	status := statusJSON(t, data)
	r := run(t, data, nil, "verify")
	if r.code != 0 || !strings.HasPrefix(r.stdout, "intact: 30 events") || !strings.Contains(r.stdout, status["head_hash"].(string)) {
		t.Fatalf("verify: %d %q (head %v)", r.code, r.stdout, status["head_hash"])
	}
	r = run(t, data, nil, "verify", "--since", "2025-01-15T10:21:00Z", "--json")
	var rep map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil || r.code != 0 || rep["events"].(float64) != 10 || rep["from"].(float64) != 21 {
		t.Fatalf("verify --since --json: %d %s %v", r.code, r.stdout, err)
	}

	// Change one byte of record 12 behind vigil's back.
	db, err := badger.Open(badger.DefaultOptions(filepath.Join(data, "store", "badger")).WithLogger(nil).WithValueThreshold(64))
	if err != nil {
		t.Fatal(err)
	}
	key := []byte{'r', 0, 0, 0, 0, 0, 0, 0, 12}
	err = db.Update(func(txn *badger.Txn) error {
		item, err := txn.Get(key)
		if err != nil {
			return err
		}
		v, _ := item.ValueCopy(nil)
		i := bytes.Index(v, []byte("data.accessed"))
		v[i] = 'D'
		return txn.Set(key, v)
	})
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	r = run(t, data, nil, "verify")
	if r.code != 3 || !strings.Contains(r.stdout, "BROKEN at seq 12: changed") || !strings.Contains(r.stdout, "11 events verified") {
		t.Fatalf("verify after tampering: %d %q", r.code, r.stdout)
	}
}

func TestSecondProcessIsToldWhoHoldsTheStore(t *testing.T) {
	data := t.TempDir()
	holder := exec.Command(vigilBin, "--data", data, "ingest", "-")
	stdin, err := holder.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := holder.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { stdin.Close(); holder.Wait() }()
	// Wait until the holder has the store open.
	deadline := time.Now().Add(10 * time.Second)
	for {
		if b, _ := os.ReadFile(filepath.Join(data, "store", "vigil.lock")); len(b) > 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	r := run(t, data, nil, "status")
	if r.code != 1 {
		t.Fatalf("status while held: exit %d", r.code)
	}
	want := fmt.Sprintf("in use by pid %d (vigil --data %s ingest -)", holder.Process.Pid, data)
	if !strings.Contains(r.stderr, want) || strings.Contains(r.stderr, "goroutine") {
		t.Fatalf("stderr %q lacks %q", r.stderr, want)
	}
}

func TestInterruptedIngestKeepsWhatItReported(t *testing.T) {
	data := t.TempDir()
	cmd := exec.Command(vigilBin, "--data", data, "ingest", "-")
	stdin, _ := cmd.StdinPipe()
	var out bytes.Buffer
	cmd.Stdout = &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 5000; i++ {
		fmt.Fprintln(stdin, line(fmt.Sprintf("i%d", i), "2025-01-15T10:00:00Z", "login.success"))
	}
	time.Sleep(500 * time.Millisecond)
	cmd.Process.Signal(syscall.SIGINT)
	err := cmd.Wait()
	stdin.Close()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != exitSignal {
		t.Fatalf("exit %v, want %d; stdout %s", err, exitSignal, out.String())
	}
	m := regexp.MustCompile(`stored (\d+),`).FindStringSubmatch(out.String())
	if m == nil {
		t.Fatalf("no summary: %q", out.String())
	}
	if s := statusJSON(t, data); fmt.Sprint(s["events"]) != m[1] {
		t.Fatalf("reported stored %s, store holds %v", m[1], s["events"])
	}
	if r := run(t, data, nil, "verify"); r.code != 0 {
		t.Fatalf("verify after interrupt: %s", r.stdout)
	}
}

func TestDemoFillsOnceAndVerifies(t *testing.T) {
	data := filepath.Join(t.TempDir(), "demo")
	r := run(t, data, nil, "demo", "--events", "3000", "--end", "2025-02-01T00:00:00Z")
	if r.code != 0 || !strings.Contains(r.stdout, "generated 3000 events") {
		t.Fatalf("demo: %d %s %s", r.code, r.stdout, r.stderr)
	}
	r = run(t, data, nil, "demo", "--events", "3000", "--end", "2025-02-01T00:00:00Z")
	if r.code != 0 || !strings.Contains(r.stdout, "already holds 3000 events") {
		t.Fatalf("demo again: %d %s", r.code, r.stdout)
	}
	if r := run(t, data, nil, "verify"); r.code != 0 {
		t.Fatalf("verify: %s", r.stdout)
	}
	// Deterministic: the same seed and end give the same events (the CSV
	// export has no received time in it).
	before := run(t, data, nil, "query", "*", "--format", "csv").stdout
	r = run(t, data, nil, "demo", "--reset", "--events", "3000", "--end", "2025-02-01T00:00:00Z")
	if r.code != 0 || statusJSON(t, data)["events"].(float64) != 3000 {
		t.Fatalf("reset: %d %s", r.code, r.stderr)
	}
	if after := run(t, data, nil, "query", "*", "--format", "csv").stdout; after != before || strings.Count(after, "\n") < 3001 {
		t.Fatalf("the regenerated demo differs: %d bytes before, %d after", len(before), len(after))
	}
	// --reset refuses a directory vigil demo did not make.
	other := t.TempDir()
	if r := run(t, other, nil, "ingest", writeFile(t, "x.jsonl", line("x", "2025-01-01T00:00:00Z", "logout"))); r.code != 0 {
		t.Fatal(r.stderr)
	}
	if r := run(t, other, nil, "demo", "--reset"); r.code != 1 || !strings.Contains(r.stderr, "was not made by vigil demo") {
		t.Fatalf("reset of a real store: %d %s", r.code, r.stderr)
	}
}

func TestEncryptedStoreNeedsItsKey(t *testing.T) {
	data := t.TempDir()
	key := writeFile(t, "k", strings.Repeat("ab", 32)+"\n")
	in := writeFile(t, "e.jsonl", line("k1", "2025-01-15T10:00:00Z", "login.success"))
	if r := run(t, data, nil, "--key-file", key, "ingest", in); r.code != 0 {
		t.Fatalf("ingest: %s", r.stderr)
	}
	r := run(t, data, nil, "status")
	if r.code != 1 || !strings.Contains(r.stderr, "encrypted; give its key with --key-file") {
		t.Fatalf("status without key: %d %s", r.code, r.stderr)
	}
	r = run(t, data, nil, "--key-file", key, "status", "--json")
	if r.code != 0 || !strings.Contains(r.stdout, `"encrypted":true`) {
		t.Fatalf("status with key: %d %s %s", r.code, r.stdout, r.stderr)
	}
}

func TestHelpOnEveryCommand(t *testing.T) {
	for _, c := range []string{"ingest", "verify", "demo", "status", "completion"} {
		r := run(t, t.TempDir(), nil, c, "--help")
		if r.code != 0 || !strings.Contains(r.stdout, "Usage:") {
			t.Errorf("%s --help: %d %s", c, r.code, r.stdout)
		}
	}
	r := run(t, t.TempDir(), nil, "completion", "bash")
	if r.code != 0 || !strings.Contains(r.stdout, "bash completion") {
		t.Errorf("completion bash: %d", r.code)
	}
}

func TestParseSince(t *testing.T) {
	now := time.Date(2025, 2, 1, 12, 0, 0, 0, time.UTC)
	for in, want := range map[string]time.Time{
		"2025-01-15":           time.Date(2025, 1, 15, 0, 0, 0, 0, time.UTC),
		"2025-01-15T10:21:00Z": time.Date(2025, 1, 15, 10, 21, 0, 0, time.UTC),
		"24h":                  now.Add(-24 * time.Hour),
		"7d":                   now.Add(-7 * 24 * time.Hour),
		"2w":                   now.Add(-14 * 24 * time.Hour),
		"90m":                  now.Add(-90 * time.Minute),
		"now-1h":               now.Add(-time.Hour),
		"yesterday":            time.Date(2025, 1, 31, 0, 0, 0, 0, time.UTC),
	} {
		got, err := parseSince(in, now)
		if err != nil || !got.Equal(want) {
			t.Errorf("parseSince(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "soon", "7 days", "-3d"} {
		if _, err := parseSince(bad, now); err == nil {
			t.Errorf("parseSince(%q) accepted", bad)
		}
	}
}
