package schema

import (
	"fmt"
	"math/rand"
	"strings"
	"testing"
	"time"

	"github.com/loghunt/loghunt/parsers"
)

// sec4688 is a Security 4688 of image with process id pid (written in hex,
// as Windows does) on computer, created by SYSTEM for the account CORP\alice.
func sec4688(rec uint64, at time.Time, computer string, pid int, image string) *parsers.Event {
	ev := security(4688, rec, at, "SubjectUserSid", "S-1-5-18", "SubjectUserName", "WS01$", "SubjectDomainName", "CORP",
		"SubjectLogonId", "0x3e7", "NewProcessId", fmt.Sprintf("0x%x", pid), "NewProcessName", image,
		"TokenElevationType", "%%1936", "ProcessId", "0x64", "CommandLine", image+" /c whoami",
		"TargetUserSid", "S-1-5-21-1-2-3-1001", "TargetUserName", "alice", "TargetDomainName", "CORP",
		"TargetLogonId", "0x5a5a", "ParentProcessName", `C:\Windows\explorer.exe`, "MandatoryLabel", "S-1-16-12288")
	ev.Computer = computer
	ev.Source.Path = "security-" + computer + ".evtx"
	return ev
}

// sysmon1 is a Sysmon 1 of image with process id pid on computer, created
// at utc; its record is written 5 ms later.
func sysmon1(rec uint64, utc time.Time, computer string, pid int, image string) *parsers.Event {
	ev := proc1(rec, utc.Add(5*time.Millisecond), fmt.Sprintf("{AAAA0000-0000-0000-0000-%012d}", rec), image,
		"{BBBB0000-1111-2222-3333-444455556666}", `C:\Windows\explorer.exe`)
	ev.Set("UtcTime", utc.Format("2006-01-02 15:04:05.000"))
	ev.Set("ProcessId", fmt.Sprint(pid))
	ev.Computer = computer
	return ev
}

// dpeRows builds DeviceProcessEvents over evs split between n workers in
// the given order, and returns its rows as column maps.
func dpeRows(t *testing.T, n int, evs []*parsers.Event) ([]map[string]any, Stats) {
	t.Helper()
	tables := []string{"DeviceProcessEvents"}
	ws := make([]*Builder, n)
	for i := range ws {
		ws[i] = NewBuilder(Options{Tables: tables})
	}
	for i, ev := range evs {
		ws[i%n].Add(ev)
	}
	for _, w := range ws[1:] {
		ws[0].Merge(w)
	}
	c := ws[0].Finish()
	tab, _ := c.Table("DeviceProcessEvents", nil)
	var out []map[string]any
	for i := range tab.Rows {
		out = append(out, rowMap(t, c, "DeviceProcessEvents", i))
	}
	return out, c.Stats()
}

func TestMergeEveryProcessLoggedTwice(t *testing.T) {
	// Five processes, each logged by Sysmon 1 and by 4688 (the 4688 up to
	// 1.5 s later or earlier, its image spelled in another case).
	images := []string{`C:\Windows\System32\cmd.exe`, `C:\Windows\System32\whoami.exe`, `C:\Windows\System32\net.exe`,
		`C:\Windows\System32\net1.exe`, `C:\Tools\x.exe`}
	var evs []*parsers.Event
	for i, img := range images {
		at := t0.Add(time.Duration(i) * 10 * time.Second)
		pid := 1000 + i
		evs = append(evs, sysmon1(uint64(10+i), at, "WS01.corp.local", pid, img))
		lag := time.Duration(i-2) * 750 * time.Millisecond // -1.5 s .. +1.5 s
		evs = append(evs, sec4688(uint64(20+i), at.Add(lag), "WS01.corp.local", pid, strings.ToUpper(img)))
	}
	var first []map[string]any
	for _, workers := range []int{1, 2, 3, 7} {
		r := rand.New(rand.NewSource(int64(workers)))
		shuffled := append([]*parsers.Event(nil), evs...)
		r.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
		rows, st := dpeRows(t, workers, shuffled)
		if len(rows) != len(images) {
			t.Fatalf("%d workers: %d rows, want one per process (%d)", workers, len(rows), len(images))
		}
		if st.Merged != int64(len(images)) {
			t.Errorf("%d workers: Stats.Merged = %d, want %d", workers, st.Merged, len(images))
		}
		for i, row := range rows {
			at := t0.Add(time.Duration(i) * 10 * time.Second)
			want := map[string]any{
				// Sysmon's cells win: its image spelling, time, record.
				"FolderPath": images[i], "Timestamp": at, "ProcessCreationTime": at, "ReportId": int64(10 + i),
				"ProcessId": int64(1000 + i), "ProcessIntegrityLevel": "High", "AccountName": "alice",
				// Only 4688 has these.
				"AccountSid": "S-1-5-21-1-2-3-1001", "ProcessTokenElevation": "TokenElevationTypeDefault",
				"InitiatingProcessAccountSid": "S-1-5-18", "InitiatingProcessLogonId": int64(0x3e7),
			}
			for k, v := range want {
				if row[k] != v {
					t.Errorf("%d workers: row %d %s = %#v, want %#v", workers, i, k, row[k], v)
				}
			}
		}
		if first == nil {
			first = rows
			continue
		}
		if fmt.Sprint(rows) != fmt.Sprint(first) {
			t.Errorf("%d workers: rows differ from the 1-worker result", workers)
		}
	}
}

func TestMergeKeepsUnmatched(t *testing.T) {
	const host = "WS01.corp.local"
	img := `C:\Windows\System32\cmd.exe`
	tests := []struct {
		name  string
		evs   []*parsers.Event
		rows  int
		sec   int // rows that remain from 4688
		merge int
	}{
		{"4688 without a Sysmon twin", []*parsers.Event{sec4688(1, t0, host, 500, img)}, 1, 1, 0},
		{"2 s apart is the same process", []*parsers.Event{sysmon1(1, t0, host, 500, img), sec4688(2, t0.Add(2*time.Second), host, 500, img)}, 1, 0, 1},
		{"3 s apart", []*parsers.Event{sysmon1(1, t0, host, 500, img), sec4688(2, t0.Add(3*time.Second), host, 500, img)}, 2, 1, 0},
		{"3 s before", []*parsers.Event{sysmon1(1, t0, host, 500, img), sec4688(2, t0.Add(-3*time.Second), host, 500, img)}, 2, 1, 0},
		{"other process id", []*parsers.Event{sysmon1(1, t0, host, 500, img), sec4688(2, t0, host, 501, img)}, 2, 1, 0},
		{"other computer", []*parsers.Event{sysmon1(1, t0, host, 500, img), sec4688(2, t0, "WS02.corp.local", 500, img)}, 2, 1, 0},
		{"other image", []*parsers.Event{sysmon1(1, t0, host, 500, img), sec4688(2, t0, host, 500, `C:\Windows\System32\conhost.exe`)}, 2, 1, 0},
		// One Sysmon row takes one 4688 row: the nearer one in time.
		{"two 4688 for one Sysmon", []*parsers.Event{sysmon1(1, t0, host, 500, img), sec4688(2, t0.Add(time.Second), host, 500, img),
			sec4688(3, t0.Add(500*time.Millisecond), host, 500, img)}, 2, 1, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rows, st := dpeRows(t, 1, tt.evs)
			if len(rows) != tt.rows {
				t.Fatalf("%d rows, want %d", len(rows), tt.rows)
			}
			sec := 0
			for _, r := range rows {
				if r["ProcessTokenElevation"] != "" && r["ProcessVersionInfoCompanyName"] == "" {
					sec++ // only a 4688 row has a token elevation and no version info
				}
			}
			if sec != tt.sec || st.Merged != int64(tt.merge) {
				t.Errorf("4688 rows %d, merged %d; want %d, %d", sec, st.Merged, tt.sec, tt.merge)
			}
		})
	}
	// The nearer 4688 (record 3, 0.5 s) is the one merged; record 2 stays.
	rows, _ := dpeRows(t, 1, tests[len(tests)-1].evs)
	if rows[1]["ReportId"] != int64(2) {
		t.Errorf("remaining 4688 row is record %v, want 2", rows[1]["ReportId"])
	}
}
