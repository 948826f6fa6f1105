package rulepacks

import (
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
)

// Pack is one embedded rulepack: a directory of FS and its version.
type Pack struct {
	Name    string // "sigma", "kql"
	Dir     string // its directory in FS
	Version string // bumped whenever a rule of the pack changes
}

// Packs returns the embedded rulepacks, in a fixed order. Their versions
// are written here, by hand, when a rule changes; Digest tells two builds
// with the same version but different rules apart.
func Packs() []Pack {
	return []Pack{
		{Name: "sigma", Dir: "sigma", Version: "2026.11.1"},
		{Name: "kql", Dir: "kql", Version: "2026.11.1"},
	}
}

// Digest returns the number of files of the pack and the SHA-256 of
// their names and contents, in the walk's (lexical) order, hex-encoded.
func (p Pack) Digest() (files int, digest string, err error) {
	h := sha256.New()
	err = fs.WalkDir(FS, p.Dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := fs.ReadFile(FS, path)
		if err != nil {
			return err
		}
		files++
		h.Write([]byte(path))
		h.Write([]byte{0})
		h.Write(data)
		h.Write([]byte{0})
		return nil
	})
	return files, hex.EncodeToString(h.Sum(nil)), err
}
