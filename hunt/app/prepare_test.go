package app

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/loghunt/loghunt/hunt/rules"
	"github.com/loghunt/loghunt/parsers/input"
)

func TestPrepareBadOptions(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name  string
		cfg   Config
		cause error // also matched, besides ErrBadOption
	}{
		{"unknown level", Config{NoBundled: true, Select: rules.Selection{MinLevel: "severe"}}, rules.ErrUnknownLevel},
		{"missing expand file", Config{NoBundled: true, ExpandFile: filepath.Join(dir, "nope.yml")}, fs.ErrNotExist},
		{"negative input limit", Config{NoBundled: true, Paths: []string{dir}, Input: input.Options{MaxRatio: -1}}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Prepare(tt.cfg)
			if p != nil || !errors.Is(err, ErrBadOption) {
				t.Fatalf("Prepare = %v, %v; want an ErrBadOption", p, err)
			}
			if tt.cause != nil && !errors.Is(err, tt.cause) {
				t.Errorf("%v does not match its cause %v", err, tt.cause)
			}
			var oe *OptionError
			if !errors.As(err, &oe) || oe.Option == "" {
				t.Errorf("%v: not an OptionError naming the option", err)
			}
		})
	}
}

// TestPrepareKQLDeselectedKeepReasons: KQL rules left out by the selection
// are listed with the rule and the reason, as Sigma's are.
func TestPrepareKQLDeselectedKeepReasons(t *testing.T) {
	dir := t.TempDir()
	q := "id: q-medium\nname: medium query\nseverity: Medium\ntactics: [Discovery]\nquery: |\n  DeviceProcessEvents | take 1\n"
	os.WriteFile(filepath.Join(dir, "q.yaml"), []byte(q), 0o644)
	os.WriteFile(filepath.Join(dir, "b.kql"), []byte("SecurityEvent | take 1"), 0o644)
	p, err := Prepare(Config{RulePaths: []string{dir}, NoBundled: true, NoSigma: true, Select: rules.Selection{MinLevel: "low", Tags: []string{"tactic.Discovery"}}})
	if err != nil {
		t.Fatal(err)
	}
	// b.kql has no severity (informational): below low.
	if len(p.KQLDeselected) != 1 || p.Deselected != 1 {
		t.Fatalf("deselected %d: %+v", p.Deselected, p.KQLDeselected)
	}
	s := p.KQLDeselected[0]
	if s.Path != filepath.Join(dir, "b.kql") || s.RuleID != "b" || s.Reason != "level (none) below min-level low" {
		t.Errorf("deselected = %+v", s)
	}
	if len(p.KQLRules) != 1 || p.KQLRules[0].ID != "q-medium" {
		t.Errorf("loaded = %+v", p.KQLRules)
	}

	p, err = Prepare(Config{RulePaths: []string{dir}, NoBundled: true, NoSigma: true, NoKQL: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.KQLDeselected) != 2 || p.Deselected != 2 || p.KQLDeselected[0].Reason != "--no-kql" {
		t.Errorf("--no-kql: %d %+v", p.Deselected, p.KQLDeselected)
	}
}

// TestPrepareUnknownRuleRefs: an id given to --rule or --exclude-rule
// that names no rule found (loaded or not) is an OptionError naming the
// option and the id, with rules.ErrUnknownRule; a bundled id, a Sigma
// name or a detection id is known.
func TestPrepareUnknownRuleRefs(t *testing.T) {
	tests := []struct {
		name   string
		sel    rules.Selection
		option string // "" for no error
	}{
		{"bundled id", rules.Selection{IDs: []string{"ae8a5c5d-4cfb-4a59-9adb-eb6c6c219620"}}, ""},
		{"a KQL twin's own id, any case", rules.Selection{ExcludeIDs: []string{"77C209AA-dc6a-4d1a-b7a3-e16f6edb74fb"}}, ""},
		{"excluded and named", rules.Selection{ExcludeIDs: []string{"92f02b0b-cd8e-4d49-957c-5ad0ee86da65"}, IDs: []string{"92f02b0b-cd8e-4d49-957c-5ad0ee86da65"}}, ""},
		{"typo in --rule", rules.Selection{IDs: []string{"ae8a5c5d"}}, "--rule ae8a5c5d"},
		{"typo in --exclude-rule", rules.Selection{ExcludeIDs: []string{"x"}}, "--exclude-rule x"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Prepare(Config{Select: tt.sel})
			if tt.option == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			var oe *OptionError
			if !errors.As(err, &oe) || oe.Option != tt.option || !errors.Is(err, rules.ErrUnknownRule) || !errors.Is(err, ErrBadOption) {
				t.Errorf("err = %v, want an OptionError for %s", err, tt.option)
			}
		})
	}
	// A tuning file that does not compile is an OptionError too.
	dir := t.TempDir()
	bad := filepath.Join(dir, "t.yml")
	os.WriteFile(bad, []byte("global:\n  - name: x\n"), 0o644)
	if _, err := Prepare(Config{TuningFile: bad}); !errors.Is(err, ErrBadOption) || !strings.Contains(err.Error(), "t.yml:2:5") {
		t.Errorf("tuning: %v", err)
	}
}
