package schema

import (
	"testing"
	"time"
)

// TestSysmonTimestampIsUtcTime: a Sysmon 1 whose record time is two hours
// off (an export that wrote TimeCreated as local time) gives
// DeviceProcessEvents the Timestamp of its UtcTime, as schema_map.tsv
// says, and so agrees with its own ProcessCreationTime.
func TestSysmonTimestampIsUtcTime(t *testing.T) {
	utc := time.Date(2024, 5, 1, 8, 30, 15, 250e6, time.UTC)
	ev := proc1(7, utc.Add(2*time.Hour), "{AAAA0000-1111-2222-3333-444455556666}", `C:\Windows\System32\cmd.exe`,
		"{BBBB0000-1111-2222-3333-444455556666}", `C:\Windows\explorer.exe`)
	ev.Set("UtcTime", "2024-05-01 08:30:15.250")
	got := rowMap(t, build(t, []string{"DeviceProcessEvents"}, ev), "DeviceProcessEvents", 0)
	for _, col := range []string{"Timestamp", "TimeGenerated", "ProcessCreationTime"} {
		if got[col] != utc {
			t.Errorf("%s = %v, want %v (UtcTime)", col, got[col], utc)
		}
	}
}
