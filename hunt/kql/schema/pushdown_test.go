package schema

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/loghunt/loghunt/parsers"
)

// filtered builds tables over evs split between n workers, with or without
// the pushdown, and returns the rows of table that pred keeps (what the
// query's where would see), as printed column maps, and the stats.
func filtered(t *testing.T, n int, table string, pd *Pushdown, pred func(map[string]any) bool, evs []*parsers.Event) ([]string, Stats) {
	t.Helper()
	opts := Options{Tables: []string{table}}
	if pd != nil {
		opts.Pushdown = map[string]Pushdown{table: *pd}
	}
	ws := make([]*Builder, n)
	for i := range ws {
		ws[i] = NewBuilder(opts)
	}
	for i, ev := range evs {
		ws[i%n].Add(ev)
	}
	for _, w := range ws[1:] {
		ws[0].Merge(w)
	}
	c := ws[0].Finish()
	tab, _ := c.Table(table, nil)
	var out []string
	for i := range tab.Rows {
		m := rowMap(t, c, table, i)
		if pred(m) {
			out = append(out, fmt.Sprint(m))
		}
	}
	return out, c.Stats()
}

// cellFilter is a pushdown filter on one string column: the cell contains
// sub (case-insensitive).
func cellFilter(info *TableInfo, col, sub string) (Pushdown, func(map[string]any) bool) {
	i := info.Index(col)
	pred := func(m map[string]any) bool {
		s, _ := m[col].(string)
		return strings.Contains(strings.ToLower(s), sub)
	}
	return Pushdown{
		Filter: func() func([]any) bool {
			return func(row []any) bool {
				s, _ := row[i].(string)
				return strings.Contains(strings.ToLower(s), sub)
			}
		},
		FilterColumns: []string{col},
	}, pred
}

// TestPushdownMergedProcesses: the DeviceProcessEvents rows a where clause
// sees are the same with the filter pushed into the builder, also where a
// Sysmon 1 row and its Security 4688 twin disagree about the filter:
//   - P1: Sysmon rejected, 4688 kept. Merged, the row has Sysmon's command
//     line and is rejected: the 4688 row must not show alone.
//   - P2: Sysmon kept, 4688 rejected. Merged, the Sysmon row takes the
//     4688 row's account SID: the 4688 stub must still give it.
//   - P3: both rejected; P4: both kept; P5 and P6: a Sysmon and a 4688 row
//     without twins, rejected and kept.
func TestPushdownMergedProcesses(t *testing.T) {
	const host = "WS01.corp.local"
	var evs []*parsers.Event
	twin := func(i int, sysCmd, secCmd string) {
		at := t0.Add(time.Duration(i) * 10 * time.Second)
		img := fmt.Sprintf(`C:\Tools\p%d.exe`, i)
		s := sysmon1(uint64(100+i), at, host, 1000+i, img)
		s.Set("CommandLine", sysCmd)
		f := sec4688(uint64(200+i), at.Add(500*time.Millisecond), host, 1000+i, strings.ToUpper(img))
		f.Set("CommandLine", secCmd)
		evs = append(evs, s, f)
	}
	twin(1, "p1.exe benign", "p1.exe /c whoami")
	twin(2, "p2.exe /c whoami", "p2.exe benign")
	twin(3, "p3.exe benign", "p3.exe benign")
	twin(4, "p4.exe whoami", "p4.exe whoami")
	lone := sysmon1(105, t0.Add(50*time.Second), host, 1005, `C:\Tools\p5.exe`)
	lone.Set("CommandLine", "p5.exe benign")
	lone4688 := sec4688(206, t0.Add(60*time.Second), host, 1006, `C:\Tools\p6.exe`)
	evs = append(evs, lone, lone4688)

	info, _ := Default().Lookup("DeviceProcessEvents")
	pd, pred := cellFilter(info, "ProcessCommandLine", "whoami")
	for _, workers := range []int{1, 2, 3} {
		want, _ := filtered(t, workers, "DeviceProcessEvents", nil, pred, evs)
		got, st := filtered(t, workers, "DeviceProcessEvents", &pd, pred, evs)
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("%d workers: with pushdown\n%s\nwithout\n%s", workers, strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
		// p2 (merged, with the 4688's SID), p4 (merged), p6 (alone)
		if len(want) != 3 {
			t.Errorf("%d workers: %d rows pass, want 3 (p2, p4, p6)", workers, len(want))
		}
		// the rejected rows (Sysmon p1, p3, p5; 4688 p2, p3) are stubs,
		// not rows
		if st.Dropped != 5 {
			t.Errorf("%d workers: dropped %d rows, want 5", workers, st.Dropped)
		}
	}
}

// TestPushdownWaitsForLateColumns: a filter on a column the process tree
// fills in Finish (InitiatingProcessFileName) cannot decide when the event
// arrives; the row is kept and the query decides.
func TestPushdownWaitsForLateColumns(t *testing.T) {
	parent := proc1(1, t0, "{00000000-0000-0000-0000-00000000000B}", `C:\Windows\System32\cmd.exe`,
		"{00000000-0000-0000-0000-00000000000A}", `C:\Windows\explorer.exe`)
	conn := sysmon(3, 2, t0.Add(time.Second), "ProcessGuid", "{00000000-0000-0000-0000-00000000000B}",
		"Initiated", "true", "DestinationIp", "1.2.3.4")
	other := sysmon(3, 3, t0.Add(2*time.Second), "ProcessGuid", "{FFFFFFFF-0000-0000-0000-000000000000}",
		"Image", `C:\x.exe`, "Initiated", "true", "DestinationIp", "5.6.7.8")
	evs := []*parsers.Event{conn, other, parent}
	info, _ := Default().Lookup("DeviceNetworkEvents")
	pd, pred := cellFilter(info, "InitiatingProcessFileName", "cmd.exe")
	want, _ := filtered(t, 1, "DeviceNetworkEvents", nil, pred, evs)
	got, st := filtered(t, 1, "DeviceNetworkEvents", &pd, pred, evs)
	if len(want) != 1 || strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("with pushdown\n%s\nwithout\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// other's image is x.exe, set at once: rejected for good
	if st.Dropped != 1 {
		t.Errorf("dropped %d, want 1", st.Dropped)
	}
}

// TestPushdownColumns: columns no query reads are left empty, the others
// are stored, and rows the filter rejects are gone.
func TestPushdownColumns(t *testing.T) {
	evs := []*parsers.Event{
		security(4624, 1, t0, "TargetUserName", "alice", "LogonType", "3", "IpAddress", "10.0.0.1"),
		security(4624, 2, t0.Add(time.Second), "TargetUserName", "bob", "LogonType", "10", "IpAddress", "10.0.0.2"),
	}
	info, _ := Default().Lookup("SecurityEvent")
	pd, _ := cellFilter(info, "TargetUserName", "alice")
	pd.Columns = []string{"TargetUserName", "EventID"}
	c := func() *Catalog {
		b := NewBuilder(Options{Tables: []string{"SecurityEvent"}, Pushdown: map[string]Pushdown{"SecurityEvent": pd}})
		for _, ev := range evs {
			b.Add(ev)
		}
		return b.Finish()
	}()
	tab, _ := c.Table("SecurityEvent", nil)
	if len(tab.Rows) != 1 {
		t.Fatalf("%d rows, want 1", len(tab.Rows))
	}
	m := rowMap(t, c, "SecurityEvent", 0)
	if m["TargetUserName"] != "alice" || m["EventID"] != int64(4624) {
		t.Errorf("read columns: %v %v", m["TargetUserName"], m["EventID"])
	}
	if m["IpAddress"] != "" || m["Computer"] != "" {
		t.Errorf("unread columns kept: IpAddress=%v Computer=%v", m["IpAddress"], m["Computer"])
	}
}
