package bench

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/vigil-dev/vigil/engine"
	"github.com/vigil-dev/vigil/event"
	"github.com/vigil-dev/vigil/server"
	"github.com/vigil-dev/vigil/testdata/demo"
)

// ServeConfig chooses the load of RunServe.
type ServeConfig struct {
	// Events posted in all; 200000 when 0.
	Events int
	// Clients post at once; 8 when 0.
	Clients int
	// Batch is the events of one request; 500 when 0.
	Batch int
	// Rate, when above 0, paces the posting of the Live phase at that many
	// events per second (the other phases run flat out): a rate the index
	// can follow shows how far behind the store it stays.
	Rate int
	Seed int64
	// Dir holds the data directories made; a temporary directory when "".
	Dir      string
	Progress func(name string)
}

// ServeResult is what RunServe measured.
type ServeResult struct {
	Events, Requests, Clients, Batch int
	// Live is vigil serve as it runs: HTTP ingest with the index following.
	Live Phase
	// HTTP is the same load with no indexer running, and Direct its
	// baseline: the same batches decoded, normalised and appended by as
	// many goroutines straight to the engine (engine.Append, durable),
	// without HTTP. Their ratio is the cost of HTTP.
	HTTP, Direct Phase
	// MaxIndexLag is the most stored events not yet searchable during
	// Live, sampled every 20ms; IndexDelay the longest an event stored
	// waited to be searchable (by the same samples); CatchUp how long
	// after Live's last answer the index had everything.
	MaxIndexLag uint64
	IndexDelay  time.Duration
	CatchUp     time.Duration
}

// Phase is one timed run of the load.
type Phase struct {
	// Duration runs from the first request to the last answer, every
	// answer a 200 (events durable).
	Duration time.Duration
	// P50, P99 and Max are the acknowledgement latencies of the requests
	// (of the appends, for Direct).
	P50, P99, Max time.Duration
	events        int
}

// Rate is the accepted events per second.
func (p Phase) Rate() float64 { return float64(p.events) / p.Duration.Seconds() }

// IndexRate is the events indexed per second during Live and its catch-up.
func (r ServeResult) IndexRate() float64 {
	return float64(r.Events) / (r.Live.Duration + r.CatchUp).Seconds()
}

// RunServe measures vigil serve's HTTP ingest on loopback: Clients
// clients post the generated events in batches to POST /v1/events of a
// server over a fresh data directory, each waiting for its answer (sent
// once the batch is durable) before the next. It runs three phases, each
// on fresh data directories: the direct baseline and HTTP without an
// indexer (the cost of HTTP; twice each, the faster run counting), then
// Live, a real `vigil serve` with the index following. It stops by itself
// once every event is posted and indexed.
func RunServe(ctx context.Context, cfg ServeConfig) (ServeResult, error) {
	if cfg.Events <= 0 {
		cfg.Events = 200_000
	}
	if cfg.Clients <= 0 {
		cfg.Clients = 8
	}
	if cfg.Batch <= 0 {
		cfg.Batch = 500
	}
	dir := cfg.Dir
	if dir == "" {
		d, err := os.MkdirTemp("", "vigil-bench-serve")
		if err != nil {
			return ServeResult{}, fmt.Errorf("bench: %w", err)
		}
		defer os.RemoveAll(d)
		dir = d
	}
	say := func(s string) {
		if cfg.Progress != nil {
			cfg.Progress(s)
		}
	}
	say("generate events")
	var jsonl bytes.Buffer
	if _, err := demo.WriteJSONL(&jsonl, demo.Config{Events: cfg.Events, Days: 30, Seed: cfg.Seed, End: time.Date(2025, 2, 1, 0, 0, 0, 0, time.UTC)}); err != nil {
		return ServeResult{}, err
	}
	lines := bytes.Split(bytes.TrimSpace(jsonl.Bytes()), []byte{'\n'})
	var batches [][][]byte
	for i := 0; i < len(lines); i += cfg.Batch {
		batches = append(batches, lines[i:min(i+cfg.Batch, len(lines))])
	}
	res := ServeResult{Events: len(lines), Requests: len(batches), Clients: cfg.Clients, Batch: cfg.Batch}
	// The baseline and HTTP run twice each, in the order A B B A, and the
	// faster run of each counts: on a shared machine, what else runs
	// slows one run or another, and the order of the phases matters less.
	for i, name := range []string{"direct", "http", "http", "direct"} {
		var ph Phase
		var err error
		d := filepath.Join(dir, fmt.Sprintf("%s-%d", name, i))
		if name == "direct" {
			say("append directly, no index (baseline)")
			ph, err = runDirect(ctx, d, batches, cfg.Clients)
		} else {
			say("post over HTTP, no index")
			ph, err = runHTTP(ctx, d, batches, cfg.Clients, -1, &res)
		}
		if err != nil {
			return res, err
		}
		os.RemoveAll(d)
		best := &res.Direct
		if name == "http" {
			best = &res.HTTP
		}
		if best.Duration == 0 || ph.Duration < best.Duration {
			*best = ph
		}
	}
	var err error
	say("post over HTTP to vigil serve, the index following")
	if res.Live, err = runHTTP(ctx, filepath.Join(dir, "live"), batches, cfg.Clients, cfg.Rate, &res); err != nil {
		return res, err
	}
	return res, nil
}

// quiet discards the logs of a benchmark's server and engine.
var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// runHTTP posts the batches to a server over a fresh engine: `vigil
// serve` itself (server.Start, the indexer running) when rate >= 0 (paced
// at rate events/s when above 0), else the server's handler alone.
func runHTTP(ctx context.Context, dir string, batches [][][]byte, clients, rate int, res *ServeResult) (Phase, error) {
	live := rate >= 0
	ph := Phase{events: res.Events}
	eng, err := engine.Open(dir, engine.Options{Logger: quiet})
	if err != nil {
		return ph, err
	}
	defer eng.Close()
	const token = "bench"
	opts := server.Options{Token: token, Logger: quiet, MaxInFlight: clients * 2}
	var addr string
	if live {
		in, err := server.Start(eng, server.Config{Options: opts, HTTPAddr: "127.0.0.1:0"})
		if err != nil {
			return ph, err
		}
		defer in.Shutdown(context.Background())
		addr = in.Addrs().HTTP.String()
	} else {
		srv, err := server.New(eng, opts)
		if err != nil {
			return ph, err
		}
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return ph, err
		}
		hs := &http.Server{Handler: srv.Handler()}
		go hs.Serve(ln)
		defer hs.Close()
		addr = ln.Addr().String()
	}
	url := "http://" + addr + "/v1/events"
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: clients, DisableCompression: true}}

	// Index lag, sampled.
	type sample struct {
		at          time.Time
		head, index uint64
	}
	var samples []sample
	stopSampling := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		t := time.NewTicker(20 * time.Millisecond)
		defer t.Stop()
		for {
			head, ix := eng.Store().Head().Seq, eng.IndexedSeq()
			samples = append(samples, sample{time.Now(), head, ix})
			select {
			case <-stopSampling:
				return
			case <-t.C:
			}
		}
	}()
	defer func() {
		select {
		case <-stopSampling:
		default:
			close(stopSampling)
		}
		<-sampled
	}()

	start := time.Now()
	latencies, err := load(ctx, batches, clients, max(rate, 0), func(b [][]byte, body *bytes.Buffer) error {
		body.Reset()
		for _, l := range b {
			body.Write(l)
			body.WriteByte('\n')
		}
		return post(ctx, client, url, token, body.Bytes())
	})
	ph.Duration = time.Since(start)
	if err != nil {
		return ph, err
	}
	ph.P50, ph.P99, ph.Max = percentiles(latencies)
	want := uint64(res.Events)
	if head := eng.Store().Head().Seq; head != want {
		return ph, fmt.Errorf("bench serve: %d events stored, want %d", head, want)
	}
	if !live {
		return ph, nil
	}
	// Wait for the index to have everything, bounded.
	deadline := time.Now().Add(10 * time.Minute)
	for eng.IndexedSeq() < want {
		if time.Now().After(deadline) || ctx.Err() != nil {
			return ph, errors.New("bench serve: the index did not catch up within 10 minutes")
		}
		time.Sleep(10 * time.Millisecond)
	}
	res.CatchUp = time.Since(start) - ph.Duration
	close(stopSampling)
	<-sampled
	for i, s := range samples {
		res.MaxIndexLag = max(res.MaxIndexLag, s.head-min(s.head, s.index))
		// How long until the index reached the head of this sample.
		for _, later := range samples[i:] {
			if later.index >= s.head {
				res.IndexDelay = max(res.IndexDelay, later.at.Sub(s.at))
				break
			}
		}
	}
	return ph, nil
}

// load runs send on every batch from clients goroutines and returns the
// time each send took. A rate above 0 releases the batches at that many
// events per second.
func load(ctx context.Context, batches [][][]byte, clients, rate int, send func(b [][]byte, body *bytes.Buffer) error) ([]time.Duration, error) {
	work := make(chan [][]byte)
	var mu sync.Mutex
	var latencies []time.Duration
	var firstErr error
	var wg sync.WaitGroup
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var body bytes.Buffer
			for b := range work {
				t0 := time.Now()
				err := send(b, &body)
				d := time.Since(t0)
				mu.Lock()
				latencies = append(latencies, d)
				if err != nil && firstErr == nil {
					firstErr = err
				}
				mu.Unlock()
			}
		}()
	}
	start, sent := time.Now(), 0
feed:
	for _, b := range batches {
		if rate > 0 {
			due := start.Add(time.Duration(float64(sent) / float64(rate) * float64(time.Second)))
			select {
			case <-time.After(time.Until(due)):
			case <-ctx.Done():
				break feed
			}
			sent += len(b)
		}
		select {
		case work <- b:
		case <-ctx.Done():
			break feed
		}
	}
	close(work)
	wg.Wait()
	if firstErr == nil {
		firstErr = ctx.Err()
	}
	return latencies, firstErr
}

func percentiles(ds []time.Duration) (p50, p99, maxd time.Duration) {
	if len(ds) == 0 {
		return 0, 0, 0
	}
	slices.Sort(ds)
	pct := func(p float64) time.Duration { return ds[min(len(ds)-1, int(p*float64(len(ds))))] }
	return pct(0.50), pct(0.99), ds[len(ds)-1]
}

func post(ctx context.Context, client *http.Client, url, token string, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/x-ndjson")
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("bench serve: %d %s", resp.StatusCode, msg)
	}
	return nil
}

// runDirect appends the same batches, decoded and normalised, from as many
// goroutines straight to a fresh engine.
func runDirect(ctx context.Context, dir string, batches [][][]byte, clients int) (Phase, error) {
	ph := Phase{}
	for _, b := range batches {
		ph.events += len(b)
	}
	eng, err := engine.Open(dir, engine.Options{Logger: quiet})
	if err != nil {
		return ph, err
	}
	defer eng.Close()
	cat := eng.Catalogue()
	start := time.Now()
	latencies, err := load(ctx, batches, clients, 0, func(b [][]byte, _ *bytes.Buffer) error {
		var dec event.Decoder
		evs := make([]*event.Event, 0, len(b))
		for _, l := range b {
			ev, err := dec.Decode(l)
			if err != nil {
				return err
			}
			cat.Normalize(ev)
			evs = append(evs, ev)
		}
		_, err := eng.Append(ctx, evs)
		return err
	})
	ph.Duration = time.Since(start)
	ph.P50, ph.P99, ph.Max = percentiles(latencies)
	return ph, err
}
