package action

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// httpSender posts to a webhook: the message's Payload as JSON, or, for
// Slack, a {"text": ...} message.
type httpSender struct {
	name, typ string
	url       string
	headers   map[string]string
	client    *http.Client
	now       func() time.Time
}

func newHTTP(c Config) (Sender, error) {
	raw := c.URL
	if c.URLEnv != "" {
		if raw != "" {
			return nil, fmt.Errorf("action %s: give url or url_env, not both", c.Name)
		}
		raw = c.Getenv(c.URLEnv)
		if raw == "" {
			return nil, fmt.Errorf("action %s: url_env %s is not set", c.Name, c.URLEnv)
		}
	}
	if raw == "" {
		return nil, fmt.Errorf("action %s: url is missing", c.Name)
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		// The URL may hold a secret token: never repeat it.
		return nil, fmt.Errorf("action %s: url is not an http(s) URL", c.Name)
	}
	if c.Type == TypeSlack && len(c.Headers) > 0 {
		return nil, fmt.Errorf("action %s: a Slack incoming webhook takes no headers", c.Name)
	}
	for k, v := range c.Headers {
		if k == "" || strings.ContainsAny(k, " :\r\n") || strings.ContainsAny(v, "\r\n") {
			return nil, fmt.Errorf("action %s: bad header %q", c.Name, oneLine(k))
		}
	}
	return &httpSender{
		name:    c.Name,
		typ:     c.Type,
		url:     raw,
		headers: c.Headers,
		now:     c.Now,
		client: &http.Client{
			Timeout: c.Timeout,
			// A webhook that redirects is misconfigured; following it
			// would repost (or turn the POST into a GET) somewhere else.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
	}, nil
}

func (h *httpSender) Name() string { return h.name }
func (h *httpSender) Type() string { return h.typ }

// SlackText is the text of a Slack message for m: the subject in bold, then
// the body, with &, < and > escaped as Slack's message formatting requires
// (so that no value can become a link or a mention).
func SlackText(m Message) string {
	esc := strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")
	var b strings.Builder
	b.WriteString("*")
	b.WriteString(esc.Replace(oneLine(m.Subject)))
	b.WriteString("*")
	if m.Text != "" {
		b.WriteString("\n")
		b.WriteString(esc.Replace(m.Text))
	}
	return b.String()
}

func (h *httpSender) Send(ctx context.Context, m Message) error {
	var body []byte
	var err error
	if h.typ == TypeSlack {
		body, err = json.Marshal(map[string]string{"text": SlackText(m)})
	} else {
		body, err = json.Marshal(m.Payload)
	}
	if err != nil {
		return permanent("%s %s: encode: %w", h.typ, h.name, err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, h.url, bytes.NewReader(body))
	if err != nil {
		return permanent("%s %s: %w", h.typ, h.name, err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "vigil-alerts")
	for k, v := range h.headers {
		req.Header.Set(k, v)
	}
	resp, err := h.client.Do(req)
	if err != nil {
		// Transport errors carry the URL, which may hold a token.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return &Error{Err: fmt.Errorf("%s %s: post: %w", h.typ, h.name, err)}
	}
	defer resp.Body.Close()
	snippet, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return nil
	}
	e := &Error{Err: fmt.Errorf("%s %s: HTTP %d: %s", h.typ, h.name, resp.StatusCode, oneLine(strings.TrimSpace(string(snippet))))}
	switch {
	case resp.StatusCode == http.StatusTooManyRequests, resp.StatusCode == http.StatusRequestTimeout, resp.StatusCode >= 500:
		e.RetryAfter = retryAfter(resp.Header.Get("Retry-After"), h.now())
	default:
		e.Permanent = true
	}
	return e
}

// retryAfter reads a Retry-After header: seconds or an HTTP date.
func retryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if n, err := strconv.Atoi(v); err == nil && n >= 0 {
		return time.Duration(n) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}
