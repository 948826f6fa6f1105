// Command loghunt hunts for threats in Windows event logs, offline: it runs
// Sigma rules and KQL hunting queries over EVTX files and JSON log dumps.
//
// Run "loghunt help" for the commands.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	// The time zone database, so --timezone works where the system has
	// none (Windows without Go, minimal containers): 415 KB of the binary.
	_ "time/tzdata"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
