package schema

import (
	_ "embed"
	"strings"
	"testing"
)

//go:embed mappings.tsv
var mappingsTSV string

// TestMappingsDocumented reads mappings.tsv, the documentation of the
// tables added for issue 11: every row names a table and column of
// columns.tsv with its type ("(all)" rows describe a whole table), and
// every such table documents its time column.
func TestMappingsDocumented(t *testing.T) {
	s := Default()
	timed := map[string]bool{}
	rows := 0
	header := true
	for n, line := range strings.Split(mappingsTSV, "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Split(line, "\t")
		if len(f) != 8 {
			t.Errorf("mappings.tsv:%d: %d fields, want 8", n+1, len(f))
			continue
		}
		if header {
			header = false
			if f[0] != "table" || f[7] != "transform_note" {
				t.Errorf("mappings.tsv header %q", line)
			}
			continue
		}
		rows++
		info, ok := s.Lookup(f[0])
		if !ok {
			t.Errorf("mappings.tsv:%d: unknown table %s", n+1, f[0])
			continue
		}
		if f[1] == "(all)" {
			continue
		}
		i := info.Index(f[1])
		if i < 0 {
			t.Errorf("mappings.tsv:%d: %s has no column %s", n+1, f[0], f[1])
			continue
		}
		if got := info.Columns[i].Type.String(); got != f[2] {
			t.Errorf("mappings.tsv:%d: %s.%s is %s in columns.tsv, %s here", n+1, f[0], f[1], got, f[2])
		}
		if f[1] == "Timestamp" {
			timed[f[0]] = true
		}
	}
	for _, tbl := range []string{"DeviceLogonEvents", "DeviceEvents", "DeviceInfo", "IdentityLogonEvents", "IdentityQueryEvents", "DeviceFileCertificateInfo"} {
		if !timed[tbl] {
			t.Errorf("mappings.tsv: %s has no Timestamp row", tbl)
		}
	}
	if rows < 50 {
		t.Errorf("only %d rows", rows)
	}
}
