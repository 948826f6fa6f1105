package winevent

import (
	"slices"
	"strconv"
	"strings"
	"testing"
)

func TestParseNumber(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want int64
		ok   bool
	}{
		{"0x1a4", 420, true},
		{" 0X1A4 ", 420, true},
		{"420", 420, true},
		{"-5", -5, true},
		{"0x0", 0, true},
		{"0xffffffffffffffff", -1, true}, // wraps as KQL's long does
		{"", 0, false},
		{"  ", 0, false},
		{"0x", 0, false},
		{"0xg1", 0, false},
		{"1a4", 0, false},
		{"0x10000000000000000", 0, false},
	} {
		t.Run(tt.in, func(t *testing.T) {
			got, ok := ParseNumber(tt.in)
			if got != tt.want || ok != tt.ok {
				t.Errorf("ParseNumber(%q) = %d, %v; want %d, %v", tt.in, got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestHexToDecimal(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"0x1a4", "420"},
		{"0X1A4", "420"},
		{"0x0", "0"},
		{"0xffffffffffffffff", "18446744073709551615"},
		{"420", "420"},   // decimal: kept
		{"0x", "0x"},     // not a number: kept as written
		{"0xzz", "0xzz"}, // likewise
		{" 0x1", " 0x1"}, // the caller trims
		{"", ""},
	} {
		t.Run(tt.in, func(t *testing.T) {
			if got := HexToDecimal(tt.in); got != tt.want {
				t.Errorf("HexToDecimal(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestLookupLabel(t *testing.T) {
	for _, tt := range []struct {
		sid                    string
		sysmon, defender, asim string
		ok                     bool
	}{
		{"S-1-16-12288", "High", "High", "High integrity", true},
		{"s-1-16-8448", "Medium Plus", "Medium", "Medium high integrity", true},
		{"S-1-16-4096", "Low", "Low", "Low integrity", true},
		{"S-1-16-20480", "Protected Process", "Protected", "Protected process", true},
		{"S-1-16-28672", "Secure Process", "", "", true},
		{" S-1-16-12288", "", "", "", false}, // not trimmed
		{"S-1-16-1", "", "", "", false},
		{"", "", "", "", false},
	} {
		t.Run(tt.sid, func(t *testing.T) {
			l, ok := LookupLabel(tt.sid)
			if ok != tt.ok || l.Sysmon != tt.sysmon || l.Defender != tt.defender || l.ASIM != tt.asim {
				t.Errorf("LookupLabel(%q) = %+v, %v; want %q %q %q, %v", tt.sid, l, ok, tt.sysmon, tt.defender, tt.asim, tt.ok)
			}
		})
	}
}

func TestLookupAccount(t *testing.T) {
	for _, tt := range []struct {
		sid, asim, userName string
		ok                  bool
	}{
		{"S-1-0-0", "Nobody", "", true},
		{"S-1-5-18", "Local System", `NT AUTHORITY\SYSTEM`, true},
		{"S-1-5-20", "Network Service", `NT AUTHORITY\NETWORK SERVICE`, true},
		{"s-1-5-18", "", "", false}, // exact
		{"S-1-5-21-1-2-3-500", "", "", false},
	} {
		a, ok := LookupAccount(tt.sid)
		if ok != tt.ok || a.ASIM != tt.asim || a.UserName != tt.userName {
			t.Errorf("LookupAccount(%q) = %+v, %v", tt.sid, a, ok)
		}
	}
}

func TestTokenElevation(t *testing.T) {
	for in, want := range map[string]string{
		"%%1936": "TokenElevationTypeDefault", " %%1937 ": "TokenElevationTypeFull",
		"%%1938": "TokenElevationTypeLimited", "%%1939": "%%1939", "": "",
	} {
		if got := TokenElevation(in); got != want {
			t.Errorf("TokenElevation(%q) = %q, want %q", in, got, want)
		}
	}
}

// field returns the Security4688 field mapping of that name.
func field(t *testing.T, name string) *FieldMap {
	t.Helper()
	for i := range Security4688.Fields {
		if f := &Security4688.Fields[i]; f.Field == name {
			return f
		}
	}
	t.Fatalf("Security4688 has no %s", name)
	return nil
}

func TestApply4688(t *testing.T) {
	for _, tt := range []struct {
		field string
		src   []string
		want  string
		ok    bool
	}{
		{"Image", []string{`C:\Windows\cmd.exe`}, `C:\Windows\cmd.exe`, true},
		{"Image", []string{""}, "", true},
		{"ProcessId", []string{"0x1a4"}, "420", true},
		{"ProcessId", []string{" 0x10 "}, "16", true},
		{"ProcessId", []string{"1234"}, "1234", true},
		{"ProcessId", []string{"0xnope"}, "0xnope", true},
		{"ProcessId", []string{"  "}, "", false},
		{"ParentProcessId", []string{"0xFFFF"}, "65535", true},
		{"IntegrityLevel", []string{"S-1-16-12288"}, "High", true},
		{"IntegrityLevel", []string{" s-1-16-8192 "}, "Medium", true},
		{"IntegrityLevel", []string{"S-1-16-99"}, "S-1-16-99", true},
		{"IntegrityLevel", []string{""}, "", false},
		// Target domain, user, SID, logon id; subject domain, user, SID, logon id.
		{"User", []string{"-", "-", "S-1-0-0", "0x0", "CORP", "alice", "S-1-5-21-1-2-3-1001", "0x1a2b3"}, `CORP\alice`, true},
		{"User", []string{"", "", "", "", "", "alice", "", ""}, "alice", true},
		{"User", []string{"", "", "", "", "", "", "", ""}, "", false},
		{"User", []string{"NT AUTHORITY", "SYSTEM", "S-1-5-18", "0x3e7", "WORKGROUP", "HOST$", "S-1-5-18", "0x3e7"}, `NT AUTHORITY\SYSTEM`, true},
		{"LogonId", []string{"CORP", "bob", "S-1-5-21-1", "0x5a1f0", "CORP", "alice", "S-1-5-21-2", "0x1a2b3"}, "0x5a1f0", true},
		{"LogonId", []string{"-", "-", "S-1-0-0", "0x0", "CORP", "alice", "S-1-5-21-2", "0x1a2b3"}, "0x1a2b3", true},
		{"LogonId", []string{"", "", "", "", "", "", "", ""}, "", false},
	} {
		t.Run(tt.field+"/"+strings.Join(tt.src, ","), func(t *testing.T) {
			got, ok := field(t, tt.field).Apply(tt.src)
			if got != tt.want || ok != tt.ok {
				t.Errorf("Apply(%q) = %q, %v; want %q, %v", tt.src, got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestMappingFrom(t *testing.T) {
	for field, want := range map[string]string{
		"Image": "NewProcessName", "ParentImage": "ParentProcessName", "ProcessId": "NewProcessId",
		"ParentProcessId": "ProcessId", "IntegrityLevel": "MandatoryLabel", "User": "TargetDomainName",
		"LogonId":     "TargetDomainName",
		"CommandLine": "", // same name in both events: not mapped
	} {
		if got := Security4688.From(field); got != want {
			t.Errorf("Security4688.From(%q) = %q, want %q", field, got, want)
		}
	}
	if got := DefenderAntivirus.From("Signature"); got != "ThreatName" {
		t.Errorf("DefenderAntivirus.From(Signature) = %q", got)
	}
}

// TestMappingSources checks that a mapping reads only fields its source
// event has, where the source's fields are known.
func TestMappingSources(t *testing.T) {
	for _, m := range Mappings {
		for _, s := range Sources {
			if !strings.EqualFold(s.Channel, m.Channel) {
				continue
			}
			for _, ev := range s.Events {
				if ev.ID != m.EventID {
					continue
				}
				for _, f := range m.Fields {
					for _, from := range f.From {
						if !slices.Contains(ev.Fields, from) {
							t.Errorf("%s.%s reads %s, which %s %d does not have", m.Name, f.Field, from, s.Label, ev.ID)
						}
					}
				}
			}
		}
		seen := map[string]bool{}
		for _, f := range m.Fields {
			if seen[f.Field] || len(f.From) == 0 {
				t.Errorf("%s.%s: listed twice or without a source", m.Name, f.Field)
			}
			seen[f.Field] = true
		}
	}
}

func TestChannelTable(t *testing.T) {
	seen := map[string]string{}
	for _, c := range Channels {
		k := strings.ToLower(c.Name)
		if prev, ok := seen[k]; ok {
			t.Errorf("channel %q and %q differ only in case", prev, c.Name)
		}
		seen[k] = c.Name
		if !c.Restore && len(c.Services) == 0 {
			t.Errorf("channel %q is used by nothing", c.Name)
		}
		for _, s := range c.Services {
			if s != strings.ToLower(s) {
				t.Errorf("service %q of %q is not lower-case", s, c.Name)
			}
		}
	}
	if got := ChannelsOfService("applocker"); !slices.Equal(got, []string{
		"Microsoft-Windows-AppLocker/MSI and Script", "Microsoft-Windows-AppLocker/EXE and DLL",
		"Microsoft-Windows-AppLocker/Packaged app-Deployment", "Microsoft-Windows-AppLocker/Packaged app-Execution",
	}) {
		t.Errorf("applocker: %q", got)
	}
	if got := ChannelsOfService("powershell"); !slices.Equal(got, []string{PowerShell, PowerShellCore}) {
		t.Errorf("powershell: %q", got)
	}
	if got := ChannelsOfService("Sysmon"); got != nil {
		t.Errorf("services compare exactly, got %q", got)
	}
	for _, s := range Sources {
		if _, ok := lookupChannel(s.Channel); !ok {
			t.Errorf("source %s: channel %q is not in Channels", s.Label, s.Channel)
		}
	}
	for _, m := range Mappings {
		if _, ok := lookupChannel(m.Channel); !ok {
			t.Errorf("mapping %s: channel %q is not in Channels", m.Name, m.Channel)
		}
	}
}

func lookupChannel(name string) (Channel, bool) {
	for _, c := range Channels {
		if strings.EqualFold(c.Name, name) {
			return c, true
		}
	}
	return Channel{}, false
}

func TestRestoreChannel(t *testing.T) {
	for in, want := range map[string]string{
		"security":                                 "Security",
		"SECURITY":                                 "Security",
		"Security":                                 "Security",
		"microsoft-windows-sysmon/operational":     Sysmon,
		"windows powershell":                       WindowsPowerShell,
		"microsoft-windows-smbclient/security":     "Microsoft-Windows-SMBClient/Security",
		"microsoft-windows-dns-client/operational": "Microsoft-Windows-DNS-Client/Operational",
		// Sigma routes here, but parsers/json never restored it.
		"microsoft-windows-capi2/operational": "microsoft-windows-capi2/operational",
		"my-custom/channel":                   "my-custom/channel",
		strings.Repeat("A", 200):              strings.Repeat("A", 200),
	} {
		if got := RestoreChannel(in); got != want {
			t.Errorf("RestoreChannel(%q) = %q, want %q", in, got, want)
		}
	}
	if n := testing.AllocsPerRun(100, func() { RestoreChannel("security") }); n != 0 {
		t.Errorf("RestoreChannel of a lower-case name allocates %v times", n)
	}
}

func TestIsSysmonSecurity(t *testing.T) {
	if !IsSysmon("microsoft-windows-sysmon/operational", "") || !IsSysmon("", "MICROSOFT-WINDOWS-SYSMON") || IsSysmon(Security, "") {
		t.Error("IsSysmon")
	}
	if !IsSecurity("security", "") || !IsSecurity("ForwardedEvents", SecurityProvider) || IsSecurity(Sysmon, SysmonProvider) {
		t.Error("IsSecurity")
	}
}

func TestSystemFields(t *testing.T) {
	if f, ok := LookupSystemField("Provider_EventSourceName"); !ok || !f.KQLAsData {
		t.Errorf("Provider_EventSourceName: %+v, %v", f, ok)
	}
	if f, ok := LookupSystemField("EventID"); !ok || f.KQLAsData {
		t.Errorf("EventID: %+v, %v", f, ok)
	}
	if _, ok := LookupSystemField("eventid"); ok {
		t.Error("system field names compare exactly")
	}
	if _, ok := LookupSystemField("Image"); ok {
		t.Error("Image is not a system field")
	}
}

func TestCoreColumnOf(t *testing.T) {
	for name, want := range map[string]CoreColumn{
		"Timestamp": CoreTime, "TimeGenerated": CoreTime, "DeviceName": CoreComputer, "Dvc": CoreComputer,
		"EventID": CoreEventID, "EventOriginalType": CoreEventID, "ReportId": CoreRecordID,
		"EventOriginalUid": CoreRecordID, "timestamp": NotCore, "FolderPath": NotCore,
	} {
		if got := CoreColumnOf(name); got != want {
			t.Errorf("CoreColumnOf(%q) = %d, want %d", name, got, want)
		}
	}
}

// FuzzNumbers checks the two id conversions against each other: whenever
// HexToDecimal converts, ParseNumber reads the same value, and whatever
// ParseNumber reads from a hex id HexToDecimal converts.
func FuzzNumbers(f *testing.F) {
	for _, s := range []string{"0x1a4", "420", " 0X1A4 ", "0x", "0xffffffffffffffff", "-1", "", "0x-1", "+0x1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, ok := ParseNumber(s)
		if !ok && n != 0 {
			t.Fatalf("ParseNumber(%q) = %d with !ok", s, n)
		}
		d := HexToDecimal(s)
		if d != s {
			u, err := strconv.ParseUint(d, 10, 64)
			if err != nil {
				t.Fatalf("HexToDecimal(%q) = %q, not a decimal", s, d)
			}
			if !ok || n != int64(u) {
				t.Fatalf("HexToDecimal(%q) = %q but ParseNumber = %d, %v", s, d, n, ok)
			}
		}
		if tr := strings.TrimSpace(s); ok && len(tr) > 2 && (tr[:2] == "0x" || tr[:2] == "0X") && HexToDecimal(tr) == tr {
			t.Fatalf("ParseNumber(%q) = %d, but HexToDecimal does not convert it", s, n)
		}
		for i := range Security4688.Fields {
			fm := &Security4688.Fields[i]
			src := make([]string, len(fm.From))
			for j := range src {
				src[j] = s
			}
			if v, ok := fm.Apply(src); !ok && v != "" {
				t.Fatalf("%s.Apply(%q) = %q with !ok", fm.Field, s, v)
			}
		}
	})
}

// FuzzLookups checks the case-insensitive lookups: a restored channel or
// label is the input up to case.
func FuzzLookups(f *testing.F) {
	for _, s := range []string{"security", "S-1-16-12288", "s-1-16-8448", Sysmon, "x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got := RestoreChannel(s); got != s && !strings.EqualFold(got, s) {
			t.Fatalf("RestoreChannel(%q) = %q", s, got)
		}
		if l, ok := LookupLabel(s); ok && l.SID != strings.ToUpper(s) {
			t.Fatalf("LookupLabel(%q) = %+v", s, l)
		}
	})
}
