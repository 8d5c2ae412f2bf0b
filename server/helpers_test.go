package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigil-dev/vigil/engine"
	"github.com/vigil-dev/vigil/event"
	"github.com/vigil-dev/vigil/ingest"
	"github.com/vigil-dev/vigil/ingest/cloudtrail"
	"github.com/vigil-dev/vigil/server"
	"github.com/vigil-dev/vigil/store"
)

const token = "s3cret-token"

// fixture is a running server on 127.0.0.1 over a real engine in a
// temporary directory.
type fixture struct {
	t       *testing.T
	dir     string
	eng     *engine.Engine
	in      *server.Instance
	url     string
	mu      sync.Mutex
	rejects []ingest.Reject
}

func start(t *testing.T, mod func(*server.Config)) *fixture {
	t.Helper()
	f := &fixture{t: t, dir: t.TempDir()}
	eng, err := engine.Open(f.dir, engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	f.eng = eng
	cfg := server.Config{
		Options: server.Options{
			Token:   token,
			Formats: []ingest.Format{cloudtrail.Format{}},
			OnReject: func(r ingest.Reject) {
				f.mu.Lock()
				r.Raw = append([]byte(nil), r.Raw...)
				f.rejects = append(f.rejects, r)
				f.mu.Unlock()
			},
		},
		HTTPAddr: "127.0.0.1:0",
	}
	cfg.Logger = slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
	if mod != nil {
		mod(&cfg)
	}
	in, err := server.Start(eng, cfg)
	if err != nil {
		eng.Close()
		t.Fatal(err)
	}
	f.in = in
	if a := in.Addrs().HTTP; a != nil {
		f.url = "http://" + a.String()
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := in.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
		if err := eng.Close(); err != nil {
			t.Errorf("close engine: %v", err)
		}
	})
	return f
}

type response struct {
	status int
	body   []byte
	header http.Header
}

func (r response) json(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("response %d %q: %v", r.status, r.body, err)
	}
}

// post sends body to path with the given Authorization header ("" for
// none) and more headers as name, value pairs.
func (f *fixture) post(path, auth string, body io.Reader, headers ...string) response {
	f.t.Helper()
	req, err := http.NewRequest(http.MethodPost, f.url+path, body)
	if err != nil {
		f.t.Fatal(err)
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	return f.do(req)
}

func (f *fixture) get(path string) response {
	f.t.Helper()
	req, err := http.NewRequest(http.MethodGet, f.url+path, nil)
	if err != nil {
		f.t.Fatal(err)
	}
	return f.do(req)
}

func (f *fixture) do(req *http.Request) response {
	f.t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		f.t.Fatal(err)
	}
	return response{status: resp.StatusCode, body: b, header: resp.Header}
}

// stored reads every stored event back from the store, in seq order.
func (f *fixture) stored() []*event.Event {
	f.t.Helper()
	var out []*event.Event
	st := f.eng.Store()
	err := st.Scan(context.Background(), 1, st.Head().Seq, false, func(r store.Record) error {
		ev, err := r.Event()
		if err != nil {
			return err
		}
		out = append(out, ev)
		return nil
	})
	if err != nil {
		f.t.Fatal(err)
	}
	return out
}

func (f *fixture) ids() []string {
	var ids []string
	for _, ev := range f.stored() {
		ids = append(ids, ev.ID)
	}
	sort.Strings(ids)
	return ids
}

func (f *fixture) rejected() []ingest.Reject {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]ingest.Reject(nil), f.rejects...)
}

// waitFor polls cond until it holds or a few seconds pass.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func native(id, ts, typ string) string {
	return fmt.Sprintf(`{"event_id":%q,"timestamp":%q,"event_type":%q,"actor":{"email":"ana@example.com"},"context":{"ip":"203.0.113.7"}}`, id, ts, typ)
}

func lines(ls ...string) *bytes.Reader { return bytes.NewReader([]byte(strings.Join(ls, "\n") + "\n")) }

// testWriter sends log lines to the test's log.
type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}
