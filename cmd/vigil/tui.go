package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/spf13/cobra"

	"github.com/vigil-dev/vigil/alerts"
	"github.com/vigil-dev/vigil/tui"
)

func (a *app) tuiCmd() *cobra.Command {
	var mouse bool
	cmd := &cobra.Command{
		Use:   "tui",
		Short: "Open the explorer: search, read, pivot, export and verify interactively",
		Long: `The explorer is a keyboard-driven view of the store: categories with counts,
the results newest first, every field of an event, a timeline of the
matches, the live tail (f), exports and verification, and the alerts vigil
serve stored (a), their events highlighted. ? shows every key.

vigil with no command opens it too when its output is a terminal.`,
		Example: `  vigil tui
  vigil --data ~/.local/share/vigil-demo tui --mouse`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if !a.interactive() {
				return fmt.Errorf("the explorer needs a terminal (standard input and output); use vigil query or vigil status in scripts")
			}
			return a.explore(cmd.Context(), mouse)
		},
	}
	cmd.Flags().BoolVar(&mouse, "mouse", false, "start with the mouse on (wheel scrolls, click selects); m toggles it")
	return cmd
}

// interactive reports whether a person is at a terminal: standard input
// and output both.
func (a *app) interactive() bool {
	f, ok := a.stdin.(*os.File)
	return ok && isTerminal(f) && isTerminal(a.stdout)
}

// explorerLog is the file in the data directory the explorer logs to.
const explorerLog = "explorer.log"

// explore opens the engine (catching the index up) and runs the explorer
// on the terminal until it quits.
func (a *app) explore(ctx context.Context, mouse bool) error {
	dataDir, err := a.resolveDataDir("vigil")
	if err != nil {
		return err
	}
	a.dataDir = dataDir
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return fmt.Errorf("create data directory: %w", err)
	}
	// While the explorer holds the terminal, a log line on stderr would
	// tear its screen: the store's, the index's and the engine's logs go
	// to a file in the data directory instead.
	logFile, err := os.OpenFile(filepath.Join(dataDir, explorerLog), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("open the explorer's log: %w", err)
	}
	defer logFile.Close()
	var level slog.Level
	_ = level.UnmarshalText([]byte(a.logLevel)) // checked by setup
	a.log = slog.New(slog.NewTextHandler(logFile, &slog.HandlerOptions{Level: level}))
	eng, err := a.openEngine(ctx)
	if err != nil {
		return err
	}
	defer eng.Close()
	out := a.stdout.(*os.File)
	// The profile (NO_COLOR too) and the background are read before the
	// program takes the terminal: asking for the background later would
	// race with its input.
	r := lipgloss.NewRenderer(out)
	r.ColorProfile()
	r.HasDarkBackground()
	opts := tui.Options{DataDir: dataDir, Renderer: r, Mouse: mouse}
	// The alerts vigil serve stored, read-only: the explorer lists them
	// and highlights their events. One that cannot be read leaves the
	// explorer working; its alerts pane says why.
	if st, err := alerts.OpenStore(dataDir, alerts.StoreOptions{ReadOnly: true, Logger: a.log}); err != nil {
		opts.AlertsError = err
	} else {
		defer st.Close()
		opts.Alerts = st
	}
	m := tui.New(eng, opts)
	p := tea.NewProgram(m, tea.WithContext(ctx), tea.WithAltScreen(),
		tea.WithInput(a.stdin), tea.WithOutput(out))
	_, err = p.Run()
	// Commands may still be reading when the program ends: wait for them
	// before the engine closes under them.
	if c, ok := m.(interface{ Close() }); ok {
		c.Close()
	}
	if errors.Is(err, tea.ErrProgramKilled) && ctx.Err() != nil {
		return ctx.Err()
	}
	if err != nil {
		return fmt.Errorf("explorer: %w", err)
	}
	return nil
}
