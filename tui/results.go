package tui

import "sort"

// results is the table's source of rows: the live rows (newest first)
// above the snapshot's rows, which are read a block at a time around the
// view and evicted far from it. Only cursors (a few bytes a block) are
// remembered of blocks evicted; memory stays flat for any number of
// matches.
type results struct {
	snap  *snapshot
	size  int // rows a block
	total int // the snapshot's matches; -1 while counting
	// known is the number of snapshot rows seen to exist so far, for while
	// the count is running.
	known int
	// more says that rows may follow the last loaded block (while counting).
	more    bool
	blocks  map[int][]*row
	anchors map[int]string // block -> cursor of its first row
	pending map[int]bool
	live    []*row // newest first
	// liveDropped counts live rows dropped beyond the bound.
	liveDropped int

	maxBlocks, maxAnchors int
}

func newResults(size, maxBlocks, maxAnchors int) *results {
	return &results{
		size: size, total: -1,
		blocks: map[int][]*row{}, anchors: map[int]string{}, pending: map[int]bool{},
		maxBlocks: maxBlocks, maxAnchors: maxAnchors,
	}
}

// reset starts over on a new snapshot whose first page is rows.
func (r *results) reset(snap *snapshot, rows []*row, more bool) {
	// Live rows belong to the old query: dropped with the rest.
	*r = *newResults(r.size, r.maxBlocks, r.maxAnchors)
	r.snap = snap
	r.more = more
	if !more {
		r.total = len(rows)
	}
	r.anchors[0] = snap.pinCursor
	r.addBlock(0, rows)
}

// Len is the number of rows: live ones, then the snapshot's.
func (r *results) Len() int {
	n := r.total
	if n < 0 {
		n = r.known
	}
	return len(r.live) + n
}

// Row returns row i, or nil when it is not loaded (yet).
func (r *results) Row(i int) *row {
	if i < 0 {
		return nil
	}
	if i < len(r.live) {
		return r.live[i]
	}
	i -= len(r.live)
	rows := r.blocks[i/r.size]
	if j := i % r.size; j < len(rows) {
		return rows[j]
	}
	return nil
}

// addBlock stores the rows of block b and the cursor after them.
func (r *results) addBlock(b int, rows []*row) {
	delete(r.pending, b)
	r.blocks[b] = rows
	if end := b*r.size + len(rows); end > r.known {
		r.known = end
	}
	if len(rows) == r.size {
		r.anchors[b+1] = rows[len(rows)-1].cursor()
		if r.total < 0 && (b+1)*r.size >= r.known {
			r.more = true
		}
	} else if r.total < 0 {
		// A short block is the end.
		r.total = b*r.size + len(rows)
		r.more = false
	}
}

// setTotal records the count of the snapshot's matches.
func (r *results) setTotal(n int) {
	r.total = n
	r.known = n
	r.more = false
}

// need returns the blocks that rows [lo, hi) want and that are neither
// loaded nor being fetched, and marks them pending.
func (r *results) need(lo, hi int) []int {
	if r.snap == nil {
		return nil
	}
	lo -= len(r.live)
	hi -= len(r.live)
	if lo < 0 {
		lo = 0
	}
	limit := r.total
	if limit < 0 {
		limit = r.known
		if r.more {
			limit += r.size // one block past what is known
		}
	}
	if hi > limit {
		hi = limit
	}
	var out []int
	for b := lo / r.size; b*r.size < hi; b++ {
		if _, ok := r.blocks[b]; ok || r.pending[b] {
			continue
		}
		r.pending[b] = true
		out = append(out, b)
	}
	return out
}

// anchorFor returns the nearest block at or before b whose cursor is known.
func (r *results) anchorFor(b int) (int, string) {
	best := -1
	for k := range r.anchors {
		if k <= b && k > best {
			best = k
		}
	}
	if best < 0 {
		return -1, ""
	}
	return best, r.anchors[best]
}

// evict drops blocks (and anchors) farthest from rows [lo, hi) beyond
// the bounds; the blocks of those rows are always kept.
func (r *results) evict(lo, hi int) {
	lo -= len(r.live)
	hi -= len(r.live)
	if lo < 0 {
		lo = 0
	}
	blo, bhi := lo/r.size, (hi-1)/r.size
	dist := func(b int) int {
		switch {
		case b < blo:
			return blo - b
		case b > bhi:
			return b - bhi
		}
		return 0
	}
	if len(r.blocks) > r.maxBlocks {
		keys := make([]int, 0, len(r.blocks))
		for b := range r.blocks {
			keys = append(keys, b)
		}
		sort.Slice(keys, func(i, j int) bool { return dist(keys[i]) > dist(keys[j]) })
		for _, b := range keys[:len(keys)-r.maxBlocks] {
			if dist(b) == 0 {
				break
			}
			delete(r.blocks, b)
		}
	}
	if len(r.anchors) > r.maxAnchors {
		keys := make([]int, 0, len(r.anchors))
		for b := range r.anchors {
			if b != 0 {
				keys = append(keys, b)
			}
		}
		sort.Slice(keys, func(i, j int) bool { return dist(keys[i]) > dist(keys[j]) })
		if over := len(r.anchors) - r.maxAnchors; over < len(keys) {
			keys = keys[:over]
		}
		for _, b := range keys {
			delete(r.anchors, b)
		}
	}
}

// failed records a block that could not be read: it is not asked for
// again until the query runs again (no loop of failing reads).
func (r *results) failed(b int) {
	delete(r.pending, b)
	r.blocks[b] = nil
}

// addLive puts rows that arrived (newest first) above the others and
// returns how many were added. Beyond max, the oldest live rows are
// dropped (counted in liveDropped).
func (r *results) addLive(rows []*row, max int) int {
	if len(rows) == 0 {
		return 0
	}
	r.live = append(rows, r.live...)
	if over := len(r.live) - max; over > 0 && max > 0 {
		r.live = r.live[:max]
		r.liveDropped += over
	}
	return len(rows)
}
