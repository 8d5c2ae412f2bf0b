// Package k8saudit reads Kubernetes API server audit logs for ingest:
// audit.k8s.io/v1 and v1beta1 Event objects, as JSON Lines (the log
// backend's output), JSON arrays or pretty-printed documents, and
// EventList objects, whose items are read one by one.
//
// The API server logs a request once per stage (RequestReceived,
// ResponseStarted, ResponseComplete, Panic). By default one event is kept
// per auditID: the ResponseComplete (or Panic) stage, or, for a request
// whose log holds no such stage (a long-running exec or watch cut off by
// the end of the file), the latest stage the file has. The other stages of
// the request are passed on after the kept one and stored as duplicates of
// it, so that nothing read goes unaccounted for. Format.Stage changes the
// stage kept, or keeps every stage as an event of its own.
package k8saudit

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"strings"
	"time"

	"github.com/vigil-dev/vigil/event"
	"github.com/vigil-dev/vigil/ingest"
)

// Name is the format's name, and Source the source its events carry.
const (
	Name   = "k8s"
	Source = "kubernetes"
)

// Stage names of audit.k8s.io events, and AllStages.
const (
	StageRequestReceived  = "RequestReceived"
	StageResponseStarted  = "ResponseStarted"
	StageResponseComplete = "ResponseComplete"
	StagePanic            = "Panic"
	// AllStages keeps every stage of a request as an event of its own,
	// with the id AUDITID/STAGE.
	AllStages = "all"
)

// Stages lists the stages in the order the API server logs them.
func Stages() []string {
	return []string{StageRequestReceived, StageResponseStarted, StageResponseComplete, StagePanic}
}

// maxHeld bounds how many units of requests whose kept stage has not been
// seen yet Split holds back; beyond it, the oldest request's are passed on.
const maxHeld = 10000

// Format is the Kubernetes audit format.
type Format struct {
	// Stage is the stage kept for each auditID: "" means
	// ResponseComplete (or Panic, the other stage that ends a request);
	// AllStages keeps every stage.
	Stage string
}

var _ ingest.Format = Format{}

// Name returns "k8s".
func (Format) Name() string { return Name }

// Detect recognises an object whose apiVersion is audit.k8s.io/..., or a
// kind "Event" or "EventList" object with an auditID or items (the
// apiVersion is sometimes left out).
func (Format) Detect(head []byte) bool {
	s := ingest.SniffJSON(head)
	if strings.HasPrefix(s.String("apiVersion"), "audit.k8s.io/") {
		return true
	}
	switch s.String("kind") {
	case "Event":
		return s.Has("auditID")
	case "EventList":
		return s.Keys["items"] == '['
	}
	return false
}

// Validate checks the configured stage.
func (f Format) Validate() error {
	switch f.Stage {
	case "", AllStages, StageRequestReceived, StageResponseStarted, StageResponseComplete, StagePanic:
		return nil
	}
	return fmt.Errorf("unknown Kubernetes audit stage %q (known: %s, %s)", f.Stage, strings.Join(Stages(), ", "), AllStages)
}

// Split cuts JSON Lines, arrays, documents and EventLists into events, and
// orders the stages of each request so that the kept one comes first.
func (f Format) Split(r io.Reader, maxSize int, emit func(ingest.Unit) error) error {
	if f.Stage == AllStages {
		return ingest.SplitJSON(r, maxSize, "items", emit)
	}
	s := &stager{keep: f.keep(), emit: emit, held: map[string][]heldUnit{}}
	if err := ingest.SplitJSON(r, maxSize, "items", s.unit); err != nil {
		return err
	}
	return s.flushAll()
}

func (f Format) keep() string {
	if f.Stage == "" {
		return StageResponseComplete
	}
	return f.Stage
}

// kept reports whether stage is the one kept: the configured one, and
// Panic along with ResponseComplete, since either ends a request.
func kept(keep, stage string) bool {
	return stage == keep || (keep == StageResponseComplete && stage == StagePanic)
}

func stageRank(stage string) int {
	for i, s := range Stages() {
		if s == stage {
			return i
		}
	}
	return -1
}

type heldUnit struct {
	u     ingest.Unit
	stage string
}

// stager holds back the stages of a request that come before the kept one,
// and passes them on after it (they are then duplicates of it), or, when
// the kept stage never comes, latest stage first.
type stager struct {
	keep  string
	emit  func(ingest.Unit) error
	held  map[string][]heldUnit
	order []string // auditIDs held, first seen first
	count int
}

func (s *stager) unit(u ingest.Unit) error {
	if u.Err != nil {
		return s.emit(u)
	}
	sn := ingest.SniffJSON(u.Raw)
	id, stage := sn.String("auditID"), sn.String("stage")
	if id == "" || stage == "" {
		return s.emit(u) // Map says what is wrong, if anything
	}
	if kept(s.keep, stage) {
		if err := s.emit(u); err != nil {
			return err
		}
		return s.flush(id, false)
	}
	if _, ok := s.held[id]; !ok {
		s.order = append(s.order, id)
	}
	s.held[id] = append(s.held[id], heldUnit{u, stage})
	s.count++
	for s.count > maxHeld && len(s.order) > 0 {
		if err := s.flush(s.order[0], true); err != nil {
			return err
		}
	}
	return nil
}

// flush passes on the held units of one request. latestFirst puts the
// unit of the latest stage first, so that it is the one stored.
func (s *stager) flush(id string, latestFirst bool) error {
	units, ok := s.held[id]
	if !ok {
		return nil
	}
	delete(s.held, id)
	s.count -= len(units)
	for i, o := range s.order {
		if o == id {
			s.order = append(s.order[:i], s.order[i+1:]...)
			break
		}
	}
	if latestFirst {
		best := 0
		for i, h := range units {
			if stageRank(h.stage) >= stageRank(units[best].stage) {
				best = i
			}
		}
		if err := s.emit(units[best].u); err != nil {
			return err
		}
		units = append(units[:best:best], units[best+1:]...)
	}
	for _, h := range units {
		if err := s.emit(h.u); err != nil {
			return err
		}
	}
	return nil
}

func (s *stager) flushAll() error {
	for len(s.order) > 0 {
		if err := s.flush(s.order[0], true); err != nil {
			return err
		}
	}
	return nil
}

// Map maps one audit event.
func (f Format) Map(u ingest.Unit) (*event.Event, error) {
	rec, err := ingest.ParseObject(u.Raw)
	if err != nil {
		return nil, err
	}
	if kind, ok := rec["kind"]; ok && kind != nil && kind != "Event" {
		b, _ := json.Marshal(kind)
		return nil, fmt.Errorf("not a Kubernetes audit event: kind is %s, want \"Event\"", b)
	}
	auditID := ingest.Str(rec, "auditID")
	if auditID == "" {
		return nil, errors.New("not a Kubernetes audit event: no auditID")
	}
	verb := ingest.Str(rec, "verb")
	if verb == "" {
		return nil, errors.New("missing verb")
	}
	t, err := eventTime(rec)
	if err != nil {
		return nil, err
	}
	stage := ingest.Str(rec, "stage")
	ev := &event.Event{
		Format:    Name,
		Source:    Source,
		Raw:       u.Raw,
		ID:        auditID,
		Time:      t,
		Type:      Type(rec),
		Actor:     Party(ingest.Obj(rec, "user")),
		Target:    target(rec),
		Outcome:   outcome(rec),
		Component: "kube-apiserver",
		Details:   details(rec),
	}
	if f.Stage == AllStages && stage != "" {
		ev.ID = auditID + "/" + stage
	}
	if imp := ingest.Obj(rec, "impersonatedUser"); imp != nil {
		if ev.Actor.Extra == nil {
			ev.Actor.Extra = map[string]any{}
		}
		ev.Actor.Extra["impersonated_user"] = ingest.Str(imp, "username")
	}
	if ips, ok := rec["sourceIPs"].([]any); ok && len(ips) > 0 {
		if s, ok := ips[0].(string); ok {
			ev.Context.IP = event.NormalizeIP(s)
			if _, err := netip.ParseAddr(ev.Context.IP); err != nil {
				ev.Context.IP = ""
				ev.Context.Extra = map[string]any{"source_host": s}
			}
		}
	}
	ev.Context.UserAgent = ingest.Str(rec, "userAgent")
	return ev, nil
}

// eventTime is when the API server received the request
// (requestReceivedTimestamp), else the stage's time, else the timestamp of
// v1alpha1/v1beta1 events, else the object's creation time.
func eventTime(rec map[string]any) (time.Time, error) {
	for _, k := range []string{"requestReceivedTimestamp", "stageTimestamp", "timestamp", "metadata.creationTimestamp"} {
		v, _ := ingest.Path(rec, k).(string)
		if v == "" {
			continue
		}
		t, err := ingest.ParseTime(v)
		if err != nil {
			return time.Time{}, fmt.Errorf("%s: %w", k, err)
		}
		return t, nil
	}
	return time.Time{}, errors.New("missing requestReceivedTimestamp")
}

// Type is the action of an audit event: RESOURCE.VERB, with the
// subresource after a slash ("secrets.get", "pods/exec.create",
// "clusterrolebindings.delete"), or "nonresource.VERB" for requests to
// paths that are no resource (/healthz, /version). Resource first, so
// that the catalogue's prefix wildcards cover every verb on a resource
// (secrets.*).
func Type(rec map[string]any) string {
	ref := ingest.Obj(rec, "objectRef")
	res := ingest.Str(ref, "resource")
	if res == "" {
		res = "nonresource"
	} else if sub := ingest.Str(ref, "subresource"); sub != "" {
		res += "/" + sub
	}
	return res + "." + ingest.Str(rec, "verb")
}

// Party maps an audit user (user, impersonatedUser): Name is the username
// (Email when it holds an "@"), ID the uid; Type is "service" for service
// accounts, "system" for other system: users, else "user"; groups are kept
// in Extra.
func Party(u map[string]any) event.Party {
	var p event.Party
	if u == nil {
		return p
	}
	name := ingest.Str(u, "username")
	if strings.Contains(name, "@") {
		p.Email = name
	} else {
		p.Name = name
	}
	p.ID = ingest.Str(u, "uid")
	switch {
	case strings.HasPrefix(name, "system:serviceaccount:"):
		p.Type = "service"
	case strings.HasPrefix(name, "system:"):
		p.Type = "system"
	case name != "":
		p.Type = "user"
	}
	if g, ok := u["groups"].([]any); ok && len(g) > 0 {
		p.Extra = map[string]any{"groups": g}
	}
	return p
}

// target is the object acted on (objectRef): its name, the resource as its
// type, its uid as its id, and namespace, API group and version in Extra;
// for a non-resource request, the path requested.
func target(rec map[string]any) event.Party {
	var p event.Party
	ref := ingest.Obj(rec, "objectRef")
	if ref == nil {
		if uri := ingest.Str(rec, "requestURI"); uri != "" {
			p.Name, _, _ = strings.Cut(uri, "?")
			p.Type = "nonresource"
		}
		return p
	}
	p.Name = ingest.Str(ref, "name")
	p.ID = ingest.Str(ref, "uid")
	p.Type = ingest.Str(ref, "resource")
	if sub := ingest.Str(ref, "subresource"); sub != "" {
		p.Type += "/" + sub
	}
	extra := map[string]any{}
	for _, k := range []string{"namespace", "apiGroup", "apiVersion", "resourceVersion"} {
		if v := ingest.Str(ref, k); v != "" {
			extra[k] = v
		}
	}
	if len(extra) > 0 {
		p.Extra = extra
	}
	return p
}

// outcome: responseStatus.code below 400 is a success (101 switches
// protocols for exec and attach), 400 and above a failure; an
// authorization decision of "forbid" is a failure; without a status
// (RequestReceived), unknown.
func outcome(rec map[string]any) string {
	if ingest.Str(ingest.Obj(rec, "annotations"), "authorization.k8s.io/decision") == "forbid" {
		return "failure"
	}
	code, ok := ingest.Path(rec, "responseStatus.code").(json.Number)
	if !ok {
		return "unknown"
	}
	n, err := code.Int64()
	switch {
	case err != nil:
		return "unknown"
	case n >= 400:
		return "failure"
	default:
		return "success"
	}
}

// details keeps the rest of the event under its own names (stage,
// requestURI, responseStatus, annotations, impersonatedUser, ...). The
// request and response objects, which can be large, are left to Raw.
func details(rec map[string]any) map[string]any {
	d := make(map[string]any, len(rec))
	for k, v := range rec {
		switch k {
		case "kind", "auditID", "user", "userAgent", "requestObject", "responseObject":
			continue
		}
		if v != nil {
			d[k] = v
		}
	}
	return d
}
