package main

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/vigil-dev/vigil/query"
	"github.com/vigil-dev/vigil/store"
)

func (a *app) verifyCmd() *cobra.Command {
	var from, to uint64
	var since string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "verify",
		Short: "Recompute the hash chain and report whether the log was tampered with",
		Long: `Verify recomputes the hash chain of docs/chain-format.md over the whole
store or a range of it, and prints "intact" with the number of events and the
head hash, or the first broken seq and how it is broken: changed (a record's
bytes differ from what was chained), missing (an event was removed),
inserted (an event was added) or reordered (events changed places).

Exit status: 0 when intact, 3 when the chain is broken, 1 when verification
could not run.`,
		Example: `  vigil verify
  vigil verify --from 1000 --to 2000
  vigil verify --since 2025-01-15
  vigil verify --since 24h --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			opts := store.VerifyOptions{From: from, To: to}
			if since != "" {
				t, err := parseSince(since, time.Now())
				if err != nil {
					return fmt.Errorf("--since: %w", err)
				}
				opts.Since = t
			}
			return a.verify(cmd.Context(), opts, asJSON)
		},
	}
	cmd.Flags().Uint64Var(&from, "from", 0, "first seq to verify")
	cmd.Flags().Uint64Var(&to, "to", 0, "last seq to verify (default the head)")
	cmd.Flags().StringVar(&since, "since", "", "verify from the oldest event at or after this time: RFC 3339, a date (2025-01-15) or a duration back from now (24h, 7d)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the report as one JSON object")
	return cmd
}

func (a *app) verify(ctx context.Context, opts store.VerifyOptions, asJSON bool) error {
	dataDir, err := a.resolveDataDir("vigil")
	if err != nil {
		return err
	}
	st, err := a.openStore(dataDir)
	if err != nil {
		return err
	}
	defer st.Close()

	bar := newBar(a.stderr, int64(st.Count()), "verify", false)
	if bar != nil {
		opts.Progress = func(done, total uint64) {
			bar.ChangeMax64(int64(total))
			_ = bar.Set64(int64(done))
		}
	}
	start := time.Now()
	rep, err := st.Verify(ctx, opts)
	if bar != nil {
		_ = bar.Finish()
	}
	if err != nil {
		return err
	}
	elapsed := time.Since(start)
	if asJSON {
		out := map[string]any{
			"intact": rep.Intact, "from": rep.From, "to": rep.To, "events": rep.Events,
			"head_hash": hex.EncodeToString(rep.Head[:]), "seconds": elapsed.Seconds(),
		}
		if rep.Break != nil {
			out["break"] = map[string]any{"seq": rep.Break.Seq, "kind": rep.Break.Kind, "detail": rep.Break.Detail}
		}
		enc := json.NewEncoder(a.stdout)
		if err := enc.Encode(out); err != nil {
			return err
		}
	} else if rep.Intact {
		if rep.Events == 0 {
			fmt.Fprintln(a.stdout, "intact: no events in range")
		} else {
			fmt.Fprintf(a.stdout, "intact: %d events, seq %d to %d, head hash %x (%s)\n",
				rep.Events, rep.From, rep.To, rep.Head, elapsed.Round(time.Millisecond))
		}
	} else {
		fmt.Fprintf(a.stdout, "BROKEN at seq %d: %s: %s\n", rep.Break.Seq, rep.Break.Kind, rep.Break.Detail)
		fmt.Fprintf(a.stdout, "%d events verified before it (seq %d to %d)\n", rep.Events, rep.From, rep.From+rep.Events-1)
	}
	if !rep.Intact {
		return &exitError{code: exitBroken, err: errors.New("")}
	}
	return nil
}

// parseSince reads a time as the query language writes one (RFC 3339, a
// date for its start, now, now-7d, today, yesterday), or a bare duration
// back from now (90m, 24h, 7d, 2w) as a shorthand for now-DURATION.
func parseSince(s string, now time.Time) (time.Time, error) {
	v, err := query.ParseTimeValue(s)
	if err != nil && s != "" && s[0] >= '0' && s[0] <= '9' {
		v, err = query.ParseTimeValue("now-" + s)
	}
	if err != nil {
		return time.Time{}, fmt.Errorf("%q: want RFC 3339, a date (2006-01-02), now-7d, today, or a duration like 90m, 24h, 7d", s)
	}
	start, _ := v.Span(now)
	return start, nil
}
