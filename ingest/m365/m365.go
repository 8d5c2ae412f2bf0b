// Package m365 reads the Microsoft 365 unified audit log for ingest: audit
// records (the AuditData of the Management Activity API and of exports) as
// single objects, JSON Lines or JSON arrays, and the objects PowerShell's
// Search-UnifiedAuditLog writes (RecordType, CreationDate as /Date(ms)/,
// UserIds, Operations, and the record itself in AuditData, as a JSON string
// or, after ConvertFrom-Json, an object). Each object becomes one event
// whose Raw is the object exactly as it appears in the input.
//
// The record's Id is the event's id, so that the same record met twice
// (in two exports, or once plain and once inside a PowerShell object) is
// stored once.
package m365

import (
	"errors"
	"fmt"
	"io"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/vigil-dev/vigil/event"
	"github.com/vigil-dev/vigil/ingest"
)

// Name is the format's name, and Source the source its events carry.
const (
	Name   = "m365"
	Source = "m365"
)

// Format is the Microsoft 365 unified audit log format. The zero value is
// ready to use.
type Format struct{}

var _ ingest.Format = Format{}

// Name returns "m365".
func (Format) Name() string { return Name }

// Detect recognises an audit record (CreationTime and Operation, with
// RecordType or Workload) or a PowerShell search result (AuditData with
// RecordType, CreationDate, UserIds or Operations).
func (Format) Detect(head []byte) bool {
	s := ingest.SniffJSON(head)
	if s.Has("AuditData") && (s.Has("RecordType") || s.Has("CreationDate") || s.Has("UserIds") || s.Has("Operations")) {
		return true
	}
	return s.Has("CreationTime") && s.Has("Operation") && (s.Has("RecordType") || s.Has("Workload"))
}

// Split cuts single objects, JSON Lines, arrays and pretty-printed
// documents.
func (Format) Split(r io.Reader, maxSize int, emit func(ingest.Unit) error) error {
	return ingest.SplitJSON(r, maxSize, "", emit)
}

// Map maps one audit record or PowerShell search result.
func (Format) Map(u ingest.Unit) (*event.Event, error) {
	obj, err := ingest.ParseObject(u.Raw)
	if err != nil {
		return nil, err
	}
	rec, ps := obj, map[string]any(nil)
	if ad, ok := obj["AuditData"]; ok {
		ps = obj
		switch v := ad.(type) {
		case string:
			if rec, err = ingest.ParseObject([]byte(v)); err != nil {
				return nil, fmt.Errorf("AuditData: %w", err)
			}
		case map[string]any:
			rec = v
		default:
			return nil, errors.New("AuditData: want the audit record, as a JSON string or object")
		}
	}
	op := ingest.Str(rec, "Operation")
	if op == "" {
		op = ingest.Str(ps, "Operations")
	}
	if strings.TrimSpace(op) == "" {
		return nil, errors.New("not a Microsoft 365 audit record: no Operation")
	}
	t, err := recordTime(rec, ps)
	if err != nil {
		return nil, err
	}
	params := nameValues(rec["Parameters"])
	ev := &event.Event{
		Format:    Name,
		Source:    Source,
		Raw:       u.Raw,
		ID:        ingest.Str(rec, "Id"),
		Time:      t,
		Type:      op,
		Component: ingest.Str(rec, "Workload"),
		Actor:     actor(rec, ps),
		Target:    target(rec, params),
		Outcome:   outcome(rec),
		Details:   details(rec, params),
	}
	ev.Context = context(rec)
	if auditSetting(ev.Component, op, params) {
		ev.Category, ev.Severity = "audit", "high"
	}
	return ev, nil
}

// recordTime is the record's CreationTime (UTC when it names no zone, as
// the service writes it), else the PowerShell object's CreationDate.
func recordTime(rec, ps map[string]any) (time.Time, error) {
	if s := ingest.Str(rec, "CreationTime"); s != "" {
		t, err := ingest.ParseTime(s)
		if err != nil {
			return time.Time{}, fmt.Errorf("CreationTime: %w", err)
		}
		return t, nil
	}
	if s := ingest.Str(ps, "CreationDate"); s != "" {
		t, err := ParseDate(s)
		if err != nil {
			return time.Time{}, fmt.Errorf("CreationDate: %w", err)
		}
		return t, nil
	}
	return time.Time{}, errors.New("missing CreationTime")
}

// ParseDate reads a date as PowerShell's ConvertTo-Json writes it,
// /Date(1728364117000)/ (milliseconds since 1970, UTC, perhaps followed by
// an offset that does not change the instant), or as RFC 3339.
func ParseDate(s string) (time.Time, error) {
	rest, ok := strings.CutPrefix(strings.TrimSpace(s), "/Date(")
	if !ok {
		return ingest.ParseTime(s)
	}
	end := strings.IndexAny(rest[min(1, len(rest)):], "+-)")
	if end < 0 {
		return time.Time{}, fmt.Errorf("%q is not /Date(milliseconds)/", s)
	}
	end += min(1, len(rest))
	ms, err := strconv.ParseInt(rest[:end], 10, 64)
	if err != nil || !strings.HasSuffix(rest, ")/") {
		return time.Time{}, fmt.Errorf("%q is not /Date(milliseconds)/", s)
	}
	t := time.UnixMilli(ms).UTC()
	if t.Year() < 0 || t.Year() > 9999 {
		return time.Time{}, fmt.Errorf("%q is outside the years 0000 to 9999", s)
	}
	return t, nil
}

// userType names a UserType value of the audit schema as a party type and
// role.
func userType(n string) (typ, role string) {
	switch n {
	case "0", "1": // Regular, Reserved
		return "user", ""
	case "2": // Admin
		return "user", "admin"
	case "3": // DcAdmin: a Microsoft datacenter operator
		return "user", "dc_admin"
	case "4", "7", "8": // System, CustomPolicy, SystemPolicy
		return "system", ""
	case "5", "6": // Application, ServicePrincipal
		return "service", ""
	}
	return "", ""
}

// actor is who acted: UserId (the PowerShell object's UserIds when the
// record has none) as Email or Name, UserKey as ID, and UserType as Type
// and Role (admin).
func actor(rec, ps map[string]any) event.Party {
	var p event.Party
	who := ingest.Str(rec, "UserId")
	if who == "" {
		who = ingest.Str(ps, "UserIds")
	}
	if strings.Contains(who, "@") {
		p.Email = who
	} else {
		p.Name = who
	}
	p.ID = ingest.Str(rec, "UserKey")
	ut := ingest.Str(rec, "UserType")
	p.Type, p.Role = userType(ut)
	if ut != "" {
		p.Extra = map[string]any{"user_type": rec["UserType"]}
	}
	return p
}

// target is what the operation acted on: the Identity parameter of an
// Exchange cmdlet (the mailbox), else ObjectId; a role granted (Add member
// to role.) is its Role.
func target(rec map[string]any, params map[string]any) event.Party {
	var p event.Party
	obj := ingest.Str(rec, "ObjectId")
	name := obj
	if id, ok := params["Identity"].(string); ok && id != "" {
		name = id
		if obj != "" && obj != id {
			p.Extra = map[string]any{"object_id": obj}
		}
	}
	if strings.Contains(name, "@") {
		p.Email = name
	} else {
		p.Name = name
	}
	if mp, ok := rec["ModifiedProperties"].([]any); ok {
		for _, x := range mp {
			if m, ok := x.(map[string]any); ok && ingest.Str(m, "Name") == "Role.DisplayName" {
				p.Role = ingest.Str(m, "NewValue")
				if p.Role == "" {
					p.Role = ingest.Str(m, "OldValue")
				}
			}
		}
	}
	return p
}

// outcome reads ResultStatus (Success, Succeeded, True; Failed, Failure,
// False); a LogonError is a failure. Otherwise the outcome is left for
// the catalogue to derive.
func outcome(rec map[string]any) string {
	switch strings.ToLower(ingest.Str(rec, "ResultStatus")) {
	case "success", "succeeded", "true":
		return "success"
	case "failed", "failure", "false":
		return "failure"
	}
	if ingest.Str(rec, "LogonError") != "" {
		return "failure"
	}
	return ""
}

// context: ClientIP (IPv4 or IPv6, with or without a port), else
// ActorIpAddress or ClientIPAddress; the user agent from UserAgent or the
// ExtendedProperties; the session from SessionId or the DeviceProperties.
func context(rec map[string]any) event.Context {
	var c event.Context
	for _, k := range []string{"ClientIP", "ActorIpAddress", "ClientIPAddress"} {
		v := ingest.Str(rec, k)
		if v == "" {
			continue
		}
		ip := event.NormalizeIP(v)
		if _, err := netip.ParseAddr(ip); err == nil {
			c.IP = ip
			break
		}
	}
	ext := nameValues(rec["ExtendedProperties"])
	dev := nameValues(rec["DeviceProperties"])
	c.UserAgent = ingest.Str(rec, "UserAgent")
	if c.UserAgent == "" {
		c.UserAgent, _ = ext["UserAgent"].(string)
	}
	c.SessionID = ingest.Str(rec, "SessionId")
	if c.SessionID == "" {
		c.SessionID, _ = dev["SessionId"].(string)
	}
	if os, _ := dev["OS"].(string); os != "" {
		c.Device = os
		if b, _ := dev["BrowserType"].(string); b != "" {
			c.Device += " / " + b
		}
	}
	return c
}

// auditSetting reports an Exchange cmdlet that changes mailbox or
// organisation auditing through its parameters (Set-Mailbox
// -AuditEnabled $false, -AuditLogAgeLimit 0, Set-OrganizationConfig
// -AuditDisabled, ...): tampering with the audit trail, whatever the
// cmdlet's usual category.
func auditSetting(workload, op string, params map[string]any) bool {
	if workload != "Exchange" || !strings.HasPrefix(op, "Set-") {
		return false
	}
	for k := range params {
		if strings.HasPrefix(k, "Audit") || k == "UnifiedAuditLogIngestionEnabled" {
			return true
		}
	}
	return false
}

// nameValues turns the [{"Name":..., "Value":...}] lists of the audit
// schema (Parameters, ExtendedProperties, DeviceProperties) into an
// object; the first of two equal names wins.
func nameValues(v any) map[string]any {
	list, ok := v.([]any)
	if !ok {
		return nil
	}
	m := make(map[string]any, len(list))
	for _, x := range list {
		o, ok := x.(map[string]any)
		if !ok {
			continue
		}
		name := ingest.Str(o, "Name")
		if _, dup := m[name]; name == "" || dup {
			continue
		}
		m[name] = o["Value"]
	}
	return m
}

// details keeps the rest of the record under its own names (RecordType,
// Workload, ResultStatus, ObjectId, ModifiedProperties, LogonError, ...),
// with Parameters, ExtendedProperties and DeviceProperties as objects of
// their names and values, so that details.Parameters.ForwardTo is a
// field.
func details(rec map[string]any, params map[string]any) map[string]any {
	d := make(map[string]any, len(rec))
	for k, v := range rec {
		switch k {
		case "CreationTime", "Id", "Operation", "UserId", "ClientIP":
			continue
		case "Parameters":
			if params != nil {
				v = params
			}
		case "ExtendedProperties", "DeviceProperties":
			if m := nameValues(v); m != nil {
				v = m
			}
		}
		if v != nil {
			d[k] = v
		}
	}
	return d
}
