package main

import (
	"bufio"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/spf13/cobra"
	gossh "golang.org/x/crypto/ssh"

	"github.com/vigil-dev/vigil/engine"
	"github.com/vigil-dev/vigil/store"
)

// served is a `vigil serve` process of the binary under test.
type served struct {
	cmd    *exec.Cmd
	out    *lockedBuffer
	errOut *lockedBuffer
	http   string // base URL
	syslog string // host:port
	exited chan struct{}
	code   int
}

type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

var bannerHTTP = regexp.MustCompile(`POST (http://127\.0\.0\.1:\d+)/v1/events`)
var bannerSyslog = regexp.MustCompile(`syslog   udp\+tcp (127\.0\.0\.1:\d+)`)

// startServe runs vigil serve on data and waits for its banner.
func startServe(t *testing.T, data string, env []string, args ...string) *served {
	t.Helper()
	cmd := exec.Command(vigilBin, append([]string{"--data", data, "serve"}, args...)...)
	cmd.Env = append(os.Environ(), env...)
	s := &served{cmd: cmd, out: &lockedBuffer{}, errOut: &lockedBuffer{}, exited: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = s.out, s.errOut
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		_ = cmd.Wait()
		s.code = cmd.ProcessState.ExitCode()
		close(s.exited)
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-s.exited
	})
	deadline := time.Now().Add(20 * time.Second)
	for {
		out := s.out.String()
		if strings.Contains(out, "vigil serve: ") && (bannerHTTP.MatchString(out) || !strings.Contains(strings.Join(args, " "), "--http")) {
			if m := bannerHTTP.FindStringSubmatch(out); m != nil {
				s.http = m[1]
			}
			if m := bannerSyslog.FindStringSubmatch(out); m != nil {
				s.syslog = m[1]
			}
			return s
		}
		select {
		case <-s.exited:
			t.Fatalf("vigil serve exited %d\nstdout: %s\nstderr: %s", s.code, s.out.String(), s.errOut.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("vigil serve did not start\nstdout: %s\nstderr: %s", s.out.String(), s.errOut.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (s *served) wait(t *testing.T) int {
	t.Helper()
	select {
	case <-s.exited:
		return s.code
	case <-time.After(40 * time.Second):
		t.Fatal("vigil serve did not exit")
		return -1
	}
}

// post sends a body to /v1/events with a bearer token and wants 200.
func (s *served) post(t *testing.T, token, body string) {
	t.Helper()
	if err := postBody(s.http, token, body); err != nil {
		t.Fatalf("post: %v", err)
	}
}

// alertsFired reads vigil_alerts_fired_total from a /metrics text.
var alertsFired = regexp.MustCompile(`(?m)^vigil_alerts_fired_total (\d+)$`)

// waitMetrics polls /metrics until ok accepts it, and returns it.
func (s *served) waitMetrics(t *testing.T, what string, ok func(metrics string) bool) string {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := http.Get(s.http + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if ok(string(body)) {
			return string(body)
		}
		if time.Now().After(deadline) {
			t.Fatalf("/metrics does not show %s:\n%s\n%s", what, body, s.errOut.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// postBatch posts events and reports whether the server answered 200.
func postBatch(url, token string, ids []string) bool {
	return postBatchErr(url, token, ids) == nil
}

// postBatchErr posts events and says why the server did not answer 200.
func postBatchErr(url, token string, ids []string) error {
	var b strings.Builder
	for _, id := range ids {
		b.WriteString(line(id, "2025-01-15T14:30:00Z", "api.accessed") + "\n")
	}
	return postBody(url, token, b.String())
}

// postBody posts a body to /v1/events and says why the server did not
// answer 200.
func postBody(url, token, body string) error {
	req, _ := http.NewRequest(http.MethodPost, url+"/v1/events", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	answer, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%d %s", resp.StatusCode, answer)
	}
	return nil
}

// TestServeKilledUnderLoadKeepsEveryAcknowledgedEvent kills vigil serve
// with SIGKILL while clients post: every event of a request answered 200
// is stored after the restart, and the chain verifies.
func TestServeKilledUnderLoadKeepsEveryAcknowledgedEvent(t *testing.T) {
	data := t.TempDir()
	const tok = "kill-test-token"
	s := startServe(t, data, []string{"VIGIL_TOKEN=" + tok}, "--http", "127.0.0.1:0", "--no-alerts")

	var mu sync.Mutex
	var acked []string
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for c := range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for p := 0; ; p++ {
				select {
				case <-stop:
					return
				default:
				}
				ids := make([]string, 100)
				for i := range ids {
					ids[i] = fmt.Sprintf("k%d-%d-%d", c, p, i)
				}
				if postBatch(s.http, tok, ids) {
					mu.Lock()
					acked = append(acked, ids...)
					mu.Unlock()
				}
			}
		}()
	}
	// Kill it in the middle of the load.
	for {
		mu.Lock()
		n := len(acked)
		mu.Unlock()
		if n >= 5000 {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := s.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	s.wait(t)
	close(stop)
	wg.Wait()

	r := run(t, data, nil, "verify")
	if r.code != 0 || !strings.Contains(r.stdout, "intact") {
		t.Fatalf("verify after kill -9: %d %s %s", r.code, r.stdout, r.stderr)
	}
	st, err := store.Open(engine.StoreDir(data), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	missing := 0
	for _, id := range acked {
		if _, err := st.LookupID(id); err != nil {
			missing++
		}
	}
	head := st.Head().Seq
	st.Close()
	if missing > 0 {
		t.Fatalf("%d of %d acknowledged events are missing after kill -9", missing, len(acked))
	}
	t.Logf("%d events acknowledged before kill -9, %d stored", len(acked), head)

	// It serves again on the same directory, and its index catches up.
	s2 := startServe(t, data, []string{"VIGIL_TOKEN=" + tok}, "--http", "127.0.0.1:0", "--no-alerts")
	waitIndexed(t, s2)
}

// waitIndexed waits until serve's /healthz reports the index caught up.
func waitIndexed(t *testing.T, s *served) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	var last string
	for {
		resp, err := http.Get(s.http + "/healthz")
		if err == nil {
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if strings.Contains(string(body), `"index_lag":0`) {
				return
			}
			last = string(body)
		} else {
			last = err.Error()
		}
		if time.Now().After(deadline) {
			t.Fatalf("the index did not catch up: %s\nstderr: %s", last, s.errOut.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestServeStopsOnSIGTERMAndStoresWhatItAccepted sends events over HTTP
// and syslog, then SIGTERM: exit 0, everything accepted stored.
func TestServeStopsOnSIGTERMAndStoresWhatItAccepted(t *testing.T) {
	data := t.TempDir()
	cfg := writeFile(t, "serve.yaml", "http: 127.0.0.1:0\nsyslog: 127.0.0.1:0\nsyslog_tz: UTC\ntoken: from-the-file\nno_alerts: true\n")
	s := startServe(t, data, nil, "--config", cfg)
	if err := postBatchErr(s.http, "from-the-file", []string{"t1", "t2"}); err != nil {
		t.Fatalf("post refused: %v\nstdout: %s\nstderr: %s", err, s.out.String(), s.errOut.String())
	}
	conn, err := net.Dial("tcp", s.syslog)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	// Once the server holds the connection, what is written to it before
	// the stop is stored, though the connection stays open.
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := http.Get(s.http + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if strings.Contains(string(body), "vigil_syslog_connections 1") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal(string(body))
		}
		time.Sleep(20 * time.Millisecond)
	}
	for i := range 500 {
		fmt.Fprintf(conn, "<13>Jan 15 11:59:00 h app: message %d\n", i)
	}
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if code := s.wait(t); code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, s.out.String(), s.errOut.String())
	}
	if !strings.Contains(s.out.String(), "vigil serve: stopped; stored 502 events this run") {
		t.Fatalf("stdout: %s", s.out.String())
	}
	if got := statusJSON(t, data)["events"]; got != float64(502) {
		t.Fatalf("%v events stored", got)
	}
}

// TestLocalVigilIsToldHowToReachServe: while serve holds the data
// directory with --ssh, another vigil names the ssh command; the token
// given as a flag is not written to the lock.
func TestLocalVigilIsToldHowToReachServe(t *testing.T) {
	data := t.TempDir()
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	signer, _ := gossh.NewSignerFromKey(priv)
	keys := writeFile(t, "authorized_keys", string(gossh.MarshalAuthorizedKey(signer.PublicKey())))
	port := freePort(t)
	s := startServe(t, data, nil, "--http", "127.0.0.1:0", "--token", "do-not-show-me", "--ssh", "127.0.0.1:"+port, "--authorized-keys", keys, "--no-alerts")
	if !strings.Contains(s.out.String(), "explorer ssh -p "+port+" 127.0.0.1 (host key SHA256:") {
		t.Fatalf("banner: %s", s.out.String())
	}
	for _, args := range [][]string{{"status"}, {"ingest", "-"}, {"query", "*"}} {
		r := run(t, data, strings.NewReader(""), args...)
		if r.code != 1 || !strings.Contains(r.stderr, "is held by vigil serve (pid ") ||
			!strings.Contains(r.stderr, "vigil: explore it over SSH: ssh -p "+port+" 127.0.0.1\n") {
			t.Fatalf("%v: exit %d\n%s", args, r.code, r.stderr)
		}
	}
	lock, err := os.ReadFile(filepath.Join(data, "store", "vigil.lock"))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(lock), "do-not-show-me") || !strings.Contains(string(lock), "--token ***") {
		t.Fatalf("lock: %s", lock)
	}
	// The host key is kept in the data directory, readable by its owner
	// only.
	info, err := os.Stat(filepath.Join(data, "ssh_host_ed25519_key"))
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("host key: %v %v", info, err)
	}
}

func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	return port
}

func TestServeRefusesBadSetups(t *testing.T) {
	data := t.TempDir()
	for _, c := range []struct {
		args []string
		want string
	}{
		{nil, "nothing to serve"},
		{[]string{"--http", "127.0.0.1:0"}, "needs a token"},
		{[]string{"--ssh", "127.0.0.1:0"}, "--ssh needs --authorized-keys"},
		{[]string{"--syslog", "127.0.0.1:0", "--max-body", "lots"}, "is not a size"},
		{[]string{"--config", writeFile(t, "bad.yaml", "htp: :80\n")}, "field htp not found"},
	} {
		r := run(t, data, nil, append([]string{"serve"}, c.args...)...)
		if r.code != 1 || !strings.Contains(r.stderr, c.want) {
			t.Errorf("%v: exit %d, stderr %q, want %q", c.args, r.code, r.stderr, c.want)
		}
	}
}

func TestResolveServeConfig(t *testing.T) {
	path := writeFile(t, "serve.yaml", "http: :8088\ntoken: file-token\nmax_body: 2MiB\nsyslog: :5514\nshutdown_timeout: 5s\n")
	resolve := func(env string, args ...string) resolvedServe {
		t.Setenv("VIGIL_TOKEN", env)
		a := &app{}
		cmd := a.serveCmd()
		var got resolvedServe
		cmd.RunE = func(cmd *cobra.Command, _ []string) error {
			var err error
			got, err = resolveServeConfig(cmd, path, serveFlagsOf(cmd))
			return err
		}
		cmd.SetArgs(args)
		if err := cmd.ExecuteContext(context.Background()); err != nil {
			t.Fatal(err)
		}
		return got
	}
	r := resolve("")
	if r.HTTP != ":8088" || r.Token != "file-token" || r.maxBody != 2<<20 || r.Syslog != ":5514" || r.shutdown != 5*time.Second || r.maxEvent != 1<<20 {
		t.Fatalf("%+v", r)
	}
	if r := resolve("env-token"); r.Token != "env-token" {
		t.Fatalf("env: %+v", r.Token)
	}
	if r := resolve("env-token", "--token", "flag-token", "--http", ":9000", "--max-body", "512KiB"); r.Token != "flag-token" || r.HTTP != ":9000" || r.maxBody != 512<<10 {
		t.Fatalf("flags: %+v", r)
	}
	tokenFile := writeFile(t, "token", "from-a-file\n")
	if r := resolve("env-token", "--token-file", tokenFile); r.Token != "from-a-file" {
		t.Fatalf("--token-file: %q", r.Token)
	}
}

// serveFlagsOf reads the flag values of a serve command back.
func serveFlagsOf(cmd *cobra.Command) serveConfig {
	f := cmd.Flags()
	get := func(n string) string { v, _ := f.GetString(n); return v }
	mif, _ := f.GetInt("max-in-flight")
	na, _ := f.GetBool("no-alerts")
	return serveConfig{
		HTTP: get("http"), Token: get("token"), TokenFile: get("token-file"), Syslog: get("syslog"), SyslogTLS: get("syslog-tls"),
		SyslogTZ: get("syslog-tz"), SSH: get("ssh"), AuthorizedKeys: get("authorized-keys"), TLSCert: get("tls-cert"), TLSKey: get("tls-key"),
		MaxBody: get("max-body"), MaxEventSize: get("max-event-size"), MaxInFlight: mif, ShutdownTimeout: get("shutdown-timeout"),
		Rules: get("rules"), NoAlerts: na, Rejects: get("rejects"),
	}
}

func TestServeHelpers(t *testing.T) {
	for in, want := range map[string]int64{"1048576": 1 << 20, "512KiB": 512 << 10, "16MiB": 16 << 20, "1 GiB": 1 << 30, "2MB": 2 << 20, "10k": 10 << 10} {
		if got, err := parseSize(in); err != nil || got != want {
			t.Errorf("parseSize(%q) = %d, %v", in, got, err)
		}
	}
	for _, bad := range []string{"", "-1", "0", "MiB", "1.5MiB"} {
		if _, err := parseSize(bad); err == nil {
			t.Errorf("parseSize(%q) accepted", bad)
		}
	}
	for in, want := range map[string]string{":2222": "ssh -p 2222 localhost", "0.0.0.0:22": "ssh localhost", "10.0.0.5:2222": "ssh -p 2222 10.0.0.5", "[::1]:2222": "ssh -p 2222 [::1]", "": ""} {
		if got := serveReach(in); got != want {
			t.Errorf("serveReach(%q) = %q, want %q", in, got, want)
		}
	}
	got := redactedCommand([]string{"/usr/bin/vigil", "serve", "--token", "s", "--token=s2", "--http", ":80"})
	if got != "vigil serve --token *** --token=*** --http :80" {
		t.Errorf("redacted %q", got)
	}
}

// TestServeRejectsFile: what the server cannot store is kept verbatim
// with its reason.
func TestServeRejectsFile(t *testing.T) {
	data := t.TempDir()
	s := startServe(t, data, []string{"VIGIL_TOKEN=t"}, "--http", "127.0.0.1:0", "--no-alerts")
	body := line("ok1", "2025-01-15T14:30:00Z", "x") + "\n" + `{"event_type":"no time"}` + "\n"
	req, _ := http.NewRequest(http.MethodPost, s.http+"/v1/events", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer t")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	s.cmd.Process.Signal(syscall.SIGTERM)
	if code := s.wait(t); code != 0 {
		t.Fatalf("exit %d", code)
	}
	m := regexp.MustCompile(`rejected input kept verbatim in (\S+) `).FindStringSubmatch(s.out.String())
	if m == nil {
		t.Fatalf("stdout: %s", s.out.String())
	}
	raw, _ := os.ReadFile(m[1])
	reasons, _ := os.ReadFile(m[1] + ".reasons")
	if string(raw) != `{"event_type":"no time"}`+"\n" || !strings.Contains(string(reasons), ":2: missing timestamp") {
		t.Fatalf("rejects %q, reasons %q", raw, reasons)
	}
	sc := bufio.NewScanner(strings.NewReader(string(reasons)))
	for sc.Scan() {
		if !strings.HasPrefix(sc.Text(), "POST /v1/events from 127.0.0.1") {
			t.Fatalf("reason line %q", sc.Text())
		}
	}
}

// TestServeEvaluatesAlertRules: with the built-in rules, a burst of failed
// logins posted to serve fires the brute-force alert, which /metrics
// counts and vigil alerts list shows after the stop.
func TestServeEvaluatesAlertRules(t *testing.T) {
	data := t.TempDir()
	s := startServe(t, data, []string{"VIGIL_TOKEN=t"}, "--http", "127.0.0.1:0")
	var b strings.Builder
	for i := range 8 {
		fmt.Fprintf(&b, `{"event_id":"bf%d","timestamp":"2025-01-15T14:30:%02dZ","event_type":"login.failed","actor":{"email":"ana@example.com"},"context":{"ip":"203.0.113.9"}}`+"\n", i, i)
	}
	s.post(t, "t", b.String())
	body := s.waitMetrics(t, "an alert fired", func(m string) bool {
		f := alertsFired.FindStringSubmatch(m)
		return f != nil && f[1] != "0"
	})
	if !strings.Contains(body, "# TYPE vigil_alert_rule_fired_total counter") || !strings.Contains(body, "vigil_alerts_evaluated_total 8") {
		t.Fatalf("metrics:\n%s", body)
	}
	s.cmd.Process.Signal(syscall.SIGTERM)
	if code := s.wait(t); code != 0 {
		t.Fatalf("exit %d: %s", code, s.errOut.String())
	}
	r := run(t, data, nil, "alerts", "list")
	if r.code != 0 || !strings.Contains(strings.ToLower(r.stdout), "brute") {
		t.Fatalf("alerts list: %d %s %s", r.code, r.stdout, r.stderr)
	}
}

// TestServeExplorerOverSystemSSH drives the explorer with the system's
// OpenSSH client in a real terminal (tmux): a key not in the file is
// refused, the right one gets the first screen, the host key checked
// against the one kept in the data directory.
func TestServeExplorerOverSystemSSH(t *testing.T) {
	needTmux(t)
	sshBin, err := exec.LookPath("ssh")
	if err != nil {
		if os.Getenv("VIGIL_E2E") != "" {
			t.Fatal("ssh is not installed, and VIGIL_E2E asks for the end-to-end tests: install openssh-client")
		}
		t.Skip("ssh is not installed (apt-get install openssh-client)")
	}
	dir := t.TempDir()
	writeKey := func(name string) (path string, pub string) {
		_, priv, _ := ed25519.GenerateKey(rand.Reader)
		block, err := gossh.MarshalPrivateKey(priv, "")
		if err != nil {
			t.Fatal(err)
		}
		path = filepath.Join(dir, name)
		if err := os.WriteFile(path, pem.EncodeToMemory(block), 0o600); err != nil {
			t.Fatal(err)
		}
		signer, _ := gossh.NewSignerFromKey(priv)
		return path, string(gossh.MarshalAuthorizedKey(signer.PublicKey()))
	}
	good, goodPub := writeKey("good")
	bad, _ := writeKey("bad")
	keys := filepath.Join(dir, "authorized_keys")
	os.WriteFile(keys, []byte(goodPub), 0o600)

	data := t.TempDir()
	port := freePort(t)
	s := startServe(t, data, []string{"VIGIL_TOKEN=t"}, "--http", "127.0.0.1:0", "--ssh", "127.0.0.1:"+port, "--authorized-keys", keys, "--no-alerts")
	if !postBatch(s.http, "t", []string{"over-ssh-1", "over-ssh-2"}) {
		t.Fatal("post refused")
	}
	waitIndexed(t, s)
	hostPub, err := os.ReadFile(filepath.Join(data, "ssh_host_ed25519_key.pub"))
	if err != nil {
		t.Fatal(err)
	}
	knownHosts := filepath.Join(dir, "known_hosts")
	os.WriteFile(knownHosts, []byte("[127.0.0.1]:"+port+" "+string(hostPub)), 0o600)
	sshArgs := func(key string) []string {
		return []string{"-F", "/dev/null", "-o", "IdentitiesOnly=yes", "-o", "StrictHostKeyChecking=yes",
			"-o", "UserKnownHostsFile=" + knownHosts, "-o", "BatchMode=yes", "-i", key, "-p", port, "analyst@127.0.0.1"}
	}

	out, err := exec.Command(sshBin, sshArgs(bad)...).CombinedOutput()
	if err == nil || !strings.Contains(string(out), "Permission denied (publickey)") {
		t.Fatalf("a key not in the file: %v\n%s", err, out)
	}

	tm := &tmuxTerm{t: t, socket: filepath.Join(t.TempDir(), "tmux.sock"), target: "ssh"}
	cmdline := shellQuote(sshBin)
	for _, a := range sshArgs(good) {
		cmdline += " " + shellQuote(a)
	}
	tm.tmux("-f", "/dev/null", "new-session", "-d", "-s", tm.target, "-x", "110", "-y", "30", cmdline+"; echo ssh-exited-$?; sleep 600")
	tm.tmux("set-option", "-t", tm.target, "status", "off")
	t.Cleanup(func() { _ = exec.Command("tmux", "-S", tm.socket, "kill-server").Run() })
	screen := tm.waitFor("the explorer", 20*time.Second, func(s string) bool {
		return strings.Contains(s, "read-only") && strings.Contains(s, "api.accessed") && strings.Contains(s, "2 events")
	})
	if strings.Contains(screen, "Permission denied") {
		t.Fatalf("refused:\n%s", screen)
	}
	tm.keys("q")
	tm.waitText("ssh-exited-0", 10*time.Second)
}
