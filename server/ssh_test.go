package server_test

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"io"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/ssh"
	gossh "golang.org/x/crypto/ssh"

	"github.com/vigil-dev/vigil/server"
	"github.com/vigil-dev/vigil/store"
	"github.com/vigil-dev/vigil/tui"
)

// sshFixture is a server whose explorer is vigil's, with one authorized
// key.
type sshFixture struct {
	*fixture
	key         gossh.Signer
	hostKey     string
	hostKeyPath string
}

func newKey(t *testing.T) gossh.Signer {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	s, err := gossh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func startSSH(t *testing.T) *sshFixture {
	t.Helper()
	key := newKey(t)
	keys := filepath.Join(t.TempDir(), "authorized_keys")
	content := "# the analysts\n" + "not a key line\n" + string(gossh.MarshalAuthorizedKey(key.PublicKey()))
	if err := os.WriteFile(keys, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	hostKeyPath := filepath.Join(t.TempDir(), "host_key")
	var f *fixture
	f = start(t, func(c *server.Config) {
		c.SSHAddr = "127.0.0.1:0"
		c.SSH = server.SSHConfig{
			AuthorizedKeys: keys,
			HostKeyPath:    hostKeyPath,
			Explorer: func(_ ssh.Session, r *lipgloss.Renderer) tea.Model {
				return tui.New(f.eng, tui.Options{Renderer: r, ReadOnly: true})
			},
		}
	})
	// Something to show.
	if r := f.post("/v1/events", "Bearer "+token, lines(native("evt_ssh", "2025-01-15T14:30:00Z", "login.failed"))); r.status != 200 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	waitFor(t, "the index", func() bool { return f.eng.IndexLag() == 0 })
	return &sshFixture{fixture: f, key: key, hostKey: f.in.SSHHostKey(), hostKeyPath: hostKeyPath}
}

func (f *sshFixture) dial(auth ...gossh.AuthMethod) (*gossh.Client, error) {
	var seen string
	client, err := gossh.Dial("tcp", f.in.Addrs().SSH.String(), &gossh.ClientConfig{
		User: "analyst",
		Auth: auth,
		HostKeyCallback: func(_ string, _ net.Addr, key gossh.PublicKey) error {
			seen = gossh.FingerprintSHA256(key)
			return nil
		},
		Timeout: 5 * time.Second,
	})
	if err == nil && seen != f.hostKey {
		f.t.Fatalf("host key %s, the server said %s", seen, f.hostKey)
	}
	return client, err
}

// screen collects what a session writes, and answers the terminal
// queries a terminal emulator answers (background colour, device
// attributes): the explorer asks them before its first frame.
type screen struct {
	mu    sync.Mutex
	buf   bytes.Buffer
	reply io.Writer
}

func (s *screen) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if bytes.Contains(p, []byte("\x1b[c")) && s.reply != nil {
		go s.reply.Write([]byte("\x1b]11;rgb:1e1e/1e1e/1e1e\a\x1b[?62;22c"))
	}
	return s.buf.Write(p)
}

func (s *screen) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.String()
}

// explorer opens a session with a terminal of the given type and size and
// starts the explorer in it.
func (f *sshFixture) explorer(term string, w, h int) (*gossh.Session, *screen, io.WriteCloser) {
	f.t.Helper()
	client, err := f.dial(gossh.PublicKeys(f.key))
	if err != nil {
		f.t.Fatal(err)
	}
	f.t.Cleanup(func() { client.Close() })
	sess, err := client.NewSession()
	if err != nil {
		f.t.Fatal(err)
	}
	out := &screen{}
	sess.Stdout = out
	in, err := sess.StdinPipe()
	if err != nil {
		f.t.Fatal(err)
	}
	out.reply = in
	if err := sess.RequestPty(term, h, w, gossh.TerminalModes{}); err != nil {
		f.t.Fatal(err)
	}
	if err := sess.Shell(); err != nil {
		f.t.Fatal(err)
	}
	return sess, out, in
}

func TestSSHExplorerFirstScreen(t *testing.T) {
	f := startSSH(t)
	sess, out, in := f.explorer("xterm-256color", 120, 30)
	waitFor(t, "the first screen", func() bool {
		s := out.String()
		return strings.Contains(s, "login.failed") && strings.Contains(s, "read-only")
	})
	if got := f.in.Server.Metrics().SSHSessions.Load(); got != 1 {
		t.Fatalf("%d sessions counted", got)
	}
	// Its own size: a narrower window redraws narrower.
	before := len(out.String())
	if err := sess.WindowChange(20, 70); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "a redraw", func() bool { return len(out.String()) > before })
	// q quits, and the session ends.
	in.Write([]byte("q"))
	done := make(chan error, 1)
	go func() { done <- sess.Wait() }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("the session did not end after q")
	}
	waitFor(t, "the session count to drop", func() bool { return f.in.Server.Metrics().SSHSessions.Load() == 0 })
	// Nothing a session did changed the store.
	rep, err := f.eng.Store().Verify(t.Context(), store.VerifyOptions{})
	if err != nil || !rep.Intact || rep.Events != 1 {
		t.Fatalf("verify %+v %v", rep, err)
	}
}

func TestSSHEachSessionItsOwnColourProfile(t *testing.T) {
	f := startSSH(t)
	_, colour, _ := f.explorer("xterm-256color", 120, 30)
	_, plain, _ := f.explorer("dumb", 120, 30)
	waitFor(t, "both first screens", func() bool {
		return strings.Contains(colour.String(), "login.failed") && strings.Contains(plain.String(), "login.failed")
	})
	time.Sleep(300 * time.Millisecond) // let both finish the frame
	if !strings.Contains(colour.String(), "38;5;") && !strings.Contains(colour.String(), "48;5;") {
		t.Errorf("the 256-colour session got no 256-colour escape")
	}
	if c := colours(plain.String()); len(c) > 0 {
		t.Errorf("the dumb terminal got colours: %q", c)
	}
}

var sgr = regexp.MustCompile(`\x1b\[([0-9;]*)m`)

// colours lists the SGR sequences of s that set a colour.
func colours(s string) []string {
	var out []string
	for _, m := range sgr.FindAllStringSubmatch(s, -1) {
		for _, p := range strings.Split(m[1], ";") {
			n, _ := strconv.Atoi(p)
			if (n >= 30 && n <= 38) || (n >= 40 && n <= 48) || (n >= 90 && n <= 97) || (n >= 100 && n <= 107) {
				out = append(out, m[0])
				break
			}
		}
	}
	return out
}

func TestSSHRefuses(t *testing.T) {
	f := startSSH(t)
	// A key that is not in the file.
	if c, err := f.dial(gossh.PublicKeys(newKey(t))); err == nil {
		c.Close()
		t.Fatal("a key not in authorized_keys was let in")
	}
	// Passwords are not offered at all.
	if c, err := f.dial(gossh.Password("anything")); err == nil {
		c.Close()
		t.Fatal("a password was accepted")
	}
	if c, err := f.dial(gossh.KeyboardInteractive(func(string, string, []string, []bool) ([]string, error) { return nil, nil })); err == nil {
		c.Close()
		t.Fatal("keyboard-interactive was accepted")
	}
	client, err := f.dial(gossh.PublicKeys(f.key))
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	// A command is refused.
	sess, err := client.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	out, err := sess.CombinedOutput("rm -rf /")
	if err == nil || !strings.Contains(string(out), "only its explorer") {
		t.Fatalf("a command: %v %q", err, out)
	}
	// A session without a terminal is refused.
	sess, err = client.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	out, err = sess.CombinedOutput("")
	if err == nil || !strings.Contains(string(out), "PTY") {
		t.Fatalf("no terminal: %v %q", err, out)
	}
	// Subsystems (sftp) and port forwarding are refused.
	sess, err = client.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	if err := sess.RequestSubsystem("sftp"); err == nil {
		t.Fatal("the sftp subsystem was granted")
	}
	if c, err := client.Dial("tcp", f.in.Addrs().HTTP.String()); err == nil {
		c.Close()
		t.Fatal("port forwarding was allowed")
	}
	// The host key was made with mode 0600.
	info, err := os.Stat(f.hostKeyPath)
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("host key mode %v", info.Mode().Perm())
	}
}
