package alerts

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vigil-dev/vigil/ingest"
	"github.com/vigil-dev/vigil/ingest/auditd"
	"github.com/vigil-dev/vigil/ingest/cloudtrail"
	"github.com/vigil-dev/vigil/ingest/k8saudit"
	"github.com/vigil-dev/vigil/ingest/m365"
)

// TestBuiltinRulesOnRealAuditLogs backtests the built-in rules over the
// real audit logs in testdata/datasets, ingested as vigil ingest would.
func TestBuiltinRulesOnRealAuditLogs(t *testing.T) {
	e := openEngine(t, t.TempDir())
	defer e.Close()
	var files []string
	for _, dir := range []string{"cloudtrail-invictus", "m365-ual", "auditd", "k8s-audit"} {
		names, _ := filepath.Glob(filepath.Join("..", "testdata", "datasets", dir, "*"))
		for _, n := range names {
			if filepath.Base(n) != "LICENSE" {
				files = append(files, n)
			}
		}
	}
	slices.Sort(files)
	var sources []ingest.Source
	for _, f := range files {
		fh, err := os.Open(f)
		if err != nil {
			t.Fatal(err)
		}
		defer fh.Close()
		sources = append(sources, ingest.Source{Name: f, R: fh})
	}
	if _, err := ingest.Run(context.Background(), e.Store(), sources, ingest.Options{
		Formats:   []ingest.Format{cloudtrail.Format{}, k8saudit.Format{}, m365.Format{}, auditd.Format{}},
		Catalogue: e.Catalogue(), OnReject: func(ingest.Reject) {},
	}); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, a := range backtestAll(t, e.Store(), Builtin()) {
		_, x, _ := e.Get(a.TriggerSeq)
		id := x.ID
		if x.Format == "auditd" {
			id = x.Time.UTC().Format(time.RFC3339) // auditd ids are derived from the lines
		}
		got = append(got, fmt.Sprintf("%s %s on %s %s", a.Rule, a.GroupText(), x.Type, id))
	}
	want := []string{
		// auditd (RHEL 7 sample): an sshd sign-in of uid 1000 at 02:17 UTC.
		"off-hours-login user=1000 on USER_LOGIN 2016-12-07T02:17:23Z",
		// CloudTrail (Stratus Red Team): AdministratorAccess attached to a
		// backdoor role and to a new IAM user.
		"privilege-escalation target=stratus-red-team-backdoor-r-role user=bert-jan on AttachRolePolicy 493e08b7-63e4-49a4-832a-1a7598ce78e5",
		"privilege-escalation target=malicious-iam-user user=bert-jan on AttachUserPolicy f4923a37-92d5-4dfd-9786-6caef2b5f33c",
		// Microsoft 365: members added to Global Administrator (T1098.003)
		// and Company Administrator (T1098).
		"privilege-escalation target=deltatango@contoso.onmicrosoft.com user=stinger@contoso.onmicrosoft.com on Add member to role. 4ae7e0d5-e96b-4f29-9557-7264d43722a8",
		"privilege-escalation target=Alex@contoso.onmicrosoft.com user=stinger@contoso.onmicrosoft.com on Add member to role. df48cda4-23d9-4825-9ad8-3eaebba31212",
		// Microsoft 365 password spraying (T1110.003), one alert per run:
		// msolspray (PowerShell, then Python), o365spray (default, then
		// reporting). Each run tries 8 to 12 accounts from one address
		// within seconds, in no particular time order.
		"brute-force-ip ip=2a09:bac1:820:8::1a:9c on UserLoginFailed 7836e60b-5d71-4316-a5c6-d284f6860b00",
		"brute-force-ip ip=2a09:bac5:111:105::1a:89 on UserLoginFailed 2fbae12b-77a9-4175-93cb-ced2b7810600",
		"brute-force-ip ip=2a09:bac5:114:105::1a:9b on UserLoginFailed ff8b8f87-16d1-4caa-b1c8-d0736df20800",
		"brute-force-ip ip=2a09:bac1:820:8::1a:9c on UserLoginFailed cb4a291d-0dfe-44fd-85a2-bffc2b4e0800",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("alerts\n  %s\nwant\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}
