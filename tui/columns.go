package tui

import (
	"strings"

	"github.com/charmbracelet/x/ansi"
)

// colID names a column of the results table.
type colID int

const (
	colTime colID = iota
	colSeverity
	colCategory
	colAction
	colActor
	colIP
	colLocation
	colMessage
)

// colSpec is a column: its title and the least width it is shown at.
type colSpec struct {
	id    colID
	title string
	min   int
}

var columnSpecs = map[colID]colSpec{
	colTime:     {colTime, "TIME (UTC) ↓", 14},
	colSeverity: {colSeverity, "SEV", 4},
	colCategory: {colCategory, "CATEGORY", 8},
	colAction:   {colAction, "ACTION", 12},
	colActor:    {colActor, "ACTOR", 12},
	colIP:       {colIP, "IP", 13},
	colLocation: {colLocation, "LOCATION", 10},
	colMessage:  {colMessage, "MESSAGE", 24},
}

// columnOrder is the order columns get a place in (at their least width)
// while there is room; columnPlace the order they are drawn in. The first
// requiredColumns always get one; the others only when optionalSlack more
// cells are left for the names to grow into.
var (
	columnOrder = []colID{colTime, colSeverity, colAction, colActor, colIP, colCategory, colLocation}
	columnPlace = []colID{colTime, colSeverity, colCategory, colAction, colActor, colIP, colLocation, colMessage}
)

const (
	requiredColumns = 4
	optionalSlack   = 12
)

// growth is the order the columns shown grow in, each step to a width:
// the short fixed ones whole first, then the names, then the rest.
var growth = []struct {
	id colID
	to int
}{
	{colCategory, 14}, {colAction, 18}, {colActor, 20}, {colTime, 19}, {colSeverity, 8},
	{colIP, 16}, {colLocation, 16}, {colAction, 28}, {colActor, 32}, {colIP, 24}, {colLocation, 24},
}

// gutterWidth is the selection marker, the alert/live marker and a space.
const gutterWidth = 3

// column is a column laid out: its spec and width.
type column struct {
	colSpec
	width int
}

// layoutColumns fits the columns into width cells (gutter included): the
// most important at their least widths, then wider in the order of
// growth; a message column takes what is left on wide screens.
func layoutColumns(width int) []column {
	avail := width - gutterWidth
	chosen := map[colID]int{}
	used := -1 // no space before the first column
	for i, id := range columnOrder {
		need := columnSpecs[id].min + 1
		if i >= requiredColumns {
			// The others only when the names keep room to grow.
			need += optionalSlack
		}
		if used+need > avail {
			continue
		}
		need = columnSpecs[id].min + 1
		chosen[id] = columnSpecs[id].min
		used += need
	}
	if used < 0 {
		used = 0
	}
	for _, g := range growth {
		w, ok := chosen[g.id]
		if !ok || w >= g.to {
			continue
		}
		add := g.to - w
		if add > avail-used {
			add = avail - used
		}
		chosen[g.id] = w + add
		used += add
	}
	if left := avail - used; left >= columnSpecs[colMessage].min+1 {
		chosen[colMessage] = left - 1
		used = avail
	}
	out := make([]column, 0, len(chosen))
	for _, id := range columnPlace {
		if w, ok := chosen[id]; ok {
			out = append(out, column{columnSpecs[id], w})
		}
	}
	// What is left goes to the widest text column.
	if n := len(out); n > 0 && used < avail {
		i := n - 1
		for j, c := range out {
			if c.id == colActor {
				i = j
			}
		}
		out[i].width += avail - used
	}
	return out
}

// fit pads or truncates s (plain text, no escapes) to exactly w cells.
func fit(s string, w int) string {
	if w <= 0 {
		return ""
	}
	sw := ansi.StringWidth(s)
	if sw > w {
		s = ansi.Truncate(s, w, "…")
		sw = ansi.StringWidth(s)
	}
	if sw < w {
		return s + strings.Repeat(" ", w-sw)
	}
	return s
}

// cellText is what a row shows in a column of width w.
func cellText(r *row, id colID, w int) string {
	switch id {
	case colTime:
		if w < 19 {
			return r.timeText[5:] // 01-02 15:04:05
		}
		return r.timeText
	case colSeverity:
		if w < 8 {
			return shortSeverity(r.severity)
		}
		return r.severity
	case colCategory:
		return r.category
	case colAction:
		return r.action
	case colActor:
		return r.actor
	case colIP:
		return r.ip
	case colLocation:
		return r.location
	case colMessage:
		return r.msg
	}
	return ""
}

// shortSeverity abbreviates a severity to four cells.
func shortSeverity(s string) string {
	switch s {
	case "critical":
		return "crit"
	case "medium":
		return "med"
	}
	return s
}
