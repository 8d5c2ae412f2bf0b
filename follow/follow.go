// Package follow follows files as they grow, the way tail -F does, and
// stores their events: `vigil ingest --follow FILE...`.
//
// A Tail follows one path: it hands out whole lines (with their line
// numbers and byte offsets) as they are appended, survives rotation by
// rename (logrotate's create) and by copytruncate, truncation, and the
// removal and re-creation of the file, and holds a partial last line until
// its line end arrives. Files are told apart by device and inode, checked
// with a fingerprint of their first bytes (see Fingerprint).
//
// Run follows several paths into the store. The lines are read in the
// format of each file (JSON Lines in any of ingest's JSON formats, or
// auditd's lines) through ingest.Run, so events are decoded, normalised,
// rejected and counted exactly as by `vigil ingest`. After the events read
// up to a position are durable in the store (and the rejected lines are
// in the rejects file), that position is checkpointed in the state
// directory (DATA/follow/state.json, see State), keyed by the path and the
// file's identity. A restart resumes each file from its checkpoint, and
// reads the rest of a file that was rotated while nothing followed it when
// it is found beside the path. A crash between the store and the
// checkpoint makes the lines after the checkpoint be read again: their
// events carry the same event_id (given, or derived from their bytes), so
// the store counts them as duplicates and nothing is stored twice; after a
// clean stop nothing is read again at all.
//
// The package reads files and keeps checkpoints; it does not decode events
// (ingest and its formats do) nor hold the store (the caller gives an
// ingest.Appender). Formats that gather several lines into one event see
// one chunk of lines at a time: the records of an auditd event, written in
// one burst, stay together since a chunk ends only once its file has been
// quiet for TailOptions.Settle (or after 10 times that under a stream
// that never pauses, when a burst may be cut in two: both parts are then
// stored, verbatim). The stages of a Kubernetes request are written apart,
// so a followed Kubernetes audit log should keep every stage
// (k8saudit.AllStages).
//
// # Polling and notifications
//
// A follower polls its files (every Options.Poll, 250 ms by default) and is
// also woken at once by file system notifications (fsnotify: inotify,
// kqueue) on the directories of the followed paths. Polling is the source
// of truth: notifications are lost when a watch limit is reached or a
// queue overflows, do not exist on network and some FUSE file systems, and
// do not by themselves tell a rotation from a write; a stat of the path and
// of the open file settles every case. Notifications only cut the latency
// of a live tail from up to a poll interval to a few milliseconds (they
// cost a watch per directory). Filebeat and Vector poll only; Fluent Bit
// and Promtail add notifications on top of stat checks, as here.
package follow

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"sync"
	"time"

	"github.com/vigil-dev/vigil/event"
	"github.com/vigil-dev/vigil/ingest"
)

// Options configure Run.
type Options struct {
	// TailOptions configure each path's Tail. OnNotice, when set, is
	// called from one goroutine at a time; when nil, notices are logged.
	TailOptions
	// Formats, Format, Catalogue and MaxEventSize are as in
	// ingest.Options. With Format ingest.Auto (or ""), each file's format
	// is told from its first bytes.
	Formats      []ingest.Format
	Format       string
	Catalogue    *event.Catalogue
	MaxEventSize int
	// StateDir is where the checkpoints are kept (DATA/follow).
	StateDir string
	// Poll is how often each path is looked at; 250 ms when zero.
	Poll time.Duration
	// NoNotify polls only, without file system notifications.
	NoNotify bool
	// CheckpointInterval is the shortest time between two writes of the
	// state file; 200 ms when zero. A crash re-reads (as duplicates) at
	// most what was stored in that time.
	CheckpointInterval time.Duration
	// OnReject is called for every rejected line, in order for each path,
	// from one goroutine at a time; Line is the line's number in its file.
	// It must not keep Raw.
	OnReject func(ingest.Reject)
	// SyncRejects, when set, makes the rejects given to OnReject durable.
	// It is called before a checkpoint moves past rejected lines.
	SyncRejects func() error
	// Stats, when set, is kept up to date.
	Stats  *ingest.Stats
	Logger *slog.Logger
}

// Run follows the paths (made absolute) and stores their events in app
// until ctx ends or a failure: a file that cannot be read once open, the
// store, or the state file. Paths that do not exist yet are waited for.
// When ctx ends, the lines already read are stored and checkpointed, and
// Run returns nil.
func Run(ctx context.Context, app ingest.Appender, paths []string, opts Options) error {
	if opts.StateDir == "" {
		return errors.New("follow: no state directory")
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Poll <= 0 {
		opts.Poll = 250 * time.Millisecond
	}
	if opts.CheckpointInterval <= 0 {
		opts.CheckpointInterval = 200 * time.Millisecond
	}
	if opts.Stats == nil {
		opts.Stats = &ingest.Stats{}
	}
	if opts.Catalogue == nil {
		opts.Catalogue = event.BuiltinCatalogue()
	}
	if opts.MaxEventSize <= 0 {
		opts.MaxEventSize = ingest.DefaultMaxEventSize
	}
	opts.TailOptions.defaults()
	if opts.Format != "" && opts.Format != ingest.Auto {
		if _, err := ingest.Lookup(opts.Formats, opts.Format); err != nil {
			return fmt.Errorf("follow: %w", err)
		}
	}
	var abs []string
	seen := map[string]bool{}
	for _, p := range paths {
		a, err := filepath.Abs(p)
		if err != nil {
			return fmt.Errorf("follow %s: %w", p, err)
		}
		if !seen[a] {
			seen[a] = true
			abs = append(abs, a)
		}
	}
	state, err := LoadState(opts.StateDir)
	if err != nil {
		return err
	}

	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	r := &runner{app: app, opts: opts}
	r.cp = &checkpointer{state: state, kick: make(chan struct{}, 1), now: opts.Now}
	onNotice := opts.OnNotice
	opts.TailOptions.OnNotice = func(n Notice) {
		r.noticeMu.Lock()
		defer r.noticeMu.Unlock()
		if onNotice != nil {
			onNotice(n)
			return
		}
		level := slog.LevelInfo
		if n.Warning {
			level = slog.LevelWarn
		}
		opts.Logger.Log(ctx, level, "follow: "+n.Message, "path", n.Path, "kind", n.Kind)
	}
	r.opts.TailOptions = opts.TailOptions

	wakes := map[string]chan struct{}{}
	for _, p := range abs {
		wakes[p] = make(chan struct{}, 1)
	}
	var k *waker
	if !opts.NoNotify {
		k = newWaker(wakes, opts.Logger)
	}
	wakerDone := make(chan struct{})
	if k == nil {
		close(wakerDone)
	} else {
		go func() {
			defer close(wakerDone)
			k.run(ctx)
		}()
	}
	cpDone := make(chan error, 1)
	cpStop := make(chan struct{})
	go func() { cpDone <- r.cp.run(cpStop, opts.CheckpointInterval, cancel) }()

	tails := make([]*Tail, len(abs))
	for i, p := range abs {
		tails[i] = NewTail(p, state.For(p), r.opts.TailOptions)
	}
	var wg sync.WaitGroup
	errs := make([]error, len(abs))
	for i, p := range abs {
		tail := tails[i]
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer tail.Close()
			if err := r.follow(ctx, tail, wakes[p]); err != nil {
				errs[i] = err
				cancel(err)
			}
		}()
	}
	wg.Wait()
	close(cpStop)
	cpErr := <-cpDone
	cancel(nil)
	<-wakerDone
	if err := errors.Join(errors.Join(errs...), cpErr); err != nil {
		return err
	}
	if cause := context.Cause(ctx); cause != nil && !errors.Is(cause, context.Canceled) && !errors.Is(cause, context.DeadlineExceeded) {
		return cause
	}
	return nil
}

// runner is one Run.
type runner struct {
	app      ingest.Appender
	opts     Options
	cp       *checkpointer
	noticeMu sync.Mutex
	rejectMu sync.Mutex
}

// follow hands the chunks of one path to the store until ctx ends.
func (r *runner) follow(ctx context.Context, t *Tail, woken <-chan struct{}) error {
	formats := map[FileID]ingest.Format{}
	for {
		if ctx.Err() != nil {
			return nil
		}
		c, wait, err := t.Next()
		if err != nil {
			return fmt.Errorf("follow %s: %w", t.Path(), err)
		}
		if c != nil {
			if err := r.store(ctx, c, formats); err != nil {
				return err
			}
			continue
		}
		d := r.opts.Poll
		if wait > 0 && wait < d {
			d = wait
		}
		timer := time.NewTimer(d)
		select {
		case <-ctx.Done():
			timer.Stop()
			return nil
		case <-woken:
			timer.Stop()
		case <-timer.C:
		}
	}
}

// store stores the events of a chunk and then checkpoints it. The events
// are stored whatever becomes of ctx: a chunk once read is finished.
func (r *runner) store(ctx context.Context, c *Chunk, formats map[FileID]ingest.Format) error {
	if len(c.Data) > 0 {
		f, ok := formats[c.File]
		if !ok {
			var err error
			if f, err = r.format(c.Head); err != nil {
				return fmt.Errorf("follow %s: %w", c.Name, err)
			}
			formats[c.File] = f
			if f.Name() != event.FormatNative {
				r.opts.OnNotice(Notice{Path: c.Path, Kind: NoticeFormat, Message: fmt.Sprintf("reading %s as %s", c.Name, f.Name())})
			}
		}
		rejected := false
		onReject := func(rj ingest.Reject) {
			rejected = true
			r.reject(rj)
		}
		for _, seg := range segments(c) {
			if seg.line != nil && r.rejectAlone(f, c.Name, *seg.line, onReject) {
				continue
			}
			_, err := ingest.Run(context.WithoutCancel(ctx), r.app, []ingest.Source{{Name: c.Name, R: bytes.NewReader(seg.data)}}, ingest.Options{
				Formats:      r.opts.Formats,
				Format:       f.Name(),
				Catalogue:    r.opts.Catalogue,
				MaxEventSize: r.opts.MaxEventSize,
				Stats:        r.opts.Stats,
				OnReject: func(rj ingest.Reject) {
					rj.Line += seg.before
					onReject(rj)
				},
			})
			if err != nil {
				return fmt.Errorf("follow %s: %w", c.Name, err)
			}
		}
		if rejected && r.opts.SyncRejects != nil {
			r.rejectMu.Lock()
			err := r.opts.SyncRejects()
			r.rejectMu.Unlock()
			if err != nil {
				return fmt.Errorf("follow %s: write rejects: %w", c.Name, err)
			}
		}
	}
	if c.Closed {
		delete(formats, c.File)
	}
	r.cp.apply(c)
	return nil
}

func (r *runner) reject(rj ingest.Reject) {
	r.rejectMu.Lock()
	defer r.rejectMu.Unlock()
	if r.opts.OnReject != nil {
		r.opts.OnReject(rj)
	}
}

// format is the format a file is read in.
func (r *runner) format(head []byte) (ingest.Format, error) {
	if r.opts.Format == "" || r.opts.Format == ingest.Auto {
		return ingest.Detect(r.opts.Formats, head), nil
	}
	return ingest.Lookup(r.opts.Formats, r.opts.Format)
}

// gzipMagic starts a gzip stream.
const gzipMagic = "\x1f\x8b"

// segment is a run of a chunk's lines that ingest.Run reads line by line;
// before is the number of lines before it in its file. A segment of a line
// that would not be read as a line on its own has line set.
type segment struct {
	data   []byte
	before int
	line   *Line
}

// segments cuts a chunk so that each line is read as one line, as it is
// in the middle of a file. The splitters tell an input's shape by its
// first line: one that opens an array ('[') or a document that is not
// whole on its line ('{' and not valid JSON) would make them read what
// follows it as one value. Such a line at the start of a chunk is a
// segment of its own; the rest of the chunk, from the first line that is
// read as a line, is one segment.
func segments(c *Chunk) []segment {
	var segs []segment
	from := 0 // the first line of the segment being gathered
	for i := range c.Lines {
		l := &c.Lines[i]
		if len(bytes.TrimSpace(l.Data)) == 0 {
			continue
		}
		if !lineShaped(l.Data) {
			segs = append(segs, segment{data: l.Data, before: l.Number - 1, line: l})
			from = i + 1
			continue
		}
		first := c.Lines[from]
		segs = append(segs, segment{data: c.Data[first.Offset-c.Start.Offset:], before: first.Number - 1})
		break
	}
	return segs
}

// rejectAlone rejects a line that is not read as a line on its own, for
// the reason it would be rejected in the middle of a file: too large, or
// what the format's Map says of it. It reports false when the format
// takes the line (it is then read on its own after all).
func (r *runner) rejectAlone(f ingest.Format, name string, l Line, reject func(ingest.Reject)) bool {
	raw := bytes.TrimRight(l.Data, "\r\n")
	reason := ""
	if limit := r.opts.MaxEventSize; len(raw) > limit {
		reason = fmt.Sprintf("event is %d bytes, larger than the limit of %d", len(raw), limit)
	} else if _, err := f.Map(ingest.Unit{Line: l.Number, Raw: raw}); err != nil {
		reason = err.Error()
	} else {
		return false
	}
	r.opts.Stats.Units.Add(1)
	r.opts.Stats.Rejected.Add(1)
	reject(ingest.Reject{Source: name, Line: l.Number, Reason: reason, Raw: raw})
	return true
}

// lineShaped reports whether an input that starts with line is read line
// by line.
func lineShaped(line []byte) bool {
	l := bytes.TrimSpace(bytes.TrimPrefix(bytes.TrimSpace(line), []byte("\ufeff")))
	switch {
	case bytes.HasPrefix(line, []byte(gzipMagic)):
		return false
	case len(l) == 0:
		return true
	case l[0] == '[':
		return false
	case l[0] == '{':
		return json.Valid(l)
	}
	return true
}

// checkpointer records the checkpoints of durable chunks and writes the
// state file, at most once per interval.
type checkpointer struct {
	mu    sync.Mutex
	state *State
	dirty bool
	kick  chan struct{}
	now   func() time.Time
}

// apply records the checkpoint of a chunk whose events are durable.
func (c *checkpointer) apply(ch *Chunk) {
	c.mu.Lock()
	if ch.Closed {
		c.state.Drop(ch.Path, ch.File)
	} else {
		cp := ch.Checkpoint()
		cp.Updated = c.now().UTC()
		c.state.Set(cp)
	}
	c.dirty = true
	c.mu.Unlock()
	wake(c.kick)
}

// save writes the state file when it changed.
func (c *checkpointer) save() error {
	c.mu.Lock()
	if !c.dirty {
		c.mu.Unlock()
		return nil
	}
	snapshot := &State{dir: c.state.dir, files: make(map[string]Checkpoint, len(c.state.files))}
	for k, v := range c.state.files {
		snapshot.files[k] = v
	}
	c.dirty = false
	c.mu.Unlock()
	return snapshot.Save()
}

// run writes the state file as checkpoints come, until stop is closed;
// then it writes it a last time. A failure to write it ends the Run.
func (c *checkpointer) run(stop <-chan struct{}, interval time.Duration, fail context.CancelCauseFunc) error {
	for {
		select {
		case <-stop:
			return c.save()
		case <-c.kick:
		}
		if err := c.save(); err != nil {
			fail(err)
			<-stop
			return err
		}
		t := time.NewTimer(interval)
		select {
		case <-stop:
			t.Stop()
			return c.save()
		case <-t.C:
		}
	}
}
