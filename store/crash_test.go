package store

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/vigil-dev/vigil/event"
)

// crashChildEnv names the store directory a re-executed test binary appends
// to until it is killed.
const crashChildEnv = "VIGIL_STORE_CRASH_CHILD"

// TestMain runs the crash child when asked to, instead of the tests.
func TestMain(m *testing.M) {
	if dir := os.Getenv(crashChildEnv); dir != "" {
		crashChild(dir)
		return
	}
	os.Exit(m.Run())
}

// crashChild is the child of TestKilledWriterLosesNothingReported: it
// appends batches from several goroutines and prints "stored ID SEQ" for
// every event only after Append returned, until it is killed.
func crashChild(dir string) {
	s, err := Open(dir, Options{})
	if err != nil {
		fmt.Println("error open:", err)
		os.Exit(3)
	}
	out := make(chan string, 1024)
	for w := 0; w < 4; w++ {
		go func(w int) {
			base := time.Date(2025, 1, 15, 0, 0, 0, 0, time.UTC)
			for b := 0; ; b++ {
				var evs []*event.Event
				for i := 0; i < 50; i++ {
					raw := fmt.Sprintf(`{"event_id":"w%d-b%d-i%d","timestamp":%q,"event_type":"data.accessed"}`,
						w, b, i, base.Add(time.Duration(b*50+i)*time.Second).Format(time.RFC3339))
					ev, err := event.Decode([]byte(raw))
					if err != nil {
						out <- "error " + err.Error()
						return
					}
					evs = append(evs, ev)
				}
				res, err := s.Append(context.Background(), evs)
				if err != nil {
					out <- "error " + err.Error()
					return
				}
				for i, ev := range evs {
					out <- fmt.Sprintf("stored %s %d", ev.ID, res.Seqs[i])
				}
			}
		}(w)
	}
	w := bufio.NewWriter(os.Stdout)
	for line := range out {
		fmt.Fprintln(w, line)
		if len(out) == 0 {
			w.Flush()
		}
	}
}

func TestKilledWriterLosesNothingReported(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns a child process")
	}
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), crashChildEnv+"="+dir)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Read everything the child prints, while it runs and up to its death:
	// every event it printed was reported stored.
	var mu sync.Mutex
	reported := map[string]uint64{}
	var childErr string
	enough := make(chan struct{})
	readDone := make(chan struct{})
	go func() {
		defer close(readDone)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			f := strings.Fields(sc.Text())
			mu.Lock()
			switch {
			case len(f) == 3 && f[0] == "stored":
				var seq uint64
				fmt.Sscan(f[2], &seq)
				reported[f[1]] = seq
				if len(reported) == 3000 {
					close(enough)
				}
			case len(f) > 0 && f[0] == "error":
				childErr = sc.Text()
			}
			mu.Unlock()
		}
	}()
	select {
	case <-enough:
	case <-readDone:
	case <-time.After(60 * time.Second):
	}
	// Kill it mid-write: the writers are still appending.
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-readDone
	_ = cmd.Wait()
	if childErr != "" {
		t.Fatalf("child: %s", childErr)
	}
	if len(reported) < 3000 {
		t.Fatalf("child reported only %d events", len(reported))
	}

	s := openTest(t, dir, Options{})
	rep, err := s.Verify(context.Background(), VerifyOptions{})
	if err != nil || !rep.Intact {
		t.Fatalf("verify after SIGKILL: %+v %v", rep, err)
	}
	for id, seq := range reported {
		got, err := s.LookupID(id)
		if err != nil || got != seq {
			t.Fatalf("event %s reported at seq %d: after the crash %d, %v", id, seq, got, err)
		}
	}
	t.Logf("child reported %d events stored; the store holds %d after SIGKILL, chain intact", len(reported), s.Count())
}
