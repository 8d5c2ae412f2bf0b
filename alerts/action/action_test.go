package action

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"io"
	"math/big"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/http"
	"net/http/httptest"
	"net/mail"
	"net/textproto"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// t0 dates every message: a deterministic clock.
var t0 = time.Date(2025, time.January, 15, 12, 0, 0, 0, time.UTC)

func now() time.Time { return t0 }

var hostileMsg = Message{
	Subject: "[high] brute-force-user: 5 events for user=evil\r\nBcc: victim@example.com <@here> & co",
	Text:    "group: user=<!channel> \u001b[31mred\nline two",
	Payload: map[string]any{"alert": map[string]any{"rule": "r1", "seqs": []int{1, 2}}},
	Time:    t0,
}

func TestWebhookPostsJSONAndClassifiesFailures(t *testing.T) {
	var mu sync.Mutex
	var got []*http.Request
	var bodies [][]byte
	status := http.StatusOK
	retryAfter := ""
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		got, bodies = append(got, r), append(bodies, b)
		st, ra := status, retryAfter
		mu.Unlock()
		if ra != "" {
			w.Header().Set("Retry-After", ra)
		}
		w.WriteHeader(st)
		io.WriteString(w, "nope\x1b[2J")
	}))
	defer srv.Close()
	s, err := New(Config{Name: "hook", Type: TypeWebhook, URL: srv.URL + "/in?token=s3cret", Headers: map[string]string{"Authorization": "Bearer abc"}, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Send(context.Background(), hostileMsg); err != nil {
		t.Fatal(err)
	}
	r, b := got[0], bodies[0]
	if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/json" || r.Header.Get("Authorization") != "Bearer abc" {
		t.Errorf("request %s %v", r.Method, r.Header)
	}
	var p map[string]any
	if err := json.Unmarshal(b, &p); err != nil || p["alert"].(map[string]any)["rule"] != "r1" {
		t.Errorf("body %s: %v", b, err)
	}
	for _, c := range []struct {
		status     int
		retryAfter string
		permanent  bool
		wait       time.Duration
	}{
		{http.StatusServiceUnavailable, "7", false, 7 * time.Second},
		{http.StatusTooManyRequests, t0.Add(30 * time.Second).Format(http.TimeFormat), false, 30 * time.Second},
		{http.StatusInternalServerError, "", false, 0},
		{http.StatusBadRequest, "", true, 0},
		{http.StatusNotFound, "", true, 0},
		{http.StatusFound, "", true, 0}, // a redirect is not followed
	} {
		mu.Lock()
		status, retryAfter = c.status, c.retryAfter
		mu.Unlock()
		err := s.Send(context.Background(), hostileMsg)
		if err == nil || IsPermanent(err) != c.permanent || RetryAfter(err) != c.wait {
			t.Errorf("HTTP %d: err %v, permanent %v, retry after %v", c.status, err, IsPermanent(err), RetryAfter(err))
		}
		if err != nil && (strings.Contains(err.Error(), "s3cret") || strings.Contains(err.Error(), "\x1b")) {
			t.Errorf("error shows the URL's token or a raw escape: %q", err)
		}
	}
	// A receiver that is down: transient, and the token stays hidden.
	srv.Close()
	err = s.Send(context.Background(), hostileMsg)
	if err == nil || IsPermanent(err) || strings.Contains(err.Error(), "s3cret") {
		t.Errorf("closed server: %v", err)
	}
}

func TestSlackMessageIsEscaped(t *testing.T) {
	var body []byte
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ = io.ReadAll(r.Body)
		io.WriteString(w, "ok")
	}))
	defer srv.Close()
	t.Setenv("TEST_SLACK_URL", srv.URL+"/services/T0/B0/x")
	s, err := New(Config{Name: "chat", Type: TypeSlack, URLEnv: "TEST_SLACK_URL"})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Send(context.Background(), hostileMsg); err != nil {
		t.Fatal(err)
	}
	var m map[string]string
	if err := json.Unmarshal(body, &m); err != nil || len(m) != 1 {
		t.Fatalf("body %s: %v", body, err)
	}
	want := "*[high] brute-force-user: 5 events for user=evil  Bcc: victim@example.com &lt;@here&gt; &amp; co*\n" +
		"group: user=&lt;!channel&gt; \u001b[31mred\nline two"
	if m["text"] != want {
		t.Errorf("text %q\nwant %q", m["text"], want)
	}
	if _, err := New(Config{Name: "chat", Type: TypeSlack, URLEnv: "UNSET_VIGIL_TEST_VAR"}); err == nil || !strings.Contains(err.Error(), "UNSET_VIGIL_TEST_VAR is not set") {
		t.Errorf("unset url_env: %v", err)
	}
}

// smtpServer is enough of an SMTP server for the email action: EHLO,
// STARTTLS (with a self-signed certificate), AUTH PLAIN, MAIL, RCPT, DATA
// and QUIT. It offers AUTH only over TLS, as real servers do.
type smtpServer struct {
	ln       net.Listener
	tls      *tls.Config
	caFile   string
	starttls bool // offer STARTTLS
	rejectTo string

	mu    sync.Mutex
	mails []*receivedMail
}

type receivedMail struct {
	tls        bool
	user, pass string
	from       string
	to         []string
	data       string
	steps      []string
}

func newSMTPServer(t *testing.T, starttls bool) *smtpServer {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "vigil test SMTP"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, IsCA: true, BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &smtpServer{ln: ln, caFile: caFile, starttls: starttls,
		tls: &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go s.serve(c)
		}
	}()
	t.Cleanup(func() { ln.Close() })
	return s
}

func (s *smtpServer) serve(c net.Conn) {
	defer c.Close()
	m := &receivedMail{}
	s.mu.Lock()
	s.mails = append(s.mails, m)
	s.mu.Unlock()
	tp := textproto.NewConn(c)
	reply := func(line string) { tp.PrintfLine("%s", line) }
	reply("220 127.0.0.1 ESMTP test")
	for {
		line, err := tp.ReadLine()
		if err != nil {
			return
		}
		verb, arg, _ := strings.Cut(line, " ")
		s.mu.Lock()
		m.steps = append(m.steps, strings.ToUpper(verb))
		s.mu.Unlock()
		switch strings.ToUpper(verb) {
		case "EHLO":
			lines := []string{"250-127.0.0.1"}
			if s.starttls && !m.tls {
				lines = append(lines, "250-STARTTLS")
			}
			if m.tls {
				lines = append(lines, "250-AUTH PLAIN")
			}
			lines = append(lines, "250 8BITMIME")
			for _, l := range lines {
				reply(l)
			}
		case "STARTTLS":
			reply("220 2.0.0 ready")
			tc := tls.Server(c, s.tls)
			if err := tc.Handshake(); err != nil {
				return
			}
			c = tc
			tp = textproto.NewConn(tc)
			m.tls = true
		case "AUTH":
			if !m.tls {
				reply("538 5.7.11 encryption required")
				continue
			}
			f := strings.Fields(arg)
			b, _ := base64.StdEncoding.DecodeString(f[len(f)-1])
			parts := strings.Split(string(b), "\x00")
			if len(parts) == 3 {
				m.user, m.pass = parts[1], parts[2]
			}
			reply("235 2.7.0 ok")
		case "MAIL":
			from, _, _ := strings.Cut(strings.TrimPrefix(arg, "FROM:"), " ")
			m.from = strings.Trim(from, "<>")
			reply("250 ok")
		case "RCPT":
			to := strings.Trim(strings.TrimPrefix(arg, "TO:"), "<>")
			if to == s.rejectTo {
				reply("550 5.1.1 no such user")
				continue
			}
			m.to = append(m.to, to)
			reply("250 ok")
		case "DATA":
			reply("354 go ahead")
			b, err := tp.ReadDotBytes()
			if err != nil {
				return
			}
			s.mu.Lock()
			m.data = string(b)
			s.mu.Unlock()
			reply("250 queued")
		case "QUIT":
			reply("221 bye")
			return
		default:
			reply("502 not implemented")
		}
	}
}

func TestEmailOverSTARTTLS(t *testing.T) {
	srv := newSMTPServer(t, true)
	t.Setenv("TEST_SMTP_PASSWORD", "hunter2")
	s, err := New(Config{Name: "mail", Type: TypeEmail, SMTP: srv.ln.Addr().String(), From: "vigil@example.com",
		To: []string{"soc@example.com", "Oncall <oncall@example.com>"}, Username: "vigil", PasswordEnv: "TEST_SMTP_PASSWORD",
		CAFile: srv.caFile, SubjectPrefix: "[vigil]", Now: now})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Send(context.Background(), hostileMsg); err != nil {
		t.Fatal(err)
	}
	srv.mu.Lock()
	m := *srv.mails[0]
	srv.mu.Unlock()
	if !m.tls || m.user != "vigil" || m.pass != "hunter2" || m.from != "vigil@example.com" || strings.Join(m.to, ",") != "soc@example.com,oncall@example.com" {
		t.Errorf("mail %+v", m)
	}
	// STARTTLS came before anything was authenticated or sent.
	if got := strings.Join(m.steps, " "); got != "EHLO STARTTLS EHLO AUTH MAIL RCPT RCPT DATA QUIT" {
		t.Errorf("conversation %s", got)
	}
	msg, err := mail.ReadMessage(strings.NewReader(m.data))
	if err != nil {
		t.Fatal(err)
	}
	subject, err := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	if err != nil {
		t.Fatal(err)
	}
	if subject != "[vigil] [high] brute-force-user: 5 events for user=evil  Bcc: victim@example.com <@here> & co" {
		t.Errorf("subject %q", subject)
	}
	if len(msg.Header["Bcc"]) != 0 || msg.Header.Get("Date") != t0.Format(time.RFC1123Z) || msg.Header.Get("Auto-Submitted") != "auto-generated" {
		t.Errorf("headers %v", msg.Header)
	}
	body, _ := io.ReadAll(quotedprintable.NewReader(msg.Body))
	// CRLF on the wire; the server's dot reader gives LF.
	if string(body) != "group: user=<!channel> \u001b[31mred\nline two\n" {
		t.Errorf("body %q", body)
	}
}

func TestEmailFailures(t *testing.T) {
	plain := newSMTPServer(t, false)
	s, err := New(Config{Name: "mail", Type: TypeEmail, SMTP: plain.ln.Addr().String(), From: "vigil@example.com", To: []string{"soc@example.com"}, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Send(context.Background(), hostileMsg); !IsPermanent(err) || !strings.Contains(err.Error(), "does not offer STARTTLS") {
		t.Errorf("no STARTTLS: %v", err)
	}
	// Only when told, to a relay on this host, in clear text.
	s, _ = New(Config{Name: "mail", Type: TypeEmail, SMTP: plain.ln.Addr().String(), From: "vigil@example.com", To: []string{"soc@example.com"}, NoStartTLS: true, Now: now})
	if err := s.Send(context.Background(), hostileMsg); err != nil {
		t.Errorf("relay: %v", err)
	}

	// A certificate nobody vouches for is refused, for good.
	tlsSrv := newSMTPServer(t, true)
	s, _ = New(Config{Name: "mail", Type: TypeEmail, SMTP: tlsSrv.ln.Addr().String(), From: "vigil@example.com", To: []string{"soc@example.com"}, Now: now})
	if err := s.Send(context.Background(), hostileMsg); !IsPermanent(err) {
		t.Errorf("untrusted certificate: %v", err)
	}
	// A refused recipient is permanent.
	tlsSrv.rejectTo = "gone@example.com"
	s, _ = New(Config{Name: "mail", Type: TypeEmail, SMTP: tlsSrv.ln.Addr().String(), From: "vigil@example.com", To: []string{"gone@example.com"}, CAFile: tlsSrv.caFile, Now: now})
	if err := s.Send(context.Background(), hostileMsg); !IsPermanent(err) || !strings.Contains(err.Error(), "550") {
		t.Errorf("refused recipient: %v", err)
	}
	// Nobody listening: transient.
	addr := tlsSrv.ln.Addr().String()
	tlsSrv.ln.Close()
	s, _ = New(Config{Name: "mail", Type: TypeEmail, SMTP: addr, From: "vigil@example.com", To: []string{"soc@example.com"}, Timeout: time.Second, Now: now})
	if err := s.Send(context.Background(), hostileMsg); err == nil || IsPermanent(err) {
		t.Errorf("closed port: %v", err)
	}
	// A password is never sent in clear text to another host.
	if _, err := New(Config{Name: "mail", Type: TypeEmail, SMTP: "mail.example.com:25", From: "a@b.c", To: []string{"d@e.f"},
		Username: "u", PasswordFile: os.DevNull, NoStartTLS: true}); err == nil {
		t.Errorf("clear-text password accepted")
	}
	var e *Error
	if !errors.As(&Error{Err: errors.New("x")}, &e) {
		t.Error("Error does not unwrap")
	}
}
