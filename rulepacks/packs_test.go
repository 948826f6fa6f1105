package rulepacks

import (
	"io/fs"
	"regexp"
	"testing"
)

// TestPacksCoverFS: every top-level directory of FS is a pack with a
// version, and every pack has rules.
func TestPacksCoverFS(t *testing.T) {
	dirs, err := fs.ReadDir(FS, ".")
	if err != nil {
		t.Fatal(err)
	}
	packs := map[string]Pack{}
	for _, p := range Packs() {
		packs[p.Dir] = p
	}
	for _, d := range dirs {
		p, ok := packs[d.Name()]
		if !ok {
			t.Errorf("embedded directory %s is no pack of Packs()", d.Name())
			continue
		}
		if !regexp.MustCompile(`^\d{4}\.\d{1,2}\.\d+$`).MatchString(p.Version) {
			t.Errorf("pack %s: version %q is not YYYY.MM.N", p.Name, p.Version)
		}
		n, digest, err := p.Digest()
		if err != nil || n == 0 || len(digest) != 64 {
			t.Errorf("pack %s: %d files, digest %q, %v", p.Name, n, digest, err)
		}
	}
	if len(dirs) != len(packs) {
		t.Errorf("%d embedded directories, %d packs", len(dirs), len(packs))
	}
}
