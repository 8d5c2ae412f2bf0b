package main

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"
)

func (a *app) reindexCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "reindex",
		Short: "Rebuild the search index from the store",
		Long: `Reindex throws the search index away and builds it again from the store,
which is the source of truth. Searching commands catch the index up on their
own; reindex is for an index that is damaged or was built by another version.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return a.reindex(cmd.Context()) },
	}
}

func (a *app) reindex(ctx context.Context) error {
	e, err := a.openEngineLagging() // no catch-up: it is all done again

	if err != nil {
		return err
	}
	defer e.Close()
	total := e.Store().Count()
	bar := newBar(a.stderr, int64(total), "reindex", false)
	start := time.Now()
	err = e.Reindex(ctx, func(done, _ uint64) {
		if bar != nil {
			_ = bar.Set64(int64(done))
		}
	})
	if bar != nil {
		_ = bar.Finish()
	}
	if err != nil {
		return err
	}
	el := time.Since(start)
	fmt.Fprintf(a.stdout, "indexed %d events in %s (%.0f events/s)\n", total, el.Round(time.Millisecond), float64(total)/el.Seconds())
	return nil
}
