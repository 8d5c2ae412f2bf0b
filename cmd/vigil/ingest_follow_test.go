package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// follower is `vigil ingest --follow` running in the background.
type follower struct {
	cmd         *exec.Cmd
	out, errOut bytes.Buffer
	done        chan struct{}
	code        int
}

func startFollower(t *testing.T, data string, args ...string) *follower {
	t.Helper()
	f := &follower{done: make(chan struct{})}
	f.cmd = exec.Command(vigilBin, append([]string{"--data", data, "ingest", "--follow", "--poll", "50ms"}, args...)...)
	f.cmd.Stdout, f.cmd.Stderr = &f.out, &f.errOut
	if err := f.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		err := f.cmd.Wait()
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			f.code = ee.ExitCode()
		} else if err != nil {
			f.code = -1
		}
		close(f.done)
	}()
	t.Cleanup(func() {
		select {
		case <-f.done:
		default:
			f.cmd.Process.Kill()
			<-f.done
		}
	})
	return f
}

// stop sends SIGTERM and waits for the exit.
func (f *follower) stop(t *testing.T) {
	t.Helper()
	if err := f.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-f.done:
	case <-time.After(30 * time.Second):
		t.Fatalf("vigil ingest --follow does not stop on SIGTERM\nstderr: %s", f.errOut.String())
	}
}

// waitCheckpoint waits until the follower's state says the file now at
// name was read to its end: every line of it is stored.
func waitCheckpoint(t *testing.T, f *follower, data string, names ...string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for _, name := range names {
		fi, err := os.Stat(name)
		if err != nil {
			t.Fatal(err)
		}
		ino := fi.Sys().(*syscall.Stat_t).Ino
		for {
			var state struct {
				Files []struct {
					File   struct{ Ino uint64 }
					Offset int64
				}
			}
			raw, _ := os.ReadFile(filepath.Join(data, "follow", "state.json"))
			json.Unmarshal(raw, &state)
			done := false
			for _, cp := range state.Files {
				done = done || (cp.File.Ino == ino && cp.Offset == fi.Size())
			}
			if done {
				break
			}
			select {
			case <-f.done:
				t.Fatalf("vigil ingest --follow ended (%d)\nstdout: %s\nstderr: %s", f.code, f.out.String(), f.errOut.String())
			default:
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s not read to its end (%d bytes) after 30s; state:\n%s\nstderr: %s", name, fi.Size(), raw, f.errOut.String())
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
}

func followLines(from, to int) string {
	var b strings.Builder
	for i := from; i < to; i++ {
		b.WriteString(line(fmt.Sprintf("f%d", i), fmt.Sprintf("2025-01-15T10:%02d:%02dZ", i/60%60, i%60), "login.failed"))
		b.WriteByte('\n')
	}
	return b.String()
}

func appendFile(t *testing.T, path, s string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(s); err != nil {
		t.Fatal(err)
	}
}

// rotate does what logrotate does with "rotate 2" and "create".
func rotate(t *testing.T, path string) {
	t.Helper()
	if _, err := os.Stat(path + ".1"); err == nil {
		if err := os.Rename(path+".1", path+".2"); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Rename(path, path+".1"); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, nil, 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestIngestFollowAcrossRotationsAndARestart(t *testing.T) {
	data := t.TempDir()
	logPath := filepath.Join(t.TempDir(), "audit.jsonl")
	rejects := filepath.Join(t.TempDir(), "rejects.jsonl")
	appendFile(t, logPath, followLines(0, 100))

	f := startFollower(t, data, "--rejects", rejects, logPath)
	waitCheckpoint(t, f, data, logPath)
	appendFile(t, logPath, followLines(100, 150))
	rotate(t, logPath)
	appendFile(t, logPath, followLines(150, 200))
	waitCheckpoint(t, f, data, logPath+".1", logPath)
	f.stop(t)
	if f.code != 0 {
		t.Fatalf("exit %d after SIGTERM, want 0\nstdout: %s\nstderr: %s", f.code, f.out.String(), f.errOut.String())
	}
	if !strings.Contains(f.out.String(), "stored 200, duplicates 0, rejected 0") {
		t.Errorf("summary: %s", f.out.String())
	}
	if !strings.Contains(f.errOut.String(), logPath+": was renamed to "+logPath+".1") {
		t.Errorf("the rotation was not reported:\n%s", f.errOut.String())
	}

	// While it is stopped: more lines (one of them bad, and hostile), a
	// rotation, a new file.
	bad := `{"timestamp":"\u001b]0;pwned\u0007","event_type":"login.failed"}`
	appendFile(t, logPath, followLines(200, 220)+bad+"\n"+followLines(220, 230))
	rotate(t, logPath)
	appendFile(t, logPath, followLines(230, 250))

	f = startFollower(t, data, "--rejects", rejects, logPath)
	waitCheckpoint(t, f, data, logPath+".1", logPath)
	f.stop(t)
	if f.code != 2 {
		t.Fatalf("exit %d after SIGTERM with a rejected line, want 2\nstdout: %s\nstderr: %s", f.code, f.out.String(), f.errOut.String())
	}
	if !strings.Contains(f.out.String(), "stored 50, duplicates 0, rejected 1") {
		t.Errorf("summary after the restart: %s", f.out.String())
	}
	stderr := f.errOut.String()
	for _, want := range []string{
		logPath + ": was rotated while vigil was stopped; reading the rest of the old file, now " + logPath + ".1, from line 51",
		logPath + ".1:71: timestamp:",
	} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
	if strings.ContainsAny(stderr, "\x1b\x07") {
		t.Errorf("stderr passes a raw terminal control through:\n%q", stderr)
	}
	if kept, _ := os.ReadFile(rejects); string(kept) != bad+"\n" {
		t.Errorf("rejects file %q, want the bad line verbatim", kept)
	}

	r := run(t, data, nil, "query", "*", "--count")
	if r.code != 0 || strings.TrimSpace(r.stdout) != "250" {
		t.Fatalf("query --count: %d %q %s", r.code, r.stdout, r.stderr)
	}
	r = run(t, data, nil, "query", "id:f249", "--count")
	if strings.TrimSpace(r.stdout) != "1" {
		t.Errorf("the last line is not searchable: %q %s", r.stdout, r.stderr)
	}
	r = run(t, data, nil, "verify")
	if r.code != 0 || !strings.Contains(r.stdout, "intact: 250 events") {
		t.Fatalf("verify: %d %s %s", r.code, r.stdout, r.stderr)
	}
}

func TestIngestFollowRefusesStdinAHeldBackK8sStageAndStrayFlags(t *testing.T) {
	data := t.TempDir()
	r := run(t, data, nil, "ingest", "--follow", "-")
	if r.code != 1 || !strings.Contains(r.stderr, "follows files") {
		t.Errorf("--follow -: %d %s", r.code, r.stderr)
	}
	r = run(t, data, nil, "ingest", "--follow", "--k8s-stage", "ResponseComplete", "x.log")
	if r.code != 1 || !strings.Contains(r.stderr, "keeps every stage") {
		t.Errorf("--follow --k8s-stage: %d %s", r.code, r.stderr)
	}
	r = run(t, data, nil, "ingest", "--poll", "1s", "x.log")
	if r.code != 1 || !strings.Contains(r.stderr, "--poll goes with --follow") {
		t.Errorf("--poll without --follow: %d %s", r.code, r.stderr)
	}
}

func TestIngestFollowKilledWhileWritingLosesAndRepeatsNothing(t *testing.T) {
	data := t.TempDir()
	logPath := filepath.Join(t.TempDir(), "audit.jsonl")
	appendFile(t, logPath, "")
	f := startFollower(t, data, logPath)
	const total, batch = 2000, 50
	for i := 0; i < total; i += batch {
		appendFile(t, logPath, followLines(i, i+batch))
		if i == total/2 {
			// A crash in the middle of the stream: once it has stored
			// half, while it reads, stores and checkpoints more.
			waitCheckpoint(t, f, data, logPath)
			appendFile(t, logPath, followLines(i+batch, i+2*batch))
			i += batch
			time.Sleep(60 * time.Millisecond)
			f.cmd.Process.Kill()
			<-f.done
			f = startFollower(t, data, logPath)
		}
		time.Sleep(10 * time.Millisecond)
	}
	waitCheckpoint(t, f, data, logPath)
	f.stop(t)
	if f.code != 0 {
		t.Fatalf("exit %d\nstderr: %s", f.code, f.errOut.String())
	}
	r := run(t, data, nil, "query", "*", "--count")
	if strings.TrimSpace(r.stdout) != fmt.Sprint(total) {
		t.Fatalf("query --count: %q, want %d (%s)", r.stdout, total, r.stderr)
	}
	r = run(t, data, nil, "verify")
	if r.code != 0 || !strings.Contains(r.stdout, fmt.Sprintf("intact: %d events", total)) {
		t.Fatalf("verify: %d %s %s", r.code, r.stdout, r.stderr)
	}
	t.Logf("after the restart: %s", strings.TrimSpace(f.out.String()))
}
