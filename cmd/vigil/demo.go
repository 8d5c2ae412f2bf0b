package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/vigil-dev/vigil/alerts"
	"github.com/vigil-dev/vigil/ingest"
	"github.com/vigil-dev/vigil/store"
	"github.com/vigil-dev/vigil/testdata/demo"
)

// demoMarker marks a data directory that vigil demo made, so that --reset
// never removes a real store.
const demoMarker = "DEMO"

func (a *app) demoCmd() *cobra.Command {
	var cfg demo.Config
	var end string
	var reset bool
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Fill a demo store with realistic generated audit events, then open it",
		Long: `Demo generates realistic audit events from every seed catalogue: a
working-hours rhythm, 400+ users with roles, hundreds of IPv4 and IPv6
addresses, planted incidents (a brute-force burst, a role change to admin, a
mass export, off-hours logins, a login from a new country) and a few hostile
strings (terminal escapes, CSV formulas, bidi overrides). The same --seed and
--end give the same events.

The demo store has its own data directory ($XDG_DATA_HOME/vigil-demo or
~/.local/share/vigil-demo) unless --data is given. When it already holds
events, demo opens it as it is; --reset regenerates it.`,
		Example: `  vigil demo
  vigil demo --events 1000000 --days 90 --seed 7
  vigil demo --reset`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if end != "" {
				t, err := time.Parse(time.RFC3339, end)
				if err != nil {
					return fmt.Errorf("--end %q: want RFC 3339", end)
				}
				cfg.End = t
			} else {
				cfg.End = time.Now().UTC().Truncate(time.Hour).Add(time.Hour)
			}
			return a.demo(cmd.Context(), cfg, reset)
		},
	}
	cmd.Flags().IntVar(&cfg.Events, "events", 50000, "number of events")
	cmd.Flags().IntVar(&cfg.Days, "days", 30, "days of history, ending at --end")
	cmd.Flags().Int64Var(&cfg.Seed, "seed", 1, "random seed")
	cmd.Flags().StringVar(&end, "end", "", "newest event time, RFC 3339 (default the next full hour)")
	cmd.Flags().BoolVar(&reset, "reset", false, "remove the demo store first and generate it anew")
	return cmd
}

func (a *app) demo(ctx context.Context, cfg demo.Config, reset bool) error {
	dataDir, err := a.resolveDataDir("vigil-demo")
	if err != nil {
		return err
	}
	if reset {
		if err := resetDemo(dataDir); err != nil {
			return err
		}
	}
	a.dataDir = dataDir
	eng, err := a.openEngineLagging()
	if err != nil {
		return err
	}
	st := eng.Store()
	if st.Count() > 0 {
		fmt.Fprintf(a.stdout, "demo store %s already holds %d events (vigil demo --reset generates it anew)\n\n", dataDir, st.Count())
		err := a.catchUp(ctx, eng)
		eng.Close()
		if err != nil {
			return err
		}
		if a.interactive() {
			return a.explore(ctx, false)
		}
		return a.status(ctx, false, false)
	}
	if err := os.WriteFile(filepath.Join(dataDir, demoMarker), []byte("made by vigil demo; vigil demo --reset may remove this directory\n"), 0o600); err != nil {
		eng.Close()
		return err
	}

	pr, pw := io.Pipe()
	gen := demo.New(cfg)
	go func() {
		w := bufio.NewWriterSize(pw, 1<<16)
		for {
			line, ok := gen.Next()
			if !ok {
				break
			}
			w.Write(line)
			if err := w.WriteByte('\n'); err != nil {
				break
			}
		}
		pw.CloseWithError(w.Flush())
	}()
	var stats ingest.Stats
	bar := newBar(a.stderr, int64(cfg.Events), "demo", false)
	stop := make(chan struct{})
	go func() {
		if bar == nil {
			return
		}
		t := time.NewTicker(200 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				_ = bar.Set64(stats.Units.Load())
			}
		}
	}()
	start := time.Now()
	_, err = ingest.Run(ctx, st, []ingest.Source{{Name: "demo", R: pr}}, ingest.Options{
		Stats: &stats,
		OnReject: func(r ingest.Reject) {
			// The generator's output is tested to decode; a reject here is a bug.
			fmt.Fprintf(a.stderr, "vigil: demo generated a bad event: %s\n", r)
		},
	})
	close(stop)
	pr.Close()
	if bar != nil {
		_ = bar.Finish()
	}
	if err == nil {
		err = a.catchUp(ctx, eng) // searchable before it opens
	}
	var fired int
	if err == nil {
		fired, err = demoAlerts(ctx, dataDir, st, gen.HomeZones())
	}
	closeErr := eng.Close()
	if err != nil {
		return err
	}
	if closeErr != nil {
		return closeErr
	}
	fmt.Fprintf(a.stdout, "demo store %s: generated %d events (%d incidents planted) in %s; its alert rules fired %d alerts (vigil alerts list)\n\n",
		dataDir, stats.Stored.Load(), len(gen.Incidents()), time.Since(start).Round(time.Millisecond), fired)
	if a.interactive() {
		return a.explore(ctx, false)
	}
	if err := a.status(ctx, false, false); err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "\nUse it with: vigil --data %s query 'action:login.failed | top 10 ip'  (or status, verify, ingest)\n", dataDir)
	return nil
}

// resetDemo removes a data directory that vigil demo made, and nothing else.
func resetDemo(dataDir string) error {
	if _, err := os.Stat(dataDir); errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if _, err := os.Stat(filepath.Join(dataDir, demoMarker)); err != nil {
		return fmt.Errorf("--reset: %s was not made by vigil demo (no %s file); remove it yourself if you mean it", dataDir, demoMarker)
	}
	if err := os.RemoveAll(dataDir); err != nil {
		return fmt.Errorf("--reset: %w", err)
	}
	return nil
}

// demoAlerts writes the demo's rules (writeDemoRules), evaluates them over
// the events just stored, and stores the alerts, as vigil serve would have
// had it received the events live: the explorer's alerts pane then shows
// the planted incidents, and a later vigil serve goes on after them.
func demoAlerts(ctx context.Context, dataDir string, st *store.Store, zones map[string]string) (int, error) {
	rs, err := writeDemoRules(dataDir, zones)
	if err != nil {
		return 0, err
	}
	as, err := alerts.OpenStore(dataDir, alerts.StoreOptions{})
	if err != nil {
		return 0, err
	}
	defer as.Close()
	var fired []alerts.Alert
	if _, err := alerts.Backtest(ctx, st, rs, alerts.BacktestOptions{}, func(al alerts.Alert) error {
		fired = append(fired, al)
		return nil
	}); err != nil {
		return 0, fmt.Errorf("demo alerts: %w", err)
	}
	if _, err := as.Append(fired); err != nil {
		return 0, err
	}
	if err := as.SaveLastSeq(st.Head().Seq); err != nil {
		return 0, err
	}
	return len(fired), nil
}

// writeDemoRules writes the data directory's alert rules: the built-in
// rules, with business hours read in each demo person's home zone (the
// demo's people work in fifteen zones, so one office zone would see their
// ordinary evenings as off-hours).
func writeDemoRules(dataDir string, zones map[string]string) (*alerts.RuleSet, error) {
	var b strings.Builder
	b.Write(alerts.BuiltinYAML)
	b.WriteString("\n# Written by vigil demo: each demo person's home zone.\nzone_by:\n  field: user\n  zones:\n")
	for _, u := range slices.Sorted(maps.Keys(zones)) {
		fmt.Fprintf(&b, "    %q: %s\n", u, zones[u])
	}
	path := alerts.RulesPath(dataDir)
	rs, err := alerts.Parse([]byte(b.String()), path)
	if err != nil {
		return nil, fmt.Errorf("demo rules: %w", err)
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		return nil, fmt.Errorf("demo rules: %w", err)
	}
	return rs, nil
}
