package winevent

import (
	"bufio"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// fact is a Windows-event fact that must be defined once, in this package.
// A line of a scanned file outside this package defines (or copies) it
// when it matches outside, and the package defines it exactly once: this
// package's own files hold exactly one line matching inside.
type fact struct {
	name    string
	outside map[string]*regexp.Regexp // by file extension
	inside  *regexp.Regexp
	// bad are lines of earlier copies that must be caught.
	bad map[string]string // line by extension
}

var (
	mappingInGo   = regexp.MustCompile(`"(NewProcessName|NewProcessId|MandatoryLabel)"`)
	mappingInData = regexp.MustCompile(`\b(Image|ProcessId|IntegrityLevel)\b.*\b(NewProcessName|NewProcessId|MandatoryLabel)\b|\b(NewProcessName|NewProcessId|MandatoryLabel)\b.*\b(Image|ProcessId|IntegrityLevel)\b`)
	channelName   = regexp.MustCompile(`Microsoft-Windows-[A-Za-z0-9-]+/[A-Za-z]`)
	labelSID      = regexp.MustCompile(`S-1-16-`)
	accountSID    = regexp.MustCompile(`"S-1-(0-0|5-18|5-19|5-20)"`)
)

var facts = []fact{
	{
		name: "the Security 4688 to Sysmon 1 mapping",
		outside: map[string]*regexp.Regexp{
			".go": mappingInGo, ".yml": mappingInData, ".yaml": mappingInData, ".tsv": mappingInData,
		},
		inside: regexp.MustCompile(`\{Field: "Image", From: \[\]string\{"NewProcessName"\}\}`),
		bad: map[string]string{
			".yml": `    Image: {from: [NewProcessName]}`,
			".tsv": "DeviceProcessEvents\tFolderPath\tstring\t\t1:Image\t4688:NewProcessName\tfull path",
			".go":  `	img := v.get("NewProcessName")`,
		},
	},
	{
		name: "the channel list",
		outside: map[string]*regexp.Regexp{
			".go": channelName, ".yml": channelName, ".yaml": channelName, ".tsv": channelName,
		},
		inside: regexp.MustCompile(`^\s*Sysmon\s*= "Microsoft-Windows-Sysmon/Operational"$`),
		bad: map[string]string{
			".yml": `  sysmon: &sysmon [Microsoft-Windows-Sysmon/Operational]`,
			".go":  `		"Microsoft-Windows-PowerShell/Operational",`,
		},
	},
	{
		name: "the mandatory label SID table",
		outside: map[string]*regexp.Regexp{
			".go": labelSID, ".yml": labelSID, ".yaml": labelSID, ".tsv": labelSID,
		},
		inside: regexp.MustCompile(`\{SID: "S-1-16-12288", `),
		bad: map[string]string{
			".go": `	case "S-1-16-12288":`,
		},
	},
	{
		name:    "the well-known account SIDs",
		outside: map[string]*regexp.Regexp{".go": accountSID},
		inside:  regexp.MustCompile(`\{SID: "S-1-5-18", `),
		bad: map[string]string{
			".go": `	"S-1-5-18": ` + "`NT AUTHORITY\\SYSTEM`,",
		},
	},
}

// scanned reports whether a file of the repository holds definitions: Go
// code (not tests) and the data files code embeds. Rule packs, samples
// and test data are content that may name channels and SIDs.
func scanned(rel string, d fs.DirEntry) (bool, error) {
	if d.IsDir() {
		switch d.Name() {
		case ".git", "testdata", "rulepacks", "samples":
			return false, filepath.SkipDir
		}
		if rel == filepath.Join("parsers", "winevent") {
			return false, filepath.SkipDir
		}
		return false, nil
	}
	switch filepath.Ext(rel) {
	case ".go":
		return !strings.HasSuffix(rel, "_test.go"), nil
	case ".yml", ".yaml", ".tsv":
		return true, nil
	}
	return false, nil
}

// TestFactsDefinedOnce proves at grep level that the 4688 mapping, the
// channel list and the SID tables are defined in this package and nowhere
// else in the repository.
func TestFactsDefinedOnce(t *testing.T) {
	for _, f := range facts {
		for ext, line := range f.bad {
			if !f.outside[ext].MatchString(line) {
				t.Errorf("%s: the scan of %s files misses the copy %q", f.name, ext, line)
			}
		}
	}

	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(filepath.Join(root, "go.mod")); err != nil || !strings.Contains(string(b), "module github.com/loghunt/loghunt\n") {
		t.Fatalf("%s is not the module root: %v", root, err)
	}
	files := 0
	err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		ok, err := scanned(rel, d)
		if !ok {
			return err
		}
		files++
		return scanFile(p, func(n int, line string) {
			for _, f := range facts {
				if re := f.outside[filepath.Ext(p)]; re != nil && re.MatchString(line) {
					t.Errorf("%s:%d: %s is defined outside parsers/winevent: %s", rel, n, f.name, strings.TrimSpace(line))
				}
			}
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	if files < 50 {
		t.Fatalf("scanned only %d files under %s", files, root)
	}

	count := make([]int, len(facts))
	own, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range own {
		if strings.HasSuffix(p, "_test.go") {
			continue
		}
		err := scanFile(p, func(_ int, line string) {
			for i, f := range facts {
				if f.inside.MatchString(line) {
					count[i]++
				}
			}
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	for i, f := range facts {
		if count[i] != 1 {
			t.Errorf("%s: %d definitions in parsers/winevent, want 1", f.name, count[i])
		}
	}
}

// scanFile calls fn with each line of the file and its number.
func scanFile(path string, fn func(n int, line string)) error {
	fh, err := os.Open(path)
	if err != nil {
		return err
	}
	defer fh.Close()
	sc := bufio.NewScanner(fh)
	sc.Buffer(make([]byte, 0, 64<<10), 4<<20)
	for n := 1; sc.Scan(); n++ {
		fn(n, sc.Text())
	}
	return sc.Err()
}
