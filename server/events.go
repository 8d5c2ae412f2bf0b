package server

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/vigil-dev/vigil/event"
	"github.com/vigil-dev/vigil/ingest"
)

// maxListedRejects bounds the rejects a response lists one by one; the
// count is always complete.
const maxListedRejects = 1000

// EventsResponse is the body of a POST /v1/events response.
type EventsResponse struct {
	Stored     int `json:"stored"`
	Duplicates int `json:"duplicates"`
	Rejected   int `json:"rejected"`
	// Rejects lists the rejected units (at most 1000) with the line each
	// starts on and why it was rejected.
	Rejects []RejectInfo `json:"rejects,omitempty"`
	// Format is the input format the body was read in.
	Format string `json:"format"`
	// Error says why nothing was stored, on a 4xx or 5xx response.
	Error string `json:"error,omitempty"`
}

// RejectInfo is one rejected unit of a request.
type RejectInfo struct {
	Line   int    `json:"line"`
	Reason string `json:"reason"`
}

// bearerToken reads "Authorization: Bearer TOKEN".
func bearerToken(r *http.Request) (string, bool) {
	h := r.Header.Get("Authorization")
	scheme, tok, ok := strings.Cut(strings.TrimSpace(h), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	tok = strings.TrimSpace(tok)
	return tok, tok != ""
}

// handleEvents is POST /v1/events: one JSON object, a JSON array, JSON
// Lines or pretty-printed objects in the native shape, or input in one of
// the ingest formats (detected, or named with ?format=). Answered 200 with
// the counts once the good events are durable (a mixed body stores its
// good events and lists the rejected ones by line); 400 when no event of
// the body could be stored; 401 without a bearer token and 403 with a wrong
// one, and then nothing is read; 413 over the size limit; 503 when busy or
// shutting down.
func (s *Server) handleEvents(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", "POST")
		s.reply(w, inputEvents, http.StatusMethodNotAllowed, EventsResponse{Error: "use POST"})
		return
	}
	tok, ok := bearerToken(r)
	if !ok {
		w.Header().Set("WWW-Authenticate", `Bearer realm="vigil"`)
		s.reply(w, inputEvents, http.StatusUnauthorized, EventsResponse{Error: "missing bearer token (Authorization: Bearer TOKEN)"})
		return
	}
	if !s.checkToken(tok) {
		s.log.Warn("ingest request with a wrong token", "remote", remote(r), "path", r.URL.Path)
		s.reply(w, inputEvents, http.StatusForbidden, EventsResponse{Error: "invalid token"})
		return
	}
	if !s.acquire(r.Context()) {
		w.Header().Set("Retry-After", "1")
		s.reply(w, inputEvents, http.StatusServiceUnavailable, EventsResponse{Error: s.busyReason()})
		return
	}
	defer s.release()
	body, err := s.readBody(w, r)
	if err != nil {
		status, msg := bodyErrorStatus(err)
		s.reply(w, inputEvents, status, EventsResponse{Error: msg})
		return
	}
	defer s.putBody(body)

	b := &batch{input: inputEvents, source: "POST /v1/events from " + remote(r)}
	format, err := s.decodeBody(b, body.Bytes(), r.URL.Query().Get("format"))
	if err != nil {
		s.reply(w, inputEvents, http.StatusBadRequest, EventsResponse{Error: err.Error()})
		return
	}
	if b.units == 0 {
		s.reply(w, inputEvents, http.StatusBadRequest, EventsResponse{Format: format, Error: "the body holds no events"})
		return
	}
	res, err := s.store(r.Context(), b, start)
	resp := EventsResponse{Stored: res.Stored, Duplicates: res.Dups, Rejected: len(b.rejects), Format: format}
	for i, rj := range b.rejects {
		if i == maxListedRejects {
			break
		}
		resp.Rejects = append(resp.Rejects, RejectInfo{Line: rj.Line, Reason: rj.Reason})
	}
	if err != nil {
		status := http.StatusInternalServerError
		if errors.Is(err, errClosing) {
			status = http.StatusServiceUnavailable
		}
		s.log.Error("store events", "remote", remote(r), "err", err)
		resp.Stored, resp.Duplicates = 0, 0
		resp.Error = "store: " + err.Error()
		s.reply(w, inputEvents, status, resp)
		return
	}
	if len(b.prepared) == 0 {
		resp.Error = "no event of the body could be stored"
		s.reply(w, inputEvents, http.StatusBadRequest, resp)
		return
	}
	s.reply(w, inputEvents, http.StatusOK, resp)
}

func (s *Server) reply(w http.ResponseWriter, in input, status int, v any) {
	s.metrics.request(in, status)
	writeJSON(w, status, v)
}

func (s *Server) busyReason() string {
	if s.closing.Load() {
		return "the server is shutting down"
	}
	return "the server is busy; retry"
}

// bodyErrorStatus maps an error of readBody to a status and a message.
func bodyErrorStatus(err error) (int, string) {
	var tl errTooLarge
	var enc errEncoding
	switch {
	case errors.As(err, &tl):
		return http.StatusRequestEntityTooLarge, err.Error()
	case errors.As(err, &enc):
		return http.StatusUnsupportedMediaType, err.Error()
	case errors.Is(err, context.Canceled):
		return 499, err.Error()
	}
	return http.StatusBadRequest, err.Error()
}

// bodyFormat is the format a body is read in: the one named, or the one
// its first bytes tell.
func (s *Server) bodyFormat(data []byte, name string) (ingest.Format, error) {
	if name != "" && name != ingest.Auto {
		f, err := ingest.Lookup(s.opts.Formats, name)
		if err != nil {
			return nil, fmt.Errorf("format: %w", err)
		}
		return f, nil
	}
	head := data[:min(len(data), ingest.DetectSize)]
	return ingest.Detect(s.opts.Formats, head), nil
}

// decodeBody cuts a body into units, maps, normalises and prepares each,
// and records the rejects in b. It returns the format's name.
func (s *Server) decodeBody(b *batch, data []byte, formatName string) (string, error) {
	f, err := s.bodyFormat(data, formatName)
	if err != nil {
		return "", err
	}
	mapUnit := f.Map
	if rf, ok := f.(ingest.ReusingFormat); ok {
		mapUnit = rf.NewMapper()
	}
	emit := func(u ingest.Unit) error {
		b.units++
		if u.Err != nil {
			b.reject(u.Line, u.Raw, u.Err.Error())
			return nil
		}
		ev, err := mapUnit(u)
		if err != nil {
			b.reject(u.Line, u.Raw, err.Error())
			return nil
		}
		if ev.Format == "" {
			ev.Format = f.Name()
		}
		s.prepare(b, ev, u.Line, u.Raw)
		return nil
	}
	r := bytes.NewReader(data)
	if f.Name() == event.FormatNative {
		// One object (pretty-printed too, as webhooks send it), an
		// array, or JSON Lines.
		err = ingest.SplitJSON(r, s.opts.MaxEventSize, "", emit)
	} else {
		err = f.Split(r, s.opts.MaxEventSize, emit)
	}
	if err != nil {
		return f.Name(), fmt.Errorf("read the body as %s: %w", f.Name(), err)
	}
	return f.Name(), nil
}
