package parsers

// EmitFunc receives one decoded event. The Event and its Fields belong to
// the parser and are only valid during the call: parsers reuse them for the
// next record. A consumer that keeps an event calls Clone. Returning an error
// stops the decoding and Decode returns that error.
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

// Clone returns a deep copy of e that stays valid after the parser moves on.
func (e *Event) Clone() *Event {
	c := *e
	c.Fields = append([]Field(nil), e.Fields...)
	return &c
}
