package output

import (
	"bufio"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/loghunt/loghunt/hunt"
	"github.com/loghunt/loghunt/parsers"
	"github.com/loghunt/loghunt/parsers/winevent"
)

// jsonlWriter writes one JSON object per hit per line, buffered: the
// lines reach w at Close at the latest.
//
// A line is written byte for byte as encoding/json encodes jsonOf's
// jsonHit (HTML escaping off): jsonHit is the schema, and the tests hold
// the two equal. It is appended by hand because reflection, and the map
// of fields encoding/json sorts, cost more than the rest of a search that
// writes most events it reads.
type jsonlWriter struct {
	w   *bufio.Writer
	loc *time.Location

	line []byte // the line being built, reused
	// names are the field names of the last event written with fields,
	// perm their indices in name order.
	names []string
	perm  []int
}

func newJSONLWriter(w io.Writer, loc *time.Location) *jsonlWriter {
	return &jsonlWriter{w: bufio.NewWriterSize(w, 64<<10), loc: loc}
}

// WriteHit implements Writer.
func (j *jsonlWriter) WriteHit(h *hunt.Hit) error {
	j.line = j.appendHit(j.line[:0], h)
	_, err := j.w.Write(j.line)
	return err
}

// Close implements Writer: it writes out the buffered lines. JSON Lines has
// nothing after the hits.
func (j *jsonlWriter) Close(*Summary) error { return j.w.Flush() }

// appendHit appends h's line, newline included: the members of jsonHit in
// its order, each omitted where its omitempty tag omits it.
func (j *jsonlWriter) appendHit(b []byte, h *hunt.Hit) []byte {
	b = append(b, `{"timestamp":`...)
	b = appendJSONString(b, formatTime(h.Time, j.loc))
	b = append(b, `,"rule":{"id":`...)
	b = appendJSONString(b, h.Rule.ID)
	b = append(b, `,"title":`...)
	b = appendJSONString(b, h.Rule.Title)
	if h.Rule.Level != "" {
		b = append(b, `,"level":`...)
		b = appendJSONString(b, h.Rule.Level)
	}
	b = append(b, `,"engine":`...)
	b = appendJSONString(b, h.Rule.Engine)
	if len(h.Engines) > 1 {
		b = append(b, `,"engines":`...)
		b = appendJSONStrings(b, h.Engines)
	}
	if h.Rule.Path != "" {
		b = append(b, `,"path":`...)
		b = appendJSONString(b, h.Rule.Path)
	}
	if len(h.Rule.Tags) > 0 {
		b = append(b, `,"tags":`...)
		b = appendJSONStrings(b, h.Rule.Tags)
	}
	b = append(b, '}')
	ev := h.Event
	if ev != nil {
		if ev.Computer != "" {
			b = append(b, `,"computer":`...)
			b = appendJSONString(b, ev.Computer)
		}
		if ev.Channel != "" {
			b = append(b, `,"channel":`...)
			b = appendJSONString(b, ev.Channel)
		}
		// Pointers in jsonHit: written whenever there is an event, 0
		// included.
		b = append(b, `,"event_id":`...)
		b = strconv.AppendUint(b, uint64(ev.EventID), 10)
		b = append(b, `,"record_id":`...)
		b = strconv.AppendUint(b, ev.RecordID, 10)
		b = append(b, `,"source":`...)
		b = appendSource(b, ev)
		recovered, badSum := ev.Flags&parsers.Recovered != 0, ev.Flags&parsers.BadChecksum != 0
		if recovered || badSum {
			b = append(b, `,"flags":[`...)
			if recovered {
				b = append(b, `"recovered"`...)
			}
			if badSum {
				if recovered {
					b = append(b, ',')
				}
				b = append(b, `"bad_checksum"`...)
			}
			b = append(b, ']')
		}
	}
	if len(h.Matched) > 0 {
		b = append(b, `,"matched":[`...)
		for i, m := range h.Matched {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"Search":`...)
			b = appendJSONString(b, m.Search)
			b = append(b, `,"Field":`...)
			b = appendJSONString(b, m.Field)
			b = append(b, `,"Value":`...)
			b = appendJSONString(b, m.Value)
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	if ev != nil && len(ev.Fields) > 0 {
		b = append(b, `,"fields":`...)
		b = j.appendFields(b, ev.Fields)
	}
	if len(h.Row) > 0 {
		b = append(b, `,"row":`...)
		b = appendRow(b, h.Row)
	}
	if len(h.Related) > 0 {
		b = append(b, `,"related":[`...)
		for i, r := range h.Related {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendSource(b, r)
		}
		b = append(b, ']')
	}
	if h.Suppressed != "" {
		b = append(b, `,"suppressed_by":`...)
		b = appendJSONString(b, h.Suppressed)
	}
	if ev != nil {
		if k := winevent.ProcessKey(ev); k != "" {
			b = append(b, `,"process_key":`...)
			b = appendJSONString(b, k)
		}
	}
	return append(b, "}\n"...)
}

// appendSource appends sourceOf(ev) as a JSON object.
func appendSource(b []byte, ev *parsers.Event) []byte {
	s := sourceOf(ev)
	b = append(b, `{"path":`...)
	b = appendJSONString(b, s.Path)
	if s.Offset != nil {
		b = append(b, `,"offset":`...)
		b = strconv.AppendInt(b, *s.Offset, 10)
	}
	if s.Line != 0 {
		b = append(b, `,"line":`...)
		b = strconv.AppendInt(b, s.Line, 10)
	}
	if s.RecordID != 0 {
		b = append(b, `,"record_id":`...)
		b = strconv.AppendUint(b, s.RecordID, 10)
	}
	return append(b, '}')
}

// appendFields appends FieldMap(ev) as encoding/json writes a map: the
// names in byte order, a repeated name once with the list of its values in
// event order. fields is not empty.
func (j *jsonlWriter) appendFields(b []byte, fields []parsers.Field) []byte {
	order := j.order(fields)
	b = append(b, '{')
	for i := 0; i < len(order); {
		f := &fields[order[i]]
		n := i + 1
		for n < len(order) && fields[order[n]].Name == f.Name {
			n++
		}
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, f.Name)
		b = append(b, ':')
		if n-i == 1 {
			b = appendJSONString(b, f.Value)
		} else {
			b = append(b, '[')
			for k := i; k < n; k++ {
				if k > i {
					b = append(b, ',')
				}
				b = appendJSONString(b, fields[order[k]].Value)
			}
			b = append(b, ']')
		}
		i = n
	}
	return append(b, '}')
}

// order returns the indices of fields sorted by name, stably (a repeated
// name keeps its values in order). The events of one template have the
// same names in the same order, so the last order is kept and reused when
// the names are those of the last event.
func (j *jsonlWriter) order(fields []parsers.Field) []int {
	same := len(fields) == len(j.names)
	for i := 0; same && i < len(fields); i++ {
		same = fields[i].Name == j.names[i]
	}
	if same {
		return j.perm
	}
	j.names, j.perm = j.names[:0], j.perm[:0]
	for i := range fields {
		j.names = append(j.names, fields[i].Name)
		j.perm = append(j.perm, i)
	}
	slices.SortStableFunc(j.perm, func(x, y int) int { return strings.Compare(j.names[x], j.names[y]) })
	return j.perm
}

// appendRow appends a KQL row as jsonOf's map: the names in byte order, the
// last value of a repeated name.
func appendRow(b []byte, row []hunt.Cell) []byte {
	idx := make([]int, 0, len(row))
	for i := range row {
		idx = append(idx, i)
	}
	// Stable, then the last of a run of equal names is the value kept.
	slices.SortStableFunc(idx, func(x, y int) int { return strings.Compare(row[x].Name, row[y].Name) })
	b = append(b, '{')
	first := true
	for k, i := range idx {
		if k+1 < len(idx) && row[idx[k+1]].Name == row[i].Name {
			continue
		}
		if !first {
			b = append(b, ',')
		}
		first = false
		b = appendJSONString(b, row[i].Name)
		b = append(b, ':')
		b = appendJSONString(b, row[i].Value)
	}
	return append(b, '}')
}

func appendJSONStrings(b []byte, ss []string) []byte {
	b = append(b, '[')
	for i, s := range ss {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, s)
	}
	return append(b, ']')
}

const hexDigits = "0123456789abcdef"

// jsonPlain marks the bytes a JSON string holds as they are: ASCII from
// space up, but for '"' and '\'.
var jsonPlain = func() (t [256]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// appendJSONString appends s as a JSON string as encoding/json writes it
// with HTML escaping off: '"' and '\' escaped with a backslash; the
// control characters as \b \f \n \r \t, or else \u00XX; each byte of
// invalid UTF-8 as \ufffd; U+2028 and U+2029 as \u2028 and \u2029 (they
// end a line in JavaScript); everything else as it is.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if jsonPlain[c] {
			i++
			continue
		}
		if c < utf8.RuneSelf {
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, `\b`...)
			case '\f':
				b = append(b, `\f`...)
			case '\n':
				b = append(b, `\n`...)
			case '\r':
				b = append(b, `\r`...)
			case '\t':
				b = append(b, `\t`...)
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
