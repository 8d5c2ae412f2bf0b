// Package cloudtrail reads AWS CloudTrail logs for ingest: the log files
// CloudTrail delivers ({"Records":[...]}, plain or gzip-compressed, one or
// several one after the other), JSON Lines of single records, and JSON
// arrays of records. Each record becomes one event whose Raw is the record
// exactly as it appears in the file.
//
// It owns the mapping of a record to vigil's canonical event, not the
// category of an eventName: that is data, in the catalogue (source
// cloudtrail).
package cloudtrail

import (
	"errors"
	"fmt"
	"io"
	"net/netip"
	"strings"

	"github.com/vigil-dev/vigil/event"
	"github.com/vigil-dev/vigil/ingest"
)

// Name is the format's name, and Source the source its events carry.
const (
	Name   = "cloudtrail"
	Source = "cloudtrail"
)

// Format is the CloudTrail format. The zero value is ready to use.
type Format struct{}

var _ ingest.Format = Format{}

// Name returns "cloudtrail".
func (Format) Name() string { return Name }

// Detect recognises a log file (an object whose first key is "Records",
// holding an array) or a record: an object with eventName and eventSource,
// and eventVersion, userIdentity or awsRegion.
func (Format) Detect(head []byte) bool {
	s := ingest.SniffJSON(head)
	if s.Keys["Records"] == '[' {
		return true
	}
	return s.Has("eventName") && s.Has("eventSource") &&
		(s.Has("eventVersion") || s.Has("userIdentity") || s.Has("awsRegion"))
}

// Split cuts log files into their records, and JSON Lines or arrays into
// theirs.
func (Format) Split(r io.Reader, maxSize int, emit func(ingest.Unit) error) error {
	return ingest.SplitJSON(r, maxSize, "Records", emit)
}

// Map maps one CloudTrail record.
func (Format) Map(u ingest.Unit) (*event.Event, error) {
	rec, err := ingest.ParseObject(u.Raw)
	if err != nil {
		return nil, err
	}
	name := ingest.Str(rec, "eventName")
	if strings.TrimSpace(name) == "" {
		if _, ok := rec["Records"]; ok {
			return nil, errors.New(`"Records" is not an array of CloudTrail records`)
		}
		return nil, errors.New("not a CloudTrail record: no eventName")
	}
	ts := ingest.Str(rec, "eventTime")
	if ts == "" {
		return nil, errors.New("missing eventTime")
	}
	t, err := ingest.ParseTime(ts)
	if err != nil {
		return nil, fmt.Errorf("eventTime: %w", err)
	}
	ev := &event.Event{
		Format:    Name,
		Source:    Source,
		Raw:       u.Raw,
		ID:        ingest.Str(rec, "eventID"),
		Time:      t,
		Type:      name,
		Component: ingest.Str(rec, "eventSource"),
		Actor:     Actor(ingest.Obj(rec, "userIdentity")),
		Target:    target(rec),
		Outcome:   outcome(rec, name),
		Details:   details(rec),
	}
	ev.Context.UserAgent = ingest.Str(rec, "userAgent")
	if src := ingest.Str(rec, "sourceIPAddress"); src != "" {
		if _, err := netip.ParseAddr(event.NormalizeIP(src)); err == nil {
			ev.Context.IP = event.NormalizeIP(src)
		} else {
			// An AWS service ("ec2.amazonaws.com") or "AWS Internal".
			ev.Context.Extra = map[string]any{"source_host": src}
		}
	}
	return ev, nil
}

// Actor maps a record's userIdentity. ID is the ARN (else the principal
// id); Name, or Email when it holds an "@", is who acted: the IAM user's
// name, the session of an assumed role (often the person's email under
// IAM Identity Center), "root", the federated user, or the AWS service
// that acted. Role is the assumed role, or the IAM user behind a federated
// session. Type is "service" for AWS services, else "user". The identity's
// type, account, access key, principal id, invoking service and MFA state
// are kept in Extra.
func Actor(id map[string]any) event.Party {
	var p event.Party
	if id == nil {
		return p
	}
	typ := ingest.Str(id, "type")
	p.ID = ingest.Str(id, "arn")
	if p.ID == "" {
		p.ID = ingest.Str(id, "principalId")
	}
	p.Type = "user"
	invokedBy := ingest.Str(id, "invokedBy")
	issuer := ingest.Obj(ingest.Obj(id, "sessionContext"), "sessionIssuer")
	name := ingest.Str(id, "userName")
	switch typ {
	case "AssumedRole":
		p.Role = ingest.Str(issuer, "userName")
		name = arnTail(p.ID, "assumed-role/")
		if i := strings.LastIndexByte(name, '/'); i >= 0 {
			name = name[i+1:]
		}
	case "Root":
		p.Role = "root"
		if name == "" {
			name = "root"
		}
	case "FederatedUser":
		p.Role = ingest.Str(issuer, "userName")
		name = arnTail(p.ID, "federated-user/")
	case "AWSService":
		p.Type = "service"
		name = invokedBy
	case "AWSAccount":
		if p.ID == "" {
			p.ID = ingest.Str(id, "accountId")
		}
	case "":
		// Service events name no identity type, only the service.
		if invokedBy != "" {
			p.Type = "service"
			name = invokedBy
		}
	}
	if strings.Contains(name, "@") {
		p.Email = name
	} else {
		p.Name = name
	}
	extra := map[string]any{}
	for k, v := range map[string]string{
		"identity_type":     typ,
		"account_id":        ingest.Str(id, "accountId"),
		"access_key_id":     ingest.Str(id, "accessKeyId"),
		"principal_id":      ingest.Str(id, "principalId"),
		"invoked_by":        invokedBy,
		"session_issuer":    ingest.Str(issuer, "arn"),
		"mfa_authenticated": ingest.Str(ingest.Obj(ingest.Obj(id, "sessionContext"), "attributes"), "mfaAuthenticated"),
	} {
		if v != "" {
			extra[k] = v
		}
	}
	if len(extra) > 0 {
		p.Extra = extra
	}
	return p
}

// arnTail returns what follows marker in an ARN, or "".
func arnTail(arn, marker string) string {
	if i := strings.Index(arn, marker); i >= 0 {
		return arn[i+len(marker):]
	}
	return ""
}

// targetParams are the request parameters that name what a call acts on,
// most telling first, with the CloudFormation type of what they name.
var targetParams = []struct{ key, typ string }{
	{"userName", "AWS::IAM::User"},
	{"roleName", "AWS::IAM::Role"},
	{"groupName", "AWS::IAM::Group"},
	{"policyArn", "AWS::IAM::Policy"},
	{"policyName", "AWS::IAM::Policy"},
	{"instanceProfileName", "AWS::IAM::InstanceProfile"},
	{"roleArn", "AWS::IAM::Role"},
	{"trailName", "AWS::CloudTrail::Trail"},
	{"bucketName", "AWS::S3::Bucket"},
	{"secretId", "AWS::SecretsManager::Secret"},
	{"keyId", "AWS::KMS::Key"},
	{"functionName", "AWS::Lambda::Function"},
	{"logGroupName", "AWS::Logs::LogGroup"},
	{"detectorId", "AWS::GuardDuty::Detector"},
	{"instanceId", "AWS::EC2::Instance"},
	{"snapshotId", "AWS::EC2::Snapshot"},
	{"imageId", "AWS::EC2::Image"},
	{"volumeId", "AWS::EC2::Volume"},
	{"groupId", "AWS::EC2::SecurityGroup"},
	{"dBSnapshotIdentifier", "AWS::RDS::DBSnapshot"},
	{"dBInstanceIdentifier", "AWS::RDS::DBInstance"},
	{"name", ""},
}

// target is what a call acted on: the first request parameter that names
// it (userName of CreateUser, name of StopLogging, ...), with its type, and
// the ARN of the first resource the record lists. Other naming parameters
// and further resources are kept in Extra.
func target(rec map[string]any) event.Party {
	var p event.Party
	extra := map[string]any{}
	params := ingest.Obj(rec, "requestParameters")
	for _, tp := range targetParams {
		v := ingest.Str(params, tp.key)
		if v == "" {
			continue
		}
		if p.Name == "" {
			p.Name, p.Type = v, tp.typ
			if tp.key == "name" && ingest.Str(rec, "eventSource") == "cloudtrail.amazonaws.com" {
				p.Type = "AWS::CloudTrail::Trail"
			}
			continue
		}
		if tp.key != "name" { // Party's own key: details.requestParameters.name has it
			extra[tp.key] = v
		}
	}
	if res, ok := rec["resources"].([]any); ok && len(res) > 0 {
		if r0, ok := res[0].(map[string]any); ok {
			arn, typ := ingest.Str(r0, "ARN"), ingest.Str(r0, "type")
			switch {
			case p.Name == "":
				p.ID, p.Type = arn, typ
			case p.Type == "" || p.Type == typ:
				p.ID, p.Type = arn, typ
			}
		}
		if len(res) > 1 {
			extra["resources"] = res
		}
	}
	if len(extra) > 0 {
		p.Extra = extra
	}
	return p
}

// outcome: a record with an errorCode failed; a sign-in event says how it
// went under its own name in responseElements ({"ConsoleLogin":
// "Failure"}); any other call that CloudTrail logged without an error
// succeeded.
func outcome(rec map[string]any, name string) string {
	if ingest.Str(rec, "errorCode") != "" {
		return "failure"
	}
	switch strings.ToLower(ingest.Str(ingest.Obj(rec, "responseElements"), name)) {
	case "success":
		return "success"
	case "failure":
		return "failure"
	}
	return "success"
}

// mapped reports the record's keys that the canonical fields hold.
func mapped(key string) bool {
	switch key {
	case "eventID", "eventTime", "eventName", "eventSource", "userIdentity", "sourceIPAddress", "userAgent":
		return true
	}
	return false
}

// details keeps the rest of the record under CloudTrail's own names
// (requestParameters, errorCode, awsRegion, ...), so that queries read
// like the AWS documentation: details.requestParameters.userName. The
// responseElements are left to Raw, except for sign-in events where they
// are small and say how the sign-in went.
func details(rec map[string]any) map[string]any {
	d := make(map[string]any, len(rec))
	signin := ingest.Str(rec, "eventSource") == "signin.amazonaws.com"
	for k, v := range rec {
		if mapped(k) || v == nil || (k == "responseElements" && !signin) {
			continue
		}
		d[k] = v
	}
	return d
}
