package follow

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"time"
)

// StateFile is the name of the checkpoint file in the state directory.
const StateFile = "state.json"

// stateVersion is the version of the checkpoint file's layout.
const stateVersion = 1

// Checkpoint says how far a file followed at a path has been read and
// stored: every line before Position is durable in the store (or was
// rejected and is kept in the rejects file).
type Checkpoint struct {
	// Path is the followed path (absolute).
	Path string `json:"path"`
	// File is the identity of the file read.
	File FileID `json:"file"`
	Position
	// Fingerprint is that of the file's first bytes, up to Offset.
	Fingerprint Fingerprint `json:"fingerprint"`
	// Name is the file's name when it was read under another one than
	// Path (a rotated file found after a restart).
	Name string `json:"name,omitempty"`
	// Updated is when the checkpoint was taken.
	Updated time.Time `json:"updated"`
}

func (cp Checkpoint) key() string { return cp.Path + "\x00" + cp.File.String() }

// State is the set of checkpoints kept in a state directory
// (DATA/follow/state.json): one for each file of each followed path that
// was read and is not finished. It is written whole and atomically (a
// temporary file, fsync, rename, fsync of the directory), so that a crash
// leaves the previous state or the new one, never a mix.
type State struct {
	dir   string
	files map[string]Checkpoint
}

type stateFile struct {
	Version int          `json:"version"`
	Files   []Checkpoint `json:"files"`
}

// LoadState reads the checkpoints kept in dir; none when it holds no state
// file yet.
func LoadState(dir string) (*State, error) {
	s := &State{dir: dir, files: map[string]Checkpoint{}}
	data, err := os.ReadFile(filepath.Join(dir, StateFile))
	if errors.Is(err, fs.ErrNotExist) {
		return s, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read follow state: %w", err)
	}
	var f stateFile
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, fmt.Errorf("read follow state %s: %w", filepath.Join(dir, StateFile), err)
	}
	if f.Version != stateVersion {
		return nil, fmt.Errorf("read follow state %s: version %d, want %d", filepath.Join(dir, StateFile), f.Version, stateVersion)
	}
	for _, cp := range f.Files {
		s.files[cp.key()] = cp
	}
	return s, nil
}

// For returns the checkpoints of the files read at path, oldest first.
func (s *State) For(path string) []Checkpoint {
	var cps []Checkpoint
	for _, cp := range s.files {
		if cp.Path == path {
			cps = append(cps, cp)
		}
	}
	sort.Slice(cps, func(i, j int) bool { return cps[i].Updated.Before(cps[j].Updated) })
	return cps
}

// All returns every checkpoint, sorted by path and file.
func (s *State) All() []Checkpoint {
	cps := make([]Checkpoint, 0, len(s.files))
	for _, cp := range s.files {
		cps = append(cps, cp)
	}
	sort.Slice(cps, func(i, j int) bool { return cps[i].key() < cps[j].key() })
	return cps
}

// Set records a checkpoint, replacing the one of the same path and file.
func (s *State) Set(cp Checkpoint) { s.files[cp.key()] = cp }

// Drop forgets the checkpoint of a file of a path.
func (s *State) Drop(path string, file FileID) {
	delete(s.files, Checkpoint{Path: path, File: file}.key())
}

// Save writes the state atomically.
func (s *State) Save() error {
	data, err := json.MarshalIndent(stateFile{Version: stateVersion, Files: s.All()}, "", "  ")
	if err != nil {
		return fmt.Errorf("save follow state: %w", err)
	}
	return writeAtomic(s.dir, StateFile, append(data, '\n'))
}

// writeAtomic replaces dir/name with data: a crash leaves the old content
// or the new one.
func writeAtomic(dir, name string, data []byte) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("save %s: %w", name, err)
	}
	tmp, err := os.CreateTemp(dir, name+".tmp*")
	if err != nil {
		return fmt.Errorf("save %s: %w", name, err)
	}
	defer os.Remove(tmp.Name()) // after the rename, there is nothing to remove
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("save %s: %w", name, err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("save %s: %w", name, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("save %s: %w", name, err)
	}
	if err := os.Rename(tmp.Name(), filepath.Join(dir, name)); err != nil {
		return fmt.Errorf("save %s: %w", name, err)
	}
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("save %s: %w", name, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("save %s: sync directory: %w", name, err)
	}
	return nil
}
