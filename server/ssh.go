package server

import (
	"bufio"
	"bytes"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/ssh"
	"github.com/charmbracelet/wish"
	"github.com/charmbracelet/wish/activeterm"
	bm "github.com/charmbracelet/wish/bubbletea"
	gossh "golang.org/x/crypto/ssh"

	"github.com/vigil-dev/vigil/event"
)

// Explorer makes the explorer's model for one SSH session: r renders for
// that session's terminal (its own colour profile and background). The
// model must not offer any way to change stored events.
type Explorer func(sess ssh.Session, r *lipgloss.Renderer) tea.Model

// SSHConfig configures the explorer over SSH.
type SSHConfig struct {
	// AuthorizedKeys is an OpenSSH authorized_keys file: the only keys
	// let in. It is read at each login, so keys added or removed take
	// effect at once. Passwords and keyboard-interactive logins are not
	// offered.
	AuthorizedKeys string
	// HostKeyPath is the server's private host key; an Ed25519 key is
	// made there (mode 0600) when it does not exist.
	HostKeyPath string
	// Explorer makes each session's model.
	Explorer Explorer
}

// newSSH builds the SSH server of the explorer. Sessions get the explorer
// only: a command, a session without a terminal, port forwarding, agent
// forwarding and subsystems (sftp) are all refused.
func newSSH(cfg SSHConfig, m *Metrics, log *slog.Logger) (*ssh.Server, string, error) {
	if cfg.AuthorizedKeys == "" {
		return nil, "", fmt.Errorf("ssh: an authorized keys file is required (--authorized-keys)")
	}
	if _, err := readAuthorizedKeys(cfg.AuthorizedKeys, log); err != nil {
		return nil, "", fmt.Errorf("ssh: %w", err)
	}
	if cfg.Explorer == nil {
		return nil, "", fmt.Errorf("ssh: no explorer to serve")
	}
	handler := func(sess ssh.Session) (tea.Model, []tea.ProgramOption) {
		return cfg.Explorer(sess, bm.MakeRenderer(sess)), []tea.ProgramOption{tea.WithAltScreen()}
	}
	srv, err := wish.NewServer(
		wish.WithHostKeyPath(cfg.HostKeyPath),
		wish.WithPublicKeyAuth(func(ctx ssh.Context, key ssh.PublicKey) bool {
			ok := authorized(cfg.AuthorizedKeys, key, log)
			log.Info("ssh login", "user", event.Safe(ctx.User()), "remote", ctx.RemoteAddr().String(),
				"key", gossh.FingerprintSHA256(key), "accepted", ok)
			return ok
		}),
		wish.WithMiddleware(
			// The last is the outermost: sessions are counted, then
			// commands refused, then sessions without a terminal.
			bm.Middleware(handler),
			activeterm.Middleware(),
			onlyTheExplorer(),
			countSessions(m, log),
		),
	)
	if err != nil {
		return nil, "", fmt.Errorf("ssh: %w", err)
	}
	if err := os.Chmod(cfg.HostKeyPath, 0o600); err != nil {
		return nil, "", fmt.Errorf("ssh: host key: %w", err)
	}
	fingerprint := ""
	if len(srv.HostSigners) > 0 {
		fingerprint = gossh.FingerprintSHA256(srv.HostSigners[0].PublicKey())
	}
	return srv, fingerprint, nil
}

// onlyTheExplorer refuses sessions that ask to run a command.
func onlyTheExplorer() wish.Middleware {
	return func(next ssh.Handler) ssh.Handler {
		return func(sess ssh.Session) {
			if len(sess.RawCommand()) > 0 || sess.Subsystem() != "" {
				wish.Fatalln(sess, "vigil serves only its explorer: connect without a command")
				return
			}
			next(sess)
		}
	}
}

// countSessions keeps the session gauge and logs each session's end.
func countSessions(m *Metrics, log *slog.Logger) wish.Middleware {
	return func(next ssh.Handler) ssh.Handler {
		return func(sess ssh.Session) {
			start := time.Now()
			m.SSHSessions.Add(1)
			defer m.SSHSessions.Add(-1)
			next(sess)
			log.Info("ssh session ended", "user", event.Safe(sess.User()), "remote", sess.RemoteAddr().String(), "duration", time.Since(start).Round(time.Second))
		}
	}
}

// authorized reports whether key is in the authorized keys file.
func authorized(path string, key ssh.PublicKey, log *slog.Logger) bool {
	keys, err := readAuthorizedKeys(path, log)
	if err != nil {
		log.Error("ssh: read authorized keys", "err", err)
		return false
	}
	for _, k := range keys {
		if ssh.KeysEqual(k, key) {
			return true
		}
	}
	return false
}

// readAuthorizedKeys reads an authorized_keys file. A line that is not a
// key is skipped with a warning (one bad line must not lock everyone out);
// options before a key are read but not enforced, and certificates are not
// accepted.
func readAuthorizedKeys(path string, log *slog.Logger) ([]gossh.PublicKey, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("authorized keys: %w", err)
	}
	var keys []gossh.PublicKey
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, _, _, _, err := gossh.ParseAuthorizedKey([]byte(line))
		if err != nil {
			log.Warn("ssh: authorized keys: skipping a line that is not a key", "file", path, "line", n, "err", err)
			continue
		}
		keys = append(keys, k)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("authorized keys %s: %w", path, err)
	}
	return keys, nil
}
