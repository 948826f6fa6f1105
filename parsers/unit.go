package parsers

import "unsafe"

// EmitFunc receives one decoded event. The Event, its Fields and its
// strings belong to the parser and are only valid during the call: parsers
// reuse the event and the memory of its text for the next records. A
// consumer that keeps an event, or a value read from it, keeps a copy:
// Event.Clone, or strings.Clone of the values it keeps. Field names are the
// exception: parsers intern them, and a name stays valid after the call.
// Returning an error stops the decoding and Decode returns that error.
type EmitFunc func(*Event) error

// ReportFunc receives one non-final parse error: a damaged chunk, record or
// line that was skipped (or parsed with a warning, see Stats).
type ReportFunc func(*ParseError)

// Unit is an independently decodable part of an input: a whole JSON file, or
// one EVTX chunk. Units of one file may be decoded concurrently; a single
// Unit is decoded by one goroutine.
type Unit interface {
	// Decode calls emit for each event, in record order, and report for
	// each damaged record. The error it returns is final for this unit
	// (the unit could not be read at all, or emit failed).
	Decode(emit EmitFunc, report ReportFunc) (Stats, error)
}

// Clone returns a deep copy of e that stays valid after the parser moves on:
// its strings (core fields and field values) are copied into one new
// allocation. Field names and Source.Path are shared: parsers keep them
// valid (see EmitFunc).
func (e *Event) Clone() *Event {
	n := len(e.Computer) + len(e.Channel) + len(e.Provider)
	for _, f := range e.Fields {
		n += len(f.Value)
	}
	t := text{buf: make([]byte, 0, n)}
	c := *e
	c.Computer, c.Channel, c.Provider = t.copy(e.Computer), t.copy(e.Channel), t.copy(e.Provider)
	if e.Fields != nil {
		c.Fields = make([]Field, len(e.Fields))
		for i, f := range e.Fields {
			c.Fields[i] = Field{Name: f.Name, Value: t.copy(f.Value)}
		}
	}
	return &c
}

// text hands out strings copied into one buffer that is never written
// again at the same place.
type text struct{ buf []byte }

func (t *text) copy(s string) string {
	if s == "" {
		return ""
	}
	start := len(t.buf)
	t.buf = append(t.buf, s...)
	return unsafe.String(&t.buf[start], len(s))
}
