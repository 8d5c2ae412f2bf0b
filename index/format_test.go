package index

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/blevesearch/bleve/v2"
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
