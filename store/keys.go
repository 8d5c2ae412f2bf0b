package store

import (
	"encoding/binary"
	"time"
)

// The key space. Every key starts with one byte naming its table.
//
//	'r' seq(8)              -> version(1) prev(32) hash(32) record   the chain
//	't' time(8) seq(8)      -> empty                                 time index
//	'i' event_id            -> seq(8)                                dedup
//	'm' name                -> value                                 metadata
//
// Integers are big-endian so that keys sort numerically; time is Unix
// nanoseconds with the sign bit flipped so that times before 1970 sort first.
const (
	prefixRecord = 'r'
	prefixTime   = 't'
	prefixID     = 'i'
	prefixMeta   = 'm'

	valueVersion = 1
	hashSize     = 32
	valueHeader  = 1 + 2*hashSize
)

var (
	keyHead   = []byte("mhead")   // seq(8) hash(32) of the newest record
	keyAnchor = []byte("manchor") // prev of the first record kept (32)
	keyFirst  = []byte("mfirst")  // seq(8) of the oldest record kept
)

func recordKey(seq uint64) []byte {
	k := make([]byte, 9)
	k[0] = prefixRecord
	binary.BigEndian.PutUint64(k[1:], seq)
	return k
}

func timeKey(t time.Time, seq uint64) []byte {
	k := make([]byte, 17)
	k[0] = prefixTime
	binary.BigEndian.PutUint64(k[1:], timeBits(t))
	binary.BigEndian.PutUint64(k[9:], seq)
	return k
}

func timeBits(t time.Time) uint64 { return uint64(t.UnixNano()) ^ (1 << 63) }

func timeFromBits(b uint64) time.Time { return time.Unix(0, int64(b^(1<<63))).UTC() }

func idKey(id string) []byte {
	k := make([]byte, 1+len(id))
	k[0] = prefixID
	copy(k[1:], id)
	return k
}

func u64(b []byte) uint64 { return binary.BigEndian.Uint64(b) }

func putU64(v uint64) []byte {
	b := make([]byte, 8)
	binary.BigEndian.PutUint64(b, v)
	return b
}
