package kql

import (
	"strings"
	"testing"
)

// TestParsePath runs every example of Kusto's parse_path() page
// (https://learn.microsoft.com/en-us/kusto/query/parse-path-function) with
// the output it prints, and the alternate data stream case. The
// page lists the path shapes the function supports: schemes ("file://..."),
// shared paths, long paths ("\\?\C:...") and alternate data streams
// ("file1.exe:file2.exe").
func TestParsePath(t *testing.T) {
	type parts = map[string]string
	tests := []struct {
		path string
		want parts
	}{
		// the page's five examples
		{`C:\temp\file.txt`, parts{"Scheme": "", "RootPath": "C:", "DirectoryPath": `C:\temp`, "DirectoryName": "temp", "Filename": "file.txt", "Extension": "txt", "AlternateDataStreamName": ""}},
		{`temp\file.txt`, parts{"Scheme": "", "RootPath": "", "DirectoryPath": "temp", "DirectoryName": "temp", "Filename": "file.txt", "Extension": "txt", "AlternateDataStreamName": ""}},
		{`file://C:/temp/file.txt:some.exe`, parts{"Scheme": "file", "RootPath": "C:", "DirectoryPath": "C:/temp", "DirectoryName": "temp", "Filename": "file.txt", "Extension": "txt", "AlternateDataStreamName": "some.exe"}},
		{`\\shared\users\temp\file.txt.gz`, parts{"Scheme": "", "RootPath": "", "DirectoryPath": `\\shared\users\temp`, "DirectoryName": "temp", "Filename": "file.txt.gz", "Extension": "gz", "AlternateDataStreamName": ""}},
		{`/usr/lib/temp/file.txt`, parts{"Scheme": "", "RootPath": "", "DirectoryPath": "/usr/lib/temp", "DirectoryName": "temp", "Filename": "file.txt", "Extension": "txt", "AlternateDataStreamName": ""}},
		// issue 11: the Mark-of-the-Web stream of a download
		{`C:\Users\bob\evil.exe:Zone.Identifier`, parts{"Scheme": "", "RootPath": "C:", "DirectoryPath": `C:\Users\bob`, "DirectoryName": "bob", "Filename": "evil.exe", "Extension": "exe", "AlternateDataStreamName": "Zone.Identifier"}},
		// the page's ADS shape without a directory, and a long path whose
		// drive colon is not a stream separator
		{`file1.exe:file2.exe`, parts{"RootPath": "", "DirectoryPath": "", "Filename": "file1.exe", "Extension": "exe", "AlternateDataStreamName": "file2.exe"}},
		{`\\?\C:\temp\file.txt`, parts{"RootPath": "C:", "DirectoryPath": `\\?\C:\temp`, "DirectoryName": "temp", "Filename": "file.txt", "Extension": "txt", "AlternateDataStreamName": ""}},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			got, ok := fnParsePath([]any{tt.path}).(map[string]any)
			if !ok {
				t.Fatalf("parse_path(%q) is not a property bag", tt.path)
			}
			for k, want := range tt.want {
				if got[k] != want {
					t.Errorf("parse_path(%q).%s = %q, want %q", tt.path, k, got[k], want)
				}
			}
			if len(got) != 7 {
				t.Errorf("parse_path(%q) has %d properties, want 7", tt.path, len(got))
			}
		})
	}
	// through the language, as the page runs it
	q := mustParse(t, `datatable(p:string)[@"C:\Users\bob\evil.exe:Zone.Identifier", "file://C:/temp/file.txt:some.exe"]
| extend pp = parse_path(p) | project f = tostring(pp.Filename), s = tostring(pp.AlternateDataStreamName), sc = tostring(pp.Scheme)`)
	res, _ := mustRun(t, q, NewMapCatalog())
	if got := strings.Join(column(t, res, "f"), ","); got != "evil.exe,file.txt" {
		t.Errorf("Filename = %s", got)
	}
	if got := strings.Join(column(t, res, "s"), ","); got != "Zone.Identifier,some.exe" {
		t.Errorf("AlternateDataStreamName = %s", got)
	}
	if got := strings.Join(column(t, res, "sc"), ","); got != ",file" {
		t.Errorf("Scheme = %s", got)
	}
}

// FuzzParsePath checks parsePath's invariants on any input: no panic, the
// parts are pieces of the input in order (scheme, directory, file name,
// stream), the extension ends the file name, and neither the file name
// nor the directory name holds a separator.
func FuzzParsePath(f *testing.F) {
	for _, s := range []string{`C:\temp\file.txt`, `temp\file.txt`, `file://C:/temp/file.txt:some.exe`,
		`\\shared\users\temp\file.txt.gz`, `/usr/lib/temp/file.txt`, `C:\Users\bob\evil.exe:Zone.Identifier`,
		`\\?\C:\x`, `C:`, `C:x.y:z`, `://`, `ab://`, ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p := parsePath(s)
		if !strings.HasSuffix(s, p.file+":"+p.stream) && (p.stream != "" || !strings.HasSuffix(s, p.file)) {
			t.Fatalf("%q: file %q stream %q do not end the input", s, p.file, p.stream)
		}
		if p.scheme != "" && !strings.HasPrefix(s, p.scheme+"://") {
			t.Fatalf("%q: scheme %q does not start the input", s, p.scheme)
		}
		if !strings.Contains(s, p.dir) || !strings.HasSuffix(p.dir, p.dirName) {
			t.Fatalf("%q: directory %q / name %q", s, p.dir, p.dirName)
		}
		if !strings.HasSuffix(p.file, p.ext) {
			t.Fatalf("%q: extension %q does not end %q", s, p.ext, p.file)
		}
		if strings.ContainsAny(p.file, `\/:`) || strings.ContainsAny(p.dirName, `\/`) {
			t.Fatalf("%q: file %q or directory name %q holds a separator", s, p.file, p.dirName)
		}
		if p.root != "" && !strings.Contains(s, p.root) {
			t.Fatalf("%q: root %q", s, p.root)
		}
	})
}
