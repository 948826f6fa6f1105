package schema

import (
	"reflect"
	"testing"
	"time"

	"github.com/loghunt/loghunt/parsers"
)

// other builds an event of a channel that is neither Sysmon nor Security.
func other(channel, provider string, id uint32, rec uint64, at time.Time, kv ...string) *parsers.Event {
	ev := &parsers.Event{Time: at, Computer: "WS01.corp.local", Channel: channel, Provider: provider, EventID: id,
		RecordID: rec, Source: parsers.Source{Path: "other.evtx", Offset: int64(rec) * 100}}
	for i := 0; i+1 < len(kv); i += 2 {
		ev.Fields = append(ev.Fields, parsers.Field{Name: kv[i], Value: kv[i+1]})
	}
	return ev
}

func checkRow(t *testing.T, got, want map[string]any) {
	t.Helper()
	for k, v := range want {
		if !reflect.DeepEqual(got[k], v) {
			t.Errorf("%s = %#v, want %#v", k, got[k], v)
		}
	}
}

func TestDeviceLogonEvents(t *testing.T) {
	const tbl = "DeviceLogonEvents"
	tests := []struct {
		name string
		ev   *parsers.Event
		want map[string]any
	}{
		{"4624 network logon", security(4624, 1, t0, "SubjectUserSid", "S-1-0-0", "SubjectUserName", "-", "SubjectDomainName", "-",
			"SubjectLogonId", "0x0", "TargetUserSid", "S-1-5-21-1-2-3-1105", "TargetUserName", "bob", "TargetDomainName", "CORP",
			"TargetLogonId", "0x1a2b3c", "LogonType", "3", "LogonProcessName", "NtLmSsp ", "AuthenticationPackageName", "NTLM",
			"WorkstationName", "KALI", "ProcessId", "0x0", "ProcessName", "-", "IpAddress", "::ffff:10.1.2.3", "IpPort", "51515"),
			map[string]any{"ActionType": "LogonSuccess", "LogonType": "Network", "AccountName": "bob", "AccountDomain": "CORP",
				"AccountSid": "S-1-5-21-1-2-3-1105", "LogonId": int64(0x1a2b3c), "RemoteIP": "10.1.2.3", "RemoteIPType": "Private",
				"RemotePort": int64(51515), "RemoteDeviceName": "KALI", "Protocol": "NTLM", "FailureReason": "",
				"InitiatingProcessAccountName": "", "InitiatingProcessId": nil, "InitiatingProcessFileName": "",
				"DeviceName": "dc01.corp.local", "Timestamp": t0, "ReportId": int64(1)}},
		{"4625 bad password", security(4625, 2, t0, "SubjectUserSid", "S-1-5-18", "SubjectUserName", "WS01$", "SubjectDomainName", "CORP",
			"SubjectLogonId", "0x3e7", "TargetUserSid", "S-1-0-0", "TargetUserName", "alice", "TargetDomainName", "CORP",
			"Status", "0xC000006D", "FailureReason", "%%2313", "SubStatus", "0xC000006A", "LogonType", "10",
			"ProcessId", "0x2f0", "ProcessName", `C:\Windows\System32\svchost.exe`, "IpAddress", "203.0.113.9", "IpPort", "0"),
			map[string]any{"ActionType": "LogonFailed", "LogonType": "RemoteInteractive", "AccountName": "alice", "AccountSid": "",
				"FailureReason": "WrongPassword", "RemoteIP": "203.0.113.9", "RemoteIPType": "Public", "RemotePort": nil,
				"InitiatingProcessFileName": "svchost.exe", "InitiatingProcessId": int64(0x2f0), "InitiatingProcessAccountName": "WS01$",
				"InitiatingProcessLogonId": int64(0x3e7)}},
		{"4625 unknown user", security(4625, 3, t0, "TargetUserName", "nobody", "Status", "0xc000006d", "SubStatus", "0xc0000064", "LogonType", "3"),
			map[string]any{"ActionType": "LogonFailed", "FailureReason": "UnknownUser"}},
		{"4625 locked out", security(4625, 4, t0, "TargetUserName", "carol", "Status", "0xc0000234", "SubStatus", "0x0", "LogonType", "2"),
			map[string]any{"FailureReason": "AccountLocked", "LogonType": "Interactive"}},
		{"4634 logoff", security(4634, 5, t0, "TargetUserSid", "S-1-5-7", "TargetUserName", "ANONYMOUS LOGON",
			"TargetDomainName", "NT AUTHORITY", "TargetLogonId", "0x1d12916", "LogonType", "3"),
			map[string]any{"ActionType": "Logoff", "LogonType": "Network", "AccountName": "ANONYMOUS LOGON", "AccountSid": "S-1-5-7",
				"LogonId": int64(0x1d12916)}},
		{"4647 user logoff", security(4647, 6, t0, "TargetUserSid", "S-1-5-21-1-2-3-1001", "TargetUserName", "alice",
			"TargetDomainName", "CORP", "TargetLogonId", "0x5a5a"),
			map[string]any{"ActionType": "Logoff", "LogonType": "", "AccountName": "alice", "LogonId": int64(0x5a5a)}},
		{"4648 explicit credentials", security(4648, 7, t0, "SubjectUserSid", "S-1-5-21-1-2-3-1001", "SubjectUserName", "alice",
			"SubjectDomainName", "CORP", "SubjectLogonId", "0x5a5a", "TargetUserName", "admin", "TargetDomainName", "CORP",
			"TargetServerName", "fs01.corp.local", "ProcessId", "0x4d2", "ProcessName", `C:\Windows\System32\runas.exe`,
			"IpAddress", "-", "IpPort", "-"),
			map[string]any{"ActionType": "LogonAttempted", "AccountName": "admin", "AccountDomain": "CORP", "LogonId": nil,
				"RemoteDeviceName": "fs01.corp.local", "RemoteIP": "", "InitiatingProcessFileName": "runas.exe",
				"InitiatingProcessFolderPath": `C:\Windows\System32\runas.exe`, "InitiatingProcessId": int64(1234),
				"InitiatingProcessAccountName": "alice", "InitiatingProcessAccountSid": "S-1-5-21-1-2-3-1001"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkRow(t, rowMap(t, build(t, []string{tbl}, tt.ev), tbl, 0), tt.want)
		})
	}
	// Events that are not logons make no rows.
	c := build(t, []string{tbl}, security(4672, 9, t0, "SubjectUserName", "alice"), security(4688, 10, t0, "NewProcessName", `C:\a.exe`))
	if tab, _ := c.Table(tbl, nil); len(tab.Rows) != 0 {
		t.Errorf("%d rows from non-logon events", len(tab.Rows))
	}
}

func TestIdentityLogonEvents(t *testing.T) {
	const tbl = "IdentityLogonEvents"
	tests := []struct {
		name string
		ev   *parsers.Event
		want map[string]any
	}{
		{"4768 unknown principal", security(4768, 1, t0, "TargetUserName", "HD01", "TargetDomainName", "CORP.LOCAL", "TargetSid", "S-1-0-0",
			"ServiceName", "krbtgt/CORP.LOCAL", "ServiceSid", "S-1-0-0", "TicketOptions", "0x10", "Status", "0x6",
			"TicketEncryptionType", "0xffffffff", "PreAuthType", "-", "IpAddress", "::ffff:172.16.66.1", "IpPort", "55961"),
			map[string]any{"ActionType": "LogonFailed", "Protocol": "Kerberos", "LogonType": "Credentials validation",
				"FailureReason": "UnknownUser", "AccountName": "HD01", "AccountDomain": "CORP.LOCAL", "AccountSid": "",
				"IPAddress": "172.16.66.1", "Port": "55961", "DestinationDeviceName": "dc01.corp.local", "Application": "Active Directory",
				"ReportId": "1", "Timestamp": t0,
				"AdditionalFields": map[string]any{"ServiceName": "krbtgt/CORP.LOCAL", "TicketEncryptionType": "0xffffffff",
					"TicketOptions": "0x10", "Status": "0x6"}}},
		{"4769 service ticket", security(4769, 2, t0, "TargetUserName", "lgrove@CORP.LOCAL", "TargetDomainName", "CORP.LOCAL",
			"ServiceName", "WS01$", "Status", "0x0", "TicketEncryptionType", "0x12", "IpAddress", "::ffff:172.16.66.19", "IpPort", "50612"),
			map[string]any{"ActionType": "LogonSuccess", "LogonType": "Resource access", "AccountName": "lgrove",
				"AccountUpn": "lgrove@corp.local", "FailureReason": "", "IPAddress": "172.16.66.19"}},
		{"4768 bad password", security(4768, 3, t0, "TargetUserName", "bob", "Status", "0x18"),
			map[string]any{"ActionType": "LogonFailed", "FailureReason": "WrongPassword"}},
		{"4776 ntlm", security(4776, 4, t0, "PackageName", "MICROSOFT_AUTHENTICATION_PACKAGE_V1_0", "TargetUserName", "Administrator",
			"Workstation", "WS02", "Status", "0xc000006a"),
			map[string]any{"ActionType": "LogonFailed", "Protocol": "Ntlm", "LogonType": "Credentials validation",
				"FailureReason": "WrongPassword", "AccountName": "Administrator", "DeviceName": "WS02"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkRow(t, rowMap(t, build(t, []string{tbl}, tt.ev), tbl, 0), tt.want)
		})
	}
}

func TestDeviceEvents(t *testing.T) {
	const tbl = "DeviceEvents"
	tests := []struct {
		name string
		ev   *parsers.Event
		want map[string]any
	}{
		{"sysmon 8", sysmon(8, 1, t0, "UtcTime", "2024-05-01 10:00:00.000", "SourceProcessGuid", "{11111111-0000-0000-0000-000000000001}",
			"SourceProcessId", "2920", "SourceImage", `C:\Users\a\WINWORD.exe`, "TargetProcessGuid", "{11111111-0000-0000-0000-000000000002}",
			"TargetProcessId", "840", "TargetImage", `C:\Windows\System32\notepad.exe`, "NewThreadId", "3608",
			"StartAddress", "0x0000000002FF0000", "StartModule", "", "StartFunction", "", "SourceUser", `CORP\alice`, "TargetUser", `CORP\bob`),
			map[string]any{"ActionType": "CreateRemoteThreadApiCall", "InitiatingProcessFileName": "WINWORD.exe",
				"InitiatingProcessId": int64(2920), "InitiatingProcessAccountName": "alice", "FileName": "notepad.exe",
				"FolderPath": `C:\Windows\System32\notepad.exe`, "ProcessId": int64(840), "AccountName": "bob", "AccountDomain": "CORP",
				"AdditionalFields": `{"StartAddress":"0x0000000002FF0000","NewThreadId":3608,"TargetProcessGuid":"{11111111-0000-0000-0000-000000000002}"}`,
				"DeviceName":       "ws01.corp.local", "Timestamp": t0}},
		{"sysmon 10", sysmon(10, 2, t0, "UtcTime", "2024-05-01 10:00:00.000", "SourceProcessGUID", "{A}", "SourceProcessId", "2992",
			"SourceImage", `C:\x\NvSmart.exe`, "TargetProcessGUID", "{B}", "TargetProcessId", "680",
			"TargetImage", `C:\Windows\system32\lsass.exe`, "GrantedAccess", "0x1fffff", "CallTrace", "ntdll.dll+4534c"),
			map[string]any{"ActionType": "OpenProcessApiCall", "InitiatingProcessFileName": "NvSmart.exe", "FileName": "lsass.exe",
				"ProcessId":        int64(680),
				"AdditionalFields": `{"DesiredAccess":2097151,"GrantedAccess":"0x1fffff","CallTrace":"ntdll.dll+4534c","TargetProcessGuid":"{B}"}`}},
		{"sysmon 22", sysmon(22, 3, t0, "UtcTime", "2024-05-01 10:00:00.000", "ProcessGuid", "{C}", "ProcessId", "2428",
			"QueryName", "wpad", "QueryStatus", "9003", "QueryResults", "-", "Image", `C:\Windows\System32\svchost.exe`),
			map[string]any{"ActionType": "DnsQueryResponse", "InitiatingProcessFileName": "svchost.exe", "InitiatingProcessId": int64(2428),
				"AdditionalFields": `{"DnsQueryString":"wpad","DnsQueryStatus":"9003"}`}},
		{"defender 1116 spaced", other("Microsoft-Windows-Windows Defender/Operational", "Microsoft-Windows-Windows Defender", 1116, 4, t0,
			"Threat Name", "Trojan:PowerShell/Powersploit.M", "Severity Name", "Severe", "Category Name", "Trojan",
			"Process Name", `C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe`, "Detection User", `WS01\alice`,
			"Path", `file:_C:\AtomicRedTeam\Get-Keystrokes.ps1`),
			map[string]any{"ActionType": "AntivirusDetection", "FileName": "Get-Keystrokes.ps1", "FolderPath": `C:\AtomicRedTeam\Get-Keystrokes.ps1`,
				"InitiatingProcessFileName": "powershell.exe", "AccountName": "alice", "AccountDomain": "WS01",
				"AdditionalFields": `{"ThreatName":"Trojan:PowerShell/Powersploit.M","WasRemediated":false,"Severity":"Severe","Category":"Trojan","ResourcePath":"file:_C:\\AtomicRedTeam\\Get-Keystrokes.ps1"}`}},
		{"defender 1117 renamed", other("Microsoft-Windows-Windows Defender/Operational", "Microsoft-Windows-Windows Defender", 1117, 5, t0,
			"ThreatName", "HackTool:Win32/Mimikatz", "DetectionUser", `CORP\bob`, "Path", `containerfile:_C:\a.zip; file:_C:\a.zip->m.exe`),
			map[string]any{"ActionType": "AntivirusDetection", "FolderPath": `C:\a.zip->m.exe`, "AccountName": "bob",
				"AdditionalFields": `{"ThreatName":"HackTool:Win32/Mimikatz","WasRemediated":true,"ResourcePath":"containerfile:_C:\\a.zip; file:_C:\\a.zip->m.exe"}`}},
		{"powershell 4104", other("Microsoft-Windows-PowerShell/Operational", "Microsoft-Windows-PowerShell", 4104, 6, t0,
			"ProcessID", "7008", "Security_UserID", "S-1-5-21-1-2-3-1001", "MessageNumber", "1", "MessageTotal", "1",
			"ScriptBlockText", "Get-Process lsass", "ScriptBlockId", "abc", "Path", ""),
			map[string]any{"ActionType": "PowerShellCommand", "InitiatingProcessId": int64(7008), "AccountSid": "S-1-5-21-1-2-3-1001",
				"AdditionalFields": `{"Command":"Get-Process lsass","ScriptBlockId":"abc","MessageNumber":1,"MessageTotal":1}`}},
		{"system 7045", other("System", "Service Control Manager", 7045, 7, t0, "Security_UserID", "S-1-5-21-1-2-3-1108",
			"ServiceName", "PSEXESVC", "ImagePath", `%SystemRoot%\PSEXESVC.exe`, "ServiceType", "user mode service",
			"StartType", "demand start", "AccountName", "LocalSystem"),
			map[string]any{"ActionType": "ServiceInstalled", "FileName": "PSEXESVC.exe", "FolderPath": `%SystemRoot%\PSEXESVC.exe`,
				"AdditionalFields": `{"ServiceName":"PSEXESVC","ServiceType":"user mode service","ServiceStartType":"demand start","ServiceAccount":"LocalSystem"}`}},
		{"security 4697", security(4697, 8, t0, "SubjectUserSid", "S-1-5-18", "SubjectUserName", "DC01$", "SubjectDomainName", "CORP",
			"SubjectLogonId", "0x3e7", "ServiceName", "evil", "ServiceFileName", `C:\Temp\evil.exe`, "ServiceType", "0x10",
			"ServiceStartType", "3", "ServiceAccount", "LocalSystem"),
			map[string]any{"ActionType": "ServiceInstalled", "FileName": "evil.exe", "AccountName": "DC01$", "AccountSid": "S-1-5-18",
				"InitiatingProcessLogonId": int64(0x3e7),
				"AdditionalFields":         `{"ServiceName":"evil","ServiceType":"0x10","ServiceStartType":"3","ServiceAccount":"LocalSystem"}`}},
		{"security 4698", security(4698, 9, t0, "SubjectUserSid", "S-1-5-21-1-2-3-500", "SubjectUserName", "Administrator",
			"SubjectDomainName", "CORP", "SubjectLogonId", "0x17e2d2", "TaskName", `\CYAlyNSS`, "TaskContent", "<Task/>"),
			map[string]any{"ActionType": "ScheduledTaskCreated", "AccountName": "Administrator",
				"AdditionalFields": `{"TaskName":"\\CYAlyNSS","TaskContent":"<Task/>"}`}},
		{"security 4720", security(4720, 10, t0, "TargetUserName", "administrator1", "TargetDomainName", "WS01",
			"TargetSid", "S-1-5-21-1-2-3-1010", "SubjectUserName", "alice"),
			map[string]any{"ActionType": "UserAccountCreated", "AccountName": "administrator1", "AccountDomain": "WS01",
				"AccountSid": "S-1-5-21-1-2-3-1010", "InitiatingProcessAccountName": "alice"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkRow(t, rowMap(t, build(t, []string{tbl}, tt.ev), tbl, 0), tt.want)
		})
	}
}

func TestDeviceInfo(t *testing.T) {
	const tbl = "DeviceInfo"
	evs := []*parsers.Event{
		security(4624, 1, t0.Add(time.Minute), "TargetUserName", "a"),          // DC01.corp.local
		security(4634, 2, t0.Add(3*time.Minute), "TargetUserName", "a"),        // DC01.corp.local, newest
		proc1(3, t0, "{A}", `C:\a.exe`, "{B}", `C:\b.exe`),                     // WS01.Corp.Local
		other("System", "Service Control Manager", 7036, 4, t0.Add(time.Hour)), // WS01.corp.local, newest
	}
	for _, workers := range []int{1, 3} {
		ws := []*Builder{}
		for i := 0; i < workers; i++ {
			ws = append(ws, NewBuilder(Options{Tables: []string{tbl}}))
		}
		for i, ev := range evs {
			ws[i%workers].Add(ev)
		}
		for _, w := range ws[1:] {
			ws[0].Merge(w)
		}
		c := ws[0].Finish()
		tab, _ := c.Table(tbl, nil)
		if len(tab.Rows) != 2 {
			t.Fatalf("%d workers: %d rows, want one per computer (2)", workers, len(tab.Rows))
		}
		checkRow(t, rowMap(t, c, tbl, 0), map[string]any{"DeviceName": "dc01.corp.local", "Timestamp": t0.Add(3 * time.Minute),
			"DeviceId": deviceID("dc01.corp.local"), "ReportId": int64(2)})
		checkRow(t, rowMap(t, c, tbl, 1), map[string]any{"DeviceName": "ws01.corp.local", "Timestamp": t0.Add(time.Hour),
			"DeviceId": deviceID("ws01.corp.local"), "ReportId": int64(4)})
		if o, ok := c.Origin(tab.Rows[1]); !ok || o.RecordID != 4 || o.Source.Path != "other.evtx" {
			t.Errorf("origin of ws01's row = %+v, %v", o, ok)
		}
	}
}

// TestFirewall5158ProcessID: 5158 writes the application's process id as
// "ProcessId"; the System block's "ProcessID" (4, the kernel) must not
// stand in for it.
func TestFirewall5158ProcessID(t *testing.T) {
	ev := security(5158, 1, t0, "ProcessID", "4", "ProcessId", "1280",
		"Application", `\device\harddiskvolume1\windows\system32\svchost.exe`, "SourceAddress", "0.0.0.0",
		"SourcePort", "55355", "Protocol", "17", "FilterRTID", "0", "LayerName", "%%14608", "LayerRTID", "36")
	c := build(t, []string{"DeviceNetworkEvents", "imNetworkSession"}, ev)
	checkRow(t, rowMap(t, c, "DeviceNetworkEvents", 0), map[string]any{"ActionType": "ListeningConnectionCreated",
		"InitiatingProcessId": int64(1280), "InitiatingProcessFileName": "svchost.exe"})
	// imNetworkSession: 5158 has no Direction, so neither side is the app;
	// the id is still read from ProcessId when there is one.
	if pid := wfpProcessID(&view{src: ev}, 5158); pid != "1280" {
		t.Errorf("wfpProcessID = %q, want 1280", pid)
	}
	// 5156 names it ProcessID, after the System block's.
	ev56 := security(5156, 2, t0, "ProcessID", "4", "ProcessID", "1234", "Direction", "%%14593", "Application", `\device\x.exe`)
	checkRow(t, rowMap(t, build(t, []string{"DeviceNetworkEvents"}, ev56), "DeviceNetworkEvents", 0),
		map[string]any{"InitiatingProcessId": int64(1234)})
}
