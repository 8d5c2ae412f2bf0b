package alerts

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vigil-dev/vigil/engine"
)

// waitFor polls cond until it holds, failing the test after 20 seconds.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// running is a Runner started on a data directory.
type running struct {
	eng    *engine.Engine
	store  *Store
	runner *Runner
	cancel context.CancelFunc
	done   chan error
}

func startRunner(t *testing.T, dir string, rs *RuleSet, opts RunnerOptions) *running {
	t.Helper()
	eng := openEngine(t, dir)
	st, err := OpenStore(dir, StoreOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		c := &clock{t: t0.Add(time.Hour)}
		opts.Now = c.Now
	}
	r, err := NewRunner(eng, rs, st, opts)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	x := &running{eng: eng, store: st, runner: r, cancel: cancel, done: make(chan error, 1)}
	go func() { x.done <- r.Run(ctx) }()
	select {
	case <-r.Ready():
	case err := <-x.done:
		t.Fatalf("runner stopped: %v", err)
	}
	return x
}

// stop stops the runner and closes what it had open.
func (x *running) stop(t *testing.T) {
	t.Helper()
	x.cancel()
	if err := <-x.done; err != nil {
		t.Errorf("runner: %v", err)
	}
	x.store.Close()
	x.eng.Close()
}

func (x *running) waitSeq(t *testing.T, seq uint64) {
	t.Helper()
	waitFor(t, "evaluation", func() bool { return x.runner.Metrics().LastSeq >= seq })
}

func TestRunnerRestartMidWindowNeitherLosesNorDuplicates(t *testing.T) {
	dir := t.TempDir()
	rs := only(t, "brute-force-user")
	fail := func(m int) []any { return []any{"login.failed", t0.Add(mins(m))} }
	add := func(x *running, ms ...int) {
		for _, m := range ms {
			f := fail(m)
			appendEvents(t, x.eng, ev(t, f[0].(string), f[1].(time.Time), "user", "bob@x.com", "ip", "203.0.113.5"))
		}
	}

	// First run: three failures, then a stop in the middle of the window.
	x := startRunner(t, dir, rs, RunnerOptions{})
	add(x, 0, 1, 2)
	x.waitSeq(t, 3)
	if n := x.store.Len(); n != 0 {
		t.Fatalf("%d alerts after 3 failures", n)
	}
	x.stop(t)

	// While nothing evaluates, a fourth failure is stored.
	eng := openEngine(t, dir)
	appendEvents(t, eng, ev(t, "login.failed", t0.Add(mins(3)), "user", "bob@x.com", "ip", "203.0.113.5"))
	eng.Close()

	// Second run: the window is rebuilt from the store (three events up to
	// the last evaluated), the fourth is evaluated on start, and the fifth
	// fires with all five in it.
	x = startRunner(t, dir, rs, RunnerOptions{})
	if m := x.runner.Metrics(); m.Rebuilt != 3 {
		t.Errorf("rebuilt %d events, want 3", m.Rebuilt)
	}
	add(x, 4)
	x.waitSeq(t, 5)
	got := x.store.List(Filter{})
	if len(got) != 1 || !slices.Equal(got[0].Seqs, []uint64{1, 2, 3, 4, 5}) || got[0].TriggerSeq != 5 ||
		!got[0].FiredAt.Equal(t0.Add(time.Hour)) || got[0].Count != 5 || got[0].Window != "10m" {
		t.Fatalf("alerts after the restart: %+v", got)
	}
	first := got[0]
	x.stop(t)

	// A crash after the alert was stored but before the last evaluated
	// seq was saved: the state says 3.
	st, err := OpenStore(dir, StoreOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if st.LastSeq() != 5 {
		t.Errorf("last seq saved %d, want 5", st.LastSeq())
	}
	if err := st.SaveLastSeq(3); err != nil {
		t.Fatal(err)
	}
	st.Close()

	// Third run: events 4 and 5 are evaluated again; the alert is found
	// stored and not stored twice. Suppress holds across the restart: a
	// second burst within the hour stays quiet.
	x = startRunner(t, dir, rs, RunnerOptions{})
	x.waitSeq(t, 5)
	waitFor(t, "the repeat", func() bool { return x.runner.Metrics().Duplicates == 1 })
	add(x, 20, 21, 22, 23, 24)
	x.waitSeq(t, 10)
	m := x.runner.Metrics()
	if m.Fired != 0 || m.Duplicates != 1 || m.Rules[0].Suppressed != 1 {
		t.Errorf("metrics after the crash: %+v", m)
	}
	if got := x.store.List(Filter{}); len(got) != 1 || got[0].ID != first.ID {
		t.Errorf("alerts: %+v", got)
	}
	// An hour after the first alert, a burst fires again.
	add(x, 70, 71, 72, 73, 74)
	x.waitSeq(t, 15)
	if got := x.store.List(Filter{}); len(got) != 2 || !slices.Equal(got[0].Seqs, []uint64{11, 12, 13, 14, 15}) {
		t.Errorf("alerts: %+v", got)
	}
	x.stop(t)
}

func TestRunnerFirstRunStartsAfterTheHead(t *testing.T) {
	dir := t.TempDir()
	eng := openEngine(t, dir)
	for i := range 5 {
		appendEvents(t, eng, ev(t, "login.failed", t0.Add(mins(i)), "user", "bob@x.com"))
	}
	eng.Close()
	// Last month's history sends no notifications; it still fills the
	// window: three more failures reach five with the last two stored.
	x := startRunner(t, dir, only(t, "brute-force-user"), RunnerOptions{})
	defer x.stop(t)
	if x.store.LastSeq() != 5 {
		t.Errorf("last seq %d, want 5", x.store.LastSeq())
	}
	appendEvents(t, x.eng, ev(t, "login.failed", t0.Add(mins(30)), "user", "bob@x.com"))
	x.waitSeq(t, 6)
	if n := x.store.Len(); n != 0 {
		t.Errorf("%d alerts from history", n)
	}
}

// hookServer is a webhook receiver on 127.0.0.1 that fails the first
// failures requests with 503, or blocks every request while block is open.
type hookServer struct {
	*httptest.Server
	mu       sync.Mutex
	bodies   [][]byte
	failures int
	block    chan struct{}
	requests atomic.Int32
}

func newHookServer(t *testing.T, failures int, block chan struct{}) *hookServer {
	h := &hookServer{failures: failures, block: block}
	h.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := h.requests.Add(1)
		if h.block != nil {
			select {
			case <-h.block:
			case <-r.Context().Done():
				return
			}
		}
		b, _ := io.ReadAll(r.Body)
		if r.Header.Get("Content-Type") != "application/json" || r.Method != http.MethodPost {
			http.Error(w, "want a JSON POST", http.StatusBadRequest)
			return
		}
		h.mu.Lock()
		h.bodies = append(h.bodies, b)
		h.mu.Unlock()
		if int(n) <= h.failures {
			w.Header().Set("Retry-After", "0")
			http.Error(w, "upstream down", http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(h.Close)
	return h
}

func hookRules(t *testing.T, url string) *RuleSet {
	return mustParse(t, `
actions:
  - name: hook
    type: webhook
    url: `+url+`
rules:
  - name: each-failure
    severity: low
    match: action:login.failed
    group_by: [user]
    actions: [hook]
`)
}

func TestRunnerWebhookThatFailsThenRecovers(t *testing.T) {
	h := newHookServer(t, 2, nil)
	x := startRunner(t, t.TempDir(), hookRules(t, h.URL), RunnerOptions{
		Dispatch: DispatchOptions{Backoff: func(int) time.Duration { return time.Millisecond }},
	})
	defer x.stop(t)
	appendEvents(t, x.eng, ev(t, "login.failed", t0, "user", "bob@x.com", "ip", "203.0.113.5"))
	waitFor(t, "delivery", func() bool { return x.runner.Metrics().Actions[0].Sent == 1 })
	s := x.runner.Metrics().Actions[0]
	if s.Retries != 2 || s.Failed != 0 || s.Dropped != 0 || s.LastError == "" || !s.LastSentAt.Equal(t0.Add(time.Hour)) {
		t.Errorf("action stats %+v", s)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.bodies) != 3 || string(h.bodies[0]) != string(h.bodies[2]) {
		t.Fatalf("%d requests: %s", len(h.bodies), h.bodies)
	}
	var p Payload
	if err := json.Unmarshal(h.bodies[2], &p); err != nil {
		t.Fatal(err)
	}
	if p.Type != "vigil.alert" || p.Alert.Rule != "each-failure" || p.Alert.Group["user"] != "bob@x.com" ||
		!slices.Equal(p.Alert.Seqs, []uint64{1}) || p.Summary == "" {
		t.Errorf("payload %+v", p)
	}
}

func TestSlowActionNeverBlocksEvaluation(t *testing.T) {
	block := make(chan struct{})
	h := newHookServer(t, 0, block)
	x := startRunner(t, t.TempDir(), hookRules(t, h.URL), RunnerOptions{Dispatch: DispatchOptions{QueueSize: 2}})
	defer func() {
		close(block)
		x.stop(t)
	}()
	for i := range 40 {
		appendEvents(t, x.eng, ev(t, "login.failed", t0.Add(mins(i)), "user", "bob@x.com"))
	}
	// Every event is evaluated and its alert stored while the receiver
	// holds the first request.
	x.waitSeq(t, 40)
	m := x.runner.Metrics()
	s := m.Actions[0]
	if m.Fired != 40 || x.store.Len() != 40 || s.Sent != 0 || s.Queued != 3 || s.Dropped != 37 {
		t.Errorf("fired %d, stored %d, action %+v", m.Fired, x.store.Len(), s)
	}
	if n := h.requests.Load(); n != 1 {
		t.Errorf("%d requests", n)
	}
}
