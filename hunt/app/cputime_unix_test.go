//go:build unix

package app

import (
	"syscall"
	"time"
)

// processCPU returns the user+system CPU time the process has used so far,
// or false where it cannot be read. Benchmarks report it next to ns/op
// because wall-clock time on a shared, loaded machine says little.
func processCPU() (time.Duration, bool) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, false
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), true
}
