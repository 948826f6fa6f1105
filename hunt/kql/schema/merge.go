package schema

import (
	"slices"
	"strings"
	"time"
)

// mergeWindow is how far apart the Sysmon 1 and Security 4688 records of
// one process creation may be and still count as the same process.
const mergeWindow = 2 * time.Second

// procKey identifies a process creation across the two logs that record
// it: the computer, the process id and the image (case-insensitive).
type procKey struct {
	device string
	pid    int64
	image  string
}

// mergeProcesses folds each Security 4688 row of DeviceProcessEvents into
// the Sysmon 1 row of the same process creation, so a process logged by
// both has one row, as in Defender. Rows are twins when they have the same
// DeviceName, ProcessId and FolderPath (case-insensitive) and their
// ProcessCreationTime values are at most mergeWindow apart. The Sysmon
// row's cells win; an empty cell ("" or null) takes the 4688 row's value
// (AccountSid, ProcessTokenElevation, InitiatingProcessAccountSid,
// InitiatingProcessLogonId, ...). A 4688 row without a twin stays.
//
// rows and keys are in the table's final order, which does not depend on
// how the input was split between workers; the 4688 rows are taken in that
// order, each pairing with the nearest unpaired twin in time (the earlier
// row on a tie), so the result is the same for any thread count. The index
// holds one entry per Sysmon row the table already keeps, and is dropped on
// return.
func mergeProcesses(info *TableInfo, rows [][]any, keys []rowKey, stubs []procStub) ([][]any, []rowKey, int) {
	if info.Index("DeviceName") < 0 || info.Index("ProcessId") < 0 || info.Index("FolderPath") < 0 || info.Index("ProcessCreationTime") < 0 {
		return rows, keys, 0
	}
	// the Sysmon rows, and the stubs of those the queries' filter
	// rejected (stub >= 0), by process, in the table's order
	type cand struct {
		row, stub int
		key       rowKey
		t         time.Time
	}
	sysmonRows := map[procKey][]cand{}
	for i, r := range rows {
		if keys[i].eid != 1 {
			continue
		}
		if k, t, ok := procKeyOf(info, r); ok {
			sysmonRows[k] = append(sysmonRows[k], cand{row: i, stub: -1, key: keys[i], t: t})
		}
	}
	// the 4688 rows and stubs, in the table's order
	type f4688 struct {
		row, stub int
		key       rowKey
	}
	var secs []f4688
	for i := range rows {
		if keys[i].eid == 4688 {
			secs = append(secs, f4688{row: i, stub: -1, key: keys[i]})
		}
	}
	for s, st := range stubs {
		if st.key.eid == 4688 {
			secs = append(secs, f4688{row: -1, stub: s, key: st.key})
			continue
		}
		sysmonRows[st.pk] = append(sysmonRows[st.pk], cand{row: -1, stub: s, key: st.key, t: st.t})
	}
	if len(sysmonRows) == 0 {
		return rows, keys, 0
	}
	if len(stubs) > 0 {
		for _, l := range sysmonRows {
			slices.SortStableFunc(l, func(a, b cand) int { return compareKeys(a.key, b.key) })
		}
		slices.SortStableFunc(secs, func(a, b f4688) int { return compareKeys(a.key, b.key) })
	}
	type ref struct{ row, stub int }
	paired := map[ref]bool{}
	drop := make([]bool, len(rows))
	merged := 0
	for _, sec := range secs {
		var k procKey
		var t time.Time
		ok := true
		if sec.row >= 0 {
			k, t, ok = procKeyOf(info, rows[sec.row])
		} else {
			k, t = stubs[sec.stub].pk, stubs[sec.stub].t
		}
		if !ok {
			continue
		}
		best, bestGap := -1, time.Duration(0)
		list := sysmonRows[k]
		for j, c := range list {
			if paired[ref{c.row, c.stub}] {
				continue
			}
			gap := c.t.Sub(t)
			if gap < 0 {
				gap = -gap
			}
			if gap > mergeWindow {
				continue
			}
			if best < 0 || gap < bestGap {
				best, bestGap = j, gap
			}
		}
		if best < 0 {
			continue
		}
		c := list[best]
		paired[ref{c.row, c.stub}] = true
		switch {
		case c.row >= 0 && sec.row >= 0:
			fillEmpty(rows[c.row], rows[sec.row])
		case c.row >= 0:
			// a rejected 4688 row completes its kept twin
			fill := stubs[sec.stub].fill
			for k, i := range fill.at {
				if v := rows[c.row][i]; v == nil || v == "" {
					rows[c.row][i] = fill.vals[k]
				}
			}
		}
		// merged into its twin, or rejected with it
		if sec.row >= 0 {
			drop[sec.row] = true
		}
		merged++
	}
	if merged == 0 {
		return rows, keys, 0
	}
	outRows, outKeys := rows[:0], keys[:0]
	for i := range rows {
		if !drop[i] {
			outRows = append(outRows, rows[i])
			outKeys = append(outKeys, keys[i])
		}
	}
	return outRows, outKeys, merged
}

// procKeyOf returns the process a DeviceProcessEvents row records and its
// creation time; false when a part is missing.
func procKeyOf(info *TableInfo, r []any) (procKey, time.Time, bool) {
	d, _ := r[info.Index("DeviceName")].(string)
	p, okp := r[info.Index("ProcessId")].(int64)
	i, _ := r[info.Index("FolderPath")].(string)
	t, okt := r[info.Index("ProcessCreationTime")].(time.Time)
	if d == "" || !okp || i == "" || !okt {
		return procKey{}, time.Time{}, false
	}
	return procKey{d, p, strings.ToLower(i)}, t, true
}

// fillEmpty copies into dst every cell of src where dst is empty: a null,
// or an empty string.
func fillEmpty(dst, src []any) {
	for i, v := range dst {
		if v == nil || v == "" {
			dst[i] = src[i]
		}
	}
}
