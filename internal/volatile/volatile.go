// Package volatile makes test events whose strings live in memory that the
// test overwrites afterwards, as a parser reuses the memory of an event's
// text once its emit call returns (parsers.EmitFunc). A consumer that keeps
// a value without copying it then sees the overwritten bytes, and a test
// comparing what was kept with what was emitted fails.
package volatile

import (
	"unsafe"

	"github.com/loghunt/loghunt/parsers"
)

// Event returns a copy of ev whose core strings (Computer, Channel,
// Provider) and field values share one buffer, and a function that
// overwrites that buffer with '#'. Field names and Source.Path are shared
// with ev: parsers keep those valid.
func Event(ev *parsers.Event) (*parsers.Event, func()) {
	n := len(ev.Computer) + len(ev.Channel) + len(ev.Provider)
	for _, f := range ev.Fields {
		n += len(f.Value)
	}
	buf := make([]byte, 0, n)
	put := func(s string) string {
		if s == "" {
			return ""
		}
		start := len(buf)
		buf = append(buf, s...)
		return unsafe.String(&buf[start], len(s))
	}
	v := *ev
	v.Computer, v.Channel, v.Provider = put(ev.Computer), put(ev.Channel), put(ev.Provider)
	v.Fields = make([]parsers.Field, len(ev.Fields))
	for i, f := range ev.Fields {
		v.Fields[i] = parsers.Field{Name: f.Name, Value: put(f.Value)}
	}
	return &v, func() {
		b := buf[:cap(buf)]
		for i := range b {
			b[i] = '#'
		}
	}
}
