package tui

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/vigil-dev/vigil/event"
)

// The files of the data directory the explorer keeps.
const (
	historyFile = "query-history.json"
	savedFile   = "saved-searches.json"
)

// savedSearch is a query kept under a name, with its time range.
type savedSearch struct {
	Name  string `json:"name"`
	Query string `json:"query"`
	// Range is the time range's preset name (15m, 24h, all, ...), or
	// "custom" with From and To.
	Range string `json:"range,omitempty"`
	From  string `json:"from,omitempty"`
	To    string `json:"to,omitempty"`
}

type historyDoc struct {
	Version int      `json:"version"`
	Queries []string `json:"queries"`
}

type savedDoc struct {
	Version  int           `json:"version"`
	Searches []savedSearch `json:"searches"`
}

// loadPrefs reads the history and the saved searches of a data directory.
// A file that does not parse is moved aside (FILE.corrupt) and reported,
// so that writing anew loses nothing.
func loadPrefs(dir string) tea.Cmd {
	return func() tea.Msg {
		if dir == "" {
			return historyLoadedMsg{}
		}
		var msg historyLoadedMsg
		var h historyDoc
		if err := readJSON(filepath.Join(dir, historyFile), &h); err != nil {
			msg.err = err
		}
		for _, q := range h.Queries {
			// Only what could have been typed: the file may have been
			// edited by hand.
			if q != "" && event.Safe(q) == q {
				msg.history = append(msg.history, q)
			}
		}
		var s savedDoc
		if err := readJSON(filepath.Join(dir, savedFile), &s); err != nil && msg.err == nil {
			msg.err = err
		}
		for _, x := range s.Searches {
			if x.Name != "" && event.Safe(x.Name) == x.Name && event.Safe(x.Query) == x.Query {
				msg.saved = append(msg.saved, x)
			}
		}
		return msg
	}
}

func readJSON(path string, v any) error {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read %s: %w", path, err)
	}
	if err := json.Unmarshal(data, v); err != nil {
		aside := path + ".corrupt"
		if rerr := os.Rename(path, aside); rerr != nil {
			return fmt.Errorf("%s does not parse (%v) and could not be moved aside: %w", path, err, rerr)
		}
		return fmt.Errorf("%s does not parse (%v): moved to %s", path, err, aside)
	}
	return nil
}

// saveHistory writes the history.
func saveHistory(dir string, queries []string) tea.Cmd {
	if dir == "" {
		return nil
	}
	doc := historyDoc{Version: 1, Queries: append([]string(nil), queries...)}
	return func() tea.Msg {
		return savedMsg{err: writeJSON(filepath.Join(dir, historyFile), doc)}
	}
}

// saveSearches writes the saved searches.
func saveSearches(dir string, list []savedSearch) tea.Cmd {
	if dir == "" {
		return nil
	}
	doc := savedDoc{Version: 1, Searches: append([]savedSearch(nil), list...)}
	return func() tea.Msg {
		return savedMsg{err: writeJSON(filepath.Join(dir, savedFile), doc)}
	}
}

// writeJSON replaces a file atomically (a temporary file renamed over it),
// readable by its owner only.
func writeJSON(path string, v any) error {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".*.tmp")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	tmp := f.Name()
	_, werr := f.Write(append(data, '\n'))
	if err := f.Chmod(0o600); werr == nil {
		werr = err
	}
	if err := f.Close(); werr == nil {
		werr = err
	}
	if werr == nil {
		werr = os.Rename(tmp, path)
	}
	if werr != nil {
		os.Remove(tmp)
		return fmt.Errorf("write %s: %w", path, werr)
	}
	return nil
}
