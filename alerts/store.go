package alerts

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/vigil-dev/vigil/event"
)

// Files of the alert store, under DATA/alerts.
const (
	alertsFile = "alerts.jsonl"
	stateFile  = "state.json"
	lockFile   = "alerts.lock"
)

// Dir is where a data directory keeps its alerts: apart from the event
// store, which alerts never change.
func Dir(dataDir string) string { return filepath.Join(dataDir, "alerts") }

// Store keeps fired alerts in an append-only JSON Lines file, one alert a
// line, synced to disk before Append returns, and the seq of the last
// evaluated event beside it. It answers lists with filters and, for the
// explorer, the severity of the alerts an event took part in. One process
// writes (it holds a lock); others may open it read-only and Refresh to
// see what was added since.
//
// It is safe for concurrent use.
type Store struct {
	dir      string
	readOnly bool
	log      *slog.Logger

	mu      sync.RWMutex
	f       *os.File // the alerts file, for appending; nil when read-only
	lock    *os.File
	alerts  []Alert // in file order
	byID    map[string]int
	bySeq   map[uint64]int8 // highest severity rank of the alerts each event is in
	offset  int64           // bytes of the file read so far
	line    int             // lines read so far
	lastSeq uint64
	changed chan struct{}
}

// StoreOptions configure OpenStore.
type StoreOptions struct {
	// ReadOnly opens without the writer's lock: for listing while another
	// process (vigil serve) evaluates.
	ReadOnly bool
	Logger   *slog.Logger
}

// OpenStore opens (creating when writable) the alert store of a data
// directory.
func OpenStore(dataDir string, opts StoreOptions) (*Store, error) {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	s := &Store{dir: Dir(dataDir), readOnly: opts.ReadOnly, log: opts.Logger,
		byID: map[string]int{}, bySeq: map[uint64]int8{}, changed: make(chan struct{})}
	if !s.readOnly {
		if err := os.MkdirAll(s.dir, 0o700); err != nil {
			return nil, fmt.Errorf("open alerts: %w", err)
		}
		_ = os.Chmod(s.dir, 0o700)
		lf, err := os.OpenFile(filepath.Join(s.dir, lockFile), os.O_RDWR|os.O_CREATE, 0o600)
		if err != nil {
			return nil, fmt.Errorf("open alerts: %w", err)
		}
		if err := syscall.Flock(int(lf.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
			lf.Close()
			return nil, fmt.Errorf("open alerts %s: another process is evaluating alerts in this data directory", s.dir)
		}
		s.lock = lf
		f, err := os.OpenFile(filepath.Join(s.dir, alertsFile), os.O_RDWR|os.O_CREATE, 0o600)
		if err != nil {
			s.Close()
			return nil, fmt.Errorf("open alerts: %w", err)
		}
		s.f = f
	}
	if err := s.readState(); err != nil {
		s.Close()
		return nil, err
	}
	if err := s.Refresh(); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// Close releases the store.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	var err error
	if s.f != nil {
		err = s.f.Close()
		s.f = nil
	}
	if s.lock != nil {
		s.lock.Close()
		s.lock = nil
	}
	return err
}

// Refresh reads the alerts appended to the file since it was last read (by
// another process, when this one is read-only). A writer truncates a torn
// last line (a crash in the middle of an append: its alert was never
// reported stored, and is evaluated again); any other line that does not
// decode is an error naming it.
func (s *Store) Refresh() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	path := filepath.Join(s.dir, alertsFile)
	f := s.f
	if f == nil {
		var err error
		if f, err = os.Open(path); err != nil {
			if errors.Is(err, os.ErrNotExist) {
				return nil
			}
			return fmt.Errorf("read alerts: %w", err)
		}
		defer f.Close()
	}
	if _, err := f.Seek(s.offset, io.SeekStart); err != nil {
		return fmt.Errorf("read alerts: %w", err)
	}
	r := bufio.NewReaderSize(f, 64<<10)
	added := false
	for {
		line, err := r.ReadBytes('\n')
		if err == io.EOF {
			if len(line) > 0 && s.f != nil {
				s.log.Warn("alerts: dropping a torn last line (an append cut short)", "file", path, "line", s.line+1, "bytes", len(line))
				if err := s.f.Truncate(s.offset); err != nil {
					return fmt.Errorf("repair alerts %s: %w", path, err)
				}
			}
			break
		}
		if err != nil {
			return fmt.Errorf("read alerts: %w", err)
		}
		s.line++
		s.offset += int64(len(line))
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		var a Alert
		if err := json.Unmarshal(line, &a); err != nil {
			return fmt.Errorf("%s:%d: not an alert: %v", path, s.line, err)
		}
		if a.ID == "" || a.Rule == "" {
			return fmt.Errorf("%s:%d: not an alert: no id or rule", path, s.line)
		}
		s.add(a)
		added = true
	}
	if added {
		s.notify()
	}
	return nil
}

// add indexes an alert; the caller holds mu.
func (s *Store) add(a Alert) {
	if _, dup := s.byID[a.ID]; dup {
		return
	}
	s.byID[a.ID] = len(s.alerts)
	s.alerts = append(s.alerts, a)
	rank := int8(severityRank(a.Severity))
	for _, seq := range a.Seqs {
		if old, ok := s.bySeq[seq]; !ok || rank > old {
			s.bySeq[seq] = rank
		}
	}
}

func (s *Store) notify() {
	close(s.changed)
	s.changed = make(chan struct{})
}

// Changed returns a channel closed at the next change to the alerts.
func (s *Store) Changed() <-chan struct{} {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.changed
}

// Has reports whether an alert with that id is stored.
func (s *Store) Has(id string) bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	_, ok := s.byID[id]
	return ok
}

// Append stores the alerts not stored yet (by id) and returns them, once
// they are on disk.
func (s *Store) Append(alerts []Alert) ([]Alert, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.f == nil {
		return nil, errors.New("append alerts: the store is read-only or closed")
	}
	var fresh []Alert
	var buf []byte
	seen := map[string]bool{}
	for _, a := range alerts {
		if _, dup := s.byID[a.ID]; dup || seen[a.ID] {
			continue
		}
		seen[a.ID] = true
		b, err := MarshalLine(a)
		if err != nil {
			return nil, fmt.Errorf("append alerts: %w", err)
		}
		buf = append(append(buf, b...), '\n')
		fresh = append(fresh, a)
	}
	if len(fresh) == 0 {
		return nil, nil
	}
	if _, err := s.f.WriteAt(buf, s.offset); err != nil {
		// Whatever part was written is a torn line: cut it off again.
		_ = s.f.Truncate(s.offset)
		return nil, fmt.Errorf("append alerts: %w", err)
	}
	if err := s.f.Sync(); err != nil {
		_ = s.f.Truncate(s.offset)
		return nil, fmt.Errorf("append alerts: sync: %w", err)
	}
	s.offset += int64(len(buf))
	s.line += len(fresh)
	for _, a := range fresh {
		s.add(a)
	}
	s.notify()
	return fresh, nil
}

// storeState is the state file: the last event evaluated.
type storeState struct {
	LastSeq uint64 `json:"last_seq"`
}

func (s *Store) readState() error {
	b, err := os.ReadFile(filepath.Join(s.dir, stateFile))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read alerts state: %w", err)
	}
	var st storeState
	if err := json.Unmarshal(b, &st); err != nil {
		return fmt.Errorf("read alerts state %s: %v", filepath.Join(s.dir, stateFile), err)
	}
	s.lastSeq = st.LastSeq
	return nil
}

// LastSeq is the seq of the last event evaluated, as last saved: 0 before
// any.
func (s *Store) LastSeq() uint64 {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.lastSeq
}

// SaveLastSeq records that every event up to seq was evaluated and its
// alerts stored. The file is replaced atomically and synced.
func (s *Store) SaveLastSeq(seq uint64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.f == nil {
		return errors.New("save alerts state: the store is read-only or closed")
	}
	b, _ := json.Marshal(storeState{LastSeq: seq})
	tmp := filepath.Join(s.dir, stateFile+".tmp")
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("save alerts state: %w", err)
	}
	_, werr := f.Write(append(b, '\n'))
	serr := f.Sync()
	cerr := f.Close()
	if err := errors.Join(werr, serr, cerr); err != nil {
		return fmt.Errorf("save alerts state: %w", err)
	}
	if err := os.Rename(tmp, filepath.Join(s.dir, stateFile)); err != nil {
		return fmt.Errorf("save alerts state: %w", err)
	}
	if d, err := os.Open(s.dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
	s.lastSeq = seq
	return nil
}

// Filter selects alerts for List. Zero fields select everything.
type Filter struct {
	Rule string // exact rule name
	// Severity keeps alerts of at least this severity.
	Severity string
	// Since and Until bound the alert's event time: [Since, Until).
	Since, Until time.Time
	// Seq keeps the alerts the event at that seq is in.
	Seq uint64
	// Limit keeps the newest Limit; 0 keeps all.
	Limit int
}

// List returns the alerts that pass f, newest first (by event time, then
// by trigger seq).
func (s *Store) List(f Filter) []Alert {
	s.mu.RLock()
	defer s.mu.RUnlock()
	minRank := 0
	if f.Severity != "" {
		minRank = severityRank(strings.ToLower(f.Severity))
	}
	var out []Alert
	for _, a := range s.alerts {
		switch {
		case f.Rule != "" && a.Rule != f.Rule,
			severityRank(a.Severity) < minRank,
			!f.Since.IsZero() && a.Time.Before(f.Since),
			!f.Until.IsZero() && !a.Time.Before(f.Until),
			f.Seq != 0 && !slices.Contains(a.Seqs, f.Seq):
			continue
		}
		out = append(out, cloneAlert(a))
	}
	slices.SortStableFunc(out, func(a, b Alert) int {
		if c := b.Time.Compare(a.Time); c != 0 {
			return c
		}
		switch {
		case a.TriggerSeq > b.TriggerSeq:
			return -1
		case a.TriggerSeq < b.TriggerSeq:
			return 1
		}
		return strings.Compare(a.Rule, b.Rule)
	})
	if f.Limit > 0 && len(out) > f.Limit {
		out = out[:f.Limit]
	}
	return out
}

// Recent returns the newest n alerts.
func (s *Store) Recent(n int) []Alert { return s.List(Filter{Limit: n}) }

// Len is the number of stored alerts.
func (s *Store) Len() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return len(s.alerts)
}

// AlertSeverity returns the highest severity of the alerts the event at
// seq fired or took part in, for the explorer to highlight it.
func (s *Store) AlertSeverity(seq uint64) (string, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	r, ok := s.bySeq[seq]
	if !ok {
		return "", false
	}
	return severityName(int(r)), true
}

func severityName(rank int) string {
	if rank < 0 || rank >= len(event.Severities) {
		return ""
	}
	return event.Severities[rank]
}

func cloneAlert(a Alert) Alert {
	a.Seqs = slices.Clone(a.Seqs)
	g := make(map[string]string, len(a.Group))
	for k, v := range a.Group {
		g[k] = v
	}
	a.Group = g
	return a
}
