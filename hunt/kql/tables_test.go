package kql

import (
	"go/ast"
	goparser "go/parser"
	gotoken "go/token"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"
)

// TestNoInit keeps the language and its subpackages free of init
// functions: builtins and aggregates are literal tables, and nothing else
// may fill a registry behind the reader's back.
func TestNoInit(t *testing.T) {
	fset := gotoken.NewFileSet()
	n := 0
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "testdata" || strings.HasPrefix(d.Name(), ".")) && path != "." {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") {
			return nil
		}
		f, err := goparser.ParseFile(fset, path, nil, goparser.SkipObjectResolution)
		if err != nil {
			return err
		}
		n++
		for _, decl := range f.Decls {
			if fd, ok := decl.(*ast.FuncDecl); ok && fd.Recv == nil && fd.Name.Name == "init" {
				t.Errorf("%s: an init function: use a literal table instead", fset.Position(fd.Pos()))
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n < 20 {
		t.Fatalf("parsed only %d files: wrong directory?", n)
	}
}

// TestBuiltinNamesUnique checks that no name is in two family tables, so
// that lookupBuiltin's order does not matter, and that builtins and
// aggregates do not share a name.
func TestBuiltinNamesUnique(t *testing.T) {
	seen := map[string]int{}
	for i, f := range builtinFamilies {
		for name, b := range f {
			if j, dup := seen[name]; dup {
				t.Errorf("%s is in family tables %d and %d", name, j, i)
			}
			seen[name] = i
			if b.max >= 0 && b.max < b.min {
				t.Errorf("%s: max %d < min %d", name, b.max, b.min)
			}
			if _, ok := aggregates[name]; ok {
				t.Errorf("%s is both a builtin and an aggregate", name)
			}
		}
	}
	if len(seen) < 140 {
		t.Errorf("only %d builtins", len(seen))
	}
}
