package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"

	"github.com/spf13/cobra"

	"github.com/vigil-dev/vigil/event"
	"github.com/vigil-dev/vigil/ingest"
)

func (a *app) ingestCmd() *cobra.Command {
	var rejectsPath string
	var maxSize int
	cmd := &cobra.Command{
		Use:   "ingest [FILE...|-]",
		Short: "Store events from JSON Lines or JSON array files (gzip too), or standard input",
		Long: `Ingest reads events in the native shape (see docs/event-format.md) from
files or standard input ("-", the default): JSON Lines, or one JSON array;
gzip-compressed input is read transparently.

A line that cannot be stored is reported as FILE:LINE: REASON on stderr and
written verbatim to a rejects file (its path is printed), and ingest goes on.
An event whose event_id is already stored is counted as a duplicate.

Exit status: 0 when every event was stored (or was a duplicate), 2 when some
were rejected, 1 on failure, 130 when interrupted (what was reported stored
is stored; run the same command again to go on: duplicates are skipped).`,
		Example: `  vigil ingest events.jsonl
  vigil ingest audit-2025-01.json.gz more.jsonl
  tail -n 1000 app.log | vigil ingest -`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				args = []string{"-"}
			}
			return a.ingest(cmd.Context(), args, rejectsPath, maxSize)
		},
	}
	cmd.Flags().StringVar(&rejectsPath, "rejects", "", "file for rejected lines (default DATA/rejects/ingest-TIME.jsonl)")
	cmd.Flags().IntVar(&maxSize, "max-event-size", ingest.DefaultMaxEventSize, "largest event accepted, in bytes")
	return cmd
}

func (a *app) ingest(ctx context.Context, names []string, rejectsPath string, maxSize int) error {
	dataDir, err := a.resolveDataDir("vigil")
	if err != nil {
		return err
	}
	var sources []ingest.Source
	var total int64 = 0
	var read atomic.Int64
	for _, name := range names {
		if name == "-" {
			sources = append(sources, ingest.Source{Name: "-", R: countingReader{a.stdin, &read}})
			total = -1
			continue
		}
		f, err := os.Open(name)
		if err != nil {
			return fmt.Errorf("ingest: %w", err)
		}
		defer f.Close()
		if info, err := f.Stat(); err == nil && total >= 0 {
			total += info.Size()
		}
		sources = append(sources, ingest.Source{Name: name, R: countingReader{f, &read}})
	}

	st, err := a.openStore(dataDir)
	if err != nil {
		return err
	}
	defer st.Close()
	cat, err := event.LoadCatalogue(filepath.Join(dataDir, "catalogue.yaml"))
	if err != nil {
		return err
	}

	rej := &rejectsFile{path: rejectsPath, dir: filepath.Join(dataDir, "rejects")}
	defer rej.close()
	var stats ingest.Stats
	bar := newBar(a.stderr, total, "ingest", true)
	start := time.Now()
	stopBar := make(chan struct{})
	barDone := make(chan struct{})
	go func() {
		defer close(barDone)
		if bar == nil {
			<-stopBar
			return
		}
		t := time.NewTicker(200 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-stopBar:
				_ = bar.Finish()
				return
			case <-t.C:
				n := stats.Units.Load()
				_ = bar.Set64(read.Load())
				bar.Describe(fmt.Sprintf("%d events %.0f/s", n, float64(n)/time.Since(start).Seconds()))
			}
		}
	}()

	_, runErr := ingest.Run(ctx, st, sources, ingest.Options{
		Catalogue:    cat,
		MaxEventSize: maxSize,
		Stats:        &stats,
		OnReject: func(r ingest.Reject) {
			if bar != nil {
				_ = bar.Clear()
			}
			fmt.Fprintln(a.stderr, event.Safe(r.String()))
			rej.write(r)
		},
	})
	close(stopBar)
	<-barDone
	rej.close()
	elapsed := time.Since(start)

	stored, dups, rejected := stats.Stored.Load(), stats.Duplicates.Load(), stats.Rejected.Load()
	rate := float64(stored+dups) / elapsed.Seconds()
	fmt.Fprintf(a.stdout, "stored %d, duplicates %d, rejected %d in %s (%.0f events/s)\n",
		stored, dups, rejected, elapsed.Round(time.Millisecond), rate)
	if rej.err != nil {
		return fmt.Errorf("write rejects: %w", rej.err)
	}
	if rej.path != "" && rejected > 0 {
		fmt.Fprintf(a.stdout, "rejected lines kept verbatim in %s (reasons in %s)\n", rej.file(), rej.reasonsFile())
	}
	switch {
	case errors.Is(runErr, context.Canceled):
		fmt.Fprintln(a.stderr, "vigil: interrupted; everything counted as stored is stored. Run the same command again to go on: duplicates are skipped.")
		return &exitError{code: exitSignal, err: errors.New("")}
	case runErr != nil:
		return runErr
	case rejected > 0:
		return &exitError{code: exitRejected, err: errors.New("")}
	}
	return nil
}

// rejectsFile writes rejected units verbatim, one a line, and their reasons
// beside them. Files are created on the first reject only.
type rejectsFile struct {
	path    string // chosen by the user, or "" for one under dir
	dir     string
	f       *os.File
	w       *bufio.Writer
	reasons *os.File
	err     error
}

func (r *rejectsFile) file() string        { return r.path }
func (r *rejectsFile) reasonsFile() string { return r.path + ".reasons" }

func (r *rejectsFile) write(rej ingest.Reject) {
	if r.err != nil {
		return
	}
	if r.f == nil {
		if r.path == "" {
			if r.err = os.MkdirAll(r.dir, 0o700); r.err != nil {
				return
			}
			r.path = filepath.Join(r.dir, "ingest-"+time.Now().UTC().Format("20060102T150405.000Z")+".jsonl")
		}
		if r.f, r.err = os.OpenFile(r.path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600); r.err != nil {
			return
		}
		if r.reasons, r.err = os.OpenFile(r.reasonsFile(), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600); r.err != nil {
			return
		}
		r.w = bufio.NewWriter(r.f)
	}
	r.w.Write(rej.Raw)
	r.w.WriteByte('\n')
	_, r.err = fmt.Fprintln(r.reasons, rej.String())
}

func (r *rejectsFile) close() {
	if r.f == nil {
		return
	}
	if err := r.w.Flush(); err != nil && r.err == nil {
		r.err = err
	}
	r.f.Close()
	r.reasons.Close()
	r.f = nil
}
