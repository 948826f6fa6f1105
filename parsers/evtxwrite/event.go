package evtxwrite

import (
	"strconv"
	"time"

	"github.com/loghunt/loghunt/parsers"
)

// EventNS is the namespace of <Event>.
const EventNS = "http://schemas.microsoft.com/win/2004/08/events/event"

// sysElem is one child of <System> in the canonical Windows order, with
// the attributes it may carry and whether it has text. typ is the type
// Windows gives the value, used when its text is that type's rendering.
type sysElem struct {
	name  string
	attrs []sysAttr
	text  bool
	typ   Type
}

type sysAttr struct {
	name string
	typ  Type
}

var system = []sysElem{
	{name: "Provider", attrs: []sysAttr{{"Name", String}, {"Guid", GUID}, {"EventSourceName", String}}},
	{name: "EventID", attrs: []sysAttr{{"Qualifiers", UInt16}}, text: true, typ: UInt16},
	{name: "Version", text: true, typ: UInt8},
	{name: "Level", text: true, typ: UInt8},
	{name: "Task", text: true, typ: UInt16},
	{name: "Opcode", text: true, typ: UInt8},
	{name: "Keywords", text: true, typ: HexInt64},
	{name: "TimeCreated", attrs: []sysAttr{{"SystemTime", FileTime}}},
	{name: "EventRecordID", text: true, typ: UInt64},
	{name: "Correlation", attrs: []sysAttr{{"ActivityID", GUID}, {"RelatedActivityID", GUID}}},
	{name: "Execution", attrs: []sysAttr{{"ProcessID", UInt32}, {"ThreadID", UInt32}, {"ProcessorID", UInt8},
		{"SessionID", UInt32}, {"KernelTime", UInt32}, {"UserTime", UInt32}, {"ProcessorTime", UInt64}}},
	{name: "Channel", text: true, typ: String},
	{name: "Computer", text: true, typ: String},
	{name: "Security", attrs: []sysAttr{{"UserID", SID}}},
}

// sysSlots gives the slot of each System field name: the attributes and
// texts of the system table, flattened in order (a test checks the two
// agree).
var sysSlots = map[string]int{
	"Provider_Name": 0, "Provider_Guid": 1, "Provider_EventSourceName": 2,
	"EventID_Qualifiers": 3, "EventID": 4, "Version": 5, "Level": 6, "Task": 7,
	"Opcode": 8, "Keywords": 9, "TimeCreated_SystemTime": 10, "EventRecordID": 11,
	"Correlation_ActivityID": 12, "Correlation_RelatedActivityID": 13,
	"ProcessID": 14, "ThreadID": 15, "ProcessorID": 16, "SessionID": 17, "KernelTime": 18,
	"UserTime": 19, "ProcessorTime": 20, "Channel": 21, "Computer": 22, "Security_UserID": 23,
}

// Slots of the fields core Event values fill.
const (
	slotProvider = 0
	slotEventID  = 4
	slotLevel    = 6
	slotChannel  = 21
	slotComputer = 22
	sysCount     = 24
)

// sysType returns the type of a System element's text (attr "") or
// attribute.
func sysType(elem, attr string) (Type, bool) {
	for _, el := range system {
		if el.name != elem {
			continue
		}
		if attr == "" {
			return el.typ, el.text
		}
		for _, at := range el.attrs {
			if at.name == attr {
				return at.typ, true
			}
		}
	}
	return 0, false
}

// fromEvent builds the record of ev into r.
func (w *Writer) fromEvent(r *Record, ev *parsers.Event) error {
	var vals [sysCount]string
	var have [sysCount]bool
	data := w.js.data[:0]
	last := -1
	for i := range ev.Fields {
		f := &ev.Fields[i]
		// System fields lead, in the order of System: the first field
		// that is not the next System field starts EventData.
		if s, ok := sysSlots[f.Name]; ok && s > last && len(data) == 0 {
			vals[s], have[s] = f.Value, true
			last = s
			continue
		}
		data = append(data, i)
	}
	w.js.data = data
	core := func(slot int, v string, ok bool) {
		if !have[slot] && ok {
			vals[slot], have[slot] = v, true
		}
	}
	var num [24]byte
	core(slotProvider, ev.Provider, ev.Provider != "")
	core(slotEventID, string(strconv.AppendUint(num[:0], uint64(ev.EventID), 10)), ev.EventID != 0)
	core(slotLevel, strconv.Itoa(int(ev.Level)), ev.Level != 0)
	core(slotChannel, ev.Channel, ev.Channel != "")
	core(slotComputer, ev.Computer, ev.Computer != "")

	// The time and record id go to the record header, where the decoder
	// finds them when System has no TimeCreated or EventRecordID.
	r.Written = ev.Time
	r.ID = ev.RecordID
	r.Open("Event")
	r.LiteralAttr("xmlns", EventNS)
	r.Open("System")
	slot := 0
	for _, el := range system {
		first := slot
		n := len(el.attrs)
		if el.text {
			n++
		}
		any := false
		for k := first; k < first+n; k++ {
			any = any || have[k]
		}
		if any {
			r.Open(el.name)
			for a, at := range el.attrs {
				if have[first+a] {
					r.Attr(at.name, w.typed(vals[first+a], at.typ))
				}
			}
			if el.text && have[first+n-1] {
				r.Text(w.typed(vals[first+n-1], el.typ))
			}
			r.Close()
		}
		slot += n
	}
	r.Close()
	if len(data) > 0 {
		r.Open("EventData")
		for _, i := range data {
			f := &ev.Fields[i]
			r.Open("Data")
			r.LiteralAttr("Name", f.Name)
			r.Text(w.infer(f.Value))
			r.Close()
		}
		r.Close()
	}
	r.Close()
	// Built valid: elements balanced, names non-empty; only a Data name
	// or a value may be too long, which appendRecord finds (a name or
	// literal beyond the chunk overflows it).
	r.valid = true
	r.subst = 0
	for i := range r.items {
		if it := &r.items[i]; !it.lit && (it.kind == kAttr || it.kind == kText) {
			r.subst++
		}
		if it := &r.items[i]; it.lit && len(it.v.S) > 0x7fff {
			r.valid = false // let validate measure it
		}
	}
	return nil
}

// typed returns s as a value of type t when s is exactly how the decoder
// renders that value, and as a String otherwise.
func (w *Writer) typed(s string, t Type) Value {
	if w.o.Strings || t == String {
		return Str(s)
	}
	if v, ok := asType(s, t); ok {
		return v
	}
	return Str(s)
}

// infer returns the value whose rendering is s: an unsigned integer, 0x hex,
// boolean, GUID, SID, FILETIME or (32 hex digits or more) binary when s is
// that type's exact rendering, else a String.
//
// Negative numbers stay strings: libevtx renders negative Int32 values
// wrongly (-1 as -2147483647), so typing them would change what it shows.
func (w *Writer) infer(s string) Value {
	if w.o.Strings || s == "" {
		return Str(s)
	}
	switch c := s[0]; {
	case c >= '0' && c <= '9':
		if len(s) > 2 && s[1] == 'x' {
			if v, ok := asType(s, HexInt64); ok {
				return v
			}
			return Str(s)
		}
		if v, ok := asType(s, UInt64); ok {
			if v.N <= 0xffffffff {
				v.Type = UInt32
			}
			return v
		}
		if len(s) == 28 {
			if v, ok := asType(s, FileTime); ok {
				return v
			}
		}
	case c == 't' || c == 'f':
		if s == "true" {
			return Uint(Bool, 1)
		}
		if s == "false" {
			return Uint(Bool, 0)
		}
	case c == '{':
		if v, ok := asType(s, GUID); ok {
			return v
		}
	}
	if len(s) >= 32 && len(s)%2 == 0 {
		if v, ok := asType(s, Binary); ok {
			return v
		}
	}
	if s[0] == 'S' {
		if v, ok := asType(s, SID); ok {
			return v
		}
	}
	return Str(s)
}

// asType parses s as a value of type t and reports whether the decoder
// renders that value as exactly s.
func asType(s string, t Type) (Value, bool) {
	switch t {
	case UInt8, UInt16, UInt32, UInt64:
		if !canonicalUint(s) {
			return Value{}, false
		}
		bits := 8 * fixedSize(t)
		v, err := strconv.ParseUint(s, 10, bits)
		return Value{Type: t, N: v}, err == nil
	case Int64, Int32:
		if len(s) < 2 || s[0] != '-' || !canonicalUint(s[1:]) || s == "-0" {
			return Value{}, false
		}
		v, err := strconv.ParseInt(s, 10, 64)
		return Value{Type: t, N: uint64(v)}, err == nil
	case HexInt64:
		if len(s) < 3 || len(s) > 18 || s[0] != '0' || s[1] != 'x' || (s[2] == '0' && len(s) > 3) {
			return Value{}, false
		}
		for i := 2; i < len(s); i++ {
			if c := s[i]; !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
				return Value{}, false
			}
		}
		v, err := strconv.ParseUint(s[2:], 16, 64)
		return Value{Type: t, N: v}, err == nil
	case GUID:
		if len(s) != 38 || s[0] != '{' {
			return Value{}, false
		}
		for i := 1; i < 37; i++ {
			if c := s[i]; c >= 'a' && c <= 'f' {
				return Value{}, false // the decoder renders upper case
			}
		}
		var buf [16]byte
		if _, ok := appendGUIDText(buf[:0], s); !ok {
			return Value{}, false
		}
		return Value{Type: GUID, S: s}, true
	case SID:
		var buf [72]byte
		b, ok := appendSIDText(buf[:0], s)
		if !ok || string(renderSID(nil, b)) != s {
			return Value{}, false
		}
		return Value{Type: SID, S: s}, true
	case Binary:
		for i := 0; i < len(s); i++ {
			if c := s[i]; !(c >= '0' && c <= '9' || c >= 'A' && c <= 'F') {
				return Value{}, false
			}
		}
		if len(s)%2 != 0 {
			return Value{}, false
		}
		return Value{Type: Binary, S: s}, true
	case FileTime:
		if len(s) != 28 || s[4] != '-' || s[10] != 'T' || s[19] != '.' || s[27] != 'Z' {
			return Value{}, false
		}
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil || t.Year() < 1601 || t.UTC().Format("2006-01-02T15:04:05.0000000Z") != s {
			return Value{}, false
		}
		return Time(t), true
	}
	return Value{}, false
}

func canonicalUint(s string) bool {
	if s == "" || len(s) > 20 || (s[0] == '0' && len(s) > 1) {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// renderSID renders a binary SID as the decoder does.
func renderSID(dst, b []byte) []byte {
	dst = append(dst, 'S', '-')
	dst = strconv.AppendUint(dst, uint64(b[0]), 10)
	var auth uint64
	for _, c := range b[2:8] {
		auth = auth<<8 | uint64(c)
	}
	dst = append(dst, '-')
	if auth >= 1<<32 {
		const hex = "0123456789ABCDEF"
		dst = append(dst, '0', 'x')
		for _, c := range b[2:8] {
			dst = append(dst, hex[c>>4], hex[c&15])
		}
	} else {
		dst = strconv.AppendUint(dst, auth, 10)
	}
	for i := 8; i+4 <= len(b); i += 4 {
		v := uint32(b[i]) | uint32(b[i+1])<<8 | uint32(b[i+2])<<16 | uint32(b[i+3])<<24
		dst = append(dst, '-')
		dst = strconv.AppendUint(dst, uint64(v), 10)
	}
	return dst
}
