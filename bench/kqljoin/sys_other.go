//go:build !unix

package main

import "os"

// interrupt interrupts this process where the platform can.
func interrupt() {
	if p, err := os.FindProcess(os.Getpid()); err == nil {
		_ = p.Signal(os.Interrupt)
	}
}

// rss is not measured on this platform.
func rss() string { return "?" }
