package sigma

import (
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/loghunt/loghunt/parsers"
	"github.com/loghunt/loghunt/rulepacks"
)

const (
	sysmonCh = "Microsoft-Windows-Sysmon/Operational"
	idPanda  = "ae8a5c5d-4cfb-4a59-9adb-eb6c6c219620"
	idZebro  = "92f02b0b-cd8e-4d49-957c-5ad0ee86da65"
	idAzure  = "5c80b618-0dbb-46e6-acbb-03d90bcb6d83"
)

func ev(channel string, id uint32, kv ...string) *parsers.Event {
	e := &parsers.Event{Channel: channel, EventID: id}
	for i := 0; i+1 < len(kv); i += 2 {
		e.Add(kv[i], kv[i+1])
	}
	return e
}

// hits returns the ids of the rules matching e.
func hits(rs *Ruleset, e *parsers.Event) []string {
	var ids []string
	rs.Match(e, func(m *Match) { ids = append(ids, m.Rule.ID) })
	return ids
}

func loadTestRules(t *testing.T) *Ruleset {
	t.Helper()
	rs, rep := Load(os.DirFS("testdata"), "rules", LoadOptions{})
	if len(rep.Failed) > 0 {
		for _, f := range rep.Failed {
			t.Errorf("load: %v", f)
		}
	}
	if rep.Detection != 3 {
		t.Fatalf("loaded %d detection rules, want 3", rep.Detection)
	}
	return rs
}

func TestBundledLikeRules(t *testing.T) {
	rs := loadTestRules(t)
	tests := []struct {
		name string
		ev   *parsers.Event
		want []string
	}{
		{"sysmon1 panda cmdline", ev(sysmonCh, 1, "Image", `C:\x\cmd.exe`, "CommandLine", `c:\aaaa\7za.exe a x`), []string{idPanda}},
		{"sysmon1 panda endswith", ev(sysmonCh, 1, "CommandLine", `ldifde -f x EPROD.LDF`), []string{idPanda}},
		{"sysmon1 panda image", ev(sysmonCh, 1, "Image", `c:\users\public\7ZA.exe`), []string{idPanda}},
		{"4688 panda image", ev("Security", 4688, "NewProcessName", `C:\Users\Public\7za.exe`, "CommandLine", "7za"), []string{idPanda}},
		{"4688 lowercase channel", ev("security", 4688, "NewProcessName", `C:\Users\Public\7za.exe`), []string{idPanda}},
		{"4688 zebrocy", ev("Security", 4688, "CommandLine", `x cmd.exe /c SYSTEMINFO & TASKLIST`), []string{idZebro}},
		{"sysmon3 panda not routed", ev(sysmonCh, 3, "Image", `C:\Users\Public\7za.exe`), nil},
		{"wrong event id", ev(sysmonCh, 2, "CommandLine", `x cmd.exe /c SYSTEMINFO & TASKLIST`), nil},
		{"azure evil", ev(sysmonCh, 3, "Initiated", "true", "DestinationHostname", "evil.azurewebsites.net", "Image", `C:\evil.exe`), []string{idAzure}},
		{"azure chrome", ev(sysmonCh, 3, "Initiated", "true", "DestinationHostname", "x.azurewebsites.net", "Image", `C:\Program Files\Google\Chrome\Application\chrome.exe`), nil},
		{"azure edge list alt", ev(sysmonCh, 3, "Initiated", "true", "DestinationHostname", "x.azurewebsites.net", "Image", `C:\x\WindowsApps\MicrosoftEdge.exe`), nil},
		{"azure defender", ev(sysmonCh, 3, "Initiated", "true", "DestinationHostname", "x.azurewebsites.net", "Image", `C:\ProgramData\Microsoft\Windows Defender\Platform\4.18\MsMpEng.exe`), nil},
		{"azure defender wrong exe", ev(sysmonCh, 3, "Initiated", "true", "DestinationHostname", "x.azurewebsites.net", "Image", `C:\ProgramData\Microsoft\Windows Defender\Platform\4.18\evil.exe`), []string{idAzure}},
		{"azure null image", ev(sysmonCh, 3, "Initiated", "true", "DestinationHostname", "x.azurewebsites.net"), nil},
		{"azure empty image", ev(sysmonCh, 3, "Initiated", "true", "DestinationHostname", "x.azurewebsites.net", "Image", ""), nil},
		{"azure not initiated", ev(sysmonCh, 3, "Initiated", "false", "DestinationHostname", "x.azurewebsites.net", "Image", `C:\evil.exe`), nil},
		{"no channel checks all rules", ev("", 0, "CommandLine", `x cmd.exe /c SYSTEMINFO & TASKLIST`), []string{idZebro}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := hits(rs, tt.ev)
			if !slices.Equal(got, tt.want) {
				t.Errorf("hits = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestMatchExplanation(t *testing.T) {
	rs := loadTestRules(t)
	e := ev(sysmonCh, 3, "Initiated", "true", "DestinationHostname", "evil.azurewebsites.net", "Image", `C:\evil.exe`)
	var got *Match
	rs.Match(e, func(m *Match) { got = m.Clone() })
	if got == nil {
		t.Fatal("no match")
	}
	if !slices.Equal(got.Searches, []string{"selection"}) {
		t.Errorf("searches = %v", got.Searches)
	}
	want := []FieldValue{{"Initiated", "true"}, {"DestinationHostname", "evil.azurewebsites.net"}}
	if !slices.Equal(got.Values, want) {
		t.Errorf("values = %v, want %v", got.Values, want)
	}
	if got.Rule.Level != "medium" || got.Rule.Title == "" || !strings.HasSuffix(got.Rule.Path, "net_azurewebsites.yml") {
		t.Errorf("rule metadata = %+v", got.Rule)
	}
}

func Test4688MappingDoesNotMutate(t *testing.T) {
	rs := loadTestRules(t)
	e := ev("Security", 4688, "NewProcessName", `C:\Users\Public\7za.exe`, "ProcessId", "0x1f")
	before := e.Clone()
	var vals []FieldValue
	rs.Match(e, func(m *Match) { vals = append(vals, m.Values...) })
	if !slices.Equal(e.Fields, before.Fields) {
		t.Errorf("event mutated: %v", e.Fields)
	}
	if !slices.Contains(vals, FieldValue{"Image", `C:\Users\Public\7za.exe`}) {
		t.Errorf("explanation %v lacks mapped Image", vals)
	}
}

func TestBundledRulepack(t *testing.T) {
	rs, rep := Load(rulepacks.FS, "sigma", LoadOptions{})
	if len(rep.Failed) > 0 || rep.Detection != 3 {
		t.Fatalf("bundled: %d loaded, failed %v", rep.Detection, rep.Failed)
	}
	for _, tc := range []struct {
		ev   *parsers.Event
		want string
	}{
		{ev("Security", 4688, "NewProcessName", `C:\Users\Public\7za.exe`), idPanda},
		{ev(sysmonCh, 1, "CommandLine", `cmd.exe /c SYSTEMINFO & TASKLIST`), idZebro},
		{ev(sysmonCh, 3, "Initiated", "true", "DestinationHostname", "a.azurewebsites.net", "Image", `C:\x.exe`), idAzure},
	} {
		if got := hits(rs, tc.ev); !slices.Equal(got, []string{tc.want}) {
			t.Errorf("%v: hits %v, want %s", tc.ev.Fields, got, tc.want)
		}
	}
	for _, e := range []*parsers.Event{
		ev(sysmonCh, 3, "Initiated", "true", "DestinationHostname", "a.azurewebsites.net"),
		ev(sysmonCh, 3, "Initiated", "true", "DestinationHostname", "a.azurewebsites.net", "Image", ""),
		ev(sysmonCh, 3, "Initiated", "true", "DestinationHostname", "a.azurewebsites.net", "Image", `C:\Program Files\Google\Chrome\Application\chrome.exe`),
	} {
		if got := hits(rs, e); len(got) != 0 {
			t.Errorf("%v: unexpected hits %v", e.Fields, got)
		}
	}
}

func TestMatchConcurrent(t *testing.T) {
	rs := loadTestRules(t)
	evs := []*parsers.Event{
		ev("Security", 4688, "NewProcessName", `C:\Users\Public\7za.exe`, "ProcessId", "0x10"),
		ev(sysmonCh, 3, "Initiated", "true", "DestinationHostname", "a.azurewebsites.net", "Image", `C:\x.exe`),
		ev(sysmonCh, 1, "CommandLine", `cmd.exe /c SYSTEMINFO & TASKLIST`),
	}
	done := make(chan int)
	for g := 0; g < 4; g++ {
		go func() {
			n := 0
			for i := 0; i < 300; i++ {
				rs.Match(evs[i%len(evs)], func(*Match) { n++ })
			}
			done <- n
		}()
	}
	for g := 0; g < 4; g++ {
		if n := <-done; n != 300 {
			t.Errorf("goroutine saw %d hits, want 300", n)
		}
	}
}
