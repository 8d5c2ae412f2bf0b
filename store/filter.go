package store

import (
	"hash/maphash"
)

// idFilter is a Bloom filter of the event ids a store holds. The writer asks
// Badger whether an id is stored only when the filter says it may be: for
// the usual new event that saves a lookup through every memtable and level.
// It lives in memory only and is built from the id keys when the writer
// first needs it.
type idFilter struct {
	bits     []uint64
	nbits    uint64
	n        int // ids added
	capacity int // ids it was sized for
	seed     maphash.Seed
}

// bitsPerID and hashes give about 1% false positives at capacity.
const (
	bitsPerID = 10
	hashes    = 7
)

func newIDFilter(capacity int) *idFilter {
	capacity = max(capacity, 1<<16)
	nbits := uint64(capacity * bitsPerID)
	return &idFilter{
		bits:     make([]uint64, (nbits+63)/64),
		nbits:    nbits,
		capacity: capacity,
		seed:     maphash.MakeSeed(),
	}
}

func (f *idFilter) positions(id string) (h1, h2 uint64) {
	h := maphash.String(f.seed, id)
	return h, h>>33 | h<<31 | 1
}

func (f *idFilter) add(id string) {
	h1, h2 := f.positions(id)
	for i := uint64(0); i < hashes; i++ {
		b := (h1 + i*h2) % f.nbits
		f.bits[b/64] |= 1 << (b % 64)
	}
	f.n++
}

// mayContain is false only for an id that was never added.
func (f *idFilter) mayContain(id string) bool {
	h1, h2 := f.positions(id)
	for i := uint64(0); i < hashes; i++ {
		b := (h1 + i*h2) % f.nbits
		if f.bits[b/64]&(1<<(b%64)) == 0 {
			return false
		}
	}
	return true
}

// full reports that the filter holds more ids than it was sized for and
// should be rebuilt larger to keep its false positives rare.
func (f *idFilter) full() bool { return f.n > f.capacity }
