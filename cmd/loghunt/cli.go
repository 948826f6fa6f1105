package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/loghunt/loghunt/hunt/app"
)

// Exit codes. Only run maps errors to them.
const (
	exitOK    = 0
	exitError = 1 // the run failed
	exitUsage = 2 // bad command line
)

// usageError is a command-line mistake; its hint teaches the fix.
type usageError struct {
	msg  string
	hint string
}

func (e *usageError) Error() string { return e.msg }

// flagError is a flag the flag package rejected; it has already printed
// the message and the command's usage, so only the exit status is left.
type flagError struct{ err error }

func (e *flagError) Error() string { return e.err.Error() }
func (e *flagError) Unwrap() error { return e.err }

func usagef(hint, format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...), hint: hint}
}

type command struct {
	name    string
	summary string
	run     func(ctx context.Context, args []string, stdout, stderr io.Writer) error
}

func commands() []command {
	return []command{
		{"hunt", "run Sigma and KQL rules over logs and print the hits", runHunt},
		{"kql", "run one KQL query over logs and print the result table", runKQL},
		{"search", "search every event for keywords, regular expressions, event IDs or field values", runSearch},
		{"dump", "decode EVTX files to XML or JSON Lines", runDump},
		{"rules", "check rule files: which load, which do not and why", runRules},
		{"version", "print the version", runVersion},
	}
}

const mainUsage = `loghunt hunts for threats in Windows event logs, offline.

Usage:
  loghunt <command> [flags] [arguments]

Commands:
%s
Examples:
  loghunt hunt samples/                       hits of the bundled rules, as a table
  loghunt hunt -r sigma/rules -o hits.csv C:\evidence
  loghunt kql -f hunt.kql --now 2024-05-01T00:00:00Z logs/
  loghunt rules check sigma/rules
  loghunt dump --format xml Security.evtx

Run "loghunt <command> -h" for the flags of one command.
`

func printMainUsage(w io.Writer) {
	var b strings.Builder
	for _, c := range commands() {
		fmt.Fprintf(&b, "  %-9s %s\n", c.name, c.summary)
	}
	fmt.Fprintf(w, mainUsage, b.String())
}

// run is the whole CLI: main only wires the process to it.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		printMainUsage(stderr)
		return exitUsage
	}
	name := args[0]
	switch name {
	case "help", "-h", "--help", "-help":
		if len(args) > 1 {
			return run(ctx, []string{args[1], "-h"}, stdout, stderr)
		}
		printMainUsage(stdout)
		return exitOK
	case "--version", "-version":
		name = "version"
	}
	for _, c := range commands() {
		if c.name != name {
			continue
		}
		err := c.run(ctx, args[1:], stdout, stderr)
		var ue *usageError
		switch {
		case err == nil:
			return exitOK
		case errors.Is(err, flag.ErrHelp):
			return exitOK
		case errors.As(err, new(*flagError)):
			return exitUsage
		case errors.As(err, &ue):
			fmt.Fprintf(stderr, "loghunt %s: %v\n", name, ue)
			if ue.hint != "" {
				fmt.Fprintf(stderr, "hint: %s\n", ue.hint)
			}
			return exitUsage
		case errors.Is(err, app.ErrBadOption):
			// A configuration the flags checks let through (a --min-level
			// on rules check, an --expand file that does not read).
			fmt.Fprintf(stderr, "loghunt %s: %v\n", name, err)
			fmt.Fprintf(stderr, "hint: run \"loghunt %s -h\" for the flags and their values\n", name)
			return exitUsage
		case errors.Is(err, context.Canceled):
			fmt.Fprintf(stderr, "loghunt %s: interrupted\n", name)
			return exitError
		default:
			fmt.Fprintf(stderr, "loghunt %s: %v\n", name, err)
			return exitError
		}
	}
	fmt.Fprintf(stderr, "loghunt: unknown command %q\n", name)
	fmt.Fprintf(stderr, "hint: the commands are %s; run \"loghunt help\"\n", commandNames())
	return exitUsage
}

func commandNames() string {
	var n []string
	for _, c := range commands() {
		n = append(n, c.name)
	}
	return strings.Join(n, ", ")
}

// parseArgs parses flags that may come before, between or after the
// positional arguments ("loghunt hunt samples/ -o x.csv"), as users type
// them. A lone "--" ends flag parsing.
func parseArgs(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, &flagError{err}
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		if len(args) > len(rest) && args[len(args)-len(rest)-1] == "--" {
			return append(pos, rest...), nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// newFlagSet returns a FlagSet that reports errors instead of exiting and
// prints usage (synopsis, then the flags) to w.
func newFlagSet(name, synopsis string, w io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(w)
	fs.Usage = func() {
		fmt.Fprint(w, synopsis)
		fmt.Fprintln(w, "\nFlags:")
		fs.PrintDefaults()
	}
	return fs
}

// listFlag is a repeatable string flag; each use may also hold a
// comma-separated list when split is set.
type listFlag struct {
	vals  *[]string
	split bool
}

func (l listFlag) String() string {
	if l.vals == nil {
		return ""
	}
	return strings.Join(*l.vals, ",")
}

func (l listFlag) Set(s string) error {
	if !l.split {
		*l.vals = append(*l.vals, s)
		return nil
	}
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			*l.vals = append(*l.vals, p)
		}
	}
	return nil
}

// version is set by the linker: -ldflags "-X main.version=v1.2.3".
var version = "dev"

func runVersion(_ context.Context, _ []string, stdout, _ io.Writer) error {
	fmt.Fprintf(stdout, "loghunt %s\n", version)
	return nil
}
