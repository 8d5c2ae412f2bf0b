//go:build !unix

package index

import "time"

// cpuTime is not measured here: the benchmark's cpu figure reads 0.
func cpuTime() time.Duration { return 0 }
