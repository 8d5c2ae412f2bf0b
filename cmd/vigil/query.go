package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/vigil-dev/vigil/engine"
	"github.com/vigil-dev/vigil/event"
	"github.com/vigil-dev/vigil/export"
	"github.com/vigil-dev/vigil/query"
	"github.com/vigil-dev/vigil/store"
)

type queryFlags struct {
	limit  int
	count  bool
	since  string
	until  string
	format string
	output string
}

func (a *app) queryCmd() *cobra.Command {
	var f queryFlags
	cmd := &cobra.Command{
		Use:   "query EXPR",
		Short: "Search the events, newest first, and print or export them",
		Long: `Query searches with the query language (docs/query-language.md): field:value
terms, wildcards, comparisons, ranges, CIDR blocks, free text, AND/OR/NOT and
parentheses, and a pipe stage (top N field, count by field, timechart 1h).

Results are newest first. --format chooses table (aligned to the terminal,
every value made safe to show), json, jsonl, csv, cef, leef, leef2 or chain
(the hash chain of docs/chain-format.md; the whole chain, oldest first, for
the query '*'). Exports stream: memory stays flat for any number of events.

A query that does not parse is answered with its position and a hint.`,
		Example: `  vigil query 'action:login.failed AND ip:192.168.1.100'
  vigil query 'role:admin' --since 7d
  vigil query 'action:login.failed | top 10 ip'
  vigil query 'category:security' --count
  vigil query 'action:data.exported' --format cef --output exports.cef
  vigil query '*' --format chain --output chain.jsonl`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.query(cmd.Context(), args[0], f)
		},
	}
	fl := cmd.Flags()
	fl.IntVar(&f.limit, "limit", 0, "at most this many events (default 50 for table, all for exports)")
	fl.BoolVar(&f.count, "count", false, "print only the number of matching events")
	fl.StringVar(&f.since, "since", "", "only events at or after: RFC 3339, a date, or a duration back from now (24h, 7d)")
	fl.StringVar(&f.until, "until", "", "only events before: RFC 3339, a date, or a duration back from now")
	fl.StringVar(&f.format, "format", "table", "table, "+strings.Join(export.Formats(), ", "))
	fl.StringVarP(&f.output, "output", "o", "", "write to this file instead of standard output")
	return cmd
}

// openEngine opens the data directory's store and index and brings the
// index up to date, with a progress bar on a terminal.
func (a *app) openEngine(ctx context.Context) (*engine.Engine, error) {
	e, err := a.openEngineLagging()
	if err != nil {
		return nil, err
	}
	if err := a.catchUp(ctx, e); err != nil {
		e.Close()
		return nil, err
	}
	return e, nil
}

// openEngineLagging opens the store and the index as they are.
func (a *app) openEngineLagging() (*engine.Engine, error) {
	dataDir, err := a.resolveDataDir("vigil")
	if err != nil {
		return nil, err
	}
	key, err := readKeyFile(a.keyFile)
	if err != nil {
		return nil, err
	}
	return engine.Open(dataDir, engine.Options{EncryptionKey: key, Logger: a.log})
}

// catchUp indexes what the store holds beyond the index, with a progress
// bar on a terminal.
func (a *app) catchUp(ctx context.Context, e *engine.Engine) error {
	lag := e.Store().Head().Seq - e.IndexedSeq()
	if lag == 0 {
		return nil
	}
	bar := newBar(a.stderr, int64(lag), "indexing", false)
	var progress func(done, total uint64)
	if bar != nil {
		progress = func(done, _ uint64) { _ = bar.Set64(int64(done)) }
	}
	err := e.CatchUp(ctx, progress)
	if bar != nil {
		_ = bar.Finish()
	}
	return err
}

func (a *app) query(ctx context.Context, text string, f queryFlags) error {
	now := time.Now()
	req := engine.Request{Query: text}
	var err error
	if f.since != "" {
		if req.Since, err = parseSince(f.since, now); err != nil {
			return fmt.Errorf("--since: %w", err)
		}
	}
	if f.until != "" {
		if req.Until, err = parseSince(f.until, now); err != nil {
			return fmt.Errorf("--until: %w", err)
		}
	}
	if f.format != "table" && !contains(export.Formats(), f.format) {
		return fmt.Errorf("--format %q: want table, %s", f.format, strings.Join(export.Formats(), ", "))
	}
	e, err := a.openEngine(ctx)
	if err != nil {
		return err
	}
	defer e.Close()
	c, err := e.Compile(req)
	if err != nil {
		var pe *query.ParseError
		if errors.As(err, &pe) {
			fmt.Fprintln(a.stderr, event.SafeMultiline(pe.Caret()))
			return &exitError{code: exitFailure, err: errors.New("")}
		}
		return err
	}

	out := a.stdout
	if f.output != "" {
		file, err := os.OpenFile(f.output, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
		if err != nil {
			return fmt.Errorf("--output: %w", err)
		}
		defer file.Close()
		out = file
	}
	bw := bufio.NewWriterSize(out, 1<<16)
	defer bw.Flush()

	start := time.Now()
	switch {
	case f.count:
		n, err := e.Count(ctx, c)
		if err != nil {
			return err
		}
		fmt.Fprintln(bw, n)
		return nil
	case c.Query.Stage != nil:
		agg, err := e.Aggregate(ctx, c)
		if err != nil {
			return err
		}
		return writeAggregation(bw, agg, f.format)
	case f.format == "table":
		limit := f.limit
		if limit <= 0 {
			limit = 50
		}
		p, err := e.Search(ctx, c, limit, "")
		if err != nil {
			return err
		}
		n, err := e.Count(ctx, c)
		if err != nil {
			return err
		}
		writeTable(bw, p.Events, terminalWidth(out))
		fmt.Fprintf(a.stderr, "%d of %d matching events (%s)\n", len(p.Events), n, time.Since(start).Round(time.Millisecond))
		return nil
	}
	return a.export(ctx, e, c, bw, f)
}

// export streams matching events in an export format.
func (a *app) export(ctx context.Context, e *engine.Engine, c *engine.Compiled, w *bufio.Writer, f queryFlags) error {
	xw, err := export.NewWriter(f.format, w, export.Options{Catalogue: e.Catalogue()})
	if err != nil {
		return err
	}
	var total int64 = -1
	if f.format == export.Chain {
		if _, all := c.Query.Filter.(*query.MatchAll); !all {
			return errors.New("--format chain exports the chain itself, every event oldest first, so that it verifies: use the query '*'")
		}
		total = int64(e.Store().Count())
	} else if n, err := e.Count(ctx, c); err == nil {
		total = int64(n)
	}
	if f.limit > 0 && total > int64(f.limit) {
		total = int64(f.limit)
	}
	var bar interface {
		Add(int) error
		Finish() error
	}
	if f.output != "" {
		if b := newBar(a.stderr, total, "export", false); b != nil {
			bar = b
		}
	}
	written := 0
	stop := errors.New("limit reached")
	write := func(r store.Record, ev *event.Event) error {
		if f.limit > 0 && written >= f.limit {
			return stop
		}
		if err := xw.Write(r, ev); err != nil {
			return err
		}
		written++
		if bar != nil {
			_ = bar.Add(1)
		}
		return nil
	}
	if f.format == export.Chain {
		err = e.Store().Scan(ctx, 0, 0, false, func(r store.Record) error { return write(r, nil) })
	} else {
		err = e.Each(ctx, c, write)
	}
	if err != nil && !errors.Is(err, stop) {
		return err
	}
	if err := xw.Close(); err != nil {
		return err
	}
	if bar != nil {
		_ = bar.Finish()
	}
	if f.output != "" {
		fmt.Fprintf(a.stderr, "wrote %d events to %s (%s)\n", written, f.output, f.format)
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// terminalWidth is w's width when it is a terminal, else 120.
func terminalWidth(w io.Writer) int {
	if f, ok := w.(*os.File); ok {
		if width, _, err := term.GetSize(int(f.Fd())); err == nil && width > 0 {
			return width
		}
	}
	return 120
}

// writeTable prints events in columns that fit the width, every value
// through the safe renderer, the last column cut to fit.
func writeTable(w io.Writer, evs []*event.Event, width int) {
	header := []string{"TIME", "SEVERITY", "CATEGORY", "ACTION", "ACTOR", "IP", "MESSAGE"}
	rows := [][]string{header}
	for _, ev := range evs {
		msg := ev.Message
		if msg == "" {
			msg = ev.Target.Label()
		}
		rows = append(rows, []string{
			ev.Time.UTC().Format("2006-01-02 15:04:05"),
			ev.Severity, ev.Category, event.Safe(ev.Type), event.Safe(ev.Actor.Label()),
			event.Safe(ev.Context.IP), event.Safe(msg),
		})
	}
	// Fixed columns take what they need, up to a cap; the message gets the
	// rest.
	caps := []int{19, 8, 14, 32, 32, 39, 0}
	widths := make([]int, len(header))
	for _, r := range rows {
		for i, cell := range r[:len(r)-1] {
			widths[i] = min(max(widths[i], utf8.RuneCountInString(cell)), caps[i])
		}
	}
	used := 0
	for _, wd := range widths[:len(widths)-1] {
		used += wd + 2
	}
	widths[len(widths)-1] = max(width-used, 10)
	for _, r := range rows {
		var b strings.Builder
		for i, cell := range r {
			cell = fit(cell, widths[i])
			b.WriteString(cell)
			if i < len(r)-1 {
				b.WriteString(strings.Repeat(" ", widths[i]-utf8.RuneCountInString(cell)+2))
			}
		}
		fmt.Fprintln(w, strings.TrimRight(b.String(), " "))
	}
}

// fit cuts s to at most n characters, marking the cut with "…".
func fit(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	if n <= 1 {
		return string(r[:n])
	}
	return string(r[:n-1]) + "…"
}

func writeAggregation(w io.Writer, agg *engine.Aggregation, format string) error {
	switch format {
	case "table":
		for _, b := range agg.Buckets {
			label := event.Safe(b.Value)
			if !b.Time.IsZero() {
				label = b.Time.UTC().Format(time.RFC3339)
			}
			fmt.Fprintf(w, "%10d  %s\n", b.Count, label)
		}
		fmt.Fprintf(w, "%10d  events matched\n", agg.Total)
		return nil
	case "json", "jsonl":
		for _, b := range agg.Buckets {
			if !b.Time.IsZero() {
				fmt.Fprintf(w, "{\"time\":%q,\"count\":%d}\n", b.Time.UTC().Format(time.RFC3339), b.Count)
			} else {
				fmt.Fprintf(w, "{\"value\":%s,\"count\":%d}\n", jsonString(b.Value), b.Count)
			}
		}
		return nil
	}
	return fmt.Errorf("--format %s does not apply to a pipe stage: use table or jsonl", format)
}

func jsonString(s string) string {
	b, _ := json.Marshal(s) // escapes control characters, U+2028 and U+2029
	return string(b)
}
