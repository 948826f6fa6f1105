//go:build unix

package main

import (
	"fmt"
	"os"
	"syscall"
)

// interrupt sends this process SIGINT, as Ctrl-C does.
func interrupt() { _ = syscall.Kill(os.Getpid(), syscall.SIGINT) }

// rss is the process's peak resident set size.
func rss() string {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return "?"
	}
	return fmt.Sprintf("%d MiB", ru.Maxrss>>10)
}
