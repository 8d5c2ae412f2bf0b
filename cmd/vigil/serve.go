package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/ssh"
	"github.com/spf13/cobra"
	"gopkg.in/yaml.v3"

	"github.com/vigil-dev/vigil/alerts"
	"github.com/vigil-dev/vigil/engine"
	"github.com/vigil-dev/vigil/ingest/k8saudit"
	"github.com/vigil-dev/vigil/server"
	"github.com/vigil-dev/vigil/store"
	"github.com/vigil-dev/vigil/tui"
)

// serveConfig is what vigil serve runs with: its flags, and the keys of
// its configuration file (YAML), which flags override.
type serveConfig struct {
	HTTP            string `yaml:"http"`
	Token           string `yaml:"token"`
	TokenFile       string `yaml:"token_file"`
	Syslog          string `yaml:"syslog"`
	SyslogTLS       string `yaml:"syslog_tls"`
	SyslogTZ        string `yaml:"syslog_tz"`
	SSH             string `yaml:"ssh"`
	AuthorizedKeys  string `yaml:"authorized_keys"`
	TLSCert         string `yaml:"tls_cert"`
	TLSKey          string `yaml:"tls_key"`
	MaxBody         string `yaml:"max_body"`
	MaxEventSize    string `yaml:"max_event_size"`
	MaxInFlight     int    `yaml:"max_in_flight"`
	ShutdownTimeout string `yaml:"shutdown_timeout"`
	Rules           string `yaml:"rules"`
	NoAlerts        bool   `yaml:"no_alerts"`
	Rejects         string `yaml:"rejects"`
}

func (a *app) serveCmd() *cobra.Command {
	var flags serveConfig
	var configFile string
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Receive events over HTTP (vigil's API, Splunk HEC) and syslog, and serve the explorer over SSH",
		Long: `Serve holds the data directory and receives events into it:

  --http ADDR      POST /v1/events (native events: an object, an array or JSON
                   Lines; or another ingest format, detected) with
                   "Authorization: Bearer TOKEN"; the Splunk HTTP Event
                   Collector endpoints /services/collector/event, /raw,
                   /health with "Authorization: Splunk TOKEN"; GET /healthz and
                   GET /metrics (Prometheus). HTTPS with --tls-cert/--tls-key.
  --syslog ADDR    syslog on UDP and TCP on that port: RFC 5424 and RFC 3164;
                   on TCP octet counting or line feeds (RFC 6587), told per
                   connection.
  --syslog-tls ADDR  syslog over TLS (RFC 5425), with the HTTP certificate.
  --ssh ADDR       the explorer over SSH, to the keys of --authorized-keys only;
                   sessions cannot change stored events.

A request is answered 200 only once its events are durable. What cannot be
stored is written verbatim to DATA/rejects/serve-TIME.jsonl with its reason.
The index follows the store within seconds, and the alert rules (--rules, or
DATA/rules.yaml, or the built-in ones) are evaluated on every event.

While serve runs, another vigil on the same data directory says how to reach
it. SIGTERM or SIGINT stops accepting, stores everything accepted and exits
0. Flags override the configuration file (--config, YAML, keys named as the
flags with underscores: http, token, token_file, syslog, syslog_tls,
syslog_tz, ssh, authorized_keys, tls_cert, tls_key, max_body,
max_event_size, max_in_flight, shutdown_timeout, rules, no_alerts, rejects);
the token can also come from the environment (VIGIL_TOKEN), which overrides
the file.`,
		Example: `  VIGIL_TOKEN=$(cat /etc/vigil/token) vigil serve --http :8088 --syslog :5514
  vigil serve --http :8088 --token-file /etc/vigil/token --tls-cert cert.pem --tls-key key.pem
  vigil serve --ssh :2222 --authorized-keys ~/.ssh/authorized_keys
  vigil serve --config /etc/vigil/serve.yaml`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := resolveServeConfig(cmd, configFile, flags)
			if err != nil {
				return err
			}
			if !cmd.Flags().Changed("log-level") {
				// A server tells what it does: logins, refusals.
				a.log = slog.New(slog.NewTextHandler(a.stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
			}
			return a.serve(cmd.Context(), cfg)
		},
	}
	f := cmd.Flags()
	f.StringVar(&configFile, "config", "", "configuration file (YAML); flags override it")
	f.StringVar(&flags.HTTP, "http", "", "address for HTTP ingest, /healthz and /metrics (e.g. :8088)")
	f.StringVar(&flags.Token, "token", "", "the token of HTTP ingest (env VIGIL_TOKEN; prefer it or --token-file: a flag shows in ps)")
	f.StringVar(&flags.TokenFile, "token-file", "", "file holding the token")
	f.StringVar(&flags.Syslog, "syslog", "", "address for syslog on UDP and TCP (e.g. :5514)")
	f.StringVar(&flags.SyslogTLS, "syslog-tls", "", "address for syslog over TLS (e.g. :6514; needs --tls-cert and --tls-key)")
	f.StringVar(&flags.SyslogTZ, "syslog-tz", "", "time zone of RFC 3164 timestamps, which carry none (default: the local zone)")
	f.StringVar(&flags.SSH, "ssh", "", "address for the explorer over SSH (e.g. :2222)")
	f.StringVar(&flags.AuthorizedKeys, "authorized-keys", "", "OpenSSH authorized_keys file: the only keys let in over SSH")
	f.StringVar(&flags.TLSCert, "tls-cert", "", "TLS certificate (PEM) for HTTPS and syslog over TLS")
	f.StringVar(&flags.TLSKey, "tls-key", "", "TLS private key (PEM)")
	f.StringVar(&flags.MaxBody, "max-body", "16MiB", "largest request body, compressed or not")
	f.StringVar(&flags.MaxEventSize, "max-event-size", "1MiB", "largest event (a line, an HEC envelope, a syslog message)")
	f.IntVar(&flags.MaxInFlight, "max-in-flight", server.DefaultMaxInFlight, "ingest requests handled at once; more wait, then get 503")
	f.StringVar(&flags.ShutdownTimeout, "shutdown-timeout", "30s", "how long a shutdown waits for requests in progress")
	f.StringVar(&flags.Rules, "rules", "", "alert rules file (default DATA/rules.yaml when it exists, else the built-in rules)")
	f.BoolVar(&flags.NoAlerts, "no-alerts", false, "do not evaluate alert rules")
	f.StringVar(&flags.Rejects, "rejects", "", "file for rejected input (default DATA/rejects/serve-TIME.jsonl)")
	return cmd
}

// resolvedServe is a serveConfig checked and turned into values.
type resolvedServe struct {
	serveConfig
	maxBody, maxEvent int64
	shutdown          time.Duration
	syslogLoc         *time.Location
}

// resolveServeConfig lays the flags given over the configuration file,
// and the environment's token over the file's.
func resolveServeConfig(cmd *cobra.Command, configFile string, flags serveConfig) (resolvedServe, error) {
	var cfg serveConfig
	if configFile != "" {
		data, err := os.ReadFile(configFile)
		if err != nil {
			return resolvedServe{}, fmt.Errorf("serve: config: %w", err)
		}
		dec := yaml.NewDecoder(bytes.NewReader(data))
		dec.KnownFields(true)
		if err := dec.Decode(&cfg); err != nil && !errors.Is(err, io.EOF) {
			return resolvedServe{}, fmt.Errorf("serve: config %s: %w", configFile, err)
		}
	}
	if env := os.Getenv("VIGIL_TOKEN"); env != "" {
		cfg.Token = env
	}
	set := func(name string, dst *string, v string) {
		if cmd.Flags().Changed(name) || *dst == "" {
			*dst = v
		}
	}
	set("http", &cfg.HTTP, flags.HTTP)
	set("token", &cfg.Token, flags.Token)
	set("token-file", &cfg.TokenFile, flags.TokenFile)
	set("syslog", &cfg.Syslog, flags.Syslog)
	set("syslog-tls", &cfg.SyslogTLS, flags.SyslogTLS)
	set("syslog-tz", &cfg.SyslogTZ, flags.SyslogTZ)
	set("ssh", &cfg.SSH, flags.SSH)
	set("authorized-keys", &cfg.AuthorizedKeys, flags.AuthorizedKeys)
	set("tls-cert", &cfg.TLSCert, flags.TLSCert)
	set("tls-key", &cfg.TLSKey, flags.TLSKey)
	set("max-body", &cfg.MaxBody, flags.MaxBody)
	set("max-event-size", &cfg.MaxEventSize, flags.MaxEventSize)
	set("shutdown-timeout", &cfg.ShutdownTimeout, flags.ShutdownTimeout)
	set("rules", &cfg.Rules, flags.Rules)
	set("rejects", &cfg.Rejects, flags.Rejects)
	if cmd.Flags().Changed("token-file") && !cmd.Flags().Changed("token") {
		cfg.Token = "" // the file named on the command line wins
	}
	if cmd.Flags().Changed("max-in-flight") || cfg.MaxInFlight == 0 {
		cfg.MaxInFlight = flags.MaxInFlight
	}
	if cmd.Flags().Changed("no-alerts") {
		cfg.NoAlerts = flags.NoAlerts
	}

	r := resolvedServe{serveConfig: cfg}
	if cfg.Token == "" && cfg.TokenFile != "" {
		data, err := os.ReadFile(cfg.TokenFile)
		if err != nil {
			return r, fmt.Errorf("serve: token file: %w", err)
		}
		r.Token = strings.TrimSpace(string(data))
		if r.Token == "" {
			return r, fmt.Errorf("serve: token file %s is empty", cfg.TokenFile)
		}
	}
	var err error
	if r.maxBody, err = parseSize(cfg.MaxBody); err != nil {
		return r, fmt.Errorf("serve: --max-body: %w", err)
	}
	if r.maxEvent, err = parseSize(cfg.MaxEventSize); err != nil {
		return r, fmt.Errorf("serve: --max-event-size: %w", err)
	}
	if r.shutdown, err = time.ParseDuration(cfg.ShutdownTimeout); err != nil || r.shutdown <= 0 {
		return r, fmt.Errorf("serve: --shutdown-timeout %q: want a duration such as 30s", cfg.ShutdownTimeout)
	}
	r.syslogLoc = time.Local
	if cfg.SyslogTZ != "" {
		if r.syslogLoc, err = time.LoadLocation(cfg.SyslogTZ); err != nil {
			return r, fmt.Errorf("serve: --syslog-tz: %w", err)
		}
	}
	if cfg.SSH != "" && cfg.AuthorizedKeys == "" {
		return r, errors.New("serve: --ssh needs --authorized-keys (the keys let in)")
	}
	return r, nil
}

// parseSize reads a size in bytes: 1048576, 512KiB, 16MiB, 1GiB (KB, MB
// and GB are read as their binary namesakes).
func parseSize(s string) (int64, error) {
	t := strings.TrimSpace(s)
	mult := int64(1)
	for _, u := range []struct {
		suffix string
		mult   int64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"KB", 1 << 10}, {"MB", 1 << 20}, {"GB", 1 << 30}, {"K", 1 << 10}, {"M", 1 << 20}, {"G", 1 << 30}, {"B", 1}} {
		if strings.HasSuffix(strings.ToUpper(t), strings.ToUpper(u.suffix)) {
			t, mult = strings.TrimSpace(t[:len(t)-len(u.suffix)]), u.mult
			break
		}
	}
	n, err := strconv.ParseInt(t, 10, 64)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("%q is not a size (1048576, 512KiB, 16MiB)", s)
	}
	return n * mult, nil
}

// serveReach is how to use a data directory that serve holds: the ssh
// command of its explorer, or "" without SSH.
func serveReach(sshAddr string) string {
	if sshAddr == "" {
		return ""
	}
	host, port, err := net.SplitHostPort(sshAddr)
	if err != nil {
		return ""
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "localhost"
	}
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	if port == "22" {
		return "ssh " + host
	}
	return "ssh -p " + port + " " + host
}

// redactedCommand is the command line with token values hidden, for the
// lock file, which other users of the data directory are shown.
func redactedCommand(args []string) string {
	out := make([]string, 0, len(args))
	hide := false
	for i, a := range args {
		switch {
		case i == 0:
			a = filepath.Base(a)
		case hide:
			a, hide = "***", false
		case a == "--token" || a == "-token":
			hide = true
		case strings.HasPrefix(a, "--token="):
			a = "--token=***"
		}
		out = append(out, a)
	}
	return strings.Join(out, " ")
}

func (a *app) serve(ctx context.Context, cfg resolvedServe) error {
	dataDir, err := a.resolveDataDir("vigil")
	if err != nil {
		return err
	}
	key, err := readKeyFile(a.keyFile)
	if err != nil {
		return err
	}
	holder := store.Holder{PID: os.Getpid(), Command: redactedCommand(os.Args), Since: time.Now().UTC(), Reach: serveReach(cfg.SSH)}
	eng, err := engine.Open(dataDir, engine.Options{EncryptionKey: key, Logger: a.log, Holder: holder})
	if err != nil {
		return err
	}
	defer eng.Close()

	rej := &rejectsFile{path: cfg.Rejects, dir: filepath.Join(dataDir, "rejects"), prefix: "serve", flushEach: true}
	defer rej.close()

	var lookup tui.AlertLookup
	var moreMetrics func(io.Writer)
	if !cfg.NoAlerts {
		run, alertStore, runner, err := a.serveAlerts(eng, dataDir, cfg.Rules)
		if err != nil {
			return err
		}
		defer alertStore.Close()
		// The rules run before the first event is accepted, and stop after
		// the last one is stored.
		actx, stopAlerts := context.WithCancel(context.WithoutCancel(ctx))
		alertsDone := make(chan error, 1)
		go func() { alertsDone <- run(actx) }()
		defer func() {
			stopAlerts()
			if err := <-alertsDone; err != nil {
				a.log.Error("alerts", "err", err)
			}
		}()
		select {
		case <-runner.Ready():
		case err := <-alertsDone:
			alertsDone <- err
			return fmt.Errorf("serve: %w", err)
		}
		lookup = alertStore
		moreMetrics = alertMetrics(runner)
	}

	in, err := server.Start(eng, server.Config{
		Options: server.Options{
			Token:          cfg.Token,
			MaxBodySize:    cfg.maxBody,
			MaxEventSize:   int(cfg.maxEvent),
			MaxInFlight:    cfg.MaxInFlight,
			Formats:        ingestOptions{k8sStage: k8saudit.StageResponseComplete}.formats(),
			OnReject:       rej.write,
			SyslogLocation: cfg.syslogLoc,
			MoreMetrics:    moreMetrics,
			Logger:         a.log,
		},
		HTTPAddr:      cfg.HTTP,
		SyslogAddr:    cfg.Syslog,
		SyslogTLSAddr: cfg.SyslogTLS,
		SSHAddr:       cfg.SSH,
		SSH: server.SSHConfig{
			AuthorizedKeys: cfg.AuthorizedKeys,
			HostKeyPath:    filepath.Join(dataDir, "ssh_host_ed25519_key"),
			Explorer: func(sess ssh.Session, r *lipgloss.Renderer) tea.Model {
				// The session's context ends when its client goes, even
				// without a clean quit: the explorer's live tail and
				// searches end with it.
				return tui.New(eng, tui.Options{DataDir: dataDir, Renderer: r, ReadOnly: true, Alerts: lookup, Context: sess.Context()})
			},
		},
		TLSCert: cfg.TLSCert,
		TLSKey:  cfg.TLSKey,
	})
	if err != nil {
		return err
	}
	a.serveBanner(dataDir, eng, in, cfg)

	var serveErr error
	select {
	case <-ctx.Done():
		fmt.Fprintln(a.stdout, "vigil serve: stopping: no new requests; storing what was accepted")
	case serveErr = <-in.Err():
		a.log.Error("serve failed; stopping", "err", serveErr)
	}
	sctx, cancel := context.WithTimeout(context.Background(), cfg.shutdown)
	defer cancel()
	if err := in.Shutdown(sctx); err != nil && serveErr == nil {
		serveErr = err
	}
	m := in.Server.Metrics()
	fmt.Fprintf(a.stdout, "vigil serve: stopped; stored %d events this run; head seq %d\n", m.Stored(), eng.Store().Head().Seq)
	if p := rej.written(); p != "" {
		fmt.Fprintf(a.stdout, "vigil serve: rejected input kept verbatim in %s (reasons in %s.reasons)\n", p, p)
	}
	if err := rej.error(); err != nil && serveErr == nil {
		serveErr = fmt.Errorf("write rejects: %w", err)
	}
	return serveErr
}

// serveAlerts is the alerts wiring of vigil serve: the rules of --rules,
// else DATA/rules.yaml when it exists, else the built-in ones
// (alerts.LoadRules), evaluated by the alerts runner on every stored
// event. It returns the runner's loop, the alert store (for the explorer's
// marks) and the runner (for /metrics).
func (a *app) serveAlerts(eng *engine.Engine, dataDir, rulesFile string) (func(context.Context) error, *alerts.Store, *alerts.Runner, error) {
	var rules *alerts.RuleSet
	var err error
	if rulesFile != "" {
		rules, err = alerts.LoadFile(rulesFile)
	} else {
		rules, err = alerts.LoadRules(dataDir)
	}
	if err != nil {
		return nil, nil, nil, fmt.Errorf("serve: alert rules: %w", err)
	}
	st, err := alerts.OpenStore(dataDir, alerts.StoreOptions{Logger: a.log})
	if err != nil {
		return nil, nil, nil, fmt.Errorf("serve: %w", err)
	}
	runner, err := alerts.NewRunner(eng, rules, st, alerts.RunnerOptions{Logger: a.log})
	if err != nil {
		st.Close()
		return nil, nil, nil, fmt.Errorf("serve: alert rules: %w", err)
	}
	return func(ctx context.Context) error {
		if err := runner.Run(ctx); err != nil {
			return fmt.Errorf("alerts: %w", err)
		}
		return nil
	}, st, runner, nil
}

// alertMetrics writes the alert runner's counters in the Prometheus text
// format, for /metrics.
func alertMetrics(r *alerts.Runner) func(io.Writer) {
	return func(w io.Writer) {
		m := r.Metrics()
		family := func(name, typ, help string) {
			fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, typ)
		}
		counter := func(name, help string, v uint64) {
			family(name, "counter", help)
			fmt.Fprintf(w, "%s %d\n", name, v)
		}
		running := 0
		if m.Running {
			running = 1
		}
		family("vigil_alerts_running", "gauge", "Whether the alert rules are being evaluated.")
		fmt.Fprintf(w, "vigil_alerts_running %d\n", running)
		family("vigil_alerts_last_seq", "gauge", "Seq of the last event evaluated by the alert rules.")
		fmt.Fprintf(w, "vigil_alerts_last_seq %d\n", m.LastSeq)
		counter("vigil_alerts_evaluated_total", "Events evaluated by the alert rules since start.", m.Evaluated)
		counter("vigil_alerts_fired_total", "Alerts stored since start.", m.Fired)
		counter("vigil_alerts_missed_total", "Events the live bus read back for the alert runner because it fell behind (none skipped).", m.Missed)
		family("vigil_alert_rule_fired_total", "counter", "Alerts fired, by rule.")
		for _, rs := range m.Rules {
			fmt.Fprintf(w, "vigil_alert_rule_fired_total{rule=%q} %d\n", rs.Rule, rs.Fired)
		}
		for _, f := range []struct {
			name, help string
			v          func(alerts.ActionStats) uint64
		}{
			{"vigil_alert_notifications_sent_total", "Notifications delivered, by action.", func(s alerts.ActionStats) uint64 { return s.Sent }},
			{"vigil_alert_notifications_failed_total", "Notifications given up on, by action.", func(s alerts.ActionStats) uint64 { return s.Failed }},
			{"vigil_alert_notifications_dropped_total", "Notifications dropped because the action's queue was full, by action.", func(s alerts.ActionStats) uint64 { return s.Dropped }},
		} {
			family(f.name, "counter", f.help)
			for _, as := range m.Actions {
				fmt.Fprintf(w, "%s{action=%q} %d\n", f.name, as.Name, f.v(as))
			}
		}
	}
}

// serveBanner says what serve listens on and how to use it, in one write,
// so whoever reads serve's output (a supervisor, a test) never sees half of
// it.
func (a *app) serveBanner(dataDir string, eng *engine.Engine, in *server.Instance, cfg resolvedServe) {
	w := &strings.Builder{}
	defer func() { _, _ = io.WriteString(a.stdout, w.String()) }()
	addrs := in.Addrs()
	fmt.Fprintf(w, "vigil serve: %s (head seq %d, pid %d)\n", dataDir, eng.Store().Head().Seq, os.Getpid())
	if addrs.HTTP != nil {
		scheme := "http"
		if cfg.TLSCert != "" {
			scheme = "https"
		}
		base := scheme + "://" + displayAddr(addrs.HTTP)
		fmt.Fprintf(w, "  events   POST %s/v1/events          (Authorization: Bearer TOKEN)\n", base)
		fmt.Fprintf(w, "  HEC      POST %s/services/collector (Authorization: Splunk TOKEN)\n", base)
		fmt.Fprintf(w, "  health   GET  %s/healthz, metrics: GET %s/metrics\n", base, base)
	}
	if addrs.SyslogUDP != nil {
		fmt.Fprintf(w, "  syslog   udp+tcp %s (RFC 5424, RFC 3164; octet counting or line feeds)\n", addrs.SyslogTCP)
	}
	if addrs.SyslogTLS != nil {
		fmt.Fprintf(w, "  syslog   tls %s\n", addrs.SyslogTLS)
	}
	if addrs.SSH != nil {
		_, port, _ := net.SplitHostPort(addrs.SSH.String())
		host, _, _ := net.SplitHostPort(cfg.SSH)
		fmt.Fprintf(w, "  explorer %s (host key %s)\n", serveReach(net.JoinHostPort(host, port)), in.SSHHostKey())
	}
}

// displayAddr is an address a client can use: an unspecified host becomes
// localhost.
func displayAddr(addr net.Addr) string {
	host, port, err := net.SplitHostPort(addr.String())
	if err != nil {
		return addr.String()
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
		host = "localhost"
	}
	return net.JoinHostPort(host, port)
}

// servedMessage is what a local vigil says, line by line, when vigil
// serve holds its data directory and can be reached (Holder.Reach).
func servedMessage(le *store.LockedError) []string {
	h := le.Holder
	dir := le.Dir
	if filepath.Base(dir) == "store" {
		dir = filepath.Dir(dir) // the data directory the user named
	}
	return []string{
		fmt.Sprintf("%s is held by vigil serve (pid %d, since %s)", dir, h.PID, h.Since.Local().Format(time.DateTime)),
		"explore it over SSH: " + h.Reach,
		"send it events over HTTP (POST /v1/events, or the HEC endpoints) rather than with vigil ingest",
	}
}
