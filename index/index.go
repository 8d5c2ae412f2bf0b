// Package index is vigil's full-text index: Bleve indexes, one per week of
// event time, holding the fields queries search and the id of each event,
// never the only copy of anything. It is fed in batches behind the store,
// records the last seq it holds, and catches up from the store after a
// crash. Newest-first pages visit the newest shards first and stop once the
// page is full; counts and aggregations visit every shard in parallel.
package index

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/mapping"
	bquery "github.com/blevesearch/bleve/v2/search/query"

	"github.com/vigil-dev/vigil/event"
	"github.com/vigil-dev/vigil/store"
)

// Options configure Open.
type Options struct {
	Logger *slog.Logger
}

// Index is an open set of shards. It is safe for concurrent use; Add and
// CatchUp must not run concurrently with each other.
type Index struct {
	dir     string
	mapping mapping.IndexMapping
	// builders make documents, one for each of Add's workers.
	builders []*builder
	log      *slog.Logger
	indexed  atomic.Uint64

	mu     sync.RWMutex
	shards map[string]bleve.Index // by week key, e.g. "2025-w03"

	// Bleve batches are applied without waiting for the disk (scorch's
	// unsafe_batch) and report when they are persisted; the state file
	// moves to the newest seq whose batches, and all before them, are on
	// disk. After a crash, catch-up starts from there.
	persistMu sync.Mutex
	pending   []*addRecord
	drained   *sync.Cond // signalled when pending empties
}

// addRecord follows the batches of one Add to disk.
type addRecord struct {
	seq  uint64
	left int
	err  error
}

const stateName = "state.json"

// Format is the version of the index's layout (the fields of builder and
// Compile). An index of another version cannot answer queries rightly:
// Open throws it away, and catch-up builds it again from the store.
// Version 1, the first, wrote no version into its state.
const Format = 2

type state struct {
	Seq    uint64 `json:"seq"`
	Format int    `json:"format,omitempty"`
}

// readState reads the state file of the index in dir; ok is false when
// there is none.
func readState(dir string) (st state, ok bool, err error) {
	data, err := os.ReadFile(filepath.Join(dir, stateName))
	if errors.Is(err, os.ErrNotExist) {
		return state{}, false, nil
	}
	if err != nil {
		return state{}, false, fmt.Errorf("read index state: %w", err)
	}
	if err := json.Unmarshal(data, &st); err != nil {
		return state{}, false, fmt.Errorf("read index state: %w", err)
	}
	if st.Format == 0 {
		st.Format = 1
	}
	return st, true, nil
}

// Open opens (or creates) the index in dir.
func Open(dir string, opts Options) (*Index, error) {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("open index %s: %w", dir, err)
	}
	x := &Index{dir: dir, mapping: newMapping(), log: opts.Logger, shards: map[string]bleve.Index{}}
	for range runtime.GOMAXPROCS(0) {
		x.builders = append(x.builders, newBuilder())
	}
	x.drained = sync.NewCond(&x.persistMu)
	st, ok, err := readState(dir)
	if err != nil {
		return nil, fmt.Errorf("open index %s: %w", dir, err)
	}
	if err := removeUnfinishedShards(dir); err != nil {
		return nil, fmt.Errorf("open index %s: %w", dir, err)
	}
	shards, err := shardDirs(dir)
	if err != nil {
		return nil, fmt.Errorf("open index %s: %w", dir, err)
	}
	if (ok && st.Format != Format) || (!ok && len(shards) > 0) {
		// Built by another version (or by the first, before its state was
		// written): start again; catch-up rebuilds it from the store.
		x.log.Warn("the search index was built by another version of vigil; it is rebuilt from the store",
			"dir", dir, "format", st.Format, "want", Format)
		if err := x.discard(); err != nil {
			return nil, fmt.Errorf("open index %s: %w", dir, err)
		}
		shards, ok, st = nil, true, state{Format: Format}
	}
	if !ok {
		if err := x.saveState(0); err != nil {
			return nil, fmt.Errorf("open index %s: %w", dir, err)
		}
		st = state{Format: Format}
	}
	for _, name := range shards {
		idx, err := bleve.OpenUsing(filepath.Join(dir, name), shardConfig())
		if err != nil {
			// The index is derived from the store: a shard that cannot be
			// read (a disk fault; vigil makes shards whole or not at all)
			// costs a rebuild, never the events.
			x.log.Warn("a shard of the search index cannot be opened; the index is rebuilt from the store",
				"shard", filepath.Join(dir, name), "err", err)
			if err := x.discard(); err != nil {
				return nil, fmt.Errorf("open index %s: %w", dir, err)
			}
			st.Seq = 0
			break
		}
		x.shards[name] = idx
	}
	x.indexed.Store(st.Seq)
	return x, nil
}

// discard closes and removes every shard (open or only on disk) and starts
// the index again at seq 0, for catch-up to rebuild it from the store. It
// runs before the index is in use.
func (x *Index) discard() error {
	for name, idx := range x.shards {
		_ = idx.Close()
		delete(x.shards, name)
	}
	shards, err := shardDirs(x.dir)
	if err != nil {
		return err
	}
	for _, name := range shards {
		if err := os.RemoveAll(filepath.Join(x.dir, name)); err != nil {
			return fmt.Errorf("remove shard: %w", err)
		}
	}
	return x.saveState(0)
}

// shardConfig is the runtime configuration of every shard: batches are
// applied without waiting for the disk (see Add and the persisted
// callbacks).
func shardConfig() map[string]interface{} {
	return map[string]interface{}{"unsafe_batch": true}
}

// shardDirs lists the shards' directories in dir.
func shardDirs(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range entries {
		if e.IsDir() && strings.Contains(e.Name(), "-w") && !strings.HasSuffix(e.Name(), newShardSuffix) {
			out = append(out, e.Name())
		}
	}
	return out, nil
}

// removeUnfinishedShards removes shards whose making was cut off (by a
// kill or a crash): nothing was indexed in them.
func removeUnfinishedShards(dir string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if e.IsDir() && strings.HasSuffix(e.Name(), newShardSuffix) {
			if err := os.RemoveAll(filepath.Join(dir, e.Name())); err != nil {
				return fmt.Errorf("remove unfinished shard: %w", err)
			}
		}
	}
	return nil
}

// newShardSuffix marks a shard being made: it gets its name only once
// Bleve has written it whole.
const newShardSuffix = ".new"

// newMapping is the mapping Bleve keeps with each shard. Documents are
// built field by field (see builder), so the mapping only has to say that
// nothing is indexed dynamically and what the default analyzer is.
func newMapping() mapping.IndexMapping {
	m := bleve.NewIndexMapping()
	m.DefaultMapping = bleve.NewDocumentStaticMapping()
	m.DefaultMapping.Dynamic = false
	m.DefaultAnalyzer = "keyword"
	m.StoreDynamic = false
	m.IndexDynamic = false
	m.DocValuesDynamic = false
	return m
}

// DurableSeq reads, without opening the index in dir, the newest seq it
// holds on disk (0 when it has none, or was built by another version:
// see Format).
func DurableSeq(dir string) (uint64, error) {
	st, ok, err := readState(dir)
	if err != nil || !ok || st.Format != Format {
		return 0, err
	}
	return st.Seq, nil
}

// IndexedSeq is the newest seq the index holds: every event up to it is
// searchable.
func (x *Index) IndexedSeq() uint64 { return x.indexed.Load() }

// Close waits (up to a minute) for what was indexed to reach the disk,
// then closes every shard. What did not reach it is indexed again when the
// index is next opened and caught up.
func (x *Index) Close() error {
	x.waitPersisted(time.Minute)
	x.mu.Lock()
	defer x.mu.Unlock()
	var first error
	for k, idx := range x.shards {
		if err := idx.Close(); err != nil && first == nil {
			first = fmt.Errorf("close index shard %s: %w", k, err)
		}
	}
	x.shards = map[string]bleve.Index{}
	return first
}

// WeekKey names the shard of an event time: its ISO year and week.
func WeekKey(t time.Time) string {
	y, w := t.UTC().ISOWeek()
	return fmt.Sprintf("%04d-w%02d", y, w)
}

func (x *Index) shard(key string) (bleve.Index, error) {
	x.mu.RLock()
	idx, ok := x.shards[key]
	x.mu.RUnlock()
	if ok {
		return idx, nil
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	if idx, ok := x.shards[key]; ok {
		return idx, nil
	}
	idx, err := x.createShard(key)
	if err != nil {
		return nil, fmt.Errorf("create index shard %s: %w", key, err)
	}
	x.shards[key] = idx
	return idx, nil
}

// createShard makes a shard under a temporary name and renames it into
// place once Bleve has written it whole: Bleve writes a new index's files
// one after the other, and a kill between them would leave a shard that
// cannot be opened.
func (x *Index) createShard(key string) (bleve.Index, error) {
	final := filepath.Join(x.dir, key)
	tmp := final + newShardSuffix
	if err := os.RemoveAll(tmp); err != nil {
		return nil, err
	}
	// Made without unsafe_batch, so that the mapping Bleve keeps inside the
	// index is on disk when New returns (with it, a kill before the first
	// persist left a shard without its mapping, which cannot be opened).
	idx, err := bleve.NewUsing(tmp, x.mapping, bleve.Config.DefaultIndexType, bleve.Config.DefaultKVStore, nil)
	if err != nil {
		return nil, err
	}
	if err := idx.Close(); err != nil {
		return nil, err
	}
	if err := os.Rename(tmp, final); err != nil {
		return nil, err
	}
	if err := syncDir(x.dir); err != nil {
		return nil, err
	}
	return bleve.OpenUsing(final, shardConfig())
}

// syncDir makes a rename in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// Add indexes stored events (their Seq set) and records the newest seq.
// Indexing an event again replaces it, so Add may repeat events after a
// crash.
func (x *Index) Add(events []*event.Event) error {
	if len(events) == 0 {
		return nil
	}
	// Each shard's events are cut into as many batches as there are
	// workers, and each worker builds its batches' documents and then
	// their segment (Bleve builds it in the caller's goroutine): every
	// core works the whole time.
	workers := len(x.builders)
	type job struct {
		key string
		idx bleve.Index
		evs []*event.Event
	}
	byShard := map[string][]*event.Event{}
	var keys []string
	var newest uint64
	for _, ev := range events {
		key := WeekKey(ev.Time)
		if _, ok := byShard[key]; !ok {
			keys = append(keys, key)
		}
		byShard[key] = append(byShard[key], ev)
		newest = max(newest, ev.Seq)
	}
	var jobs []job
	for _, key := range keys {
		idx, err := x.shard(key)
		if err != nil {
			return err
		}
		evs := byShard[key]
		n := min(workers, (len(evs)+minBatch-1)/minBatch)
		for p := range n {
			jobs = append(jobs, job{key, idx, evs[p*len(evs)/n : (p+1)*len(evs)/n]})
		}
	}
	rec := &addRecord{seq: newest, left: len(jobs)}
	x.persistMu.Lock()
	x.pending = append(x.pending, rec)
	x.persistMu.Unlock()
	queue := make(chan job)
	errs := make(chan error, len(jobs))
	var wg sync.WaitGroup
	for w := range min(workers, len(jobs)) {
		b := x.builders[w]
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range queue {
				batch := j.idx.NewBatch()
				var err error
				for _, ev := range j.evs {
					if err = batch.IndexAdvanced(b.document(ev)); err != nil {
						err = fmt.Errorf("index seq %d: %w", ev.Seq, err)
						break
					}
				}
				if err == nil {
					batch.SetPersistedCallback(func(err error) { x.persisted(rec, err) })
					if err = j.idx.Batch(batch); err != nil {
						err = fmt.Errorf("index shard %s: %w", j.key, err)
					}
				}
				if err != nil {
					// The batch will never report: count it as failed.
					x.persisted(rec, err)
					errs <- err
				}
			}
		}()
	}
	for _, j := range jobs {
		queue <- j
	}
	close(queue)
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return err
	}
	if newest > x.indexed.Load() {
		x.indexed.Store(newest)
	}
	return nil
}

// minBatch is the fewest events worth a batch of their own: a segment per
// handful of events would cost more in merging than it saves.
const minBatch = 512

// persisted counts a batch of rec as on disk, and moves the state file to
// the newest seq whose batches and all before them are.
func (x *Index) persisted(rec *addRecord, err error) {
	x.persistMu.Lock()
	defer x.persistMu.Unlock()
	rec.left--
	if err != nil && rec.err == nil {
		rec.err = err
		x.log.Error("index batch not persisted; it is indexed again on the next start", "seq", rec.seq, "err", err)
	}
	var durable uint64
	for len(x.pending) > 0 && x.pending[0].left == 0 && x.pending[0].err == nil {
		durable = x.pending[0].seq
		x.pending = x.pending[1:]
	}
	if durable > 0 {
		if err := x.saveState(durable); err != nil {
			x.log.Error("save index state", "err", err)
		}
	}
	if len(x.pending) == 0 {
		x.drained.Broadcast()
	}
}

// waitPersisted waits until every batch applied is on disk, or the
// timeout passes: Bleve's Close does not persist what is still in memory.
func (x *Index) waitPersisted(timeout time.Duration) {
	timer := time.AfterFunc(timeout, func() {
		x.persistMu.Lock()
		x.drained.Broadcast()
		x.persistMu.Unlock()
	})
	defer timer.Stop()
	deadline := time.Now().Add(timeout)
	x.persistMu.Lock()
	defer x.persistMu.Unlock()
	for len(x.pending) > 0 && x.pending[0].err == nil && time.Now().Before(deadline) {
		x.drained.Wait()
	}
}

func (x *Index) saveState(seq uint64) error {
	data, _ := json.Marshal(state{Seq: seq, Format: Format})
	tmp := filepath.Join(x.dir, stateName+".tmp")
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		return fmt.Errorf("save index state: %w", err)
	}
	if err := os.Rename(tmp, filepath.Join(x.dir, stateName)); err != nil {
		return fmt.Errorf("save index state: %w", err)
	}
	return nil
}

// CatchUp indexes the events the store holds after IndexedSeq, in batches,
// calling progress (when set) with the number done and to do. Reading and
// decoding the next batch overlaps indexing the last.
func (x *Index) CatchUp(ctx context.Context, st *store.Store, progress func(done, total uint64)) error {
	from := x.IndexedSeq() + 1
	head := st.Head().Seq
	if from > head {
		return nil
	}
	total := head - from + 1
	const batch = 8192
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	batches := make(chan []*event.Event, 2)
	var scanErr error
	go func() {
		defer close(batches)
		evs := make([]*event.Event, 0, batch)
		scanErr = st.Scan(ctx, from, head, false, func(r store.Record) error {
			ev, err := r.Event()
			if err != nil {
				return err
			}
			evs = append(evs, ev)
			if len(evs) == batch {
				select {
				case batches <- evs:
				case <-ctx.Done():
					return ctx.Err()
				}
				evs = make([]*event.Event, 0, batch)
			}
			return nil
		})
		if scanErr == nil && len(evs) > 0 {
			batches <- evs
		}
	}()
	var done uint64
	for evs := range batches {
		if err := x.Add(evs); err != nil {
			cancel()
			for range batches {
			}
			return err
		}
		done += uint64(len(evs))
		if progress != nil {
			progress(done, total)
		}
	}
	if scanErr != nil {
		return fmt.Errorf("index catch-up: %w", scanErr)
	}
	return nil
}

// shardKeys returns the shard keys, newest first.
func (x *Index) shardKeys() []string {
	x.mu.RLock()
	defer x.mu.RUnlock()
	keys := make([]string, 0, len(x.shards))
	for k := range x.shards {
		keys = append(keys, k)
	}
	sort.Sort(sort.Reverse(sort.StringSlice(keys)))
	return keys
}

func (x *Index) get(key string) bleve.Index {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return x.shards[key]
}

// Hit is one event found: its index id and seq.
type Hit struct {
	ID  string
	Seq uint64
}

// Page returns up to size events matching q, newest first, strictly older
// than the id after ("" for the first page): paging by the last id seen is
// stable while events arrive. It visits the newest shards first and stops
// once the page is full.
func (x *Index) Page(ctx context.Context, q bquery.Query, size int, after string) ([]Hit, error) {
	var hits []Hit
	for _, key := range x.shardKeys() {
		if len(hits) >= size {
			break
		}
		if after != "" && key > WeekKey(timeOfDocID(after)) {
			continue // the whole shard is newer than the page's start
		}
		req := bleve.NewSearchRequestOptions(q, size-len(hits), 0, false)
		req.SortBy([]string{"-_id"})
		req.Score = "none"
		if after != "" {
			req.SearchAfter = []string{after}
		}
		res, err := x.get(key).SearchInContext(ctx, req)
		if err != nil {
			return nil, fmt.Errorf("search shard %s: %w", key, err)
		}
		for _, h := range res.Hits {
			seq, err := SeqOfDocID(h.ID)
			if err != nil {
				return nil, err
			}
			hits = append(hits, Hit{ID: h.ID, Seq: seq})
		}
	}
	return hits, nil
}

func timeOfDocID(id string) time.Time {
	var bits uint64
	if len(id) >= 20 {
		fmt.Sscanf(id[:20], "%d", &bits)
	}
	return time.Unix(0, int64(bits^(1<<63))).UTC()
}

// alias searches every shard at once, in parallel.
func (x *Index) alias() bleve.IndexAlias {
	x.mu.RLock()
	defer x.mu.RUnlock()
	idxs := make([]bleve.Index, 0, len(x.shards))
	for _, idx := range x.shards {
		idxs = append(idxs, idx)
	}
	return bleve.NewIndexAlias(idxs...)
}

// Count returns the exact number of events matching q.
func (x *Index) Count(ctx context.Context, q bquery.Query) (uint64, error) {
	if len(x.shardKeys()) == 0 {
		return 0, nil
	}
	req := bleve.NewSearchRequestOptions(q, 0, 0, false)
	req.Score = "none"
	res, err := x.alias().SearchInContext(ctx, req)
	if err != nil {
		return 0, fmt.Errorf("count: %w", err)
	}
	return res.Total, nil
}

// Term is a value of a field with the number of events that have it.
type Term struct {
	Value string
	Count int
}

// Terms returns the values of a keyword field among the events matching q,
// most frequent first (ties by value), at most limit of them (0: all), and
// the number of matching events.
func (x *Index) Terms(ctx context.Context, q bquery.Query, field string, limit int) ([]Term, uint64, error) {
	if len(x.shardKeys()) == 0 {
		return nil, 0, nil
	}
	// Ask every shard for every term, so that the merged counts are exact.
	const all = 1 << 20
	req := bleve.NewSearchRequestOptions(q, 0, 0, false)
	req.Score = "none"
	req.AddFacet("f", bleve.NewFacetRequest(field, all))
	res, err := x.alias().SearchInContext(ctx, req)
	if err != nil {
		return nil, 0, fmt.Errorf("terms of %s: %w", field, err)
	}
	var out []Term
	if f := res.Facets["f"]; f != nil && f.Terms != nil {
		for _, t := range f.Terms.Terms() {
			out = append(out, Term{Value: t.Term, Count: t.Count})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Count != out[j].Count {
			return out[i].Count > out[j].Count
		}
		return out[i].Value < out[j].Value
	})
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	return out, res.Total, nil
}
