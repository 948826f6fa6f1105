package schema

import (
	"cmp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/loghunt/loghunt/hunt/kql/value"
	"github.com/loghunt/loghunt/parsers"
	"github.com/loghunt/loghunt/parsers/winevent"
)

// Options configures a Builder.
type Options struct {
	// Tables names every table the queries reference, by canonical name,
	// alias or ASIM function name ("DeviceProcessEvents", "imProcessCreation",
	// "_Im_NetworkSession"). Rows are kept only for these tables. Names the
	// schema does not know are ignored: reporting unknown tables, with their
	// position, is the evaluator's job. An empty list collects nothing.
	Tables []string
	// Schema is the table description to fill; nil means Default().
	Schema *Schema
	// Pushdown says, per table (by any name Lookup knows), which rows and
	// columns the queries can read; a table without an entry keeps every
	// row and column.
	Pushdown map[string]Pushdown
}

// Pushdown is what the queries can read of one table (see
// hunt/kql's Query.Uses): rows the filter rejects and cells of other
// columns are not stored.
//
// A rejected row is dropped only when the filter's verdict is final: every
// column the filter reads is already set (cells the process tree or the
// 4688 merge fill in Finish are only ever empty ones). In
// DeviceProcessEvents a rejected Sysmon 1 row leaves a small stub for the
// merge (a 4688 twin of a row the filter rejected is rejected with it) and
// Security 4688 rows are kept whole (their cells may complete a Sysmon row
// the filter keeps).
type Pushdown struct {
	// Filter returns a new predicate over a row's cells, in the table's
	// column order, reporting whether to keep it; the Builder calls it
	// once, and the predicate is used by that Builder alone. Nil keeps
	// every row.
	Filter func() func(row []any) bool
	// FilterColumns are the columns the filter reads.
	FilterColumns []string
	// Columns are the columns the queries read; nil means all of them.
	Columns []string
}

// Builder converts events into rows of the requested tables.
//
// A Builder is not safe for concurrent use. Parallel workers each use their
// own Builder (same Options) and the owner merges them with Merge before
// Finish; Finish sorts rows by time and source position, so the result does
// not depend on how the input was split.
type Builder struct {
	s *Schema

	dpe, dne, dfe, dre, dil, sec, evt, imp, imn, imf, imr *tableRows
	dle, dev, dinf, ile, iqe, dfci                        *tableRows
	all                                                   []*tableRows

	// procs indexes Sysmon event 1 by ProcessGuid for the Initiating* and
	// Acting* columns; nil when no requested table needs it.
	procs   map[string]*procInfo
	devices map[string]device // by Computer
	// seen holds, per Computer, the newest event from it, for DeviceInfo;
	// nil when DeviceInfo is not requested.
	seen  map[string]rowKey
	stats Stats
	// governed are the tables with a Pushdown.
	governed []*tableRows
}

// Stats counts what a Builder did.
type Stats struct {
	Events   int64 // events offered to Add
	Rows     int64 // rows produced, over all tables
	Resolved int64 // rows whose Initiating*/Acting* columns came from the process tree
	Orphans  int64 // rows whose process-creation event was not in the input
	// Merged counts the Security 4688 rows of DeviceProcessEvents folded
	// into the Sysmon 1 row of the same process creation (see Finish);
	// Rows does not count them.
	Merged int64
	// Dropped counts the rows the queries' filters rejected (Pushdown);
	// Rows does not count them.
	Dropped int64
}

// device caches the synthesized Defender device columns of one Computer.
type device struct{ id, name string }

// tableRows accumulates the rows of one table.
type tableRows struct {
	info     *TableInfo
	template []any // one zero cell per column: "" for strings, nil otherwise
	rows     [][]any
	keys     []rowKey
	pend     []pending
	fill     func(r *tableRows, cells []any, p, parent *procInfo)

	// pushdown (Options.Pushdown): keep rejects rows, reading the cells
	// refs; blank lists the columns no query reads; stubs stand for the
	// rejected Sysmon rows of DeviceProcessEvents in the merge; mark and
	// pmark are the lengths of rows and pend before the current event.
	keep        func([]any) bool
	refs        []int
	blank       []int
	stubs       []procStub
	mark, pmark int
}

// rowKey orders rows deterministically: by time, then input position.
type rowKey struct {
	t      int64
	path   string
	offset int64 // byte offset, or the line when line is set
	rec    uint64
	line   bool
	eid    uint32 // the event's id, for Origin
}

// origin returns the position and ids of the event a row came from.
func (k rowKey) origin() Origin {
	o := Origin{Source: parsers.Source{Path: k.path, Offset: k.offset}, RecordID: k.rec, EventID: k.eid}
	if k.line {
		o.Source.Offset, o.Source.Line = -1, k.offset
	}
	return o
}

// when returns the time a key was made with, or the zero time.
func (k rowKey) when() time.Time {
	if k.t == 0 {
		return time.Time{}
	}
	return time.Unix(0, k.t).UTC()
}

func keyOf(ev *parsers.Event, t time.Time) rowKey {
	k := rowKey{path: ev.Source.Path, offset: ev.Source.Offset, rec: ev.RecordID, eid: ev.EventID}
	if ev.Source.Line > 0 {
		k.offset, k.line = ev.Source.Line, true
	}
	if !t.IsZero() {
		k.t = t.UnixNano()
	}
	return k
}

func compareKeys(a, b rowKey) int {
	if c := cmp.Compare(a.t, b.t); c != 0 {
		return c
	}
	if c := strings.Compare(a.path, b.path); c != 0 {
		return c
	}
	if c := cmp.Compare(a.offset, b.offset); c != 0 {
		return c
	}
	return cmp.Compare(a.rec, b.rec)
}

// pending is a row waiting for a process-tree lookup in Finish.
type pending struct {
	cells []any
	guid  string // normalized ProcessGuid to look up
}

// NewBuilder returns a Builder for the tables named in opts.
func NewBuilder(opts Options) *Builder {
	s := opts.Schema
	if s == nil {
		s = Default()
	}
	b := &Builder{s: s, devices: map[string]device{}}
	for _, name := range opts.Tables {
		t, ok := s.Lookup(name)
		if !ok {
			continue
		}
		slot := b.slot(t.Name)
		if slot == nil || *slot != nil {
			continue
		}
		r := &tableRows{info: t, template: make([]any, len(t.Columns)), fill: fillerFor(t.Name)}
		for i, c := range t.Columns {
			if c.Type == value.String {
				r.template[i] = ""
			}
		}
		*slot = r
		b.all = append(b.all, r)
		if pd, ok := pushdownFor(opts.Pushdown, s, t.Name); ok {
			r.govern(pd)
			b.governed = append(b.governed, r)
		}
		if r.fill != nil && b.procs == nil {
			b.procs = map[string]*procInfo{}
		}
		if t.Name == "DeviceInfo" {
			b.seen = map[string]rowKey{}
		}
	}
	return b
}

// slot returns the field that holds a canonical table's rows, or nil for a
// table this package has no converter for.
func (b *Builder) slot(name string) **tableRows {
	switch name {
	case "DeviceProcessEvents":
		return &b.dpe
	case "DeviceNetworkEvents":
		return &b.dne
	case "DeviceFileEvents":
		return &b.dfe
	case "DeviceRegistryEvents":
		return &b.dre
	case "DeviceImageLoadEvents":
		return &b.dil
	case "SecurityEvent":
		return &b.sec
	case "Event":
		return &b.evt
	case "imProcessCreate":
		return &b.imp
	case "imNetworkSession":
		return &b.imn
	case "imFileEvent":
		return &b.imf
	case "imRegistry":
		return &b.imr
	case "DeviceLogonEvents":
		return &b.dle
	case "DeviceEvents":
		return &b.dev
	case "DeviceInfo":
		return &b.dinf
	case "IdentityLogonEvents":
		return &b.ile
	case "IdentityQueryEvents":
		return &b.iqe
	case "DeviceFileCertificateInfo":
		return &b.dfci
	}
	return nil
}

// Stats returns the counts so far.
func (b *Builder) Stats() Stats { return b.stats }

// row is one row under construction.
type row struct {
	r     *tableRows
	cells []any
}

func (b *Builder) newRow(r *tableRows, ev *parsers.Event, t time.Time) row {
	cells := make([]any, len(r.template))
	copy(cells, r.template)
	r.rows = append(r.rows, cells)
	r.keys = append(r.keys, keyOf(ev, t))
	b.stats.Rows++
	return row{r, cells}
}

// set stores v in the named column; a column the table lacks is skipped, so
// converters can be shared between tables with overlapping columns.
func (w row) set(name string, v any) {
	if i, ok := w.r.info.index[name]; ok {
		w.cells[i] = v
	}
}

// str stores a string; "" leaves the column empty.
func (w row) str(name, v string) {
	if v != "" {
		w.set(name, v)
	}
}

// lookup queues the row for a process-tree lookup of guid in Finish.
func (w row) lookup(guid string) {
	if g := guidKey(guid); g != "" && w.r.fill != nil {
		w.r.pend = append(w.r.pend, pending{w.cells, g})
	}
}

// view gives converters the values of one event. The event's memory is the
// parser's, reused after Add returns, and rows keep strings of it: the
// first converter that reads the event makes a copy (Clone), so an event
// that becomes no row costs no copy.
type view struct {
	src  *parsers.Event
	ev   *parsers.Event // the copy, once made
	time time.Time
}

// event returns the copy of the event, making it on first use.
func (v *view) event() *parsers.Event {
	if v.ev == nil {
		v.ev = v.src.Clone()
	}
	return v.ev
}

func (v *view) get(name string) string {
	s, _ := v.event().Get(name)
	return s
}

// host is the event's computer name (Computer field when the core field is
// empty).
func (v *view) host() string {
	if h := v.event().Computer; h != "" {
		return h
	}
	return v.get("Computer")
}

// Add converts ev into rows of every requested table it belongs to. It
// copies what it keeps: ev may be reused after Add returns. Events that
// belong to no requested table are counted and otherwise ignored.
func (b *Builder) Add(ev *parsers.Event) {
	b.stats.Events++
	if len(b.all) == 0 {
		return
	}
	for _, r := range b.governed {
		r.mark, r.pmark = len(r.rows), len(r.pend)
	}
	v := view{src: ev, time: ev.Time}
	id := ev.EventID
	if id == 0 {
		if s, _ := ev.Get("EventID"); s != "" {
			if n, err := strconv.ParseUint(s, 10, 32); err == nil {
				id = uint32(n)
			}
		}
	}
	switch {
	case isSysmon(ev):
		// Timestamp is Sysmon's UtcTime (schema_map.tsv), decided
		// with every parser's event time in winevent.TimeField.
		if t, ok := winevent.EventTime(ev); ok {
			v.time = t
		}
		b.addSysmon(&v, id)
		if b.evt != nil {
			b.addEvent(&v, id)
		}
	case isSecurity(ev):
		b.addSecurity(&v, id)
	default:
		b.addOther(&v, id)
		if b.iqe != nil {
			b.addIdentityQuery(&v, id)
		}
		if b.evt != nil {
			b.addEvent(&v, id)
		}
	}
	if b.seen != nil {
		b.seeDevice(&v)
	}
	for _, r := range b.governed {
		if len(r.rows) > r.mark {
			b.push(r)
		}
	}
}

func isSysmon(ev *parsers.Event) bool { return winevent.IsSysmon(ev.Channel, ev.Provider) }

func isSecurity(ev *parsers.Event) bool { return winevent.IsSecurity(ev.Channel, ev.Provider) }

func (b *Builder) addSysmon(v *view, id uint32) {
	switch id {
	case 1:
		if b.procs != nil {
			b.addProc(v)
		}
		if b.dpe != nil {
			b.dpeSysmon(v)
		}
		if b.imp != nil {
			b.impSysmon(v)
		}
	case 3:
		if b.dne != nil {
			b.dneSysmon(v)
		}
		if b.imn != nil {
			b.imnSysmon(v)
		}
	case 7:
		if b.dil != nil {
			b.dilSysmon(v, id)
		}
		if b.dfci != nil {
			b.dfciSysmon(v)
		}
	case 6:
		if b.dfci != nil {
			b.dfciSysmon(v)
		}
	case 2, 11, 15, 23, 26:
		if b.dfe != nil {
			b.dfeSysmon(v, id)
		}
		if b.imf != nil && id != 2 && id != 15 {
			b.imfSysmon(v, id)
		}
	case 12, 13, 14:
		if b.dre != nil {
			b.dreSysmon(v, id)
		}
		if b.imr != nil {
			b.imrSysmon(v, id)
		}
	case 8, 10, 17, 18, 22:
		if b.dev != nil {
			b.devSysmon(v, id)
		}
	}
}

func (b *Builder) addSecurity(v *view, id uint32) {
	switch {
	case id == 4688:
		if b.dpe != nil {
			b.dpeSecurity(v)
		}
		if b.imp != nil {
			b.impSecurity(v)
		}
	case isFirewallEvent(id):
		if b.imn != nil {
			b.imnFirewall(v, id)
		}
		if b.dne != nil {
			b.dneFirewall(v, id)
		}
	case id == 4663 || id == 5145:
		if b.dfe != nil {
			b.dfeSecurity(v, id)
		}
	case id == 4657:
		if b.dre != nil {
			b.dreSecurity(v)
		}
		if b.imr != nil {
			b.imrSecurity(v)
		}
	case deviceLogonEvent(id):
		if b.dle != nil {
			b.dleSecurity(v, id)
		}
	case identityLogonEvent(id):
		if b.ile != nil {
			b.ileSecurity(v, id)
		}
	case deviceEventSecurity(id):
		if b.dev != nil {
			b.devSecurity(v, id)
		}
	case id == 4661:
		if b.iqe != nil {
			b.iqeSAMR(v)
		}
	}
	if b.sec != nil {
		b.secRow(v, id)
	}
}

// device fills the Defender device columns shared by every Device* table.
func (b *Builder) device(w row, v *view, ev *parsers.Event) {
	w.set("Timestamp", timeCell(v.time))
	w.set("TimeGenerated", timeCell(v.time))
	if h := v.host(); h != "" {
		d, ok := b.devices[h]
		if !ok {
			d = device{id: deviceID(h), name: strings.ToLower(h)}
			b.devices[h] = d
		}
		w.set("DeviceId", d.id)
		w.set("DeviceName", d.name)
	}
	if ev.RecordID != 0 {
		w.set("ReportId", int64(ev.RecordID))
	}
	w.set("Type", w.r.info.Name)
}

// Merge moves o's rows and process index into b. o must not be used again.
func (b *Builder) Merge(o *Builder) {
	for _, or := range o.all {
		slot := b.slot(or.info.Name)
		if *slot == nil {
			*slot = or
			b.all = append(b.all, or)
			continue
		}
		r := *slot
		r.rows = append(r.rows, or.rows...)
		r.keys = append(r.keys, or.keys...)
		r.pend = append(r.pend, or.pend...)
		r.stubs = append(r.stubs, or.stubs...)
	}
	if o.seen != nil {
		if b.seen == nil {
			b.seen = map[string]rowKey{}
		}
		for h, k := range o.seen {
			if q, ok := b.seen[h]; !ok || compareKeys(k, q) > 0 {
				b.seen[h] = k
			}
		}
	}
	if o.procs != nil {
		if b.procs == nil {
			b.procs = map[string]*procInfo{}
		}
		for k, p := range o.procs {
			if q, ok := b.procs[k]; !ok || p.created.Before(q.created) {
				b.procs[k] = p
			}
		}
	}
	b.stats.Events += o.stats.Events
	b.stats.Rows += o.stats.Rows
	b.stats.Resolved += o.stats.Resolved
	b.stats.Orphans += o.stats.Orphans
	b.stats.Merged += o.stats.Merged
	b.stats.Dropped += o.stats.Dropped
	*o = Builder{}
}

// Finish resolves the process-tree columns, sorts every table by time and
// input position, folds each Security 4688 row of DeviceProcessEvents into
// its Sysmon 1 twin (mergeProcesses), makes the DeviceInfo rows, and
// returns the catalog. The Builder must not be used afterwards.
func (b *Builder) Finish() *Catalog {
	c := &Catalog{s: b.s, tables: map[string]*value.Table{}, origins: map[*any]rowKey{}}
	if b.dinf != nil {
		b.deviceInfoRows()
	}
	for _, r := range b.all {
		for _, p := range r.pend {
			proc := b.procs[p.guid]
			if proc == nil {
				b.stats.Orphans++
				continue
			}
			r.fill(r, p.cells, proc, b.procs[proc.parentGUID])
			b.stats.Resolved++
		}
		r.pend = nil
		perm := make([]int, len(r.rows))
		for i := range perm {
			perm[i] = i
		}
		slices.SortStableFunc(perm, func(i, j int) int { return compareKeys(r.keys[i], r.keys[j]) })
		rows := make([][]any, len(perm))
		keys := make([]rowKey, len(perm))
		for i, p := range perm {
			rows[i], keys[i] = r.rows[p], r.keys[p]
		}
		r.rows, r.keys = nil, nil
		if r == b.dpe {
			var merged int
			rows, keys, merged = mergeProcesses(r.info, rows, keys, r.stubs)
			r.stubs = nil
			b.stats.Merged += int64(merged)
			b.stats.Rows -= int64(merged)
		}
		for i := range rows {
			if len(rows[i]) > 0 {
				c.origins[&rows[i][0]] = keys[i]
			}
		}
		c.tables[r.info.Name] = &value.Table{Name: r.info.Name, Columns: r.info.ValueColumns(), Rows: rows}
	}
	c.stats = b.stats
	*b = Builder{}
	return c
}
