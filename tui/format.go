package tui

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/charmbracelet/x/ansi"

	"github.com/vigil-dev/vigil/query"
)

// ansiWidth is the number of cells s takes, escapes not counted.
func ansiWidth(s string) int { return ansi.StringWidth(s) }

// formatCount writes n with thousands separators: 1,234,567.
func formatCount(n int) string {
	s := strconv.Itoa(n)
	if n < 0 {
		return s
	}
	if len(s) <= 3 {
		return s
	}
	var b strings.Builder
	pre := len(s) % 3
	if pre > 0 {
		b.WriteString(s[:pre])
	}
	for i := pre; i < len(s); i += 3 {
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		b.WriteString(s[i : i+3])
	}
	return b.String()
}

// plural writes n and the noun that goes with it: 1 match, 2 matches.
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return formatCount(n) + " " + many
}

// termClause is field:value as the query language writes it, quoted when
// the value needs it.
func termClause(field, value string) string {
	return (&query.Term{Field: field, Value: value}).String()
}

// andClause adds clause to a query: inside the filter, before any pipe
// stage, keeping the precedence of the query's own operators. A query that
// does not parse gets the clause appended as written.
func andClause(text, clause string) string {
	text = strings.TrimSpace(text)
	if clause == "" {
		return text
	}
	if text == "" || text == "*" {
		return clause
	}
	q, err := query.Parse(text)
	if err != nil {
		return text + " AND " + clause
	}
	filter := text
	stage := ""
	if q.Stage != nil {
		filter = q.Filter.String()
		stage = " | " + q.Stage.String()
	}
	switch q.Filter.(type) {
	case *query.MatchAll:
		return clause + stage
	case *query.Or:
		filter = "(" + filter + ")"
	}
	return filter + " AND " + clause + stage
}

// formatDuration writes a query's time briefly: 42ms, 1.2s.
func formatDuration(d time.Duration) string {
	switch {
	case d < time.Millisecond:
		return fmt.Sprintf("%dµs", d.Microseconds())
	case d < time.Second:
		return fmt.Sprintf("%dms", d.Milliseconds())
	default:
		return fmt.Sprintf("%.1fs", d.Seconds())
	}
}
