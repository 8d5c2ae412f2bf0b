package server

import (
	"bufio"
	"fmt"
	"math"
	"net/http"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
)

// input names where events come in, as the metrics label them.
type input int

const (
	inputEvents input = iota // POST /v1/events
	inputHEC                 // the Splunk HEC endpoints
	inputSyslog              // syslog over UDP, TCP, TLS
	numInputs
)

var inputNames = [numInputs]string{"events", "hec", "syslog"}

// latencyBuckets are the upper bounds, in seconds, of the ingest latency
// histogram: from a request's arrival to its events being durable.
var latencyBuckets = []float64{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}

// Metrics counts what the server did. The exposition in the Prometheus
// text format is written by hand: a handful of counters and one histogram
// do not need the client library and its dependencies.
type Metrics struct {
	stored, duplicates, rejected [numInputs]atomic.Uint64
	latency                      [numInputs]histogram

	mu       sync.Mutex
	requests map[requestKey]uint64

	// SyslogConnections is the number of open syslog TCP connections.
	SyslogConnections atomic.Int64
	// SSHSessions is the number of open explorer sessions.
	SSHSessions atomic.Int64
}

type requestKey struct {
	in     input
	status int
}

func newMetrics() *Metrics { return &Metrics{requests: map[requestKey]uint64{}} }

func (m *Metrics) request(in input, status int) {
	m.mu.Lock()
	m.requests[requestKey{in, status}]++
	m.mu.Unlock()
}

// Stored is the number of events stored from all inputs.
func (m *Metrics) Stored() uint64 {
	var n uint64
	for i := range m.stored {
		n += m.stored[i].Load()
	}
	return n
}

// histogram is a Prometheus histogram with fixed buckets.
type histogram struct {
	mu     sync.Mutex
	counts [14]uint64 // per bucket of latencyBuckets, then +Inf
	sum    float64
	n      uint64
}

func (h *histogram) observe(v float64) {
	i := sort.SearchFloat64s(latencyBuckets, v)
	h.mu.Lock()
	h.counts[i]++
	h.sum += v
	h.n++
	h.mu.Unlock()
}

// Gauges are the values the metrics read from the engine at each scrape.
type Gauges struct {
	HeadSeq, IndexedSeq, IndexLag uint64
	Subscribers                   int
}

// WriteText writes the metrics in the Prometheus text exposition format
// (version 0.0.4).
func (m *Metrics) WriteText(w *bufio.Writer, g Gauges) error {
	family := func(name, typ, help string) {
		fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, typ)
	}
	perInput := func(name, help string, c *[numInputs]atomic.Uint64) {
		family(name, "counter", help)
		for i := range c {
			fmt.Fprintf(w, "%s{input=%q} %d\n", name, inputNames[i], c[i].Load())
		}
	}
	perInput("vigil_events_stored_total", "Events stored, by input.", &m.stored)
	perInput("vigil_events_duplicate_total", "Events not stored because their event_id was already stored, by input.", &m.duplicates)
	perInput("vigil_events_rejected_total", "Input units rejected (kept verbatim in the rejects file), by input.", &m.rejected)

	family("vigil_ingest_latency_seconds", "histogram", "Time from a request's (or syslog message's) arrival until its events are durable.")
	for i := range m.latency {
		h := &m.latency[i]
		h.mu.Lock()
		var cum uint64
		for b, le := range latencyBuckets {
			cum += h.counts[b]
			fmt.Fprintf(w, "vigil_ingest_latency_seconds_bucket{input=%q,le=%q} %d\n", inputNames[i], formatFloat(le), cum)
		}
		cum += h.counts[len(latencyBuckets)]
		fmt.Fprintf(w, "vigil_ingest_latency_seconds_bucket{input=%q,le=\"+Inf\"} %d\n", inputNames[i], cum)
		fmt.Fprintf(w, "vigil_ingest_latency_seconds_sum{input=%q} %s\n", inputNames[i], formatFloat(h.sum))
		fmt.Fprintf(w, "vigil_ingest_latency_seconds_count{input=%q} %d\n", inputNames[i], h.n)
		h.mu.Unlock()
	}

	family("vigil_http_requests_total", "counter", "HTTP ingest requests answered, by input and status code.")
	m.mu.Lock()
	keys := make([]requestKey, 0, len(m.requests))
	for k := range m.requests {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].in != keys[j].in {
			return keys[i].in < keys[j].in
		}
		return keys[i].status < keys[j].status
	})
	for _, k := range keys {
		fmt.Fprintf(w, "vigil_http_requests_total{input=%q,code=\"%d\"} %d\n", inputNames[k.in], k.status, m.requests[k])
	}
	m.mu.Unlock()

	gauge := func(name, help string, v uint64) {
		family(name, "gauge", help)
		fmt.Fprintf(w, "%s %d\n", name, v)
	}
	gauge("vigil_store_head_seq", "Seq of the newest stored event.", g.HeadSeq)
	gauge("vigil_index_seq", "Newest seq searchable.", g.IndexedSeq)
	gauge("vigil_index_lag_events", "Stored events not yet searchable.", g.IndexLag)
	gauge("vigil_live_subscribers", "Subscribers of the live event bus.", uint64(g.Subscribers))
	gauge("vigil_syslog_connections", "Open syslog TCP connections.", uint64(max(0, m.SyslogConnections.Load())))
	gauge("vigil_ssh_sessions", "Open explorer sessions over SSH.", uint64(max(0, m.SSHSessions.Load())))
	return w.Flush()
}

func formatFloat(v float64) string {
	if math.IsInf(v, 1) {
		return "+Inf"
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}

func (s *Server) handleMetrics(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "use GET", http.StatusMethodNotAllowed)
		return
	}
	g := Gauges{
		HeadSeq:     s.st.Head().Seq,
		IndexedSeq:  s.eng.IndexedSeq(),
		IndexLag:    s.eng.IndexLag(),
		Subscribers: s.eng.Subscribers(),
	}
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	bw := bufio.NewWriter(w)
	_ = s.metrics.WriteText(bw, g)
	if s.opts.MoreMetrics != nil {
		s.opts.MoreMetrics(bw)
		_ = bw.Flush()
	}
}
