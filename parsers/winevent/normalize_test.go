package winevent

import (
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
