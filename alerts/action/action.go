// Package action delivers alert notifications: a JSON POST to a webhook, a
// message to a Slack incoming webhook, and email over SMTP with STARTTLS.
//
// It owns the wire formats and the classification of failures (which are
// worth retrying and after how long), not the retrying itself, nor what a
// notification says: the alerts package builds each Message and its
// dispatcher retries what this package reports as transient.
package action

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"
)

// Types of action.
const (
	TypeWebhook = "webhook"
	TypeSlack   = "slack"
	TypeEmail   = "email"
)

// Types lists the action types, for help and validation.
var Types = []string{TypeWebhook, TypeSlack, TypeEmail}

// DefaultTimeout bounds one delivery attempt when a Config gives none.
const DefaultTimeout = 10 * time.Second

// Message is one notification, in every shape an action may need.
type Message struct {
	// Subject is one line saying what happened (an email's subject, the
	// first line of a Slack message). Control characters are removed.
	Subject string
	// Text is the plain-text body, several lines.
	Text string
	// Payload is what a webhook posts, marshalled as JSON.
	Payload any
	// Time dates the message (an email's Date header); the sender's clock
	// when zero.
	Time time.Time
}

// Sender delivers messages through one configured action.
type Sender interface {
	// Name is the action's name in the rules file.
	Name() string
	// Type is webhook, slack or email.
	Type() string
	// Send makes one delivery attempt. Its error is an *Error when the
	// failure is known to be permanent or says when to try again.
	Send(ctx context.Context, m Message) error
}

// Error is a failed delivery with what the caller needs to decide on a
// retry.
type Error struct {
	Err error
	// Permanent says that trying again cannot help (a 4xx answer, a
	// refused recipient, a server without STARTTLS).
	Permanent bool
	// RetryAfter is how long the receiver asked to wait, when it did.
	RetryAfter time.Duration
}

func (e *Error) Error() string { return e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

// IsPermanent reports whether err says that retrying cannot help.
func IsPermanent(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Permanent
}

// RetryAfter returns how long the receiver asked to wait before the next
// attempt, or zero.
func RetryAfter(err error) time.Duration {
	var e *Error
	if errors.As(err, &e) {
		return e.RetryAfter
	}
	return 0
}

func permanent(format string, args ...any) error {
	return &Error{Err: fmt.Errorf(format, args...), Permanent: true}
}

// Config describes one action as a rules file writes it. Secrets can be
// kept out of the file: URLEnv and PasswordEnv name environment variables,
// PasswordFile a file, read when the sender is made.
type Config struct {
	Name string
	Type string
	// Webhook and Slack.
	URL     string
	URLEnv  string
	Headers map[string]string // webhook only
	// Email.
	SMTP         string // host:port; port 587 when missing
	From         string
	To           []string
	Username     string
	PasswordEnv  string
	PasswordFile string
	// NoStartTLS sends without STARTTLS when the server does not offer
	// it (a relay on the same host). By default the server must offer
	// STARTTLS, and the connection is upgraded before anything is
	// authenticated or sent.
	NoStartTLS bool
	// CAFile holds PEM certificates to trust for the SMTP server instead
	// of the system's (a private CA, a self-signed relay).
	CAFile        string
	SubjectPrefix string
	// Timeout bounds one attempt; DefaultTimeout when zero.
	Timeout time.Duration
	// Getenv reads the environment; os.Getenv when nil.
	Getenv func(string) string
	// Now dates messages whose Time is zero; time.Now when nil.
	Now func() time.Time
}

// New makes the sender of a configuration, reading the secrets it names.
func New(c Config) (Sender, error) {
	if c.Getenv == nil {
		c.Getenv = os.Getenv
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Timeout <= 0 {
		c.Timeout = DefaultTimeout
	}
	if strings.TrimSpace(c.Name) == "" {
		return nil, errors.New("action without a name")
	}
	switch c.Type {
	case TypeWebhook, TypeSlack:
		return newHTTP(c)
	case TypeEmail:
		return newEmail(c)
	}
	return nil, fmt.Errorf("action %s: unknown type %q; types are %s", c.Name, c.Type, strings.Join(Types, ", "))
}

// oneLine removes line breaks and other control characters, so that a
// value can stand in a header or a subject.
func oneLine(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\r' || r == '\n' || r == '\t':
			return ' '
		case r < 0x20 || r == 0x7f || (r >= 0x80 && r <= 0x9f):
			return -1
		}
		return r
	}, s)
}
