package schema

import (
	"encoding/csv"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/loghunt/loghunt/internal/testshared"
	"github.com/loghunt/loghunt/parsers"
)

// sharedDir returns ../shared, skipping the test when it is absent (the
// corpus tier; see internal/testshared).
func sharedDir(t *testing.T) string {
	t.Helper()
	testshared.Dir(t, "kql")
	root, _ := testshared.Root()
	return root
}

// schemaMapTables maps schema_map.tsv table names to ours.
var schemaMapTables = map[string]string{
	"ASimProcessEvent(imProcessCreate)":    "imProcessCreate",
	"ASimNetworkSession(imNetworkSession)": "imNetworkSession",
}

func TestSchemaMapCovered(t *testing.T) {
	path := filepath.Join(sharedDir(t), "kql", "schema_map.tsv")
	f, err := os.Open(path)
	if err != nil {
		t.Skipf("corpus tier: %v", err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.Comma = '\t'
	r.FieldsPerRecord = -1
	s := Default()
	n := 0
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if len(rec) < 3 || rec[0] == "table" {
			continue
		}
		n++
		table := rec[0]
		if m, ok := schemaMapTables[table]; ok {
			table = m
		}
		info, ok := s.Lookup(table)
		if !ok {
			t.Errorf("%s: table %s missing", path, rec[0])
			continue
		}
		i := info.Index(rec[1])
		if i < 0 {
			t.Errorf("%s.%s missing from columns.tsv", table, rec[1])
			continue
		}
		if got := info.Columns[i].Type.String(); got != rec[2] {
			t.Errorf("%s.%s type %s, schema_map says %s", table, rec[1], got, rec[2])
		}
	}
	if n < 300 {
		t.Errorf("read only %d schema_map rows", n)
	}
	t.Logf("%d schema_map.tsv rows represented", n)
}

func TestDefaultSchema(t *testing.T) {
	s := Default()
	want := []string{"DeviceProcessEvents", "DeviceNetworkEvents", "DeviceFileEvents", "DeviceRegistryEvents",
		"DeviceImageLoadEvents", "SecurityEvent", "Event", "imProcessCreate", "imNetworkSession", "imFileEvent", "imRegistry",
		"DeviceLogonEvents", "DeviceEvents", "DeviceInfo", "IdentityLogonEvents", "IdentityQueryEvents", "DeviceFileCertificateInfo"}
	// The tables no Windows event fills (nosource.tsv): known, no converter.
	noSource := []string{"EmailEvents", "EmailAttachmentInfo", "EmailUrlInfo", "EmailPostDeliveryEvents",
		"AADSignInEventsBeta", "AlertInfo", "AlertEvidence", "SigninLogs", "AuditLogs", "ThreatIntelligenceIndicator",
		"SecurityAlert", "Syslog", "CommonSecurityLog"}
	for _, name := range noSource {
		info, ok := s.Lookup(name)
		if !ok || !info.NoSource {
			t.Errorf("table %s: known %v, NoSource %v", name, ok, ok && info.NoSource)
			continue
		}
		if b := NewBuilder(Options{Tables: []string{name}}); b.slot(info.Name) != nil {
			t.Errorf("table %s has no source but a converter", name)
		}
	}
	for _, name := range want {
		info, ok := s.Lookup(name)
		if !ok {
			t.Errorf("table %s missing", name)
			continue
		}
		b := NewBuilder(Options{Tables: []string{name}})
		if slot := b.slot(info.Name); slot == nil || *slot == nil {
			t.Errorf("table %s has no converter", name)
		}
	}
	if len(s.Tables()) != len(want)+len(noSource) {
		t.Errorf("%d tables, want %d", len(s.Tables()), len(want)+len(noSource))
	}
	if got := s.DerivedTables(); len(got) != len(want)-4 { // less the four ASIM tables
		t.Errorf("DerivedTables() = %v", got)
	}
	for alias, canon := range map[string]string{
		"imProcessCreation": "imProcessCreate", "_Im_ProcessCreate": "imProcessCreate", "_Im_NetworkSession": "imNetworkSession",
		"ASimNetworkSession": "imNetworkSession", "_Im_FileEvent": "imFileEvent", "_Im_Registry": "imRegistry",
	} {
		if info, ok := s.Lookup(alias); !ok || info.Name != canon {
			t.Errorf("Lookup(%s) = %v, %v; want %s", alias, info, ok, canon)
		}
	}
	if _, ok := s.Lookup("deviceprocessevents"); ok {
		t.Error("table names must be case-sensitive")
	}
}

func TestParseErrors(t *testing.T) {
	hdr := "table\tcolumn\ttype\tvalues\n"
	for _, bad := range []string{
		hdr + "T\tA\tstring\n",
		hdr + "T\tA\tstring\t\t\t\t\n",
		hdr + "T\tA\tbogus\t\n",
		hdr + "T\tA\tstring\t\nT\tA\tlong\t\n",
	} {
		if _, err := Parse(bad); err == nil {
			t.Errorf("Parse(%q) succeeded", bad)
		}
	}
	s, err := Parse(hdr + "# c\nT\tA\tstring\tx|y\n")
	if err != nil {
		t.Fatal(err)
	}
	info, _ := s.Lookup("T")
	if c := info.Columns[0]; c.Name != "A" || len(c.Values) != 2 {
		t.Errorf("parsed %+v", c)
	}
}

// TestConverterColumnNames guards against typos: a converter setting a
// column that no table has would silently lose the value.
func TestConverterColumnNames(t *testing.T) {
	all := map[string]bool{}
	for _, tab := range Default().Tables() {
		for _, c := range tab.Columns {
			all[c.Name] = true
		}
	}
	direct := regexp.MustCompile(`(?:\.set|\.str|setIfEmpty\(w,|setNilCell\(w,)\(?\s*"([A-Za-z_]+)"`)
	sided := regexp.MustCompile(`\.str\(side\+"([A-Za-z]+)"`)
	files, _ := filepath.Glob("*.go")
	checked := 0
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range direct.FindAllStringSubmatch(string(src), -1) {
			checked++
			if !all[m[1]] {
				t.Errorf("%s sets column %q that no table has", f, m[1])
			}
		}
		for _, m := range sided.FindAllStringSubmatch(string(src), -1) {
			for _, side := range []string{"Src", "Dst"} {
				checked++
				if !all[side+m[1]] {
					t.Errorf("%s sets column %q that no table has", f, side+m[1])
				}
			}
		}
	}
	if checked < 100 {
		t.Errorf("only %d column names found in the converters; the pattern is stale", checked)
	}
}

// FuzzAdd feeds arbitrary field values through every converter: no panic,
// and every cell keeps its column's type.
func FuzzAdd(f *testing.F) {
	f.Add(uint16(1), "Image", `C:\a\b.exe`, "Hashes", "SHA1=AB,MD5=CD", "ProcessId", "0x1")
	f.Add(uint16(3), "Initiated", "true", "SourceIp", "10.0.0.1", "DestinationPort", "99999999999999999999")
	f.Add(uint16(13), "TargetObject", `HKLM`, "Details", "DWORD (0x", "EventType", "SetValue")
	f.Add(uint16(13), "TargetObject", `\`, "Details", "QWORD (0xzz-0x1)", "NewName", "")
	f.Add(uint16(4688), "NewProcessId", "0xffffffffffffffffff", "MandatoryLabel", "S-1-16-4096", "TargetUserName", "-")
	f.Add(uint16(15), "TargetFilename", ":Zone.Identifier", "Contents", "HostUrl=", "Hash", "=,=")
	f.Add(uint16(4624), "LogonType", "x", "Task", "-1", "WorkstationName", "<&>\x00")
	s := Default()
	var names []string
	for _, tab := range s.Tables() {
		names = append(names, tab.Name)
	}
	f.Fuzz(func(t *testing.T, id uint16, k1, v1, k2, v2, k3, v3 string) {
		fields := []parsers.Field{{Name: k1, Value: v1}, {Name: k2, Value: v2}, {Name: k3, Value: v3},
			{Name: "ProcessGuid", Value: v1}, {Name: "ParentProcessGuid", Value: v1}, {Name: "UtcTime", Value: v2}}
		b := NewBuilder(Options{Tables: names})
		ch := sysmonChannel
		if id >= 1000 {
			ch = "Security"
		}
		b.Add(&parsers.Event{Channel: ch, EventID: uint32(id), Computer: v3, Fields: fields})
		b.Add(&parsers.Event{Channel: ch, EventID: 1, Fields: fields})
		c := b.Finish()
		for _, n := range names {
			checkTypes(t, c, n)
		}
	})
}
