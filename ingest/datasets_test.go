package ingest_test

// Tests over every file of the real audit logs in testdata/datasets (copies
// of ../shared/datasets, with their licences): each file's format is
// detected, every record is imported, the only rejects and duplicates are
// the ones explained here, and chosen fields of chosen events match values
// read out of the files by this test, independently of the importers.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigil-dev/vigil/event"
	"github.com/vigil-dev/vigil/export"
	"github.com/vigil-dev/vigil/ingest"
	"github.com/vigil-dev/vigil/ingest/auditd"
	"github.com/vigil-dev/vigil/ingest/cloudtrail"
	"github.com/vigil-dev/vigil/ingest/k8saudit"
	"github.com/vigil-dev/vigil/ingest/m365"
	"github.com/vigil-dev/vigil/query"
	"github.com/vigil-dev/vigil/store"
)

const datasets = "../testdata/datasets"

// allFormats is the list the command line offers.
func allFormats() []ingest.Format {
	return []ingest.Format{cloudtrail.Format{}, k8saudit.Format{}, m365.Format{}, auditd.Format{}}
}

// fileRecord is one record of a dataset file as this test reads it,
// without the importers: its bytes and its id where the format has one.
type fileRecord struct {
	line int
	raw  []byte
	id   string
	m    map[string]any // the record decoded with encoding/json (JSON formats)
}

// dataset is one folder of testdata/datasets.
type dataset struct {
	dir    string
	format string // what auto-detection must say for each of its files
	source string
	// read extracts a file's records independently of the importers.
	read func(t *testing.T, data []byte) []fileRecord
	// rejects are the records of the set that cannot be events, by
	// "file:line", with why.
	rejects map[string]string
	// duplicates is how many records repeat the id of an earlier one,
	// with why; they are stored once.
	duplicates int
	why        string
	// ownIDs reports that the format's records carry their own ids,
	// which become the events' ids.
	ownIDs bool
}

func sets() []dataset {
	return []dataset{
		{
			dir: "cloudtrail-invictus", format: cloudtrail.Name, source: cloudtrail.Source,
			read: readCloudTrail, ownIDs: true,
		},
		{
			dir: "k8s-audit", format: k8saudit.Name, source: k8saudit.Source,
			read: readJSONLines("auditID"), ownIDs: true,
			rejects: map[string]string{
				"falco-trace-files.jsonl:95": `falco's trace of a malformed event, {"kind": 0}: no audit event at all`,
			},
			duplicates: 2,
			why: "falco's trace files reuse two auditIDs: line 100 repeats line 1 with another user, " +
				"line 42 repeats line 36; one event is stored per auditID",
		},
		{
			dir: "m365-ual", format: m365.Name, source: m365.Source,
			read:       readM365,
			ownIDs:     true,
			duplicates: 9,
			why: "the spray samples repeat 9 record Ids (7 in o365spray_reporting, some with a user name edited, " +
				"2 in Forward_Rule_Multi_Users_Same_Forward_dest); a record Id is stored once",
		},
		{
			dir: "auditd", format: auditd.Name, source: auditd.Source,
			read: readAuditd,
			rejects: map[string]string{
				"audit-rhel7.log:31": "go-libaudit's sample of an unknown record, type=UNKNOWN[1329] msg=?: it has no msg=audit(TIME:SERIAL) stamp, so no time",
			},
		},
	}
}

// dataFiles lists the data files of a set: everything but licences and
// READMEs.
func dataFiles(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join(datasets, dir))
	if err != nil {
		t.Fatal(err)
	}
	var files []string
	for _, e := range entries {
		if n := e.Name(); !e.IsDir() && !strings.HasPrefix(n, "LICENSE") && !strings.HasPrefix(n, "README") {
			files = append(files, filepath.Join(datasets, dir, n))
		}
	}
	if len(files) == 0 {
		t.Fatalf("no data files in %s", dir)
	}
	return files
}

func readCloudTrail(t *testing.T, data []byte) []fileRecord {
	var file struct{ Records []json.RawMessage }
	if err := json.Unmarshal(data, &file); err != nil {
		t.Fatal(err)
	}
	out := make([]fileRecord, len(file.Records))
	for i, raw := range file.Records {
		out[i] = fileRecord{line: 1, raw: raw, m: decode(t, raw)}
		out[i].id, _ = out[i].m["eventID"].(string)
	}
	return out
}

func readJSONLines(idKey string) func(t *testing.T, data []byte) []fileRecord {
	return func(t *testing.T, data []byte) []fileRecord {
		var out []fileRecord
		for i, line := range bytes.Split(data, []byte("\n")) {
			line = bytes.TrimRight(line, "\r")
			if len(bytes.TrimSpace(line)) == 0 {
				continue
			}
			r := fileRecord{line: i + 1, raw: line, m: decode(t, line)}
			r.id, _ = r.m[idKey].(string)
			out = append(out, r)
		}
		return out
	}
}

// readM365 reads one object, JSON Lines or an array, as the files come;
// the id is the audit record's Id, inside AuditData for PowerShell output.
func readM365(t *testing.T, data []byte) []fileRecord {
	trimmed := bytes.TrimSpace(data)
	var out []fileRecord
	switch {
	case trimmed[0] == '[':
		var arr []json.RawMessage
		if err := json.Unmarshal(trimmed, &arr); err != nil {
			t.Fatal(err)
		}
		for _, raw := range arr {
			out = append(out, fileRecord{raw: raw, m: decode(t, raw)})
		}
	case json.Valid(trimmed):
		out = append(out, fileRecord{line: 1, raw: trimmed, m: decode(t, trimmed)})
	default:
		out = readJSONLines("Id")(t, data)
	}
	for i := range out {
		out[i].id, _ = auditData(out[i].m)["Id"].(string)
	}
	return out
}

// auditData is the audit record itself: the object, or its AuditData.
func auditData(m map[string]any) map[string]any {
	switch ad := m["AuditData"].(type) {
	case map[string]any:
		return ad
	case string:
		var inner map[string]any
		if json.Unmarshal([]byte(ad), &inner) == nil {
			return inner
		}
	}
	return m
}

var auditStamp = regexp.MustCompile(`^(?:node=(\S+) )?type=(\S+) msg=audit\((\d+\.\d+:\d+)\)`)

// readAuditd groups the lines of a raw audit log by their
// msg=audit(TIME:SERIAL) stamp, in order of first appearance. A line with
// no stamp is a record of its own, with no id.
func readAuditd(t *testing.T, data []byte) []fileRecord {
	var out []fileRecord
	index := map[string]int{}
	for i, line := range strings.Split(string(data), "\n") {
		if strings.TrimSpace(line) == "" {
			continue
		}
		m := auditStamp.FindStringSubmatch(line)
		if m == nil {
			out = append(out, fileRecord{line: i + 1, raw: []byte(line)})
			continue
		}
		key := m[1] + " " + m[3]
		if j, ok := index[key]; ok {
			out[j].raw = append(append(out[j].raw, '\n'), line...)
			continue
		}
		index[key] = len(out)
		out = append(out, fileRecord{line: i + 1, raw: []byte(line), id: key})
	}
	return out
}

func decode(t *testing.T, raw []byte) map[string]any {
	t.Helper()
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	var m map[string]any
	if err := d.Decode(&m); err != nil {
		return nil // not an object: an expected reject, checked by the caller
	}
	return m
}

// imported is what an ingest of some files did, read back from the store.
type imported struct {
	stats   *ingest.Stats
	rejects []ingest.Reject
	formats map[string]string // source name -> format read in
	events  []*event.Event    // as stored, in seq order
	records []store.Record    // the same, as the store holds them
}

// importFiles ingests files with auto-detection into a real store and
// reads every stored event back, as every reader of the store sees it.
func importFiles(t testing.TB, files []string) imported {
	t.Helper()
	st, err := store.Open(t.TempDir(), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var sources []ingest.Source
	for _, f := range files {
		fh, err := os.Open(f)
		if err != nil {
			t.Fatal(err)
		}
		defer fh.Close()
		sources = append(sources, ingest.Source{Name: f, R: fh})
	}
	res := imported{formats: map[string]string{}}
	var mu sync.Mutex
	res.stats, err = ingest.Run(context.Background(), st, sources, ingest.Options{
		Formats: allFormats(),
		Format:  ingest.Auto,
		OnFormat: func(source, format string) {
			mu.Lock()
			res.formats[source] = format
			mu.Unlock()
		},
		OnReject: func(r ingest.Reject) {
			r.Raw = bytes.Clone(r.Raw)
			res.rejects = append(res.rejects, r)
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	err = st.Scan(context.Background(), 1, 0, false, func(r store.Record) error {
		ev, err := r.Event()
		if err != nil {
			return err
		}
		res.events = append(res.events, ev)
		r.Data = bytes.Clone(r.Data)
		res.records = append(res.records, r)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// TestDatasetFormatsAreDetected checks auto-detection on every data file,
// from its first DetectSize bytes as Detect is given them.
func TestDatasetFormatsAreDetected(t *testing.T) {
	for _, set := range sets() {
		for _, file := range dataFiles(t, set.dir) {
			t.Run(strings.TrimPrefix(file, datasets+"/"), func(t *testing.T) {
				data, err := os.ReadFile(file)
				if err != nil {
					t.Fatal(err)
				}
				head := data[:min(len(data), ingest.DetectSize)]
				if got := ingest.Detect(allFormats(), head).Name(); got != set.format {
					t.Errorf("detected %s, want %s", got, set.format)
				}
			})
		}
	}
}

// TestDatasetsImportEveryRecord imports each set with --format auto and
// accounts for every record of every file: stored (with its bytes
// verbatim), a duplicate of a stored id, or one of the explained rejects.
func TestDatasetsImportEveryRecord(t *testing.T) {
	for _, set := range sets() {
		t.Run(set.dir, func(t *testing.T) {
			files := dataFiles(t, set.dir)
			var records []fileRecord
			byName := map[string]fileRecord{} // "file:line" -> record
			for _, f := range files {
				data, err := os.ReadFile(f)
				if err != nil {
					t.Fatal(err)
				}
				for _, r := range set.read(t, data) {
					records = append(records, r)
					byName[fmt.Sprintf("%s:%d", filepath.Base(f), r.line)] = r
				}
			}
			got := importFiles(t, files)

			for _, f := range files {
				if got.formats[f] != set.format {
					t.Errorf("%s read as %q, want %s", f, got.formats[f], set.format)
				}
			}
			// Rejects: exactly the explained ones, verbatim.
			var rejected []string
			for _, r := range got.rejects {
				name := fmt.Sprintf("%s:%d", filepath.Base(r.Source), r.Line)
				rejected = append(rejected, name)
				why, ok := set.rejects[name]
				if !ok {
					t.Errorf("unexplained reject %s", r)
					continue
				}
				if rec := byName[name]; !bytes.Equal(r.Raw, rec.raw) {
					t.Errorf("reject %s is not the line verbatim: %q, want %q", name, r.Raw, rec.raw)
				}
				t.Logf("rejected as expected: %s (%s)", r, why)
			}
			if len(rejected) != len(set.rejects) {
				t.Errorf("rejects %v, want those of %v", rejected, set.rejects)
			}
			// Counts: every record read; stored once per id.
			ids := map[string]bool{}
			dups := 0
			for _, r := range records {
				if r.id == "" {
					continue
				}
				if ids[r.id] {
					dups++
				}
				ids[r.id] = true
			}
			if dups != set.duplicates {
				t.Errorf("the files repeat %d ids, the test explains %d", dups, set.duplicates)
			}
			wantStored := len(records) - len(set.rejects) - set.duplicates
			s := got.stats
			if s.Units.Load() != int64(len(records)) || s.Stored.Load() != int64(wantStored) ||
				s.Duplicates.Load() != int64(set.duplicates) || s.Rejected.Load() != int64(len(set.rejects)) {
				t.Errorf("read %d, stored %d, duplicates %d, rejected %d; want %d, %d, %d, %d",
					s.Units.Load(), s.Stored.Load(), s.Duplicates.Load(), s.Rejected.Load(),
					len(records), wantStored, set.duplicates, len(set.rejects))
			}
			if len(got.events) != wantStored {
				t.Fatalf("store holds %d events, want %d", len(got.events), wantStored)
			}
			if set.duplicates > 0 {
				t.Logf("%d duplicates, as expected: %s", set.duplicates, set.why)
			}
			// Every stored event is a record of the files, byte for byte,
			// and every record whose id is stored is stored (or repeats it).
			raws := map[string]int{}
			for _, r := range records {
				raws[string(r.raw)]++
			}
			storedIDs := map[string]bool{}
			for _, ev := range got.events {
				if raws[string(ev.Raw)] == 0 {
					t.Errorf("stored event %s: Raw is no record of the files: %.200q", ev.ID, ev.Raw)
				}
				if ev.Format != set.format || ev.Source != set.source {
					t.Errorf("stored event %s: format %q, source %q; want %q, %q", ev.ID, ev.Format, ev.Source, set.format, set.source)
				}
				if ev.Type == "" || ev.Time.IsZero() || ev.Category == "" || ev.Severity == "" || ev.Outcome == "" {
					t.Errorf("stored event %s: type %q, time %v, category %q, severity %q, outcome %q",
						ev.ID, ev.Type, ev.Time, ev.Category, ev.Severity, ev.Outcome)
				}
				storedIDs[ev.ID] = true
			}
			for id := range ids {
				if set.ownIDs && !storedIDs[id] {
					t.Errorf("record id %s of the files is not stored", id)
				}
			}
		})
	}
}

// byID indexes stored events by id.
func byID(events []*event.Event) map[string]*event.Event {
	m := make(map[string]*event.Event, len(events))
	for _, ev := range events {
		m[ev.ID] = ev
	}
	return m
}

func str(m map[string]any, path string) string {
	v := ingest.Path(m, path)
	switch x := v.(type) {
	case string:
		return x
	case json.Number:
		return x.String()
	case nil:
		return ""
	}
	return fmt.Sprint(v)
}

func mustTime(t *testing.T, s string, layout string) time.Time {
	t.Helper()
	tm, err := time.ParseInLocation(layout, s, time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	return tm.UTC()
}

// readSet reads every record of a set as the test reads them.
func readSet(t *testing.T, set dataset) []fileRecord {
	var out []fileRecord
	for _, f := range dataFiles(t, set.dir) {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, set.read(t, data)...)
	}
	return out
}

func setByDir(dir string) dataset {
	for _, s := range sets() {
		if s.dir == dir {
			return s
		}
	}
	panic(dir)
}

// judgement is the catalogue's verdict expected for an event.
type judgement struct{ category, severity string }

// TestCloudTrailMapping checks every record of the CloudTrail set against
// the file (id, time, action, actor, IP, user agent, outcome), and the
// category and severity of the events that matter.
func TestCloudTrailMapping(t *testing.T) {
	set := setByDir("cloudtrail-invictus")
	records := readSet(t, set)
	got := byID(importFiles(t, dataFiles(t, set.dir)).events)

	failures := 0
	for _, r := range records {
		ev := got[r.id]
		if ev == nil {
			t.Fatalf("eventID %s not stored", r.id)
		}
		m := r.m
		want := mustTime(t, str(m, "eventTime"), time.RFC3339)
		if !ev.Time.Equal(want) || ev.Type != str(m, "eventName") || ev.Component != str(m, "eventSource") {
			t.Errorf("%s: time %v, type %q, component %q; file says %v, %q, %q", r.id, ev.Time, ev.Type, ev.Component, want, str(m, "eventName"), str(m, "eventSource"))
		}
		if ev.Context.UserAgent != str(m, "userAgent") {
			t.Errorf("%s: user agent %q, file says %q", r.id, ev.Context.UserAgent, str(m, "userAgent"))
		}
		if ip := net.ParseIP(str(m, "sourceIPAddress")); ip != nil && ev.Context.IP != ip.String() {
			t.Errorf("%s: ip %q, file says %q", r.id, ev.Context.IP, str(m, "sourceIPAddress"))
		}
		// Any event with an errorCode failed; a sign-in says how it went.
		wantOutcome := "success"
		if str(m, "errorCode") != "" {
			wantOutcome = "failure"
			failures++
		} else if v := str(m, "responseElements."+str(m, "eventName")); v != "" {
			wantOutcome = strings.ToLower(v)
		}
		if ev.Outcome != wantOutcome {
			t.Errorf("%s %s: outcome %q, want %q", r.id, ev.Type, ev.Outcome, wantOutcome)
		}
		// The actor, by identity type.
		id := ingest.Obj(m, "userIdentity")
		switch typ := str(id, "type"); typ {
		case "IAMUser":
			wantID := str(id, "arn")
			if wantID == "" { // CheckMfa names the user without an ARN
				wantID = str(id, "principalId")
			}
			if ev.Actor.Name != str(id, "userName") || ev.Actor.ID != wantID || ev.Actor.Type != "user" {
				t.Errorf("%s: IAMUser actor %+v, file says %s %s", r.id, ev.Actor, str(id, "userName"), wantID)
			}
		case "AssumedRole":
			arn := str(id, "arn")
			if ev.Actor.Role != str(id, "sessionContext.sessionIssuer.userName") || ev.Actor.ID != arn ||
				ev.Actor.Label() != arn[strings.LastIndexByte(arn, '/')+1:] {
				t.Errorf("%s: AssumedRole actor %+v, file says %s", r.id, ev.Actor, arn)
			}
		case "AWSService", "":
			if ev.Actor.Name != str(id, "invokedBy") || ev.Actor.Type != "service" {
				t.Errorf("%s: %q actor %+v, file says invokedBy %s", r.id, typ, ev.Actor, str(id, "invokedBy"))
			}
		default:
			t.Errorf("%s: identity type %q the test does not know", r.id, typ)
		}
	}
	if failures != 300 {
		t.Errorf("%d records with an errorCode, the set has 300", failures)
	}

	// The judgements analysts rely on, on every event of these names.
	judged := map[string]judgement{
		"ConsoleLogin":            {"authentication", "info"},
		"CheckMfa":                {"authentication", "info"},
		"StopLogging":             {"audit", "high"},
		"DeleteTrail":             {"audit", "high"},
		"PutEventSelectors":       {"audit", "high"},
		"DeleteFlowLogs":          {"audit", "high"},
		"CreateUser":              {"users", "low"},
		"DeleteUser":              {"users", "medium"},
		"CreateLoginProfile":      {"users", "medium"},
		"CreateAccessKey":         {"api", "medium"},
		"AttachUserPolicy":        {"team", "medium"},
		"AttachRolePolicy":        {"team", "medium"},
		"CreateRole":              {"team", "medium"},
		"UpdateAssumeRolePolicy":  {"team", "high"},
		"GetSecretValue":          {"data", "medium"},
		"GetPasswordData":         {"data", "high"},
		"ModifySnapshotAttribute": {"sharing", "high"},
		"LeaveOrganization":       {"security", "high"},
		"DescribeInstances":       {"other", "info"},
	}
	seen := map[string]int{}
	for _, ev := range got {
		if j, ok := judged[ev.Type]; ok {
			seen[ev.Type]++
			if ev.Category != j.category || ev.Severity != j.severity {
				t.Errorf("%s %s: %s/%s, want %s/%s", ev.Type, ev.ID, ev.Category, ev.Severity, j.category, j.severity)
			}
		}
	}
	for typ := range judged {
		if seen[typ] == 0 {
			t.Errorf("the set has no %s event", typ)
		}
	}

	// Chosen events, field by field.
	for _, r := range records {
		ev := got[r.id]
		switch str(r.m, "eventName") {
		case "ConsoleLogin":
			if ev.Outcome != strings.ToLower(str(r.m, "responseElements.ConsoleLogin")) {
				t.Errorf("ConsoleLogin %s: outcome %q, responseElements.ConsoleLogin %q", r.id, ev.Outcome, str(r.m, "responseElements.ConsoleLogin"))
			}
			if ev.Details["additionalEventData"] == nil {
				t.Errorf("ConsoleLogin %s: details lack additionalEventData (MFAUsed)", r.id)
			}
		case "StopLogging", "DeleteTrail":
			if ev.Target.Name != str(r.m, "requestParameters.name") || ev.Target.Type != "AWS::CloudTrail::Trail" {
				t.Errorf("%s %s: target %+v, requestParameters.name %q", ev.Type, r.id, ev.Target, str(r.m, "requestParameters.name"))
			}
		case "AttachUserPolicy":
			if ev.Target.Name != str(r.m, "requestParameters.userName") || ev.Target.Extra["policyArn"] != str(r.m, "requestParameters.policyArn") {
				t.Errorf("AttachUserPolicy %s: target %+v, file says %s %s", r.id, ev.Target, str(r.m, "requestParameters.userName"), str(r.m, "requestParameters.policyArn"))
			}
		}
		if c := str(r.m, "errorCode"); c != "" && ev.Details["errorCode"] != c {
			t.Errorf("%s: details.errorCode %v, file says %s", r.id, ev.Details["errorCode"], c)
		}
	}
}

// TestKubernetesMapping checks every event of the Kubernetes set against
// its line: auditID, action, user, impersonated user, address, user agent,
// object and outcome; and that verbs on secrets are data access.
func TestKubernetesMapping(t *testing.T) {
	set := setByDir("k8s-audit")
	records := readSet(t, set)
	got := byID(importFiles(t, dataFiles(t, set.dir)).events)
	secrets := 0
	for _, r := range records {
		if r.id == "" {
			continue // the explained reject
		}
		ev := got[r.id]
		if ev == nil {
			t.Fatalf("auditID %s not stored", r.id)
		}
		if !bytes.Equal(ev.Raw, r.raw) {
			// A repeated auditID: the first line with it is stored.
			continue
		}
		m := r.m
		res := str(m, "objectRef.resource")
		if sub := str(m, "objectRef.subresource"); sub != "" {
			res += "/" + sub
		}
		if res == "" {
			res = "nonresource"
		}
		if want := res + "." + str(m, "verb"); ev.Type != want {
			t.Errorf("%s: type %q, want %q", r.id, ev.Type, want)
		}
		when := str(m, "requestReceivedTimestamp")
		if when == "" {
			when = str(m, "timestamp")
		}
		if want := mustTime(t, when, time.RFC3339Nano); !ev.Time.Equal(want) {
			t.Errorf("%s: time %v, want %v", r.id, ev.Time, want)
		}
		if ev.Actor.Label() != str(m, "user.username") {
			t.Errorf("%s: actor %q, user.username %q", r.id, ev.Actor.Label(), str(m, "user.username"))
		}
		if imp := str(m, "impersonatedUser.username"); imp != "" && ev.Actor.Extra["impersonated_user"] != imp {
			t.Errorf("%s: impersonated user %v, file says %q", r.id, ev.Actor.Extra["impersonated_user"], imp)
		}
		ips, _ := m["sourceIPs"].([]any)
		if want := net.ParseIP(ips[0].(string)).String(); ev.Context.IP != want {
			t.Errorf("%s: ip %q, sourceIPs[0] %q", r.id, ev.Context.IP, want)
		}
		if ev.Context.UserAgent != str(m, "userAgent") {
			t.Errorf("%s: user agent %q, file says %q", r.id, ev.Context.UserAgent, str(m, "userAgent"))
		}
		if ev.Target.Name != str(m, "objectRef.name") && str(m, "objectRef.name") != "" {
			t.Errorf("%s: target %q, objectRef.name %q", r.id, ev.Target.Name, str(m, "objectRef.name"))
		}
		if ns := str(m, "objectRef.namespace"); ns != "" && ev.Target.Extra["namespace"] != ns {
			t.Errorf("%s: target namespace %v, file says %q", r.id, ev.Target.Extra["namespace"], ns)
		}
		wantOutcome := "success"
		var code int
		fmt.Sscan(str(m, "responseStatus.code"), &code)
		if code >= 400 {
			wantOutcome = "failure"
		}
		if ev.Outcome != wantOutcome {
			t.Errorf("%s: outcome %q, responseStatus.code %d", r.id, ev.Outcome, code)
		}
		if res == "secrets" {
			secrets++
			if ev.Category != "data" {
				t.Errorf("%s %s: category %q, want data", r.id, ev.Type, ev.Category)
			}
		}
	}
	if secrets != 5 {
		t.Errorf("%d events on secrets, the set has 5", secrets)
	}
	for _, c := range []struct {
		id, typ, category, severity, outcome string
	}{
		{"4b814005-0bfa-4756-bf3e-3750de5b8769", "secrets.list", "data", "medium", "failure"},               // alice, forbidden
		{"263db4e4-f0bb-41b4-913d-c03815f49be5", "secrets.create", "data", "low", "success"},                // kubeadm
		{"c97244c7-4aec-4714-946a-8204d00ecdca", "clusterrolebindings.create", "team", "medium", "success"}, // to cluster-admin
		{"14933b4e-7b09-4964-af09-b7987367e1ba", "pods/attach.create", "security", "high", "success"},       // ResponseStarted only
	} {
		ev := got[c.id]
		if ev == nil || ev.Type != c.typ || ev.Category != c.category || ev.Severity != c.severity || ev.Outcome != c.outcome {
			t.Errorf("%s: got %+v; want %s %s/%s %s", c.id, ev, c.typ, c.category, c.severity, c.outcome)
		}
	}
}

// TestM365Mapping checks every record of the Microsoft 365 set against the
// file: Id, time (CreationTime, no zone, as UTC), operation, user, client
// address (IPv4/IPv6, with or without a port), outcome and workload.
func TestM365Mapping(t *testing.T) {
	set := setByDir("m365-ual")
	records := readSet(t, set)
	got := byID(importFiles(t, dataFiles(t, set.dir)).events)
	failedLogins := map[string]bool{}
	for _, r := range records {
		ev := got[r.id]
		if ev == nil {
			t.Fatalf("Id %s not stored", r.id)
		}
		if !bytes.Equal(ev.Raw, r.raw) {
			continue // a repeated Id: the first record with it is stored
		}
		a := auditData(r.m)
		if want := mustTime(t, str(a, "CreationTime"), "2006-01-02T15:04:05"); !ev.Time.Equal(want) {
			t.Errorf("%s: time %v, CreationTime %s as UTC", r.id, ev.Time, str(a, "CreationTime"))
		}
		if _, ps := r.m["AuditData"]; ps {
			ms := strings.TrimSuffix(strings.TrimPrefix(str(r.m, "CreationDate"), "/Date("), ")/")
			var n int64
			fmt.Sscan(ms, &n)
			if !ev.Time.Equal(time.UnixMilli(n)) {
				t.Errorf("%s: time %v, CreationDate %s", r.id, ev.Time, str(r.m, "CreationDate"))
			}
		}
		if ev.Type != str(a, "Operation") || ev.Actor.Label() != str(a, "UserId") || ev.Component != str(a, "Workload") {
			t.Errorf("%s: type %q, actor %q, component %q; file says %q, %q, %q",
				r.id, ev.Type, ev.Actor.Label(), ev.Component, str(a, "Operation"), str(a, "UserId"), str(a, "Workload"))
		}
		if ip := str(a, "ClientIP"); ip != "" {
			if host, _, err := net.SplitHostPort(ip); err == nil {
				ip = host
			}
			if want := net.ParseIP(ip).String(); ev.Context.IP != want {
				t.Errorf("%s: ip %q, ClientIP %q", r.id, ev.Context.IP, str(a, "ClientIP"))
			}
		}
		wantOutcome := map[string]string{"Success": "success", "True": "success", "Failed": "failure"}[str(a, "ResultStatus")]
		if ev.Outcome != wantOutcome {
			t.Errorf("%s: outcome %q, ResultStatus %q", r.id, ev.Outcome, str(a, "ResultStatus"))
		}
		if ev.Type == "UserLoginFailed" {
			failedLogins[r.id] = true
			if ev.Category != "authentication" || ev.Outcome != "failure" {
				t.Errorf("%s UserLoginFailed: %s, %s; want a failed authentication", r.id, ev.Category, ev.Outcome)
			}
			if ev.Details["LogonError"] != str(a, "LogonError") {
				t.Errorf("%s: details.LogonError %v, file says %q", r.id, ev.Details["LogonError"], str(a, "LogonError"))
			}
		}
		if ev.Type == "Add member to role." {
			var role string
			for _, p := range a["ModifiedProperties"].([]any) {
				if p := p.(map[string]any); p["Name"] == "Role.DisplayName" {
					role = p["NewValue"].(string)
				}
			}
			if ev.Target.Role != role || ev.Target.Email != str(a, "ObjectId") || ev.Category != "team" || ev.Severity != "high" {
				t.Errorf("%s Add member to role.: target %+v %s/%s; file says %s gets %q", r.id, ev.Target, ev.Category, ev.Severity, str(a, "ObjectId"), role)
			}
		}
	}
	if len(failedLogins) != 33 {
		t.Errorf("%d distinct failed logins, the set has 33", len(failedLogins))
	}
	for _, c := range []struct {
		id, category, severity, target string
	}{
		{"8b30644e-adc3-430a-9e1b-08db59217c9f", "audit", "high", "Alex@contoso.onmicrosoft.com"},          // Set-Mailbox -AuditLogAgeLimit
		{"21e87b2c-7fc0-4f65-d5e9-08db59208799", "audit", "high", "Admin Audit Log Settings"},              // UAL ingestion off
		{"20fd5006-645b-42be-e9de-08db592255ac", "audit", "high", "Alex@contoso.onmicrosoft.com"},          // audit bypass
		{"97fc1f52-4cd1-498b-f05e-08db8b78efd7", "sharing", "medium", "Henrietta@contoso.onmicrosoft.com"}, // FullAccess
		{"80ab29e3-9b72-425c-deba-08dce867426a", "data", "medium", ""},                                     // New-InboxRule, PowerShell output
	} {
		ev := got[c.id]
		if ev == nil || ev.Category != c.category || ev.Severity != c.severity || (c.target != "" && ev.Target.Label() != c.target) {
			t.Errorf("%s: got %+v; want %s/%s on %q", c.id, ev, c.category, c.severity, c.target)
		}
	}
}

// TestAuditdMapping checks the auditd set against the lines: one event per
// msg=audit(TIME:SERIAL), its records verbatim, time from the stamp,
// hex-encoded values decoded, and the sign-in and account records' actor,
// target, address and outcome.
func TestAuditdMapping(t *testing.T) {
	set := setByDir("auditd")
	records := readSet(t, set)
	events := importFiles(t, dataFiles(t, set.dir)).events
	byStamp := map[string]*event.Event{}
	for _, ev := range events {
		id, _ := ev.Details["audit_id"].(string)
		byStamp[" "+id] = ev
	}
	// field reads key=value or key="value" out of the lines, inside
	// msg='...' too.
	field := func(raw []byte, key string) string {
		m := regexp.MustCompile(`(?:^|[\s'])` + key + `=("[^"]*"|[^\s'"]+)`).FindStringSubmatch(string(raw))
		if m == nil {
			return ""
		}
		return strings.Trim(m[1], `"`)
	}
	for _, r := range records {
		if r.id == "" {
			continue // the explained reject
		}
		ev := byStamp[r.id]
		if ev == nil {
			t.Fatalf("event %s not stored", r.id)
		}
		if !bytes.Equal(ev.Raw, r.raw) {
			t.Errorf("%s: raw %q, want the lines %q", r.id, ev.Raw, r.raw)
		}
		stamp := strings.TrimPrefix(r.id, " ")
		var sec, ms int64
		fmt.Sscanf(stamp, "%d.%d:", &sec, &ms)
		if want := time.Unix(sec, ms*int64(time.Millisecond)); !ev.Time.Equal(want) {
			t.Errorf("%s: time %v, want %v", r.id, ev.Time, want)
		}
		if res := field(r.raw, "res"); res == "success" || res == "failed" {
			want := map[string]string{"success": "success", "failed": "failure"}[res]
			if ev.Outcome != want {
				t.Errorf("%s: outcome %q, res=%s", r.id, ev.Outcome, res)
			}
		}
		if addr := field(r.raw, "addr"); net.ParseIP(addr) != nil && ev.Context.IP != addr {
			t.Errorf("%s: ip %q, addr=%s", r.id, ev.Context.IP, addr)
		}
	}
	// Chosen events, values read out of the lines.
	find := func(typ, contains string) (*event.Event, fileRecord) {
		for _, r := range records {
			if strings.HasPrefix(string(r.raw), "type="+typ+" ") && strings.Contains(string(r.raw), contains) {
				return byStamp[r.id], r
			}
		}
		t.Fatalf("no %s record with %q", typ, contains)
		return nil, fileRecord{}
	}
	// A failed ssh login of an unknown user: acct is hex-encoded.
	ev, r := find("USER_LOGIN", "res=failed")
	acct, err := hex.DecodeString(field(r.raw, "acct"))
	if err != nil || ev.Actor.Name != string(acct) || ev.Category != "authentication" || ev.Outcome != "failure" || ev.Context.IP != field(r.raw, "addr") {
		t.Errorf("failed USER_LOGIN: actor %q, %s, %s, ip %q; lines say acct %q from %s", ev.Actor.Name, ev.Category, ev.Outcome, ev.Context.IP, acct, field(r.raw, "addr"))
	}
	// A successful one: the user is id=, their login uid auid=.
	ev, r = find("USER_LOGIN", "res=success")
	if ev.Actor.ID != field(r.raw, "id") || ev.Context.SessionID != field(r.raw, "ses") || ev.Outcome != "success" {
		t.Errorf("USER_LOGIN: actor %+v, session %q; lines say id %s ses %s", ev.Actor, ev.Context.SessionID, field(r.raw, "id"), field(r.raw, "ses"))
	}
	// useradd: the new account is the target.
	ev, r = find("ADD_USER", "")
	if ev.Target.ID != field(r.raw, "id") || ev.Category != "users" || ev.Actor.ID != field(r.raw, "uid") || ev.Actor.Type != "system" {
		t.Errorf("ADD_USER: target %+v actor %+v %s; lines say id %s by uid %s", ev.Target, ev.Actor, ev.Category, field(r.raw, "id"), field(r.raw, "uid"))
	}
	// sudo: the command is hex-encoded.
	ev, r = find("USER_CMD", "auid=1000")
	cmd, _ := hex.DecodeString(field(r.raw, "cmd"))
	if got := ingest.Path(ev.Details, "user_cmd.cmd"); got != string(cmd) || ev.Actor.ID != field(r.raw, "auid") {
		t.Errorf("USER_CMD: cmd %q actor %+v; lines say %q by auid %s", got, ev.Actor, cmd, field(r.raw, "auid"))
	}
	// An event of three records (CWD, EXECVE, PATH): one event, typed
	// EXECVE, with the command line and the file run.
	ev, r = find("CWD", `cwd="/home/andrew_kroh"`)
	if n := bytes.Count(r.raw, []byte("\n")) + 1; n != 3 || ev.Type != "EXECVE" ||
		ev.Details["command"] != "auditctl -a exit,always -F arch=b32 -S execve" || ev.Target.Name != field(r.raw, "name") {
		t.Errorf("EXECVE event of %d records: type %q command %q target %q", n, ev.Type, ev.Details["command"], ev.Target.Name)
	}
	// Two records of one event that other lines separate.
	ev, r = find("NETFILTER_CFG", "")
	if !strings.Contains(string(r.raw), "type=SYSCALL") || ev.Type != "NETFILTER_CFG" || ev.Details["comm"] != "modprobe" {
		t.Errorf("NETFILTER_CFG event: records %v type %q comm %v", ev.Details["records"], ev.Type, ev.Details["comm"])
	}
	// A rule key written as hex with \x01 between keys, then a stray quote.
	ev, _ = find("SYSCALL", "comm=\"grep\"")
	if ev.Details["key"] != "exec,64bit" {
		t.Errorf("SYSCALL key %q, want exec,64bit", ev.Details["key"])
	}
}

// TestImportedEventsReadBackAsMapped checks that an imported event read
// back from the store (as the query engine, the TUI and exports read
// every event) has every field the importer gave it: the record's
// canonical mapping is what readers see.
func TestImportedEventsReadBackAsMapped(t *testing.T) {
	cat := event.BuiltinCatalogue()
	for _, set := range sets() {
		t.Run(set.dir, func(t *testing.T) {
			got := importFiles(t, dataFiles(t, set.dir))
			f, err := ingest.Lookup(allFormats(), set.format)
			if err != nil {
				t.Fatal(err)
			}
			for _, stored := range got.events {
				ev, err := f.Map(ingest.Unit{Raw: stored.Raw})
				if err != nil {
					t.Fatalf("%s: %v", stored.ID, err)
				}
				cat.Normalize(ev)
				ev.AssignID()
				want, _ := event.MarshalNative(ev)
				have, _ := event.MarshalNative(stored)
				if !jsonEqual(t, want, have) {
					t.Errorf("%s: read back\n%s\nmapped\n%s", stored.ID, have, want)
				}
			}
		})
	}
}

// TestImportedEventsQueryAndExport runs queries, sidebar facets and every
// export format over the imported sets, as over native events: the counts
// of the queries are read out of the files by this test.
func TestImportedEventsQueryAndExport(t *testing.T) {
	var files []string
	counts := map[string]int{}
	for _, set := range sets() {
		files = append(files, dataFiles(t, set.dir)...)
	}
	// What the files say, counted without the importers.
	for _, r := range readSet(t, setByDir("cloudtrail-invictus")) {
		m := r.m
		if str(m, "errorCode") != "" {
			counts["cloudtrail failures"]++
		}
		switch str(m, "eventName") {
		case "StopLogging", "DeleteTrail", "PutEventSelectors", "DeleteFlowLogs", "UpdateTrail":
			counts["cloudtrail audit tampering"]++
		}
		if str(m, "userIdentity.userName") == "bert-jan" {
			counts["bert-jan"]++
		}
		if strings.HasPrefix(str(m, "sourceIPAddress"), "192.168.10.") {
			counts["192.168.10.0/24"]++
		}
	}
	for _, r := range readSet(t, setByDir("k8s-audit")) {
		if str(r.m, "objectRef.resource") == "secrets" {
			counts["k8s secrets"]++
		}
	}
	m365IDs := map[string]bool{}
	for _, r := range readSet(t, setByDir("m365-ual")) {
		if a := auditData(r.m); str(a, "Operation") == "UserLoginFailed" && !m365IDs[r.id] {
			m365IDs[r.id] = true
			counts["m365 failed logins"]++
		}
	}
	got := importFiles(t, files)
	now := time.Now()
	for _, tc := range []struct{ query, count string }{
		{"source:cloudtrail outcome:failure", "cloudtrail failures"},
		{"source:cloudtrail category:audit severity:high", "cloudtrail audit tampering"},
		{"user:bert-jan", "bert-jan"},
		{"source:cloudtrail ip:192.168.10.0/24", "192.168.10.0/24"},
		{"source:kubernetes category:data", "k8s secrets"},
		{"action:UserLoginFailed category:authentication outcome:failure", "m365 failed logins"},
	} {
		q, err := query.Parse(tc.query)
		if err != nil {
			t.Fatalf("%s: %v", tc.query, err)
		}
		m, err := query.Compile(q.Filter, now)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, ev := range got.events {
			if m.Match(ev) {
				n++
			}
		}
		if n != counts[tc.count] || n == 0 {
			t.Errorf("%s: %d events, the files have %d", tc.query, n, counts[tc.count])
		}
	}
	// details.KEY reaches the source's own fields.
	q, _ := query.Parse("details.requestParameters.userName:malicious-iam-user")
	m, _ := query.Compile(q.Filter, now)
	n := 0
	for _, ev := range got.events {
		if m.Match(ev) {
			n++
		}
	}
	if n == 0 {
		t.Error("details.requestParameters.userName matches nothing")
	}
	// The sidebar's facets.
	sources := map[string]int{}
	for _, ev := range got.events {
		for _, v := range query.FacetValues(ev, "source") {
			sources[v]++
		}
	}
	if sources["cloudtrail"] != 2900 || sources["kubernetes"] != 86 || sources["m365"] != 70 || sources["auditd"] != 53 {
		t.Errorf("source facet %v", sources)
	}
	// Every export format writes every imported event.
	for _, format := range export.Formats() {
		var buf bytes.Buffer
		w, err := export.NewWriter(format, &buf, export.Options{})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range got.records {
			if err := w.Write(r, nil); err != nil {
				t.Fatalf("export %s, seq %d: %v", format, r.Seq, err)
			}
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		if format == export.CSV && !strings.Contains(buf.String(), "ConsoleLogin,authentication,info,success,stratus-red-team-nmfalu-gfjyeaypjt") {
			t.Errorf("csv lacks the ConsoleLogin row's action, category, severity, outcome and actor")
		}
	}
}

func jsonEqual(t *testing.T, a, b []byte) bool {
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		t.Fatalf("not JSON: %s / %s", a, b)
	}
	ax, _ := json.Marshal(x)
	by, _ := json.Marshal(y)
	return bytes.Equal(ax, by)
}

// BenchmarkIngestCloudTrail measures the import rate of the CloudTrail set
// (2,900 records in 55 log files): detect, split, map and normalise on
// every core, and append to a real store on disk with the fsync of every
// group commit.
func BenchmarkIngestCloudTrail(b *testing.B) {
	dir := filepath.Join(datasets, "cloudtrail-invictus")
	paths, _ := filepath.Glob(filepath.Join(dir, "*.json"))
	sort.Strings(paths)
	var files [][]byte
	var size int64
	records := 0
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			b.Fatal(err)
		}
		files = append(files, data)
		size += int64(len(data))
		records += bytes.Count(data, []byte(`"eventVersion"`))
	}
	cat := event.BuiltinCatalogue()
	b.SetBytes(size)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		st, err := store.Open(b.TempDir(), store.Options{})
		if err != nil {
			b.Fatal(err)
		}
		sources := make([]ingest.Source, len(files))
		for j, data := range files {
			sources[j] = ingest.Source{Name: paths[j], R: bufio.NewReader(bytes.NewReader(data))}
		}
		b.StartTimer()
		stats, err := ingest.Run(context.Background(), st, sources, ingest.Options{Catalogue: cat, Formats: allFormats()})
		if err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		if stats.Stored.Load() != int64(records) {
			b.Fatalf("stored %d of %d", stats.Stored.Load(), records)
		}
		st.Close()
		b.StartTimer()
	}
	b.ReportMetric(float64(records*b.N)/b.Elapsed().Seconds(), "events/s")
}
