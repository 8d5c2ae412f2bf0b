package index

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/mapping"
)

// TestIndexOfAnotherFormatIsRebuilt opens an index as the first version
// left it (a shard, and a state without a format) and one whose state
// names a later format: neither can answer queries rightly, so Open starts
// again and catch-up rebuilds the index from the store.
func TestIndexOfAnotherFormatIsRebuilt(t *testing.T) {
	st := fill(t, 3000)
	ctx := context.Background()
	for _, tc := range []struct {
		name  string
		state string // "" for no state file
	}{
		{"version 1", `{"seq":3000}`},
		{"version 1, no state yet", ""},
		{"a later version", `{"seq":3000,"format":99}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			// A shard holding a document the store does not have.
			old, err := bleve.New(filepath.Join(dir, "2025-w01"), bleve.NewIndexMapping())
			if err != nil {
				t.Fatal(err)
			}
			if err := old.Index("stale", map[string]string{"action": "stale"}); err != nil {
				t.Fatal(err)
			}
			old.Close()
			if tc.state != "" {
				if err := os.WriteFile(filepath.Join(dir, stateName), []byte(tc.state), 0o600); err != nil {
					t.Fatal(err)
				}
				if seq, err := DurableSeq(dir); err != nil || seq != 0 {
					t.Fatalf("DurableSeq of an index of another format: %d %v, want 0", seq, err)
				}
			}

			x, err := Open(dir, Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer x.Close()
			if x.IndexedSeq() != 0 || len(x.shardKeys()) != 0 {
				t.Fatalf("opened at seq %d with shards %v, want an empty index", x.IndexedSeq(), x.shardKeys())
			}
			if _, err := os.Stat(filepath.Join(dir, "2025-w01")); !os.IsNotExist(err) {
				t.Fatalf("the old shard is still there: %v", err)
			}
			data, err := os.ReadFile(filepath.Join(dir, stateName))
			if err != nil {
				t.Fatal(err)
			}
			var s state
			if err := json.Unmarshal(data, &s); err != nil || s.Format != Format || s.Seq != 0 {
				t.Fatalf("state %s (%v), want format %d at seq 0", data, err, Format)
			}

			if err := x.CatchUp(ctx, st, nil); err != nil {
				t.Fatal(err)
			}
			n, err := x.Count(ctx, bleve.NewMatchAllQuery())
			if err != nil || n != st.Count() {
				t.Fatalf("count after the rebuild %d %v, want the store's %d", n, err, st.Count())
			}
		})
	}
}

// TestIndexOfThisFormatIsKept reopens an index of the current format: it
// is used as it is.
func TestIndexOfThisFormatIsKept(t *testing.T) {
	st := fill(t, 2000)
	dir := t.TempDir()
	x, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := x.CatchUp(context.Background(), st, nil); err != nil {
		t.Fatal(err)
	}
	shards := len(x.shardKeys())
	if err := x.Close(); err != nil {
		t.Fatal(err)
	}
	if seq, err := DurableSeq(dir); err != nil || seq != 2000 {
		t.Fatalf("DurableSeq %d %v, want 2000", seq, err)
	}
	x, err = Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	if x.IndexedSeq() != 2000 || len(x.shardKeys()) != shards {
		t.Fatalf("reopened at seq %d with %d shards, want 2000 and %d", x.IndexedSeq(), len(x.shardKeys()), shards)
	}
}

// TestShardThatCannotBeOpenedIsRebuilt: a kill -9 of vigil serve once left
// a shard whose index_meta.json was empty (Bleve writes a new index's files
// one after the other), and vigil could not open its data directory again.
// Shards are now made under a temporary name and renamed whole; one that
// still cannot be opened (a disk fault) makes Open rebuild the index from
// the store, and the making of a shard that was cut off is thrown away.
func TestShardThatCannotBeOpenedIsRebuilt(t *testing.T) {
	st := fill(t, 3000)
	ctx := context.Background()
	dir := t.TempDir()
	x, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := x.CatchUp(ctx, st, nil); err != nil {
		t.Fatal(err)
	}
	keys := x.shardKeys()
	if err := x.Close(); err != nil {
		t.Fatal(err)
	}
	if len(keys) < 2 {
		t.Fatalf("want several shards, have %v", keys)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), newShardSuffix) {
			t.Fatalf("a shard kept its temporary name: %s", e.Name())
		}
	}
	// What the kill left: one shard's meta empty, and a shard being made.
	if err := os.WriteFile(filepath.Join(dir, keys[0], "index_meta.json"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	unfinished := filepath.Join(dir, "2031-w07"+newShardSuffix)
	if err := os.Mkdir(unfinished, 0o700); err != nil {
		t.Fatal(err)
	}

	var logged bytes.Buffer
	x, err = Open(dir, Options{Logger: slog.New(slog.NewTextHandler(&logged, nil))})
	if err != nil {
		t.Fatalf("open after the kill: %v", err)
	}
	defer x.Close()
	if x.IndexedSeq() != 0 || len(x.shardKeys()) != 0 {
		t.Fatalf("opened at seq %d with shards %v, want an empty index to rebuild", x.IndexedSeq(), x.shardKeys())
	}
	if !strings.Contains(logged.String(), "rebuilt from the store") || !strings.Contains(logged.String(), keys[0]) {
		t.Errorf("the rebuild is not logged with the shard: %s", logged.String())
	}
	if _, err := os.Stat(unfinished); !os.IsNotExist(err) {
		t.Errorf("the unfinished shard is still there: %v", err)
	}
	if seq, err := DurableSeq(dir); err != nil || seq != 0 {
		t.Fatalf("DurableSeq after the reset %d %v, want 0", seq, err)
	}
	if err := x.CatchUp(ctx, st, nil); err != nil {
		t.Fatal(err)
	}
	n, err := x.Count(ctx, bleve.NewMatchAllQuery())
	if err != nil || n != st.Count() {
		t.Fatalf("count after the rebuild %d %v, want the store's %d", n, err, st.Count())
	}
	if got := x.shardKeys(); !slices.Equal(got, keys) {
		t.Errorf("shards after the rebuild %v, want %v", got, keys)
	}
}

// TestNewShardIsWholeOnDisk: the moment a shard is made, its files on disk
// (what a kill -9 would leave) open as an index with its mapping. Made with
// unsafe_batch, Bleve kept the mapping in memory until its first persist.
func TestNewShardIsWholeOnDisk(t *testing.T) {
	dir := t.TempDir()
	x, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	if _, err := x.shard("2025-w01"); err != nil {
		t.Fatal(err)
	}
	// A copy of the files as they are now: Bleve holds a lock on the
	// originals.
	left := filepath.Join(t.TempDir(), "2025-w01")
	if err := os.CopyFS(left, os.DirFS(filepath.Join(dir, "2025-w01"))); err != nil {
		t.Fatal(err)
	}
	idx, err := bleve.Open(left)
	if err != nil {
		t.Fatalf("the new shard's files do not open: %v", err)
	}
	defer idx.Close()
	if m, ok := idx.Mapping().(*mapping.IndexMappingImpl); !ok || m.DefaultAnalyzer != "keyword" {
		t.Fatalf("the new shard's mapping is not vigil's: %#v", idx.Mapping())
	}
}
