//go:build unix

package main

import (
	"os"
	"syscall"
)

func tv(t syscall.Timeval) float64 { return float64(t.Sec) + float64(t.Usec)/1e6 }

// cpuSeconds returns the CPU time (user + system) of this process so far.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return tv(ru.Utime) + tv(ru.Stime)
}

// usage returns the user and system seconds and peak RSS (KiB) of an ended
// child process.
func usage(ps *os.ProcessState) (user, sys float64, rssKiB int64, ok bool) {
	ru, ok := ps.SysUsage().(*syscall.Rusage)
	if !ok {
		return 0, 0, 0, false
	}
	rss := int64(ru.Maxrss)
	if isDarwin {
		rss /= 1024 // bytes there
	}
	return tv(ru.Utime), tv(ru.Stime), rss, true
}
