package follow_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigil-dev/vigil/follow"
	"github.com/vigil-dev/vigil/ingest"
	"github.com/vigil-dev/vigil/ingest/auditd"
	"github.com/vigil-dev/vigil/ingest/k8saudit"
	"github.com/vigil-dev/vigil/store"
)

// eventLine is a native event without an event_id (its id is derived from
// its bytes), unique for n.
func eventLine(n int) string {
	return fmt.Sprintf(`{"timestamp":"2025-01-15T10:%02d:%02dZ","event_type":"login.failed","actor":{"email":"user%d@example.com"},"context":{"ip":"203.0.113.%d"},"details":{"n":%d}}`,
		n/60%60, n%60, n%97, n%250, n)
}

func eventLines(from, to int) string {
	var b strings.Builder
	for n := from; n < to; n++ {
		b.WriteString(eventLine(n))
		b.WriteByte('\n')
	}
	return b.String()
}

func openStore(t *testing.T, dir string) *store.Store {
	t.Helper()
	st, err := store.Open(dir, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// following is a Run in progress.
type following struct {
	t       *testing.T
	cancel  context.CancelFunc
	done    chan error
	stats   ingest.Stats
	mu      sync.Mutex
	notices []follow.Notice
	rejects []ingest.Reject
	stopped bool
}

func startFollow(t *testing.T, app ingest.Appender, stateDir string, paths []string, configure func(*follow.Options)) *following {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	f := &following{t: t, cancel: cancel, done: make(chan error, 1)}
	opts := follow.Options{
		TailOptions: follow.TailOptions{
			Grace: 300 * time.Millisecond,
			OnNotice: func(n follow.Notice) {
				f.mu.Lock()
				f.notices = append(f.notices, n)
				f.mu.Unlock()
			},
		},
		Formats:  []ingest.Format{auditd.Format{}},
		StateDir: stateDir,
		Poll:     10 * time.Millisecond,
		Stats:    &f.stats,
		OnReject: func(r ingest.Reject) {
			r.Raw = bytes.Clone(r.Raw)
			f.mu.Lock()
			f.rejects = append(f.rejects, r)
			f.mu.Unlock()
		},
	}
	if configure != nil {
		configure(&opts)
	}
	go func() { f.done <- follow.Run(ctx, app, paths, opts) }()
	t.Cleanup(func() {
		if !f.stopped {
			f.stop()
		}
	})
	return f
}

// settled is how many lines the Run has finished with: stored, found
// duplicate or rejected.
func (f *following) settled() int64 {
	return f.stats.Stored.Load() + f.stats.Duplicates.Load() + f.stats.Rejected.Load()
}

// waitFor waits until the Run has finished with n lines.
func (f *following) waitFor(n int64) {
	f.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for f.settled() < n {
		select {
		case err := <-f.done:
			f.stopped = true
			f.t.Fatalf("follow ended early: %v", err)
		default:
		}
		if time.Now().After(deadline) {
			f.t.Fatalf("after 20s: %d lines settled, want %d (notices %v)", f.settled(), n, f.noticeList())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func (f *following) stop() {
	f.t.Helper()
	f.stopped = true
	f.cancel()
	select {
	case err := <-f.done:
		if err != nil {
			f.t.Fatalf("follow: %v", err)
		}
	case <-time.After(20 * time.Second):
		f.t.Fatal("follow does not stop")
	}
}

func (f *following) noticeList() []follow.Notice {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.notices)
}

func (f *following) noticed(kind follow.NoticeKind) bool {
	for _, n := range f.noticeList() {
		if n.Kind == kind {
			return true
		}
	}
	return false
}

// storedRaw returns the bytes every stored event was received as, in seq
// order.
func storedRaw(t *testing.T, st *store.Store) []string {
	t.Helper()
	var raws []string
	err := st.Scan(context.Background(), 1, st.Head().Seq, false, func(r store.Record) error {
		ev, err := r.Event()
		if err != nil {
			return err
		}
		raws = append(raws, string(ev.Raw))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return raws
}

// checkExactlyOnce holds the store to the oracle: every line written is
// stored once, nothing else is, and the chain verifies.
func checkExactlyOnce(t *testing.T, st *store.Store, written string) {
	t.Helper()
	want := strings.Split(strings.TrimSuffix(written, "\n"), "\n")
	got := storedRaw(t, st)
	slices.Sort(want)
	slices.Sort(got)
	if !slices.Equal(got, want) {
		missing, extra := diff(want, got), diff(got, want)
		t.Fatalf("stored %d events for %d lines; missing %d %.3q, extra %d %.3q", len(got), len(want), len(missing), missing, len(extra), extra)
	}
	rep, err := st.Verify(context.Background(), store.VerifyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Intact || rep.Events != uint64(len(want)) {
		t.Fatalf("verify: intact %v, %d events, break %v", rep.Intact, rep.Events, rep.Break)
	}
}

// diff is what a holds that b does not (both sorted, with repeats).
func diff(a, b []string) []string {
	var out []string
	i := 0
	for _, s := range a {
		for i < len(b) && b[i] < s {
			i++
		}
		if i < len(b) && b[i] == s {
			i++
			continue
		}
		out = append(out, s)
	}
	return out
}

func TestFollowRestartsFromItsCheckpointWithoutLossOrDuplicates(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "app.jsonl")
	stateDir := filepath.Join(dir, "state")
	st := openStore(t, filepath.Join(dir, "store"))
	written := eventLines(0, 500)
	appendTo(t, path, written)

	f := startFollow(t, st, stateDir, []string{path}, nil)
	f.waitFor(500)
	more := eventLines(500, 600) // while it runs
	appendTo(t, path, more)
	written += more
	f.waitFor(600)
	f.stop()

	more = eventLines(600, 750) // while it is stopped
	appendTo(t, path, more)
	written += more
	f = startFollow(t, st, stateDir, []string{path}, nil)
	f.waitFor(150)
	time.Sleep(100 * time.Millisecond) // anything read twice would show now
	f.stop()
	if s, d := f.stats.Stored.Load(), f.stats.Duplicates.Load(); s != 150 || d != 0 {
		t.Errorf("after the restart: stored %d, duplicates %d; want 150 and 0 (it read again what it had stored)", s, d)
	}
	if !f.noticed(follow.NoticeResumed) {
		t.Errorf("notices %v", f.noticeList())
	}
	checkExactlyOnce(t, st, written)

	state, err := follow.LoadState(stateDir)
	if err != nil {
		t.Fatal(err)
	}
	abs, _ := filepath.Abs(path)
	cps := state.For(abs)
	if len(cps) != 1 || cps[0].Offset != int64(len(written)) || cps[0].Line != 750 {
		t.Errorf("checkpoints %+v, want one at byte %d, line 750", cps, len(written))
	}
}

func TestFollowAcrossRotationsAndARestart(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "app.jsonl")
	stateDir := filepath.Join(dir, "state")
	st := openStore(t, filepath.Join(dir, "store"))
	var written strings.Builder
	write := func(from, to int) {
		s := eventLines(from, to)
		appendTo(t, path, s)
		written.WriteString(s)
	}
	rotate := func() { // logrotate: rotate 2, create
		t.Helper()
		if _, err := os.Stat(path + ".1"); err == nil {
			if err := os.Rename(path+".1", path+".2"); err != nil {
				t.Fatal(err)
			}
		}
		if err := os.Rename(path, path+".1"); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}

	write(0, 100)
	f := startFollow(t, st, stateDir, []string{path}, nil)
	f.waitFor(100)
	write(100, 120)
	rotate()
	write(120, 150)
	f.waitFor(150)
	f.stop()
	if !f.noticed(follow.NoticeRotated) {
		t.Errorf("the rotation went unnoticed: %v", f.noticeList())
	}

	// While nothing follows it: more lines, a rotation, more lines.
	write(150, 180)
	rotate()
	write(180, 250)
	f = startFollow(t, st, stateDir, []string{path}, nil)
	f.waitFor(100)
	time.Sleep(100 * time.Millisecond)
	f.stop()
	if s, d := f.stats.Stored.Load(), f.stats.Duplicates.Load(); s != 100 || d != 0 {
		t.Errorf("after the restart: stored %d, duplicates %d; want 100 and 0", s, d)
	}
	if !f.noticed(follow.NoticeRecovered) {
		t.Errorf("the file rotated while stopped was not recovered: %v", f.noticeList())
	}
	checkExactlyOnce(t, st, written.String())
}

func TestFollowCopytruncateLosesNothing(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "app.jsonl")
	st := openStore(t, filepath.Join(dir, "store"))
	written := eventLines(0, 200)
	appendTo(t, path, written)
	// Polling only, at a long interval, so that the copy and the
	// truncation happen between two looks, lines unread.
	f := startFollow(t, st, filepath.Join(dir, "state"), []string{path}, func(o *follow.Options) {
		o.NoNotify = true
		o.Poll = 300 * time.Millisecond
	})
	f.waitFor(200)
	more := eventLines(200, 230)
	appendTo(t, path, more)
	written += more
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path+".1", data, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(path, 0); err != nil {
		t.Fatal(err)
	}
	more = eventLines(230, 240)
	appendTo(t, path, more)
	written += more
	f.waitFor(240)
	time.Sleep(100 * time.Millisecond)
	f.stop()
	checkExactlyOnce(t, st, written)
	if f.stats.Duplicates.Load() != 0 {
		t.Errorf("%d duplicates", f.stats.Duplicates.Load())
	}
}

func TestFollowCrashBetweenStoreAndCheckpointRereadsOnlyDuplicates(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "app.jsonl")
	stateDir := filepath.Join(dir, "state")
	statePath := filepath.Join(stateDir, follow.StateFile)
	st := openStore(t, filepath.Join(dir, "store"))
	written := eventLines(0, 200)
	appendTo(t, path, written)
	f := startFollow(t, st, stateDir, []string{path}, nil)
	f.waitFor(200)
	f.stop()
	before, err := os.ReadFile(statePath)
	if err != nil {
		t.Fatal(err)
	}

	more := eventLines(200, 300)
	appendTo(t, path, more)
	written += more
	f = startFollow(t, st, stateDir, []string{path}, nil)
	f.waitFor(100)
	f.stop()
	// The process dies after the store made these 100 durable and before
	// the checkpoint that covers them is written: the state file still
	// holds the checkpoint before them.
	if err := os.WriteFile(statePath, before, 0o600); err != nil {
		t.Fatal(err)
	}

	more = eventLines(300, 350)
	appendTo(t, path, more)
	written += more
	f = startFollow(t, st, stateDir, []string{path}, nil)
	f.waitFor(150)
	time.Sleep(100 * time.Millisecond)
	f.stop()
	if s, d := f.stats.Stored.Load(), f.stats.Duplicates.Load(); s != 50 || d != 100 {
		t.Errorf("after the crash: stored %d, duplicates %d; want 50 and 100", s, d)
	}
	checkExactlyOnce(t, st, written)
}

// rejectsFile keeps rejected lines as the command line does: verbatim, one
// a line, durable on sync.
type rejectsFile struct {
	f       *os.File
	reasons []string
}

func (r *rejectsFile) reject(rj ingest.Reject) {
	r.f.Write(append(bytes.Clone(rj.Raw), '\n'))
	r.reasons = append(r.reasons, rj.String())
}

func TestFollowRejectsALineOverTheLimitWithItsPlaceAndKeepsIt(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "app.jsonl")
	stateDir := filepath.Join(dir, "state")
	st := openStore(t, filepath.Join(dir, "store"))
	long := `{"timestamp":"2025-01-15T10:00:00Z","event_type":"x","details":{"pad":"` + strings.Repeat("a", 400) + `"}}`
	notJSON := `{"timestamp": "2025-01-15T10:00:00Z", "event_type": `
	// An array opens the file: read as a line, as the one in the middle.
	appendTo(t, path, "[1,2]\n"+eventLine(1)+"\n"+long+"\n"+eventLine(2)+"\n"+notJSON+"\n"+"[3,4]\n"+eventLine(3)+"\n")
	rf, err := os.Create(filepath.Join(dir, "rejects.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer rf.Close()
	rej := &rejectsFile{f: rf}
	configure := func(o *follow.Options) {
		o.MaxEventSize = 300
		o.OnReject = rej.reject
		o.SyncRejects = rf.Sync
	}
	f := startFollow(t, st, stateDir, []string{path}, configure)
	f.waitFor(7)
	f.stop()
	// After a restart, lines keep their numbers.
	appendTo(t, path, eventLine(4)+"\n"+long+"\n")
	f = startFollow(t, st, stateDir, []string{path}, configure)
	f.waitFor(2)
	f.stop()

	abs, _ := filepath.Abs(path)
	wantReasons := []string{
		abs + ":1: not a JSON object (got an array)",
		abs + ":3: event is 474 bytes, larger than the limit of 300",
		abs + ":5: not JSON",
		abs + ":6: not a JSON object (got an array)",
		abs + ":9: event is 474 bytes, larger than the limit of 300",
	}
	if len(rej.reasons) != len(wantReasons) {
		t.Fatalf("rejects:\n%s", strings.Join(rej.reasons, "\n"))
	}
	for i, want := range wantReasons {
		if !strings.HasPrefix(rej.reasons[i], want) {
			t.Errorf("reject %d: %q, want %q...", i, rej.reasons[i], want)
		}
	}
	kept, err := os.ReadFile(rf.Name())
	if err != nil {
		t.Fatal(err)
	}
	if want := "[1,2]\n" + long + "\n" + notJSON + "\n[3,4]\n" + long + "\n"; string(kept) != want {
		t.Errorf("rejects file:\n%s\nwant:\n%s", kept, want)
	}
	checkExactlyOnce(t, st, eventLines(1, 5))
}

// auditEvent is the records of one auditd event: an execve (six records
// ending with EOE) when i is even, else a login (one record).
func auditEvent(i int) []string {
	stamp := fmt.Sprintf("msg=audit(1700000000.%03d:%d):", i, 100+i)
	if i%2 == 1 {
		return []string{fmt.Sprintf(`type=USER_LOGIN %s pid=%d uid=0 auid=1000 ses=1 msg='op=login id=1000 exe="/usr/sbin/sshd" hostname=203.0.113.9 addr=203.0.113.9 terminal=/dev/pts/1 res=success'`, stamp, 4000+i)}
	}
	return []string{
		fmt.Sprintf(`type=SYSCALL %s arch=c000003e syscall=59 success=yes exit=0 a0=1 a1=2 a2=3 a3=4 items=1 ppid=1 pid=%d auid=1000 uid=0 gid=0 euid=0 ses=3 comm="id" exe="/usr/bin/id" key=(null)`, stamp, 5000+i),
		fmt.Sprintf(`type=EXECVE %s argc=2 a0="id" a1="-u%d"`, stamp, i),
		fmt.Sprintf(`type=CWD %s cwd="/root"`, stamp),
		fmt.Sprintf(`type=PATH %s item=0 name="/usr/bin/id" inode=1 dev=08:01 mode=0100755 ouid=0 ogid=0 rdev=00:00 nametype=NORMAL`, stamp),
		fmt.Sprintf(`type=PROCTITLE %s proctitle=6964`, stamp),
		fmt.Sprintf(`type=EOE %s`, stamp),
	}
}

func TestFollowAuditdKeepsTheRecordsOfAnEventTogether(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "audit.log")
	st := openStore(t, filepath.Join(dir, "store"))
	if err := os.WriteFile(path, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	f := startFollow(t, st, filepath.Join(dir, "state"), []string{path}, func(o *follow.Options) {
		o.Format = auditd.Name
		o.Settle = 150 * time.Millisecond
	})
	w, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	var all strings.Builder
	const events = 8
	for i := range events {
		for _, rec := range auditEvent(i) { // a write a record, as auditd does
			if _, err := w.WriteString(rec + "\n"); err != nil {
				t.Fatal(err)
			}
			all.WriteString(rec + "\n")
		}
		time.Sleep(300 * time.Millisecond)
	}
	f.waitFor(events)
	time.Sleep(200 * time.Millisecond)
	f.stop()

	// The oracle: ingest of the whole file at once groups the records.
	want := openStore(t, filepath.Join(dir, "oracle"))
	if _, err := ingest.Run(context.Background(), want, []ingest.Source{{Name: path, R: strings.NewReader(all.String())}},
		ingest.Options{Formats: []ingest.Format{auditd.Format{}}, Format: auditd.Name}); err != nil {
		t.Fatal(err)
	}
	// Compared as sets: ingest of the whole file passes a one-record event
	// on only once later records show it is complete.
	got, exp := storedRaw(t, st), storedRaw(t, want)
	slices.Sort(got)
	slices.Sort(exp)
	if len(exp) != events {
		t.Fatalf("oracle stored %d events", len(exp))
	}
	if !slices.Equal(got, exp) {
		t.Errorf("followed %d events, want %d:\n%s", len(got), len(exp), strings.Join(got, "\n---\n"))
	}
}

func TestFollowIsWokenByNotificationsBeforeItsPoll(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "app.jsonl")
	st := openStore(t, filepath.Join(dir, "store"))
	appendTo(t, path, eventLines(0, 10))
	f := startFollow(t, st, filepath.Join(dir, "state"), []string{path}, func(o *follow.Options) {
		o.Poll = time.Hour
	})
	f.waitFor(10)
	start := time.Now()
	appendTo(t, path, eventLines(10, 20))
	f.waitFor(20) // fails after 20 s: the poll alone would take an hour
	t.Logf("stored %v after the append", time.Since(start))
	f.stop()
}

func TestStateIsSavedAtomicallyAndPrivately(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "follow")
	s, err := follow.LoadState(dir)
	if err != nil {
		t.Fatal(err)
	}
	cp := follow.Checkpoint{Path: "/var/log/app.log", File: follow.FileID{Dev: 1, Ino: 2}, Position: follow.Position{Offset: 10, Line: 2},
		Fingerprint: follow.Fingerprint{Len: 10, Sum: "ab"}, Updated: time.Date(2025, 1, 15, 0, 0, 0, 0, time.UTC)}
	s.Set(cp)
	if err := s.Save(); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 || entries[0].Name() != follow.StateFile {
		t.Fatalf("state directory holds %v", entries)
	}
	if info, _ := entries[0].Info(); info.Mode().Perm() != 0o600 {
		t.Errorf("state file mode %v", info.Mode().Perm())
	}
	again, err := follow.LoadState(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got := again.For(cp.Path); len(got) != 1 || got[0] != cp {
		t.Errorf("read back %+v, want %+v", got, cp)
	}
	again.Drop(cp.Path, cp.File)
	if len(again.All()) != 0 {
		t.Error("Drop left the checkpoint")
	}
	if err := os.WriteFile(filepath.Join(dir, follow.StateFile), []byte(`{"version":99}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := follow.LoadState(dir); err == nil || !strings.Contains(err.Error(), "version 99") {
		t.Errorf("a state of another version: %v", err)
	}
}

func TestFollowSeveralFilesAtOnce(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.jsonl"), filepath.Join(dir, "b", "b.jsonl")
	stateDir := filepath.Join(dir, "state")
	st := openStore(t, filepath.Join(dir, "store"))
	appendTo(t, a, eventLines(0, 300))
	// b's directory does not exist yet.
	f := startFollow(t, st, stateDir, []string{a, b, a}, nil)
	f.waitFor(300)
	if err := os.Mkdir(filepath.Dir(b), 0o700); err != nil {
		t.Fatal(err)
	}
	appendTo(t, b, eventLines(300, 500))
	appendTo(t, a, eventLines(500, 600))
	f.waitFor(600)
	f.stop()
	appendTo(t, b, eventLines(600, 650))
	f = startFollow(t, st, stateDir, []string{b, a}, nil)
	f.waitFor(50)
	time.Sleep(100 * time.Millisecond)
	f.stop()
	if d := f.stats.Duplicates.Load(); d != 0 {
		t.Errorf("%d duplicates after the restart", d)
	}
	checkExactlyOnce(t, st, eventLines(0, 650))
}

func TestFollowKubernetesAuditKeepsEveryStageWrittenApart(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "kube-apiserver-audit.log")
	st := openStore(t, filepath.Join(dir, "store"))
	stage := func(s string) string {
		return `{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"a1","stage":"` + s +
			`","requestURI":"/api/v1/namespaces/default/secrets/db","verb":"get","user":{"username":"bob"},"sourceIPs":["203.0.113.5"],` +
			`"objectRef":{"resource":"secrets","namespace":"default","name":"db","apiVersion":"v1"},"responseStatus":{"code":200},` +
			`"requestReceivedTimestamp":"2025-01-15T10:00:00.000000Z","stageTimestamp":"2025-01-15T10:00:01.000000Z"}` + "\n"
	}
	appendTo(t, path, stage("RequestReceived"))
	f := startFollow(t, st, filepath.Join(dir, "state"), []string{path}, func(o *follow.Options) {
		o.Formats = []ingest.Format{k8saudit.Format{Stage: k8saudit.AllStages}, auditd.Format{}}
	})
	f.waitFor(1)
	appendTo(t, path, stage("ResponseComplete"))
	f.waitFor(2)
	f.stop()
	var ids []string
	st.Scan(context.Background(), 1, st.Head().Seq, false, func(r store.Record) error {
		ev, err := r.Event()
		ids = append(ids, ev.ID+" "+ev.Format)
		return err
	})
	if want := []string{"a1/RequestReceived k8s", "a1/ResponseComplete k8s"}; !slices.Equal(ids, want) {
		t.Errorf("stored %v, want %v", ids, want)
	}
	if !f.noticed(follow.NoticeFormat) {
		t.Errorf("the format read in is not told: %v", f.noticeList())
	}
}
