package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

const lockName = "vigil.lock"

// Holder describes the process that holds a store open.
type Holder struct {
	PID     int       `json:"pid"`
	Command string    `json:"command"`
	Since   time.Time `json:"since"`
	// Reach says how to use the store while this process holds it (for
	// `vigil serve`: the ssh command of its explorer), when it can be used.
	Reach string `json:"reach,omitempty"`
}

// LockedError is returned by Open when another process holds the store.
type LockedError struct {
	Dir    string
	Holder Holder // zero when the holder could not be read
}

func (e *LockedError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "store %s is in use", e.Dir)
	if e.Holder.PID != 0 {
		fmt.Fprintf(&b, " by pid %d", e.Holder.PID)
		if e.Holder.Command != "" {
			fmt.Fprintf(&b, " (%s)", e.Holder.Command)
		}
		if !e.Holder.Since.IsZero() {
			fmt.Fprintf(&b, " since %s", e.Holder.Since.Format(time.RFC3339))
		}
	}
	if e.Holder.Reach != "" {
		fmt.Fprintf(&b, "; reach it with: %s", e.Holder.Reach)
	} else {
		b.WriteString("; one process at a time owns a store: wait for it to finish or stop it, or use another --data directory")
	}
	return b.String()
}

// dirLock is an exclusive advisory lock (flock) on the store directory,
// released by the kernel when the process dies, so a crash never leaves a
// stale lock behind.
type dirLock struct{ f *os.File }

func lockDir(dir string, h Holder) (*dirLock, error) {
	path := filepath.Join(dir, lockName)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open lock %s: %w", path, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			le := &LockedError{Dir: dir}
			if data, rerr := os.ReadFile(path); rerr == nil {
				_ = json.Unmarshal(data, &le.Holder)
			}
			return nil, le
		}
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	l := &dirLock{f: f}
	if err := l.write(h); err != nil {
		l.release()
		return nil, err
	}
	return l, nil
}

func (l *dirLock) write(h Holder) error {
	data, _ := json.Marshal(h)
	if err := l.f.Truncate(0); err != nil {
		return fmt.Errorf("write lock: %w", err)
	}
	if _, err := l.f.WriteAt(append(data, '\n'), 0); err != nil {
		return fmt.Errorf("write lock: %w", err)
	}
	return nil
}

func (l *dirLock) release() {
	_ = l.f.Truncate(0)
	_ = syscall.Flock(int(l.f.Fd()), syscall.LOCK_UN)
	_ = l.f.Close()
}

// ReadHolder reports which process holds the store at dir, if any, without
// disturbing it.
func ReadHolder(dir string) (Holder, bool) {
	path := filepath.Join(dir, lockName)
	f, err := os.Open(path)
	if err != nil {
		return Holder{}, false
	}
	defer f.Close()
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_SH|syscall.LOCK_NB); err == nil {
		_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		return Holder{}, false
	}
	var h Holder
	data, _ := os.ReadFile(path)
	_ = json.Unmarshal(data, &h)
	return h, true
}

func currentCommand() string {
	data, err := os.ReadFile("/proc/self/cmdline")
	if err != nil {
		return filepath.Base(os.Args[0])
	}
	parts := strings.Split(strings.TrimRight(string(data), "\x00"), "\x00")
	if len(parts) > 0 {
		parts[0] = filepath.Base(parts[0])
	}
	return strings.Join(parts, " ")
}
