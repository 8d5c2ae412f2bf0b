package follow

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"syscall"
	"time"

	"github.com/vigil-dev/vigil/ingest"
)

// FingerprintSize is how many of a file's first bytes identify its content.
const FingerprintSize = 1024

// readBlock is the most one read asks of a file.
const readBlock = 256 << 10

// settleCap bounds, in multiples of TailOptions.Settle, how long lines
// wait for their file to settle.
const settleCap = 10

// FileID identifies a file whatever its name: its device and inode.
type FileID struct {
	Dev uint64 `json:"dev"`
	Ino uint64 `json:"ino"`
}

func (id FileID) String() string { return fmt.Sprintf("%d:%d", id.Dev, id.Ino) }

// idOf is the identity of a file from its stat.
func idOf(fi os.FileInfo) FileID {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return FileID{}
	}
	return FileID{Dev: uint64(st.Dev), Ino: uint64(st.Ino)} // the types differ between systems
}

// Position is a place in a file: a byte offset and the number of line ends
// before it, so that the line starting there is number Line+1.
type Position struct {
	Offset int64 `json:"offset"`
	Line   int   `json:"line"`
}

// Fingerprint identifies a file's content by its first bytes: the SHA-256
// of its first Len bytes (FingerprintSize at most). With the file's
// identity it tells, after a restart, the file read before from a new one
// that reuses its inode, or the same file truncated and written again; and
// it finds the copy that copytruncate left of a file.
type Fingerprint struct {
	Len int    `json:"len"`
	Sum string `json:"sha256"`
}

// fingerprint is the fingerprint of the first upTo bytes of a file whose
// first bytes are head (head must hold them, up to FingerprintSize).
func fingerprint(head []byte, upTo int64) Fingerprint {
	n := int(min(upTo, FingerprintSize, int64(len(head))))
	sum := sha256.Sum256(head[:n])
	return Fingerprint{Len: n, Sum: hex.EncodeToString(sum[:])}
}

// matches reports whether a file that starts with head has the content
// this fingerprint was taken of.
func (fp Fingerprint) matches(head []byte) bool {
	if len(head) < fp.Len {
		return false
	}
	return fingerprint(head, int64(fp.Len)) == fp
}

// Line is one line of a followed file.
type Line struct {
	// Number is the line's number in its file, from 1.
	Number int
	// Offset is the offset of its first byte in the file.
	Offset int64
	// Data is the line without its line end ("\n" or "\r\n").
	Data []byte
	// Partial reports a line without a line end: one whose writer went
	// quiet for TailOptions.IdleFlush, the last line of a file that was
	// rotated away, or a piece of a line longer than TailOptions.MaxLine
	// (its next piece follows with the same Number).
	Partial bool
}

// Chunk is a run of whole lines of one file, as Tail.Next hands them out.
type Chunk struct {
	// Path is the followed path, and Name the file the lines were read
	// from, for messages: Path, or the name a rotated file was found under.
	Path, Name string
	// File is the identity of the file read.
	File FileID
	// Data holds the lines exactly as in the file, line ends included
	// (a partial line, which has none, is always the last).
	Data  []byte
	Lines []Line
	// Start and End are the positions of the first byte of Data and of
	// the byte after it. Once the lines are durable, End is the checkpoint
	// of File (see Checkpoint).
	Start, End Position
	// Fingerprint is the file's fingerprint as of End.
	Fingerprint Fingerprint
	// Head is the file's first bytes (up to ingest.DetectSize), to tell
	// its format. It must not be modified.
	Head []byte
	// Reset reports that the file was truncated or replaced in place:
	// Start is its beginning, and what was recorded of it before no longer
	// applies.
	Reset bool
	// Closed reports that the file is finished (rotated away and read to
	// its end, or gone): its checkpoint can be dropped once Data is
	// durable.
	Closed bool
}

// Checkpoint is the checkpoint the chunk's lines allow once durable.
func (c *Chunk) Checkpoint() Checkpoint {
	cp := Checkpoint{Path: c.Path, File: c.File, Position: c.End, Fingerprint: c.Fingerprint}
	if c.Name != c.Path {
		cp.Name = c.Name
	}
	return cp
}

// TailOptions configure a Tail.
type TailOptions struct {
	// Now is the clock that decides when a file is quiet; time.Now when
	// nil.
	Now func() time.Time
	// IdleFlush hands out a partial last line (no line end yet) once its
	// file has not grown for this long. Zero holds it until its line end
	// arrives, or until its file is rotated away and finished.
	IdleFlush time.Duration
	// Settle is how long a file must not have grown before the lines read
	// at its end are handed out, so that the lines a writer appends in one
	// burst (the records of one auditd event) stay in one chunk. A file
	// that never stays quiet that long has its lines handed out once they
	// have waited settleCap times Settle. 20 ms when zero; negative hands
	// lines out at once.
	Settle time.Duration
	// Grace is how long a file that was rotated away (renamed or removed)
	// is still read after it last grew, for writers that keep writing to
	// it until they reopen the path. 30 s when zero.
	Grace time.Duration
	// ChunkBytes is about the most a chunk holds; 4 MiB when zero.
	ChunkBytes int
	// MaxLine is the longest line held whole; a longer one is handed out
	// in pieces of this size. 16 MiB when zero.
	MaxLine int
	// OnNotice is told of rotations, truncations, recoveries and losses.
	// It is called from the goroutine that calls Next.
	OnNotice func(Notice)
}

func (o *TailOptions) defaults() {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Settle == 0 {
		o.Settle = 20 * time.Millisecond
	}
	if o.Grace <= 0 {
		o.Grace = 30 * time.Second
	}
	if o.ChunkBytes <= 0 {
		o.ChunkBytes = 4 << 20
	}
	if o.MaxLine <= 0 {
		o.MaxLine = 16 << 20
	}
}

// NoticeKind says what a Notice reports.
type NoticeKind string

// The kinds of notice.
const (
	NoticeWaiting   NoticeKind = "waiting"   // the path does not exist (yet)
	NoticeOpened    NoticeKind = "opened"    // a file is followed from its start
	NoticeResumed   NoticeKind = "resumed"   // a file is followed from its checkpoint
	NoticeRotated   NoticeKind = "rotated"   // the path was renamed or removed
	NoticeTruncated NoticeKind = "truncated" // the file shrank or was rewritten in place
	NoticeRecovered NoticeKind = "recovered" // the rest of a file read before is read from where it was found
	NoticeFinished  NoticeKind = "finished"  // a rotated file was read to its end and closed
	NoticeMissing   NoticeKind = "missing"   // lines may have been lost: a file read before cannot be found
	NoticeFormat    NoticeKind = "format"    // a file is read in a format other than native
	NoticeError     NoticeKind = "error"     // the path cannot be opened or read; retried
)

// Notice reports something that happened to a followed path.
type Notice struct {
	Path string
	Kind NoticeKind
	// Warning marks notices that say lines may have been lost.
	Warning bool
	// Message says what happened in a sentence that reads well after
	// "PATH: ".
	Message string
}

func (n Notice) String() string { return n.Path + ": " + n.Message }

// tfile is one open file of a Tail.
type tfile struct {
	f     *os.File
	id    FileID
	name  string
	start Position  // of buf[0]: the next byte to hand out
	buf   []byte    // read, not yet handed out
	eof   bool      // the last read reached the end of the file
	head  []byte    // the file's first bytes, up to ingest.DetectSize
	size  int64     // the file's size when last looked at
	grown time.Time // when it last grew (when a read found more of it)
	held  time.Time // when what buf holds started to be read
	reset bool      // the next chunk carries Reset
}

func (tf *tfile) readOff() int64 { return tf.start.Offset + int64(len(tf.buf)) }

// Tail follows one path the way tail -F does: it reads the file at the
// path as it grows, and when the path is renamed or removed and created
// again (logrotate's create), it reads the old file to its end, for a
// grace period, and goes on with the new one from its start. A file that
// shrinks, or whose first bytes change, was truncated (copytruncate, or
// "> file"): the copy copytruncate made of it is looked for beside it, to
// read what was not yet read, and the file is read again from its start.
//
// Lines are handed out whole: a last line without its line end waits for
// it (see TailOptions.IdleFlush). A file is identified by its device and
// inode, checked with a fingerprint of its first bytes.
//
// Tail never blocks: Next returns what can be read now. A Tail is used by
// one goroutine.
type Tail struct {
	path    string
	opts    TailOptions
	saved   []Checkpoint
	started bool
	cur     *tfile
	old     []*tfile // rotated away: read until they have been quiet for Grace
	pending []*Chunk // handed out before anything else is read
	said    map[NoticeKind]string
}

// NewTail returns a Tail of path. saved are the checkpoints kept of files
// read at that path before (see State.For): the file they name is read on
// from its checkpoint, wherever it is now found (the path itself, or a
// rotated name beside it). Without checkpoints the file at path is read
// from its start.
func NewTail(path string, saved []Checkpoint, opts TailOptions) *Tail {
	opts.defaults()
	return &Tail{path: path, opts: opts, saved: saved, said: map[NoticeKind]string{}}
}

// Path is the followed path.
func (t *Tail) Path() string { return t.path }

// Close closes the files the Tail holds open.
func (t *Tail) Close() error {
	var err error
	for _, tf := range t.files() {
		err = errors.Join(err, tf.f.Close())
	}
	t.old, t.cur = nil, nil
	return err
}

// files are the files the Tail holds open: the rotated ones, then the
// current one.
func (t *Tail) files() []*tfile {
	files := make([]*tfile, 0, len(t.old)+1)
	files = append(files, t.old...)
	if t.cur != nil {
		files = append(files, t.cur)
	}
	return files
}

func (t *Tail) notice(kind NoticeKind, warning bool, format string, args ...any) {
	if t.opts.OnNotice != nil {
		t.opts.OnNotice(Notice{Path: t.path, Kind: kind, Warning: warning, Message: fmt.Sprintf(format, args...)})
	}
}

// noticeOnce gives a notice of a kind once until its message changes or
// the condition clears (see clear).
func (t *Tail) noticeOnce(kind NoticeKind, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	if t.said[kind] == msg {
		return
	}
	t.said[kind] = msg
	t.notice(kind, false, "%s", msg)
}

func (t *Tail) clear(kind NoticeKind) { delete(t.said, kind) }

// Next returns the next chunk of lines, or nil when there is none to hand
// out now; then wait, when not zero, is the longest to wait before asking
// again (a quiet period or grace ending). Its error is a failure to read a
// file that is open; a path that cannot be opened is reported by a notice
// and tried again on the next call.
func (t *Tail) Next() (c *Chunk, wait time.Duration, err error) {
	now := t.opts.Now()
	if !t.started {
		if t.started = t.start(now); !t.started {
			return nil, 0, nil
		}
	}
	for range 4 { // a rotation found starts over, at most a few times
		if len(t.pending) > 0 {
			c, t.pending = t.pending[0], t.pending[1:]
			return c, 0, nil
		}
		if c, err := t.nextRotated(now); c != nil || err != nil {
			return c, 0, err
		}
		if t.cur == nil {
			t.openCurrent(now)
			if t.cur == nil {
				break
			}
		}
		tf := t.cur
		if err := t.checkTruncated(tf, now); err != nil {
			return nil, 0, err
		}
		if len(t.pending) > 0 {
			continue
		}
		if err := t.fill(tf, now); err != nil {
			return nil, 0, err
		}
		if c := t.cut(tf, now, false); c != nil {
			return c, 0, nil
		}
		if !tf.eof || !t.checkRotated(now) {
			break
		}
	}
	return nil, t.wait(now), nil
}

// nextRotated returns a chunk of a rotated file, or its last one once it
// has been quiet for the grace period.
func (t *Tail) nextRotated(now time.Time) (*Chunk, error) {
	for i := 0; i < len(t.old); i++ {
		tf := t.old[i]
		if err := t.fill(tf, now); err != nil {
			return nil, err
		}
		if c := t.cut(tf, now, false); c != nil {
			return c, nil
		}
		if !tf.eof || now.Sub(tf.grown) < t.opts.Grace {
			continue
		}
		c := t.cut(tf, now, true)
		if c != nil && len(tf.buf) > 0 {
			return c, nil // its partial last line comes next
		}
		if c == nil {
			c = t.emptyChunk(tf)
		}
		c.Closed = true
		t.old = append(t.old[:i], t.old[i+1:]...)
		tf.f.Close()
		if tf.name != t.path {
			t.notice(NoticeFinished, false, "finished reading %s (%d lines)", tf.name, tf.start.Line)
		} else {
			t.notice(NoticeFinished, false, "finished reading the file that was rotated away (%d lines)", tf.start.Line)
		}
		return c, nil
	}
	return nil, nil
}

// wait is how long until a quiet period or grace that is running ends.
func (t *Tail) wait(now time.Time) time.Duration {
	var wait time.Duration
	consider := func(deadline time.Time) {
		if d := deadline.Sub(now); d > 0 && (wait == 0 || d < wait) {
			wait = d
		}
	}
	for _, tf := range t.files() {
		if len(tf.buf) == 0 {
			if tf != t.cur {
				consider(tf.grown.Add(t.opts.Grace))
			}
			continue
		}
		if bytes.IndexByte(tf.buf, '\n') >= 0 {
			consider(tf.grown.Add(t.opts.Settle))
			consider(tf.held.Add(settleCap * t.opts.Settle))
		} else if t.opts.IdleFlush > 0 {
			consider(tf.grown.Add(t.opts.IdleFlush))
		}
		if tf != t.cur {
			consider(tf.grown.Add(t.opts.Grace))
		}
	}
	return wait
}

// open opens a file and reads its first bytes.
func (t *Tail) open(name string) (*tfile, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		f.Close()
		return nil, fmt.Errorf("%s is not a regular file", name)
	}
	tf := &tfile{f: f, id: idOf(fi), name: name, size: fi.Size()}
	if err := tf.loadHead(); err != nil {
		f.Close()
		return nil, err
	}
	return tf, nil
}

// loadHead reads the file's first bytes again.
func (tf *tfile) loadHead() error {
	head := make([]byte, ingest.DetectSize)
	n, err := tf.f.ReadAt(head, 0)
	if err != nil && err != io.EOF {
		return fmt.Errorf("read %s: %w", tf.name, err)
	}
	tf.head = head[:n:n]
	return nil
}

// openCurrent opens the file at the path, from its start.
func (t *Tail) openCurrent(now time.Time) {
	fi, err := os.Stat(t.path)
	if err == nil {
		for i, tf := range t.old {
			if tf.id == idOf(fi) { // renamed back: go on with it
				t.old = append(t.old[:i], t.old[i+1:]...)
				t.cur = tf
				return
			}
		}
	}
	tf, err := t.open(t.path)
	if errors.Is(err, fs.ErrNotExist) {
		t.noticeOnce(NoticeWaiting, waitingMessage)
		return
	}
	if err != nil {
		t.noticeOnce(NoticeError, "cannot open: %v; trying again", err)
		return
	}
	t.clear(NoticeWaiting)
	t.clear(NoticeError)
	tf.grown = now
	t.cur = tf
	t.notice(NoticeOpened, false, "reading from the start")
}

// fill reads what the file holds beyond what was read, up to a chunk's
// worth of lines (or a line of MaxLine).
func (t *Tail) fill(tf *tfile, now time.Time) error {
	tf.eof = false
	for {
		limit := t.opts.ChunkBytes
		if bytes.IndexByte(tf.buf, '\n') < 0 {
			limit = max(limit, t.opts.MaxLine+1)
		}
		if len(tf.buf) >= limit {
			return nil
		}
		want := min(limit-len(tf.buf), readBlock)
		if cap(tf.buf)-len(tf.buf) < want {
			nb := make([]byte, len(tf.buf), len(tf.buf)+max(want, readBlock))
			copy(nb, tf.buf)
			tf.buf = nb
		}
		off := tf.readOff()
		n, err := tf.f.ReadAt(tf.buf[len(tf.buf):len(tf.buf)+want], off)
		if n > 0 && len(tf.buf) == 0 {
			tf.held = now
		}
		if n > 0 {
			read := tf.buf[len(tf.buf) : len(tf.buf)+n]
			tf.buf = tf.buf[:len(tf.buf)+n]
			tf.grown = now
			if h := int64(len(tf.head)); h < ingest.DetectSize && off <= h && off+int64(n) > h {
				tf.head = append(tf.head, read[h-off:min(int64(n), ingest.DetectSize-off)]...)
			}
		}
		if err == io.EOF {
			tf.eof = true
			return nil
		}
		if err != nil {
			return fmt.Errorf("read %s: %w", tf.name, err)
		}
	}
}

// cut hands out the whole lines read, once the file has settled or a
// chunk's worth is there. A line longer than MaxLine is handed out in
// pieces of MaxLine bytes; a line without its line end is handed out after
// IdleFlush, or when final (its file is done).
func (t *Tail) cut(tf *tfile, now time.Time, final bool) *Chunk {
	if len(tf.buf) == 0 {
		return nil
	}
	end := 0 // the whole lines to hand out
	for end < len(tf.buf) {
		i := bytes.IndexByte(tf.buf[end:], '\n')
		if i < 0 {
			break
		}
		if i > t.opts.MaxLine || (end > 0 && end+i+1 > t.opts.ChunkBytes) {
			break
		}
		end += i + 1
	}
	if end > 0 {
		if tf.eof && !final && !t.settled(tf, now) {
			return nil
		}
		return t.chunk(tf, end)
	}
	if i := bytes.IndexByte(tf.buf, '\n'); i > t.opts.MaxLine || (i < 0 && len(tf.buf) > t.opts.MaxLine) {
		return t.chunk(tf, t.opts.MaxLine)
	}
	if final || (t.opts.IdleFlush > 0 && tf.eof && now.Sub(tf.grown) >= t.opts.IdleFlush) {
		return t.chunk(tf, len(tf.buf))
	}
	return nil
}

// settled reports whether the lines read at the end of a file are handed
// out: it has been quiet for Settle, or they have waited long enough.
func (t *Tail) settled(tf *tfile, now time.Time) bool {
	return now.Sub(tf.grown) >= t.opts.Settle || now.Sub(tf.held) >= settleCap*t.opts.Settle
}

// chunk hands out the first n bytes read.
func (t *Tail) chunk(tf *tfile, n int) *Chunk {
	data := tf.buf[:n:n]
	c := &Chunk{Path: t.path, Name: tf.name, File: tf.id, Data: data, Start: tf.start, Head: tf.head, Reset: tf.reset}
	tf.reset = false
	lines := tf.start.Line
	for off := 0; off < n; {
		end, partial := n, true
		if i := bytes.IndexByte(data[off:], '\n'); i >= 0 {
			end, partial = off+i+1, false
		}
		text := data[off:end]
		if !partial {
			text = bytes.TrimSuffix(bytes.TrimSuffix(text, []byte{'\n'}), []byte{'\r'})
		}
		c.Lines = append(c.Lines, Line{Number: lines + 1, Offset: tf.start.Offset + int64(off), Data: text, Partial: partial})
		if !partial {
			lines++
		}
		off = end
	}
	tf.start = Position{Offset: tf.start.Offset + int64(n), Line: lines}
	tf.buf = tf.buf[n:]
	tf.held = tf.grown // what is left was read by then at the latest
	c.End = tf.start
	c.Fingerprint = fingerprint(tf.head, c.End.Offset)
	return c
}

// emptyChunk is a chunk of no lines that records where a file stands.
func (t *Tail) emptyChunk(tf *tfile) *Chunk {
	c := &Chunk{Path: t.path, Name: tf.name, File: tf.id, Start: tf.start, End: tf.start, Head: tf.head, Reset: tf.reset}
	tf.reset = false
	c.Fingerprint = fingerprint(tf.head, c.End.Offset)
	return c
}

// checkRotated looks at the path once the current file is read to its end:
// when it names another file, or none, the current file was rotated away.
// It reports whether it was.
func (t *Tail) checkRotated(now time.Time) bool {
	tf := t.cur
	fi, err := os.Stat(t.path)
	switch {
	case err != nil && !errors.Is(err, fs.ErrNotExist):
		t.noticeOnce(NoticeError, "cannot look at it: %v; trying again", err)
		return false
	case err == nil && idOf(fi) == tf.id:
		return false
	}
	t.clear(NoticeError)
	what := "was moved away or removed"
	if name := t.renamedTo(tf.id); name != "" {
		tf.name, what = name, "was renamed to "+name
	}
	if err != nil {
		t.notice(NoticeRotated, false, "%s; reading what is still written to the old file for %s, and waiting for a new one", what, t.opts.Grace)
		t.said[NoticeWaiting] = waitingMessage // said just now
	} else {
		t.notice(NoticeRotated, false, "%s and a new file took its name; reading what is still written to the old one for %s, and the new one from its start", what, t.opts.Grace)
	}
	tf.grown = now // the grace runs from the rotation
	t.old = append(t.old, tf)
	t.cur = nil
	return true
}

// waitingMessage is the notice of a path that does not exist.
const waitingMessage = "does not exist; waiting for it to appear"

// renamedTo finds the name a file was renamed to beside the path, or "".
func (t *Tail) renamedTo(id FileID) string {
	for _, name := range t.siblings() {
		if fi, err := os.Stat(name); err == nil && idOf(fi) == id {
			return name
		}
	}
	return ""
}

// checkTruncated notices that the current file shrank below what was read
// of it, or that its first bytes are no longer those read: it was
// truncated (and perhaps written again) in place. What was read and not yet
// handed out, and what copytruncate's copy holds beyond it, is handed out
// first; then the file is read from its start.
func (t *Tail) checkTruncated(tf *tfile, now time.Time) error {
	fi, err := tf.f.Stat()
	if err != nil {
		return fmt.Errorf("stat %s: %w", tf.name, err)
	}
	size := fi.Size()
	if size == tf.size {
		return nil
	}
	tf.size = size
	off := tf.readOff()
	truncated := size < off
	if !truncated && off > 0 {
		n := min(off, FingerprintSize, int64(len(tf.head)))
		first := make([]byte, n)
		if _, err := tf.f.ReadAt(first, 0); err != nil && err != io.EOF {
			return fmt.Errorf("read %s: %w", tf.name, err)
		}
		truncated = !bytes.Equal(first, tf.head[:n])
	}
	if !truncated {
		return nil
	}
	read := Checkpoint{Path: t.path, File: tf.id, Position: tf.start, Fingerprint: fingerprint(tf.head, off)}
	if copied := t.findCopy(read, off); copied != nil {
		// Read again, from the copy, what was read of the old content
		// but not handed out, and the rest after it.
		copied.start = tf.start
		copied.grown = now
		t.pending = append(t.pending, t.emptyChunk(copied))
		t.old = append(t.old, copied)
		t.notice(NoticeTruncated, false, "was truncated in place (copytruncate); reading the rest of what it held from %s, from line %d, and the file again from its start", copied.name, tf.start.Line+1)
	} else {
		for len(tf.buf) > 0 {
			t.pending = append(t.pending, t.cut(tf, now, true))
		}
		t.notice(NoticeTruncated, false, "was truncated in place after %d lines; reading it again from its start (no copy of its old content found beside it: lines written to it after byte %d before the truncation, if any, were not read)", tf.start.Line, off)
	}
	tf.start, tf.buf, tf.size, tf.reset, tf.eof = Position{}, nil, size, true, false
	if err := tf.loadHead(); err != nil {
		return err
	}
	t.pending = append(t.pending, t.emptyChunk(tf))
	return nil
}
