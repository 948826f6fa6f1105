// Command loghunt hunts for threats in Windows event logs, offline: it runs
// Sigma rules and KQL hunting queries over EVTX files and JSON log dumps.
//
// Run "loghunt help" for the commands.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	// The time zone database, so --timezone works where the system has
	// none (Windows without Go, minimal containers): 415 KB of the binary.
	_ "time/tzdata"

	"golang.org/x/term"
)

func main() {
	os.Exit(mainProcess(os.Args[1:]))
}

// mainProcess wires the process to runConsole: the terminal, NO_COLOR and
// the signals. The first SIGINT stops the reading and lets the run write
// what it found (exit 130); a second one exits at once. SIGTERM cancels
// the run.
func mainProcess(args []string) int {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt)
	defer signal.Stop(sigs)
	con := processConsole(os.Stdout, os.Getenv("NO_COLOR"))
	con.interrupt = interrupts(sigs, os.Stderr, func() { os.Exit(exitInterrupted) })
	return runConsole(ctx, args, os.Stdout, os.Stderr, con)
}

// processConsole describes stdout: its width when it is a terminal, and
// whether to colour (a terminal, and NO_COLOR unset or empty, as
// https://no-color.org asks).
func processConsole(stdout *os.File, noColor string) *console {
	fd := int(stdout.Fd())
	if !term.IsTerminal(fd) {
		return &console{}
	}
	con := &console{color: noColor == ""}
	if w, _, err := term.GetSize(fd); err == nil && w > 0 {
		con.width = w
	}
	return con
}

// interrupts turns SIGINTs into a stop: the first closes the returned
// channel and says so on stderr, the second calls exit. A closed sigs
// ends the watch.
func interrupts(sigs <-chan os.Signal, stderr io.Writer, exit func()) <-chan struct{} {
	stop := make(chan struct{})
	go func() {
		if _, ok := <-sigs; !ok {
			return
		}
		close(stop)
		fmt.Fprintln(stderr, "loghunt: interrupted: finishing the records being read, then writing the hits found so far (Ctrl-C again to quit at once)")
		if _, ok := <-sigs; ok {
			exit()
		}
	}()
	return stop
}
