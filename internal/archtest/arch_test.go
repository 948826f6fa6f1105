// Package archtest checks the import rules of docs/architecture.md.
package archtest

import (
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/loghunt/loghunt/internal/testshared"
)

const mod = "github.com/loghunt/loghunt"

// imports maps each package of the module to what its non-test files import.
func imports(t *testing.T) map[string][]string {
	t.Helper()
	root := testshared.RepoRoot()
	out := map[string][]string{}
	fset := token.NewFileSet()
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "testdata" || strings.HasPrefix(d.Name(), ".")) && path != root {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, filepath.Dir(path))
		pkg := mod
		if rel != "." {
			pkg += "/" + filepath.ToSlash(rel)
		}
		for _, imp := range f.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			out[pkg] = append(out[pkg], p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func under(pkg, prefix string) bool {
	return pkg == prefix || strings.HasPrefix(pkg, prefix+"/")
}

func TestLayers(t *testing.T) {
	rules := []struct {
		from, to string
		why      string
	}{
		{mod + "/parsers", mod + "/hunt", "parsers never import hunt"},
		{mod + "/parsers", mod + "/cmd", "nothing imports cmd"},
		{mod + "/hunt", mod + "/cmd", "nothing imports cmd"},
		{mod + "/hunt/sigma", mod + "/hunt/kql", "sigma and kql are independent"},
		{mod + "/hunt/kql/schema", mod + "/hunt/sigma", "sigma and kql are independent"},
	}
	all := imports(t)
	if len(all) < 5 {
		t.Fatalf("found only %d packages: is the walk broken?", len(all))
	}
	for pkg, imps := range all {
		for _, imp := range imps {
			for _, r := range rules {
				if under(pkg, r.from) && under(imp, r.to) {
					t.Errorf("%s imports %s: %s", pkg, imp, r.why)
				}
			}
			// Exact-package rules.
			if under(pkg, mod+"/hunt/sigma") && imp == mod+"/hunt" {
				t.Errorf("%s imports the engine: the engine adapts sigma, not the reverse", pkg)
			}
			if under(pkg, mod+"/hunt/kql") && imp == mod+"/hunt" {
				t.Errorf("%s imports the engine: the engine adapts kql, not the reverse", pkg)
			}
			if pkg == mod+"/hunt/kql" && under(imp, mod+"/hunt/kql/schema") {
				t.Errorf("%s imports %s: the evaluator takes a Catalog, it does not know the schema", pkg, imp)
			}
			if under(pkg, mod+"/hunt/kql/schema") && imp == mod+"/hunt/kql" {
				t.Errorf("%s imports %s: the schema must not depend on the evaluator", pkg, imp)
			}
			if imp == "github.com/0xrawsec/golang-evtx/evtx" && !under(pkg, mod+"/internal/goevtx") && !under(pkg, mod+"/bench") {
				t.Errorf("%s imports golang-evtx: it is only a test oracle (internal/goevtx, bench)", pkg)
			}
			if under(imp, mod+"/internal/goevtx") && !under(pkg, mod+"/bench") {
				t.Errorf("%s imports internal/goevtx: only tests and bench may", pkg)
			}
		}
	}
}
