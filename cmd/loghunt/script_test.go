package main

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
)

// TestMain lets the test binary run as the loghunt command: testscript
// installs it under that name in a directory on the scripts' $PATH, and
// when it starts as "loghunt" it runs the in-process CLI and exits. Run
// as the test binary, it runs every test of the package as usual.
func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"loghunt": func() { os.Exit(mainProcess(os.Args[1:])) },
	})
}

// TestScripts runs the CLI end to end from the scripts in
// testdata/script (txtar: the commands, then the files they use).
//
// Besides testscript's commands, a script may use
//
//	exits CODE COMMAND [ARGS...]
//
// which runs COMMAND like exec and fails unless it exits with CODE, so a
// script tells a usage error (2) from a failed run (1). $EVTX_TESTDATA is
// parsers/evtx/testdata, for the binary fixtures a script cannot hold;
// $RULEPACKS is rulepacks/, for the shipped tuning example.
//
//	go test ./cmd/loghunt -run Scripts
//	go test ./cmd/loghunt -run Scripts/hunt -testwork   # keep $WORK
func TestScripts(t *testing.T) {
	evtxData, err := filepath.Abs(filepath.Join("..", "..", "parsers", "evtx", "testdata"))
	if err != nil {
		t.Fatal(err)
	}
	rulepacks, err := filepath.Abs(filepath.Join("..", "..", "rulepacks"))
	if err != nil {
		t.Fatal(err)
	}
	testscript.Run(t, testscript.Params{
		Dir:                 filepath.Join("testdata", "script"),
		RequireExplicitExec: true,
		RequireUniqueNames:  true,
		Setup: func(env *testscript.Env) error {
			env.Setenv("EVTX_TESTDATA", evtxData)
			env.Setenv("RULEPACKS", rulepacks)
			return nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"exits": cmdExits,
		},
	})
}

// cmdExits is "exits CODE COMMAND [ARGS...]".
func cmdExits(ts *testscript.TestScript, neg bool, args []string) {
	if neg {
		ts.Fatalf("unsupported: ! exits (give the code that is expected)")
	}
	if len(args) < 2 {
		ts.Fatalf("usage: exits CODE COMMAND [ARGS...]")
	}
	want, err := strconv.Atoi(args[0])
	if err != nil {
		ts.Fatalf("exits: bad code %q", args[0])
	}
	err = ts.Exec(args[1], args[2:]...)
	got := 0
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		got = ee.ExitCode()
	case err != nil:
		ts.Fatalf("exits: %v", err)
	}
	if got != want {
		ts.Fatalf("%s exited with %d, want %d", args[1], got, want)
	}
}
