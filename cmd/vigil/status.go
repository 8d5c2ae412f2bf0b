package main

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/vigil-dev/vigil/engine"
	"github.com/vigil-dev/vigil/index"
)

func (a *app) statusCmd() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Show the data directory, event count, chain head, time span and size",
		Example: `  vigil status
  vigil status --json | jq .head_hash`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.status(cmd.Context(), asJSON, false)
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print one JSON object (keys: data_dir, events, head_seq, head_hash, indexed_seq, oldest, newest, size_bytes, encrypted)")
	return cmd
}

// statusReport is what `vigil status` shows.
type statusReport struct {
	DataDir  string `json:"data_dir"`
	Events   uint64 `json:"events"`
	HeadSeq  uint64 `json:"head_seq"`
	HeadHash string `json:"head_hash"`
	// IndexedSeq is the newest seq searchable (the index catches up with
	// the store when a command searches).
	IndexedSeq uint64     `json:"indexed_seq"`
	Oldest     *time.Time `json:"oldest"`
	Newest     *time.Time `json:"newest"`
	SizeBytes  int64      `json:"size_bytes"`
	Encrypted  bool       `json:"encrypted"`
}

func (a *app) status(ctx context.Context, asJSON, hint bool) error {
	dataDir, err := a.resolveDataDir("vigil")
	if err != nil {
		return err
	}
	st, err := a.openStore(dataDir)
	if err != nil {
		return err
	}
	defer st.Close()
	head := st.Head()
	rep := statusReport{
		DataDir:   dataDir,
		Events:    st.Count(),
		HeadSeq:   head.Seq,
		HeadHash:  hex.EncodeToString(head.Hash[:]),
		SizeBytes: st.SizeOnDisk(),
		Encrypted: st.Encrypted(),
	}
	if rep.IndexedSeq, err = index.DurableSeq(engine.IndexDir(dataDir)); err != nil {
		return err
	}
	oldest, newest, err := st.TimeSpan(ctx)
	if err != nil {
		return err
	}
	if !oldest.IsZero() {
		rep.Oldest, rep.Newest = &oldest, &newest
	}
	if asJSON {
		return json.NewEncoder(a.stdout).Encode(rep)
	}
	tw := tabwriter.NewWriter(a.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "data dir\t%s\n", rep.DataDir)
	fmt.Fprintf(tw, "events\t%d\n", rep.Events)
	fmt.Fprintf(tw, "head\tseq %d  %s\n", rep.HeadSeq, rep.HeadHash)
	fmt.Fprintf(tw, "indexed\tseq %d of %d\n", rep.IndexedSeq, rep.HeadSeq)
	if rep.Oldest != nil {
		fmt.Fprintf(tw, "time span\t%s .. %s\n", rep.Oldest.Format(time.RFC3339), rep.Newest.Format(time.RFC3339))
	}
	fmt.Fprintf(tw, "size on disk\t%s\n", humanBytes(rep.SizeBytes))
	if rep.Encrypted {
		fmt.Fprintf(tw, "encryption\tAES-256 at rest\n")
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if hint {
		fmt.Fprintln(a.stdout)
		if rep.Events == 0 {
			fmt.Fprintln(a.stdout, "The store is empty. Fill it with:")
		} else {
			fmt.Fprintln(a.stdout, "Add events with:")
		}
		fmt.Fprintln(a.stdout, "  vigil ingest FILE.jsonl      (JSON Lines, a JSON array, .gz, or - for stdin)")
		fmt.Fprintln(a.stdout, "  vigil demo                   (a generated demo store)")
		fmt.Fprintln(a.stdout, "Check its integrity with: vigil verify")
	}
	return nil
}

func humanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}
