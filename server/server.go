// Package server is vigil's network side: it receives events over HTTP
// (vigil's own POST /v1/events, and the Splunk HTTP Event Collector
// endpoints that shippers such as Vector, Fluent Bit and the OpenTelemetry
// Collector speak) and over syslog (UDP, TCP and TLS), serves /healthz and
// Prometheus /metrics, and serves the explorer over SSH.
//
// Every event goes through the path of `vigil ingest`: the ingest formats
// cut and map the input, the data directory's catalogue normalises it, and
// the store appends it, durably, with group commit: many concurrent
// requests become few fsyncs. An HTTP request is answered 200 only once
// its events are durable. Input that cannot be stored is handed to
// Options.OnReject verbatim, so that nothing received is lost.
//
// The package knows nothing of command lines or terminals: the explorer
// shown over SSH is given to it as a function (Config.Explorer).
package server

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vigil-dev/vigil/engine"
	"github.com/vigil-dev/vigil/event"
	"github.com/vigil-dev/vigil/ingest"
	"github.com/vigil-dev/vigil/store"
)

// Defaults of Options.
const (
	DefaultMaxBodySize = 16 << 20
	DefaultMaxInFlight = 64
	// DefaultBusyWait is how long a request waits for a free slot before
	// it is answered 503.
	DefaultBusyWait = 5 * time.Second
)

// Options configure a Server.
type Options struct {
	// Token is the secret every ingest request must carry: as a bearer
	// token for /v1/events, as "Authorization: Splunk TOKEN" for the HEC
	// endpoints. With no token, every HTTP ingest request is refused.
	Token string
	// MaxBodySize bounds a request body, compressed and decompressed;
	// DefaultMaxBodySize when 0. A larger body is answered 413.
	MaxBodySize int64
	// MaxEventSize bounds one event (a line, an array element, an HEC
	// envelope, a syslog message); ingest.DefaultMaxEventSize when 0.
	MaxEventSize int
	// MaxInFlight bounds the ingest requests handled at once (and so the
	// memory their bodies take); DefaultMaxInFlight when 0. Requests
	// beyond it wait up to BusyWait, then get 503.
	MaxInFlight int
	// BusyWait is how long a request waits for a slot; DefaultBusyWait
	// when 0.
	BusyWait time.Duration
	// Formats are the input formats offered besides the native one, as
	// for ingest.Run: a body of /v1/events (or /services/collector/raw) in
	// one of them is detected and read in it.
	Formats []ingest.Format
	// OnReject receives every input unit that could not be stored,
	// verbatim, with its position and reason. It is called from many
	// goroutines at once.
	OnReject func(ingest.Reject)
	// SyslogLocation is the zone of RFC 3164 timestamps; time.Local when
	// nil.
	SyslogLocation *time.Location
	// MoreMetrics, when set, writes more metric families (the alert
	// runner's) in the Prometheus text format at the end of /metrics.
	MoreMetrics func(io.Writer)
	// Clock gives the time of arrival; time.Now when nil.
	Clock  func() time.Time
	Logger *slog.Logger
}

// Server receives events into one engine. Create it with New; it is safe
// for concurrent use.
type Server struct {
	eng     *engine.Engine
	st      *store.Store
	cat     *event.Catalogue
	opts    Options
	log     *slog.Logger
	clock   func() time.Time
	metrics *Metrics
	slots   chan struct{}
	closing atomic.Bool
	bodies  sync.Pool // request bodies, reused

	syslog *syslogReceiver
}

// New returns a server that stores into eng.
func New(eng *engine.Engine, opts Options) (*Server, error) {
	if opts.MaxBodySize <= 0 {
		opts.MaxBodySize = DefaultMaxBodySize
	}
	if opts.MaxEventSize <= 0 {
		opts.MaxEventSize = ingest.DefaultMaxEventSize
	}
	if opts.MaxInFlight <= 0 {
		opts.MaxInFlight = DefaultMaxInFlight
	}
	if opts.BusyWait <= 0 {
		opts.BusyWait = DefaultBusyWait
	}
	if opts.Clock == nil {
		opts.Clock = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	s := &Server{
		eng:     eng,
		st:      eng.Store(),
		cat:     eng.Catalogue(),
		opts:    opts,
		log:     opts.Logger,
		clock:   opts.Clock,
		metrics: newMetrics(),
		slots:   make(chan struct{}, opts.MaxInFlight),
	}
	s.syslog = newSyslogReceiver(s)
	return s, nil
}

// Metrics are the server's counters.
func (s *Server) Metrics() *Metrics { return s.metrics }

// Handler serves every HTTP endpoint:
//
//	POST /v1/events                     native events (object, array, JSON Lines) or another ingest format
//	POST /services/collector[/event]    Splunk HEC JSON envelopes (also .../event/1.0)
//	POST /services/collector/raw        Splunk HEC raw lines (also .../raw/1.0)
//	GET  /services/collector/health     HEC health (also .../health/1.0)
//	POST /services/collector/ack        answered "ACK is disabled": every 200 is already durable
//	GET  /healthz                       liveness and store state
//	GET  /metrics                       Prometheus text format
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/v1/events", s.handleEvents)
	for _, p := range []string{"/services/collector", "/services/collector/event", "/services/collector/event/1.0"} {
		mux.HandleFunc(p, s.handleHECEvent)
	}
	for _, p := range []string{"/services/collector/raw", "/services/collector/raw/1.0"} {
		mux.HandleFunc(p, s.handleHECRaw)
	}
	for _, p := range []string{"/services/collector/health", "/services/collector/health/1.0"} {
		mux.HandleFunc(p, s.handleHECHealth)
	}
	mux.HandleFunc("/services/collector/ack", s.handleHECAck)
	mux.HandleFunc("/healthz", s.handleHealthz)
	mux.HandleFunc("/metrics", s.handleMetrics)
	return mux
}

// StartClosing makes the server answer new ingest requests 503 (and its
// health checks unhealthy) while requests in progress finish.
func (s *Server) StartClosing() { s.closing.Store(true) }

// Close stops the syslog receivers and stores every message they
// accepted. HTTP requests are the http.Server's to finish (Shutdown).
func (s *Server) Close() error {
	s.StartClosing()
	return s.syslog.close()
}

// checkToken compares a presented token with the server's in constant time.
func (s *Server) checkToken(tok string) bool {
	return s.opts.Token != "" && subtle.ConstantTimeCompare([]byte(tok), []byte(s.opts.Token)) == 1
}

// acquire takes a slot for an ingest request, waiting up to BusyWait. It
// fails when the server is closing or stays busy.
func (s *Server) acquire(ctx context.Context) bool {
	if s.closing.Load() {
		return false
	}
	select {
	case s.slots <- struct{}{}:
		return true
	default:
	}
	t := time.NewTimer(s.opts.BusyWait)
	defer t.Stop()
	select {
	case s.slots <- struct{}{}:
		return true
	case <-t.C:
	case <-ctx.Done():
	}
	return false
}

func (s *Server) release() { <-s.slots }

// errTooLarge is returned by readBody for a body over the limit.
type errTooLarge struct{ limit int64 }

func (e errTooLarge) Error() string {
	return fmt.Sprintf("the body is larger than the limit of %d bytes", e.limit)
}

// errEncoding is returned by readBody for a Content-Encoding it cannot undo.
type errEncoding struct{ msg string }

func (e errEncoding) Error() string { return e.msg }

// readBody reads a request body whole, undoing gzip, bounded by
// MaxBodySize before and after decompression. The buffer goes back to the
// pool with putBody once nothing refers to it.
func (s *Server) readBody(w http.ResponseWriter, r *http.Request) (*bytes.Buffer, error) {
	limit := s.opts.MaxBodySize
	if r.ContentLength > limit {
		return nil, errTooLarge{limit}
	}
	var body io.Reader = http.MaxBytesReader(w, r.Body, limit)
	switch enc := strings.ToLower(strings.TrimSpace(r.Header.Get("Content-Encoding"))); enc {
	case "", "identity":
	case "gzip", "x-gzip":
		zr, err := gzip.NewReader(body)
		if err != nil {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				return nil, errTooLarge{limit}
			}
			if errors.Is(err, io.EOF) {
				return new(bytes.Buffer), nil
			}
			return nil, errEncoding{fmt.Sprintf("the body is not gzip: %v", err)}
		}
		defer zr.Close()
		body = io.LimitReader(zr, limit+1)
	default:
		return nil, errEncoding{fmt.Sprintf("Content-Encoding %q is not supported (send gzip or nothing)", enc)}
	}
	buf, _ := s.bodies.Get().(*bytes.Buffer)
	if buf == nil {
		buf = new(bytes.Buffer)
	}
	buf.Reset()
	if r.ContentLength > 0 {
		buf.Grow(int(r.ContentLength))
	}
	_, err := buf.ReadFrom(body)
	if err == nil && int64(buf.Len()) > limit {
		err = errTooLarge{limit}
	}
	if err != nil {
		s.putBody(buf)
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, errTooLarge{limit}
		}
		var tl errTooLarge
		if errors.As(err, &tl) {
			return nil, err
		}
		if errors.Is(err, gzip.ErrChecksum) || errors.Is(err, gzip.ErrHeader) || errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, errEncoding{fmt.Sprintf("the body is not valid gzip: %v", err)}
		}
		return nil, fmt.Errorf("read the body: %w", err)
	}
	return buf, nil
}

// putBody returns a body buffer to the pool; very large ones are dropped
// so that the pool does not pin memory.
func (s *Server) putBody(b *bytes.Buffer) {
	if b.Cap() <= 4<<20 {
		s.bodies.Put(b)
	}
}

// batch is the events of one request on their way to the store.
type batch struct {
	input    input
	source   string // how rejects name the request
	prepared []store.Prepared
	rejects  []ingest.Reject
	units    int
}

// prepare normalises a mapped event and readies it for the store.
func (s *Server) prepare(b *batch, ev *event.Event, line int, raw []byte) {
	s.cat.Normalize(ev)
	p, err := s.st.Prepare(ev)
	if err != nil {
		b.reject(line, raw, err.Error())
		return
	}
	b.prepared = append(b.prepared, p)
}

func (b *batch) reject(line int, raw []byte, reason string) {
	b.rejects = append(b.rejects, ingest.Reject{Source: b.source, Line: line, Reason: reason, Raw: raw})
}

// errClosing is returned by store when the server no longer accepts work.
var errClosing = errors.New("the server is shutting down")

// store appends a batch's events and waits until they are durable (or
// the store fails); the request's cancellation does not abandon the write.
// It reports the rejects, counts everything, and records the latency since
// start.
func (s *Server) store(ctx context.Context, b *batch, start time.Time) (store.AppendResult, error) {
	for _, r := range b.rejects {
		if s.opts.OnReject != nil {
			s.opts.OnReject(r)
		}
	}
	s.metrics.rejected[b.input].Add(uint64(len(b.rejects)))
	if len(b.prepared) == 0 {
		return store.AppendResult{}, nil
	}
	p, err := s.st.Submit(context.WithoutCancel(ctx), b.prepared)
	if err != nil {
		if errors.Is(err, store.ErrClosed) {
			return store.AppendResult{}, errClosing
		}
		return store.AppendResult{}, err
	}
	res, err := p.Wait(context.WithoutCancel(ctx))
	if err != nil {
		return res, err
	}
	s.metrics.stored[b.input].Add(uint64(res.Stored))
	s.metrics.duplicates[b.input].Add(uint64(res.Dups))
	s.metrics.latency[b.input].observe(time.Since(start).Seconds())
	return res, nil
}

// remote names a request's client for rejects and logs: its address
// without the port.
func remote(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	data, _ := json.Marshal(v)
	_, _ = w.Write(append(data, '\n'))
}

func (s *Server) handleHealthz(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		writeJSON(w, http.StatusMethodNotAllowed, map[string]string{"error": "use GET"})
		return
	}
	head := s.st.Head()
	status, state := http.StatusOK, "ok"
	if s.closing.Load() {
		status, state = http.StatusServiceUnavailable, "shutting down"
	}
	writeJSON(w, status, map[string]any{
		"status":      state,
		"head_seq":    head.Seq,
		"indexed_seq": s.eng.IndexedSeq(),
		"index_lag":   s.eng.IndexLag(),
	})
}

// parseEpoch reads HEC's time: epoch seconds, with a fraction, as a JSON
// number or a string of one.
func parseEpoch(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, errors.New("empty time")
	}
	f, err := strconv.ParseFloat(s, 64)
	// The years 0000 to 9999, the ones a record can write.
	if err != nil || f != f || f < -62167219200 || f >= 253402300800 {
		return time.Time{}, fmt.Errorf("time %q is not epoch seconds", s)
	}
	// Keep the digits of the fraction exactly when they are given.
	if i := strings.IndexByte(s, '.'); i >= 0 && !strings.ContainsAny(s, "eE") {
		sec, err1 := strconv.ParseInt(s[:i], 10, 64)
		frac := (s[i+1:] + "000000000")[:9]
		ns, err2 := strconv.ParseInt(frac, 10, 64)
		if err1 == nil && err2 == nil && ns >= 0 {
			if strings.HasPrefix(s, "-") {
				ns = -ns
			}
			return time.Unix(sec, ns).UTC(), nil
		}
	}
	sec := int64(f)
	return time.Unix(sec, int64((f-float64(sec))*1e9)).UTC(), nil
}
