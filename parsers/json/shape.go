package json

import (
	"bytes"
	"strconv"
	"strings"

	"github.com/loghunt/loghunt/parsers"
	"github.com/loghunt/loghunt/parsers/winevent"
)

// maxInterned bounds the name table of one Unit, so that a file with
// millions of distinct keys cannot grow it without end. Past the bound,
// names are allocated per event.
const maxInterned = 1 << 14

// mapper turns the scanner's tree of one document into an Event.
type mapper struct {
	sc    *scanner
	s     string // scanner.vals of this document as one string
	ev    *parsers.Event
	names map[string]string
	path  []byte

	timePrio int   // priority of the source of ev.Time; lower wins
	set      uint8 // core fields filled (core* bits)
	exact    uint8 // core fields filled from their exact Sigma name
	aliases  []parsers.Field
}

// Time sources, best first.
const (
	prioSystemTime = iota
	prioTimeCreated
	prioTimestamp
	prioOther
	prioUtcTime
	prioNested
	prioNone
)

func (m *mapper) intern(b []byte) string {
	if s, ok := m.names[string(b)]; ok {
		return s
	}
	s := string(b)
	if len(m.names) < maxInterned {
		m.names[s] = s
	}
	return s
}

func (m *mapper) key(n int32) []byte {
	k := m.sc.nodes[n].key
	return m.sc.keys[k.a:k.b]
}

func (m *mapper) keyIs(n int32, name string) bool {
	return string(m.key(n)) == name
}

// find returns the member of object n named name, or -1.
func (m *mapper) find(n int32, name string) int32 {
	if n < 0 || m.sc.nodes[n].kind != kObj {
		return -1
	}
	for c := m.sc.nodes[n].child; c >= 0; c = m.sc.nodes[c].next {
		if m.keyIs(c, name) {
			return c
		}
	}
	return -1
}

func (m *mapper) kind(n int32) kind { return m.sc.nodes[n].kind }

// text returns the text of scalar n; ok is false for null, objects and
// arrays.
func (m *mapper) text(n int32) (string, bool) {
	nd := &m.sc.nodes[n]
	switch nd.kind {
	case kStr, kNum:
		return m.s[nd.val.a:nd.val.b], true
	case kTrue:
		return "true", true
	case kFalse:
		return "false", true
	}
	return "", false
}

// build fills ev from the document rooted at root, an object.
func (m *mapper) build(root int32, ev *parsers.Event) {
	m.ev = ev
	m.s = string(m.sc.vals)
	m.timePrio = prioNone
	m.set, m.exact = 0, 0
	m.aliases = m.aliases[:0]
	m.path = m.path[:0]

	if e := m.find(root, "Event"); e >= 0 && m.kind(e) == kObj && m.find(e, "System") >= 0 {
		m.evtxDump(root, e)
		return
	}
	if sys := m.find(root, "System"); sys >= 0 && m.kind(sys) == kObj &&
		(m.find(sys, "EventID") >= 0 || m.find(root, "EventData") >= 0 || m.find(root, "UserData") >= 0) {
		m.eventElement(root)
		return
	}
	if m.isWinlogbeat(root) {
		m.walk(root, modeWinlog)
		return
	}
	m.walk(root, modeFlat)
	m.addAliases()
	m.addSystemNames()
}

// addSystemNames gives a flat event the System fields its collector
// writes under other names (winevent.FlatAliases): the value of the
// first top-level alias, when the event has no field of the System name.
func (m *mapper) addSystemNames() {
	for _, a := range winevent.FlatAliases {
		if _, ok := m.ev.Get(a.Field); ok {
			continue
		}
		for _, n := range a.Names {
			if v, ok := m.ev.Get(n); ok {
				m.ev.Fields = append(m.ev.Fields, parsers.Field{Name: a.Field, Value: v})
				break
			}
		}
	}
}

// add appends one field and fills the core fields it names.
func (m *mapper) add(name, v string) {
	m.ev.Fields = append(m.ev.Fields, parsers.Field{Name: name, Value: v})
	m.core(name, v, false)
}

// Core fields, as bits of mapper.exact.
const (
	coreID = 1 << iota
	coreChannel
	coreProvider
	coreComputer
	coreRecord
	coreLevel
)

// core fills the typed Event fields from a field with a Sigma System name
// or a common alias of one. A Sigma name outside a nested object (exact)
// wins over an alias; otherwise the first value wins. Timestamps go by
// source priority, nested ones last.
func (m *mapper) core(name, v string, nested bool) {
	ev := m.ev
	switch name {
	case "EventID", "EventId", "EventCode", "event_id", "event.code":
		if m.claim(coreID, !nested && name == "EventID") {
			if id, err := strconv.ParseUint(strings.TrimSpace(v), 10, 32); err == nil {
				ev.EventID = uint32(id)
				m.set |= coreID
			}
		}
	case "Channel", "channel", "LogName":
		if m.claim(coreChannel, !nested && name == "Channel") {
			ev.Channel = canonicalChannel(v)
			m.set |= coreChannel
		}
	case "Provider_Name", "ProviderName", "SourceName", "Provider":
		if m.claim(coreProvider, !nested && name == "Provider_Name") {
			ev.Provider = v
			m.set |= coreProvider
		}
	case "Computer", "ComputerName", "Hostname", "host.name":
		if m.claim(coreComputer, !nested && name == "Computer") {
			ev.Computer = v
			m.set |= coreComputer
		}
	case "EventRecordID", "RecordNumber", "RecordID", "record_id":
		if m.claim(coreRecord, !nested && name == "EventRecordID") {
			if id, err := strconv.ParseUint(strings.TrimSpace(v), 10, 64); err == nil {
				ev.RecordID = id
				m.set |= coreRecord
			}
		}
	case "Level":
		if m.claim(coreLevel, !nested) {
			if l, err := strconv.ParseUint(strings.TrimSpace(v), 10, 8); err == nil {
				ev.Level = uint8(l)
				m.set |= coreLevel
			}
		}
	case "TimeCreated_SystemTime", "SystemTime", "TimeCreated.SystemTime":
		m.setTime(v, prioSystemTime, nested)
	case "TimeCreated":
		m.setTime(v, prioTimeCreated, nested)
	case "@timestamp", "timestamp", "Timestamp", "TimeStamp":
		m.setTime(v, prioTimestamp, nested)
	case "EventTime", "TimeGenerated", "TimeWritten", "time", "Time", "datetime", "date":
		m.setTime(v, prioOther, nested)
	case "UtcTime":
		m.setTime(v, prioUtcTime, nested)
	}
}

// claim says whether a value may set core field bit: an exact Sigma name
// may replace a value from an alias, once; an alias only fills an empty
// field.
func (m *mapper) claim(bit uint8, exact bool) bool {
	if m.exact&bit != 0 {
		return false
	}
	if exact {
		m.exact |= bit
		return true
	}
	return m.set&bit == 0
}

func (m *mapper) setTime(v string, prio int, nested bool) {
	if nested {
		prio = prioNested
	}
	if prio >= m.timePrio {
		return
	}
	if t, ok := parseTime(v); ok {
		m.ev.Time = t
		m.timePrio = prio
	}
}

// ---- evtx_dump shape ----

// evtxDump maps {"Event": {...}} as written by evtx_dump (the Rust evtx
// crate), in both its "#attributes" and its "X_attributes" forms.
func (m *mapper) evtxDump(root, e int32) {
	for c := m.sc.nodes[root].child; c >= 0; c = m.sc.nodes[c].next {
		switch {
		case c == e:
			m.eventElement(e)
		case bytes.HasSuffix(m.key(c), []byte("_attributes")):
			// Event_attributes: the xmlns only.
		default:
			m.path = append(m.path[:0], m.key(c)...)
			m.descend(c, modePlain)
		}
	}
}

// eventElement maps the children of <Event>.
func (m *mapper) eventElement(e int32) {
	for c := m.sc.nodes[e].child; c >= 0; c = m.sc.nodes[c].next {
		switch string(m.key(c)) {
		case "#attributes", "Event_attributes":
		case "System":
			m.system(c)
		case "EventData", "UserData":
			if m.kind(c) == kObj {
				m.data(c)
			} else if v, ok := m.text(c); ok {
				m.add(m.intern(m.key(c)), v)
			}
		default:
			m.path = append(m.path[:0], m.key(c)...)
			m.descend(c, modePlain)
		}
	}
}

// system maps <System>: scalars keep their name, attributes become
// Element_Attribute (Provider_Name, TimeCreated_SystemTime,
// Security_UserID), except Execution's, which Sigma names bare (ProcessID,
// ThreadID), and EventID's Qualifiers.
func (m *mapper) system(sys int32) {
	if m.kind(sys) != kObj {
		return
	}
	for c := m.sc.nodes[sys].child; c >= 0; c = m.sc.nodes[c].next {
		k := m.key(c)
		if base, ok := bytes.CutSuffix(k, []byte("_attributes")); ok {
			m.sysAttrs(base, c)
			continue
		}
		switch m.kind(c) {
		case kNull:
		case kObj:
			for cc := m.sc.nodes[c].child; cc >= 0; cc = m.sc.nodes[cc].next {
				ck := m.key(cc)
				switch {
				case string(ck) == "#text":
					m.scalars(m.intern(k), cc)
				case string(ck) == "#attributes":
					m.sysAttrs(k, cc)
				case len(ck) > 1 && ck[0] == '@':
					m.sysAttr(k, ck[1:], cc)
				}
			}
		default:
			m.scalars(m.intern(k), c)
		}
	}
}

func (m *mapper) sysAttrs(elem []byte, attrs int32) {
	if m.kind(attrs) != kObj {
		return
	}
	for a := m.sc.nodes[attrs].child; a >= 0; a = m.sc.nodes[a].next {
		m.sysAttr(elem, m.key(a), a)
	}
}

func (m *mapper) sysAttr(elem, attr []byte, v int32) {
	var name string
	switch string(elem) {
	case "Execution", "EventID":
		name = m.intern(attr)
	default:
		m.path = append(append(append(m.path[:0], elem...), '_'), attr...)
		name = m.intern(m.path)
	}
	m.scalars(name, v)
}

// scalars adds the scalar n, or each scalar of the array n, under name.
func (m *mapper) scalars(name string, n int32) {
	switch m.kind(n) {
	case kArr:
		for c := m.sc.nodes[n].child; c >= 0; c = m.sc.nodes[c].next {
			m.scalars(name, c)
		}
	case kObj:
		if t := m.find(n, "#text"); t >= 0 {
			m.scalars(name, t)
		}
	default:
		if v, ok := m.text(n); ok {
			m.add(name, v)
		}
	}
}

// data maps <EventData> or <UserData>: every leaf becomes a field named by
// its element (or attribute) name.
func (m *mapper) data(n int32) {
	for c := m.sc.nodes[n].child; c >= 0; c = m.sc.nodes[c].next {
		m.member(n, c, "Data")
	}
}

// member maps child c of object parent. self names the parent's own text.
func (m *mapper) member(parent, c int32, self string) {
	k := m.key(c)
	switch {
	case string(k) == "#text":
		m.leaves(self, c)
	case string(k) == "#attributes":
		m.attrs(c)
	case len(k) > 1 && k[0] == '@':
		if !isXMLNS(k[1:]) {
			m.leaves(m.intern(k[1:]), c)
		}
	case bytes.HasSuffix(k, []byte("_attributes")):
		m.attrs(c)
	default:
		m.leaves(m.dedupName(parent, c), c)
	}
}

func (m *mapper) attrs(n int32) {
	if m.kind(n) != kObj {
		return
	}
	for a := m.sc.nodes[n].child; a >= 0; a = m.sc.nodes[a].next {
		if k := m.key(a); !isXMLNS(k) {
			m.leaves(m.intern(k), a)
		}
	}
}

func isXMLNS(k []byte) bool {
	return bytes.HasPrefix(k, []byte("xmlns"))
}

// leaves adds the leaves of n under name. An element object
// {"#attributes": {"Name": N}, "#text": V} (a <Data Name=N>V</Data> kept
// as such by some converters) becomes N=V.
func (m *mapper) leaves(name string, n int32) {
	switch m.kind(n) {
	case kNull:
	case kArr:
		for c := m.sc.nodes[n].child; c >= 0; c = m.sc.nodes[c].next {
			m.leaves(name, c)
		}
	case kObj:
		if dn, ok := m.dataName(n); ok {
			name = dn
		}
		for c := m.sc.nodes[n].child; c >= 0; c = m.sc.nodes[c].next {
			k := m.key(c)
			if string(k) == "#attributes" && m.kind(c) == kObj {
				for a := m.sc.nodes[c].child; a >= 0; a = m.sc.nodes[a].next {
					if ak := m.key(a); string(ak) != "Name" && !isXMLNS(ak) {
						m.leaves(m.intern(ak), a)
					}
				}
				continue
			}
			if string(k) == "@Name" {
				continue
			}
			m.member(n, c, name)
		}
	default:
		v, _ := m.text(n)
		m.add(name, v)
	}
}

// dataName returns N for an element object carrying a Name attribute and
// a text, as in {"#attributes": {"Name": N}, "#text": V} or
// {"@Name": N, "#text": V}.
func (m *mapper) dataName(n int32) (string, bool) {
	if m.find(n, "#text") < 0 {
		return "", false
	}
	a := m.find(m.find(n, "#attributes"), "Name")
	if a < 0 {
		a = m.find(n, "@Name")
	}
	if a < 0 {
		return "", false
	}
	v, ok := m.text(a)
	return v, ok && v != ""
}

// dedupName undoes evtx_dump's renaming of repeated elements: the second
// <Header> under one parent is written "Header_1", the third "Header_2".
// The suffix is dropped only when the bare name appears earlier under the
// same parent, so that a genuine "param_1" stays as it is.
func (m *mapper) dedupName(parent, c int32) string {
	k := m.key(c)
	i := bytes.LastIndexByte(k, '_')
	if i <= 0 || i == len(k)-1 {
		return m.intern(k)
	}
	for _, d := range k[i+1:] {
		if d < '0' || d > '9' {
			return m.intern(k)
		}
	}
	base := k[:i]
	seen := 0
	for s := m.sc.nodes[parent].child; s >= 0 && s != c && seen < 256; s = m.sc.nodes[s].next {
		if bytes.Equal(m.key(s), base) {
			return m.intern(base)
		}
		seen++
	}
	return m.intern(k)
}

// ---- flat, Winlogbeat and unknown shapes ----

type walkMode uint8

const (
	// modeFlat: one object per event; keys are field names, nested keys
	// become dotted paths plus a leaf-name alias.
	modeFlat walkMode = iota
	// modeWinlog: the Elastic Winlogbeat/ECS shape.
	modeWinlog
	// modePlain: dotted paths only, no aliases, no core fields.
	modePlain
)

func (m *mapper) isWinlogbeat(root int32) bool {
	for c := m.sc.nodes[root].child; c >= 0; c = m.sc.nodes[c].next {
		k := m.key(c)
		if (string(k) == "winlog" && m.kind(c) == kObj) || bytes.HasPrefix(k, []byte("winlog.")) {
			return true
		}
	}
	return false
}

// walk adds every leaf of object n, its members named by m.path + key.
func (m *mapper) walk(n int32, mode walkMode) {
	for c := m.sc.nodes[n].child; c >= 0; c = m.sc.nodes[c].next {
		plen := len(m.path)
		if plen > 0 {
			m.path = append(m.path, '.')
		}
		m.path = append(m.path, m.key(c)...)
		m.descend(c, mode)
		m.path = m.path[:plen]
	}
}

// descend adds the leaves of n under the dotted name in m.path.
func (m *mapper) descend(n int32, mode walkMode) {
	switch m.kind(n) {
	case kNull:
	case kObj:
		m.walk(n, mode)
	case kArr:
		for c := m.sc.nodes[n].child; c >= 0; c = m.sc.nodes[c].next {
			m.descend(c, mode)
		}
	default:
		v, _ := m.text(n)
		m.leaf(v, mode)
	}
}

// leaf adds the scalar v found at m.path.
func (m *mapper) leaf(v string, mode walkMode) {
	switch mode {
	case modePlain:
		m.ev.Fields = append(m.ev.Fields, parsers.Field{Name: m.intern(m.path), Value: v})
	case modeWinlog:
		m.winlogLeaf(v)
	default:
		name := m.intern(m.path)
		m.add(name, v)
		if i := bytes.LastIndexByte(m.path, '.'); i >= 0 && i < len(m.path)-1 {
			leaf := m.intern(m.path[i+1:])
			m.aliases = append(m.aliases, parsers.Field{Name: leaf, Value: v})
		}
	}
}

// addAliases appends the leaf-name aliases of nested values whose name is
// not already a field of the event, and lets them fill empty core fields.
func (m *mapper) addAliases() {
	if len(m.aliases) == 0 {
		return
	}
	n := len(m.ev.Fields)
	var names map[string]bool
	if n*len(m.aliases) > 1<<12 {
		// Many nested values: a set keeps this linear.
		names = make(map[string]bool, n)
		for _, f := range m.ev.Fields {
			names[f.Name] = true
		}
	}
	for _, a := range m.aliases {
		dup := names[a.Name]
		if names == nil {
			for _, f := range m.ev.Fields[:n] {
				if f.Name == a.Name {
					dup = true
					break
				}
			}
		}
		if !dup {
			m.ev.Fields = append(m.ev.Fields, a)
			m.core(a.Name, a.Value, true)
		}
	}
}

// winlogNames maps Winlogbeat paths to the Sigma System names.
var winlogNames = map[string]string{
	"winlog.event_id":          "EventID",
	"winlog.channel":           "Channel",
	"winlog.provider_name":     "Provider_Name",
	"winlog.provider_guid":     "Provider_Guid",
	"winlog.computer_name":     "Computer",
	"winlog.record_id":         "EventRecordID",
	"winlog.process.pid":       "ProcessID",
	"winlog.process.thread.id": "ThreadID",
	"winlog.user.identifier":   "Security_UserID",
	"winlog.version":           "Version",
	"winlog.opcode":            "Opcode",
	"winlog.task":              "Task",
	"winlog.keywords":          "Keywords",
	"winlog.activity_id":       "Correlation_ActivityID",
}

var (
	eventDataPrefix = []byte("winlog.event_data.")
	userDataPrefix  = []byte("winlog.user_data.")
)

func (m *mapper) winlogLeaf(v string) {
	p := m.path
	var name string
	switch {
	case bytes.HasPrefix(p, eventDataPrefix) && len(p) > len(eventDataPrefix):
		name = m.intern(p[len(eventDataPrefix):])
	case bytes.HasPrefix(p, userDataPrefix) && len(p) > len(userDataPrefix):
		leaf := p[len(userDataPrefix):]
		if i := bytes.LastIndexByte(leaf, '.'); i >= 0 && i < len(leaf)-1 {
			leaf = leaf[i+1:]
		}
		name = m.intern(leaf)
	default:
		if sn, ok := winlogNames[string(p)]; ok {
			name = sn
		} else {
			name = m.intern(p)
			if name == "log.level" {
				if l := levelByName(v); l != 0 && m.ev.Level == 0 {
					m.ev.Level = l
				}
			}
		}
	}
	m.add(name, v)
}

// levelByName maps the rendered level names Winlogbeat writes in
// log.level to the numeric System Level.
func levelByName(v string) uint8 {
	switch strings.ToLower(v) {
	case "critical":
		return 1
	case "error":
		return 2
	case "warning":
		return 3
	case "information", "info":
		return 4
	case "verbose":
		return 5
	}
	return 0
}
