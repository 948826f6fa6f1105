package schema

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/loghunt/loghunt/hunt/kql/value"
	"github.com/loghunt/loghunt/parsers"
)

const sysmonChannel = "Microsoft-Windows-Sysmon/Operational"

var t0 = time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC)

// sysmon builds a Sysmon event with the given EventData pairs.
func sysmon(id uint32, rec uint64, at time.Time, kv ...string) *parsers.Event {
	ev := &parsers.Event{Time: at, Computer: "WS01.Corp.Local", Channel: sysmonChannel,
		Provider: "Microsoft-Windows-Sysmon", EventID: id, RecordID: rec,
		Source: parsers.Source{Path: "sysmon.evtx", Offset: int64(rec) * 100}}
	ev.Fields = append(ev.Fields, parsers.Field{Name: "EventID", Value: "1"}, parsers.Field{Name: "Channel", Value: sysmonChannel},
		parsers.Field{Name: "Security_UserID", Value: "S-1-5-18"})
	for i := 0; i+1 < len(kv); i += 2 {
		ev.Fields = append(ev.Fields, parsers.Field{Name: kv[i], Value: kv[i+1]})
	}
	return ev
}

func security(id uint32, rec uint64, at time.Time, kv ...string) *parsers.Event {
	ev := &parsers.Event{Time: at, Computer: "DC01.corp.local", Channel: "Security",
		Provider: "Microsoft-Windows-Security-Auditing", EventID: id, RecordID: rec,
		Source: parsers.Source{Path: "security.evtx", Offset: int64(rec) * 100}}
	for i := 0; i+1 < len(kv); i += 2 {
		ev.Fields = append(ev.Fields, parsers.Field{Name: kv[i], Value: kv[i+1]})
	}
	return ev
}

func proc1(rec uint64, at time.Time, guid, image, parentGUID, parentImage string, extra ...string) *parsers.Event {
	kv := []string{"RuleName", "-", "UtcTime", at.Format("2006-01-02 15:04:05.000"), "ProcessGuid", guid,
		"ProcessId", "4242", "Image", image, "FileVersion", "10.0.1", "Description", "Windows Command Processor",
		"Product", "Microsoft Windows", "Company", "Microsoft Corporation", "OriginalFileName", "Cmd.Exe",
		"CommandLine", image + " /c whoami", "CurrentDirectory", `C:\Windows\system32\`, "User", `CORP\alice`,
		"LogonGuid", "{11111111-0000-0000-0000-000000000000}", "LogonId", "0x3e7", "TerminalSessionId", "1",
		"IntegrityLevel", "High",
		"Hashes", "SHA1=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA,MD5=BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB,SHA256=CCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCC,IMPHASH=DDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDD",
		"ParentProcessGuid", parentGUID, "ParentProcessId", "100", "ParentImage", parentImage,
		"ParentCommandLine", parentImage + " -x", "ParentUser", `CORP\bob`}
	return sysmon(1, rec, at, append(kv, extra...)...)
}

// build runs one builder over events for the named tables.
func build(t *testing.T, tables []string, evs ...*parsers.Event) *Catalog {
	t.Helper()
	b := NewBuilder(Options{Tables: tables})
	for _, ev := range evs {
		b.Add(ev)
	}
	return b.Finish()
}

// rowMap returns row i of a table as a column → cell map.
func rowMap(t *testing.T, c *Catalog, table string, i int) map[string]any {
	t.Helper()
	tab, ok := c.Table(table, nil)
	if !ok {
		t.Fatalf("table %s unknown", table)
	}
	if i >= len(tab.Rows) {
		t.Fatalf("table %s: %d rows, want row %d", table, len(tab.Rows), i)
	}
	m := map[string]any{}
	for j, col := range tab.Columns {
		m[col.Name] = tab.Rows[i][j]
	}
	return m
}

func TestConvert(t *testing.T) {
	net3 := func(initiated string) *parsers.Event {
		return sysmon(3, 20, t0.Add(time.Minute), "RuleName", "-", "UtcTime", "2024-05-01 10:01:00.123",
			"ProcessGuid", "{AAAA0000-1111-2222-3333-444455556666}", "ProcessId", "3000",
			"Image", `C:\Tools\evil.exe`, "User", `CORP\alice`, "Protocol", "tcp", "Initiated", initiated,
			"SourceIsIpv6", "false", "SourceIp", "10.0.0.5", "SourceHostname", "ws01.corp.local", "SourcePort", "50000",
			"SourcePortName", "-", "DestinationIsIpv6", "false", "DestinationIp", "52.1.2.3",
			"DestinationHostname", "x.azurewebsites.net", "DestinationPort", "443", "DestinationPortName", "https")
	}
	tests := []struct {
		name  string
		table string
		ev    *parsers.Event
		want  map[string]any
	}{
		{"sysmon1 DeviceProcessEvents", "DeviceProcessEvents",
			proc1(10, t0, "{AAAA0000-1111-2222-3333-444455556666}", `C:\Windows\System32\cmd.exe`, "{BBBB0000-1111-2222-3333-444455556666}", `C:\Windows\explorer.exe`),
			map[string]any{
				"Timestamp": t0, "TimeGenerated": t0, "DeviceName": "ws01.corp.local", "DeviceId": deviceID("ws01.corp.local"),
				"ActionType": "ProcessCreated", "FileName": "cmd.exe", "FolderPath": `C:\Windows\System32\cmd.exe`,
				"SHA1": strings.Repeat("a", 40), "MD5": strings.Repeat("b", 32), "SHA256": strings.Repeat("c", 64),
				"ProcessId": int64(4242), "ProcessCommandLine": `C:\Windows\System32\cmd.exe /c whoami`,
				"ProcessIntegrityLevel": "High", "ProcessCreationTime": t0, "AccountDomain": "CORP", "AccountName": "alice",
				"LogonId": int64(0x3e7), "InitiatingProcessAccountDomain": "CORP", "InitiatingProcessAccountName": "bob",
				"InitiatingProcessFileName": "explorer.exe", "InitiatingProcessFolderPath": `C:\Windows\explorer.exe`,
				"InitiatingProcessId": int64(100), "InitiatingProcessCommandLine": `C:\Windows\explorer.exe -x`,
				"ProcessVersionInfoCompanyName": "Microsoft Corporation", "ProcessVersionInfoOriginalFileName": "Cmd.Exe",
				"ProcessVersionInfoProductVersion": "10.0.1", "ReportId": int64(10), "FileSize": nil, "AccountSid": "",
				"Type": "DeviceProcessEvents",
			}},
		{"sysmon1 imProcessCreate", "imProcessCreation",
			proc1(10, t0, "{AAAA0000-1111-2222-3333-444455556666}", `C:\Windows\System32\cmd.exe`, "{BBBB0000-1111-2222-3333-444455556666}", `C:\Windows\explorer.exe`),
			map[string]any{
				"TimeGenerated": t0, "EventStartTime": t0, "EventCount": int64(1), "EventVendor": "Microsoft", "EventProduct": "Sysmon",
				"EventSchema": "ProcessEvent", "EventType": "ProcessCreated", "EventResult": "Success", "EventOriginalType": "1",
				"DvcHostname": "WS01.Corp.Local", "TargetProcessName": `C:\Windows\System32\cmd.exe`, "TargetProcessFilename": "Cmd.Exe",
				"CommandLine": `C:\Windows\System32\cmd.exe /c whoami`, "TargetProcessId": "4242",
				"TargetProcessSHA256": strings.Repeat("c", 64), "Hash": strings.Repeat("c", 64), "HashType": "SHA256",
				"TargetProcessIMPHASH": strings.Repeat("d", 32), "TargetUsername": `CORP\alice`, "ActorUsername": `CORP\bob`,
				"ActingProcessName": `C:\Windows\explorer.exe`, "ActingProcessId": "100",
				"ActingProcessGuid": "{BBBB0000-1111-2222-3333-444455556666}", "TargetUserSessionId": "0x3e7",
			}},
		{"security 4688 DeviceProcessEvents", "DeviceProcessEvents",
			security(4688, 7, t0, "SubjectUserSid", "S-1-5-21-1", "SubjectUserName", "alice", "SubjectDomainName", "CORP",
				"SubjectLogonId", "0x1a2b", "NewProcessId", "0x1a2c", "NewProcessName", `C:\Windows\System32\whoami.exe`,
				"TokenElevationType", "%%1937", "ProcessId", "0x10", "CommandLine", "whoami /all", "TargetUserSid", "S-1-0-0",
				"TargetUserName", "-", "TargetDomainName", "-", "TargetLogonId", "0x0",
				"ParentProcessName", `C:\Windows\System32\cmd.exe`, "MandatoryLabel", "S-1-16-12288"),
			map[string]any{
				"DeviceName": "dc01.corp.local", "FileName": "whoami.exe", "FolderPath": `C:\Windows\System32\whoami.exe`,
				"ProcessId": int64(0x1a2c), "ProcessCommandLine": "whoami /all", "ProcessIntegrityLevel": "High",
				"ProcessTokenElevation": "TokenElevationTypeFull", "AccountName": "alice", "AccountDomain": "CORP",
				"AccountSid": "S-1-5-21-1", "LogonId": int64(0x1a2b), "InitiatingProcessAccountName": "alice",
				"InitiatingProcessLogonId": int64(0x1a2b), "InitiatingProcessFileName": "cmd.exe",
				"InitiatingProcessId": int64(16), "ReportId": int64(7), "SHA256": "", "ActionType": "ProcessCreated",
			}},
		{"security 4688 imProcessCreate", "_Im_ProcessCreate",
			security(4688, 7, t0, "SubjectUserSid", "S-1-5-18", "SubjectUserName", "-", "SubjectDomainName", "-",
				"NewProcessId", "0x1a2c", "NewProcessName", `C:\Windows\System32\whoami.exe`, "ProcessId", "0x10",
				"TargetUserName", "bob", "TargetDomainName", "CORP", "TargetUserSid", "S-1-5-21-2",
				"ParentProcessName", `C:\Windows\System32\cmd.exe`, "MandatoryLabel", "S-1-16-8192"),
			map[string]any{
				"EventProduct": "Security Events", "EventOriginalType": "4688", "TargetProcessFilename": "whoami.exe",
				"TargetProcessId": "6700", "ActingProcessId": "16", "TargetUsername": `CORP\bob`, "ActorUsername": "Local System",
				"TargetProcessIntegrityLevel": "Medium integrity", "ActingProcessFilename": "cmd.exe", "TargetUserIdType": "SID",
			}},
		{"json lowercase security channel", "DeviceProcessEvents",
			&parsers.Event{Time: t0, Channel: "security", Fields: []parsers.Field{
				{Name: "EventID", Value: "4688"}, {Name: "Computer", Value: "HOST9"},
				{Name: "NewProcessName", Value: `C:\x\a.exe`}, {Name: "NewProcessId", Value: "0x20"},
				{Name: "SubjectUserName", Value: "svc"}, {Name: "SubjectDomainName", Value: "D"}}},
			map[string]any{"DeviceName": "host9", "FileName": "a.exe", "ProcessId": int64(32), "AccountName": "svc", "ReportId": nil}},
		{"sysmon3 outbound imNetworkSession", "imNetworkSession", net3("true"),
			map[string]any{
				"NetworkDirection": "Outbound", "SrcProcessName": `C:\Tools\evil.exe`, "DstProcessName": "",
				"SrcAppName": `C:\Tools\evil.exe`, "SrcProcessGuid": "AAAA0000-1111-2222-3333-444455556666", "SrcProcessId": "3000",
				"SrcUsername": `CORP\alice`, "DstUsername": "", "SrcIpAddr": "10.0.0.5", "DstIpAddr": "52.1.2.3",
				"SrcPortNumber": int64(50000), "DstPortNumber": int64(443), "DstHostname": "x.azurewebsites.net",
				"Hostname": "ws01.corp.local", "NetworkProtocol": "TCP", "NetworkProtocolVersion": "IPv4",
				"EventType": "EndpointNetworkSession", "EventSchema": "NetworkSession", "EventResult": "Success",
				// A Sysmon event's time is its UtcTime (winevent.TimeField),
				// so the ingest-time stand-in TimeGenerated is too.
				"EventStartTime": time.Date(2024, 5, 1, 10, 1, 0, 123e6, time.UTC), "TimeGenerated": time.Date(2024, 5, 1, 10, 1, 0, 123e6, time.UTC),
				"DvcIpAddr": "10.0.0.5", "Src": "10.0.0.5", "Dst": "52.1.2.3", "SrcBytes": nil,
			}},
		{"sysmon3 inbound imNetworkSession", "_Im_NetworkSession", net3("false"),
			map[string]any{"NetworkDirection": "Inbound", "SrcProcessName": "", "DstProcessName": `C:\Tools\evil.exe`,
				"DstProcessId": "3000", "DstUsername": `CORP\alice`}},
		{"sysmon3 DeviceNetworkEvents outbound", "DeviceNetworkEvents", net3("true"),
			map[string]any{"ActionType": "ConnectionSuccess", "RemoteIP": "52.1.2.3", "RemotePort": int64(443),
				"RemoteUrl": "x.azurewebsites.net", "LocalIP": "10.0.0.5", "LocalPort": int64(50000), "Protocol": "Tcp",
				"LocalIPType": "Private", "RemoteIPType": "Public", "InitiatingProcessFileName": "evil.exe",
				"InitiatingProcessId": int64(3000), "InitiatingProcessAccountName": "alice"}},
		{"sysmon3 DeviceNetworkEvents inbound", "DeviceNetworkEvents", net3("false"),
			map[string]any{"ActionType": "InboundConnectionAccepted", "RemoteIP": "10.0.0.5", "RemotePort": int64(50000),
				"RemoteUrl": "ws01.corp.local", "LocalIP": "52.1.2.3", "LocalPort": int64(443)}},
		{"sysmon11 DeviceFileEvents", "DeviceFileEvents",
			sysmon(11, 30, t0, "ProcessGuid", "{A}", "ProcessId", "12", "Image", `C:\w\p.exe`,
				"TargetFilename", `C:\Users\Public\7za.exe`, "CreationUtcTime", "2024-05-01 09:59:00.000", "User", `CORP\alice`),
			map[string]any{"ActionType": "FileCreated", "FileName": "7za.exe", "FolderPath": `C:\Users\Public\7za.exe`,
				"InitiatingProcessFileName": "p.exe", "InitiatingProcessId": int64(12), "InitiatingProcessAccountDomain": "CORP",
				"SHA1": ""}},
		{"sysmon11 imFileEvent", "imFileEvent",
			sysmon(11, 30, t0, "ProcessGuid", "{A}", "ProcessId", "12", "Image", `C:\w\p.exe`,
				"TargetFilename", `C:\Users\Public\7za.exe`, "CreationUtcTime", "2024-05-01 09:59:00.000", "User", `CORP\alice`),
			map[string]any{"EventType": "FileCreated", "TargetFilePath": `C:\Users\Public\7za.exe`, "TargetFileName": "7za.exe",
				"TargetFileExtension": "exe", "TargetFileCreationTime": t0.Add(-time.Minute), "ActingProcessName": `C:\w\p.exe`,
				"ActorUsername": `CORP\alice`, "EventOriginalType": "11", "EventSchema": "FileEvent"}},
		{"sysmon23 DeviceFileEvents", "DeviceFileEvents",
			sysmon(23, 31, t0, "Image", `C:\w\p.exe`, "TargetFilename", `C:\t\x.doc`, "Hashes", "MD5=0123456789ABCDEF0123456789ABCDEF"),
			map[string]any{"ActionType": "FileDeleted", "MD5": "0123456789abcdef0123456789abcdef"}},
		{"sysmon15 zone identifier", "DeviceFileEvents",
			sysmon(15, 32, t0, "Image", `C:\b\chrome.exe`, "TargetFilename", `C:\Users\a\Downloads\x.zip:Zone.Identifier`,
				"Contents", "[ZoneTransfer]  ZoneId=3  ReferrerUrl=https://ref.example/  HostUrl=https://dl.example/x.zip  "),
			map[string]any{"FolderPath": `C:\Users\a\Downloads\x.zip`, "FileName": "x.zip",
				"FileOriginUrl": "https://dl.example/x.zip", "FileOriginReferrerUrl": "https://ref.example/"}},
		{"sysmon13 DeviceRegistryEvents", "DeviceRegistryEvents",
			sysmon(13, 40, t0, "EventType", "SetValue", "ProcessGuid", "{A}", "ProcessId", "12", "Image", `C:\w\reg.exe`,
				"TargetObject", `HKLM\System\CurrentControlSet\Control\Lsa\DisableRestrictedAdmin`, "Details", "DWORD (0x0000000a)"),
			map[string]any{"ActionType": "RegistryValueSet", "RegistryKey": `HKEY_LOCAL_MACHINE\System\CurrentControlSet\Control\Lsa`,
				"RegistryValueName": "DisableRestrictedAdmin", "RegistryValueType": "Dword", "RegistryValueData": "10",
				"InitiatingProcessFileName": "reg.exe"}},
		{"sysmon12 create key", "DeviceRegistryEvents",
			sysmon(12, 41, t0, "EventType", "CreateKey", "Image", `C:\w\reg.exe`, "TargetObject", `HKU\S-1-5-21\Software\Run`),
			map[string]any{"ActionType": "RegistryKeyCreated", "RegistryKey": `HKEY_USERS\S-1-5-21\Software\Run`, "RegistryValueName": ""}},
		{"sysmon14 rename key", "DeviceRegistryEvents",
			sysmon(14, 42, t0, "EventType", "RenameKey", "Image", `C:\w\reg.exe`, "TargetObject", `HKLM\Software\A`, "NewName", `HKLM\Software\B`),
			map[string]any{"ActionType": "RegistryKeyRenamed", "RegistryKey": `HKEY_LOCAL_MACHINE\Software\B`,
				"PreviousRegistryKey": `HKEY_LOCAL_MACHINE\Software\A`}},
		{"sysmon13 imRegistry", "imRegistry",
			sysmon(13, 40, t0, "EventType", "SetValue", "Image", `C:\w\reg.exe`, "ProcessId", "12", "User", `CORP\alice`,
				"TargetObject", `HKLM\Software\Run\x`, "Details", "QWORD (0x00000001-0x00000002)"),
			map[string]any{"EventType": "RegistryValueSet", "RegistryKey": `HKEY_LOCAL_MACHINE\Software\Run`, "RegistryValue": "x",
				"RegistryValueType": "Reg_QWord", "RegistryValueData": "4294967298", "ActingProcessName": `C:\w\reg.exe`,
				"ActingProcessId": "12", "ActorUsername": `CORP\alice`}},
		{"sysmon7 DeviceImageLoadEvents", "DeviceImageLoadEvents",
			sysmon(7, 50, t0, "ProcessGuid", "{A}", "ProcessId", "12", "Image", `C:\w\rundll32.exe`, "ImageLoaded", `C:\t\evil.dll`,
				"Hashes", "SHA256=ABCDEF", "Signed", "false", "User", `CORP\alice`),
			map[string]any{"ActionType": "ImageLoaded", "FileName": "evil.dll", "FolderPath": `C:\t\evil.dll`, "SHA256": "abcdef",
				"InitiatingProcessFileName": "rundll32.exe", "InitiatingProcessId": int64(12), "InitiatingProcessAccountName": "alice",
				"AdditionalFields": `{"ProcessGuid":"{A}","Signed":"false"}`}},
		{"security 4624 SecurityEvent", "SecurityEvent",
			security(4624, 60, t0, "SubjectUserSid", "S-1-5-18", "SubjectUserName", "DC01$", "SubjectDomainName", "CORP",
				"TargetUserName", "alice", "TargetDomainName", "CORP", "LogonType", "10", "IpAddress", "10.1.1.1",
				"ProcessName", `C:\Windows\System32\svchost.exe`, "Task", "12544", "WorkstationName", "W<1>"),
			map[string]any{"EventID": int64(4624), "Activity": "4624 - An account was successfully logged on.",
				"Account": `CORP\alice`, "AccountType": "User", "SubjectAccount": `CORP\DC01$`, "TargetAccount": `CORP\alice`,
				"LogonType": int64(10), "LogonTypeName": "10 - RemoteInteractive", "IpAddress": "10.1.1.1",
				"Process": "svchost.exe", "Computer": "DC01.corp.local", "Channel": "Security", "Task": int64(12544),
				"EventSourceName": "Microsoft-Windows-Security-Auditing", "TimeGenerated": t0, "Type": "SecurityEvent",
				"EventData": `<EventData xmlns="http://schemas.microsoft.com/win/2004/08/events/event">` +
					`<Data Name="SubjectUserSid">S-1-5-18</Data><Data Name="SubjectUserName">DC01$</Data>` +
					`<Data Name="SubjectDomainName">CORP</Data><Data Name="TargetUserName">alice</Data>` +
					`<Data Name="TargetDomainName">CORP</Data><Data Name="LogonType">10</Data>` +
					`<Data Name="IpAddress">10.1.1.1</Data><Data Name="ProcessName">C:\Windows\System32\svchost.exe</Data>` +
					`<Data Name="WorkstationName">W&lt;1&gt;</Data></EventData>`}},
		{"security 5156 outbound imNetworkSession", "imNetworkSession",
			security(5156, 80, t0, "ProcessID", "4", "ProcessID", "1234", "Application", `\device\harddiskvolume3\tools\x.exe`,
				"Direction", "%%14593", "SourceAddress", "10.0.0.5", "SourcePort", "50000", "DestAddress", "52.1.2.3",
				"DestPort", "443", "Protocol", "6", "FilterRTID", "70000", "RemoteUserID", "S-1-0-0"),
			map[string]any{"EventProduct": "Windows Firewall", "EventType": "NetworkSession", "EventResult": "Success",
				"DvcAction": "Allow", "NetworkDirection": "Outbound", "NetworkProtocol": "TCP", "NetworkRuleNumber": int64(70000),
				"Rule": "70000", "SrcIpAddr": "10.0.0.5", "DstPortNumber": int64(443), "SrcHostname": "DC01.corp.local",
				"DstHostname": "", "SrcAppName": `\device\harddiskvolume3\tools\x.exe`, "SrcProcessId": "1234",
				"DstUserId": "", "EventOriginalType": "5156", "NetworkProtocolVersion": "IPv4"}},
		{"security 5157 inbound imNetworkSession", "_Im_NetworkSession",
			security(5157, 81, t0, "ProcessID", "1234", "Application", `System`, "Direction", "%%14592",
				"SourceAddress", "10.0.0.5", "SourcePort", "3389", "DestAddress", "1.2.3.4", "DestPort", "50000", "Protocol", "6"),
			map[string]any{"EventResult": "Failure", "DvcAction": "Deny", "EventSeverity": "Low", "NetworkDirection": "Inbound",
				"DstHostname": "DC01.corp.local", "DstAppName": "System", "DstProcessId": "1234", "SrcAppName": ""}},
		{"security 5156 DeviceNetworkEvents", "DeviceNetworkEvents",
			security(5156, 80, t0, "ProcessID", "1234", "Application", `\device\harddiskvolume3\tools\x.exe`,
				"Direction", "%%14592", "SourceAddress", "10.0.0.5", "SourcePort", "3389", "DestAddress", "1.2.3.4",
				"DestPort", "50000", "Protocol", "17", "FilterRTID", "7"),
			map[string]any{"ActionType": "InboundConnectionAccepted", "RemoteIP": "1.2.3.4", "LocalPort": int64(3389),
				"Protocol": "Udp", "InitiatingProcessFileName": "x.exe", "InitiatingProcessId": int64(1234),
				"AdditionalFields": `{"FilterRTID":"7"}`}},
		{"security 4663 DeviceFileEvents", "DeviceFileEvents",
			security(4663, 90, t0, "SubjectUserSid", "S-1-5-21-1", "SubjectUserName", "alice", "SubjectDomainName", "CORP",
				"ObjectType", "File", "ObjectName", `C:\secret\a.txt`, "AccessMask", "0x10000", "ProcessId", "0x44",
				"ProcessName", `C:\Windows\explorer.exe`),
			map[string]any{"ActionType": "FileDeleted", "FolderPath": `C:\secret\a.txt`, "FileName": "a.txt",
				"InitiatingProcessAccountSid": "S-1-5-21-1", "InitiatingProcessId": int64(0x44), "InitiatingProcessFileName": "explorer.exe"}},
		{"security 5145 DeviceFileEvents", "DeviceFileEvents",
			security(5145, 91, t0, "SubjectUserName", "bob", "SubjectDomainName", "CORP", "IpAddress", "10.9.9.9", "IpPort", "49999",
				"ShareName", `\\*\C$`, "ShareLocalPath", `\??\C:\`, "RelativeTargetName", `Windows\Temp\x.exe`, "AccessMask", "0x2"),
			map[string]any{"ActionType": "FileModified", "FolderPath": `C:\Windows\Temp\x.exe`, "RequestProtocol": "SMB",
				"RequestSourceIP": "10.9.9.9", "RequestSourcePort": int64(49999), "RequestAccountName": "bob", "ShareName": `\\*\C$`}},
		{"security 4657 DeviceRegistryEvents", "DeviceRegistryEvents",
			security(4657, 92, t0, "ObjectName", `\REGISTRY\MACHINE\SOFTWARE\Run`, "ObjectValueName", "x", "OperationType", "%%1905",
				"NewValueType", "%%1876", "NewValue", "1", "OldValue", "0", "ProcessName", `C:\w\reg.exe`, "ProcessId", "0x10"),
			map[string]any{"ActionType": "RegistryValueSet", "RegistryKey": `HKEY_LOCAL_MACHINE\SOFTWARE\Run`, "RegistryValueName": "x",
				"RegistryValueType": "Dword", "RegistryValueData": "1", "PreviousRegistryValueData": "0", "InitiatingProcessId": int64(16)}},
		{"security 4657 imRegistry", "imRegistry",
			security(4657, 92, t0, "ObjectName", `\REGISTRY\MACHINE\SOFTWARE\Run`, "ObjectValueName", "x", "OperationType", "%%1906",
				"NewValueType", "%%1873", "SubjectUserName", "alice", "SubjectDomainName", "CORP", "ProcessName", `C:\w\reg.exe`, "ProcessId", "0x10"),
			map[string]any{"EventType": "RegistryValueDeleted", "RegistryKey": `HKEY_LOCAL_MACHINE\SOFTWARE\Run`, "RegistryValueType": "Reg_Sz",
				"ActorUsername": `CORP\alice`, "ActingProcessId": "16", "EventProduct": "Security Events"}},
		{"sysmon17 Event", "Event",
			sysmon(17, 70, t0, "RuleName", "-", "EventType", "CreatePipe", "PipeName", `\MICROSOFT##WID\tsql\query`, "Image", `C:\a.exe`),
			map[string]any{"Source": "Microsoft-Windows-Sysmon", "EventLog": sysmonChannel, "EventID": int64(17),
				"UserName": `NT AUTHORITY\SYSTEM`, "Computer": "WS01.Corp.Local", "EventLevelName": "Information",
				"EventData": `<DataItem type="System.XmlData" time="2024-05-01T10:00:00.0000000Z" sourceHealthServiceId="00000000-0000-0000-0000-000000000000">` +
					`<EventData xmlns="http://schemas.microsoft.com/win/2004/08/events/event"><Data Name="RuleName">-</Data>` +
					`<Data Name="EventType">CreatePipe</Data><Data Name="PipeName">\MICROSOFT##WID\tsql\query</Data>` +
					`<Data Name="Image">C:\a.exe</Data></EventData></DataItem>`,
				"ParameterXml":        `<Param>-</Param><Param>CreatePipe</Param><Param>\MICROSOFT##WID\tsql\query</Param><Param>C:\a.exe</Param>`,
				"RenderedDescription": `Pipe Created: RuleName: - EventType: CreatePipe PipeName: \MICROSOFT##WID\tsql\query Image: C:\a.exe`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := build(t, []string{tt.table}, tt.ev)
			got := rowMap(t, c, tt.table, 0)
			for col, want := range tt.want {
				g, ok := got[col]
				if !ok {
					t.Errorf("%s: no column %s", tt.table, col)
					continue
				}
				if !reflect.DeepEqual(g, want) {
					t.Errorf("%s.%s = %#v, want %#v", tt.table, col, g, want)
				}
			}
			checkTypes(t, c, tt.table)
		})
	}
}

// checkTypes asserts every cell holds the Go type its column's KQL type
// calls for (or nil; strings are never nil).
func checkTypes(t *testing.T, c *Catalog, table string) {
	t.Helper()
	tab, _ := c.Table(table, nil)
	for _, r := range tab.Rows {
		for j, col := range tab.Columns {
			v := r[j]
			okType := true
			switch col.Type {
			case value.String:
				_, okType = v.(string)
			case value.Long, value.Int:
				_, okType = v.(int64)
				okType = okType || v == nil
			case value.DateTime:
				_, okType = v.(time.Time)
				okType = okType || v == nil
			case value.Bool:
				_, okType = v.(bool)
				okType = okType || v == nil
			case value.Real:
				_, okType = v.(float64)
				okType = okType || v == nil
			}
			if !okType {
				t.Errorf("%s.%s (%s) holds %T", table, col.Name, col.Type, v)
			}
		}
	}
}

func TestOnlyRequestedTables(t *testing.T) {
	ev := proc1(1, t0, "{A}", `C:\a.exe`, "{B}", `C:\b.exe`)
	c := build(t, []string{"imProcessCreate", "NoSuchTable"}, ev)
	if tab, _ := c.Table("imProcessCreate", nil); len(tab.Rows) != 1 {
		t.Fatalf("imProcessCreate rows = %d, want 1", len(tab.Rows))
	}
	tab, ok := c.Table("DeviceProcessEvents", nil)
	if !ok || len(tab.Rows) != 0 {
		t.Fatalf("DeviceProcessEvents: ok=%v rows=%d, want known and empty", ok, len(tab.Rows))
	}
	if w := c.Warnings(); len(w) != 1 || !strings.Contains(w[0], "DeviceProcessEvents was not collected") {
		t.Errorf("warnings = %q", w)
	}
	if _, ok := c.Table("NoSuchTable", nil); ok {
		t.Error("unknown table reported as known")
	}
}

func TestProcessTree(t *testing.T) {
	grand := proc1(1, t0, "{00000000-0000-0000-0000-00000000000A}", `C:\Windows\explorer.exe`, "{00000000-0000-0000-0000-000000000000}", `C:\Windows\userinit.exe`)
	parent := proc1(2, t0.Add(time.Second), "{00000000-0000-0000-0000-00000000000B}", `C:\Windows\System32\cmd.exe`,
		"{00000000-0000-0000-0000-00000000000a}", `C:\Windows\explorer.exe`)
	parent.Set("IntegrityLevel", "Medium")
	// Overwrite the parent's hashes so they differ from the child's.
	parent.Set("Hashes", "SHA1=1111111111111111111111111111111111111111,SHA256=2222222222222222222222222222222222222222222222222222222222222222")
	child := proc1(3, t0.Add(2*time.Second), "{00000000-0000-0000-0000-00000000000C}", `C:\Windows\System32\whoami.exe`,
		"{00000000-0000-0000-0000-00000000000B}", `C:\Windows\System32\cmd.exe`)
	conn := sysmon(3, 4, t0.Add(3*time.Second), "ProcessGuid", "00000000-0000-0000-0000-00000000000b", "Image", `C:\Windows\System32\cmd.exe`,
		"Initiated", "true", "DestinationIp", "1.2.3.4")
	orphan := sysmon(3, 5, t0.Add(4*time.Second), "ProcessGuid", "{FFFFFFFF-0000-0000-0000-000000000000}", "Image", `C:\x.exe`, "Initiated", "true")

	tables := []string{"DeviceProcessEvents", "DeviceNetworkEvents", "imProcessCreate"}
	// Two workers see the events out of order; the merged result must not
	// depend on it.
	w1, w2 := NewBuilder(Options{Tables: tables}), NewBuilder(Options{Tables: tables})
	w1.Add(conn)
	w1.Add(child)
	w2.Add(orphan)
	w2.Add(parent)
	w2.Add(grand)
	w1.Merge(w2)
	c := w1.Finish()

	dpe, _ := c.Table("DeviceProcessEvents", nil)
	if len(dpe.Rows) != 3 {
		t.Fatalf("DeviceProcessEvents rows = %d, want 3", len(dpe.Rows))
	}
	childRow := rowMap(t, c, "DeviceProcessEvents", 2) // sorted by time: grand, parent, child
	want := map[string]any{
		"FileName":                                "whoami.exe",
		"InitiatingProcessFileName":               "cmd.exe",
		"InitiatingProcessSHA1":                   strings.Repeat("1", 40),
		"InitiatingProcessSHA256":                 strings.Repeat("2", 64),
		"InitiatingProcessMD5":                    "",
		"InitiatingProcessIntegrityLevel":         "Medium",
		"InitiatingProcessCreationTime":           t0.Add(time.Second),
		"InitiatingProcessParentId":               int64(100),
		"InitiatingProcessParentFileName":         "explorer.exe",
		"InitiatingProcessParentCreationTime":     t0,
		"InitiatingProcessVersionInfoCompanyName": "Microsoft Corporation",
	}
	for k, v := range want {
		if !reflect.DeepEqual(childRow[k], v) {
			t.Errorf("child %s = %#v, want %#v", k, childRow[k], v)
		}
	}
	net := rowMap(t, c, "DeviceNetworkEvents", 0)
	if net["InitiatingProcessCommandLine"] != `C:\Windows\System32\cmd.exe /c whoami` ||
		net["InitiatingProcessSHA1"] != strings.Repeat("1", 40) ||
		net["InitiatingProcessParentFileName"] != "explorer.exe" ||
		net["InitiatingProcessCreationTime"] != t0.Add(time.Second) {
		t.Errorf("network row not resolved from the process tree: %v", net)
	}
	if o := rowMap(t, c, "DeviceNetworkEvents", 1); o["InitiatingProcessSHA1"] != "" || o["InitiatingProcessCreationTime"] != nil {
		t.Errorf("orphan row got tree values: %v", o)
	}
	imp := rowMap(t, c, "imProcessCreate", 2)
	if imp["ActingProcessSHA1"] != strings.Repeat("1", 40) || imp["ActingProcessIntegrityLevel"] != "Medium" {
		t.Errorf("imProcessCreate acting columns: SHA1=%v IL=%v", imp["ActingProcessSHA1"], imp["ActingProcessIntegrityLevel"])
	}
	st := c.Stats()
	if st.Orphans < 1 || st.Resolved < 4 || st.Events != 5 {
		t.Errorf("stats = %+v", st)
	}
}

func TestDeterministicOrder(t *testing.T) {
	evs := []*parsers.Event{
		proc1(3, t0.Add(2*time.Second), "{C}", `C:\c.exe`, "{B}", `C:\b.exe`),
		proc1(1, t0, "{A}", `C:\a.exe`, "{Z}", `C:\z.exe`),
		proc1(2, t0, "{B}", `C:\b.exe`, "{A}", `C:\a.exe`),
	}
	names := func(c *Catalog) []string {
		tab, _ := c.Table("DeviceProcessEvents", nil)
		i := tab.Index("FileName")
		var out []string
		for _, r := range tab.Rows {
			out = append(out, r[i].(string))
		}
		return out
	}
	a := names(build(t, []string{"DeviceProcessEvents"}, evs...))
	b := names(build(t, []string{"DeviceProcessEvents"}, evs[2], evs[1], evs[0]))
	want := []string{"a.exe", "b.exe", "c.exe"}
	if !reflect.DeepEqual(a, want) || !reflect.DeepEqual(b, want) {
		t.Errorf("order %v / %v, want %v", a, b, want)
	}
}
