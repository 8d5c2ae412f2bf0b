package store

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/dgraph-io/badger/v4"
)

// tamper edits a closed store through Badger directly, as someone holding
// the files could, and returns the verification of the reopened store.
func tamper(t *testing.T, n int, edit func(txn *badger.Txn) error) VerifyReport {
	t.Helper()
	dir := t.TempDir()
	s := openTest(t, dir, Options{})
	appendN(t, s, n)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	db, err := badger.Open(badger.DefaultOptions(filepath.Join(dir, "badger")).WithLogger(nil))
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Update(edit); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	s = openTest(t, dir, Options{})
	rep, err := s.Verify(context.Background(), VerifyOptions{})
	if err != nil {
		t.Fatalf("verify: %v", err)
	}
	return rep
}

func getVal(t *testing.T, txn *badger.Txn, seq uint64) []byte {
	t.Helper()
	item, err := txn.Get(recordKey(seq))
	if err != nil {
		t.Fatal(err)
	}
	v, err := item.ValueCopy(nil)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestVerifyFindsTampering(t *testing.T) {
	const n = 20
	cases := []struct {
		name string
		edit func(t *testing.T, txn *badger.Txn) error
		seq  uint64
		kind BreakKind
	}{
		{"change a byte of a record", func(t *testing.T, txn *badger.Txn) error {
			v := getVal(t, txn, 7)
			v[len(v)-20] ^= 0x01
			return txn.Set(recordKey(7), v)
		}, 7, Changed},
		{"change a byte of the newest record", func(t *testing.T, txn *badger.Txn) error {
			v := getVal(t, txn, n)
			v[valueHeader+3] ^= 0x01
			return txn.Set(recordKey(n), v)
		}, n, Changed},
		{"delete one", func(t *testing.T, txn *badger.Txn) error {
			return txn.Delete(recordKey(9))
		}, 9, Missing},
		{"delete one and renumber the rest", func(t *testing.T, txn *badger.Txn) error {
			for seq := uint64(9); seq < n; seq++ {
				if err := txn.Set(recordKey(seq), getVal(t, txn, seq+1)); err != nil {
					return err
				}
			}
			return txn.Delete(recordKey(n))
		}, 9, Missing},
		{"delete the newest", func(t *testing.T, txn *badger.Txn) error {
			return txn.Delete(recordKey(n))
		}, n, Missing},
		{"insert one and renumber the rest", func(t *testing.T, txn *badger.Txn) error {
			for seq := uint64(n); seq >= 5; seq-- {
				if err := txn.Set(recordKey(seq+1), getVal(t, txn, seq)); err != nil {
					return err
				}
			}
			forged := getVal(t, txn, 12)
			forged[valueHeader+10] ^= 0x02
			return txn.Set(recordKey(5), forged)
		}, 5, Inserted},
		{"insert one after the head", func(t *testing.T, txn *badger.Txn) error {
			return txn.Set(recordKey(n+1), getVal(t, txn, 3))
		}, n + 1, Inserted},
		{"insert a copy of an earlier record", func(t *testing.T, txn *badger.Txn) error {
			for seq := uint64(n); seq >= 11; seq-- {
				if err := txn.Set(recordKey(seq+1), getVal(t, txn, seq)); err != nil {
					return err
				}
			}
			return txn.Set(recordKey(11), getVal(t, txn, 4))
		}, 11, Inserted},
		{"swap two neighbours", func(t *testing.T, txn *badger.Txn) error {
			a, b := getVal(t, txn, 12), getVal(t, txn, 13)
			if err := txn.Set(recordKey(12), b); err != nil {
				return err
			}
			return txn.Set(recordKey(13), a)
		}, 12, Reordered},
		{"swap two far apart", func(t *testing.T, txn *badger.Txn) error {
			a, b := getVal(t, txn, 3), getVal(t, txn, 17)
			if err := txn.Set(recordKey(3), b); err != nil {
				return err
			}
			return txn.Set(recordKey(17), a)
		}, 3, Reordered},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rep := tamper(t, n, func(txn *badger.Txn) error { return tc.edit(t, txn) })
			if rep.Intact || rep.Break == nil {
				t.Fatalf("verify says intact: %+v", rep)
			}
			if rep.Break.Seq != tc.seq || rep.Break.Kind != tc.kind {
				t.Fatalf("break %v, want seq %d %s", rep.Break, tc.seq, tc.kind)
			}
			if rep.Events != tc.seq-1 {
				t.Errorf("verified %d events before the break, want %d", rep.Events, tc.seq-1)
			}
		})
	}
}
