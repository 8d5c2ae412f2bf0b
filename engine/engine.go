// Package engine composes the store, the index and the query language into
// the one API that the command line, the explorer and the server call:
// search newest first with stable paging, exact counts, aggregations, get by
// seq, verify and export. It knows nothing of terminals or HTTP.
package engine

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/vigil-dev/vigil/event"
	"github.com/vigil-dev/vigil/index"
	"github.com/vigil-dev/vigil/store"
)

// Options configure Open.
type Options struct {
	// EncryptionKey opens an encrypted store (see store.Options).
	EncryptionKey []byte
	Logger        *slog.Logger
	// Now is the evaluation time of relative times in queries (now-7d);
	// time.Now when nil.
	Now func() time.Time
	// Holder describes this process in the store's lock.
	Holder store.Holder
}

// Engine is an open data directory. It is safe for concurrent use, but for
// Reindex.
type Engine struct {
	dir string
	st  *store.Store
	ix  *index.Index
	now func() time.Time
	log *slog.Logger
	cat *event.Catalogue
	bus *bus
}

// StoreDir and IndexDir are where the store and the index live in a data
// directory.
func StoreDir(dataDir string) string { return filepath.Join(dataDir, "store") }

// IndexDir is where the index lives in a data directory.
func IndexDir(dataDir string) string { return filepath.Join(dataDir, "index") }

// Open opens the store and the index of a data directory. The index may lag
// the store (after a crash, or events stored by an older version): call
// CatchUp before searching.
func Open(dataDir string, opts Options) (*Engine, error) {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, fmt.Errorf("open %s: %w", dataDir, err)
	}
	st, err := store.Open(StoreDir(dataDir), store.Options{EncryptionKey: opts.EncryptionKey, Logger: opts.Logger, Holder: opts.Holder})
	if err != nil {
		return nil, err
	}
	ix, err := index.Open(IndexDir(dataDir), index.Options{Logger: opts.Logger})
	if err != nil {
		st.Close()
		return nil, err
	}
	cat, err := event.LoadCatalogue(filepath.Join(dataDir, "catalogue.yaml"))
	if err != nil {
		ix.Close()
		st.Close()
		return nil, err
	}
	e := &Engine{dir: dataDir, st: st, ix: ix, now: opts.Now, log: opts.Logger, cat: cat}
	e.startBus()
	return e, nil
}

// Close closes the index and the store.
func (e *Engine) Close() error {
	e.stopBus()
	ierr := e.ix.Close()
	serr := e.st.Close()
	if ierr != nil {
		return ierr
	}
	return serr
}

// Store is the engine's store.
func (e *Engine) Store() *store.Store { return e.st }

// Catalogue is the catalogue of the data directory.
func (e *Engine) Catalogue() *event.Catalogue { return e.cat }

// IndexedSeq is the newest seq searchable.
func (e *Engine) IndexedSeq() uint64 { return e.ix.IndexedSeq() }

// CatchUp indexes what the store holds and the index does not yet.
func (e *Engine) CatchUp(ctx context.Context, progress func(done, total uint64)) error {
	return e.ix.CatchUp(ctx, e.st, progress)
}

// Reindex throws the index away and builds it again from the store. It
// must not run while other calls use the engine.
func (e *Engine) Reindex(ctx context.Context, progress func(done, total uint64)) error {
	if err := e.ix.Close(); err != nil {
		return err
	}
	if err := os.RemoveAll(IndexDir(e.dir)); err != nil {
		return fmt.Errorf("reindex: %w", err)
	}
	ix, err := index.Open(IndexDir(e.dir), index.Options{Logger: e.log})
	if err != nil {
		return err
	}
	e.ix = ix
	return e.CatchUp(ctx, progress)
}
