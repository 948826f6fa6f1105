package sigma

import (
	"bytes"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/loghunt/loghunt/internal/evtxtest"
	"github.com/loghunt/loghunt/parsers"
	"github.com/loghunt/loghunt/parsers/evtx"
	pjson "github.com/loghunt/loghunt/parsers/json"
)

// The shapes below are written from issue 11's description of flat,
// NXLog-style exports (SourceName, Hostname, Channel, EventID and the data
// fields at the top level) and from the events' documented fields; they
// are not copied from any dataset.

// fidelityRules loads the named SigmaHQ rule files.
func fidelityRules(t *testing.T, files ...string) *Ruleset {
	t.Helper()
	rules := filepath.Join(sharedDir(t), "sigma", "rules")
	l := NewLoader(LoadOptions{})
	for _, f := range files {
		l.AddPath(filepath.Join(rules, filepath.FromSlash(f)))
	}
	rs, rep := l.Compile()
	if len(rep.Failed) > 0 || rep.Detection != len(files) {
		t.Fatalf("loaded %d of %d rules: %v", rep.Detection, len(files), rep.Failed)
	}
	return rs
}

// jsonHits decodes one JSON document and returns its event and the ids of
// the rules that match it.
func jsonHits(t *testing.T, rs *Ruleset, doc string) (*parsers.Event, []string) {
	t.Helper()
	var evs []*parsers.Event
	_, err := pjson.NewUnit(strings.NewReader(doc), "fidelity.json", pjson.Options{}).Decode(
		func(e *parsers.Event) error { evs = append(evs, e.Clone()); return nil },
		func(pe *parsers.ParseError) { t.Errorf("parse: %v", pe) })
	if err != nil || len(evs) != 1 {
		t.Fatalf("decoded %d events: %v", len(evs), err)
	}
	return evs[0], matchIDs(rs, evs[0])
}

func matchIDs(rs *Ruleset, ev *parsers.Event) []string {
	var ids []string
	rs.Match(ev, func(m *Match) { ids = append(ids, m.Rule.ID) })
	return ids
}

func hasID(ids []string, id string) bool {
	for _, x := range ids {
		if x == id {
			return true
		}
	}
	return false
}

// TestFlatProviderName: flat JSON names the provider SourceName; the
// rules that test Provider_Name fire on it.
func TestFlatProviderName(t *testing.T) {
	rs := fidelityRules(t,
		"windows/builtin/system/microsoft_windows_eventlog/win_system_susp_eventlog_cleared.yml",
		"windows/builtin/security/win_security_audit_log_cleared.yml",
		"windows/builtin/system/service_control_manager/win_system_service_install_sysinternals_psexec.yml")
	for _, tt := range []struct {
		name, doc, rule string
	}{
		{"System 104", `{"EventTime":"2024-05-01 10:00:00","Hostname":"WS01.corp.local","SourceName":"Microsoft-Windows-Eventlog","Channel":"System","EventID":104,"RecordNumber":5511,"SubjectUserName":"alice","SubjectDomainName":"CORP","Channel_":"x","BackupPath":""}`,
			"100ef69e-3327-481c-8e5c-6d80d9507556"},
		{"Security 1102", `{"EventTime":"2024-05-01 10:00:01","Hostname":"WS01.corp.local","SourceName":"Microsoft-Windows-Eventlog","Channel":"Security","EventID":1102,"RecordNumber":90210,"SubjectUserSid":"S-1-5-21-1-2-3-1001","SubjectUserName":"alice","SubjectDomainName":"CORP","SubjectLogonId":"0x1a2b3"}`,
			"d99b79d2-0a6f-4f46-ad8b-260b6e17f982"},
		{"System 7045 PSEXESVC", `{"EventTime":"2024-05-01 10:00:02","Hostname":"WS01.corp.local","SourceName":"Service Control Manager","Channel":"System","EventID":7045,"RecordNumber":5512,"ServiceName":"PSEXESVC","ImagePath":"%SystemRoot%\\PSEXESVC.exe","ServiceType":"user mode service","StartType":"demand start","AccountName":"LocalSystem"}`,
			"42c575ea-e41e-41f1-b248-8093c3e82a28"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ev, ids := jsonHits(t, rs, tt.doc)
			if v, _ := ev.Get("Provider_Name"); v == "" {
				t.Errorf("no Provider_Name: %v", ev.Fields)
			}
			if !hasID(ids, tt.rule) {
				t.Errorf("rule %s did not fire (fired: %v)", tt.rule, ids)
			}
		})
	}
}

// TestSecurity4688SystemUser: a 4688 created by the machine account whose
// new process runs as SYSTEM has User NT AUTHORITY\SYSTEM, so the rule
// testing User|contains AUTHORI fires, as it does on Sysmon 1.
func TestSecurity4688SystemUser(t *testing.T) {
	rs := fidelityRules(t, "windows/process_creation/proc_creation_win_tscon_localsystem.yml")
	doc := `{"EventTime":"2024-05-01 10:05:00","Hostname":"WS01.corp.local","SourceName":"Microsoft-Windows-Security-Auditing","Channel":"Security","EventID":4688,` +
		`"SubjectUserSid":"S-1-5-18","SubjectUserName":"WS01$","SubjectDomainName":"WORKGROUP","SubjectLogonId":"0x3e7",` +
		`"NewProcessId":"0x1f4","NewProcessName":"C:\\Windows\\System32\\tscon.exe","TokenElevationType":"%%1936","ProcessId":"0x270",` +
		`"CommandLine":"tscon.exe 2 /dest:rdp-tcp#0","TargetUserSid":"S-1-5-18","TargetUserName":"SYSTEM","TargetDomainName":"NT AUTHORITY","TargetLogonId":"0x3e7",` +
		`"ParentProcessName":"C:\\Windows\\System32\\cmd.exe","MandatoryLabel":"S-1-16-16384"}`
	_, ids := jsonHits(t, rs, doc)
	if !hasID(ids, "9847f263-4a81-424f-970c-875dab15b79b") {
		t.Errorf("tscon as SYSTEM did not fire on 4688 (fired: %v)", ids)
	}
	// The same process created by a user keeps the user: no hit.
	user := strings.NewReplacer(`"TargetUserSid":"S-1-5-18","TargetUserName":"SYSTEM","TargetDomainName":"NT AUTHORITY","TargetLogonId":"0x3e7"`,
		`"TargetUserSid":"S-1-0-0","TargetUserName":"-","TargetDomainName":"-","TargetLogonId":"0x0"`,
		`"SubjectUserSid":"S-1-5-18","SubjectUserName":"WS01$","SubjectDomainName":"WORKGROUP","SubjectLogonId":"0x3e7"`,
		`"SubjectUserSid":"S-1-5-21-1-2-3-1001","SubjectUserName":"alice","SubjectDomainName":"CORP","SubjectLogonId":"0x1a2b3"`).Replace(doc)
	if _, ids := jsonHits(t, rs, user); len(ids) != 0 {
		t.Errorf("tscon as CORP\\alice fired: %v", ids)
	}
}

// TestSysmonLocalTimeCreated: an export wrote TimeCreated as local time
// without a zone (UTC+2); the event's time is its UtcTime, and the rule
// still fires.
func TestSysmonLocalTimeCreated(t *testing.T) {
	rs := fidelityRules(t, "windows/process_creation/proc_creation_win_tscon_localsystem.yml")
	doc := `{"TimeCreated":"2024-05-01T12:05:00.5120000","Hostname":"WS01.corp.local","SourceName":"Microsoft-Windows-Sysmon","Channel":"Microsoft-Windows-Sysmon/Operational","EventID":1,` +
		`"RuleName":"-","UtcTime":"2024-05-01 10:05:00.498","ProcessGuid":"{11111111-2222-3333-4444-555555555555}","ProcessId":"500",` +
		`"Image":"C:\\Windows\\System32\\tscon.exe","CommandLine":"tscon.exe 2 /dest:rdp-tcp#0","User":"NT AUTHORITY\\SYSTEM","LogonId":"0x3e7","IntegrityLevel":"System"}`
	ev, ids := jsonHits(t, rs, doc)
	if want := time.Date(2024, 5, 1, 10, 5, 0, 498e6, time.UTC); !ev.Time.Equal(want) {
		t.Errorf("time %v, want UtcTime %v", ev.Time, want)
	}
	if !hasID(ids, "9847f263-4a81-424f-970c-875dab15b79b") {
		t.Errorf("rule did not fire (fired: %v)", ids)
	}
}

// defender1116JSON is a Defender 1116 (malware detected) in a flat export:
// the EventData names keep their spaces, as Defender writes them.
const defender1116JSON = `{"EventTime":"2024-05-01 10:10:00","Hostname":"WS01.corp.local","SourceName":"Microsoft-Windows-Windows Defender",` +
	`"Channel":"Microsoft-Windows-Windows Defender/Operational","EventID":1116,"Product Name":"Microsoft Defender Antivirus",` +
	`"Detection ID":"{0D3B2B3E-9A57-4F2A-8E25-1C7E0A6B9F00}","Threat Name":"HackTool:Win32/Mimikatz.D","Severity Name":"High",` +
	`"Source Name":"AMSI","Process Name":"C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe",` +
	`"Detection User":"CORP\\alice","Path":"amsi:_\\Device\\HarddiskVolume3\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe"}`

// defenderRules are the SigmaHQ rules a Defender 1116 AMSI detection of
// Mimikatz fires: the windefend rule for SourceName AMSI, and the antivirus
// category's hacktool rule, which names no product and reads Signature
// from ThreatName (routed to Defender's detection events, logsources.yml).
var defenderRules = []string{"windows/builtin/windefend/win_defender_malware_detected_amsi_source.yml",
	"category/antivirus/av_hacktool.yml"}

var defenderRuleIDs = []string{"ea9bf0fa-edec-4fb8-8b78-b119f2528186", "fa0c05b6-8ad3-468d-8231-c1cbccb64fba"}

// TestAntivirusRouting: SigmaHQ's antivirus rules (no product) match
// Defender's detection events 1006, 1015, 1116 and 1117, and no other
// event that carries a ThreatName: not Defender's 1013 (detection history
// deleted) nor an event of another channel.
func TestAntivirusRouting(t *testing.T) {
	rs := fidelityRules(t, "category/antivirus/av_hacktool.yml")
	const hacktool = "fa0c05b6-8ad3-468d-8231-c1cbccb64fba"
	doc := func(channel string, id int, threat string) string {
		return `{"EventTime":"2024-05-01 10:10:00","Hostname":"WS01","SourceName":"Microsoft-Windows-Windows Defender","Channel":"` + channel +
			`","EventID":` + strconv.Itoa(id) + `,"Threat Name":"` + threat + `","Path":"file:_C:\\Temp\\x.exe"}`
	}
	defender := "Microsoft-Windows-Windows Defender/Operational"
	for _, tt := range []struct {
		channel string
		id      int
		threat  string
		fires   bool
	}{
		{defender, 1006, "HackTool:Win32/Mimikatz.D", true},
		{defender, 1015, "Behavior:Win32/Mimikatz.A", true},
		{defender, 1116, "HackTool:Win32/Mimikatz.D", true},
		{defender, 1117, "HackTool:Win32/Mimikatz.D", true},
		{defender, 1116, "Trojan:Win32/Wacatac.B!ml", false},
		{defender, 1013, "HackTool:Win32/Mimikatz.D", false},
		{"Application", 1116, "HackTool:Win32/Mimikatz.D", false},
	} {
		_, ids := jsonHits(t, rs, doc(tt.channel, tt.id, tt.threat))
		if hasID(ids, hacktool) != tt.fires {
			t.Errorf("%s %d %q: fired %v, want %v", tt.channel, tt.id, tt.threat, !tt.fires, tt.fires)
		}
	}
}

func TestDefenderSpacedNamesJSON(t *testing.T) {
	rs := fidelityRules(t, defenderRules...)
	ev, ids := jsonHits(t, rs, defender1116JSON)
	if v, _ := ev.Get("ThreatName"); v != "HackTool:Win32/Mimikatz.D" {
		t.Errorf("ThreatName = %q", v)
	}
	for _, id := range defenderRuleIDs {
		if !hasID(ids, id) {
			t.Errorf("rule %s did not fire (fired: %v)", id, ids)
		}
	}
}

// TestClassicPowerShellMessage: a flat Windows PowerShell 400 carries its
// details only in Message; the downgrade rule reads them as Data.
func TestClassicPowerShellMessage(t *testing.T) {
	rs := fidelityRules(t, "windows/powershell/powershell_classic/posh_pc_downgrade_attack.yml")
	doc := `{"EventTime":"2024-05-01 10:20:00","Hostname":"WS01.corp.local","SourceName":"PowerShell","Channel":"Windows PowerShell","EventID":400,` +
		`"Message":"Engine state is changed from None to Available. \r\n\r\nDetails: \r\n\tNewEngineState=Available\r\n\tPreviousEngineState=None\r\n\r\n\tSequenceNumber=13\r\n\r\n\tHostName=ConsoleHost\r\n\tHostVersion=5.1.19041.1\r\n\tHostId=8c1a8b4e-1f0e-4c5e-9d3a-2b6f7e8d9a0b\r\n\tHostApplication=powershell.exe -version 2 -nop\r\n\tEngineVersion=2.0\r\n\tRunspaceId=5d2e8f4a-3b1c-4e6d-8a9f-0c1b2d3e4f5a\r\n"}`
	if _, ids := jsonHits(t, rs, doc); !hasID(ids, "6331d09b-4785-4c13-980f-f96661356249") {
		t.Errorf("downgrade rule did not fire (fired: %v)", ids)
	}
}

// TestDefenderSpacedNamesEVTX is TestDefenderSpacedNamesJSON from an EVTX
// file written by internal/evtxtest: the same 1116 as Defender records it.
func TestDefenderSpacedNamesEVTX(t *testing.T) {
	rs := fidelityRules(t, defenderRules...)
	at := time.Date(2024, 5, 1, 10, 10, 0, 0, time.UTC)
	ev := evtxtest.Event("Microsoft-Windows-Windows Defender", "Microsoft-Windows-Windows Defender/Operational", "WS01.corp.local", 1116, 77, at,
		evtxtest.Attr{Name: "Product Name", Value: "Microsoft Defender Antivirus"},
		evtxtest.Attr{Name: "Detection ID", Value: "{0D3B2B3E-9A57-4F2A-8E25-1C7E0A6B9F00}"},
		evtxtest.Attr{Name: "Threat Name", Value: "HackTool:Win32/Mimikatz.D"},
		evtxtest.Attr{Name: "Severity Name", Value: "High"},
		evtxtest.Attr{Name: "Source Name", Value: "AMSI"},
		evtxtest.Attr{Name: "Process Name", Value: `C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe`},
		evtxtest.Attr{Name: "Detection User", Value: `CORP\alice`},
		evtxtest.Attr{Name: "Path", Value: `amsi:_\Device\HarddiskVolume3\Windows\System32\WindowsPowerShell\v1.0\powershell.exe`})
	b, err := evtxtest.Write([]evtxtest.Record{{Written: at, Event: ev}})
	if err != nil {
		t.Fatal(err)
	}
	var evs []*parsers.Event
	f, err := evtx.Open(bytes.NewReader(b), int64(len(b)), "defender.evtx", evtx.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range f.Units() {
		if _, err := u.Decode(func(e *parsers.Event) error { evs = append(evs, e.Clone()); return nil },
			func(pe *parsers.ParseError) { t.Errorf("record: %v", pe) }); err != nil {
			t.Fatal(err)
		}
	}
	if len(evs) != 1 {
		t.Fatalf("%d events", len(evs))
	}
	for name, want := range map[string]string{"ThreatName": "HackTool:Win32/Mimikatz.D", "SourceName": "AMSI", "ProcessName": `C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe`, "DetectionUser": `CORP\alice`} {
		if v, _ := evs[0].Get(name); v != want {
			t.Errorf("%s = %q, want %q", name, v, want)
		}
	}
	ids := matchIDs(rs, evs[0])
	for _, id := range defenderRuleIDs {
		if !hasID(ids, id) {
			t.Errorf("rule %s did not fire (fired: %v)", id, ids)
		}
	}
}
