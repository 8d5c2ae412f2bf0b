package tui

import (
	"time"

	"github.com/vigil-dev/vigil/engine"
	"github.com/vigil-dev/vigil/store"
)

// Messages that commands return. Those about a query carry its generation:
// the model drops any that belong to a query it has since replaced.

// firstPageMsg is the first page of a query and its pinned snapshot.
type firstPageMsg struct {
	gen  int
	snap *snapshot
	rows []*row
	more bool // the page was full: more rows may follow
	took time.Duration
}

// aggregateMsg is the answer to a query with a pipe stage.
type aggregateMsg struct {
	gen  int
	snap *snapshot
	agg  *engine.Aggregation
	took time.Duration
}

// queryErrorMsg is a query that does not parse or compile.
type queryErrorMsg struct {
	gen  int
	text string
	err  error
}

// searchErrorMsg is a search that failed for another reason.
type searchErrorMsg struct {
	gen int
	err error
}

// countMsg is the number of matches of a snapshot.
type countMsg struct {
	gen   int
	total int
	took  time.Duration
	err   error
}

// blockMsg is one block of rows.
type blockMsg struct {
	gen    int
	block  int
	rows   []*row
	walked int // rows read past to reach the block
	err    error
}

// facetsMsg is the sidebar's counts; expanded is the category whose
// actions are listed ("" for the top level).
type facetsMsg struct {
	gen        int
	expanded   string
	categories []engine.Bucket
	actions    []engine.Bucket
	total      int
	err        error
}

// timelineMsg is the timeline's counts.
type timelineMsg struct {
	gen            int
	from, to       time.Time
	interval       time.Duration
	buckets        []engine.Bucket
	err            error
	unavailableWhy string
}

// detailMsg is the full record of the event the detail pane shows.
type detailMsg struct {
	seq    uint64
	record store.Record
	text   detailText
	err    error
}

// statsMsg refreshes the header's figures.
type statsMsg struct {
	events, head, indexed uint64
}

// statsTickMsg asks for the next header refresh.
type statsTickMsg struct{}

// flashExpiredMsg clears a status message whose time is up.
type flashExpiredMsg struct{ id int }

// historyLoadedMsg carries the stored query history and saved searches.
type historyLoadedMsg struct {
	history []string
	saved   []savedSearch
	err     error
}

// savedMsg reports a write of the history or saved searches.
type savedMsg struct{ err error }

// copiedMsg reports a copy to the clipboard.
type copiedMsg struct {
	bytes int
	err   error
}
