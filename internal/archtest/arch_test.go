// Package archtest checks the rules of docs/architecture.md against the
// code. It reads the rules from the document itself, so the document and
// the code cannot drift apart: a package the table does not list, an import
// it does not allow, or a row that names no package fails the test.
package archtest

import (
	"bufio"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/loghunt/loghunt/internal/testshared"
)

const mod = "github.com/loghunt/loghunt"

// pkgInfo is what the non-test files of one package import and declare.
type pkgInfo struct {
	imports []string // import paths, in file order
	inits   []string // positions of func init declarations
	files   []string
}

// packages parses every non-test Go file of the module, keyed by the
// package's path relative to the module ("." for the root). A directory
// with only test files is a package with no imports.
func packages(t *testing.T) map[string]*pkgInfo {
	t.Helper()
	root := testshared.RepoRoot()
	out := map[string]*pkgInfo{}
	fset := token.NewFileSet()
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "testdata" || strings.HasPrefix(d.Name(), ".")) && path != root {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") {
			return nil
		}
		rel, _ := filepath.Rel(root, filepath.Dir(path))
		rel = filepath.ToSlash(rel)
		p := out[rel]
		if p == nil {
			p = &pkgInfo{}
			out[rel] = p
		}
		if strings.HasSuffix(path, "_test.go") {
			return nil // a test-only package still has a row; its tests may import anything
		}
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		p.files = append(p.files, path)
		for _, imp := range f.Imports {
			s, _ := strconv.Unquote(imp.Path.Value)
			p.imports = append(p.imports, s)
		}
		for _, decl := range f.Decls {
			if fn, ok := decl.(*ast.FuncDecl); ok && fn.Recv == nil && fn.Name.Name == "init" {
				p.inits = append(p.inits, fset.Position(fn.Pos()).String())
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// rule is one row of the import table: packages matching any of pkgs may
// import exactly what allow lists.
type rule struct {
	line  int
	pkgs  []string // module-relative patterns; "x/..." is x and everything under it
	allow []string // "std", "own internal/", module-relative or external patterns
}

var tick = regexp.MustCompile("`([^`]+)`")

// readRules parses the table under "## Rules between packages".
func readRules(t *testing.T) []rule {
	t.Helper()
	f, err := os.Open(filepath.Join(testshared.RepoRoot(), "docs", "architecture.md"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var rules []rule
	in := false
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if strings.HasPrefix(line, "## ") {
			in = line == "## Rules between packages"
			continue
		}
		if !in || !strings.HasPrefix(line, "|") || strings.HasPrefix(line, "|---") || strings.HasPrefix(line, "| package") {
			continue
		}
		cells := strings.Split(line, "|")
		if len(cells) < 4 {
			t.Fatalf("docs/architecture.md:%d: a table row needs | package | may import | why |", n)
		}
		r := rule{line: n}
		for _, m := range tick.FindAllStringSubmatch(cells[1], -1) {
			r.pkgs = append(r.pkgs, m[1])
		}
		allow := cells[2]
		if strings.Contains(allow, "own `internal/`") {
			r.allow = append(r.allow, "own internal/")
			allow = strings.ReplaceAll(allow, "own `internal/`", "")
		}
		for _, m := range tick.FindAllStringSubmatch(allow, -1) {
			r.allow = append(r.allow, m[1])
		}
		if strings.Contains(allow, "std") {
			r.allow = append(r.allow, "std")
		}
		if len(r.pkgs) == 0 {
			t.Fatalf("docs/architecture.md:%d: no package named in %q", n, cells[1])
		}
		rules = append(rules, r)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(rules) < 5 {
		t.Fatalf("docs/architecture.md: found only %d rows under \"## Rules between packages\"", len(rules))
	}
	return rules
}

// match reports whether pkg matches pattern, and how specific the match is.
func match(pattern, pkg string) (bool, int) {
	if base, ok := strings.CutSuffix(pattern, "/..."); ok {
		return pkg == base || strings.HasPrefix(pkg, base+"/"), len(base)
	}
	return pkg == pattern, len(pattern) + 1000
}

func isStd(imp string) bool {
	first, _, _ := strings.Cut(imp, "/")
	return !strings.Contains(first, ".")
}

// ruleFor returns the most specific row naming pkg.
func ruleFor(rules []rule, pkg string) *rule {
	var best *rule
	bestScore := -1
	for i := range rules {
		for _, p := range rules[i].pkgs {
			if ok, score := match(p, pkg); ok && score > bestScore {
				best, bestScore = &rules[i], score
			}
		}
	}
	return best
}

func allowed(r *rule, pkg, imp string) bool {
	if isStd(imp) {
		return slices.Contains(r.allow, "std")
	}
	rel, internal := strings.CutPrefix(imp, mod+"/")
	for _, a := range r.allow {
		if a == "own internal/" {
			if internal && strings.HasPrefix(rel, pkg+"/internal/") {
				return true
			}
			continue
		}
		target := imp
		if internal {
			target = rel
		}
		if ok, _ := match(a, target); ok {
			return true
		}
	}
	return false
}

// TestImportTable checks every package against the row of the table that
// names it: every package has a row, every import is allowed by it, and
// every row names a package that exists.
func TestImportTable(t *testing.T) {
	pkgs := packages(t)
	if len(pkgs) < 10 {
		t.Fatalf("found only %d packages: is the walk broken?", len(pkgs))
	}
	rules := readRules(t)
	for pkg, info := range pkgs {
		r := ruleFor(rules, pkg)
		if r == nil {
			t.Errorf("%s is not in the table of docs/architecture.md: add a row saying what it may import", pkg)
			continue
		}
		seen := map[string]bool{}
		for _, imp := range info.imports {
			if seen[imp] {
				continue
			}
			seen[imp] = true
			if !allowed(r, pkg, imp) {
				t.Errorf("%s imports %s, which docs/architecture.md:%d does not allow", pkg, imp, r.line)
			}
		}
	}
	for i := range rules {
		for _, p := range rules[i].pkgs {
			found := false
			for pkg := range pkgs {
				if ok, _ := match(p, pkg); ok {
					found = true
					break
				}
			}
			if !found {
				t.Errorf("docs/architecture.md:%d names %s, which is not a package", rules[i].line, p)
			}
		}
	}
}

// TestNoInit checks the configuration contract: nothing is set up by
// package initialisers; tables are literals and options come from callers.
func TestNoInit(t *testing.T) {
	for pkg, info := range packages(t) {
		for _, pos := range info.inits {
			t.Errorf("%s: func init at %s: use a literal table or an options struct", pkg, pos)
		}
	}
}

// TestNoEnvironment checks that no package reads the environment except
// the test helper that finds ../shared and the command.
func TestNoEnvironment(t *testing.T) {
	for pkg, info := range packages(t) {
		if pkg == "internal/testshared" || strings.HasPrefix(pkg, "cmd/") {
			continue
		}
		for _, file := range info.files {
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(string(data), "os.Getenv(") || strings.Contains(string(data), "os.LookupEnv(") {
				t.Errorf("%s reads the environment: take an option instead", file)
			}
		}
	}
}

// TestTheTableIsStrict checks the checker on a made-up table, so a broken
// parser or matcher cannot pass everything.
func TestTheTableIsStrict(t *testing.T) {
	r := &rule{pkgs: []string{"parsers/..."}, allow: []string{"std", "parsers", "own internal/"}}
	cases := []struct {
		pkg, imp string
		want     bool
	}{
		{"parsers/evtx", "fmt", true},
		{"parsers/evtx", mod + "/parsers", true},
		{"parsers/evtx", mod + "/parsers/evtx/internal/binxml", true},
		{"parsers/json", mod + "/parsers/evtx/internal/binxml", false},
		{"parsers/evtx", mod + "/parsers/json", false},
		{"parsers/evtx", mod + "/hunt", false},
		{"parsers/evtx", "gopkg.in/yaml.v3", false},
	}
	for _, c := range cases {
		if got := allowed(r, c.pkg, c.imp); got != c.want {
			t.Errorf("allowed(%s → %s) = %v, want %v", c.pkg, c.imp, got, c.want)
		}
	}
	rules := []rule{{pkgs: []string{"hunt/..."}}, {pkgs: []string{"hunt/kql"}}, {pkgs: []string{"hunt/kql/..."}}}
	if got := ruleFor(rules, "hunt/kql"); got != &rules[1] {
		t.Errorf("an exact row must beat a /... row")
	}
	if got := ruleFor(rules, "hunt/kql/value"); got != &rules[2] {
		t.Errorf("the longer /... row must win")
	}
	if got := ruleFor(rules, "parsers"); got != nil {
		t.Errorf("parsers matched %v", got.pkgs)
	}
}
