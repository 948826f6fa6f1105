package rules

import (
	"context"
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
	"github.com/loghunt/loghunt/internal/pool"
	"github.com/loghunt/loghunt/internal/yamldoc"
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
	// Docs are the top nodes of a YAML file's documents, as ParseYAML
	// returns them, and YAMLErr its error: the file is parsed once, to
	// classify it, and the Sigma loader reads the nodes
	// (sigma.Loader.AddDocs). Both are nil for a .kql file.
	Docs    []*yaml.Node
	YAMLErr error
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
	kind, why, _, _ := classify(name, data)
	return kind, why
}

// classify is Classify that also returns the YAML documents it parsed (see
// File.Docs), so that the file is parsed once.
func classify(name string, data []byte) (Kind, string, []*yaml.Node, error) {
	ext := strings.ToLower(path.Ext(name))
	switch ext {
	case ".kql", ".csl":
		return KindKQL, "", nil, nil
	case ".yml", ".yaml":
	default:
		return KindNone, "not a .yml, .yaml or .kql file", nil, nil
	}
	docs, err := ParseYAML(data)
	kind, why := classifyDocs(docs, err)
	return kind, why, docs, err
}

// ParseYAML decodes every YAML document of a file's contents and returns
// the top node of each, leaving out empty documents (a trailing "---"). On
// a document that does not parse it returns the documents before it and
// the parser's error. The Sigma loader reads the same nodes
// (sigma.Loader.AddDocs), so a rule file is parsed once.
func ParseYAML(data []byte) ([]*yaml.Node, error) { return yamldoc.Documents(data) }

// classifyDocs classifies a YAML file by its documents (ParseYAML's
// result). Multi-document Sigma files (rule collections) are Sigma; a
// Sentinel file is one mapping with a query. YAML that does not parse, or
// a document that is not a mapping of string keys, is Sigma: the Sigma
// loader reports the precise error.
func classifyDocs(docs []*yaml.Node, err error) (Kind, string) {
	if err != nil {
		return KindSigma, ""
	}
	// Most files are Sigma rules, told from their top-level keys.
	for _, top := range docs {
		if sigmaKeys(top) {
			return KindSigma, ""
		}
	}
	// The others are decoded as a generic map, the definition.
	var kinds []Kind
	for _, top := range docs {
		var m map[string]any
		if err := top.Decode(&m); err != nil {
			return KindSigma, ""
		}
		switch {
		case m["detection"] != nil || m["correlation"] != nil || m["filter"] != nil || m["logsource"] != nil:
			kinds = append(kinds, KindSigma)
		case m["query"] != nil:
			kinds = append(kinds, KindKQL)
		case m["action"] != nil:
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

// sigmaKeys reports whether a document is certainly Sigma: a mapping with
// a plain string key detection, correlation, filter, logsource or action
// whose value is not null. Decoding such a document as a map either gives
// that key a non-nil value or fails, and both make the file Sigma.
func sigmaKeys(top *yaml.Node) bool {
	if top.Kind != yaml.MappingNode {
		return false
	}
	for i := 0; i+1 < len(top.Content); i += 2 {
		k := top.Content[i]
		if k.Kind != yaml.ScalarNode || k.ShortTag() != "!!str" {
			continue
		}
		switch k.Value {
		case "detection", "correlation", "filter", "logsource", "action":
		default:
			continue
		}
		v := top.Content[i+1]
		for v != nil && v.Kind == yaml.AliasNode {
			v = v.Alias
		}
		if v != nil && !(v.Kind == yaml.ScalarNode && v.ShortTag() == "!!null") {
			return true
		}
	}
	return false
}

// Find reads every rule file under root in fsys (a file or a
// directory, walked recursively in lexical order). label prefixes the
// reported paths. Files that are not rules are returned as skipped with the
// reason; an unreadable file or directory is returned as skipped too.
// The files are parsed on threads goroutines (<= 0: GOMAXPROCS); the
// result does not depend on their number.
func Find(fsys fs.FS, root, label string, threads int) ([]File, []hunt.Skipped) {
	var c collector
	show := func(p string) string {
		if label == "" {
			return filepath.FromSlash(p)
		}
		return label + p
	}
	err := fs.WalkDir(fsys, root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			c.skip(hunt.Skipped{Path: show(p), Reason: err.Error(), Err: err})
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
				c.skip(hunt.Skipped{Path: show(p), Reason: err.Error(), Err: err})
				return nil
			}
		}
		c.add(p, data, show(p), p == root)
		return nil
	})
	if err != nil {
		c.skip(hunt.Skipped{Path: show(root), Reason: err.Error(), Err: err})
	}
	return c.finish(threads)
}

// collector gathers the files of a walk in order, and classifies them
// (parsing the YAML ones) in parallel at the end.
type collector struct {
	items []collected
}

// collected is a file to classify, or (when sk is set) one skipped as
// the walk found it.
type collected struct {
	name, shown string
	data        []byte
	isRoot      bool
	sk          *hunt.Skipped
}

func (c *collector) skip(sk hunt.Skipped) { c.items = append(c.items, collected{sk: &sk}) }

// add queues a file read as name (data is nil for a file mayBeRule
// rejects).
func (c *collector) add(name string, data []byte, shown string, isRoot bool) {
	c.items = append(c.items, collected{name: name, shown: shown, data: data, isRoot: isRoot})
}

// finish classifies the queued files on threads goroutines and returns
// them, and what was skipped, in the order they were queued.
func (c *collector) finish(threads int) ([]File, []hunt.Skipped) {
	type result struct {
		f  File
		sk *hunt.Skipped
		ok bool
	}
	res := make([]result, len(c.items))
	var todo []int
	for i, it := range c.items {
		if it.sk == nil {
			todo = append(todo, i)
		}
	}
	classifyOne := func(i int) {
		it := &c.items[i]
		res[i].f, res[i].sk, res[i].ok = classified(it.name, it.data, it.shown, it.isRoot)
	}
	if threads = pool.Threads(threads); threads == 1 || len(todo) < 2 {
		for _, i := range todo {
			classifyOne(i)
		}
	} else {
		// Workers never fail and the context is never cancelled.
		_ = pool.Run(context.Background(), threads, func(_ context.Context, send func(int) error) error {
			for _, i := range todo {
				if err := send(i); err != nil {
					return err
				}
			}
			return nil
		}, func() pool.Worker[int] {
			return pool.Worker[int]{Do: func(_ context.Context, i int) error {
				classifyOne(i)
				return nil
			}}
		})
	}
	var files []File
	var skipped []hunt.Skipped
	for i, it := range c.items {
		switch {
		case it.sk != nil:
			skipped = append(skipped, *it.sk)
		case res[i].ok:
			files = append(files, res[i].f)
		case res[i].sk != nil:
			skipped = append(skipped, *res[i].sk)
		}
	}
	return files, skipped
}

// classified classifies a file read as name (data is nil for a file
// mayBeRule rejects): the File, or why it was skipped (nil for files that
// are silently not rules: READMEs, licences).
func classified(name string, data []byte, shown string, isRoot bool) (File, *hunt.Skipped, bool) {
	kind, why, docs, yerr := classify(name, data)
	if kind == KindNone {
		// Only complain about files that look like they were meant
		// to be rules; READMEs and licences are silently normal.
		ext := strings.ToLower(path.Ext(name))
		if ext == ".yml" || ext == ".yaml" || isRoot {
			return File{}, &hunt.Skipped{Path: shown, Reason: why}, false
		}
		return File{}, nil, false
	}
	return File{Path: shown, Name: name, Data: data, Kind: kind, Docs: docs, YAMLErr: yerr}, nil, true
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
func FindOnDisk(p string, threads int) ([]File, []hunt.Skipped) {
	if IsArchive(p) {
		if st, err := os.Stat(p); err == nil && !st.IsDir() {
			return FindArchive(p, threads)
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
	files, skipped := Find(os.DirFS(dir), root, "", threads)
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
