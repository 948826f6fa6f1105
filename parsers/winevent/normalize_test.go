package winevent

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/loghunt/loghunt/parsers"
)

func TestParseUtcTime(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want time.Time
		ok   bool
	}{
		{"2024-05-01 08:30:15.250", time.Date(2024, 5, 1, 8, 30, 15, 250e6, time.UTC), true},
		{"2024-05-01 08:30:15", time.Date(2024, 5, 1, 8, 30, 15, 0, time.UTC), true},
		{"2024-05-01T08:30:15.1234567Z", time.Date(2024, 5, 1, 8, 30, 15, 123456700, time.UTC), true},
		{"2024-05-01 08:30:15.123456789", time.Date(2024, 5, 1, 8, 30, 15, 123456789, time.UTC), true},
		{"2024-05-01 08:30:15.1234567890", time.Time{}, false}, // 10 digits
		{"2024-05-01 08:30:15.", time.Time{}, false},
		{"2024-05-01 08:30:15+02:00", time.Time{}, false}, // UtcTime has no zone
		{"2024-02-30 08:30:15", time.Time{}, false},
		{"2024-05-01 24:00:00", time.Time{}, false},
		{"2024-05-01", time.Time{}, false},
		{"", time.Time{}, false},
	} {
		got, ok := ParseUtcTime(tt.in)
		if ok != tt.ok || !got.Equal(tt.want) {
			t.Errorf("ParseUtcTime(%q) = %v, %v; want %v, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
	if n := testing.AllocsPerRun(100, func() { ParseUtcTime("2024-05-01 08:30:15.250") }); n != 0 {
		t.Errorf("ParseUtcTime allocates %v times", n)
	}
}

func TestNormalizeTime(t *testing.T) {
	recorded := time.Date(2024, 5, 1, 10, 30, 15, 0, time.UTC) // local time taken as UTC
	utc := time.Date(2024, 5, 1, 8, 30, 15, 250e6, time.UTC)
	for _, tt := range []struct {
		name              string
		channel, provider string
		utcTime           string
		want              time.Time
	}{
		{"sysmon by channel", Sysmon, "", "2024-05-01 08:30:15.250", utc},
		{"sysmon by provider", "ForwardedEvents", SysmonProvider, "2024-05-01 08:30:15.250", utc},
		{"sysmon, unreadable UtcTime", Sysmon, SysmonProvider, "yesterday", recorded},
		{"not sysmon", Security, SecurityProvider, "2024-05-01 08:30:15.250", recorded},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ev := &parsers.Event{Time: recorded, Channel: tt.channel, Provider: tt.provider,
				Fields: []parsers.Field{{Name: "UtcTime", Value: tt.utcTime}}}
			Normalize(ev)
			if !ev.Time.Equal(tt.want) {
				t.Errorf("time %v, want %v", ev.Time, tt.want)
			}
		})
	}
	ev := &parsers.Event{Time: recorded, Channel: Sysmon}
	Normalize(ev)
	if !ev.Time.Equal(recorded) {
		t.Errorf("a Sysmon event without UtcTime keeps its time, got %v", ev.Time)
	}
}

func TestNormalizeDefenderNames(t *testing.T) {
	ev := &parsers.Event{Channel: Defender, Fields: []parsers.Field{
		{Name: "Threat Name", Value: "HackTool:Win32/Mimikatz"}, {Name: "Process Name", Value: `C:\x.exe`},
		{Name: "Source Name", Value: "AMSI"}, {Name: "Detection User", Value: `CORP\alice`},
		{Name: "Feature Name", Value: "%%886"}, {Name: "Some New Field", Value: "1"}, {Name: "Path", Value: "p"},
	}}
	Normalize(ev)
	want := []string{"ThreatName", "ProcessName", "SourceName", "DetectionUser", "Feature_Name", "SomeNewField", "Path"}
	for i, f := range ev.Fields {
		if f.Name != want[i] {
			t.Errorf("field %d: %q, want %q", i, f.Name, want[i])
		}
	}
	// Other channels keep their names.
	ev = &parsers.Event{Channel: "Microsoft-Windows-Shell-Core/Operational", Fields: []parsers.Field{{Name: "Failure reason", Value: "x"}}}
	Normalize(ev)
	if ev.Fields[0].Name != "Failure reason" {
		t.Errorf("renamed on another channel: %q", ev.Fields[0].Name)
	}
	if got := DataName("microsoft-windows-windows defender/operational", "Threat Name"); got != "ThreatName" {
		t.Errorf("channels compare case-insensitively: %q", got)
	}
}

// TestNewProcessAccount: the account of 4688's new process, computed by
// hand from the 4688 documentation's field meanings and Sysmon's User.
func TestNewProcessAccount(t *testing.T) {
	for _, tt := range []struct {
		name   string
		fields map[string]string
		want   ProcessAccount
	}{
		{"service started by the machine account, no target",
			map[string]string{"SubjectUserSid": "S-1-5-18", "SubjectUserName": "HOST$", "SubjectDomainName": "WORKGROUP",
				"SubjectLogonId": "0x3e7", "TargetUserSid": "S-1-0-0", "TargetUserName": "-", "TargetDomainName": "-", "TargetLogonId": "0x0"},
			ProcessAccount{Domain: "NT AUTHORITY", Name: "SYSTEM", SID: "S-1-5-18", LogonID: "0x3e7"}},
		{"machine account subject, SYSTEM target",
			map[string]string{"SubjectUserSid": "S-1-5-21-1-2-3-1000", "SubjectUserName": "HOST$", "SubjectDomainName": "CORP",
				"SubjectLogonId": "0x3e7", "TargetUserSid": "S-1-5-18", "TargetUserName": "SYSTEM", "TargetDomainName": "NT AUTHORITY", "TargetLogonId": "0x3E7"},
			ProcessAccount{Domain: "NT AUTHORITY", Name: "SYSTEM", SID: "S-1-5-18", LogonID: "0x3E7"}},
		{"machine account target in the network service session",
			map[string]string{"SubjectUserName": "alice", "SubjectDomainName": "CORP", "SubjectLogonId": "0x1a2b3",
				"TargetUserName": "HOST$", "TargetDomainName": "CORP", "TargetLogonId": "0x3e4"},
			ProcessAccount{Domain: "NT AUTHORITY", Name: "NETWORK SERVICE", SID: "S-1-5-20", LogonID: "0x3e4"}},
		{"local service by SID only (no logon ids, event version 0)",
			map[string]string{"SubjectUserSid": "S-1-5-19", "SubjectUserName": "LOCAL SERVICE", "SubjectDomainName": "NT AUTHORITY"},
			ProcessAccount{Domain: "NT AUTHORITY", Name: "LOCAL SERVICE", SID: "S-1-5-19"}},
		{"runas: a user target",
			map[string]string{"SubjectUserSid": "S-1-5-21-1-2-3-1001", "SubjectUserName": "alice", "SubjectDomainName": "CORP",
				"SubjectLogonId": "0x1a2b3", "TargetUserSid": "S-1-5-21-1-2-3-500", "TargetUserName": "Administrator", "TargetDomainName": "CORP", "TargetLogonId": "0x5a1f0"},
			ProcessAccount{Domain: "CORP", Name: "Administrator", SID: "S-1-5-21-1-2-3-500", LogonID: "0x5a1f0"}},
		{"a user running as itself",
			map[string]string{"SubjectUserSid": "S-1-5-21-1-2-3-1001", "SubjectUserName": "alice", "SubjectDomainName": "CORP",
				"SubjectLogonId": "0x1a2b3", "TargetUserSid": "S-1-0-0", "TargetUserName": "-", "TargetDomainName": "-", "TargetLogonId": "0x0"},
			ProcessAccount{Domain: "CORP", Name: "alice", SID: "S-1-5-21-1-2-3-1001", LogonID: "0x1a2b3"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := NewProcessAccount(func(n string) string { return tt.fields[n] })
			if got != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
	if u := (ProcessAccount{Domain: "NT AUTHORITY", Name: "SYSTEM"}).User(); u != `NT AUTHORITY\SYSTEM` {
		t.Errorf("User() = %q", u)
	}
}

func TestClassicPowerShellData(t *testing.T) {
	msg400 := "Engine state is changed from None to Available. \r\n\r\nDetails: \r\n\tNewEngineState=Available\r\n\tPreviousEngineState=None\r\n\r\n\tHostName=ConsoleHost\r\n\tEngineVersion=2.0\r\n"
	msg800 := "Pipeline execution details for command line: Get-Date\r\n\r\nContext Information: \r\n\tDetailSequence=1\r\n\tHostApplication=powershell.exe\r\n\r\nDetails: \r\nCommandInvocation(Get-Date): \"Get-Date\"\r\n"
	for _, tt := range []struct {
		msg, want string
		ok        bool
	}{
		{msg400, "NewEngineState=Available\r\n\tPreviousEngineState=None\r\n\r\n\tHostName=ConsoleHost\r\n\tEngineVersion=2.0", true},
		{msg800, "DetailSequence=1\r\n\tHostApplication=powershell.exe\r\n\r\nDetails: \r\nCommandInvocation(Get-Date): \"Get-Date\"", true},
		{"Engine state is changed.", "", false},
		{"Details:   ", "", false},
	} {
		got, ok := ClassicPowerShellData(tt.msg)
		if got != tt.want || ok != tt.ok {
			t.Errorf("ClassicPowerShellData(%q) = %q, %v; want %q, %v", tt.msg, got, ok, tt.want, tt.ok)
		}
	}
	ev := &parsers.Event{Channel: "windows powershell", Fields: []parsers.Field{{Name: "Message", Value: msg400}}}
	Normalize(ev)
	if d, _ := ev.Get("Data"); d == "" {
		t.Error("a flat 400 without Data gets none")
	}
	ev = &parsers.Event{Channel: WindowsPowerShell, Fields: []parsers.Field{{Name: "Data", Value: "Available"}, {Name: "Message", Value: msg400}}}
	Normalize(ev)
	if got := ev.Values(nil, "Data"); len(got) != 1 {
		t.Errorf("an event with Data keeps it alone, got %q", got)
	}
}

// TestServiceChannelsAsWindowsWrites: the services whose SigmaHQ
// spellings are not channel names route to the names Windows writes.
func TestServiceChannelsAsWindowsWrites(t *testing.T) {
	for svc, want := range map[string][]string{
		"dns-client":           {"Microsoft-Windows-DNS-Client/Operational"},
		"security-mitigations": {"Microsoft-Windows-Security-Mitigations/KernelMode", "Microsoft-Windows-Security-Mitigations/UserMode"},
		"openssh":              {"OpenSSH/Operational"},
	} {
		got := ChannelsOfService(svc)
		if strings.Join(got, "|") != strings.Join(want, "|") {
			t.Errorf("%s routes to %q, want %q", svc, got, want)
		}
	}
}

// TestProcessKey: Sysmon 1 and Security 4688 of one process creation give
// one key (hex and decimal ids, image and computer case); another process
// does not.
func TestProcessKey(t *testing.T) {
	sysmon1 := &parsers.Event{Channel: Sysmon, Provider: SysmonProvider, EventID: 1, Computer: "WS01.corp.local",
		Fields: []parsers.Field{{Name: "ProcessId", Value: "500"}, {Name: "Image", Value: `C:\Windows\System32\tscon.exe`}}}
	sec4688 := &parsers.Event{Channel: Security, Provider: SecurityProvider, EventID: 4688, Computer: "ws01.CORP.local",
		Fields: []parsers.Field{{Name: "NewProcessId", Value: "0x1f4"}, {Name: "NewProcessName", Value: `C:\WINDOWS\system32\tscon.exe`},
			{Name: "ProcessId", Value: "0x270"}}}
	k := ProcessKey(sysmon1)
	if len(k) != 16 || strings.Trim(k, "0123456789abcdef") != "" {
		t.Fatalf("key %q is not 16 hex digits", k)
	}
	if k2 := ProcessKey(sec4688); k2 != k {
		t.Errorf("4688 key %q, Sysmon 1 key %q", k2, k)
	}
	sysmon3 := &parsers.Event{Channel: Sysmon, EventID: 3, Computer: "WS01.corp.local",
		Fields: []parsers.Field{{Name: "ProcessId", Value: "500"}, {Name: "Image", Value: `C:\Windows\System32\tscon.exe`}, {Name: "DestinationPort", Value: "445"}}}
	if ProcessKey(sysmon3) != k {
		t.Error("a connection of the process has another key")
	}
	for name, ev := range map[string]*parsers.Event{
		"other pid":      {Channel: Sysmon, Computer: "WS01.corp.local", Fields: []parsers.Field{{Name: "ProcessId", Value: "501"}, {Name: "Image", Value: `C:\Windows\System32\tscon.exe`}}},
		"other computer": {Channel: Sysmon, Computer: "WS02.corp.local", Fields: []parsers.Field{{Name: "ProcessId", Value: "500"}, {Name: "Image", Value: `C:\Windows\System32\tscon.exe`}}},
		"4688 parent id": {Channel: Security, EventID: 4688, Computer: "WS01.corp.local", Fields: []parsers.Field{{Name: "NewProcessId", Value: "0x270"}, {Name: "NewProcessName", Value: `C:\Windows\System32\tscon.exe`}}},
	} {
		if ProcessKey(ev) == k {
			t.Errorf("%s: same key", name)
		}
	}
	for name, ev := range map[string]*parsers.Event{
		"no image":    {Channel: Sysmon, Fields: []parsers.Field{{Name: "ProcessId", Value: "500"}}},
		"bad pid":     {Channel: Sysmon, Fields: []parsers.Field{{Name: "ProcessId", Value: "x"}, {Name: "Image", Value: "a"}}},
		"4624":        {Channel: Security, EventID: 4624, Fields: []parsers.Field{{Name: "ProcessId", Value: "0x1"}, {Name: "ProcessName", Value: "a"}}},
		"application": {Channel: "Application", Fields: []parsers.Field{{Name: "ProcessId", Value: "1"}, {Name: "Image", Value: "a"}}},
	} {
		if k := ProcessKey(ev); k != "" {
			t.Errorf("%s: key %q, want none", name, k)
		}
	}
}

// TestProcessKeyFields: an event slimmed to ProcessKeyFields (and its core
// fields) keeps its key, for Sysmon, 4688 and 4689, with other fields
// around; slimmed without them, the key is gone.
func TestProcessKeyFields(t *testing.T) {
	noise := []parsers.Field{{Name: "CommandLine", Value: "x"}, {Name: "User", Value: "y"}}
	for name, ev := range map[string]*parsers.Event{
		"sysmon": {Channel: Sysmon, EventID: 1, Computer: "WS01", Fields: append([]parsers.Field{{Name: "ProcessId", Value: "500"}, {Name: "Image", Value: `C:\a.exe`}}, noise...)},
		"4688":   {Channel: Security, EventID: 4688, Fields: append([]parsers.Field{{Name: "NewProcessId", Value: "0x1f4"}, {Name: "NewProcessName", Value: `C:\a.exe`}, {Name: "Computer", Value: "WS01"}}, noise...)},
		"4689":   {Channel: Security, EventID: 4689, Computer: "WS01", Fields: append([]parsers.Field{{Name: "ProcessId", Value: "0x1f4"}, {Name: "ProcessName", Value: `C:\a.exe`}}, noise...)},
	} {
		want := ProcessKey(ev)
		if want == "" {
			t.Fatalf("%s: no key to keep", name)
		}
		keep := ProcessKeyFields()
		slim, none := *ev, *ev
		slim.Fields, none.Fields = nil, nil
		for _, f := range ev.Fields {
			if slices.Contains(keep, f.Name) {
				slim.Fields = append(slim.Fields, f)
			} else {
				none.Fields = append(none.Fields, f)
			}
		}
		if got := ProcessKey(&slim); got != want {
			t.Errorf("%s: slimmed key %q, want %q", name, got, want)
		}
		if got := ProcessKey(&none); got != "" {
			t.Errorf("%s: key %q without the process fields", name, got)
		}
	}
}
