package kql

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/loghunt/loghunt/hunt/kql/schema"
	"github.com/loghunt/loghunt/hunt/kql/value"
)

// scalar evaluates a print expression and renders the result with toStr.
func scalar(t *testing.T, expr string) string {
	t.Helper()
	q := mustParse(t, "print r = "+expr)
	res, _ := mustRun(t, q, NewMapCatalog().SetNaming(schema.SentinelNaming{}))
	if len(res.Rows) != 1 {
		t.Fatalf("print returned %d rows", len(res.Rows))
	}
	if res.Rows[0][0] == nil {
		return "<null>"
	}
	return toStr(res.Rows[0][0])
}

func TestScalarFunctions(t *testing.T) {
	tests := []struct{ expr, want string }{
		{`ago(1d)`, "2024-01-09T00:00:00Z"},
		{`now()`, "2024-01-10T00:00:00Z"},
		{`now(-2h)`, "2024-01-09T22:00:00Z"},
		{`tostring(42)`, "42"},
		{`toint("17")`, "17"},
		{`tolong("x")`, "<null>"},
		{`todatetime("2021-03-04 05:06:07")`, "2021-03-04T05:06:07Z"},
		{`tolower("AbC")`, "abc"},
		{`toupper("AbC")`, "ABC"},
		{`strcat("a", 1, "b")`, "a1b"},
		{`strlen("héllo")`, "5"},
		{`substring("abcdef", 2, 3)`, "cde"},
		{`substring("abcdef", 4)`, "ef"},
		{`split("a,b,c", ",")`, `["a","b","c"]`},
		{`split("a,b,c", ",", 1)`, `["b"]`},
		{`replace(@"(\d+)", @"<\1>", "ab12cd3")`, "ab<12>cd<3>"},
		{`replace_string("aXbXc", "X", "-")`, "a-b-c"},
		{`extract(@"user=(\w+)", 1, "id=1 user=bob x")`, "bob"},
		{`extract(@"n=(\d+)", 1, "n=41", typeof(long)) + 1`, "42"},
		{`iff(1 > 2, "y", "n")`, "n"},
		{`iif(true, "y", "n")`, "y"},
		{`case(false, 1, true, 2, 3)`, "2"},
		{`isempty("")`, "true"},
		{`isnotempty(" ")`, "true"},
		{`isnull(long(null))`, "true"},
		{`isnotnull(1)`, "true"},
		{`coalesce("", "x", "y")`, "x"},
		{`array_length(dynamic([1, 2, 3]))`, "3"},
		{`pack_array(1, "a")`, `[1,"a"]`},
		{`parse_json('{"a": {"b": [5, 6]}}').a.b[1]`, "6"},
		{`parse_json('{"a": 1}')["a"]`, "1"},
		{`indexof("abcabc", "c")`, "2"},
		{`indexof("abc", "z")`, "-1"},
		{`trim(@"[ \-]+", "--  x y  -")`, "x y"},
		{`base64_decode_tostring("aGVsbG8=")`, "hello"},
		{`datetime_diff("day", datetime(2024-01-10), datetime(2024-01-01 23:00))`, "9"},
		{`datetime_diff("hour", datetime(2024-01-01 10:00), datetime(2024-01-01 08:59))`, "2"},
		{`startofday(datetime(2024-01-05 13:14:15))`, "2024-01-05T00:00:00Z"},
		{`bin(datetime(2024-01-05 13:14:15), 1h)`, "2024-01-05T13:00:00Z"},
		{`bin(17, 5)`, "15"},
		{`7 / 2`, "3"},
		{`7 / 2.0`, "3.5"},
		{`datetime(2024-01-02) - datetime(2024-01-01)`, "1.00:00:00"},
		{`1d + 2h`, "1.02:00:00"},
		{`"a" in ("A", "b")`, "false"},
		{`"a" in~ ("A", "b")`, "true"},
		{`5 between (1 .. 5)`, "true"},
		{`5 !between (1 .. 4)`, "true"},
		{`not(true)`, "false"},
		{`"North America" has "america"`, "true"},
		{`"KustoExplorerQueryRun" has "Explorer"`, "false"},
		{`"KustoExplorerQueryRun" contains "Explorer"`, "true"},
		{`@"C:\x\y"`, `C:\x\y`},
		{`"a\tb\\c\"d"`, "a\tb\\c\"d"},
		{`'it''s' == "it's"`, "false"},
		{`'single \'q\''`, "single 'q'"},
		{`@"say ""hi"""`, `say "hi"`},
		{`dynamic({"k": [1, "x", null]})`, `{"k":[1,"x",null]}`},
		{`timespan(00:10:00)`, "00:10:00"},
		{`time(1.5h)`, "01:30:00"},
		{`typeof(1.5)`, "real"},
		{`tohex(255)`, "ff"},
		{`parse_url("https://a.b:8080/p?q=1").Host`, "a.b"},
		{`ipv4_is_private("10.1.2.3")`, "true"},
		{`ipv4_is_private("8.8.8.8")`, "false"},
		{`ipv4_is_in_range("192.168.1.7", "192.168.1.0/24")`, "true"},
		{`countof("abcabc", "bc")`, "2"},
		{`array_slice(dynamic([1,2,3,4]), 1, 2)`, "[2,3]"},
		{`strcat_array(dynamic(["a","b"]), "-")`, "a-b"},
		{`make_string(dynamic([104, 105]))`, "hi"},
		{`extractjson("$.a.b", '{"a":{"b":"x"}}')`, "x"},
		{`parse_xml("<r><n a='1'>t</n></r>").r.n["@a"]`, "1"},
		{`translate("abc", "xy", "aabbcc")`, "xxyyyy"},
		{`range(1, 5, 2)`, "[1,3,5]"},
		{`round(2.567, 2)`, "2.57"},
	}
	for _, tt := range tests {
		t.Run(tt.expr, func(t *testing.T) {
			if got := scalar(t, tt.expr); got != tt.want {
				t.Errorf("%s = %q, want %q", tt.expr, got, tt.want)
			}
		})
	}
}

func TestTabularOperators(t *testing.T) {
	cat := NewMapCatalog(processTable(), networkTable()).SetNaming(schema.SentinelNaming{})
	tests := []struct {
		name, query string
		col         string
		want        string
	}{
		{"project", `DeviceProcessEvents | project Pid = ProcessId, FileName | take 2`, "Pid", "10,11"},
		{"project-away", `DeviceProcessEvents | project-away Folder*, Process* | getschema | project ColumnName`, "ColumnName", "Timestamp,DeviceName,FileName"},
		{"project-rename", `DeviceProcessEvents | project-rename Pid = ProcessId | take 1`, "Pid", "10"},
		{"project-reorder", `DeviceProcessEvents | project-reorder ProcessId | getschema | take 1`, "ColumnName", "ProcessId"},
		{"extend-chain", `DeviceProcessEvents | extend a = ProcessId * 2, b = a + 1 | take 2`, "b", "21,23"},
		{"extend-replace", `DeviceProcessEvents | extend ProcessId = ProcessId - 10 | take 2`, "ProcessId", "0,1"},
		{"summarize-count", `DeviceProcessEvents | summarize count() by DeviceName | sort by DeviceName asc`, "count_", "3,2,3,1"},
		{"summarize-empty", `DeviceProcessEvents | where ProcessId < 0 | summarize n = count()`, "n", "0"},
		{"summarize-names", `DeviceProcessEvents | summarize dcount(FileName), max(ProcessId), make_set(DeviceName) | getschema`, "ColumnName", "dcount_FileName,max_ProcessId,set_DeviceName"},
		{"summarize-nested", `DeviceProcessEvents | summarize n = count() * 10, s = tostring(make_set(DeviceName)) by FileName | where FileName == "cmd.exe"`, "n", "40"},
		{"summarize-bin", `DeviceProcessEvents | where Timestamp > ago(1d) | summarize c = count() by bin(Timestamp, 4h) | sort by Timestamp asc`, "c", "4,4"},
		{"arg_min-star", `DeviceProcessEvents | summarize arg_min(Timestamp, *) by DeviceName | where DeviceName == "ws1"`, "ProcessId", "17"},
		{"top-asc", `DeviceProcessEvents | top 2 by ProcessId asc`, "ProcessId", "10,11"},
		{"top-default-desc", `DeviceProcessEvents | top 2 by ProcessId`, "ProcessId", "18,17"},
		{"sort", `DeviceProcessEvents | sort by FileName asc, ProcessId desc | take 3`, "ProcessId", "13,18,16"},
		{"distinct", `DeviceProcessEvents | distinct DeviceName | sort by DeviceName asc`, "DeviceName", "ws1,ws2,ws3,ws4"},
		{"count", `DeviceProcessEvents | where DeviceName == "ws3" | count`, "Count", "3"},
		{"union", `union (DeviceProcessEvents | take 1), (imNetworkSession | take 1) | project DeviceName`, "DeviceName", "ws1,"},
		{"union-withsource", `union withsource=T DeviceProcessEvents, imNetworkSession | summarize count() by T | sort by T asc`, "count_", "9,4"},
		{"let-scalar", `let n = 12; DeviceProcessEvents | where ProcessId > n | count`, "Count", "6"},
		{"let-tabular", `let t = DeviceProcessEvents | where DeviceName == "ws2"; t | project ProcessId`, "ProcessId", "12,13"},
		{"materialize", `let t = materialize(DeviceProcessEvents | where DeviceName == "ws2"); t | join kind=inner (t) on ProcessId | project ProcessId1`, "ProcessId1", "12,13"},
		{"let-function", `let big = (x:long) { x > 15 }; DeviceProcessEvents | where big(ProcessId) | project ProcessId`, "ProcessId", "16,17,18"},
		{"let-function-default", `let f = (s:string, n:long = 3) { strlen(s) > n }; DeviceProcessEvents | where f(DeviceName, 2) | count`, "Count", "9"},
		{"let-tabular-function", `let f = (d:string) { DeviceProcessEvents | where DeviceName == d }; f("ws4") | project ProcessId`, "ProcessId", "18"},
		{"invoke", `let f = (T:(*)) { T | where ProcessId > 16 }; DeviceProcessEvents | invoke f() | project ProcessId`, "ProcessId", "17,18"},
		{"in-subquery", `DeviceProcessEvents | where DeviceName in ((DeviceProcessEvents | where ProcessId == 18 | project DeviceName)) | project ProcessId`, "ProcessId", "18"},
		{"in-let-dynamic", `let names = dynamic(["ws4", "ws2"]); DeviceProcessEvents | where DeviceName in (names) | project ProcessId`, "ProcessId", "12,13,18"},
		{"join-default-innerunique", `DeviceProcessEvents | where DeviceName == "ws1" | join (DeviceProcessEvents | project DeviceName, Other = ProcessId) on DeviceName | project Other`, "Other", "10,11,17"},
		{"join-leftouter", `datatable(DeviceName:string)["ws4", "zz"] | join kind=leftouter (DeviceProcessEvents) on DeviceName | project ProcessId`, "ProcessId", "18,"},
		{"join-leftsemi", `datatable(DeviceName:string)["ws4", "zz"] | join kind=leftsemi (DeviceProcessEvents) on DeviceName`, "DeviceName", "ws4"},
		{"join-rightanti", `datatable(DeviceName:string)["ws1", "ws2", "ws3"] | join kind=rightanti (DeviceProcessEvents) on DeviceName | project ProcessId`, "ProcessId", "18"},
		{"join-left-right", `datatable(D:string)["ws4"] | join kind=inner (DeviceProcessEvents) on $left.D == $right.DeviceName | project ProcessId`, "ProcessId", "18"},
		{"lookup", `datatable(DeviceName:string, Tag:string)["ws4", "x"] | lookup (DeviceProcessEvents | where ProcessId == 18) on DeviceName | project Tag, ProcessId`, "ProcessId", "18"},
		{"parse", `print s = "user=bob id=42 rest" | parse s with "user=" User " id=" Id:long " " *`, "Id", "42"},
		{"parse-regex", `print s = "a1b22" | parse kind=regex s with @"[a-z]" N1:long "b" N2:long`, "N2", "22"},
		{"mv-expand", `print a = dynamic([1, 2, 3]) | mv-expand a to typeof(long) | summarize s = sum(a)`, "s", "6"},
		{"mv-expand-empty", `print a = dynamic([]) | mv-expand a | count`, "Count", "0"},
		{"mv-expand-index", `print a = dynamic(["x", "y"]) | mv-expand with_itemindex=i a | project i`, "i", "0,1"},
		{"mv-apply", `print a = dynamic([3, 1, 2]) | mv-apply v = a to typeof(long) on (summarize m = max(v))`, "m", "3"},
		{"datatable", `datatable(a:long, b:string)[1, "x", 2, "y"] | where a > 1`, "b", "y"},
		{"range", `range x from 1 to 5 step 2`, "x", "1,3,5"},
		{"serialize-prev", `range x from 1 to 4 step 1 | serialize | extend d = x - prev(x, 1, 0)`, "d", "1,1,1,1"},
		{"next", `range x from 1 to 3 step 1 | extend n = next(x)`, "n", "2,3,"},
		{"toscalar", `let m = toscalar(DeviceProcessEvents | summarize max(ProcessId)); print m`, "m", "18"},
		{"externaldata-empty", `externaldata(a:string)["https://example.com/x.csv"] with (format="csv") | count`, "Count", "0"},
		{"bag_unpack", `print d = dynamic({"a": 1, "b": "x"}) | evaluate bag_unpack(d) | project b`, "b", "x"},
		{"column_ifexists", `DeviceProcessEvents | extend x = column_ifexists("Nope", "dflt") | take 1`, "x", "dflt"},
		{"imProcessCreation alias", `imProcessCreation | count`, "Count", "0"},
	}
	extra := NewMapCatalog(processTable(), networkTable(), &value.Table{Name: "imProcessCreate"}).SetNaming(schema.SentinelNaming{})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Catalog(cat)
			if strings.Contains(tt.query, "imProcessCreation") {
				c = extra
			}
			q := mustParse(t, tt.query)
			res, _ := mustRun(t, q, c)
			got := strings.Join(column(t, res, tt.col), ",")
			if got != tt.want {
				t.Errorf("%s = %s, want %s", tt.col, got, tt.want)
			}
		})
	}
}

func TestErrorsAndWarnings(t *testing.T) {
	cat := seedCatalog()
	// syntax errors carry positions
	for _, tt := range []struct {
		src       string
		line, col int
	}{
		{"T | where", 1, 10},
		{"T\n| where x ==", 2, 13},
		{"T | frobnicate", 1, 5},
		{"T | where s == \"abc", 1, 20},
		{"T | where x in (1, 2", 1, 21},
	} {
		_, err := Parse(tt.src)
		var se *SyntaxError
		if !errors.As(err, &se) || se.Line != tt.line || se.Col != tt.col {
			t.Errorf("Parse(%q) = %v, want error at %d:%d", tt.src, err, tt.line, tt.col)
		}
	}
	// unknown table: an error from Run, a warning from Check
	q := mustParse(t, "let x = 1;\nNoSuchTable | where a == 1")
	if _, _, err := q.Run(context.Background(), cat, Options{Now: testNow}); !errors.Is(err, ErrUnknownTable) {
		t.Errorf("Run unknown table: %v", err)
	}
	ws := Check(q, cat)
	if len(ws) != 1 || ws[0].Line != 2 || ws[0].Col != 1 || !strings.Contains(ws[0].Msg, "unknown table NoSuchTable") {
		t.Errorf("Check = %v", ws)
	}
	// unknown column: warning with position; Strict makes it an error
	q = mustParse(t, "DeviceProcessEvents\n| where Bogus == 1 or FileName == \"x\"")
	ws = Check(q, cat)
	if len(ws) != 1 || ws[0].Line != 2 || ws[0].Col != 9 || !strings.Contains(ws[0].Msg, "Bogus") {
		t.Errorf("Check = %v", ws)
	}
	if _, _, err := q.Run(context.Background(), cat, Options{Now: testNow, Strict: true}); err == nil {
		t.Error("Strict run with unknown column succeeded")
	}
	// never-true in~ and a fine comparison
	q = mustParse(t, `imNetworkSession | where NetworkDirection in~ ("true", "1") or NetworkDirection == "Inbound"`)
	ws = Check(q, cat)
	if len(ws) != 1 || !strings.Contains(ws[0].Msg, `NetworkDirection in~ "true", "1" can never be true`) {
		t.Errorf("Check = %v", ws)
	}
	// Tables lists catalog tables only
	q = mustParse(t, `let a = DeviceProcessEvents | where x > 1; let f = (T:(*)) { T };
union a, (_Im_NetworkSession(starttime=ago(1d)) | where y has "z"), f(SecurityEvent)`)
	if got := strings.Join(q.Tables(schema.SentinelNaming{}), ","); got != "DeviceProcessEvents,_Im_NetworkSession,SecurityEvent" {
		t.Errorf("Tables() = %s", got)
	}
	// cancellation
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, _, err := mustParse(t, "DeviceProcessEvents").Run(ctx, cat, Options{}); !errors.Is(err, context.Canceled) {
		t.Errorf("canceled run: %v", err)
	}
}
