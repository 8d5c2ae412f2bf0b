package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/spf13/cobra"

	"github.com/vigil-dev/vigil/event"
	"github.com/vigil-dev/vigil/ingest"
	"github.com/vigil-dev/vigil/ingest/auditd"
	"github.com/vigil-dev/vigil/ingest/cloudtrail"
	"github.com/vigil-dev/vigil/ingest/k8saudit"
	"github.com/vigil-dev/vigil/ingest/m365"
)

// ingestOptions are the flags of vigil ingest.
type ingestOptions struct {
	rejectsPath string
	maxSize     int
	format      string
	k8sStage    string
	follow      followOptions
}

// formats lists the input formats vigil ingest offers besides the native
// one, in the order auto-detection asks them.
func (o ingestOptions) formats() []ingest.Format {
	return []ingest.Format{
		cloudtrail.Format{},
		k8saudit.Format{Stage: o.k8sStage},
		m365.Format{},
		auditd.Format{},
	}
}

func (a *app) ingestCmd() *cobra.Command {
	var o ingestOptions
	cmd := &cobra.Command{
		Use:   "ingest [FILE...|-]",
		Short: "Store events from files or standard input: native JSON, CloudTrail, Kubernetes audit, Microsoft 365, auditd (gzip too)",
		Long: `Ingest reads events from files or standard input ("-", the default);
gzip-compressed input is read transparently. --format says what they are:

  native      the native shape (see docs/event-format.md): JSON Lines, or one
              JSON array
  cloudtrail  AWS CloudTrail: log files {"Records":[...]}, or records as JSON
              Lines or an array
  k8s         Kubernetes API server audit (audit.k8s.io/v1, v1beta1): Event
              lines, arrays and EventLists; one event per auditID, at the
              stage --k8s-stage names
  m365        Microsoft 365 unified audit log: records as objects, JSON Lines
              or arrays, and Search-UnifiedAuditLog output (AuditData)
  auditd      raw Linux audit.log lines; the records of an event are one event
  auto        (the default) each input's format is told by its first bytes:
              an object whose first key is "Records", or with eventName and
              eventSource, is CloudTrail; apiVersion audit.k8s.io/..., or kind
              Event with an auditID, is Kubernetes; CreationTime and
              Operation, or AuditData, is Microsoft 365; a first line
              "type=... msg=..." is auditd; anything else is native.

Every event keeps the bytes it was read as; an imported one also gets the
canonical fields (time, action, actor, target, ip, ...) and a category from
the catalogue.

A line that cannot be stored is reported as FILE:LINE: REASON on stderr and
written verbatim to a rejects file (its path is printed), and ingest goes on.
An event whose event_id is already stored is counted as a duplicate.

Exit status: 0 when every event was stored (or was a duplicate), 2 when some
were rejected, 1 on failure, 130 when interrupted (what was reported stored
is stored; run the same command again to go on: duplicates are skipped).

With --follow, ingest follows the files as they grow, like tail -F: it
survives rotation (rename and create, copytruncate), truncation and the
removal and re-creation of a file, and runs until interrupted (Ctrl-C,
SIGTERM). How far each file was read is kept in DATA/follow/state.json once
its events are stored, so the same command after a stop or a crash goes on
where it stopped, without losing or repeating events; a file rotated
meanwhile is read to its end first when it is found beside the path (FILE.1,
FILE-DATE). Files are JSON Lines (in any of the JSON formats) or auditd
logs; Kubernetes audit logs keep every stage (--k8s-stage all), since the
stages of a request are written apart. Exit status: 0 (2 when some lines were
rejected) once stopped by a signal, 1 on failure.`,
		Example: `  vigil ingest events.jsonl
  vigil ingest audit-2025-01.json.gz more.jsonl
  tail -n 1000 app.log | vigil ingest -
  vigil ingest 123456789012_CloudTrail_us-east-1_*.json.gz
  vigil ingest --format auditd /var/log/audit/audit.log
  vigil ingest --format k8s --k8s-stage all kube-apiserver-audit.log
  vigil ingest --follow /var/log/app/audit.jsonl /var/log/audit/audit.log`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if o.follow.on {
				return a.ingestFollow(cmd.Context(), args, o, cmd.Flags().Changed("k8s-stage"))
			}
			if err := o.follow.check(cmd); err != nil {
				return err
			}
			if len(args) == 0 {
				args = []string{"-"}
			}
			return a.ingest(cmd.Context(), args, o)
		},
	}
	o.follow.flags(cmd)
	cmd.Flags().StringVar(&o.rejectsPath, "rejects", "", "file for rejected lines (default DATA/rejects/ingest-TIME.jsonl)")
	cmd.Flags().IntVar(&o.maxSize, "max-event-size", ingest.DefaultMaxEventSize, "largest event accepted, in bytes")
	cmd.Flags().StringVar(&o.format, "format", ingest.Auto, "input format: "+strings.Join(ingest.Names(o.formats()), ", "))
	cmd.Flags().StringVar(&o.k8sStage, "k8s-stage", k8saudit.StageResponseComplete,
		"Kubernetes audit: the stage kept of each request ("+strings.Join(k8saudit.Stages(), ", ")+"), or \"all\" for every stage")
	return cmd
}

func (a *app) ingest(ctx context.Context, names []string, o ingestOptions) error {
	rejectsPath, maxSize := o.rejectsPath, o.maxSize
	formats := o.formats()
	if o.format != ingest.Auto {
		if _, err := ingest.Lookup(formats, o.format); err != nil {
			return fmt.Errorf("ingest: --format: %w", err)
		}
	}
	if err := (k8saudit.Format{Stage: o.k8sStage}).Validate(); err != nil {
		return fmt.Errorf("ingest: --k8s-stage: %w", err)
	}
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

	eng, err := a.openEngineLagging()
	if err != nil {
		return err
	}
	defer eng.Close()
	st, cat := eng.Store(), eng.Catalogue()

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

	// The index follows the store while ingest runs, so that what is
	// stored becomes searchable without waiting for the end.
	stopIndexing := eng.StartIndexer(ctx)

	var formatMu sync.Mutex
	var readAs []sourceFormat
	_, runErr := ingest.Run(ctx, st, sources, ingest.Options{
		Formats: formats,
		Format:  o.format,
		OnFormat: func(source, format string) {
			formatMu.Lock()
			readAs = append(readAs, sourceFormat{source, format})
			formatMu.Unlock()
		},
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
	if indexErr := stopIndexing(); indexErr != nil && !errors.Is(indexErr, context.Canceled) {
		return fmt.Errorf("index: %w", indexErr)
	}

	formatMu.Lock()
	for _, line := range formatLines(readAs) {
		fmt.Fprintln(a.stdout, event.Safe(line))
	}
	formatMu.Unlock()
	stored, dups, rejected := stats.Stored.Load(), stats.Duplicates.Load(), stats.Rejected.Load()
	rate := float64(stored+dups) / elapsed.Seconds()
	fmt.Fprintf(a.stdout, "stored %d, duplicates %d, rejected %d in %s (%.0f events/s)\n",
		stored, dups, rejected, elapsed.Round(time.Millisecond), rate)
	if runErr == nil {
		// Ingest ends when what it stored is searchable.
		ibar := newBar(a.stderr, int64(st.Head().Seq-eng.IndexedSeq()), "indexing", false)
		var progress func(done, total uint64)
		if ibar != nil {
			progress = func(done, _ uint64) { _ = ibar.Set64(int64(done)) }
		}
		err := eng.CatchUp(ctx, progress)
		if ibar != nil {
			_ = ibar.Finish()
		}
		if err != nil && !errors.Is(err, context.Canceled) {
			return fmt.Errorf("index: %w", err)
		}
		runErr = err
		fmt.Fprintf(a.stdout, "searchable up to seq %d after %s\n", eng.IndexedSeq(), time.Since(start).Round(time.Millisecond))
	}
	if err := rej.error(); err != nil {
		return fmt.Errorf("write rejects: %w", err)
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

// sourceFormat is the format a source was read in.
type sourceFormat struct{ source, format string }

// formatLines says which format the sources were read in: nothing when all
// were native (the output stays as it always was), else one line a format,
// naming the source when it is the only one in that format.
func formatLines(read []sourceFormat) []string {
	var order []string
	bySource := map[string][]string{}
	for _, r := range read {
		if _, ok := bySource[r.format]; !ok {
			order = append(order, r.format)
		}
		bySource[r.format] = append(bySource[r.format], r.source)
	}
	if len(order) == 0 || (len(order) == 1 && order[0] == event.FormatNative) {
		return nil
	}
	lines := make([]string, 0, len(order))
	for _, f := range order {
		if names := bySource[f]; len(names) == 1 {
			lines = append(lines, fmt.Sprintf("read %s as %s", names[0], f))
		} else {
			lines = append(lines, fmt.Sprintf("read %d inputs as %s", len(names), f))
		}
	}
	return lines
}

// rejectsFile writes rejected units verbatim, one a line, and their reasons
// (through the safe renderer) beside them. Files are created on the first
// reject only. It is safe for concurrent use (vigil serve's handlers).
type rejectsFile struct {
	path string // chosen by the user, or "" for one under dir
	dir  string
	// prefix names a file made under dir: PREFIX-TIME.jsonl; "ingest"
	// when empty.
	prefix string
	// flushEach writes every reject through at once, for a process that
	// runs for days (vigil serve); otherwise they are buffered until
	// sync or close.
	flushEach bool

	mu      sync.Mutex
	opened  bool
	f       *os.File
	w       *bufio.Writer
	reasons *os.File
	err     error
}

func (r *rejectsFile) file() string        { return r.path }
func (r *rejectsFile) reasonsFile() string { return r.path + ".reasons" }

// written is the rejects file once a reject was written to it, else "".
func (r *rejectsFile) written() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.opened {
		return ""
	}
	return r.path
}

// error is the first error writing rejects.
func (r *rejectsFile) error() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.err
}

func (r *rejectsFile) write(rej ingest.Reject) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.err != nil {
		return
	}
	if r.f == nil {
		if r.path == "" {
			if r.err = os.MkdirAll(r.dir, 0o700); r.err != nil {
				return
			}
			prefix := r.prefix
			if prefix == "" {
				prefix = "ingest"
			}
			r.path = filepath.Join(r.dir, prefix+"-"+time.Now().UTC().Format("20060102T150405.000Z")+".jsonl")
		}
		if r.f, r.err = os.OpenFile(r.path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600); r.err != nil {
			return
		}
		if r.reasons, r.err = os.OpenFile(r.reasonsFile(), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600); r.err != nil {
			return
		}
		r.w = bufio.NewWriter(r.f)
		r.opened = true
	}
	r.w.Write(rej.Raw)
	r.w.WriteByte('\n')
	if r.flushEach {
		if r.err = r.w.Flush(); r.err != nil {
			return
		}
	}
	_, r.err = fmt.Fprintln(r.reasons, event.Safe(rej.String()))
}

// sync makes the rejects written so far durable.
func (r *rejectsFile) sync() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.err != nil || r.f == nil {
		return r.err
	}
	if err := r.w.Flush(); err != nil {
		return err
	}
	if err := r.f.Sync(); err != nil {
		return err
	}
	return r.reasons.Sync()
}

func (r *rejectsFile) close() {
	r.mu.Lock()
	defer r.mu.Unlock()
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
