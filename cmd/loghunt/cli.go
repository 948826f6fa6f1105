package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
	"strings"

	"github.com/loghunt/loghunt/hunt/app"
	"github.com/loghunt/loghunt/rulepacks"
)

// Exit codes. Only run maps errors to them; README's exit status table
// says the same.
const (
	exitOK          = 0
	exitError       = 1   // the run failed, or completed with an input or rule unread
	exitUsage       = 2   // bad command line
	exitHits        = 3   // --fail-on-hit, and a hit was found
	exitInterrupted = 130 // stopped by SIGINT (128 + 2)
)

// statusError ends a run that has written everything it had with a
// status other than 0 or 1: exitHits, exitInterrupted. msg, if set, is
// printed on stderr.
type statusError struct {
	code int
	msg  string
}

func (e *statusError) Error() string { return e.msg }

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

// console is what main knows of the process: whether stdout is a
// terminal and how wide, NO_COLOR, and the first SIGINT. Library code
// never reads the environment; cmd passes these on as options. The zero
// value is a run with no terminal and no interrupt (tests, pipes).
type console struct {
	// width is stdout's width in columns when it is a terminal, else 0.
	width int
	// color: stdout is a terminal and NO_COLOR is unset or empty.
	color bool
	// interrupt is closed at the first SIGINT: stop reading, write what
	// was found. Nil never closes.
	interrupt <-chan struct{}
	// onProgress, when set, is called as the progress bar is (after each
	// unit: an EVTX chunk, a part of a JSON file), so a test can interrupt
	// a run part-way.
	onProgress func(done, total int64)
}

func commands(con *console) []command {
	return []command{
		{"hunt", "run Sigma and KQL rules over logs and print the hits", withConsole(con, runHunt)},
		{"kql", "run one KQL query over logs and print the result table", withConsole(con, runKQL)},
		{"search", "search every event for keywords, regular expressions, event IDs or field values", withConsole(con, runSearch)},
		{"dump", "decode EVTX files to XML or JSON Lines", runDump},
		{"rules", "check rule files: which load, which do not and why", runRules},
		{"version", "print the version, the commit, the Go version and the rulepacks' versions", runVersion},
	}
}

func withConsole(con *console, f func(context.Context, []string, io.Writer, io.Writer, *console) error) func(context.Context, []string, io.Writer, io.Writer) error {
	return func(ctx context.Context, args []string, stdout, stderr io.Writer) error {
		return f(ctx, args, stdout, stderr, con)
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
  loghunt search -k mimikatz --from 2024-05-01 logs/
  loghunt rules check sigma/rules
  loghunt dump --format xml Security.evtx

Run "loghunt <command> -h" for the flags of one command.
`

func printMainUsage(w io.Writer) {
	var b strings.Builder
	for _, c := range commands(&console{}) {
		fmt.Fprintf(&b, "  %-9s %s\n", c.name, c.summary)
	}
	fmt.Fprintf(w, mainUsage, b.String())
}

// run is the whole CLI with no terminal and no interrupt, as tests and
// pipes see it.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return runConsole(ctx, args, stdout, stderr, &console{})
}

// runConsole is the whole CLI: main only wires the process to it.
func runConsole(ctx context.Context, args []string, stdout, stderr io.Writer, con *console) int {
	if len(args) == 0 {
		printMainUsage(stderr)
		return exitUsage
	}
	name := args[0]
	switch name {
	case "help", "-h", "--help", "-help":
		if len(args) > 1 {
			return runConsole(ctx, []string{args[1], "-h"}, stdout, stderr, con)
		}
		printMainUsage(stdout)
		return exitOK
	case "--version", "-version":
		name = "version"
	}
	for _, c := range commands(con) {
		if c.name != name {
			continue
		}
		err := c.run(ctx, args[1:], stdout, stderr)
		var ue *usageError
		var fe *flagError
		var se *statusError
		switch {
		case err == nil:
			return exitOK
		case errors.Is(err, flag.ErrHelp):
			return exitOK
		case errors.As(err, &fe):
			// One line and where to look, not the whole usage.
			fmt.Fprintf(stderr, "loghunt %s: %v\n", name, fe.err)
			fmt.Fprintf(stderr, "hint: run \"loghunt %s -h\" for the flags\n", name)
			return exitUsage
		case errors.As(err, &se):
			if se.msg != "" {
				fmt.Fprintf(stderr, "loghunt %s: %s\n", name, se.msg)
			}
			return se.code
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
			return exitInterrupted
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
	for _, c := range commands(&console{}) {
		n = append(n, c.name)
	}
	return strings.Join(n, ", ")
}

// parseArgs parses flags that may come before, between or after the
// positional arguments ("loghunt hunt samples/ -o x.csv"), as users type
// them. A lone "--" ends flag parsing. -h prints the usage (fs.Usage) and
// returns flag.ErrHelp; a flag error is a *flagError, its message not
// printed yet.
func parseArgs(fs *flag.FlagSet, args []string) ([]string, error) {
	// The flag package calls Usage for errors too: only -h prints it.
	help := fs.Usage
	fs.Usage = func() {}
	defer func() { fs.Usage = help }()
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				help()
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

// newFlagSet returns a FlagSet that reports errors instead of exiting or
// printing them, and whose usage (synopsis, then the flags) goes to w,
// stdout: "loghunt hunt -h | less" works.
func newFlagSet(name, synopsis string, w io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {
		fmt.Fprint(w, synopsis)
		fmt.Fprintln(w, "\nFlags:")
		printFlags(w, fs)
	}
	return fs
}

// printFlags lists the flags as they are typed: "--name" for long names,
// "-x" for one letter (both forms are accepted).
func printFlags(w io.Writer, fs *flag.FlagSet) {
	fs.VisitAll(func(f *flag.Flag) {
		arg, usage := flag.UnquoteUsage(f)
		dash := "--"
		if len(f.Name) == 1 {
			dash = "-"
		}
		line := "  " + dash + f.Name
		if arg != "" {
			line += " " + arg
		}
		switch f.DefValue {
		case "", "0", "false":
		default:
			usage += fmt.Sprintf(" (default %s)", f.DefValue)
		}
		fmt.Fprintf(w, "%s\n    \t%s\n", line, strings.ReplaceAll(usage, "\n", "\n    \t"))
	})
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
	commit, modified, goVersion := "unknown", "", runtime.Version()
	if bi, ok := debug.ReadBuildInfo(); ok {
		if bi.GoVersion != "" {
			goVersion = bi.GoVersion
		}
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				commit = s.Value
			case "vcs.modified":
				if s.Value == "true" {
					modified = " (modified)"
				}
			}
		}
	}
	fmt.Fprintf(stdout, "commit   %s%s\n", commit, modified)
	fmt.Fprintf(stdout, "go       %s\n", goVersion)
	for _, p := range rulepacks.Packs() {
		files, digest, err := p.Digest()
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "rulepack %s %s (%d files, sha256 %s)\n", p.Name, p.Version, files, digest[:12])
	}
	return nil
}
