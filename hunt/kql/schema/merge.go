package schema

import (
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
func mergeProcesses(info *TableInfo, rows [][]any, keys []rowKey) ([][]any, []rowKey, int) {
	dev, pid, img, ct := info.Index("DeviceName"), info.Index("ProcessId"), info.Index("FolderPath"), info.Index("ProcessCreationTime")
	if dev < 0 || pid < 0 || img < 0 || ct < 0 {
		return rows, keys, 0
	}
	keyOf := func(r []any) (procKey, time.Time, bool) {
		d, _ := r[dev].(string)
		p, okp := r[pid].(int64)
		i, _ := r[img].(string)
		t, okt := r[ct].(time.Time)
		if d == "" || !okp || i == "" || !okt {
			return procKey{}, time.Time{}, false
		}
		return procKey{d, p, strings.ToLower(i)}, t, true
	}
	sysmonRows := map[procKey][]int{}
	for i, r := range rows {
		if keys[i].eid != 1 {
			continue
		}
		if k, _, ok := keyOf(r); ok {
			sysmonRows[k] = append(sysmonRows[k], i)
		}
	}
	if len(sysmonRows) == 0 {
		return rows, keys, 0
	}
	paired := map[int]bool{}
	drop := make([]bool, len(rows))
	merged := 0
	for i, r := range rows {
		if keys[i].eid != 4688 {
			continue
		}
		k, t, ok := keyOf(r)
		if !ok {
			continue
		}
		best, bestGap := -1, time.Duration(0)
		for _, j := range sysmonRows[k] {
			if paired[j] {
				continue
			}
			st, _ := rows[j][ct].(time.Time)
			gap := st.Sub(t)
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
		paired[best] = true
		fillEmpty(rows[best], r)
		drop[i] = true
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

// fillEmpty copies into dst every cell of src where dst is empty: a null,
// or an empty string.
func fillEmpty(dst, src []any) {
	for i, v := range dst {
		if v == nil || v == "" {
			dst[i] = src[i]
		}
	}
}
