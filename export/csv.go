package export

import (
	"bufio"
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/vigil-dev/vigil/event"
	"github.com/vigil-dev/vigil/store"
)

// CSVColumns lists the columns of the csv format, in order. Each call
// returns a new slice.
func CSVColumns() []string {
	return []string{
		"seq", "time", "event_id", "action", "category", "severity", "outcome",
		"actor", "actor_id", "role", "target", "target_id",
		"ip", "location", "user_agent", "device", "session",
		"source", "component", "message", "details",
	}
}

const csvColumnCount = 21

// csvWriter writes the csv format.
type csvWriter struct {
	bw     *bufio.Writer
	cw     *csv.Writer
	row    [csvColumnCount]string
	header bool
	err    error
	closed bool
}

func newCSVWriter(w io.Writer) *csvWriter {
	bw := bufio.NewWriterSize(w, writeBufferSize)
	// csv.NewWriter wraps bw in a bufio.Writer, which returns bw itself
	// since it is large enough: one buffer, not two.
	return &csvWriter{bw: bw, cw: csv.NewWriter(bw)}
}

func (c *csvWriter) writeHeader() error {
	if c.header {
		return nil
	}
	c.header = true
	return c.cw.Write(CSVColumns())
}

func (c *csvWriter) Write(r store.Record, ev *event.Event) error {
	if c.err != nil {
		return c.err
	}
	if c.closed {
		return ErrClosed
	}
	if ev == nil {
		var err error
		if ev, err = event.DecodeRecord(r.Data); err != nil {
			return fmt.Errorf("export seq %d: %w", r.Seq, err)
		}
	}
	if err := c.writeHeader(); err != nil {
		c.err = err
		return err
	}
	row := &c.row
	row[0] = strconv.FormatUint(r.Seq, 10)
	row[1] = ev.Time.UTC().Format(time.RFC3339Nano)
	row[2] = ev.ID
	row[3] = ev.Type
	row[4] = ev.Category
	row[5] = ev.Severity
	row[6] = ev.Outcome
	row[7] = ev.Actor.Label()
	row[8] = ev.Actor.ID
	row[9] = ev.Actor.Role
	row[10] = ev.Target.Label()
	row[11] = ev.Target.ID
	row[12] = ev.Context.IP
	row[13] = ev.Context.Location
	row[14] = ev.Context.UserAgent
	row[15] = ev.Context.Device
	row[16] = ev.Context.SessionID
	row[17] = ev.Source
	row[18] = ev.Component
	row[19] = ev.Message
	row[20] = string(detailsJSON(ev.Details))
	for i := range row {
		row[i] = DefuseCell(row[i])
	}
	if err := c.cw.Write(row[:]); err != nil {
		c.err = err
		return err
	}
	clear(row[:])
	return nil
}

func (c *csvWriter) Close() error {
	if c.closed {
		return c.err
	}
	c.closed = true
	if c.err != nil {
		return c.err
	}
	if err := c.writeHeader(); err != nil {
		c.err = err
		return err
	}
	c.cw.Flush()
	c.err = c.cw.Error()
	return c.err
}

// DefuseCell returns s made safe to open in a spreadsheet: s with a leading
// "'" when it starts with a character that makes a spreadsheet evaluate the
// cell ("=", "+", "-", "@", tab, carriage return, or the fullwidth "＝",
// "＋", "－", "＠"), or with "'" itself so that the original is always s
// less one leading "'". Any other s is returned as it is.
func DefuseCell(s string) string {
	if s == "" {
		return s
	}
	switch s[0] {
	case '=', '+', '-', '@', '\t', '\r', '\'':
		return "'" + s
	}
	if s[0] >= utf8.RuneSelf {
		switch r, _ := utf8.DecodeRuneInString(s); r {
		case '＝', '＋', '－', '＠':
			return "'" + s
		}
	}
	return s
}
