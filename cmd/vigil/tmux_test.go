package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// tmuxTerm is the real vigil binary running in a real terminal: a tmux
// session of its own (on a private server socket), driven by send-keys and
// read by capture-pane.
type tmuxTerm struct {
	t      *testing.T
	socket string
	target string
	// dir is the program's working directory, empty at the start.
	dir string
}

// needTmux returns the tmux binary, or ends the test saying why it cannot
// run. Where VIGIL_E2E is set (CI sets it) a missing tmux fails the test
// instead: CI must not pass by skipping.
func needTmux(t *testing.T) string {
	t.Helper()
	path, err := exec.LookPath("tmux")
	if err != nil {
		if os.Getenv("VIGIL_E2E") != "" {
			t.Fatalf("tmux is not installed, and VIGIL_E2E asks for the end-to-end terminal tests: install tmux (apt-get install tmux)")
		}
		t.Skipf("end-to-end terminal test not run: tmux is not installed (apt-get install tmux)")
	}
	return path
}

// startTmux runs vigil with args in a w×h terminal.
func startTmux(t *testing.T, w, h int, env []string, args ...string) *tmuxTerm {
	t.Helper()
	needTmux(t)
	dir := t.TempDir()
	tm := &tmuxTerm{t: t, socket: filepath.Join(dir, "tmux.sock"), target: "vigil", dir: filepath.Join(dir, "work")}
	if err := os.Mkdir(tm.dir, 0o700); err != nil {
		t.Fatal(err)
	}
	// The command runs under a shell of tmux's; keep it on after vigil
	// exits so its last screen and status can be read.
	cmdline := []string{"env"}
	cmdline = append(cmdline, env...)
	cmdline = append(cmdline, shellQuote(vigilBin))
	for _, a := range args {
		cmdline = append(cmdline, shellQuote(a))
	}
	shell := strings.Join(cmdline, " ") + "; echo vigil-exited-$?; sleep 600"
	tm.tmux("-f", "/dev/null", "new-session", "-d", "-s", tm.target, "-c", tm.dir, "-x", fmt.Sprint(w), "-y", fmt.Sprint(h), shell)
	tm.tmux("set-option", "-t", tm.target, "status", "off")
	t.Cleanup(func() { _ = exec.Command("tmux", "-S", tm.socket, "kill-server").Run() })
	return tm
}

func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

func (tm *tmuxTerm) tmux(args ...string) string {
	tm.t.Helper()
	out, err := exec.Command("tmux", append([]string{"-S", tm.socket}, args...)...).CombinedOutput()
	if err != nil {
		tm.t.Fatalf("tmux %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// screen is the pane's text as a terminal shows it, without colours.
func (tm *tmuxTerm) screen() string { return tm.tmux("capture-pane", "-p", "-t", tm.target) }

// raw is the pane with its attributes as escape sequences (-e): any escape
// in it that is not a colour or attribute tmux itself wrote came from the
// program.
func (tm *tmuxTerm) raw() string { return tm.tmux("capture-pane", "-p", "-e", "-t", tm.target) }

// title is the pane's title, which an OSC 0/2 sequence would change.
func (tm *tmuxTerm) title() string {
	return strings.TrimSpace(tm.tmux("display-message", "-p", "-t", tm.target, "#{pane_title}"))
}

// keys sends tmux key names (Enter, Escape, C-d, …) or literal text.
func (tm *tmuxTerm) keys(keys ...string) {
	tm.t.Helper()
	tm.tmux(append([]string{"send-keys", "-t", tm.target}, keys...)...)
}

// escape sends Escape alone and waits until the program has answered it
// (the screen changed). A key sent right behind an Escape can reach the
// program in the same read, which a terminal program must take as alt+key:
// the escape would be lost.
func (tm *tmuxTerm) escape() {
	tm.t.Helper()
	before := tm.screen()
	tm.keys("Escape")
	tm.waitFor("the screen change Escape makes", 5*time.Second, func(s string) bool { return s != before })
}

// text types literal text.
func (tm *tmuxTerm) text(s string) {
	tm.t.Helper()
	tm.tmux("send-keys", "-t", tm.target, "-l", s)
}

// waitFor waits until the screen satisfies ok, and returns it; after
// timeout it fails the test showing the last screen.
func (tm *tmuxTerm) waitFor(what string, timeout time.Duration, ok func(screen string) bool) string {
	tm.t.Helper()
	deadline := time.Now().Add(timeout)
	var s string
	for {
		s = tm.screen()
		if ok(s) {
			return s
		}
		if time.Now().After(deadline) {
			tm.t.Fatalf("after %v the screen does not show %s:\n%s", timeout, what, s)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// waitText waits for the screen to contain text.
func (tm *tmuxTerm) waitText(text string, timeout time.Duration) string {
	tm.t.Helper()
	return tm.waitFor(fmt.Sprintf("%q", text), timeout, func(s string) bool { return strings.Contains(s, text) })
}
