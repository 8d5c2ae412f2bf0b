package store

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigil-dev/vigil/event"
)

var testClock = func() time.Time { return time.Date(2025, 2, 1, 12, 0, 0, 0, time.UTC) }

func openTest(t *testing.T, dir string, opts Options) *Store {
	t.Helper()
	if opts.Clock == nil {
		opts.Clock = testClock
	}
	s, err := Open(dir, opts)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func mkEvent(t testing.TB, id string, ts time.Time, typ string) *event.Event {
	t.Helper()
	raw := fmt.Sprintf(`{"event_id":%q,"timestamp":%q,"event_type":%q,"actor":{"email":"a@b.c"},"context":{"ip":"203.0.113.9"}}`,
		id, ts.Format(time.RFC3339Nano), typ)
	if id == "" {
		raw = fmt.Sprintf(`{"timestamp":%q,"event_type":%q}`, ts.Format(time.RFC3339Nano), typ)
	}
	ev, err := event.Decode([]byte(raw))
	if err != nil {
		t.Fatalf("decode %s: %v", raw, err)
	}
	event.BuiltinCatalogue().Normalize(ev)
	return ev
}

func appendN(t *testing.T, s *Store, n int) {
	t.Helper()
	base := time.Date(2025, 1, 15, 0, 0, 0, 0, time.UTC)
	var evs []*event.Event
	for i := 1; i <= n; i++ {
		evs = append(evs, mkEvent(t, fmt.Sprintf("evt_%d", i), base.Add(time.Duration(i)*time.Minute), "login.success"))
	}
	res, err := s.Append(context.Background(), evs)
	if err != nil {
		t.Fatalf("Append: %v", err)
	}
	if res.Stored != n {
		t.Fatalf("stored %d, want %d", res.Stored, n)
	}
}

func TestAppendAssignsContiguousSeqsAndReadsBack(t *testing.T) {
	s := openTest(t, t.TempDir(), Options{})
	ctx := context.Background()
	base := time.Date(2025, 1, 15, 14, 30, 0, 0, time.UTC)
	evs := []*event.Event{
		mkEvent(t, "evt_a", base, "login.failed"),
		mkEvent(t, "evt_b", base.Add(-time.Hour), "login.success"), // older event arrives later
		mkEvent(t, "", base.Add(time.Hour), "logout"),
	}
	res, err := s.Append(ctx, evs)
	if err != nil {
		t.Fatal(err)
	}
	if res.Stored != 3 || res.Dups != 0 || fmt.Sprint(res.Seqs) != "[1 2 3]" {
		t.Fatalf("result %+v", res)
	}
	if s.Count() != 3 || s.Head().Seq != 3 {
		t.Fatalf("count %d head %d", s.Count(), s.Head().Seq)
	}
	r, err := s.Get(1)
	if err != nil {
		t.Fatal(err)
	}
	ev, err := r.Event()
	if err != nil {
		t.Fatal(err)
	}
	if ev.ID != "evt_a" || ev.Type != "login.failed" || ev.Outcome != "failure" || ev.Seq != 1 || !ev.Received.Equal(testClock()) {
		t.Fatalf("read back %+v", ev)
	}
	if !bytes.Contains(r.Data, evs[0].Raw) {
		t.Fatalf("record does not hold the received bytes verbatim:\n%s", r.Data)
	}
	if seq, err := s.LookupID("evt_b"); err != nil || seq != 2 {
		t.Fatalf("LookupID = %d, %v", seq, err)
	}
	if _, err := s.LookupID("nope"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("LookupID(nope) = %v", err)
	}
	if _, err := s.Get(99); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Get(99) = %v", err)
	}

	var bySeq []uint64
	_ = s.Scan(ctx, 0, 0, true, func(r Record) error { bySeq = append(bySeq, r.Seq); return nil })
	if fmt.Sprint(bySeq) != "[3 2 1]" {
		t.Fatalf("reverse scan %v", bySeq)
	}
	var byTime []uint64
	_ = s.ScanTime(ctx, time.Time{}, time.Time{}, false, func(seq uint64, _ time.Time) error { byTime = append(byTime, seq); return nil })
	if fmt.Sprint(byTime) != "[2 1 3]" {
		t.Fatalf("time scan %v", byTime)
	}
	byTime = nil
	_ = s.ScanTime(ctx, base, base.Add(time.Hour), true, func(seq uint64, _ time.Time) error { byTime = append(byTime, seq); return nil })
	if fmt.Sprint(byTime) != "[1]" {
		t.Fatalf("time scan [base, base+1h) newest first = %v, want [1]", byTime)
	}
	oldest, newest, err := s.TimeSpan(ctx)
	if err != nil || !oldest.Equal(base.Add(-time.Hour)) || !newest.Equal(base.Add(time.Hour)) {
		t.Fatalf("TimeSpan %v %v %v", oldest, newest, err)
	}
}

func TestDuplicateEventIDStoresNothing(t *testing.T) {
	dir := t.TempDir()
	s := openTest(t, dir, Options{})
	ctx := context.Background()
	ts := time.Date(2025, 1, 15, 14, 30, 0, 0, time.UTC)
	res, err := s.Append(ctx, []*event.Event{
		mkEvent(t, "evt_1", ts, "login.success"),
		mkEvent(t, "evt_1", ts, "login.success"), // same batch
		mkEvent(t, "", ts, "logout"),
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.Stored != 2 || res.Dups != 1 || !res.Duplicate[1] || res.Seqs[1] != 1 {
		t.Fatalf("first batch %+v", res)
	}
	// Again, after a reopen: both are duplicates, including the one whose
	// id vigil derived from its bytes.
	s.Close()
	s = openTest(t, dir, Options{})
	res, err = s.Append(ctx, []*event.Event{mkEvent(t, "evt_1", ts, "login.success"), mkEvent(t, "", ts, "logout")})
	if err != nil {
		t.Fatal(err)
	}
	if res.Stored != 0 || res.Dups != 2 || s.Count() != 2 {
		t.Fatalf("second batch %+v, count %d", res, s.Count())
	}
}

// TestChainMatchesHandComputedHashes recomputes chain-format.md with
// crypto/sha256 alone: hash(n) = SHA-256(prev(n) || uint64_be(n) || record(n)).
func TestChainMatchesHandComputedHashes(t *testing.T) {
	// A fixed vector first: the hash of a known record at seq 1 on a new
	// store's anchor.
	record := []byte(`{"seq":1}`)
	want := sha256.Sum256(append(append(make([]byte, 32), 0, 0, 0, 0, 0, 0, 0, 1), record...))
	if got := Hash([32]byte{}, 1, record); got != want {
		t.Fatalf("Hash vector %x, want %x", got, want)
	}

	s := openTest(t, t.TempDir(), Options{})
	appendN(t, s, 5)
	var prev [32]byte // the anchor of a new store
	for seq := uint64(1); seq <= 5; seq++ {
		r, err := s.Get(seq)
		if err != nil {
			t.Fatal(err)
		}
		var n [8]byte
		binary.BigEndian.PutUint64(n[:], seq)
		h := sha256.New()
		h.Write(prev[:])
		h.Write(n[:])
		h.Write(r.Data)
		var sum [32]byte
		copy(sum[:], h.Sum(nil))
		if r.Prev != prev || r.Hash != sum {
			t.Fatalf("seq %d: stored prev %x hash %x, computed prev %x hash %x", seq, r.Prev, r.Hash, prev, sum)
		}
		prev = sum
	}
	if s.Head().Hash != prev {
		t.Fatalf("head %x, want %x", s.Head().Hash, prev)
	}
	rep, err := s.Verify(context.Background(), VerifyOptions{})
	if err != nil || !rep.Intact || rep.Events != 5 || rep.Head != prev {
		t.Fatalf("verify %+v %v", rep, err)
	}
}

func TestConcurrentAppendsFormOneChain(t *testing.T) {
	s := openTest(t, t.TempDir(), Options{})
	var wg sync.WaitGroup
	const writers, each = 8, 250
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < each; i += 25 {
				var evs []*event.Event
				for j := i; j < i+25; j++ {
					evs = append(evs, mkEvent(t, fmt.Sprintf("w%d-%d", w, j), time.Unix(int64(1736900000+j), 0), "data.accessed"))
				}
				if _, err := s.Append(context.Background(), evs); err != nil {
					t.Error(err)
					return
				}
			}
		}(w)
	}
	wg.Wait()
	if s.Count() != writers*each {
		t.Fatalf("count %d", s.Count())
	}
	rep, err := s.Verify(context.Background(), VerifyOptions{})
	if err != nil || !rep.Intact || rep.Events != writers*each {
		t.Fatalf("verify %+v %v", rep, err)
	}
}

func TestVerifyRanges(t *testing.T) {
	s := openTest(t, t.TempDir(), Options{})
	appendN(t, s, 50)
	ctx := context.Background()
	rep, err := s.Verify(ctx, VerifyOptions{From: 10, To: 20})
	if err != nil || !rep.Intact || rep.Events != 11 || rep.From != 10 || rep.To != 20 {
		t.Fatalf("range %+v %v", rep, err)
	}
	// Events are one minute apart from 2025-01-15T00:01.
	rep, err = s.Verify(ctx, VerifyOptions{Since: time.Date(2025, 1, 15, 0, 41, 0, 0, time.UTC)})
	if err != nil || !rep.Intact || rep.From != 41 || rep.Events != 10 {
		t.Fatalf("since %+v %v", rep, err)
	}
	var calls int
	rep, err = s.Verify(ctx, VerifyOptions{Progress: func(done, total uint64) {
		calls++
		if total != 50 {
			t.Errorf("progress total %d", total)
		}
	}})
	if err != nil || !rep.Intact || calls == 0 {
		t.Fatalf("progress %+v %v calls %d", rep, err, calls)
	}
}

func TestEncryptedStore(t *testing.T) {
	dir := t.TempDir()
	key := bytes.Repeat([]byte{7}, 32)
	s := openTest(t, dir, Options{EncryptionKey: key})
	ev := mkEvent(t, "evt_secret_marker_0123456789", time.Now(), "login.success")
	if _, err := s.Append(context.Background(), []*event.Event{ev}); err != nil {
		t.Fatal(err)
	}
	s.Close()

	// Nothing on disk shows the plaintext.
	_ = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			data, _ := os.ReadFile(path)
			if bytes.Contains(data, []byte("secret_marker")) {
				t.Errorf("%s holds plaintext", path)
			}
		}
		return nil
	})

	if _, err := Open(dir, Options{}); err == nil || !bytes.Contains([]byte(err.Error()), []byte("encrypted")) {
		t.Fatalf("open without key: %v", err)
	}
	if _, err := Open(dir, Options{EncryptionKey: bytes.Repeat([]byte{8}, 32)}); err == nil || !bytes.Contains([]byte(err.Error()), []byte("wrong encryption key")) {
		t.Fatalf("open with wrong key: %v", err)
	}
	if _, err := Open(dir, Options{EncryptionKey: []byte("short")}); err == nil {
		t.Fatal("short key accepted")
	}
	s = openTest(t, dir, Options{EncryptionKey: key})
	if seq, err := s.LookupID("evt_secret_marker_0123456789"); err != nil || seq != 1 {
		t.Fatalf("reopen with key: %d %v", seq, err)
	}
}

func TestSecondOpenNamesTheHolder(t *testing.T) {
	dir := t.TempDir()
	s := openTest(t, dir, Options{Holder: Holder{PID: 4242, Command: "vigil serve", Since: time.Now()}})
	_, err := Open(dir, Options{})
	var le *LockedError
	if !errors.As(err, &le) {
		t.Fatalf("second open: %v", err)
	}
	if le.Holder.PID != 4242 || le.Holder.Command != "vigil serve" {
		t.Fatalf("holder %+v", le.Holder)
	}
	if h, held := ReadHolder(dir); !held || h.PID != 4242 {
		t.Fatalf("ReadHolder %+v %v", h, held)
	}
	msg := err.Error()
	for _, want := range []string{dir, "pid 4242", "vigil serve"} {
		if !bytes.Contains([]byte(msg), []byte(want)) {
			t.Errorf("message %q lacks %q", msg, want)
		}
	}
	s.Close()
	if _, held := ReadHolder(dir); held {
		t.Fatal("lock still held after Close")
	}
	s2, err := Open(dir, Options{})
	if err != nil {
		t.Fatalf("open after close: %v", err)
	}
	s2.Close()
}

func TestFilesArePrivate(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "store")
	s := openTest(t, dir, Options{})
	appendN(t, s, 10)
	s.Close()
	openTest(t, dir, Options{}) // opening mends permissions
	_ = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, _ := d.Info()
		want := fs.FileMode(0o600)
		if d.IsDir() {
			want = 0o700
		}
		if info.Mode().Perm()&^want != 0 {
			t.Errorf("%s has mode %v, want at most %v", path, info.Mode().Perm(), want)
		}
		return nil
	})
}

func TestAppendAfterCloseFails(t *testing.T) {
	s := openTest(t, t.TempDir(), Options{})
	s.Close()
	_, err := s.Append(context.Background(), []*event.Event{mkEvent(t, "x", time.Now(), "logout")})
	if !errors.Is(err, ErrClosed) {
		t.Fatalf("append after close: %v", err)
	}
}

// TestLargeBatchSpansTransactions appends one batch larger than a Badger
// transaction may be, with duplicates of events still in flight.
func TestLargeBatchSpansTransactions(t *testing.T) {
	s := openTest(t, t.TempDir(), Options{})
	ctx := context.Background()
	pad := strings.Repeat("x", 4000)
	var evs []*event.Event
	for i := 0; i < 3000; i++ {
		raw := fmt.Sprintf(`{"event_id":"big-%d","timestamp":"2025-01-15T10:00:00Z","event_type":"data.exported","details":{"pad":%q}}`, i, pad)
		ev, err := event.Decode([]byte(raw))
		if err != nil {
			t.Fatal(err)
		}
		evs = append(evs, ev)
	}
	// Submit the big batch and, before it is durable, a batch repeating
	// some of its ids.
	prep := func(evs []*event.Event) []Prepared {
		var ps []Prepared
		for _, ev := range evs {
			p, err := s.Prepare(ev)
			if err != nil {
				t.Fatal(err)
			}
			ps = append(ps, p)
		}
		return ps
	}
	p1, err := s.Submit(ctx, prep(evs))
	if err != nil {
		t.Fatal(err)
	}
	p2, err := s.Submit(ctx, prep([]*event.Event{evs[10], evs[2999]}))
	if err != nil {
		t.Fatal(err)
	}
	r1, err := p1.Wait(ctx)
	if err != nil || r1.Stored != 3000 {
		t.Fatalf("big batch: %+v %v", r1.Stored, err)
	}
	r2, err := p2.Wait(ctx)
	if err != nil || r2.Dups != 2 || r2.Seqs[0] != 11 || r2.Seqs[1] != 3000 {
		t.Fatalf("repeat batch: %+v %v", r2, err)
	}
	rep, err := s.Verify(ctx, VerifyOptions{})
	if err != nil || !rep.Intact || rep.Events != 3000 {
		t.Fatalf("verify %+v %v", rep, err)
	}
}

func TestBadgerCacheReportsAreDebugLines(t *testing.T) {
	var buf strings.Builder
	l := badgerLogger{slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelWarn}))}
	l.Warningf("Block cache might be too small. Metrics: hit: 1 miss: 9")
	l.Warningf("Cache life expectancy (in seconds): \n -- Histogram:")
	if buf.Len() != 0 {
		t.Errorf("cache reports logged as warnings: %s", buf.String())
	}
	l.Warningf("Truncate the value log")
	if !strings.Contains(buf.String(), "level=WARN") {
		t.Errorf("other warnings lost: %q", buf.String())
	}
}
