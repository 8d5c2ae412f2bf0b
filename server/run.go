package server

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/charmbracelet/ssh"

	"github.com/vigil-dev/vigil/engine"
)

// Config is everything `vigil serve` runs: which listeners, on which
// addresses, with what.
type Config struct {
	Options
	// HTTPAddr serves Handler (host:port); "" for none.
	HTTPAddr string
	// SyslogAddr receives syslog on UDP and TCP on the same port; "" for
	// none.
	SyslogAddr string
	// SyslogTLSAddr receives syslog over TLS (RFC 5425) with the HTTP
	// certificate; "" for none.
	SyslogTLSAddr string
	// SSHAddr serves the explorer over SSH; "" for none.
	SSHAddr string
	SSH     SSHConfig
	// TLSCert and TLSKey, when both are set, make HTTP HTTPS.
	TLSCert, TLSKey string
	// Runners run beside the listeners until shutdown (the alert rules,
	// for one); an error of one is reported by Err. The index is always
	// kept up to date behind the store.
	Runners []func(ctx context.Context) error
}

// Addrs are the addresses a running instance listens on.
type Addrs struct {
	HTTP, SyslogUDP, SyslogTCP, SyslogTLS, SSH net.Addr
}

// Instance is a running `vigil serve`.
type Instance struct {
	Server *Server
	addrs  Addrs
	log    *slog.Logger

	http       *http.Server
	ssh        *ssh.Server
	sshKey     string
	cancel     context.CancelFunc
	background sync.WaitGroup
	errs       chan error
	shutdown   sync.Once
	shutErr    error
}

// Start opens every listener of cfg (so that an address in use fails
// here, before anything runs), then serves in the background until
// Shutdown. The index follows the store all along.
func Start(eng *engine.Engine, cfg Config) (*Instance, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.HTTPAddr == "" && cfg.SyslogAddr == "" && cfg.SyslogTLSAddr == "" && cfg.SSHAddr == "" {
		return nil, errors.New("serve: nothing to serve: give at least one of --http, --syslog, --syslog-tls, --ssh")
	}
	if cfg.HTTPAddr != "" && cfg.Token == "" {
		return nil, errors.New("serve: --http needs a token (--token, --token-file, env VIGIL_TOKEN, or token in the config file)")
	}
	if (cfg.TLSCert == "") != (cfg.TLSKey == "") {
		return nil, errors.New("serve: TLS needs both --tls-cert and --tls-key")
	}
	if cfg.SyslogTLSAddr != "" && cfg.TLSCert == "" {
		return nil, errors.New("serve: --syslog-tls needs --tls-cert and --tls-key")
	}
	srv, err := New(eng, cfg.Options)
	if err != nil {
		return nil, err
	}
	in := &Instance{Server: srv, log: cfg.Logger, errs: make(chan error, 8)}
	var closers []func()
	fail := func(err error) (*Instance, error) {
		for _, c := range closers {
			c()
		}
		_ = srv.Close()
		return nil, err
	}

	var tlsConfig *tls.Config
	if cfg.TLSCert != "" {
		cert, err := tls.LoadX509KeyPair(cfg.TLSCert, cfg.TLSKey)
		if err != nil {
			return fail(fmt.Errorf("serve: TLS: %w", err))
		}
		tlsConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	}

	var httpLn net.Listener
	if cfg.HTTPAddr != "" {
		httpLn, err = net.Listen("tcp", cfg.HTTPAddr)
		if err != nil {
			return fail(fmt.Errorf("serve: http: %w", err))
		}
		closers = append(closers, func() { httpLn.Close() })
		in.addrs.HTTP = httpLn.Addr()
	}
	var udp net.PacketConn
	var tcp net.Listener
	if cfg.SyslogAddr != "" {
		tcp, udp, err = listenBoth(cfg.SyslogAddr)
		if err != nil {
			return fail(fmt.Errorf("serve: syslog: %w", err))
		}
		closers = append(closers, func() { tcp.Close(); udp.Close() })
		in.addrs.SyslogTCP, in.addrs.SyslogUDP = tcp.Addr(), udp.LocalAddr()
	}
	var tlsSyslog net.Listener
	if cfg.SyslogTLSAddr != "" {
		ln, err := net.Listen("tcp", cfg.SyslogTLSAddr)
		if err != nil {
			return fail(fmt.Errorf("serve: syslog over TLS: %w", err))
		}
		closers = append(closers, func() { ln.Close() })
		in.addrs.SyslogTLS = ln.Addr()
		tlsSyslog = tls.NewListener(ln, tlsConfig)
	}
	var sshLn net.Listener
	if cfg.SSHAddr != "" {
		in.ssh, in.sshKey, err = newSSH(cfg.SSH, srv.metrics, cfg.Logger)
		if err != nil {
			return fail(err)
		}
		sshLn, err = net.Listen("tcp", cfg.SSHAddr)
		if err != nil {
			return fail(fmt.Errorf("serve: ssh: %w", err))
		}
		in.addrs.SSH = sshLn.Addr()
	}

	ctx, cancel := context.WithCancel(context.Background())
	in.cancel = cancel
	in.run(func() error { in.index(ctx, eng); return nil })
	for _, r := range cfg.Runners {
		in.run(func() error { return r(ctx) })
	}
	if httpLn != nil {
		in.http = &http.Server{
			Handler:           srv.Handler(),
			TLSConfig:         tlsConfig,
			ReadHeaderTimeout: 10 * time.Second,
			ReadTimeout:       5 * time.Minute,
			IdleTimeout:       2 * time.Minute,
			ErrorLog:          slog.NewLogLogger(cfg.Logger.Handler(), slog.LevelWarn),
		}
		in.run(func() error {
			var err error
			if tlsConfig != nil {
				err = in.http.ServeTLS(httpLn, "", "")
			} else {
				err = in.http.Serve(httpLn)
			}
			if errors.Is(err, http.ErrServerClosed) {
				return nil
			}
			return fmt.Errorf("http: %w", err)
		})
	}
	if udp != nil {
		in.run(func() error { return srv.ServeSyslogUDP(udp) })
		in.run(func() error { return srv.ServeSyslogTCP(tcp, "tcp") })
	}
	if tlsSyslog != nil {
		in.run(func() error { return srv.ServeSyslogTCP(tlsSyslog, "tls") })
	}
	if sshLn != nil {
		in.run(func() error {
			err := in.ssh.Serve(sshLn)
			if errors.Is(err, ssh.ErrServerClosed) {
				return nil
			}
			return fmt.Errorf("ssh: %w", err)
		})
	}
	return in, nil
}

// index keeps the index behind the store until ctx ends. A failure of the
// index does not stop ingest (the store is the source of truth): it is
// logged and indexing starts again after a pause, growing to a minute.
func (in *Instance) index(ctx context.Context, eng *engine.Engine) {
	pause := time.Second
	for {
		err := eng.RunIndexer(ctx)
		if err == nil || ctx.Err() != nil {
			return
		}
		in.log.Error("index: events are stored but not searchable until this is resolved; retrying", "err", err, "in", pause)
		select {
		case <-ctx.Done():
			return
		case <-time.After(pause):
		}
		pause = min(2*pause, time.Minute)
	}
}

// listenBoth listens on TCP and UDP on the same port (for port 0, the
// port TCP got).
func listenBoth(addr string) (net.Listener, net.PacketConn, error) {
	for try := 0; ; try++ {
		tcp, err := net.Listen("tcp", addr)
		if err != nil {
			return nil, nil, err
		}
		host, _, _ := net.SplitHostPort(addr)
		_, port, _ := net.SplitHostPort(tcp.Addr().String())
		udp, err := net.ListenPacket("udp", net.JoinHostPort(host, port))
		if err == nil {
			return tcp, udp, nil
		}
		tcp.Close()
		if _, p, _ := net.SplitHostPort(addr); p != "0" || try == 10 {
			return nil, nil, err
		}
	}
}

func (in *Instance) run(f func() error) {
	in.background.Add(1)
	go func() {
		defer in.background.Done()
		if err := f(); err != nil {
			select {
			case in.errs <- err:
			default:
			}
		}
	}()
}

// Addrs are the addresses the instance listens on.
func (in *Instance) Addrs() Addrs { return in.addrs }

// SSHHostKey is the SHA-256 fingerprint of the SSH host key ("" without
// SSH), for users to check on their first login.
func (in *Instance) SSHHostKey() string { return in.sshKey }

// Err reports a failure of a listener or runner while serving.
func (in *Instance) Err() <-chan error { return in.errs }

// Shutdown stops accepting, lets the requests in progress finish (each is
// answered once its events are durable), stores every syslog message
// received, ends the SSH sessions and stops the indexer. When ctx ends
// first, open HTTP connections are closed; what their requests submitted
// is still stored. The engine stays open: the caller closes it.
func (in *Instance) Shutdown(ctx context.Context) error {
	in.shutdown.Do(func() {
		in.Server.StartClosing()
		var errs []error
		if in.http != nil {
			if err := in.http.Shutdown(ctx); err != nil {
				errs = append(errs, fmt.Errorf("http shutdown: %w", err))
				_ = in.http.Close()
			}
		}
		if err := in.Server.Close(); err != nil {
			errs = append(errs, err)
		}
		if in.ssh != nil {
			// Sessions are interactive: they end now, not when their
			// users leave.
			_ = in.ssh.Close()
		}
		in.cancel()
		in.background.Wait()
		close(in.errs)
		for err := range in.errs {
			errs = append(errs, err)
		}
		in.shutErr = errors.Join(errs...)
	})
	return in.shutErr
}
