package server_test

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/vigil-dev/vigil/server"
	"github.com/vigil-dev/vigil/store"
)

func TestEventsTokenMissingOrWrongStoresNothing(t *testing.T) {
	f := start(t, nil)
	body := func() io.Reader { return lines(native("evt_1", "2025-01-15T14:30:00Z", "login.failed")) }
	cases := []struct {
		name, auth string
		status     int
	}{
		{"no header", "", http.StatusUnauthorized},
		{"another scheme", "Basic " + token, http.StatusUnauthorized},
		{"splunk scheme", "Splunk " + token, http.StatusUnauthorized},
		{"empty bearer", "Bearer ", http.StatusUnauthorized},
		{"wrong token", "Bearer nope", http.StatusForbidden},
		{"token with a suffix", "Bearer " + token + "x", http.StatusForbidden},
		{"token prefix", "Bearer " + token[:5], http.StatusForbidden},
	}
	for _, c := range cases {
		r := f.post("/v1/events", c.auth, body())
		if r.status != c.status {
			t.Errorf("%s: status %d, want %d (%s)", c.name, r.status, c.status, r.body)
		}
		if c.status == http.StatusUnauthorized && r.header.Get("WWW-Authenticate") == "" {
			t.Errorf("%s: no WWW-Authenticate", c.name)
		}
	}
	if n := f.eng.Store().Head().Seq; n != 0 {
		t.Fatalf("%d events stored without a valid token", n)
	}
	r := f.post("/v1/events", "Bearer "+token, body())
	if r.status != http.StatusOK {
		t.Fatalf("valid token: %d %s", r.status, r.body)
	}
	if n := f.eng.Store().Head().Seq; n != 1 {
		t.Fatalf("%d events stored, want 1", n)
	}
}

func TestEventsMixedBatchStoresTheGoodLines(t *testing.T) {
	f := start(t, nil)
	body := lines(
		native("evt_1", "2025-01-15T14:30:00Z", "login.failed"),
		`{"event_id":"evt_2","timestamp":"2025-01-15T14:30:01Z","event_type":`, // broken JSON
		native("evt_3", "2025-01-15T14:30:02Z", "login.success"),
		`{"event_id":"evt_4","event_type":"logout"}`, // no timestamp
		``,
		`[1,2]`,
		native("evt_7", "2025-01-15T14:30:03Z", "data.exported"),
	)
	r := f.post("/v1/events", "Bearer "+token, body)
	if r.status != http.StatusOK {
		t.Fatalf("status %d: %s", r.status, r.body)
	}
	var resp server.EventsResponse
	r.json(t, &resp)
	want := server.EventsResponse{Stored: 3, Rejected: 3, Format: "native", Rejects: []server.RejectInfo{
		{Line: 2, Reason: resp.Rejects[0].Reason},
		{Line: 4, Reason: "missing timestamp"},
		{Line: 6, Reason: "not a JSON object (got an array)"},
	}}
	if !reflect.DeepEqual(resp, want) {
		t.Fatalf("response %+v\nwant %+v", resp, want)
	}
	if !strings.HasPrefix(resp.Rejects[0].Reason, "not JSON") {
		t.Fatalf("reason of line 2: %q", resp.Rejects[0].Reason)
	}
	if got := f.ids(); !reflect.DeepEqual(got, []string{"evt_1", "evt_3", "evt_7"}) {
		t.Fatalf("stored %v", got)
	}
	// The rejected lines went to OnReject verbatim, with their lines.
	rej := f.rejected()
	if len(rej) != 3 || rej[1].Line != 4 || string(rej[1].Raw) != `{"event_id":"evt_4","event_type":"logout"}` ||
		!strings.HasPrefix(rej[0].Source, "POST /v1/events from 127.0.0.1") {
		t.Fatalf("rejects %+v", rej)
	}
}

func TestEventsArrayAndPrettyObject(t *testing.T) {
	f := start(t, nil)
	array := "[\n  " + native("a1", "2025-01-15T14:30:00Z", "login.failed") + ",\n  {\"event_id\":\"a2\"},\n  " +
		native("a3", "2025-01-15T14:30:02Z", "logout") + "\n]"
	r := f.post("/v1/events", "Bearer "+token, strings.NewReader(array))
	var resp server.EventsResponse
	r.json(t, &resp)
	if r.status != 200 || resp.Stored != 2 || resp.Rejected != 1 || resp.Rejects[0].Line != 3 {
		t.Fatalf("%d %+v", r.status, resp)
	}
	// The webhook payload of the seed, pretty-printed.
	pretty := `{
  "event_id": "evt_abc123",
  "timestamp": "2025-01-15T14:30:00Z",
  "event_type": "member.role_changed",
  "actor": {"id": "user_123", "email": "admin@company.com", "role": "admin"},
  "target": {"id": "user_456", "email": "john@company.com"},
  "details": {"from_role": "viewer", "to_role": "editor"},
  "context": {"ip": "192.168.1.100", "user_agent": "Chrome/120", "location": "San Francisco, CA"}
}`
	r = f.post("/v1/events", "Bearer "+token, strings.NewReader(pretty), "Content-Type", "application/json")
	resp = server.EventsResponse{}
	r.json(t, &resp)
	if r.status != 200 || resp.Stored != 1 {
		t.Fatalf("%d %+v", r.status, resp)
	}
	evs := f.stored()
	last := evs[len(evs)-1]
	if last.ID != "evt_abc123" || last.Category != "team" || last.Actor.Role != "admin" || string(last.Raw) != pretty {
		t.Fatalf("stored %+v raw %q", last, last.Raw)
	}
}

func TestEventsNoGoodEventIs400(t *testing.T) {
	f := start(t, nil)
	r := f.post("/v1/events", "Bearer "+token, lines(`{"event_type":"x"}`, `nope`))
	var resp server.EventsResponse
	r.json(t, &resp)
	if r.status != http.StatusBadRequest || resp.Rejected != 2 || resp.Stored != 0 || resp.Error == "" {
		t.Fatalf("%d %+v", r.status, resp)
	}
	for _, body := range []string{"", "\n  \n"} {
		r = f.post("/v1/events", "Bearer "+token, strings.NewReader(body))
		if r.status != http.StatusBadRequest || !strings.Contains(string(r.body), "no events") {
			t.Fatalf("empty body: %d %s", r.status, r.body)
		}
	}
	if f.eng.Store().Head().Seq != 0 {
		t.Fatal("something was stored")
	}
}

func TestEventsOverTheSizeLimitIs413(t *testing.T) {
	f := start(t, func(c *server.Config) { c.MaxBodySize = 4096 })
	var big strings.Builder
	for i := 0; big.Len() < 5000; i++ {
		big.WriteString(native(fmt.Sprintf("e%d", i), "2025-01-15T14:30:00Z", "login.failed") + "\n")
	}
	// With a Content-Length.
	r := f.post("/v1/events", "Bearer "+token, strings.NewReader(big.String()))
	if r.status != http.StatusRequestEntityTooLarge {
		t.Fatalf("status %d %s", r.status, r.body)
	}
	// Chunked, without one.
	r = f.post("/v1/events", "Bearer "+token, io.MultiReader(strings.NewReader(big.String())))
	if r.status != http.StatusRequestEntityTooLarge {
		t.Fatalf("chunked: status %d %s", r.status, r.body)
	}
	// Small compressed, large decompressed.
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte(strings.Repeat(native("same", "2025-01-15T14:30:00Z", "x")+"\n", 1000)))
	zw.Close()
	if gz.Len() >= 4096 {
		t.Fatalf("compressed body %d bytes", gz.Len())
	}
	r = f.post("/v1/events", "Bearer "+token, &gz, "Content-Encoding", "gzip")
	if r.status != http.StatusRequestEntityTooLarge {
		t.Fatalf("gzip: status %d %s", r.status, r.body)
	}
	if f.eng.Store().Head().Seq != 0 {
		t.Fatal("something was stored")
	}
}

func TestEventsGzipAndDuplicates(t *testing.T) {
	f := start(t, nil)
	body := strings.Join([]string{native("g1", "2025-01-15T14:30:00Z", "login.failed"), native("g2", "2025-01-15T14:30:00Z", "logout")}, "\n")
	send := func() server.EventsResponse {
		var gz bytes.Buffer
		zw := gzip.NewWriter(&gz)
		zw.Write([]byte(body))
		zw.Close()
		r := f.post("/v1/events", "Bearer "+token, &gz, "Content-Encoding", "gzip")
		var resp server.EventsResponse
		r.json(t, &resp)
		if r.status != 200 {
			t.Fatalf("%d %s", r.status, r.body)
		}
		return resp
	}
	if r := send(); r.Stored != 2 || r.Duplicates != 0 {
		t.Fatalf("%+v", r)
	}
	if r := send(); r.Stored != 0 || r.Duplicates != 2 {
		t.Fatalf("again: %+v", r)
	}
	r := f.post("/v1/events", "Bearer "+token, strings.NewReader("not gzip"), "Content-Encoding", "gzip")
	if r.status != http.StatusUnsupportedMediaType {
		t.Fatalf("bad gzip: %d %s", r.status, r.body)
	}
	r = f.post("/v1/events", "Bearer "+token, strings.NewReader(body), "Content-Encoding", "br")
	if r.status != http.StatusUnsupportedMediaType {
		t.Fatalf("brotli: %d %s", r.status, r.body)
	}
}

func TestEventsInAnotherFormatAreDetected(t *testing.T) {
	f := start(t, nil)
	data := []byte(`{"Records":[{"eventVersion":"1.08","eventTime":"2025-01-15T14:30:00Z","eventSource":"signin.amazonaws.com","eventName":"ConsoleLogin","awsRegion":"us-east-1","sourceIPAddress":"203.0.113.9","eventID":"ct-1","userIdentity":{"type":"IAMUser","userName":"ana"},"responseElements":{"ConsoleLogin":"Failure"}}]}`)
	r := f.post("/v1/events", "Bearer "+token, bytes.NewReader(data))
	var resp server.EventsResponse
	r.json(t, &resp)
	if r.status != 200 || resp.Format != "cloudtrail" || resp.Stored == 0 {
		t.Fatalf("%d %+v", r.status, resp)
	}
	ev := f.stored()[0]
	if ev.Format != "cloudtrail" || ev.Source != "cloudtrail" {
		t.Fatalf("%+v", ev)
	}
	// Named explicitly, a wrong format is refused as such.
	r = f.post("/v1/events?format=nosuch", "Bearer "+token, bytes.NewReader(data))
	if r.status != http.StatusBadRequest || !strings.Contains(string(r.body), "unknown format") {
		t.Fatalf("%d %s", r.status, r.body)
	}
}

func TestEventsConcurrentPostsAllStoredOnce(t *testing.T) {
	f := start(t, nil)
	const clients, posts, per = 8, 15, 40
	var wg sync.WaitGroup
	errs := make(chan string, clients*posts)
	for c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for p := range posts {
				var b strings.Builder
				for i := range per {
					b.WriteString(native(fmt.Sprintf("c%d-p%d-%d", c, p, i), "2025-01-15T14:30:00Z", "api.accessed") + "\n")
				}
				req, _ := http.NewRequest(http.MethodPost, f.url+"/v1/events", strings.NewReader(b.String()))
				req.Header.Set("Authorization", "Bearer "+token)
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					errs <- err.Error()
					continue
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 || !strings.Contains(string(body), fmt.Sprintf(`"stored":%d`, per)) {
					errs <- fmt.Sprintf("%d %s", resp.StatusCode, body)
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	ids := f.ids()
	if len(ids) != clients*posts*per {
		t.Fatalf("%d events stored, want %d", len(ids), clients*posts*per)
	}
	rep, err := f.eng.Store().Verify(t.Context(), store.VerifyOptions{})
	if err != nil || !rep.Intact {
		t.Fatalf("verify: %+v %v", rep, err)
	}
	// The index follows within seconds.
	waitFor(t, "the index to catch up", func() bool { return f.eng.IndexLag() == 0 })
}
