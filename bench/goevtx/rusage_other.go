//go:build !unix

package main

import (
	"os"
	"time"
)

var start = time.Now()

// cpuSeconds falls back to wall time where getrusage is missing.
func cpuSeconds() float64 { return time.Since(start).Seconds() }

func usage(ps *os.ProcessState) (user, sys float64, rssKiB int64, ok bool) {
	return ps.UserTime().Seconds(), ps.SystemTime().Seconds(), 0, true
}
