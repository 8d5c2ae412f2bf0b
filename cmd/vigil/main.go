// Command vigil is a terminal audit-log explorer: ingest audit events into a
// tamper-evident store, verify its hash chain, explore, query and export
// them in a terminal or over SSH, receive them over the network (vigil
// serve) and alert on them.
//
// This file holds the command line: flags, configuration and wiring. The
// work itself lives in the packages it calls.
package main

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"runtime/pprof"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/vigil-dev/vigil/engine"
	"github.com/vigil-dev/vigil/event"
	"github.com/vigil-dev/vigil/store"
)

// Exit statuses. Documented in README.md.
const (
	exitOK       = 0
	exitFailure  = 1
	exitRejected = 2 // some input was rejected, the rest was stored
	exitBroken   = 3 // verify: the chain is broken
	exitSignal   = 130
)

// exitError carries an exit status other than 1 up to main.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// app is what every command shares: the resolved global flags and the
// process's streams.
type app struct {
	dataDir  string
	keyFile  string
	logLevel string
	// cpuProfile names a file for a CPU profile of the command.
	cpuProfile  string
	stopProfile func()
	stdin       io.Reader
	stdout      io.Writer
	stderr      io.Writer
	log         *slog.Logger
}

// gcPercent is the garbage collector's target when GOGC is not set.
// Indexing allocates heavily and briefly (Bleve builds each segment in
// memory), so collecting less often saves about a quarter of the CPU an
// indexed ingest takes; memoryLimit keeps the heap bounded all the same.
const (
	gcPercent   = 400
	memoryLimit = 4 << 30
)

func main() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(gcPercent)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(memoryLimit)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		// After the first interrupt, a second one kills at once.
		<-ctx.Done()
		stop()
	}()
	a := &app{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr}
	err := a.root().ExecuteContext(ctx)
	if a.stopProfile != nil {
		a.stopProfile()
	}
	if err == nil {
		return
	}
	code := exitFailure
	var ee *exitError
	if errors.As(err, &ee) {
		code = ee.code
	}
	if errors.Is(err, context.Canceled) {
		code = exitSignal
	}
	if le := (*store.LockedError)(nil); errors.As(err, &le) && le.Holder.Reach != "" {
		// vigil serve holds the data directory: say how to reach it.
		for _, l := range servedMessage(le) {
			fmt.Fprintln(os.Stderr, "vigil: "+event.Safe(l))
		}
		os.Exit(code)
	}
	if ee == nil || ee.err != nil && ee.err.Error() != "" {
		fmt.Fprintln(os.Stderr, "vigil: "+event.Safe(err.Error()))
	}
	os.Exit(code)
}

func (a *app) root() *cobra.Command {
	root := &cobra.Command{
		Use:   "vigil",
		Short: "A terminal explorer for audit logs, with a tamper-evident store",
		Long: `vigil keeps audit events in a tamper-evident store (every event is
hash-chained to the one before it) and lets you ingest, verify and explore them.

Without a command it opens the explorer when standard input and output are
a terminal (vigil tui), and otherwise shows the store's status and how to
fill it.`,
		SilenceUsage:  true,
		SilenceErrors: true,
		Args:          cobra.NoArgs,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			return a.setup(cmd)
		},
		RunE: func(cmd *cobra.Command, _ []string) error {
			if a.interactive() {
				return a.explore(cmd.Context(), false)
			}
			return a.status(cmd.Context(), false, true)
		},
	}
	pf := root.PersistentFlags()
	pf.StringVar(&a.dataDir, "data", "", "data directory (env VIGIL_DATA; default $XDG_DATA_HOME/vigil or ~/.local/share/vigil)")
	pf.StringVar(&a.keyFile, "key-file", "", "file holding the 32-byte store encryption key, raw, hex or base64 (env VIGIL_KEY_FILE)")
	pf.StringVar(&a.logLevel, "log-level", "warn", "log level: debug, info, warn, error")
	pf.StringVar(&a.cpuProfile, "cpuprofile", "", "write a CPU profile to this file (for developers)")
	_ = pf.MarkHidden("cpuprofile")
	root.AddCommand(a.ingestCmd(), a.verifyCmd(), a.demoCmd(), a.statusCmd(), a.queryCmd(), a.reindexCmd(), a.benchCmd(), a.tuiCmd(), a.serveCmd(), a.alertsCmd())
	root.SetOut(a.stdout)
	root.SetErr(a.stderr)
	return root
}

func (a *app) setup(cmd *cobra.Command) error {
	var level slog.Level
	if err := level.UnmarshalText([]byte(a.logLevel)); err != nil {
		return fmt.Errorf("--log-level %q: want debug, info, warn or error", a.logLevel)
	}
	a.log = slog.New(slog.NewTextHandler(a.stderr, &slog.HandlerOptions{Level: level}))
	if a.cpuProfile != "" {
		f, err := os.Create(a.cpuProfile)
		if err != nil {
			return fmt.Errorf("--cpuprofile: %w", err)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			return fmt.Errorf("--cpuprofile: %w", err)
		}
		a.stopProfile = func() { pprof.StopCPUProfile(); f.Close() }
	}
	if !cmd.Flags().Changed("data") {
		if env := os.Getenv("VIGIL_DATA"); env != "" {
			a.dataDir = env
		}
	}
	if a.keyFile == "" {
		a.keyFile = os.Getenv("VIGIL_KEY_FILE")
	}
	return nil
}

// defaultDataDir is $XDG_DATA_HOME/<name>, else ~/.local/share/<name>.
func defaultDataDir(name string) (string, error) {
	if x := os.Getenv("XDG_DATA_HOME"); x != "" {
		return filepath.Join(x, name), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("find a data directory: %w (give --data)", err)
	}
	return filepath.Join(home, ".local", "share", name), nil
}

func (a *app) resolveDataDir(fallback string) (string, error) {
	if a.dataDir != "" {
		return a.dataDir, nil
	}
	return defaultDataDir(fallback)
}

// openStore opens the store of the data directory.
func (a *app) openStore(dataDir string) (*store.Store, error) {
	key, err := readKeyFile(a.keyFile)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, fmt.Errorf("create data directory: %w", err)
	}
	return store.Open(engine.StoreDir(dataDir), store.Options{EncryptionKey: key, Logger: a.log})
}

// readKeyFile reads a 32-byte key written raw, as 64 hex digits or as
// base64. It warns when others can read the file.
func readKeyFile(path string) ([]byte, error) {
	if path == "" {
		return nil, nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read key file: %w", err)
	}
	if info, err := os.Stat(path); err == nil && info.Mode().Perm()&0o077 != 0 {
		fmt.Fprintf(os.Stderr, "vigil: warning: key file %s is readable by others (mode %v); chmod 600 it\n", path, info.Mode().Perm())
	}
	if len(data) == 32 {
		return data, nil
	}
	text := strings.TrimSpace(string(data))
	if b, err := hex.DecodeString(text); err == nil && len(b) == 32 {
		return b, nil
	}
	if b, err := base64.StdEncoding.DecodeString(text); err == nil && len(b) == 32 {
		return b, nil
	}
	return nil, fmt.Errorf("key file %s: want 32 bytes, raw, as 64 hex digits or as base64", path)
}
