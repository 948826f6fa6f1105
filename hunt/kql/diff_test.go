package kql

import (
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/loghunt/loghunt/hunt/kql/value"
)

// evRow is one synthetic process event for the differential test.
type evRow struct {
	ts      time.Time
	dev     string
	file    string
	folder  string
	cmd     string
	pid     int64
	account string
	port    any // int64 or nil
	parent  string
}

// diffRows generates deterministic rows with mixed case, punctuation,
// empty strings and null ports.
func diffRows() []evRow {
	files := []string{"cmd.exe", "CMD.EXE", "powershell.exe", "PowerShell.EXE", "rundll32.exe", "svchost.exe", "7za.exe", "net.exe", "whoami.exe", ""}
	cmds := []string{
		`cmd.exe /c whoami`,
		`powershell.exe -enc SQBFAFgA -NoProfile`,
		`powershell.exe -ExecutionPolicy Bypass -File x.ps1`,
		`rundll32.exe shell32.dll,Control_RunDLL`,
		`C:\Windows\System32\svchost.exe -k netsvcs`,
		`7za.exe a 1.7z C:\aaaa\secret`,
		`net user admin P@ss /add`,
		`net1 localgroup administrators`,
		`"C:\Program Files\App\app.exe" --update`,
		`whoamI /all`,
		``,
		`cmd.exe /c SYSTEMINFO & TASKLIST`,
		`xcmd.exe /c whoamix`,
		`run.exe /c notwhoami`,
		`dotnet build C:\aaaa\x`,
		`xC:\aaaa\y`,
	}
	parents := []string{"explorer.exe", "winword.exe", "services.exe", "WmiPrvSE.exe", "cmd.exe"}
	accounts := []string{"alice", "Bob", "SYSTEM", "admin", ""}
	var out []evRow
	seed := uint32(7)
	rnd := func(n int) int {
		seed = seed*1664525 + 1013904223
		return int(seed>>8) % n
	}
	for i := 0; i < 600; i++ {
		f := files[rnd(len(files))]
		var port any
		if rnd(4) != 0 {
			port = int64([]int{80, 443, 445, 3389, 4444, 8080}[rnd(6)])
		}
		out = append(out, evRow{
			ts:      testNow.Add(-time.Duration(rnd(20*24)) * time.Hour).Add(-time.Duration(i) * time.Second),
			dev:     fmt.Sprintf("WS%02d.contoso.local", rnd(12)),
			file:    f,
			folder:  `C:\Windows\System32\` + f,
			cmd:     cmds[rnd(len(cmds))],
			pid:     int64(i),
			account: accounts[rnd(len(accounts))],
			port:    port,
			parent:  parents[rnd(len(parents))],
		})
	}
	return out
}

func diffTable(rows []evRow) *value.Table {
	t := &value.Table{Name: "DeviceProcessEvents", Columns: append(slices.Clone(processColumns),
		value.Column{Name: "AccountName", Type: value.String},
		value.Column{Name: "RemotePort", Type: value.Long},
		value.Column{Name: "InitiatingProcessFileName", Type: value.String},
	)}
	for _, r := range rows {
		t.Rows = append(t.Rows, []any{r.ts, r.dev, r.file, r.folder, r.cmd, r.pid, r.account, r.port, r.parent})
	}
	return t
}

// refHas is an independent statement of the has rule: split the haystack
// into terms for an alphanumeric needle; otherwise a case-insensitive
// substring whose alphanumeric ends sit on term boundaries.
func refHas(h, n string) bool {
	isAlnum := func(r byte) bool {
		return r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z'
	}
	allAlnum := n != ""
	for i := 0; i < len(n); i++ {
		allAlnum = allAlnum && isAlnum(n[i])
	}
	if allAlnum {
		for _, term := range strings.FieldsFunc(h, func(r rune) bool { return r > 127 || !isAlnum(byte(r)) }) {
			if strings.EqualFold(term, n) {
				return true
			}
		}
		return false
	}
	hl, nl := strings.ToLower(h), strings.ToLower(n)
	for i := 0; i+len(nl) <= len(hl); i++ {
		if hl[i:i+len(nl)] != nl {
			continue
		}
		if isAlnum(nl[0]) && i > 0 && isAlnum(hl[i-1]) {
			continue
		}
		if e := i + len(nl); isAlnum(nl[len(nl)-1]) && e < len(hl) && isAlnum(hl[e]) {
			continue
		}
		return true
	}
	return false
}

func ci(a, b string) bool { return strings.EqualFold(a, b) }

func TestDifferential(t *testing.T) {
	rows := diffRows()
	cat := NewMapCatalog(diffTable(rows))
	day := func(d int) time.Time { return testNow.Add(-time.Duration(d) * 24 * time.Hour) }
	lower := strings.ToLower
	type filterCase struct {
		name  string
		query string
		keep  func(r evRow) bool
		// less, when set, orders the kept rows (the query sorts); take
		// limits them.
		less func(a, b evRow) bool
		take int
	}
	cases := []filterCase{
		{"eq", `where FileName == "cmd.exe"`, func(r evRow) bool { return r.file == "cmd.exe" }, nil, 0},
		{"eq-tilde", `where FileName =~ "cmd.exe"`, func(r evRow) bool { return ci(r.file, "cmd.exe") }, nil, 0},
		{"neq", `where FileName != "cmd.exe"`, func(r evRow) bool { return r.file != "cmd.exe" }, nil, 0},
		{"neq-tilde", `where FileName !~ "cmd.exe"`, func(r evRow) bool { return !ci(r.file, "cmd.exe") }, nil, 0},
		{"has-term", `where ProcessCommandLine has "whoami"`, func(r evRow) bool { return refHas(r.cmd, "whoami") }, nil, 0},
		{"has-punct", `where ProcessCommandLine has @"C:\aaaa\"`, func(r evRow) bool { return refHas(r.cmd, `C:\aaaa\`) }, nil, 0},
		{"has-phrase", `where ProcessCommandLine has "user admin"`, func(r evRow) bool { return refHas(r.cmd, "user admin") }, nil, 0},
		{"not-has", `where ProcessCommandLine !has "net"`, func(r evRow) bool { return !refHas(r.cmd, "net") }, nil, 0},
		{"has_cs", `where ProcessCommandLine has_cs "SYSTEMINFO"`, func(r evRow) bool {
			return refHas(r.cmd, "SYSTEMINFO") && strings.Contains(r.cmd, "SYSTEMINFO")
		}, nil, 0},
		{"contains", `where ProcessCommandLine contains "WHOAMI"`, func(r evRow) bool { return strings.Contains(lower(r.cmd), "whoami") }, nil, 0},
		{"not-contains", `where ProcessCommandLine !contains "exe"`, func(r evRow) bool { return !strings.Contains(lower(r.cmd), "exe") }, nil, 0},
		{"contains_cs", `where ProcessCommandLine contains_cs "Bypass"`, func(r evRow) bool { return strings.Contains(r.cmd, "Bypass") }, nil, 0},
		{"startswith", `where ProcessCommandLine startswith "NET "`, func(r evRow) bool { return strings.HasPrefix(lower(r.cmd), "net ") }, nil, 0},
		{"endswith", `where FolderPath endswith @"\powershell.exe"`, func(r evRow) bool { return strings.HasSuffix(lower(r.folder), `\powershell.exe`) }, nil, 0},
		{"not-endswith", `where FolderPath !endswith ".exe"`, func(r evRow) bool { return !strings.HasSuffix(lower(r.folder), ".exe") }, nil, 0},
		{"in", `where FileName in ("cmd.exe", "net.exe")`, func(r evRow) bool { return r.file == "cmd.exe" || r.file == "net.exe" }, nil, 0},
		{"in-tilde", `where FileName in~ ("cmd.exe", "powershell.exe")`, func(r evRow) bool { return ci(r.file, "cmd.exe") || ci(r.file, "powershell.exe") }, nil, 0},
		{"not-in", `where FileName !in ("cmd.exe", "")`, func(r evRow) bool { return r.file != "cmd.exe" && r.file != "" }, nil, 0},
		{"not-in-tilde", `where InitiatingProcessFileName !in~ ("EXPLORER.EXE", "services.exe")`, func(r evRow) bool {
			return !ci(r.parent, "explorer.exe") && !ci(r.parent, "services.exe")
		}, nil, 0},
		{"has_any", `where ProcessCommandLine has_any ("bypass", "-enc", "localgroup")`, func(r evRow) bool {
			return refHas(r.cmd, "bypass") || refHas(r.cmd, "-enc") || refHas(r.cmd, "localgroup")
		}, nil, 0},
		{"has_all", `where ProcessCommandLine has_all ("powershell.exe", "-NoProfile")`, func(r evRow) bool {
			return refHas(r.cmd, "powershell.exe") && refHas(r.cmd, "-NoProfile")
		}, nil, 0},
		{"regex", `where ProcessCommandLine matches regex @"^net1? "`, func(r evRow) bool { return regexp.MustCompile(`^net1? `).MatchString(r.cmd) }, nil, 0},
		{"ago", `where Timestamp > ago(3d)`, func(r evRow) bool { return r.ts.After(day(3)) }, nil, 0},
		{"between-time", `where Timestamp between (ago(10d) .. ago(5d))`, func(r evRow) bool { return !r.ts.Before(day(10)) && !r.ts.After(day(5)) }, nil, 0},
		{"null-port-eq", `where RemotePort == 445`, func(r evRow) bool { return r.port == int64(445) }, nil, 0},
		// Kusto "Null values": null != value is true, so rows without a port pass
		{"null-port-neq", `where RemotePort != 445`, func(r evRow) bool { return r.port != int64(445) }, nil, 0},
		{"null-port-not-in", `where RemotePort !in (445, 3389)`, func(r evRow) bool { return r.port != int64(445) && r.port != int64(3389) }, nil, 0},
		{"null-port-lt", `where not(RemotePort < 1000)`, func(r evRow) bool { p, ok := r.port.(int64); return ok && p >= 1000 }, nil, 0},
		{"isnull", `where isnull(RemotePort)`, func(r evRow) bool { return r.port == nil }, nil, 0},
		{"isempty", `where isempty(AccountName)`, func(r evRow) bool { return r.account == "" }, nil, 0},
		{"isnotempty-and", `where isnotempty(FileName) and AccountName =~ "bob"`, func(r evRow) bool { return r.file != "" && ci(r.account, "bob") }, nil, 0},
		{"port-between", `where RemotePort between (400 .. 3400)`, func(r evRow) bool {
			p, ok := r.port.(int64)
			return ok && p >= 400 && p <= 3400
		}, nil, 0},
		{"or-not", `where not(FileName =~ "svchost.exe") and (RemotePort > 1000 or AccountName == "SYSTEM")`, func(r evRow) bool {
			p, ok := r.port.(int64)
			return !ci(r.file, "svchost.exe") && ((ok && p > 1000) || r.account == "SYSTEM")
		}, nil, 0},
		{"extend-where", `extend lf = tolower(FileName) | where lf == "powershell.exe" and strlen(ProcessCommandLine) > 30`, func(r evRow) bool {
			return lower(r.file) == "powershell.exe" && len(r.cmd) > 30
		}, nil, 0},
		{"split-index", `where tostring(split(DeviceName, ".")[0]) == "WS03"`, func(r evRow) bool { return strings.Split(r.dev, ".")[0] == "WS03" }, nil, 0},
		{"top-desc", `where FileName =~ "cmd.exe" | top 7 by Timestamp desc`, func(r evRow) bool { return ci(r.file, "cmd.exe") },
			func(a, b evRow) bool { return a.ts.After(b.ts) }, 7},
		{"sort-asc-then", `where ProcessCommandLine has "exe" | sort by DeviceName asc, ProcessId desc`, func(r evRow) bool { return refHas(r.cmd, "exe") },
			func(a, b evRow) bool {
				if a.dev != b.dev {
					return a.dev < b.dev
				}
				return a.pid > b.pid
			}, 0},
		{"top-nulls", `top 15 by RemotePort asc`, func(r evRow) bool { return true },
			func(a, b evRow) bool {
				// asc: nulls first
				if (a.port == nil) != (b.port == nil) {
					return a.port == nil
				}
				if a.port == nil {
					return false
				}
				return a.port.(int64) < b.port.(int64)
			}, 15},
		{"take", `where AccountName == "admin" | take 5`, func(r evRow) bool { return r.account == "admin" }, nil, 5},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			q := mustParse(t, "DeviceProcessEvents\n| "+tc.query)
			res, warns := mustRun(t, q, cat)
			if len(warns) > 0 {
				t.Errorf("warnings: %v", warns)
			}
			var want []evRow
			for _, r := range rows {
				if tc.keep(r) {
					want = append(want, r)
				}
			}
			if tc.less != nil {
				sort.SliceStable(want, func(i, j int) bool { return tc.less(want[i], want[j]) })
			}
			if tc.take > 0 && len(want) > tc.take {
				want = want[:tc.take]
			}
			pi := res.Index("ProcessId")
			var got []int64
			for _, r := range res.Rows {
				got = append(got, r[pi].(int64))
			}
			var wantIDs []int64
			for _, r := range want {
				wantIDs = append(wantIDs, r.pid)
			}
			if fmt.Sprint(got) != fmt.Sprint(wantIDs) {
				t.Errorf("got %d rows %v\nwant %d rows %v", len(got), got, len(wantIDs), wantIDs)
			}
			if len(wantIDs) == 0 && tc.name != "not-endswith" {
				t.Errorf("reference selects no rows: the case proves nothing")
			}
		})
	}

	// aggregations compared with Go maps
	t.Run("summarize-count-dcount", func(t *testing.T) {
		q := mustParse(t, `DeviceProcessEvents | where Timestamp > ago(7d) | summarize n = count(), accts = dcount(AccountName), last = max(Timestamp) by Dev = tolower(DeviceName)`)
		res, _ := mustRun(t, q, cat)
		type agg struct {
			n    int64
			acct map[string]bool
			last time.Time
		}
		want := map[string]*agg{}
		for _, r := range rows {
			if !r.ts.After(day(7)) {
				continue
			}
			k := lower(r.dev)
			a := want[k]
			if a == nil {
				a = &agg{acct: map[string]bool{}}
				want[k] = a
			}
			a.n++
			a.acct[r.account] = true
			if r.ts.After(a.last) {
				a.last = r.ts
			}
		}
		if len(res.Rows) != len(want) {
			t.Fatalf("%d groups, want %d", len(res.Rows), len(want))
		}
		for _, row := range res.Rows {
			a := want[row[0].(string)]
			if a == nil || row[1].(int64) != a.n || row[2].(int64) != int64(len(a.acct)) || !row[3].(time.Time).Equal(a.last) {
				t.Errorf("group %v: want %+v", row, a)
			}
		}
	})
	t.Run("summarize-arg_max", func(t *testing.T) {
		q := mustParse(t, `DeviceProcessEvents | summarize arg_max(Timestamp, ProcessId, FileName) by AccountName | sort by AccountName asc`)
		res, _ := mustRun(t, q, cat)
		best := map[string]evRow{}
		for _, r := range rows {
			if b, ok := best[r.account]; !ok || r.ts.After(b.ts) {
				best[r.account] = r
			}
		}
		var keys []string
		for k := range best {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		if len(res.Rows) != len(keys) {
			t.Fatalf("%d rows, want %d", len(res.Rows), len(keys))
		}
		for i, k := range keys {
			row := res.Rows[i]
			if row[0] != k || row[2] != best[k].pid || row[3] != best[k].file {
				t.Errorf("row %v, want %s %d %s", row, k, best[k].pid, best[k].file)
			}
		}
	})
	t.Run("join-inner", func(t *testing.T) {
		q := mustParse(t, `let parents = DeviceProcessEvents | where FileName =~ "cmd.exe" | distinct DeviceName;
DeviceProcessEvents | where FileName =~ "net.exe" | join kind=inner (parents) on DeviceName | project ProcessId`)
		res, _ := mustRun(t, q, cat)
		devs := map[string]bool{}
		for _, r := range rows {
			if ci(r.file, "cmd.exe") {
				devs[r.dev] = true
			}
		}
		var want []int64
		for _, r := range rows {
			if ci(r.file, "net.exe") && devs[r.dev] {
				want = append(want, r.pid)
			}
		}
		var got []int64
		for _, row := range res.Rows {
			got = append(got, row[0].(int64))
		}
		if fmt.Sprint(got) != fmt.Sprint(want) || len(want) == 0 {
			t.Errorf("got %v, want %v", got, want)
		}
	})
	t.Run("join-leftanti", func(t *testing.T) {
		q := mustParse(t, `DeviceProcessEvents | where FileName =~ "net.exe" | join kind=leftanti (DeviceProcessEvents | where FileName =~ "cmd.exe") on DeviceName | project ProcessId`)
		res, _ := mustRun(t, q, cat)
		devs := map[string]bool{}
		for _, r := range rows {
			if ci(r.file, "cmd.exe") {
				devs[r.dev] = true
			}
		}
		var want []int64
		for _, r := range rows {
			if ci(r.file, "net.exe") && !devs[r.dev] {
				want = append(want, r.pid)
			}
		}
		var got []int64
		for _, row := range res.Rows {
			got = append(got, row[0].(int64))
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("got %v, want %v", got, want)
		}
	})
}
