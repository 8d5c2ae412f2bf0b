// Package store is vigil's source of truth: an append-only Badger database
// of event records keyed by seq, linked by the hash chain of chain-format.md,
// with a time index and event-id deduplication.
//
// All appends go through one writer goroutine that batches concurrent callers
// into one Badger transaction (group commit), assigns seqs, extends the chain
// and returns only once the batch is durable. The package offers no way to
// change or delete a stored event. It knows nothing of full-text indexes or
// user interfaces.
package store

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/dgraph-io/badger/v4"

	"github.com/vigil-dev/vigil/event"
)

// Options configure Open.
type Options struct {
	// EncryptionKey, when set, must be 32 bytes: the store is encrypted at
	// rest with AES-256 (Badger's own encryption). A store created with a key
	// can only be opened with the same key.
	EncryptionKey []byte
	// Clock gives the time recorded as "received"; time.Now when nil.
	Clock func() time.Time
	// Logger receives Badger's warnings and errors; slog.Default when nil.
	Logger *slog.Logger
	// Holder describes this process in the lock file, for the error another
	// process gets when it tries to open the same store.
	Holder Holder
	// NoSync skips the fsync of each batch. Only benchmarks that want to
	// compare against it should set it: Append's durability promise does not
	// hold with it.
	NoSync bool
}

// Store is an open event store. It is safe for concurrent use.
type Store struct {
	dir    string
	db     *badger.DB
	lock   *dirLock
	clock  func() time.Time
	log    *slog.Logger
	reqs   chan *appendReq
	done   chan struct{}
	closed sync.Once

	closeMu sync.RWMutex // guards closing and the close of reqs
	closing bool

	encrypted bool

	mu    sync.RWMutex // guards head, first, advanced
	head  Head
	first uint64
	// advanced is closed, and replaced, each time the head moves on.
	advanced chan struct{}
}

// Head is the newest record of the chain.
type Head struct {
	Seq  uint64
	Hash [32]byte
}

// meta is the store's own description, kept beside Badger's files so that an
// encrypted store can be recognised before Badger is asked to open it.
type meta struct {
	Format    int       `json:"format"`
	Encrypted bool      `json:"encrypted"`
	Created   time.Time `json:"created"`
}

const metaName = "vigil-store.json"

// ErrClosed is returned by calls on a closed store.
var ErrClosed = errors.New("store is closed")

// Open opens the store in dir, creating it (mode 0700) when it does not
// exist. Only one process may hold a store open; another gets a
// *LockedError that names it.
func Open(dir string, opts Options) (*Store, error) {
	if len(opts.EncryptionKey) != 0 && len(opts.EncryptionKey) != 32 {
		return nil, fmt.Errorf("open store %s: encryption key is %d bytes, want 32 (AES-256)", dir, len(opts.EncryptionKey))
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("open store %s: %w", dir, err)
	}
	if opts.Holder.PID == 0 {
		opts.Holder = Holder{PID: os.Getpid(), Command: currentCommand(), Since: time.Now().UTC()}
	}
	lock, err := lockDir(dir, opts.Holder)
	if err != nil {
		return nil, err
	}
	s, err := open(dir, opts, lock)
	if err != nil {
		lock.release()
		return nil, err
	}
	return s, nil
}

func open(dir string, opts Options, lock *dirLock) (*Store, error) {
	m, err := readOrCreateMeta(dir, len(opts.EncryptionKey) > 0)
	if err != nil {
		return nil, err
	}
	switch {
	case m.Encrypted && len(opts.EncryptionKey) == 0:
		return nil, fmt.Errorf("open store %s: the store is encrypted; give its key with --key-file", dir)
	case !m.Encrypted && len(opts.EncryptionKey) > 0:
		return nil, fmt.Errorf("open store %s: the store is not encrypted, but a key was given; drop --key-file", dir)
	}
	logger := opts.Logger
	if logger == nil {
		logger = slog.Default()
	}
	bo := badger.DefaultOptions(filepath.Join(dir, "badger")).
		// Append is acknowledged only once its batch is on disk.
		WithSyncWrites(!opts.NoSync).
		// One writer goroutine: conflict detection would only cost time.
		WithDetectConflicts(false).
		WithLogger(badgerLogger{logger}).
		// Records go to the value log, the LSM tree keeps only pointers to
		// them (WiscKey): compactions then move small keys instead of
		// whole records, and since nothing is ever deleted the value log
		// never needs garbage collection. Records are written in seq
		// order, so reading a range of seqs reads the value log in order.
		// The time and id keys have values of at most 8 bytes and stay in
		// the tree.
		WithValueThreshold(64).
		WithValueLogFileSize(256 << 20).
		WithCompactL0OnClose(true)
	if len(opts.EncryptionKey) > 0 {
		// Badger requires an index cache with encryption: decrypted
		// table indexes are kept there instead of in memory per table.
		bo = bo.WithEncryptionKey(opts.EncryptionKey).WithIndexCacheSize(64 << 20)
	}
	db, err := badger.Open(bo)
	if err != nil {
		if errors.Is(err, badger.ErrEncryptionKeyMismatch) {
			return nil, fmt.Errorf("open store %s: wrong encryption key", dir)
		}
		return nil, fmt.Errorf("open store %s: %w", dir, err)
	}
	s := &Store{
		dir:       dir,
		encrypted: m.Encrypted,
		db:        db,
		lock:      lock,
		clock:     opts.Clock,
		log:       logger,
		reqs:      make(chan *appendReq, 64),
		done:      make(chan struct{}),
		first:     1,
		advanced:  make(chan struct{}),
	}
	if s.clock == nil {
		s.clock = time.Now
	}
	if err := s.loadHead(); err != nil {
		db.Close()
		return nil, fmt.Errorf("open store %s: %w", dir, err)
	}
	if err := restrictPerms(dir); err != nil {
		db.Close()
		return nil, fmt.Errorf("open store %s: %w", dir, err)
	}
	go s.writer()
	return s, nil
}

func readOrCreateMeta(dir string, encrypted bool) (meta, error) {
	path := filepath.Join(dir, metaName)
	data, err := os.ReadFile(path)
	if err == nil {
		var m meta
		if err := json.Unmarshal(data, &m); err != nil {
			return m, fmt.Errorf("open store %s: read %s: %w", dir, metaName, err)
		}
		return m, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return meta{}, fmt.Errorf("open store %s: %w", dir, err)
	}
	if entries, _ := os.ReadDir(filepath.Join(dir, "badger")); len(entries) > 0 {
		return meta{}, fmt.Errorf("open store %s: %s is missing but the database exists; restore it", dir, metaName)
	}
	m := meta{Format: 1, Encrypted: encrypted, Created: time.Now().UTC()}
	data, _ = json.MarshalIndent(m, "", "  ")
	if err := os.WriteFile(path, append(data, '\n'), 0o600); err != nil {
		return m, fmt.Errorf("open store %s: %w", dir, err)
	}
	return m, nil
}

// restrictPerms makes every directory 0700 and every file 0600 below dir:
// Badger creates some files with wider modes.
func restrictPerms(dir string) error {
	return filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		want := fs.FileMode(0o600)
		if d.IsDir() {
			want = 0o700
		}
		if info.Mode().Perm()&^want != 0 {
			return os.Chmod(path, want)
		}
		return nil
	})
}

func (s *Store) loadHead() error {
	return s.db.View(func(txn *badger.Txn) error {
		if item, err := txn.Get(keyFirst); err == nil {
			if err := item.Value(func(v []byte) error { s.first = u64(v); return nil }); err != nil {
				return err
			}
		}
		item, err := txn.Get(keyHead)
		if errors.Is(err, badger.ErrKeyNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		return item.Value(func(v []byte) error {
			if len(v) != 8+hashSize {
				return fmt.Errorf("head record is %d bytes, want %d", len(v), 8+hashSize)
			}
			s.head.Seq = u64(v)
			copy(s.head.Hash[:], v[8:])
			return nil
		})
	})
}

// Dir is the directory the store lives in.
func (s *Store) Dir() string { return s.dir }

// Head returns the newest record's seq and hash; seq 0 for an empty store.
func (s *Store) Head() Head {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.head
}

// Watch returns the head and a channel that is closed once the head moves
// past it: a reader that has taken everything up to the head waits on the
// channel for more, without polling.
func (s *Store) Watch() (Head, <-chan struct{}) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.head, s.advanced
}

// Count is the number of events stored.
func (s *Store) Count() uint64 {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.head.Seq == 0 {
		return 0
	}
	return s.head.Seq - s.first + 1
}

// Close stops the writer, waits for batches in flight and closes Badger.
func (s *Store) Close() error {
	var err error
	s.closed.Do(func() {
		s.closeMu.Lock()
		s.closing = true
		close(s.reqs)
		s.closeMu.Unlock()
		<-s.done
		err = s.db.Close()
		s.lock.release()
	})
	if err != nil {
		return fmt.Errorf("close store %s: %w", s.dir, err)
	}
	return nil
}

// SizeOnDisk is the number of bytes the store's files take on disk. Badger
// preallocates sparse files, so this counts allocated blocks, not lengths.
func (s *Store) SizeOnDisk() int64 {
	var n int64
	_ = filepath.WalkDir(s.dir, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if info, err := d.Info(); err == nil {
				if st, ok := info.Sys().(*syscall.Stat_t); ok {
					n += st.Blocks * 512
				} else {
					n += info.Size()
				}
			}
		}
		return nil
	})
	return n
}

// Encrypted reports whether the store is encrypted at rest.
func (s *Store) Encrypted() bool { return s.encrypted }

// Hash computes the chain hash of chain-format.md:
// SHA-256(prev || uint64_big_endian(seq) || record).
func Hash(prev [32]byte, seq uint64, record []byte) [32]byte {
	h := sha256.New()
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], seq)
	h.Write(prev[:])
	h.Write(b[:])
	h.Write(record)
	var out [32]byte
	h.Sum(out[:0])
	return out
}

// Record is one stored record with its place in the chain.
type Record struct {
	Seq  uint64
	Prev [32]byte
	Hash [32]byte
	// Data is record(seq): the exact bytes the hash covers.
	Data []byte
}

// Event decodes the record's event.
func (r Record) Event() (*event.Event, error) { return event.DecodeRecord(r.Data) }

func decodeValue(seq uint64, v []byte) (Record, error) {
	r := Record{Seq: seq}
	if len(v) < valueHeader || v[0] != valueVersion {
		return r, fmt.Errorf("record %d: malformed value (%d bytes)", seq, len(v))
	}
	copy(r.Prev[:], v[1:33])
	copy(r.Hash[:], v[33:65])
	r.Data = v[valueHeader:]
	return r, nil
}

// Get returns the record stored at seq.
func (s *Store) Get(seq uint64) (Record, error) {
	var r Record
	err := s.db.View(func(txn *badger.Txn) error {
		item, err := txn.Get(recordKey(seq))
		if err != nil {
			return err
		}
		v, err := item.ValueCopy(nil)
		if err != nil {
			return err
		}
		r, err = decodeValue(seq, v)
		return err
	})
	if errors.Is(err, badger.ErrKeyNotFound) {
		return r, fmt.Errorf("get seq %d: %w", seq, ErrNotFound)
	}
	if err != nil {
		return r, fmt.Errorf("get seq %d: %w", seq, err)
	}
	return r, nil
}

// ErrNotFound is returned for a seq or event id the store does not hold.
var ErrNotFound = errors.New("not found")

// LookupID returns the seq of the event stored with that event_id.
func (s *Store) LookupID(id string) (uint64, error) {
	var seq uint64
	err := s.db.View(func(txn *badger.Txn) error {
		item, err := txn.Get(idKey(id))
		if err != nil {
			return err
		}
		return item.Value(func(v []byte) error { seq = u64(v); return nil })
	})
	if errors.Is(err, badger.ErrKeyNotFound) {
		return 0, fmt.Errorf("look up event_id %q: %w", id, ErrNotFound)
	}
	if err != nil {
		return 0, fmt.Errorf("look up event_id %q: %w", id, err)
	}
	return seq, nil
}

// Scan calls fn for each record with from <= seq <= to (to 0 means the
// head), oldest first, or newest first when reverse is set. fn's Record.Data
// is valid only during the call. Scan stops at fn's first error and returns
// it, or at ctx's cancellation.
func (s *Store) Scan(ctx context.Context, from, to uint64, reverse bool, fn func(Record) error) error {
	if to == 0 {
		to = ^uint64(0)
	}
	return s.db.View(func(txn *badger.Txn) error {
		io := badger.DefaultIteratorOptions
		io.Prefix = []byte{prefixRecord}
		io.Reverse = reverse
		io.PrefetchSize = 256
		it := txn.NewIterator(io)
		defer it.Close()
		start := recordKey(from)
		if reverse {
			start = recordKey(to)
		}
		for it.Seek(start); it.Valid(); it.Next() {
			seq := u64(it.Item().Key()[1:])
			if seq < from || seq > to {
				break
			}
			if err := ctx.Err(); err != nil {
				return err
			}
			var rec Record
			err := it.Item().Value(func(v []byte) error {
				var err error
				if rec, err = decodeValue(seq, v); err != nil {
					return err
				}
				return fn(rec)
			})
			if err != nil {
				return err
			}
		}
		return nil
	})
}

// ScanTime calls fn with the seq and event time of each event whose time is
// in [from, to), oldest first or newest first when reverse is set. A zero
// from or to leaves that side open.
func (s *Store) ScanTime(ctx context.Context, from, to time.Time, reverse bool, fn func(seq uint64, t time.Time) error) error {
	lo := []byte{prefixTime}
	if !from.IsZero() {
		lo = timeKey(from, 0)
	}
	hi := []byte{prefixTime + 1}
	if !to.IsZero() {
		hi = timeKey(to, 0)
	}
	return s.db.View(func(txn *badger.Txn) error {
		io := badger.DefaultIteratorOptions
		io.PrefetchValues = false // the keys say everything
		io.Prefix = []byte{prefixTime}
		io.Reverse = reverse
		it := txn.NewIterator(io)
		defer it.Close()
		if reverse {
			// Seek lands on the largest key <= hi; hi itself is excluded below.
			it.Seek(hi)
		} else {
			it.Seek(lo)
		}
		for ; it.Valid(); it.Next() {
			k := it.Item().Key()
			if string(k) < string(lo) || string(k) >= string(hi) {
				if reverse && string(k) >= string(hi) {
					continue
				}
				break
			}
			if err := ctx.Err(); err != nil {
				return err
			}
			if err := fn(u64(k[9:]), timeFromBits(u64(k[1:]))); err != nil {
				return err
			}
		}
		return nil
	})
}

// TimeSpan returns the oldest and newest event times; zero times for an
// empty store.
func (s *Store) TimeSpan(ctx context.Context) (oldest, newest time.Time, err error) {
	stop := errors.New("stop")
	err = s.ScanTime(ctx, time.Time{}, time.Time{}, false, func(_ uint64, t time.Time) error { oldest = t; return stop })
	if err != nil && !errors.Is(err, stop) {
		return oldest, newest, fmt.Errorf("time span: %w", err)
	}
	err = s.ScanTime(ctx, time.Time{}, time.Time{}, true, func(_ uint64, t time.Time) error { newest = t; return stop })
	if err != nil && !errors.Is(err, stop) {
		return oldest, newest, fmt.Errorf("time span: %w", err)
	}
	return oldest, newest, nil
}

// badgerLogger sends Badger's log to slog: warnings and errors as such, its
// chatty info lines at debug level.
type badgerLogger struct{ l *slog.Logger }

func (b badgerLogger) Errorf(f string, a ...any) {
	b.l.Error("badger: " + strings.TrimSpace(fmt.Sprintf(f, a...)))
}
func (b badgerLogger) Warningf(f string, a ...any) {
	msg := strings.TrimSpace(fmt.Sprintf(f, a...))
	if isCacheReport(msg) {
		b.l.Debug("badger: " + msg)
		return
	}
	b.l.Warn("badger: " + msg)
}

// isCacheReport tells Badger's minutely block cache reports, which it
// logs as warnings whenever a long sequential read (a verify, an index
// catch-up) misses its cache: expected, and nothing a user can act on.
func isCacheReport(msg string) bool {
	return strings.HasPrefix(msg, "Block cache might be too small") || strings.HasPrefix(msg, "Cache life expectancy")
}
func (b badgerLogger) Infof(f string, a ...any) {
	b.l.Debug("badger: " + strings.TrimSpace(fmt.Sprintf(f, a...)))
}
func (b badgerLogger) Debugf(f string, a ...any) {}
