package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/vigil-dev/vigil/event"
	"github.com/vigil-dev/vigil/follow"
	"github.com/vigil-dev/vigil/ingest"
	"github.com/vigil-dev/vigil/ingest/k8saudit"
)

// followOptions are the flags of vigil ingest --follow.
type followOptions struct {
	on        bool
	poll      time.Duration
	idleFlush time.Duration
}

func (o *followOptions) flags(cmd *cobra.Command) {
	cmd.Flags().BoolVar(&o.on, "follow", false, "follow the files as they grow, through rotations, until interrupted; resumes where it stopped")
	cmd.Flags().DurationVar(&o.poll, "poll", 250*time.Millisecond, "with --follow: how often files are looked at (file system notifications wake it sooner)")
	cmd.Flags().DurationVar(&o.idleFlush, "flush-partial", 0, "with --follow: store a last line that has no line end yet once its file has been quiet this long (default: wait for the line end)")
}

// check refuses the flags of --follow without it.
func (o *followOptions) check(cmd *cobra.Command) error {
	for _, name := range []string{"poll", "flush-partial"} {
		if cmd.Flags().Changed(name) {
			return fmt.Errorf("ingest: --%s goes with --follow", name)
		}
	}
	return nil
}

// followStatusEvery is how often the status line is drawn on a terminal.
const followStatusEvery = time.Second

// ingestFollow is vigil ingest --follow: it follows the files into the
// store until interrupted, keeping the index caught up.
func (a *app) ingestFollow(ctx context.Context, names []string, o ingestOptions, stageSet bool) error {
	if len(names) == 0 {
		return errors.New("ingest --follow: name the files to follow")
	}
	for _, n := range names {
		if n == "-" {
			return errors.New("ingest --follow follows files; to read standard input to its end, leave out --follow")
		}
	}
	if o.follow.poll <= 0 {
		return errors.New("ingest --follow: --poll must be positive")
	}
	// The stages of a Kubernetes request are written apart: following, a
	// stage cannot be held back until a later one shows up, so every stage
	// is kept, each as an event of its own (AUDITID/STAGE).
	if stageSet && o.k8sStage != k8saudit.AllStages {
		return fmt.Errorf("ingest --follow: --k8s-stage %s: a followed Kubernetes audit log keeps every stage (the stages of a request are written apart); leave --k8s-stage out or give %q", o.k8sStage, k8saudit.AllStages)
	}
	o.k8sStage = k8saudit.AllStages
	formats := o.formats()
	if o.format != ingest.Auto {
		if _, err := ingest.Lookup(formats, o.format); err != nil {
			return fmt.Errorf("ingest: --format: %w", err)
		}
	}
	dataDir, err := a.resolveDataDir("vigil")
	if err != nil {
		return err
	}
	eng, err := a.openEngineLagging()
	if err != nil {
		return err
	}
	defer eng.Close()

	term := &followTerminal{w: a.stderr, tty: isTerminal(a.stderr)}
	rej := &rejectsFile{path: o.rejectsPath, dir: filepath.Join(dataDir, "rejects")}
	defer rej.close()
	var stats ingest.Stats
	start := time.Now()

	// The index follows the store, so that what is stored is searchable
	// within a moment.
	stopIndexing := eng.StartIndexer(context.Background())

	statusDone := make(chan struct{})
	stopStatus := make(chan struct{})
	go func() {
		defer close(statusDone)
		if !term.tty {
			<-stopStatus
			return
		}
		t := time.NewTicker(followStatusEvery)
		defer t.Stop()
		var last int64
		lastAt := time.Now()
		for {
			select {
			case <-stopStatus:
				term.status("")
				return
			case now := <-t.C:
				n := stats.Stored.Load() + stats.Duplicates.Load()
				rate := float64(n-last) / now.Sub(lastAt).Seconds()
				last, lastAt = n, now
				term.status(fmt.Sprintf("following %d: %d stored, %d duplicates, %d rejected, %.0f events/s, index lag %d",
					len(names), stats.Stored.Load(), stats.Duplicates.Load(), stats.Rejected.Load(), rate, eng.IndexLag()))
			}
		}
	}()

	runErr := follow.Run(ctx, eng.Store(), names, follow.Options{
		TailOptions: follow.TailOptions{
			IdleFlush: o.follow.idleFlush,
			OnNotice: func(n follow.Notice) {
				if n.Warning {
					term.println("vigil: warning: " + event.Safe(n.String()))
				} else {
					term.println("vigil: " + event.Safe(n.String()))
				}
			},
		},
		Formats:      formats,
		Format:       o.format,
		Catalogue:    eng.Catalogue(),
		MaxEventSize: o.maxSize,
		StateDir:     filepath.Join(dataDir, "follow"),
		Poll:         o.follow.poll,
		Stats:        &stats,
		Logger:       a.log,
		OnReject: func(r ingest.Reject) {
			term.println(event.Safe(r.String()))
			rej.write(r)
		},
		SyncRejects: rej.sync,
	})
	close(stopStatus)
	<-statusDone
	rej.close()
	if err := stopIndexing(); err != nil && runErr == nil {
		runErr = fmt.Errorf("index: %w", err)
	}
	stored, dups, rejected := stats.Stored.Load(), stats.Duplicates.Load(), stats.Rejected.Load()
	fmt.Fprintf(a.stdout, "stored %d, duplicates %d, rejected %d in %s\n", stored, dups, rejected, time.Since(start).Round(time.Millisecond))
	if runErr == nil {
		// What was stored is made searchable before the end, as by
		// ingest; a second interrupt cuts it short (the next search
		// catches up).
		if err := eng.CatchUp(context.Background(), nil); err != nil {
			return fmt.Errorf("index: %w", err)
		}
		fmt.Fprintf(a.stdout, "searchable up to seq %d\n", eng.IndexedSeq())
	}
	if err := rej.error(); err != nil {
		return fmt.Errorf("write rejects: %w", err)
	}
	if rej.path != "" && rejected > 0 {
		fmt.Fprintf(a.stdout, "rejected lines kept verbatim in %s (reasons in %s)\n", rej.file(), rej.reasonsFile())
	}
	switch {
	case runErr != nil:
		return runErr
	case rejected > 0:
		return &exitError{code: exitRejected, err: errors.New("")}
	}
	return nil
}

// followTerminal writes the messages of a follow to stderr, and on a
// terminal keeps a status line below them.
type followTerminal struct {
	mu   sync.Mutex
	w    io.Writer
	tty  bool
	line string // the status line shown
}

// println writes a message above the status line.
func (t *followTerminal) println(s string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.tty && t.line != "" {
		fmt.Fprint(t.w, "\r\x1b[K")
	}
	fmt.Fprintln(t.w, s)
	if t.tty && t.line != "" {
		fmt.Fprint(t.w, t.line)
	}
}

// status replaces the status line ("" clears it).
func (t *followTerminal) status(s string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	fmt.Fprint(t.w, "\r\x1b[K"+s)
	t.line = s
}
