package tui

import (
	"time"

	"github.com/vigil-dev/vigil/event"
	"github.com/vigil-dev/vigil/index"
)

// row is one event as the table shows it, its cells made safe once when it
// is read (in a tea.Cmd), not on every frame.
type row struct {
	seq  uint64
	time time.Time
	ev   *event.Event // shared with the live bus: never modified

	timeText string // 2006-01-02 15:04:05, UTC
	severity string
	category string
	action   string
	actor    string
	ip       string
	location string
	outcome  string
	msg      string

	live bool // arrived by the live tail

	// line is the row rendered for the layout numbered lineKey (not
	// selected) and the severity of its alert, lineAlert ("" for none);
	// redrawn only when either changes.
	line      string
	lineKey   int
	lineAlert string
}

// newRow prepares an event for the table.
func newRow(ev *event.Event) *row {
	r := &row{
		seq:      ev.Seq,
		time:     ev.Time,
		ev:       ev,
		timeText: ev.Time.UTC().Format("2006-01-02 15:04:05"),
		severity: event.Safe(ev.Severity),
		category: event.Safe(ev.Category),
		action:   event.Safe(ev.Type),
		actor:    event.Safe(ev.Actor.Label()),
		ip:       event.Safe(ev.Context.IP),
		location: event.Safe(ev.Context.Location),
		outcome:  event.Safe(ev.Outcome),
		msg:      event.Safe(ev.Message),
	}
	return r
}

// cursor is the paging cursor that continues after this row.
func (r *row) cursor() string { return index.DocID(r.time, r.seq) }
