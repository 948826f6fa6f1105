package schema

import (
	"slices"
	"strings"
	"time"
)

// procStub stands for a row of DeviceProcessEvents that the queries'
// filter rejected: only what the merge needs. A Sysmon 1 stub pairs with
// its Security 4688 twin, which is then rejected with it. A 4688 stub also
// keeps its set cells (copied, so that the event's memory is let go): they
// complete its Sysmon twin if the filter keeps that one.
type procStub struct {
	key  rowKey
	pk   procKey
	t    time.Time
	fill cells
}

// cells are the set cells of a row: their column indexes and values.
type cells struct {
	at   []uint16
	vals []any
}

// compact returns the set cells of a row, strings copied.
func compact(row []any) cells {
	var c cells
	for i, v := range row {
		if i > 1<<16-1 {
			break
		}
		switch x := v.(type) {
		case nil:
			continue
		case string:
			if x == "" {
				continue
			}
			v = strings.Clone(x)
		}
		c.at = append(c.at, uint16(i))
		c.vals = append(c.vals, v)
	}
	c.at, c.vals = slices.Clip(c.at), slices.Clip(c.vals)
	return c
}

// mergeKeyColumns are the columns mergeProcesses pairs rows by: they are
// never blanked.
var mergeKeyColumns = []string{"DeviceName", "ProcessId", "FolderPath", "ProcessCreationTime"}

// pushdownFor finds the Pushdown of a canonical table under any of its
// names.
func pushdownFor(m map[string]Pushdown, s *Schema, canonical string) (Pushdown, bool) {
	for name, pd := range m {
		if t, ok := s.Lookup(name); ok && t.Name == canonical {
			return pd, true
		}
	}
	return Pushdown{}, false
}

// govern sets up a table's pushdown. A filter that reads a column the
// table lacks is not applied.
func (r *tableRows) govern(pd Pushdown) {
	if pd.Filter != nil {
		refs := make([]int, 0, len(pd.FilterColumns))
		ok := true
		for _, c := range pd.FilterColumns {
			i := r.info.Index(c)
			if i < 0 {
				ok = false
				break
			}
			refs = append(refs, i)
		}
		if ok {
			if keep := pd.Filter(); keep != nil {
				r.keep, r.refs = keep, refs
			}
		}
	}
	if pd.Columns != nil {
		read := map[string]bool{}
		for _, c := range pd.Columns {
			read[c] = true
		}
		if r.info.Name == "DeviceProcessEvents" {
			for _, c := range mergeKeyColumns {
				read[c] = true
			}
		}
		for i, c := range r.info.Columns {
			if !read[c.Name] {
				r.blank = append(r.blank, i)
			}
		}
	}
}

// final reports whether the filter's verdict on cells cannot change: every
// cell it reads is set, or nothing fills the table's cells later.
func (b *Builder) final(r *tableRows, cells []any) bool {
	if r.fill == nil && r != b.dpe {
		return true
	}
	for _, i := range r.refs {
		if v := cells[i]; v == nil || v == "" {
			return false
		}
	}
	return true
}

// push applies a table's pushdown to the rows the current event added.
func (b *Builder) push(r *tableRows) {
	var dropped map[*any]bool
	out := r.mark
	for i := r.mark; i < len(r.rows); i++ {
		cells := r.rows[i]
		if r.keep != nil && !r.keep(cells) && b.final(r, cells) {
			if r == b.dpe {
				if pk, t, ok := procKeyOf(r.info, cells); ok {
					pk.image = strings.Clone(pk.image)
					st := procStub{key: r.keys[i], pk: pk, t: t}
					if st.key.eid == 4688 {
						// may complete a Sysmon row the filter keeps
						st.fill = compact(cells)
					}
					r.stubs = append(r.stubs, st)
				}
			}
			{
				if dropped == nil {
					dropped = map[*any]bool{}
				}
				if len(cells) > 0 {
					dropped[&cells[0]] = true
				}
				b.stats.Rows--
				b.stats.Dropped++
				continue
			}
		}
		for _, j := range r.blank {
			cells[j] = r.template[j]
		}
		r.rows[out], r.keys[out] = cells, r.keys[i]
		out++
	}
	for i := out; i < len(r.rows); i++ {
		r.rows[i] = nil
	}
	r.rows, r.keys = r.rows[:out], r.keys[:out]
	if dropped != nil {
		pend := r.pend[:r.pmark]
		for _, p := range r.pend[r.pmark:] {
			if len(p.cells) > 0 && dropped[&p.cells[0]] {
				continue
			}
			pend = append(pend, p)
		}
		r.pend = pend
	}
}
