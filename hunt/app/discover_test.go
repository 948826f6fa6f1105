package app

import (
	"archive/zip"
	"bytes"
	"compress/gzip"
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

// TestDiscoverSplitsLargeJSON: a JSON Lines file on disk larger than a
// unit is decoded in several units covering it exactly; the same lines in
// a gzip member, with no random access, are one unit.
func TestDiscoverSplitsLargeJSON(t *testing.T) {
	dir := t.TempDir()
	line := []byte(`{"EventID": 1, "Channel": "Security", "Pad": "` + string(bytes.Repeat([]byte("p"), 200)) + `"}` + "\n")
	data := bytes.Repeat(line, (9<<20)/len(line)) // about 9 MiB: three units of 4 MiB
	if err := os.WriteFile(filepath.Join(dir, "big.jsonl"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(data)
	zw.Close()
	if err := os.WriteFile(filepath.Join(dir, "big.jsonl.gz"), gz.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	ins, skipped, err := Discover([]string{dir}, DiscoverOptions{})
	if err != nil || len(ins) != 2 || len(skipped) != 0 {
		t.Fatalf("inputs %d, skipped %v, %v", len(ins), skipped, err)
	}
	want := map[string]int{"big.jsonl": 3, "big.jsonl.gz!big.jsonl": 1}
	for _, in := range ins {
		units, release, err := in.Open()
		if err != nil {
			t.Fatal(err)
		}
		var covered int64
		for _, u := range units {
			covered += u.(interface{ Size() int64 }).Size()
		}
		name := filepath.Base(filepath.ToSlash(in.Path))
		if len(units) != want[name] {
			t.Errorf("%s: %d units, want %d", name, len(units), want[name])
		}
		if name == "big.jsonl" && (covered != int64(len(data)) || in.Size != int64(len(data))) {
			t.Errorf("%s: units cover %d bytes of %d (input size %d)", name, covered, len(data), in.Size)
		}
		if err := release(); err != nil {
			t.Error(err)
		}
	}
}
