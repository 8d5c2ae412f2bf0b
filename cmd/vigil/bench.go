package main

import (
	"context"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/vigil-dev/vigil/bench"
)

func (a *app) benchCmd() *cobra.Command {
	var cfg bench.Config
	var search, serve bool
	var load bench.ServeConfig
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Measure ingest, append and verify on generated events, against baselines",
		Long: `Bench generates events, then measures in temporary stores: vigil ingest end
to end, store appends (plain and encrypted) and verification. Each figure is
shown beside a baseline measured in the same run on the same data (decoding
the JSON with encoding/json, as jq would; Badger writing the same records;
SHA-256 over the same records), since shared machines are noisy: the ratio
is the figure to compare between runs.`,
		Example: `  vigil bench
  vigil bench --events 1000000`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if search {
				return a.benchSearch(cmd.Context(), cfg)
			}
			if serve {
				load.Seed, load.Dir = cfg.Seed, cfg.Dir
				if cmd.Flags().Changed("events") {
					load.Events = cfg.Events
				}
				return a.benchServe(cmd.Context(), load)
			}
			return a.bench(cmd.Context(), cfg)
		},
	}
	cmd.Flags().BoolVar(&search, "search", false, "measure indexed ingest and searches (first pages, counts, top 10) against a linear scan of the JSON instead")
	cmd.Flags().BoolVar(&serve, "serve", false, "measure vigil serve: HTTP ingest on loopback (accepted events/s, p99 acknowledgement, index lag) against appending directly")
	cmd.Flags().IntVar(&load.Clients, "clients", 8, "--serve: clients posting at once")
	cmd.Flags().IntVar(&load.Batch, "batch", 500, "--serve: events a request")
	cmd.Flags().IntVar(&load.Rate, "rate", 0, "--serve: pace the live phase at this many events/s (0: flat out)")
	cmd.Flags().IntVar(&cfg.Events, "events", 200_000, "number of generated events")
	cmd.Flags().Int64Var(&cfg.Seed, "seed", 1, "random seed of the generator")
	cmd.Flags().StringVar(&cfg.Dir, "dir", "", "directory for the stores (default a temporary one, removed after)")
	return cmd
}

func (a *app) bench(ctx context.Context, cfg bench.Config) error {
	if isTerminal(a.stderr) {
		cfg.Progress = func(name string) { fmt.Fprintf(a.stderr, "measuring: %s\n", name) }
	}
	results, err := bench.Run(ctx, cfg)
	if err != nil {
		return err
	}
	// Baselines are numbered; every other row says which it is measured
	// against.
	label := map[string]string{}
	rate := map[string]float64{}
	tw := tabwriter.NewWriter(a.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "measure\tevents/s\tvs baseline\n")
	for _, r := range results {
		rate[r.Name] = r.Rate()
		ratio := ""
		if r.Baseline == "" {
			label[r.Name] = fmt.Sprintf("[%d]", len(label)+1)
			ratio = label[r.Name] + " baseline"
		} else {
			ratio = fmt.Sprintf("%.2f× %s", r.Rate()/rate[r.Baseline], label[r.Baseline])
		}
		fmt.Fprintf(tw, "%s\t%.0f\t%s\n", r.Name, r.Rate(), ratio)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "(%d events each; ratios compare with the baseline of the same number, measured in this run)\n", cfg.Events)
	return nil
}

func (a *app) benchSearch(ctx context.Context, cfg bench.Config) error {
	if isTerminal(a.stderr) {
		cfg.Progress = func(name string) { fmt.Fprintf(a.stderr, "measuring: %s\n", name) }
	}
	ingestRate, decodeRate, results, err := bench.RunSearch(ctx, cfg)
	if err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "indexed ingest (store + index, durable): %.0f events/s; decoding the same JSON with encoding/json: %.0f events/s (%.2f×)\n\n",
		ingestRate, decodeRate, ingestRate/decodeRate)
	tw := tabwriter.NewWriter(a.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "search\tquery\tvigil\tlinear scan (jq's job)\tspeed-up\n")
	for _, r := range results {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%.0f×\n", r.Name, r.Query, r.Took.Round(10*time.Microsecond), r.Baseline.Round(time.Millisecond), float64(r.Baseline)/float64(r.Took))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "(%d events; vigil's figure is the median of 7 runs; the scan is run once, in this run)\n", cfg.Events)
	return nil
}

func (a *app) benchServe(ctx context.Context, cfg bench.ServeConfig) error {
	if isTerminal(a.stderr) {
		cfg.Progress = func(name string) { fmt.Fprintf(a.stderr, "measuring: %s\n", name) }
	}
	r, err := bench.RunServe(ctx, cfg)
	if err != nil {
		return err
	}
	ms := func(d time.Duration) string { return d.Round(100 * time.Microsecond).String() }
	tw := tabwriter.NewWriter(a.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "phase\taccepted events/s\tp50\tp99\tmax\n")
	live := "vigil serve, index following"
	if cfg.Rate > 0 {
		live += fmt.Sprintf(" (paced at %d/s)", cfg.Rate)
	}
	for _, p := range []struct {
		name string
		ph   bench.Phase
	}{{"[1] engine.Append directly, no index", r.Direct}, {"HTTP POST /v1/events, no index", r.HTTP}, {live, r.Live}} {
		fmt.Fprintf(tw, "%s\t%.0f\t%s\t%s\t%s\n", p.name, p.ph.Rate(), ms(p.ph.P50), ms(p.ph.P99), ms(p.ph.Max))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "HTTP against [1]: %.2f×\n", r.HTTP.Rate()/r.Direct.Rate())
	fmt.Fprintf(a.stdout, "index while serving: at most %d events (%s) behind the store; everything searchable %s after the last answer; %.0f events/s indexed\n",
		r.MaxIndexLag, r.IndexDelay.Round(10*time.Millisecond), r.CatchUp.Round(10*time.Millisecond), r.IndexRate())
	fmt.Fprintf(a.stdout, "(%d events, %d clients, %d events a request, loopback; each answer waits for the batch to be durable)\n", r.Events, r.Clients, r.Batch)
	return nil
}
