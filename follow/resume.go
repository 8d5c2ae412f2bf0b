package follow

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// start opens the path and the files the saved checkpoints name: each is
// read on from its checkpoint, wherever it is found. A checkpoint of the
// file now at the path resumes it; one of a file that was rotated away
// while nothing followed it is looked for beside the path (by identity,
// then by content), and its rest is read before the file at the path; one
// of a file truncated in place is looked for as copytruncate's copy. A file
// that cannot be found is reported (NoticeMissing) and its checkpoint
// dropped. It reports false, to be called again, when the path exists
// but cannot be opened.
func (t *Tail) start(now time.Time) bool {
	cur, err := t.open(t.path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		cur = nil
	case err != nil:
		t.noticeOnce(NoticeError, "cannot open: %v; trying again", err)
		return false
	}
	t.clear(NoticeError)
	resumed := false
	var taken []FileID // files already being read
	if cur != nil {
		taken = append(taken, cur.id)
	}
	for _, cp := range t.saved {
		if cur != nil && cp.File == cur.id {
			if cp.Fingerprint.matches(cur.head) && cur.size >= cp.Offset {
				cur.start = cp.Position
				resumed = true
				t.notice(NoticeResumed, false, "resuming at line %d (byte %d)", cp.Line+1, cp.Offset)
				continue
			}
			// Truncated or rewritten while nothing followed it.
			if copied := t.findCopy(cp, cp.Offset, taken...); copied != nil {
				copied.start = cp.Position
				taken = append(taken, copied.id)
				t.pending = append(t.pending, t.emptyChunk(copied))
				t.old = append(t.old, copied)
				t.notice(NoticeTruncated, false, "was truncated while vigil was stopped; reading the rest of what it held from %s, from line %d, and the file again from its start", copied.name, cp.Line+1)
			} else {
				t.notice(NoticeMissing, cp.Offset > 0, "was truncated or rewritten while vigil was stopped (it had been read to line %d, byte %d); reading it again from its start; lines written to it after that before the truncation, if any, are missing (no copy of its old content found beside it)", cp.Line, cp.Offset)
			}
			cur.reset = true
			continue
		}
		found := t.findRotated(cp, taken...)
		if found != nil {
			found.start = cp.Position
			taken = append(taken, found.id)
			if found.id != cp.File {
				t.pending = append(t.pending, t.emptyChunk(found))
			}
			t.old = append(t.old, found)
			t.notice(NoticeRecovered, false, "was rotated while vigil was stopped; reading the rest of the old file, now %s, from line %d (byte %d)", found.name, cp.Line+1, cp.Offset)
		} else {
			t.notice(NoticeMissing, true, "was rotated while vigil was stopped and the old file (read to line %d, byte %d) is not found beside it: lines written to it after that, if any, are missing", cp.Line, cp.Offset)
		}
		if found == nil || found.id != cp.File {
			gone := &Chunk{Path: t.path, Name: t.path, File: cp.File, Start: cp.Position, End: cp.Position, Fingerprint: cp.Fingerprint, Closed: true}
			t.pending = append(t.pending, gone)
		}
	}
	// Rotated files found were last written before now; they get the
	// grace in full in case a writer still holds one open.
	for _, tf := range t.old {
		tf.grown = now
	}
	if cur == nil {
		t.noticeOnce(NoticeWaiting, waitingMessage)
		return true
	}
	cur.grown = now
	t.cur = cur
	if cur.reset {
		t.pending = append(t.pending, t.emptyChunk(cur))
	}
	if !resumed && !cur.reset {
		t.notice(NoticeOpened, false, "reading from the start")
	}
	return true
}

// siblings are the regular files in the path's directory other than the
// path itself, newest first: where rotated files are found.
func (t *Tail) siblings() []string {
	dir, base := filepath.Dir(t.path), filepath.Base(t.path)
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	type sib struct {
		name string
		mod  time.Time
	}
	var sibs []sib
	for _, e := range entries {
		if e.Name() == base || !e.Type().IsRegular() {
			continue
		}
		info, err := e.Info()
		if err != nil {
			continue
		}
		sibs = append(sibs, sib{filepath.Join(dir, e.Name()), info.ModTime()})
	}
	sort.SliceStable(sibs, func(i, j int) bool { return sibs[i].mod.After(sibs[j].mod) })
	names := make([]string, len(sibs))
	for i, s := range sibs {
		names[i] = s.name
	}
	return names
}

// rotatedName reports whether name looks like a rotated copy of path:
// it starts with the path's name, or with the path's name without its
// extension (app.log → app.log.1, app.log-20250115, app-20250115.log).
func rotatedName(path, name string) bool {
	base := filepath.Base(path)
	stem := strings.TrimSuffix(base, filepath.Ext(base))
	n := filepath.Base(name)
	return strings.HasPrefix(n, base) || (stem != "" && strings.HasPrefix(n, stem))
}

// findRotated looks beside the path for the file a checkpoint was taken
// of: the same file under another name (same identity and fingerprint),
// else a copy of it (copytruncate) that holds at least what was read.
func (t *Tail) findRotated(cp Checkpoint, taken ...FileID) *tfile {
	for _, name := range t.siblings() {
		fi, err := os.Stat(name)
		if err != nil || idOf(fi) != cp.File {
			continue
		}
		tf, err := t.open(name)
		if err != nil {
			continue
		}
		if tf.id == cp.File && cp.Fingerprint.matches(tf.head) && tf.size >= cp.Offset {
			return tf
		}
		tf.f.Close()
	}
	return t.findCopy(cp, cp.Offset, taken...)
}

// findCopy looks beside the path for a copy of the content a checkpoint
// was taken of: a file with a rotated name, at least size bytes long,
// whose first bytes have the checkpoint's fingerprint. The newest wins.
func (t *Tail) findCopy(cp Checkpoint, size int64, taken ...FileID) *tfile {
	if cp.Fingerprint.Len == 0 || size == 0 {
		return nil // nothing was read: nothing to tell the copy by
	}
	for _, name := range t.siblings() {
		if !rotatedName(t.path, name) {
			continue
		}
		fi, err := os.Stat(name)
		if err != nil || fi.Size() < size || idOf(fi) == cp.File || containsID(taken, idOf(fi)) || containsID(t.openIDs(), idOf(fi)) {
			continue
		}
		tf, err := t.open(name)
		if err != nil {
			continue
		}
		if cp.Fingerprint.matches(tf.head) {
			return tf
		}
		tf.f.Close()
	}
	return nil
}

// openIDs are the identities of the files the Tail reads.
func (t *Tail) openIDs() []FileID {
	var ids []FileID
	for _, tf := range t.files() {
		ids = append(ids, tf.id)
	}
	return ids
}

func containsID(ids []FileID, id FileID) bool {
	for _, x := range ids {
		if x == id {
			return true
		}
	}
	return false
}
