package server_test

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/vigil-dev/vigil/server"
)

// hec is a decoded HEC response; Number is -1 without invalid-event-number.
type hec struct {
	Text   string `json:"text"`
	Code   int    `json:"code"`
	Number int    `json:"invalid-event-number"`
}

func hecOf(t *testing.T, r response) hec {
	t.Helper()
	h := hec{Number: -1}
	r.json(t, &h)
	if ct := r.header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q", ct)
	}
	return h
}

func TestHECAuthCodes(t *testing.T) {
	f := start(t, nil)
	body := func() io.Reader { return strings.NewReader(`{"event":"hello"}`) }
	basic := "Basic " + base64.StdEncoding.EncodeToString([]byte("x:"+token))
	cases := []struct {
		name, path, auth string
		status           int
		want             hec
	}{
		{"no token", "/services/collector/event", "", 401, hec{"Token is required", 2, -1}},
		{"not the Splunk scheme", "/services/collector/event", token, 401, hec{"Invalid authorization", 3, -1}},
		{"empty Splunk token", "/services/collector/event", "Splunk ", 401, hec{"Invalid authorization", 3, -1}},
		{"wrong token", "/services/collector/event", "Splunk nope", 403, hec{"Invalid token", 4, -1}},
		{"token in the query", "/services/collector/event?token=" + token, "", 400, hec{"Query string authorization is not enabled", 16, -1}},
		{"wrong token on raw", "/services/collector/raw", "Splunk nope", 403, hec{"Invalid token", 4, -1}},
		{"good token", "/services/collector/event", "Splunk " + token, 200, hec{"Success", 0, -1}},
		{"/services/collector", "/services/collector", "Splunk " + token, 200, hec{"Success", 0, -1}},
		{"1.0 path", "/services/collector/event/1.0", "Splunk " + token, 200, hec{"Success", 0, -1}},
		{"basic auth", "/services/collector/event", basic, 200, hec{"Success", 0, -1}},
	}
	stored := uint64(0)
	for _, c := range cases {
		r := f.post(c.path, c.auth, body())
		if got := hecOf(t, r); r.status != c.status || got != c.want {
			t.Errorf("%s: %d %+v, want %d %+v", c.name, r.status, got, c.status, c.want)
		}
		if c.status == 200 {
			stored++
		}
		// A refused request stores nothing.
		if n := f.eng.Store().Head().Seq; n > stored {
			t.Fatalf("%s: %d events stored", c.name, n)
		}
	}
}

func TestHECConcatenatedEnvelopes(t *testing.T) {
	f := start(t, nil)
	body := `{"time":1426279439.123,"host":"web1","source":"/var/log/app.log","sourcetype":"app:log","index":"main","event":"user ana logged in","fields":{"env":"prod"}}` +
		`{"time":"1426279440.000001","event":{"message":"disk full","level":"error","bytes":12345678901234567890}}` + "\n\n" +
		`{"time":1426279441,"event":{"event_id":"evt_n","event_type":"login.failed","actor":{"email":"ana@example.com"}}}` +
		`  {"event":{"event_id":"evt_o","timestamp":"2025-01-15T14:30:00Z","event_type":"logout"},"time":1}` +
		`{"event":"{\"event_id\":\"evt_s\",\"timestamp\":\"2025-01-15T14:31:00Z\",\"event_type\":\"mfa.enabled\"}"}`
	r := f.post("/services/collector/event", "Splunk "+token, strings.NewReader(body))
	if h := hecOf(t, r); r.status != 200 || h != (hec{"Success", 0, -1}) {
		t.Fatalf("%d %+v", r.status, h)
	}
	evs := f.stored()
	if len(evs) != 5 {
		t.Fatalf("%d events stored", len(evs))
	}
	// A string event: the time with its fraction exactly, the sourcetype
	// as the type, the metadata under details.hec.
	e := evs[0]
	if !e.Time.Equal(time.Unix(1426279439, 123000000)) || e.Type != "app:log" || e.Message != "user ana logged in" || e.Source != "hec" || e.Format != "hec" {
		t.Fatalf("event 0: %+v", e)
	}
	meta, _ := json.Marshal(e.Details["hec"])
	if string(meta) != `{"fields":{"env":"prod"},"host":"web1","index":"main","source":"/var/log/app.log","sourcetype":"app:log"}` {
		t.Fatalf("event 0 meta %s", meta)
	}
	if string(e.Raw) != body[:strings.Index(body, "}}")+2] {
		t.Fatalf("event 0 raw %q", e.Raw)
	}
	// An object event that is not a native event: its fields under
	// details, numbers exact, the message from "message".
	e = evs[1]
	if !e.Time.Equal(time.Unix(1426279440, 1000)) || e.Type != "hec.event" || e.Message != "disk full" ||
		e.Details["level"] != "error" || e.Details["bytes"].(json.Number).String() != "12345678901234567890" {
		t.Fatalf("event 1: %+v", e)
	}
	// A native event without a timestamp takes the envelope's time.
	e = evs[2]
	if e.ID != "evt_n" || e.Type != "login.failed" || !e.Time.Equal(time.Unix(1426279441, 0)) || e.Category != "authentication" || e.Actor.Email != "ana@example.com" {
		t.Fatalf("event 2: %+v", e)
	}
	// A native event keeps its own timestamp over the envelope's.
	if e = evs[3]; e.ID != "evt_o" || !e.Time.Equal(time.Date(2025, 1, 15, 14, 30, 0, 0, time.UTC)) {
		t.Fatalf("event 3: %+v", e)
	}
	// A native event sent as a JSON string.
	if e = evs[4]; e.ID != "evt_s" || e.Type != "mfa.enabled" || e.Format != "hec" {
		t.Fatalf("event 4: %+v", e)
	}
	// Sending the same body again stores nothing: retries are safe.
	r = f.post("/services/collector/event", "Splunk "+token, strings.NewReader(body))
	if r.status != 200 || len(f.stored()) != 5 {
		t.Fatalf("retry: %d, %d events", r.status, len(f.stored()))
	}
}

func TestHECErrorCodes(t *testing.T) {
	good, good2 := `{"event":"ok"}`, `{"event":"ok too"}`
	cases := []struct {
		name   string
		body   string
		status int
		want   hec
		stored int // events stored from the body
	}{
		{"empty body", "", 400, hec{"No data", 5, -1}, 0},
		{"white space", " \n ", 400, hec{"No data", 5, -1}, 0},
		{"not JSON", `hello`, 400, hec{"Invalid data format", 6, 0}, 0},
		{"broken after good ones", good + good2 + `{"event":"x"`, 400, hec{"Invalid data format", 6, 2}, 2},
		{"not an object", good + `[1]` + good2, 400, hec{"Invalid data format", 6, 1}, 2},
		{"bad time", `{"time":"yesterday","event":"x"}`, 400, hec{"Invalid data format", 6, 0}, 0},
		{"time as object", `{"time":{},"event":"x"}`, 400, hec{"Invalid data format", 6, 0}, 0},
		{"event missing", good + `{"time":1,"host":"h"}` + good2, 400, hec{"Event field is required", 12, 1}, 2},
		{"event blank", `{"event":""}` + good, 400, hec{"Event field cannot be blank", 13, 0}, 1},
		{"event null", good + `{"event":null}`, 400, hec{"Event field cannot be blank", 13, 1}, 1},
		{"fields not an object", good + good2 + `{"event":"x","fields":[1]}`, 400, hec{"Error in handling indexed fields", 15, 2}, 2},
		{"native event with a bad timestamp", `{"event":{"event_type":"x","timestamp":"soon"}}`, 400, hec{"Invalid data format", 6, 0}, 0},
		{"first error wins", `{"time":1}{"event":""}`, 400, hec{"Event field is required", 12, 0}, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := start(t, nil)
			r := f.post("/services/collector/event", "Splunk "+token, strings.NewReader(c.body))
			if got := hecOf(t, r); r.status != c.status || got != c.want {
				t.Errorf("%d %+v (%s), want %d %+v", r.status, got, r.body, c.status, c.want)
			}
			if n := len(f.stored()); n != c.stored {
				t.Errorf("%d stored, want %d", n, c.stored)
			}
			// Whatever was not stored was handed over verbatim.
			if c.want.Code != 5 && len(f.rejected()) == 0 {
				t.Errorf("no reject recorded")
			}
		})
	}
}

func TestHECRaw(t *testing.T) {
	f := start(t, nil)
	body := "2025-01-15 14:30:00 sshd: accepted key for ana\r\n\n" +
		native("raw_n", "2025-01-15T14:30:00Z", "login.success") + "\n" +
		"Grüße, 世界\n"
	r := f.post("/services/collector/raw?sourcetype=linux:auth&host=bastion&time=1700000000.5&channel=0aeeac95-ac74-4aa9-b30d-6c4c0ac581ba", "Splunk "+token, strings.NewReader(body))
	if h := hecOf(t, r); r.status != 200 || h.Code != 0 {
		t.Fatalf("%d %+v", r.status, h)
	}
	evs := f.stored()
	if len(evs) != 3 {
		t.Fatalf("%d stored", len(evs))
	}
	if e := evs[0]; e.Type != "linux:auth" || e.Message != "2025-01-15 14:30:00 sshd: accepted key for ana" || e.Format != "hec-raw" ||
		!e.Time.Equal(time.Unix(1700000000, 5e8)) || e.Details["hec"].(map[string]any)["host"] != "bastion" {
		t.Fatalf("line 1: %+v", e)
	}
	if e := evs[1]; e.ID != "raw_n" || e.Format != "native" || e.Type != "login.success" {
		t.Fatalf("line 3: %+v", e)
	}
	if e := evs[2]; e.Message != "Grüße, 世界" || string(e.Raw) != "Grüße, 世界" {
		t.Fatalf("line 4: %+v", e)
	}
	// Without a sourcetype, a line is of type hec.raw.
	r = f.post("/services/collector/raw", "Splunk "+token, strings.NewReader("plain"))
	if r.status != 200 || f.stored()[3].Type != "hec.raw" {
		t.Fatalf("%d %+v", r.status, f.stored()[3])
	}
	r = f.post("/services/collector/raw", "Splunk "+token, strings.NewReader(""))
	if h := hecOf(t, r); r.status != 400 || h.Code != 5 {
		t.Fatalf("empty raw: %d %+v", r.status, h)
	}
}

func TestHECHealthAndAck(t *testing.T) {
	f := start(t, nil)
	r := f.get("/services/collector/health")
	if h := hecOf(t, r); r.status != 200 || h != (hec{"HEC is healthy", 17, -1}) {
		t.Fatalf("%d %+v", r.status, h)
	}
	r = f.post("/services/collector/ack", "Splunk "+token, strings.NewReader(`{"acks":[0]}`))
	if h := hecOf(t, r); r.status != 400 || h != (hec{"ACK is disabled", 14, -1}) {
		t.Fatalf("ack: %d %+v", r.status, h)
	}
	f.in.Server.StartClosing()
	r = f.get("/services/collector/health/1.0")
	if h := hecOf(t, r); r.status != 503 || h != (hec{"HEC is unhealthy, queues are full", 18, -1}) {
		t.Fatalf("closing: %d %+v", r.status, h)
	}
	r = f.post("/services/collector/event", "Splunk "+token, strings.NewReader(`{"event":"x"}`))
	if h := hecOf(t, r); r.status != 503 || h != (hec{"Server is busy", 9, -1}) || r.header.Get("Retry-After") == "" {
		t.Fatalf("closing: %d %+v", r.status, h)
	}
}

func TestHECBusy(t *testing.T) {
	f := start(t, func(c *server.Config) { c.MaxInFlight = 1; c.BusyWait = 50 * time.Millisecond })
	// One request holds the only slot while its body trickles in.
	pr, pw := io.Pipe()
	held := make(chan response, 1)
	go func() {
		held <- f.post("/services/collector/event", "Splunk "+token, pr)
	}()
	pw.Write([]byte(`{"event":"first"}`))
	waitFor(t, "the first request to hold its slot", func() bool {
		return strings.Contains(string(f.get("/services/collector/health").body), `"code":18`)
	})
	r := f.post("/services/collector/event", "Splunk "+token, strings.NewReader(`{"event":"second"}`))
	if h := hecOf(t, r); r.status != 503 || h.Code != 9 {
		t.Fatalf("%d %+v", r.status, h)
	}
	pw.Close()
	if r := <-held; r.status != 200 {
		t.Fatalf("first: %d %s", r.status, r.body)
	}
	if n := len(f.stored()); n != 1 {
		t.Fatalf("%d stored", n)
	}
}

func TestHECGzipAndSizeLimit(t *testing.T) {
	f := start(t, func(c *server.Config) { c.MaxBodySize = 1 << 10 })
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte(`{"event":"a"}{"event":"b"}`))
	zw.Close()
	r := f.post("/services/collector/event", "Splunk "+token, &gz, "Content-Encoding", "gzip")
	if h := hecOf(t, r); r.status != 200 || h.Code != 0 || len(f.stored()) != 2 {
		t.Fatalf("%d %+v", r.status, h)
	}
	r = f.post("/services/collector/event", "Splunk "+token, strings.NewReader(`{"event":"`+strings.Repeat("x", 2000)+`"}`))
	if r.status != http.StatusRequestEntityTooLarge {
		t.Fatalf("%d %s", r.status, r.body)
	}
}

func TestHECKeepsBytesThatAreNotUTF8(t *testing.T) {
	f := start(t, nil)
	body := "{\"event\":\"caf\xe9 ferm\xe9\",\"sourcetype\":\"latin1\"}"
	r := f.post("/services/collector/event", "Splunk "+token, strings.NewReader(body))
	if h := hecOf(t, r); r.status != 200 || h.Code != 0 {
		t.Fatalf("%d %+v", r.status, h)
	}
	evs := f.stored()
	if len(evs) != 1 || string(evs[0].Raw) != body || evs[0].Type != "latin1" {
		t.Fatalf("%+v", evs)
	}
}
