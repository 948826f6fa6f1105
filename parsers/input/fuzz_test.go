package input

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// FuzzDiscoverFile feeds arbitrary bytes to Discover as one file and reads
// every File it returns: nothing may panic, every path is either a File
// or Skipped, and reads are bounded by the limits.
func FuzzDiscoverFile(f *testing.F) {
	f.Add([]byte(jsonLine))
	f.Add(evtxBytes[:64])
	f.Add(zipBytes(f, member{"a.json", []byte(jsonLine)}, member{"b.evtx", evtxBytes[:64]}))
	f.Add(gzBytes(f, "x.json", []byte(jsonLine)))
	f.Add(rawZip(f, "liar.json", []byte(jsonLine+jsonLine), 10, 0))
	f.Add(utf16Bytes("[{\"a\": \"\u00e9\"}]", false, true))
	f.Fuzz(func(t *testing.T, data []byte) {
		dir := t.TempDir()
		p := filepath.Join(dir, "in")
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		const limit = 1 << 16
		res, err := Discover([]string{p}, Options{MaxDecompressed: limit, MaxInMemory: 1 << 12, TempDir: dir})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Files)+len(res.Skipped) == 0 {
			t.Fatal("input neither returned nor skipped")
		}
		for _, s := range res.Skipped {
			if s.Err == nil || s.Reason == "" {
				t.Fatalf("skipped without reason: %+v", s)
			}
		}
		for _, fl := range res.Files {
			c, err := fl.Open()
			if err != nil {
				continue
			}
			n, err := io.Copy(io.Discard, c)
			if n > limit && fl.Path != p {
				t.Fatalf("%s: read %d bytes past the limit", fl.Path, n)
			}
			if err != nil && !errors.Is(err, ErrTooLarge) && !errors.Is(err, ErrChecksum) {
				t.Logf("%s: %v", fl.Path, err)
			}
			c.Close()
		}
		ents, _ := os.ReadDir(dir)
		if len(ents) != 1 {
			t.Fatalf("temporary files left: %v", ents)
		}
	})
}
