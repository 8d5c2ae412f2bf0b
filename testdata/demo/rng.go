package demo

// rng is a small splitmix64 generator. It is written out here rather than
// taken from math/rand so that the output of a Seed never changes with the Go
// version.
type rng struct{ s uint64 }

func newRNG(parts ...uint64) rng {
	return rng{s: mix(parts...)}
}

func (r *rng) next() uint64 {
	r.s += 0x9E3779B97F4A7C15
	return fmix(r.s)
}

// n returns a number in [0, n); n must be positive and below 2^32.
func (r *rng) n(n int) int {
	return int(((r.next() >> 32) * uint64(n)) >> 32)
}

// n64 returns a number in [0, n) for n up to 2^53.
func (r *rng) n64(n int64) int64 {
	return int64(r.float() * float64(n))
}

// between returns a number in [lo, hi].
func (r *rng) between(lo, hi int) int {
	return lo + r.n(hi-lo+1)
}

func (r *rng) float() float64 {
	return float64(r.next()>>11) / (1 << 53)
}

func (r *rng) chance(p float64) bool {
	return r.float() < p
}

func pick[T any](r *rng, list []T) T {
	return list[r.n(len(list))]
}

// fmix is the splitmix64 finaliser, a bijection on uint64.
func fmix(z uint64) uint64 {
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9
	z = (z ^ (z >> 27)) * 0x94D049BB133111EB
	return z ^ (z >> 31)
}

// mix hashes its parts into one well-spread value.
func mix(parts ...uint64) uint64 {
	h := uint64(0x243F6A8885A308D3)
	for _, p := range parts {
		h = fmix(h ^ fmix(p+0x9E3779B97F4A7C15))
	}
	return h
}
