package server_test

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigil-dev/vigil/engine"
	"github.com/vigil-dev/vigil/server"
)

var (
	metricLine = regexp.MustCompile(`^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*"(?:,[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*")*)\})? (\S+)$`)
	helpLine   = regexp.MustCompile(`^# HELP ([a-zA-Z_:][a-zA-Z0-9_:]*) .+$`)
	typeLine   = regexp.MustCompile(`^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped)$`)
)

// scrape reads /metrics and checks it against the text exposition format:
// every sample belongs to a family declared (HELP, TYPE) before it, values
// are numbers, histogram buckets are cumulative and end at +Inf == _count.
// It returns the samples by name and labels.
func scrape(t *testing.T, f *fixture) map[string]float64 {
	t.Helper()
	r := f.get("/metrics")
	if r.status != 200 || !strings.HasPrefix(r.header.Get("Content-Type"), "text/plain; version=0.0.4") {
		t.Fatalf("%d %q", r.status, r.header.Get("Content-Type"))
	}
	samples := map[string]float64{}
	types := map[string]string{}
	var family string
	sc := bufio.NewScanner(strings.NewReader(string(r.body)))
	lastBucket := map[string]float64{}
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "# HELP "):
			m := helpLine.FindStringSubmatch(line)
			if m == nil {
				t.Fatalf("bad HELP line %q", line)
			}
			family = m[1]
		case strings.HasPrefix(line, "# TYPE "):
			m := typeLine.FindStringSubmatch(line)
			if m == nil || m[1] != family {
				t.Fatalf("bad TYPE line %q after family %q", line, family)
			}
			if _, dup := types[family]; dup {
				t.Fatalf("family %s declared twice", family)
			}
			types[family] = m[2]
		default:
			m := metricLine.FindStringSubmatch(line)
			if m == nil {
				t.Fatalf("bad sample line %q", line)
			}
			name := m[1]
			base := name
			if types[family] == "histogram" {
				base = strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(name, "_bucket"), "_sum"), "_count")
			}
			if base != family {
				t.Fatalf("sample %s outside its family (in %s)", name, family)
			}
			v, err := strconv.ParseFloat(m[4], 64)
			if err != nil {
				t.Fatalf("value of %q: %v", line, err)
			}
			key := name + m[2]
			if _, dup := samples[key]; dup {
				t.Fatalf("sample %s twice", key)
			}
			samples[key] = v
			if strings.HasSuffix(name, "_bucket") {
				series := regexp.MustCompile(`,?le="[^"]*"`).ReplaceAllString(m[3], "")
				if v < lastBucket[series] {
					t.Fatalf("bucket %s is not cumulative", line)
				}
				lastBucket[series] = v
			}
		}
	}
	for _, in := range []string{"events", "hec", "syslog"} {
		inf := samples[`vigil_ingest_latency_seconds_bucket{input="`+in+`",le="+Inf"}`]
		if cnt := samples[`vigil_ingest_latency_seconds_count{input="`+in+`"}`]; inf != cnt {
			t.Fatalf("%s: +Inf bucket %v, count %v", in, inf, cnt)
		}
	}
	return samples
}

func TestMetricsCountWhatHappened(t *testing.T) {
	f := start(t, nil)
	for i := range 3 {
		r := f.post("/v1/events", "Bearer "+token, lines(
			native(fmt.Sprintf("m%d", i), "2025-01-15T14:30:00Z", "login.failed"),
			native(fmt.Sprintf("n%d", i), "2025-01-15T14:30:00Z", "login.failed"),
			`{"bad":1}`))
		if r.status != 200 {
			t.Fatal(r.status)
		}
	}
	f.post("/v1/events", "Bearer "+token, lines(native("m0", "2025-01-15T14:30:00Z", "login.failed"))) // a duplicate
	f.post("/v1/events", "Bearer nope", lines(native("x", "2025-01-15T14:30:00Z", "x")))
	f.post("/services/collector/event", "Splunk "+token, strings.NewReader(`{"event":"a"}{"event":"b"}`))
	waitFor(t, "the index", func() bool { return f.eng.IndexLag() == 0 })

	m := scrape(t, f)
	want := map[string]float64{
		`vigil_events_stored_total{input="events"}`:                6,
		`vigil_events_duplicate_total{input="events"}`:             1,
		`vigil_events_rejected_total{input="events"}`:              3,
		`vigil_events_stored_total{input="hec"}`:                   2,
		`vigil_events_stored_total{input="syslog"}`:                0,
		`vigil_http_requests_total{input="events",code="200"}`:     4,
		`vigil_http_requests_total{input="events",code="403"}`:     1,
		`vigil_http_requests_total{input="hec",code="200"}`:        1,
		`vigil_ingest_latency_seconds_count{input="events"}`:       4,
		`vigil_ingest_latency_seconds_count{input="hec"}`:          1,
		`vigil_store_head_seq`:                                     float64(f.eng.Store().Head().Seq),
		`vigil_index_seq`:                                          8,
		`vigil_index_lag_events`:                                   0,
		`vigil_live_subscribers`:                                   0,
		`vigil_ssh_sessions`:                                       0,
		`vigil_syslog_connections`:                                 0,
		`vigil_ingest_latency_seconds_bucket{input="hec",le="10"}`: 1,
	}
	for k, v := range want {
		if got, ok := m[k]; !ok || got != v {
			t.Errorf("%s = %v (present %v), want %v", k, got, ok, v)
		}
	}
	if m[`vigil_store_head_seq`] != 8 {
		t.Errorf("head %v", m[`vigil_store_head_seq`])
	}
	// A subscriber of the live bus shows.
	sub := f.eng.Subscribe(engine.SubscribeOptions{})
	defer sub.Close()
	if m := scrape(t, f); m[`vigil_live_subscribers`] != 1 {
		t.Errorf("subscribers %v", m[`vigil_live_subscribers`])
	}
}

func TestHealthz(t *testing.T) {
	f := start(t, nil)
	f.post("/v1/events", "Bearer "+token, lines(native("h1", "2025-01-15T14:30:00Z", "x")))
	r := f.get("/healthz")
	var h struct {
		Status   string `json:"status"`
		HeadSeq  uint64 `json:"head_seq"`
		IndexLag uint64 `json:"index_lag"`
	}
	r.json(t, &h)
	if r.status != 200 || h.Status != "ok" || h.HeadSeq != 1 {
		t.Fatalf("%d %+v", r.status, h)
	}
	f.in.Server.StartClosing()
	if r := f.get("/healthz"); r.status != 503 {
		t.Fatalf("closing: %d", r.status)
	}
}

func TestTLS(t *testing.T) {
	certFile, keyFile, pool := selfSigned(t)
	f := start(t, func(c *server.Config) { c.TLSCert, c.TLSKey = certFile, keyFile })
	addr := f.in.Addrs().HTTP.String()
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	req, _ := http.NewRequest(http.MethodPost, "https://"+addr+"/v1/events", lines(native("tls1", "2025-01-15T14:30:00Z", "x")))
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.TLS == nil {
		t.Fatalf("%d %s", resp.StatusCode, body)
	}
	// Plain HTTP on the TLS port gets no answer it could take for one.
	resp, err = http.Get("http://" + addr + "/healthz")
	if err == nil {
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest {
			t.Fatalf("plain HTTP on the TLS port: %d", resp.StatusCode)
		}
	}
	if ids := f.ids(); len(ids) != 1 || ids[0] != "tls1" {
		t.Fatalf("%v", ids)
	}
}

func TestStartRefuses(t *testing.T) {
	eng, err := engine.Open(t.TempDir(), engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	cases := map[string]server.Config{
		"nothing to serve":     {},
		"http without a token": {HTTPAddr: "127.0.0.1:0"},
		"half TLS":             {Options: server.Options{Token: "t"}, HTTPAddr: "127.0.0.1:0", TLSCert: "x"},
		"ssh without keys":     {SSHAddr: "127.0.0.1:0"},
		"bad address":          {SyslogAddr: "127.0.0.1:99999"},
	}
	for name, cfg := range cases {
		if in, err := server.Start(eng, cfg); err == nil {
			in.Shutdown(context.Background())
			t.Errorf("%s: started", name)
		}
	}
}

// TestShutdownLosesNothingAcknowledged posts from many clients while the
// server shuts down: every event of a request answered 200 is stored.
func TestShutdownLosesNothingAcknowledged(t *testing.T) {
	dir := t.TempDir()
	eng, err := engine.Open(dir, engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	in, err := server.Start(eng, server.Config{Options: server.Options{Token: token}, HTTPAddr: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	url := "http://" + in.Addrs().HTTP.String() + "/v1/events"
	var mu sync.Mutex
	acked := map[string]bool{}
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
				var b strings.Builder
				var ids []string
				for i := range 50 {
					id := fmt.Sprintf("s%d-%d-%d", c, p, i)
					ids = append(ids, id)
					b.WriteString(native(id, "2025-01-15T14:30:00Z", "api.accessed") + "\n")
				}
				req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(b.String()))
				req.Header.Set("Authorization", "Bearer "+token)
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					continue // refused once the listener is closed
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode == 200 {
					mu.Lock()
					for _, id := range ids {
						acked[id] = true
					}
					mu.Unlock()
				}
			}
		}()
	}
	waitFor(t, "some events", func() bool { return eng.Store().Head().Seq > 2000 })
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := in.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	close(stop)
	wg.Wait()
	stored := map[string]bool{}
	for _, id := range storedIDs(t, eng) {
		stored[id] = true
	}
	missing := 0
	for id := range acked {
		if !stored[id] {
			missing++
		}
	}
	if missing > 0 || len(acked) == 0 {
		t.Fatalf("%d of %d acknowledged events missing", missing, len(acked))
	}
}

func storedIDs(t *testing.T, eng *engine.Engine) []string {
	f := &fixture{t: t, eng: eng}
	return f.ids()
}

// selfSigned writes a self-signed certificate for 127.0.0.1 and returns
// the files and a pool that trusts it.
func selfSigned(t *testing.T) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "vigil test"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IPAddresses:           []net.IP{net.ParseIP("127.0.0.1")},
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600)
	cert, _ := x509.ParseCertificate(der)
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}
