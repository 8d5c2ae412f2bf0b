// Package ingest reads events from files and streams, decodes and
// normalises them on every core, and appends them to the store in input
// order. Bad input is rejected with its name, line and reason and handed
// back verbatim, so nothing is lost; the rest goes on.
//
// Inputs come in formats (Format): the native shape of event-format.md
// (JSON Lines or one JSON array), and the formats of other systems, each in
// a package of its own under ingest/ that cuts its input into units and maps
// each unit to the canonical event: ingest/cloudtrail, ingest/k8saudit,
// ingest/m365 and ingest/auditd. Gzip is undone first, whatever the format;
// with the format "auto", each input's format is detected from its first
// bytes (see Detect). This package orchestrates; it knows no format but the
// native one, and keeps no registry: the caller lists the formats it offers
// in Options.
package ingest

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/vigil-dev/vigil/event"
	"github.com/vigil-dev/vigil/store"
)

// DefaultMaxEventSize is the largest event accepted unless configured.
const DefaultMaxEventSize = 1 << 20

// Appender is where events go: the store.
type Appender interface {
	Prepare(ev *event.Event) (store.Prepared, error)
	Submit(ctx context.Context, events []store.Prepared) (*store.Pending, error)
}

// inFlight is how many batches may be on their way to the store at once,
// so that decoding, preparing and the store's group commits overlap.
const inFlight = 4

// Source is one input.
type Source struct {
	// Name is how the input is named in messages: a path, or "-".
	Name string
	R    io.Reader
}

// Reject is an input unit that could not be stored.
type Reject struct {
	Source string
	Line   int
	Reason string
	// Raw is the unit exactly as read.
	Raw []byte
}

func (r Reject) String() string { return fmt.Sprintf("%s:%d: %s", r.Source, r.Line, r.Reason) }

// Stats count what an ingest did so far. Read them with Load.
type Stats struct {
	Units      atomic.Int64 // events read (good or bad)
	Stored     atomic.Int64
	Duplicates atomic.Int64
	Rejected   atomic.Int64
}

// Options configure Run.
type Options struct {
	// Formats are the formats offered besides Native, in the order
	// auto-detection asks them.
	Formats []Format
	// Format names the format of every source, or Auto (also "") to
	// detect each source's format.
	Format string
	// OnFormat, when set, is told the format each source is read in,
	// before it is read. It is called from the goroutine that reads the
	// sources, which is not the one that calls OnReject.
	OnFormat func(source, format string)
	// Catalogue normalises events; the builtin one when nil.
	Catalogue *event.Catalogue
	// MaxEventSize rejects larger events; DefaultMaxEventSize when 0.
	MaxEventSize int
	// BatchSize is how many events go to the store at once; 2048 when 0.
	BatchSize int
	// OnReject is called for every rejected unit, in input order, from one
	// goroutine. It must not keep Raw after it returns.
	OnReject func(Reject)
	// Stats, when set, is kept up to date while Run works.
	Stats *Stats
}

type chunk struct {
	source   string
	format   Format
	units    []Unit
	events   []*event.Event   // decoded, in unit order, nil where rejected
	reason   []string         // reject reason per unit, "" where decoded
	prepared []store.Prepared // the decoded events, ready for the store
	done     chan struct{}
}

// Run ingests the sources one after the other. It returns when every event
// read has been stored (durably) or rejected. Cancelling ctx stops reading;
// what was read before is still stored, and Run then returns ctx's error.
// A failure to read a source, or of the store, ends Run with that error.
func Run(ctx context.Context, app Appender, sources []Source, opts Options) (*Stats, error) {
	if opts.Catalogue == nil {
		opts.Catalogue = event.BuiltinCatalogue()
	}
	if opts.MaxEventSize <= 0 {
		opts.MaxEventSize = DefaultMaxEventSize
	}
	if opts.BatchSize <= 0 {
		opts.BatchSize = 2048
	}
	stats := opts.Stats
	if stats == nil {
		stats = &Stats{}
	}
	if opts.Format != "" && opts.Format != Auto {
		if _, err := Lookup(opts.Formats, opts.Format); err != nil {
			return stats, err
		}
	}

	work := make(chan *chunk, 8)
	order := make(chan *chunk, 32)
	var readErr error
	go func() {
		defer close(work)
		defer close(order)
		readErr = readAll(ctx, sources, opts, work, order)
	}()
	var wg sync.WaitGroup
	for i := 0; i < runtime.GOMAXPROCS(0); i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			mappers := map[string]func(Unit) (*event.Event, error){}
			for c := range work {
				name := c.format.Name()
				m, ok := mappers[name]
				if !ok {
					m = c.format.Map
					if rf, ok := c.format.(ReusingFormat); ok {
						m = rf.NewMapper()
					}
					mappers[name] = m
				}
				decodeChunk(c, m, opts.Catalogue, app)
				close(c.done)
			}
		}()
	}

	// Store in input order. The store is given its own context: events
	// already read are stored even after ctx is cancelled.
	var storeErr error
	var pending []*store.Pending
	wait := func(p *store.Pending) {
		res, err := p.Wait(context.Background())
		if err != nil && storeErr == nil {
			storeErr = fmt.Errorf("store: %w", err)
		}
		stats.Stored.Add(int64(res.Stored))
		stats.Duplicates.Add(int64(res.Dups))
	}
	handle := func(c *chunk) {
		<-c.done
		if storeErr != nil {
			return
		}
		p, err := submitChunk(c, app, opts, stats)
		if err != nil {
			storeErr = err
			return
		}
		pending = append(pending, p)
		if len(pending) == inFlight {
			wait(pending[0])
			pending = pending[1:]
		}
	}
	waitAll := func() {
		for _, p := range pending {
			wait(p)
		}
		pending = nil
	}
	for {
		select {
		case c, ok := <-order:
			if !ok {
				wg.Wait()
				waitAll()
				if storeErr != nil {
					return stats, storeErr
				}
				return stats, readErr
			}
			handle(c)
		case <-ctx.Done():
			// The reader may be blocked in a read that cancellation cannot
			// interrupt (a terminal, a pipe): store what was read already
			// and return without waiting for it.
		drain:
			for {
				select {
				case c, ok := <-order:
					if !ok {
						break drain
					}
					handle(c)
				default:
					break drain
				}
			}
			waitAll()
			if storeErr != nil {
				return stats, storeErr
			}
			return stats, ctx.Err()
		}
	}
}

func readAll(ctx context.Context, sources []Source, opts Options, work, order chan<- *chunk) error {
	for _, src := range sources {
		r, err := openInput(src.R)
		if err != nil {
			return fmt.Errorf("read %s: %w", src.Name, err)
		}
		br := bufio.NewReaderSize(r, DetectSize)
		f, err := sourceFormat(br, opts)
		if err != nil {
			return fmt.Errorf("read %s: %w", src.Name, err)
		}
		if opts.OnFormat != nil {
			opts.OnFormat(src.Name, f.Name())
		}
		c := &chunk{source: src.Name, format: f, done: make(chan struct{})}
		send := func() error {
			if err := ctx.Err(); err != nil {
				return err
			}
			work <- c
			order <- c
			c = &chunk{source: src.Name, format: f, done: make(chan struct{})}
			return nil
		}
		err = f.Split(br, opts.MaxEventSize, func(u Unit) error {
			c.units = append(c.units, u)
			if len(c.units) == opts.BatchSize {
				return send()
			}
			return nil
		})
		if err == nil && len(c.units) > 0 {
			err = send()
		}
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return fmt.Errorf("read %s: %w", src.Name, err)
		}
	}
	return nil
}

// sourceFormat is the format a source is read in: the one named in opts,
// or the one detected from its first bytes.
func sourceFormat(br *bufio.Reader, opts Options) (Format, error) {
	if opts.Format == "" || opts.Format == Auto {
		f, err := sniff(br, opts.Formats)
		if err != nil {
			return nil, fmt.Errorf("detect format: %w", err)
		}
		return f, nil
	}
	return Lookup(opts.Formats, opts.Format)
}

func decodeChunk(c *chunk, mapUnit func(Unit) (*event.Event, error), cat *event.Catalogue, app Appender) {
	c.events = make([]*event.Event, len(c.units))
	c.reason = make([]string, len(c.units))
	c.prepared = make([]store.Prepared, 0, len(c.units))
	for i, u := range c.units {
		if u.Err != nil {
			c.reason[i] = u.Err.Error()
			continue
		}
		ev, err := mapUnit(u)
		if err != nil {
			c.reason[i] = err.Error()
			continue
		}
		if ev.Format == "" {
			ev.Format = c.format.Name()
		}
		cat.Normalize(ev)
		p, err := app.Prepare(ev)
		if err != nil {
			c.reason[i] = err.Error()
			continue
		}
		c.events[i] = ev
		c.prepared = append(c.prepared, p)
	}
}

// submitChunk reports the chunk's rejects, in order, and submits its good
// events to the store.
func submitChunk(c *chunk, app Appender, opts Options, stats *Stats) (*store.Pending, error) {
	for i, ev := range c.events {
		stats.Units.Add(1)
		if ev == nil {
			stats.Rejected.Add(1)
			if opts.OnReject != nil {
				opts.OnReject(Reject{Source: c.source, Line: c.units[i].Line, Reason: c.reason[i], Raw: c.units[i].Raw})
			}
		}
	}
	p, err := app.Submit(context.Background(), c.prepared)
	if err != nil {
		return nil, fmt.Errorf("store events of %s: %w", c.source, err)
	}
	return p, nil
}
