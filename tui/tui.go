// Package tui is vigil's explorer: a keyboard-driven Bubble Tea program over
// the engine. It owns the layout, focus, key maps, styles and components
// (header, sidebar of categories, results table, detail pane, query bar,
// timeline, status line, help overlay and dialogs), the live tail, and the
// alerts pane with the highlight of the events alerts fired on.
//
// It does no I/O inside Update: every engine call, file read and write runs
// in a tea.Cmd that returns a typed message, and a new query cancels the one
// in flight. The results table reads pages lazily around the view and keeps
// a bounded number of them, so memory stays flat for any number of matches.
// Every string from an event goes through event.Safe before it is drawn.
//
// Rows: a query's first page pins a snapshot (the newest match's index id
// and time), so that positions hold while events arrive; those come by
// the live tail instead. Blocks of rows are read from the cursor of a
// nearby block, or, far away (G), from a cursor found by time: the counts
// by hour, then by minute, then halving the minute by counts, give the
// instant before which the wanted row lies. Only block cursors are kept
// of what scrolled by.
//
// Live tail: a goroutine per session reads the engine's live bus, keeps
// the events that match the query and signals; the model takes what
// gathered at most once a frame, so thousands of events a second cost one
// render a frame and never hold up the keys.
//
// It does not open stores or terminals: the command line (and the SSH
// server) open the engine and run the program returned by New.
package tui

import (
	"context"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"github.com/vigil-dev/vigil/alerts"
	"github.com/vigil-dev/vigil/engine"
)

// Options configure New.
type Options struct {
	// DataDir is where the query history and the saved searches are kept
	// (files in the data directory). Empty keeps them in memory only.
	DataDir string
	// Renderer carries the session's colour profile and background; nil
	// uses lipgloss's default renderer (standard output). Build it before
	// the program starts: detecting the background queries the terminal.
	Renderer *lipgloss.Renderer
	// Now is the clock of time presets, relative times and the live
	// sparkline; time.Now when nil.
	Now func() time.Time
	// ReadOnly is for sessions that must not write into the data directory
	// (SSH): only the history and saved searches are written; export to a
	// file is disabled.
	ReadOnly bool
	// Alerts, when set, is the alert store: rows whose event an alert
	// fired on are highlighted by the alert's severity, and the alerts
	// pane (a) lists the recent alerts and opens their events.
	Alerts AlertLookup
	// AlertsError, when Alerts is nil, says why (the alert store could not
	// be read); the alerts pane shows it.
	AlertsError error
	// Mouse starts with mouse support (wheel, click) on; m toggles it.
	// Off by default so that the terminal's own text selection works.
	Mouse bool
	// Context, when set, ends everything the explorer runs against the
	// engine (queries, reads, exports, the live tail's subscription) when
	// it is done: give an SSH session's context, so that a session that
	// drops lets go of what it held. Model.Close does the same and waits.
	Context context.Context
}

// AlertLookup is the alert store as the explorer reads it (an
// *alerts.Store is one). It must be safe for concurrent use.
//
// AlertSeverity says whether a stored event took part in an alert, and
// the highest severity of its alerts (info, low, medium, high,
// critical); it is called for the rows on screen only, on every frame, so
// it must be cheap. Recent returns the newest n alerts, newest first, and
// Len how many are stored. Changed returns a channel closed at the next
// change. Refresh reads what another process added since; the explorer
// calls it every few seconds, in the background.
type AlertLookup interface {
	AlertSeverity(seq uint64) (severity string, ok bool)
	Recent(n int) []alerts.Alert
	Len() int
	Changed() <-chan struct{}
	Refresh() error
}

// New returns the explorer over an open engine. The engine stays the
// caller's: the program never closes it. The index should be caught up
// before (see engine.CatchUp); events indexed later are found by later
// queries.
func New(eng *engine.Engine, opts Options) tea.Model {
	return newModel(eng, opts)
}
