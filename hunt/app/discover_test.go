package app

import (
	"archive/zip"
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/loghunt/loghunt/parsers/input"
)

// TestDiscoverKeepsTypedCauses: a zip bomb is skipped with its reason and
// its typed cause, so errors.Is finds input.ErrBomb in the Skipped.
func TestDiscoverKeepsTypedCauses(t *testing.T) {
	dir := t.TempDir()
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	w, err := zw.Create("zeros.json")
	if err != nil {
		t.Fatal(err)
	}
	w.Write(make([]byte, 4<<20))
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	bomb := filepath.Join(dir, "bomb.zip")
	os.WriteFile(bomb, b.Bytes(), 0o644)

	// Prepare passes the input limits down to discovery.
	p, err := Prepare(Config{Paths: []string{dir}, NoBundled: true, Input: input.Options{MaxRatio: 10}})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Inputs) != 0 || len(p.SkippedInputs) != 1 {
		t.Fatalf("inputs %d, skipped %+v", len(p.Inputs), p.SkippedInputs)
	}
	s := p.SkippedInputs[0]
	if s.Path != bomb+"!zeros.json" || !errors.Is(s, input.ErrBomb) || s.Reason == "" {
		t.Errorf("skipped = %+v, want the bomb with input.ErrBomb", s)
	}
	if errors.Is(s, input.ErrTooLarge) {
		t.Errorf("%v: matches another cause", s)
	}
}
