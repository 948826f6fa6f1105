package rules

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/loghunt/loghunt/hunt"
)

// File is one rule file found under a rules path, read into memory.
type File struct {
	// Path is the file's path as the user knows it: a filesystem path, or
	// "bundled:sigma/x.yml" for an embedded rule.
	Path string
	// Name is the path inside the fs.FS it was found in.
	Name string
	Data []byte
	Kind Kind
}

// Kind says which engine a rule file is for.
type Kind int

// Rule file kinds.
const (
	KindNone Kind = iota // not a rule
	KindSigma
	KindKQL
)

func (k Kind) String() string {
	switch k {
	case KindSigma:
		return "sigma"
	case KindKQL:
		return "kql"
	}
	return "not a rule"
}

// Classify decides from its name and content whether a file is a Sigma
// rule (YAML with detection, correlation or filter), a KQL rule (a .kql
// file, or Sentinel hunting YAML with a query), or neither, and why.
func Classify(name string, data []byte) (Kind, string) {
	ext := strings.ToLower(path.Ext(name))
	switch ext {
	case ".kql", ".csl":
		return KindKQL, ""
	case ".yml", ".yaml":
	default:
		return KindNone, "not a .yml, .yaml or .kql file"
	}
	// Multi-document Sigma files (rule collections) are Sigma; a Sentinel
	// file is one mapping with a query.
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var kinds []Kind
	for {
		var top map[string]any
		err := dec.Decode(&top)
		if err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			// Let the Sigma loader report the precise YAML error.
			return KindSigma, ""
		}
		switch {
		case top["detection"] != nil || top["correlation"] != nil || top["filter"] != nil || top["logsource"] != nil:
			kinds = append(kinds, KindSigma)
		case top["query"] != nil:
			kinds = append(kinds, KindKQL)
		case top["action"] != nil:
			kinds = append(kinds, KindSigma) // collection action document
		}
	}
	switch {
	case len(kinds) == 0:
		return KindNone, "YAML without detection, correlation, filter or query"
	case slices.Contains(kinds, KindSigma):
		return KindSigma, ""
	}
	return KindKQL, ""
}

// Find reads every rule file under root in fsys (a file or a
// directory, walked recursively in lexical order). label prefixes the
// reported paths. Files that are not rules are returned as skipped with the
// reason; an unreadable file or directory is returned as skipped too.
func Find(fsys fs.FS, root, label string) ([]File, []hunt.Skipped) {
	var files []File
	var skipped []hunt.Skipped
	show := func(p string) string {
		if label == "" {
			return filepath.FromSlash(p)
		}
		return label + p
	}
	err := fs.WalkDir(fsys, root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			skipped = append(skipped, hunt.Skipped{Path: show(p), Reason: err.Error(), Err: err})
			if d != nil && d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if d.IsDir() {
			if p != root && strings.HasPrefix(d.Name(), ".") {
				return fs.SkipDir
			}
			return nil
		}
		// Only files that may be rules are read; Classify tells the
		// others by their name.
		var data []byte
		if mayBeRule(p) {
			data, err = readFile(fsys, p)
			if err != nil {
				skipped = append(skipped, hunt.Skipped{Path: show(p), Reason: err.Error(), Err: err})
				return nil
			}
		}
		f, sk, ok := classified(p, data, show(p), p == root)
		if ok {
			files = append(files, f)
		} else if sk != nil {
			skipped = append(skipped, *sk)
		}
		return nil
	})
	if err != nil {
		skipped = append(skipped, hunt.Skipped{Path: show(root), Reason: err.Error(), Err: err})
	}
	return files, skipped
}

// classified classifies a file read as name (data is nil for a file
// mayBeRule rejects): the File, or why it was skipped (nil for files that
// are silently not rules: READMEs, licences).
func classified(name string, data []byte, shown string, isRoot bool) (File, *hunt.Skipped, bool) {
	kind, why := Classify(name, data)
	if kind == KindNone {
		// Only complain about files that look like they were meant
		// to be rules; READMEs and licences are silently normal.
		ext := strings.ToLower(path.Ext(name))
		if ext == ".yml" || ext == ".yaml" || isRoot {
			return File{}, &hunt.Skipped{Path: shown, Reason: why}, false
		}
		return File{}, nil, false
	}
	return File{Path: shown, Name: name, Data: data, Kind: kind}, nil, true
}

// MaxFileSize bounds a rule file's size; real rules are a few KiB.
const MaxFileSize = 8 << 20

// ErrTooLarge is wrapped by the error of a rule file over MaxFileSize.
var ErrTooLarge = errors.New("rule file too large")

// mayBeRule reports whether a file's name lets it be a rule file.
func mayBeRule(name string) bool {
	switch strings.ToLower(path.Ext(name)) {
	case ".yml", ".yaml", ".kql", ".csl":
		return true
	}
	return false
}

// readFile reads a rule file, refusing one over MaxFileSize (by its size,
// and by what it yields, in case the size lies).
func readFile(fsys fs.FS, name string) ([]byte, error) {
	f, err := fsys.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	tooLarge := func(n int64) error {
		return fmt.Errorf("%w: %d bytes is over the %d byte limit for a rule file", ErrTooLarge, n, MaxFileSize)
	}
	if st, err := f.Stat(); err == nil && st.Size() > MaxFileSize {
		return nil, tooLarge(st.Size())
	}
	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, err
	}
	if len(data) > MaxFileSize {
		return nil, tooLarge(int64(len(data)))
	}
	return data, nil
}

// FindOnDisk is Find for a path given on the command line: a rule file,
// a directory, or an archive of rules (IsArchive: FindArchive).
func FindOnDisk(p string) ([]File, []hunt.Skipped) {
	if IsArchive(p) {
		if st, err := os.Stat(p); err == nil && !st.IsDir() {
			return FindArchive(p)
		}
	}
	abs, err := filepath.Abs(p)
	if err != nil {
		return nil, []hunt.Skipped{{Path: p, Reason: err.Error()}}
	}
	st, err := os.Stat(abs)
	if err != nil {
		return nil, []hunt.Skipped{{Path: p, Reason: fmt.Sprintf("cannot read rules: %v", err)}}
	}
	dir, root := abs, "."
	if !st.IsDir() {
		dir, root = filepath.Dir(abs), filepath.Base(abs)
	}
	files, skipped := Find(os.DirFS(dir), root, "")
	// Report paths as the user wrote them.
	rebase := func(s string) string {
		if root == "." {
			return filepath.Join(p, s)
		}
		return p
	}
	for i := range files {
		files[i].Path = rebase(files[i].Name)
	}
	for i := range skipped {
		skipped[i].Path = rebase(filepath.ToSlash(skipped[i].Path))
	}
	return files, skipped
}
