package json

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/loghunt/loghunt/parsers"
)

// decodeAll decodes r and returns clones of all events and every report.
func decodeAll(t testing.TB, r io.Reader, path string, opts Options) ([]*parsers.Event, []*parsers.ParseError, parsers.Stats, error) {
	t.Helper()
	var evs []*parsers.Event
	var errs []*parsers.ParseError
	st, err := NewUnit(r, path, opts).Decode(func(e *parsers.Event) error {
		evs = append(evs, e.Clone())
		return nil
	}, func(pe *parsers.ParseError) { errs = append(errs, pe) })
	return evs, errs, st, err
}

func decodeFile(t *testing.T, name string, opts Options) ([]*parsers.Event, []*parsers.ParseError, parsers.Stats) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	evs, errs, st, err := decodeAll(t, bytes.NewReader(data), name, opts)
	if err != nil {
		t.Fatalf("Decode: final error %v", err)
	}
	return evs, errs, st
}

func mustTime(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return t.UTC()
}

// want is the expected core of one event and a subset of its fields:
// fields maps a name to all its values (nil: the field must be absent).
type want struct {
	line     int64
	time     string
	eventID  uint32
	channel  string
	provider string
	computer string
	recordID uint64
	level    uint8
	fields   map[string][]string
}

func checkEvent(t *testing.T, i int, got *parsers.Event, w want) {
	t.Helper()
	if got.Source.Line != w.line {
		t.Errorf("event %d: line %d, want %d", i, got.Source.Line, w.line)
	}
	var wt time.Time
	if w.time != "" {
		wt = mustTime(w.time)
	}
	if !got.Time.Equal(wt) || got.Time.Location() != time.UTC {
		t.Errorf("event %d: time %v, want %v (UTC)", i, got.Time, wt)
	}
	if got.EventID != w.eventID || got.Channel != w.channel || got.Provider != w.provider ||
		got.Computer != w.computer || got.RecordID != w.recordID || got.Level != w.level {
		t.Errorf("event %d: core {%d %q %q %q %d %d}, want {%d %q %q %q %d %d}", i,
			got.EventID, got.Channel, got.Provider, got.Computer, got.RecordID, got.Level,
			w.eventID, w.channel, w.provider, w.computer, w.recordID, w.level)
	}
	for name, vals := range w.fields {
		gv := got.Values(nil, name)
		if strings.Join(gv, "\x00") != strings.Join(vals, "\x00") || len(gv) != len(vals) {
			t.Errorf("event %d: field %s = %q, want %q", i, name, gv, vals)
		}
	}
}

const (
	sysmonGUID   = "5770385F-C22A-43E0-BF4C-06F5698FFBD9"
	sysmonChan   = "Microsoft-Windows-Sysmon/Operational"
	sysmonProv   = "Microsoft-Windows-Sysmon"
	securityProv = "Microsoft-Windows-Security-Auditing"
)

func TestShapes(t *testing.T) {
	tests := []struct {
		name string
		file string
		want []want
	}{
		{"evtx_dump concatenated pretty documents", "evtxdump.json", []want{
			{line: 1, time: "2024-03-01T10:00:00.123Z", eventID: 1, channel: sysmonChan, provider: sysmonProv,
				computer: "WS01.corp.local", recordID: 1001, level: 4, fields: map[string][]string{
					"EventID": {"1"}, "Provider_Name": {sysmonProv}, "Provider_Guid": {sysmonGUID},
					"Channel": {sysmonChan}, "Computer": {"WS01.corp.local"}, "EventRecordID": {"1001"},
					"Level": {"4"}, "Task": {"1"}, "Opcode": {"0"}, "Keywords": {"0x8000000000000000"},
					"Version": {"5"}, "Security_UserID": {"S-1-5-18"}, "ProcessID": {"3380"}, "ThreadID": {"4420"},
					"TimeCreated_SystemTime": {"2024-03-01T10:00:00.1234567Z"},
					"Image":                  {`C:\Users\Public\7za.exe`}, "CommandLine": {`7za.exe a 1.7z C:\aaaa\`},
					"ProcessId": {"4242"}, "ParentImage": {`C:\Windows\System32\cmd.exe`},
					"Correlation": nil, "xmlns": nil,
				}},
			{line: 55, time: "2024-03-01T10:01:00.5Z", eventID: 4688, channel: "Security", provider: securityProv,
				computer: "WS01.corp.local", recordID: 18446744073709551615, level: 0, fields: map[string][]string{
					"EventID": {"4688"}, "Qualifiers": {"0"}, "EventRecordID": {"18446744073709551615"},
					"NewProcessName": {`C:\Windows\System32\systeminfo.exe`}, "CommandLine": {"cmd.exe /c SYSTEMINFO & TASKLIST"},
					"ParentProcessName": {`C:\Windows\System32\cmd.exe`}, "TokenElevationType": {"%%1936"},
				}},
			{line: 111, time: "2024-03-01T10:02:00Z", eventID: 3, channel: sysmonChan, provider: sysmonProv,
				computer: "WS01.corp.local", recordID: 1003, level: 4, fields: map[string][]string{
					"Initiated": {"true"}, "DestinationHostname": {"evil.azurewebsites.net"}, "DestinationPort": {"443"},
					"Image": {`C:\Tools\agent.exe`},
				}},
		}},
		{"evtx_dump UserData", "evtxdump_userdata.json", []want{
			{line: 1, time: "2024-03-02T00:00:00Z", eventID: 1102, channel: "Security", provider: "Microsoft-Windows-Eventlog",
				computer: "DC01", recordID: 77, level: 4, fields: map[string][]string{
					"SubjectUserName": {"admin"}, "SubjectLogonId": {"0x3e7"}, "Header": {"a", "b"}, "Header_1": nil,
					"param_1": {"kept"}, "URL": {"http://x.test/"}, "scheme": {"http"}, "xmlns": nil,
				}},
		}},
		{"flat JSON Lines", "flat.jsonl", []want{
			{line: 1, time: "2024-03-01T10:00:00.123Z", eventID: 1, channel: sysmonChan, provider: sysmonProv,
				computer: "WS01.corp.local", recordID: 1001, fields: map[string][]string{
					"Image": {`C:\Users\Public\7za.exe`}, "EventID": {"1"}, "ProcessId": {"4242"},
				}},
			{line: 2, time: "2024-03-01T10:01:00.5Z", eventID: 4688, channel: "Security", provider: securityProv,
				computer: "WS01.corp.local", fields: map[string][]string{
					"Channel": {"security"}, "NewProcessName": {`C:\Windows\System32\systeminfo.exe`},
				}},
			{line: 3, time: "2024-03-01T10:02:00Z", eventID: 3, channel: sysmonChan,
				computer: "WS01.corp.local", fields: map[string][]string{
					"Channel": {"microsoft-windows-sysmon/operational"}, "Tags": {"a", "b"}, "Extra": nil,
					"Enabled": {"true"}, "Ratio": {"1.5"}, "Nested.Deep.Image": {"shadowed"},
					"Nested.Deep.Leaf": {"x"}, "Leaf": {"x"}, "Image": {`C:\Tools\agent.exe`},
					"DestinationHostname": {"evil.azurewebsites.net"},
				}},
		}},
		{"Winlogbeat", "winlogbeat.jsonl", []want{
			{line: 1, time: "2024-03-01T10:00:00.123Z", eventID: 1, channel: sysmonChan, provider: sysmonProv,
				computer: "WS01.corp.local", recordID: 1001, level: 4, fields: map[string][]string{
					"Image": {`C:\Users\Public\7za.exe`}, "EventID": {"1"}, "Channel": {sysmonChan},
					"Provider_Name": {sysmonProv}, "ProcessID": {"3380"}, "ThreadID": {"4420"},
					"Security_UserID": {"S-1-5-18"}, "host.name": {"ws01"}, "event.code": {"1"},
					"winlog.event_data.Image": nil, "winlog.event_id": nil,
				}},
			{line: 2, time: "2024-03-01T10:01:00.5Z", eventID: 4688, channel: "Security", provider: securityProv,
				computer: "WS01.corp.local", recordID: 2002, level: 4, fields: map[string][]string{
					"NewProcessName": {`C:\Windows\System32\systeminfo.exe`}, "CommandLine": {"cmd.exe /c SYSTEMINFO & TASKLIST"},
				}},
			{line: 3, time: "2024-03-01T10:02:00Z", eventID: 3, channel: sysmonChan, provider: sysmonProv,
				computer: "WS01.corp.local", recordID: 1003, level: 4, fields: map[string][]string{
					"DestinationHostname": {"evil.azurewebsites.net"}, "Initiated": {"true"},
				}},
		}},
		{"array with BOM", "array_bom.json", []want{
			{line: 2, time: "2024-03-01T10:00:00.123Z", eventID: 1, channel: sysmonChan, provider: sysmonProv,
				computer: "WS01.corp.local", recordID: 1001, fields: map[string][]string{"Image": {`C:\Users\Public\7za.exe`}}},
			{line: 20, time: "2024-03-01T10:01:00.5Z", eventID: 4688, channel: "Security", provider: securityProv,
				computer: "WS01.corp.local", fields: map[string][]string{"Channel": {"security"}}},
			{line: 35, time: "2024-03-01T10:02:00Z", eventID: 3, channel: sysmonChan,
				computer: "WS01.corp.local", fields: map[string][]string{"Tags": {"a", "b"}}},
		}},
		{"unknown shape", "unknown.jsonl", []want{
			{line: 1, time: "2024-03-01T10:00:00Z", fields: map[string][]string{
				"meta.host": {"ws01"}, "host": {"ws01"}, "meta.timestamp": {"2024-03-01T10:00:00Z"}, "proc.Image": {`C:\x.exe`}, "Image": {`C:\x.exe`},
				"proc.args": {"-a", "-b"}, "args": {"-a", "-b"}, "id": {"12345678901234567890"},
			}},
			{line: 2, fields: map[string][]string{
				"message": {"no time here"}, "a.b.d": {"false"}, "d": {"false"}, "a.b.c": nil, "c": nil,
			}},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			evs, errs, st := decodeFile(t, tt.file, Options{})
			for _, e := range errs {
				t.Errorf("unexpected report: %v", e)
			}
			if len(evs) != len(tt.want) || st.Records != int64(len(tt.want)) {
				t.Fatalf("got %d events (Stats.Records %d), want %d", len(evs), st.Records, len(tt.want))
			}
			noTime := 0
			for i, w := range tt.want {
				if w.time == "" {
					noTime++
				}
				checkEvent(t, i, evs[i], w)
				if evs[i].Source.Path != tt.file {
					t.Errorf("event %d: path %q", i, evs[i].Source.Path)
				}
			}
			if st.NoTime != int64(noTime) || st.Failed != 0 {
				t.Errorf("stats %+v, want NoTime %d, Failed 0", st, noTime)
			}
		})
	}
}

func TestMalformedLinesRecover(t *testing.T) {
	evs, errs, st := decodeFile(t, "malformed.jsonl", Options{})
	var lines []int64
	for _, e := range evs {
		v, _ := e.Get("Image")
		lines = append(lines, e.Source.Line)
		if want := map[int64]string{1: `C:\a.exe`, 3: `C:\c.exe`, 5: `C:\e.exe`, 7: `C:\g.exe`, 9: `C:\i.exe`}[e.Source.Line]; v != want {
			t.Errorf("line %d: Image %q, want %q", e.Source.Line, v, want)
		}
	}
	if got, want := lines, []int64{1, 3, 5, 7, 9}; !equalInts(got, want) {
		t.Errorf("events at lines %v, want %v", got, want)
	}
	var errLines []int64
	for _, e := range errs {
		errLines = append(errLines, e.Line)
		if e.File != "malformed.jsonl" || e.Offset < 0 {
			t.Errorf("report %v: bad location", e)
		}
	}
	if want := []int64{2, 4, 6, 8}; !equalInts(errLines, want) {
		t.Errorf("errors at lines %v, want %v", errLines, want)
	}
	if len(errs) == 4 {
		if !errors.Is(errs[0].Err, parsers.ErrSyntax) || !errors.Is(errs[3].Err, ErrNotObject) {
			t.Errorf("errors %v, %v: want ErrSyntax, ErrNotObject", errs[0], errs[3])
		}
	}
	if st.Records != 5 || st.Failed != 4 || st.NoTime != 1 {
		t.Errorf("stats %+v, want Records 5, Failed 4, NoTime 1", st)
	}
}

func equalInts(a, b []int64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestMalformedPrettyDocumentRecovers(t *testing.T) {
	in := `{
  "EventID": 1,
  "Image": "a"
}
{
  "EventID": 2,
  "Data": {
    "x": 1,
    "y": oops
  },
  "Tail": [
    {
      "EventID": 99
    }
  ]
}
{
  "EventID": 3
}
  [ {"EventID": 4}, {"EventID": 5} ]
`
	evs, errs, st, err := decodeAll(t, strings.NewReader(in), "p.json", Options{})
	if err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for _, e := range evs {
		ids = append(ids, int64(e.EventID))
	}
	if want := []int64{1, 3, 4, 5}; !equalInts(ids, want) {
		t.Errorf("event ids %v, want %v", ids, want)
	}
	if len(errs) != 1 || errs[0].Line != 5 || errs[0].Offset != int64(strings.Index(in, "{\n  \"EventID\": 2")) {
		t.Fatalf("reports %v, want one at line 5", errs)
	}
	if !strings.Contains(errs[0].Error(), "line 9") {
		t.Errorf("report %q does not name line 9 where the error is", errs[0])
	}
	if st.Failed != 1 || st.Records != 4 {
		t.Errorf("stats %+v", st)
	}
}

func TestTooLargeDocumentIsSkipped(t *testing.T) {
	big := `{"EventID": 1, "Blob": "` + strings.Repeat("x", 10000) + `", "o": {"a": "}]"}}`
	in := `{"EventID": 7}` + "\n" + big + "\n" + `{"EventID": 8}` + "\n" + `"` + strings.Repeat("y", 5000) + `"` + "\n" + `{"EventID": 9}`
	evs, errs, st, err := decodeAll(t, strings.NewReader(in), "big.jsonl", Options{MaxDocument: 1024})
	if err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for _, e := range evs {
		ids = append(ids, int64(e.EventID))
	}
	if want := []int64{7, 8, 9}; !equalInts(ids, want) {
		t.Errorf("event ids %v, want %v", ids, want)
	}
	if len(errs) != 2 || !errors.Is(errs[0].Err, ErrTooLarge) || errs[0].Line != 2 || errs[1].Line != 4 {
		t.Errorf("reports %v, want ErrTooLarge at lines 2 and 4", errs)
	}
	if st.Failed != 2 {
		t.Errorf("stats %+v", st)
	}
}

func TestTruncatedAtEOF(t *testing.T) {
	in := "{\"EventID\": 1}\n{\"EventID\": 2, \"Image\": \"C:\\\\x"
	evs, errs, st, err := decodeAll(t, strings.NewReader(in), "t.jsonl", Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 1 || len(errs) != 1 || !errors.Is(errs[0].Err, parsers.ErrTruncated) || errs[0].Line != 2 {
		t.Fatalf("events %d, reports %v: want 1 event and ErrTruncated at line 2", len(evs), errs)
	}
	if st.Failed != 1 {
		t.Errorf("stats %+v", st)
	}
}

func TestDeepNestingIsReported(t *testing.T) {
	in := `{"a":` + strings.Repeat("[", 100) + strings.Repeat("]", 100) + "}\n{\"EventID\": 4}\n"
	evs, errs, _, err := decodeAll(t, strings.NewReader(in), "d.jsonl", Options{MaxDepth: 50})
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 1 || evs[0].EventID != 4 || len(errs) != 1 || !errors.Is(errs[0].Err, parsers.ErrSyntax) {
		t.Fatalf("events %d, reports %v", len(evs), errs)
	}
}

// Reading one byte at a time must give the same events and reports as
// reading the whole input: every buffer boundary is exercised.
func TestOneByteReader(t *testing.T) {
	files, _ := filepath.Glob("testdata/*.json*")
	if len(files) == 0 {
		t.Fatal("no fixtures")
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		a, aerr, ast, err := decodeAll(t, bytes.NewReader(data), f, Options{})
		if err != nil {
			t.Fatal(err)
		}
		b, berr, bst, err := decodeAll(t, iotest.OneByteReader(bytes.NewReader(data)), f, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if ast != bst || len(a) != len(b) || len(aerr) != len(berr) {
			t.Fatalf("%s: whole %+v %d events, byte-wise %+v %d events", f, ast, len(a), bst, len(b))
		}
		for i := range a {
			if d := diffEvents(a[i], b[i]); d != "" {
				t.Errorf("%s event %d: %s", f, i, d)
			}
		}
		for i := range aerr {
			if aerr[i].Error() != berr[i].Error() {
				t.Errorf("%s report %d: %v vs %v", f, i, aerr[i], berr[i])
			}
		}
	}
}

func diffEvents(a, b *parsers.Event) string {
	if a.Time != b.Time || a.EventID != b.EventID || a.Channel != b.Channel || a.Provider != b.Provider ||
		a.Computer != b.Computer || a.RecordID != b.RecordID || a.Level != b.Level || a.Source != b.Source {
		return "core fields differ"
	}
	if len(a.Fields) != len(b.Fields) {
		return "field count differs"
	}
	for i := range a.Fields {
		if a.Fields[i] != b.Fields[i] {
			return "field " + a.Fields[i].Name + " differs"
		}
	}
	return ""
}

type failReader struct{ n int }

func (r *failReader) Read(p []byte) (int, error) {
	if r.n == 0 {
		return 0, errors.New("disk on fire")
	}
	r.n--
	return copy(p, "{\"EventID\": 1}\n"), nil
}

func TestReadErrorIsFinal(t *testing.T) {
	evs, _, _, err := decodeAll(t, &failReader{n: 2}, "f.jsonl", Options{})
	if err == nil || !strings.Contains(err.Error(), "disk on fire") || !strings.Contains(err.Error(), "f.jsonl") {
		t.Fatalf("err = %v, want the read error with the path", err)
	}
	if len(evs) != 2 {
		t.Errorf("got %d events before the error, want 2", len(evs))
	}
}

func TestEmitErrorStops(t *testing.T) {
	stop := errors.New("stop")
	n := 0
	_, err := NewUnit(strings.NewReader("{}\n{}\n{}\n"), "e", Options{}).Decode(func(*parsers.Event) error {
		n++
		return stop
	}, nil)
	if !errors.Is(err, stop) || n != 1 {
		t.Fatalf("err %v after %d events, want stop after 1", err, n)
	}
}

func TestDecodeTwice(t *testing.T) {
	u := NewUnit(strings.NewReader("{}"), "x", Options{})
	emit := func(*parsers.Event) error { return nil }
	if _, err := u.Decode(emit, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := u.Decode(emit, nil); err == nil {
		t.Fatal("second Decode succeeded")
	}
}

func TestStringEscapes(t *testing.T) {
	in := `{"s": "a\"b\\c\/d\b\f\n\r\t\u00e9\ud83d\ude00\ud800x", "CommandLine": "C:\\Windows\\cmd.exe"}`
	evs, errs, _, err := decodeAll(t, strings.NewReader(in), "s", Options{})
	if err != nil || len(errs) != 0 || len(evs) != 1 {
		t.Fatalf("err %v, reports %v, %d events", err, errs, len(evs))
	}
	if v, _ := evs[0].Get("s"); v != "a\"b\\c/d\b\f\n\r\té😀\uFFFDx" {
		t.Errorf("s = %q", v)
	}
	if v, _ := evs[0].Get("CommandLine"); v != `C:\Windows\cmd.exe` {
		t.Errorf("CommandLine = %q", v)
	}
}

func TestParseTime(t *testing.T) {
	tests := []struct {
		in   string
		want string // RFC 3339 in UTC, "" for a refusal
	}{
		{"2024-03-01T10:00:00Z", "2024-03-01T10:00:00Z"},
		{"2024-03-01T10:00:00.1234567Z", "2024-03-01T10:00:00.1234567Z"},
		{"2021-11-19T16:52:33.833733500Z", "2021-11-19T16:52:33.8337335Z"},
		{"2024-03-01T10:00:00.123456789123Z", "2024-03-01T10:00:00.123456789Z"},
		{"2024-03-01 10:00:00.123", "2024-03-01T10:00:00.123Z"},
		{"2024-03-01T12:00:00+02:00", "2024-03-01T10:00:00Z"},
		{"2024-03-01T12:00:00.5-0130", "2024-03-01T13:30:00.5Z"},
		{"2024-03-01t10:00:00z", "2024-03-01T10:00:00Z"},
		{"2024-02-29T00:00:00Z", "2024-02-29T00:00:00Z"},
		{"1709287200", "2024-03-01T10:00:00Z"},
		{"1709287200123", "2024-03-01T10:00:00.123Z"},
		{"1709287200123456", "2024-03-01T10:00:00.123456Z"},
		{"1709287200123456789", "2024-03-01T10:00:00.123456789Z"},
		{"1709287200.25", "2024-03-01T10:00:00.25Z"},
		{"2023-02-29T00:00:00Z", ""},
		{"2024-13-01T00:00:00Z", ""},
		{"2024-03-01T10:00:00+25:00", ""},
		{"2024-03-01T10:00:00 garbage", ""},
		{"2024-03-01T10:00:00.Z", ""},
		{"4688", ""},
		{"", ""},
		{"yesterday", ""},
	}
	for _, tt := range tests {
		got, ok := parseTime(tt.in)
		if tt.want == "" {
			if ok {
				t.Errorf("parseTime(%q) = %v, want refusal", tt.in, got)
			}
			continue
		}
		if !ok || !got.Equal(mustTime(tt.want)) || got.Location() != time.UTC {
			t.Errorf("parseTime(%q) = %v, %v; want %s", tt.in, got, ok, tt.want)
		}
	}
}

func TestCanonicalChannel(t *testing.T) {
	for in, want := range map[string]string{
		"security":                             "Security",
		"Security":                             "Security",
		"SECURITY":                             "Security",
		"microsoft-windows-sysmon/operational": sysmonChan,
		"windows powershell":                   "Windows PowerShell",
		"my-custom/channel":                    "my-custom/channel",
	} {
		if got := canonicalChannel(in); got != want {
			t.Errorf("canonicalChannel(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestTooManyValues(t *testing.T) {
	in := `{"a": [` + strings.Repeat("1,", 200) + "1]}\n" + `{"EventID": 5}` + "\n"
	evs, errs, _, err := decodeAll(t, strings.NewReader(in), "v.jsonl", Options{MaxValues: 100})
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 1 || evs[0].EventID != 5 || len(errs) != 1 || !errors.Is(errs[0].Err, ErrTooLarge) || errs[0].Line != 1 {
		t.Fatalf("events %d, reports %v", len(evs), errs)
	}
}

// Many nested values with distinct leaf names must stay fast (aliases are
// checked with a set, not pairwise).
func TestManyNestedValues(t *testing.T) {
	var b strings.Builder
	b.WriteString(`{"o": {`)
	for i := 0; i < 20000; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `"k%d": %d`, i, i)
	}
	b.WriteString(`}}`)
	evs, errs, _, err := decodeAll(t, strings.NewReader(b.String()), "n.json", Options{})
	if err != nil || len(errs) != 0 || len(evs) != 1 {
		t.Fatalf("err %v, reports %v, %d events", err, errs, len(evs))
	}
	if got := len(evs[0].Fields); got != 40000 {
		t.Errorf("%d fields, want 20000 paths and 20000 aliases", got)
	}
	if v, _ := evs[0].Get("k19999"); v != "19999" {
		t.Errorf("alias k19999 = %q", v)
	}
}
