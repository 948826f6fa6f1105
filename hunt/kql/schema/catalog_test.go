package schema

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/loghunt/loghunt/hunt/kql/value"
	"github.com/loghunt/loghunt/parsers"
)

// netEvents returns Sysmon 3 events one hour apart with varied addresses.
func netEvents() []*parsers.Event {
	conns := []struct{ src, dst, port, host, initiated string }{
		{"10.0.0.5", "52.1.2.3", "443", "a.azurewebsites.net", "true"},
		{"10.0.0.6", "10.0.0.50", "3389", "rdp.corp.local", "false"},
		{"192.168.1.2", "52.10.0.1", "3389", "-", "true"},
		{"10.0.0.7", "8.8.8.8", "53", "dns.google", "true"},
	}
	var evs []*parsers.Event
	for i, c := range conns {
		evs = append(evs, sysmon(3, uint64(i+1), t0.Add(time.Duration(i)*time.Hour),
			"ProcessGuid", fmt.Sprintf("{%d}", i), "Image", `C:\p.exe`, "Initiated", c.initiated, "Protocol", "tcp",
			"SourceIp", c.src, "SourcePort", "5000", "SourceHostname", "-", "DestinationIp", c.dst,
			"DestinationPort", c.port, "DestinationHostname", c.host))
	}
	return evs
}

func TestASIMParameters(t *testing.T) {
	c := build(t, []string{"_Im_NetworkSession"}, netEvents()...)
	tests := []struct {
		name  string
		table string
		args  []Arg
		want  []string // DstIpAddr of the rows, in order
		warn  string   // substring of an expected warning
	}{
		{"no args", "imNetworkSession", nil, []string{"52.1.2.3", "10.0.0.50", "52.10.0.1", "8.8.8.8"}, ""},
		{"starttime", "_Im_NetworkSession", []Arg{{"starttime", t0.Add(90 * time.Minute)}}, []string{"52.10.0.1", "8.8.8.8"}, ""},
		{"starttime endtime positional", "_Im_NetworkSession", []Arg{{"", t0.Add(time.Hour)}, {"", t0.Add(2 * time.Hour)}},
			[]string{"10.0.0.50", "52.10.0.1"}, ""},
		{"null starttime", "_Im_NetworkSession", []Arg{{"starttime", nil}}, []string{"52.1.2.3", "10.0.0.50", "52.10.0.1", "8.8.8.8"}, ""},
		{"dstportnumber", "_Im_NetworkSession", []Arg{{"dstportnumber", int64(3389)}}, []string{"10.0.0.50", "52.10.0.1"}, ""},
		{"srcipaddr prefix", "_Im_NetworkSession", []Arg{{"srcipaddr_has_any_prefix", []any{"10.0.0"}}},
			[]string{"52.1.2.3", "10.0.0.50", "8.8.8.8"}, ""},
		{"prefix on octet boundary", "_Im_NetworkSession", []Arg{{"dstipaddr_has_any_prefix", []any{"52.1"}}}, []string{"52.1.2.3"}, ""},
		{"ipaddr prefix either side", "_Im_NetworkSession", []Arg{{"ipaddr_has_any_prefix", []any{"192.168."}}}, []string{"52.10.0.1"}, ""},
		{"hostname has any", "_Im_NetworkSession", []Arg{{"hostname_has_any", []any{"azurewebsites.net", "google"}}},
			[]string{"52.1.2.3", "8.8.8.8"}, ""},
		{"eventresult star", "_Im_NetworkSession", []Arg{{"eventresult", "*"}}, []string{"52.1.2.3", "10.0.0.50", "52.10.0.1", "8.8.8.8"}, ""},
		{"eventresult failure", "_Im_NetworkSession", []Arg{{"eventresult", "Failure"}}, nil, ""},
		{"disabled", "_Im_NetworkSession", []Arg{{"disabled", true}}, nil, ""},
		{"unknown parameter", "_Im_NetworkSession", []Arg{{"colour", "red"}, {"dstportnumber", int64(53)}}, []string{"8.8.8.8"},
			"unknown parameter colour"},
		{"wrong type", "_Im_NetworkSession", []Arg{{"starttime", "yesterday"}}, []string{"52.1.2.3", "10.0.0.50", "52.10.0.1", "8.8.8.8"},
			"unsupported value"},
		{"too many positional", "_Im_NetworkSession", make([]Arg, 20), []string{"52.1.2.3", "10.0.0.50", "52.10.0.1", "8.8.8.8"},
			"too many arguments"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tab, warns, err := c.Open(tt.table, tt.args)
			if err != nil {
				t.Fatal(err)
			}
			i := tab.Index("DstIpAddr")
			var got []string
			for _, r := range tab.Rows {
				got = append(got, r[i].(string))
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("rows %v, want %v", got, tt.want)
			}
			joined := strings.Join(warns, "\n")
			if tt.warn == "" && len(warns) > 0 || tt.warn != "" && !strings.Contains(joined, tt.warn) {
				t.Errorf("warnings %q, want %q", warns, tt.warn)
			}
		})
	}
	// Table records the warnings for the caller to print once.
	c.Table("_Im_NetworkSession", []Arg{{"colour", "red"}})
	c.Table("_Im_NetworkSession", []Arg{{"colour", "red"}})
	if w := c.Warnings(); len(w) != 1 {
		t.Errorf("Warnings() = %q, want one", w)
	}
}

func TestASIMProcessParameters(t *testing.T) {
	c := build(t, []string{"imProcessCreate"},
		proc1(1, t0, "{A}", `C:\Windows\System32\cmd.exe`, "{P}", `C:\Windows\explorer.exe`),
		proc1(2, t0, "{B}", `C:\Tools\rclone.exe`, "{P}", `C:\Windows\System32\cmd.exe`))
	tab, warns, _ := c.Open("_Im_ProcessCreate", []Arg{{"targetprocess_has_any", []any{"rclone.exe"}}})
	if len(tab.Rows) != 1 || len(warns) != 0 {
		t.Fatalf("targetprocess_has_any: %d rows, warnings %q", len(tab.Rows), warns)
	}
	tab, _, _ = c.Open("_Im_ProcessCreate", []Arg{{"commandline_has_all", []any{"whoami", "cmd.exe"}}})
	if len(tab.Rows) != 1 {
		t.Errorf("commandline_has_all: %d rows, want 1", len(tab.Rows))
	}
	tab, _, _ = c.Open("_Im_ProcessCreate", []Arg{{"actingprocess_has_any", []any{"explorer"}}})
	if len(tab.Rows) != 1 {
		t.Errorf("actingprocess_has_any: %d rows, want 1", len(tab.Rows))
	}
	if _, warns, _ := c.Open("DeviceProcessEvents", []Arg{{"starttime", t0}}); len(warns) == 0 {
		t.Error("arguments to a plain table not reported")
	}
}

func TestHasTerm(t *testing.T) {
	tests := []struct {
		hay, needle string
		want        bool
	}{
		{"North America", "america", true},
		{"KustoExplorerQueryRun", "Explorer", false},
		{`C:\Windows\explorer.exe`, "explorer.exe", true},
		{`C:\Windows\xexplorer.exe`, "explorer.exe", false},
		{"a.azurewebsites.net", "azurewebsites.net", true},
		{"", "x", false},
		{"abc", "", true},
	}
	for _, tt := range tests {
		if got := hasTerm(tt.hay, tt.needle); got != tt.want {
			t.Errorf("hasTerm(%q, %q) = %v, want %v", tt.hay, tt.needle, got, tt.want)
		}
	}
}

// Local copies of the evaluator's interfaces (hunt/kql): the adapter must
// satisfy them without this package importing the evaluator.
type kqlArg struct {
	Name  string
	Value any
}

type kqlCatalog interface {
	Table(name string, args []kqlArg) (*value.Table, bool)
	Columns(name string) ([]value.Column, bool)
}

type kqlValueLister interface {
	Values(table, column string) ([]string, bool)
}

func TestAdapterSatisfiesEvaluatorInterface(t *testing.T) {
	c := build(t, []string{"imNetworkSession"}, netEvents()...)
	var cat kqlCatalog = Adapt[kqlArg](c)
	tab, ok := cat.Table("_Im_NetworkSession", []kqlArg{{"dstportnumber", int64(443)}})
	if !ok || len(tab.Rows) != 1 {
		t.Fatalf("adapter Table: ok=%v rows=%d", ok, len(tab.Rows))
	}
	cols, ok := cat.Columns("imNetworkSession")
	if !ok || len(cols) == 0 || cols[0].Name != "TimeGenerated" {
		t.Errorf("Columns: %v %v", ok, cols)
	}
	vl, ok := cat.(kqlValueLister)
	if !ok {
		t.Fatal("adapter is not a ValueLister")
	}
	vals, ok := vl.Values("_Im_NetworkSession", "NetworkDirection")
	if !ok || !reflect.DeepEqual(vals, []string{"Inbound", "Outbound", "Local", "External", "NA"}) {
		t.Errorf("NetworkDirection values = %v, %v", vals, ok)
	}
	if _, ok := vl.Values("imNetworkSession", "DstHostname"); ok {
		t.Error("open column reported as enumerated")
	}
}

// TestEmittedValuesAllowed checks that every enumerated column only ever
// holds a value its schema allows, so never-true warnings are sound.
func TestEmittedValuesAllowed(t *testing.T) {
	evs := append(netEvents(),
		proc1(10, t0, "{A}", `C:\a.exe`, "{B}", `C:\b.exe`),
		security(4688, 11, t0, "NewProcessName", `C:\x.exe`, "NewProcessId", "0x4"),
		sysmon(11, 12, t0, "TargetFilename", `C:\f.txt`),
		sysmon(23, 13, t0, "TargetFilename", `C:\f.txt`, "Hashes", "SHA1=AB"),
		sysmon(12, 14, t0, "EventType", "DeleteValue", "TargetObject", `HKLM\a\b`),
		sysmon(13, 15, t0, "EventType", "SetValue", "TargetObject", `HKLM\a\b`, "Details", "Binary Data"),
		sysmon(14, 16, t0, "EventType", "RenameKey", "TargetObject", `HKLM\a`, "NewName", `HKLM\b`),
		sysmon(7, 17, t0, "ImageLoaded", `C:\x.dll`),
		security(5158, 19, t0, "Direction", "%%14609", "Protocol", "6"),
		security(5152, 20, t0, "Direction", "%%14595"),
		security(4663, 21, t0, "ObjectType", "File", "AccessMask", "0x6"),
		security(4657, 22, t0, "OperationType", "%%1904", "NewValueType", "%%1883"),
		sysmon(3, 18, t0, "Initiated", "maybe", "SourceIp", "::1", "DestinationIp", "fe80::1", "SourceIsIpv6", "true"),
	)
	s := Default()
	var names []string
	for _, tab := range s.Tables() {
		names = append(names, tab.Name)
	}
	c := build(t, names, evs...)
	for _, info := range s.Tables() {
		tab, _ := c.Table(info.Name, nil)
		for j, col := range info.Columns {
			if col.Values == nil {
				continue
			}
			for _, r := range tab.Rows {
				v, _ := r[j].(string)
				if v != "" && !slicesContains(col.Values, v) {
					t.Errorf("%s.%s = %q, not among %v", info.Name, col.Name, v, col.Values)
				}
			}
		}
		checkTypes(t, c, info.Name)
	}
}

func slicesContains(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}
