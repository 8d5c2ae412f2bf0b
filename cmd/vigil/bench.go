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
	var search bool
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
			return a.bench(cmd.Context(), cfg)
		},
	}
	cmd.Flags().BoolVar(&search, "search", false, "measure indexed ingest and searches (first pages, counts, top 10) against a linear scan of the JSON instead")
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
