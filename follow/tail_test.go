package follow_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigil-dev/vigil/follow"
)

// clock is a clock the test moves by hand.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2025, 1, 15, 12, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// tailer drives a Tail by hand and keeps what it handed out.
type tailer struct {
	t       *testing.T
	tail    *follow.Tail
	clock   *clock
	chunks  []*follow.Chunk
	notices []follow.Notice
}

const testGrace = 10 * time.Second

func newTailer(t *testing.T, path string, saved []follow.Checkpoint, opts follow.TailOptions) *tailer {
	t.Helper()
	tr := &tailer{t: t, clock: newClock()}
	opts.Now = tr.clock.Now
	if opts.Settle == 0 {
		opts.Settle = -1
	}
	if opts.Grace == 0 {
		opts.Grace = testGrace
	}
	opts.OnNotice = func(n follow.Notice) { tr.notices = append(tr.notices, n) }
	tr.tail = follow.NewTail(path, saved, opts)
	t.Cleanup(func() { tr.tail.Close() })
	return tr
}

// read calls Next until it has nothing more, and returns the lines handed
// out, as "NAME:NUMBER@OFFSET TEXT" (NAME the file's base name, with a !
// after a partial line).
func (tr *tailer) read() []string {
	tr.t.Helper()
	var out []string
	for i := 0; ; i++ {
		if i > 10000 {
			tr.t.Fatal("Next does not run dry")
		}
		c, _, err := tr.tail.Next()
		if err != nil {
			tr.t.Fatal(err)
		}
		if c == nil {
			return out
		}
		tr.check(c)
		tr.chunks = append(tr.chunks, c)
		for _, l := range c.Lines {
			s := fmt.Sprintf("%s:%d@%d %s", filepath.Base(c.Name), l.Number, l.Offset, l.Data)
			if l.Partial {
				s += "!"
			}
			out = append(out, s)
		}
	}
}

// check holds a chunk to its invariants: Data is the file's bytes between
// Start and End, and its lines tile it.
func (tr *tailer) check(c *follow.Chunk) {
	tr.t.Helper()
	if int64(len(c.Data)) != c.End.Offset-c.Start.Offset {
		tr.t.Fatalf("chunk %s: %d bytes between %d and %d", c.Name, len(c.Data), c.Start.Offset, c.End.Offset)
	}
	off := c.Start.Offset
	for _, l := range c.Lines {
		if l.Offset != off {
			tr.t.Fatalf("chunk %s: line %d at %d, want %d", c.Name, l.Number, l.Offset, off)
		}
		n := int64(len(l.Data))
		if !l.Partial {
			n = int64(strings.IndexByte(string(c.Data[off-c.Start.Offset:]), '\n') + 1)
		}
		off += n
	}
	if off != c.End.Offset {
		tr.t.Fatalf("chunk %s: lines end at %d, chunk at %d", c.Name, off, c.End.Offset)
	}
}

func (tr *tailer) noticed(kind follow.NoticeKind) bool {
	for _, n := range tr.notices {
		if n.Kind == kind {
			return true
		}
	}
	return false
}

func (tr *tailer) closed() []string {
	var names []string
	for _, c := range tr.chunks {
		if c.Closed {
			names = append(names, filepath.Base(c.Name))
		}
	}
	return names
}

func appendTo(t *testing.T, path, s string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString(s); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

func wantLines(t *testing.T, got []string, want ...string) {
	t.Helper()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("lines:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}

func TestTailReadsGrowth(t *testing.T) {
	path := filepath.Join(t.TempDir(), "app.log")
	appendTo(t, path, "one\ntwo\r\n")
	tr := newTailer(t, path, nil, follow.TailOptions{})
	wantLines(t, tr.read(), "app.log:1@0 one", "app.log:2@4 two")
	wantLines(t, tr.read())
	appendTo(t, path, "three\n")
	appendTo(t, path, "four\n")
	wantLines(t, tr.read(), "app.log:3@9 three", "app.log:4@15 four")
	last := tr.chunks[len(tr.chunks)-1]
	if last.End != (follow.Position{Offset: 20, Line: 4}) {
		t.Errorf("end %+v", last.End)
	}
}

func TestTailHoldsPartialLineUntilItsNewline(t *testing.T) {
	path := filepath.Join(t.TempDir(), "app.log")
	appendTo(t, path, "one\ntw")
	tr := newTailer(t, path, nil, follow.TailOptions{})
	wantLines(t, tr.read(), "app.log:1@0 one")
	tr.clock.Advance(time.Hour) // without IdleFlush, it waits for ever
	wantLines(t, tr.read())
	appendTo(t, path, "o\nthr")
	wantLines(t, tr.read(), "app.log:2@4 two")
	if end := tr.chunks[len(tr.chunks)-1].End; end.Offset != 8 {
		t.Errorf("checkpoint passes the partial line: %+v", end)
	}
}

func TestTailIdleFlushHandsOutAPartialLine(t *testing.T) {
	path := filepath.Join(t.TempDir(), "app.log")
	appendTo(t, path, "one\ntw")
	tr := newTailer(t, path, nil, follow.TailOptions{IdleFlush: 2 * time.Second})
	wantLines(t, tr.read(), "app.log:1@0 one")
	tr.clock.Advance(time.Second)
	if _, wait, _ := tr.tail.Next(); wait != time.Second {
		t.Errorf("wait %v, want the rest of the idle flush", wait)
	}
	tr.clock.Advance(time.Second)
	wantLines(t, tr.read(), "app.log:2@4 tw!")
	appendTo(t, path, "o\n")
	wantLines(t, tr.read(), "app.log:2@6 o")
}

func TestTailSettlesBeforeHandingOutTheEnd(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.log")
	appendTo(t, path, "a\n")
	tr := newTailer(t, path, nil, follow.TailOptions{Settle: 50 * time.Millisecond})
	wantLines(t, tr.read())
	tr.clock.Advance(30 * time.Millisecond)
	appendTo(t, path, "b\n")
	wantLines(t, tr.read()) // it grew: the quiet period starts again
	tr.clock.Advance(30 * time.Millisecond)
	wantLines(t, tr.read())
	tr.clock.Advance(20 * time.Millisecond)
	wantLines(t, tr.read(), "audit.log:1@0 a", "audit.log:2@2 b")
}

func TestTailHandsOutAStreamThatNeverSettles(t *testing.T) {
	path := filepath.Join(t.TempDir(), "app.log")
	tr := newTailer(t, path, nil, follow.TailOptions{Settle: 50 * time.Millisecond})
	var got []string
	for i := range 15 { // a line every 40 ms: never quiet for 50 ms
		appendTo(t, path, fmt.Sprintf("%d\n", i))
		got = append(got, tr.read()...)
		if i*40 < 500 && len(got) > 0 {
			t.Fatalf("handed out after %d ms, before it waited 10×Settle: %v", i*40, got)
		}
		tr.clock.Advance(40 * time.Millisecond)
	}
	if len(got) == 0 {
		t.Fatal("lines held for ever while the file keeps growing")
	}
	if got[0] != "app.log:1@0 0" {
		t.Errorf("first line %q", got[0])
	}
}

func TestTailRotationByRename(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "app.log")
	appendTo(t, path, "1\n2\n")
	tr := newTailer(t, path, nil, follow.TailOptions{})
	wantLines(t, tr.read(), "app.log:1@0 1", "app.log:2@2 2")

	// The writer holds the file open across the rotation, as a daemon
	// does until it is told to reopen its log.
	w, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	w.WriteString("3\n")
	if err := os.Rename(path, path+".1"); err != nil { // logrotate: create
		t.Fatal(err)
	}
	appendTo(t, path, "new1\n")
	w.WriteString("4\n") // late, to the old file
	wantLines(t, tr.read(), "app.log:3@4 3", "app.log:4@6 4", "app.log:1@0 new1")
	if !tr.noticed(follow.NoticeRotated) {
		t.Errorf("no rotation notice: %v", tr.notices)
	}
	w.WriteString("5\n") // later still, within the grace
	appendTo(t, path, "new2\n")
	tr.clock.Advance(testGrace / 2)
	wantLines(t, tr.read(), "app.log.1:5@8 5", "app.log:2@5 new2")
	if got := tr.closed(); len(got) != 0 {
		t.Fatalf("closed %v within the grace", got)
	}
	tr.clock.Advance(testGrace)
	wantLines(t, tr.read())
	if got := tr.closed(); len(got) != 1 {
		t.Fatalf("the old file is not finished after the grace: %v", got)
	}
	if !tr.noticed(follow.NoticeFinished) {
		t.Errorf("no notice of the old file finished")
	}
}

func TestTailCopytruncateReadsTheRestFromTheCopy(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "app.log")
	first := "line one of the first generation of the log\n"
	appendTo(t, path, first+"2\n")
	tr := newTailer(t, path, nil, follow.TailOptions{})
	wantLines(t, tr.read(), "app.log:1@0 line one of the first generation of the log", "app.log:2@44 2")

	// Written, then copied and truncated (logrotate copytruncate) before
	// the follower looked again.
	appendTo(t, path, "3\n4\n")
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
	appendTo(t, path, "new\n")
	got := tr.read()
	wantLines(t, got, "app.log.1:3@46 3", "app.log.1:4@48 4", "app.log:1@0 new")
	if !tr.noticed(follow.NoticeTruncated) {
		t.Errorf("no truncation notice: %v", tr.notices)
	}
	reset := false
	for _, c := range tr.chunks {
		reset = reset || (c.Reset && c.Start.Offset == 0 && filepath.Base(c.Name) == "app.log")
	}
	if !reset {
		t.Error("no chunk resets the truncated file's checkpoint")
	}
}

func TestTailTruncationWithoutACopy(t *testing.T) {
	for _, tc := range []struct {
		name    string
		rewrite string // the content after the truncation
		want    []string
	}{
		// Shrinks below what was read.
		{"shrunk", "x\n", []string{"app.log:1@0 x"}},
		// Truncated and written again beyond what was read before the
		// follower looked: told by the first bytes.
		{"rewritten longer", "a different first line\nand more\n", []string{"app.log:1@0 a different first line", "app.log:2@23 and more"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "app.log")
			appendTo(t, path, "first line\nsecond\n")
			tr := newTailer(t, path, nil, follow.TailOptions{})
			wantLines(t, tr.read(), "app.log:1@0 first line", "app.log:2@11 second")
			if err := os.WriteFile(path, []byte(tc.rewrite), 0o600); err != nil { // O_TRUNC
				t.Fatal(err)
			}
			wantLines(t, tr.read(), tc.want...)
			if !tr.noticed(follow.NoticeTruncated) {
				t.Errorf("no truncation notice: %v", tr.notices)
			}
		})
	}
}

func TestTailDeletedAndCreatedAgain(t *testing.T) {
	path := filepath.Join(t.TempDir(), "app.log")
	appendTo(t, path, "1\n2\n")
	tr := newTailer(t, path, nil, follow.TailOptions{})
	wantLines(t, tr.read(), "app.log:1@0 1", "app.log:2@2 2")
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	wantLines(t, tr.read())
	if !tr.noticed(follow.NoticeRotated) {
		t.Errorf("removal not noticed: %v", tr.notices)
	}
	appendTo(t, path, "again\n")
	wantLines(t, tr.read(), "app.log:1@0 again")
	tr.clock.Advance(2 * testGrace)
	wantLines(t, tr.read())
	if got := tr.closed(); len(got) != 1 {
		t.Errorf("the removed file is not finished: %v", got)
	}
}

func TestTailWaitsForThePathToAppear(t *testing.T) {
	path := filepath.Join(t.TempDir(), "later.log")
	tr := newTailer(t, path, nil, follow.TailOptions{})
	wantLines(t, tr.read())
	wantLines(t, tr.read())
	if n := len(tr.notices); n != 1 || tr.notices[0].Kind != follow.NoticeWaiting {
		t.Fatalf("notices %v, want one of waiting", tr.notices)
	}
	appendTo(t, path, "hello\n")
	wantLines(t, tr.read(), "later.log:1@0 hello")
}

func TestTailCutsLinesLongerThanMaxLine(t *testing.T) {
	path := filepath.Join(t.TempDir(), "app.log")
	appendTo(t, path, "short\n"+strings.Repeat("x", 25)+"\nafter\n")
	tr := newTailer(t, path, nil, follow.TailOptions{MaxLine: 10})
	wantLines(t, tr.read(),
		"app.log:1@0 short",
		"app.log:2@6 xxxxxxxxxx!",
		"app.log:2@16 xxxxxxxxxx!",
		"app.log:2@26 xxxxx",
		"app.log:3@32 after")
}

func TestTailResumesFromACheckpoint(t *testing.T) {
	path := filepath.Join(t.TempDir(), "app.log")
	appendTo(t, path, "1\n2\n")
	tr := newTailer(t, path, nil, follow.TailOptions{})
	wantLines(t, tr.read(), "app.log:1@0 1", "app.log:2@2 2")
	cp := tr.chunks[len(tr.chunks)-1].Checkpoint()
	tr.tail.Close()

	appendTo(t, path, "3\n")
	tr = newTailer(t, path, []follow.Checkpoint{cp}, follow.TailOptions{})
	wantLines(t, tr.read(), "app.log:3@4 3")
	if !tr.noticed(follow.NoticeResumed) {
		t.Errorf("notices %v", tr.notices)
	}
}

func TestTailAfterARestartReadsTheRestOfAFileRotatedMeanwhile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "app.log")
	appendTo(t, path, "1\n2\n")
	tr := newTailer(t, path, nil, follow.TailOptions{})
	wantLines(t, tr.read(), "app.log:1@0 1", "app.log:2@2 2")
	cp := tr.chunks[len(tr.chunks)-1].Checkpoint()
	tr.tail.Close()

	// While nothing follows it: more lines, a rotation, a new file.
	appendTo(t, path, "3\n")
	if err := os.Rename(path, path+".1"); err != nil {
		t.Fatal(err)
	}
	appendTo(t, path, "new\n")

	tr = newTailer(t, path, []follow.Checkpoint{cp}, follow.TailOptions{})
	wantLines(t, tr.read(), "app.log.1:3@4 3", "app.log:1@0 new")
	if !tr.noticed(follow.NoticeRecovered) {
		t.Errorf("notices %v", tr.notices)
	}
	tr.clock.Advance(2 * testGrace)
	tr.read()
	if got := tr.closed(); len(got) != 1 || got[0] != "app.log.1" {
		t.Errorf("closed %v", got)
	}
}

func TestTailAfterARestartReportsAFileThatIsGone(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "app.log")
	appendTo(t, path, "1\n")
	tr := newTailer(t, path, nil, follow.TailOptions{})
	tr.read()
	cp := tr.chunks[len(tr.chunks)-1].Checkpoint()
	tr.tail.Close()

	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	appendTo(t, path, "new\n")
	tr = newTailer(t, path, []follow.Checkpoint{cp}, follow.TailOptions{})
	wantLines(t, tr.read(), "app.log:1@0 new")
	var missing *follow.Notice
	for i, n := range tr.notices {
		if n.Kind == follow.NoticeMissing {
			missing = &tr.notices[i]
		}
	}
	if missing == nil || !missing.Warning {
		t.Fatalf("no warning of a missing file: %v", tr.notices)
	}
	// The checkpoint of the lost file no longer applies: it is dropped,
	// or, when the new file took the old one's inode, reset.
	dropped := false
	for _, c := range tr.chunks {
		dropped = dropped || (c.File == cp.File && (c.Closed || (c.Reset && c.End.Offset <= 4)))
	}
	if !dropped {
		t.Errorf("the checkpoint of the lost file still applies: %+v", tr.chunks)
	}
}

func TestTailAfterARestartNoticesAFileReplacedInPlace(t *testing.T) {
	path := filepath.Join(t.TempDir(), "app.log")
	appendTo(t, path, "the first content of the file\n")
	tr := newTailer(t, path, nil, follow.TailOptions{})
	tr.read()
	cp := tr.chunks[len(tr.chunks)-1].Checkpoint()
	tr.tail.Close()

	// Same inode, other content, longer than before.
	if err := os.WriteFile(path, []byte("other content, and longer than the first one\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tr = newTailer(t, path, []follow.Checkpoint{cp}, follow.TailOptions{})
	wantLines(t, tr.read(), "app.log:1@0 other content, and longer than the first one")
	if !tr.noticed(follow.NoticeMissing) {
		t.Errorf("notices %v", tr.notices)
	}
}
