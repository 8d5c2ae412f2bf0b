package action

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"net/smtp"
	"net/textproto"
	"os"
	"strings"
	"time"
)

// email sends a plain-text message over SMTP, upgrading the connection
// with STARTTLS before anything else is said.
type email struct {
	name     string
	addr     string // host:port
	host     string
	from     *mail.Address
	to       []*mail.Address
	username string
	password string
	starttls bool
	tls      *tls.Config
	prefix   string
	timeout  time.Duration
	now      func() time.Time
}

func newEmail(c Config) (Sender, error) {
	e := &email{name: c.Name, starttls: !c.NoStartTLS, prefix: c.SubjectPrefix, timeout: c.Timeout, now: c.Now, username: c.Username}
	if c.SMTP == "" {
		return nil, fmt.Errorf("action %s: smtp (host:port) is missing", c.Name)
	}
	e.addr = c.SMTP
	host, port, err := net.SplitHostPort(c.SMTP)
	if err != nil {
		host, port = c.SMTP, "587"
		e.addr = net.JoinHostPort(host, port)
	}
	if host == "" || port == "" {
		return nil, fmt.Errorf("action %s: smtp %q: want host:port", c.Name, c.SMTP)
	}
	e.host = host
	if e.from, err = mail.ParseAddress(c.From); err != nil {
		return nil, fmt.Errorf("action %s: from %q: %v", c.Name, oneLine(c.From), err)
	}
	if len(c.To) == 0 {
		return nil, fmt.Errorf("action %s: to is missing", c.Name)
	}
	for _, t := range c.To {
		a, err := mail.ParseAddress(t)
		if err != nil {
			return nil, fmt.Errorf("action %s: to %q: %v", c.Name, oneLine(t), err)
		}
		e.to = append(e.to, a)
	}
	switch {
	case c.PasswordEnv != "" && c.PasswordFile != "":
		return nil, fmt.Errorf("action %s: give password_env or password_file, not both", c.Name)
	case c.PasswordEnv != "":
		if e.password = c.Getenv(c.PasswordEnv); e.password == "" {
			return nil, fmt.Errorf("action %s: password_env %s is not set", c.Name, c.PasswordEnv)
		}
	case c.PasswordFile != "":
		b, err := os.ReadFile(c.PasswordFile)
		if err != nil {
			return nil, fmt.Errorf("action %s: password_file: %w", c.Name, err)
		}
		e.password = strings.TrimRight(string(b), "\r\n")
	}
	if e.username != "" && e.password == "" {
		return nil, fmt.Errorf("action %s: username without password_env or password_file", c.Name)
	}
	if e.username != "" && !e.starttls && !isLocal(host) {
		return nil, fmt.Errorf("action %s: refusing to send a password in clear text: set starttls: true", c.Name)
	}
	e.tls = &tls.Config{ServerName: host, MinVersion: tls.VersionTLS12}
	if c.CAFile != "" {
		pem, err := os.ReadFile(c.CAFile)
		if err != nil {
			return nil, fmt.Errorf("action %s: ca_file: %w", c.Name, err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("action %s: ca_file %s holds no PEM certificate", c.Name, c.CAFile)
		}
		e.tls.RootCAs = pool
	}
	return e, nil
}

func isLocal(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func (e *email) Name() string { return e.name }
func (e *email) Type() string { return TypeEmail }

// smtpError classifies an SMTP failure: 5xx answers are permanent, 4xx
// and broken connections are worth another try.
func (e *email) smtpError(step string, err error) error {
	var te *textproto.Error
	if errors.As(err, &te) {
		return &Error{Err: fmt.Errorf("email %s: %s: %d %s", e.name, step, te.Code, oneLine(te.Msg)), Permanent: te.Code >= 500}
	}
	return &Error{Err: fmt.Errorf("email %s: %s: %w", e.name, step, err)}
}

func (e *email) Send(ctx context.Context, m Message) error {
	ctx, cancel := context.WithTimeout(ctx, e.timeout)
	defer cancel()
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", e.addr)
	if err != nil {
		return &Error{Err: fmt.Errorf("email %s: connect %s: %w", e.name, e.addr, err)}
	}
	defer conn.Close()
	deadline, _ := ctx.Deadline()
	_ = conn.SetDeadline(deadline)
	stop := context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()

	c, err := smtp.NewClient(conn, e.host)
	if err != nil {
		return e.smtpError("greeting", err)
	}
	defer c.Close()
	if err := c.Hello("vigil"); err != nil {
		return e.smtpError("EHLO", err)
	}
	if ok, _ := c.Extension("STARTTLS"); ok {
		if err := c.StartTLS(e.tls); err != nil {
			// A certificate that does not verify will not verify next time.
			return &Error{Err: fmt.Errorf("email %s: STARTTLS: %w", e.name, err), Permanent: isCertError(err)}
		}
	} else if e.starttls {
		return permanent("email %s: %s does not offer STARTTLS (set starttls: false only for a relay on this host)", e.name, e.addr)
	}
	if e.username != "" {
		if ok, _ := c.Extension("AUTH"); !ok {
			return permanent("email %s: %s offers no AUTH", e.name, e.addr)
		}
		if err := c.Auth(smtp.PlainAuth("", e.username, e.password, e.host)); err != nil {
			return e.smtpError("AUTH", err)
		}
	}
	if err := c.Mail(e.from.Address); err != nil {
		return e.smtpError("MAIL FROM", err)
	}
	for _, t := range e.to {
		if err := c.Rcpt(t.Address); err != nil {
			return e.smtpError("RCPT TO "+t.Address, err)
		}
	}
	w, err := c.Data()
	if err != nil {
		return e.smtpError("DATA", err)
	}
	if _, err := w.Write(e.compose(m)); err != nil {
		return e.smtpError("DATA", err)
	}
	if err := w.Close(); err != nil {
		return e.smtpError("end of DATA", err)
	}
	if err := c.Quit(); err != nil {
		// The message was accepted; a failed QUIT changes nothing.
		return nil
	}
	return nil
}

func isCertError(err error) bool {
	var ue x509.UnknownAuthorityError
	var he x509.HostnameError
	var ce x509.CertificateInvalidError
	var ve *tls.CertificateVerificationError
	return errors.As(err, &ue) || errors.As(err, &he) || errors.As(err, &ce) || errors.As(err, &ve)
}

// compose writes the message: headers (the subject Q-encoded and on one
// line, so that no value can add a header) and a quoted-printable UTF-8
// body with CRLF line ends.
func (e *email) compose(m Message) []byte {
	t := m.Time
	if t.IsZero() {
		t = e.now()
	}
	subject := oneLine(m.Subject)
	if e.prefix != "" {
		subject = oneLine(e.prefix) + " " + subject
	}
	var b bytes.Buffer
	h := func(k, v string) { b.WriteString(k + ": " + v + "\r\n") }
	h("From", e.from.String())
	tos := make([]string, len(e.to))
	for i, a := range e.to {
		tos[i] = a.String()
	}
	h("To", strings.Join(tos, ", "))
	h("Subject", mime.QEncoding.Encode("utf-8", subject))
	h("Date", t.Format(time.RFC1123Z))
	h("MIME-Version", "1.0")
	h("Content-Type", "text/plain; charset=utf-8")
	h("Content-Transfer-Encoding", "quoted-printable")
	h("Auto-Submitted", "auto-generated")
	b.WriteString("\r\n")
	qp := quotedprintable.NewWriter(&b)
	body := strings.ReplaceAll(strings.ReplaceAll(m.Text, "\r\n", "\n"), "\r", "\n")
	_, _ = qp.Write([]byte(strings.ReplaceAll(body, "\n", "\r\n")))
	_ = qp.Close()
	b.WriteString("\r\n")
	return b.Bytes()
}
