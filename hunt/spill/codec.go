package spill

import (
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/loghunt/loghunt/hunt"
	"github.com/loghunt/loghunt/parsers"
)

// ErrCorrupt is wrapped by every error of Codec.Decode: the record is not
// one that Append wrote with this Codec.
var ErrCorrupt = errors.New("spill: corrupt hit record")

// Codec encodes hits compactly, with only what the outputs need of them,
// and decodes them back. It keeps two tables that its records refer to:
// the rules (a record names its rule by number) and a dictionary of the
// strings that repeat from hit to hit (paths, computers, channels, field
// names), which stops growing at a bound; other strings are written in
// the record. Records are only meaningful to the Codec that wrote them.
//
// What a record keeps of a hit h, so that Decode(Append(h)) gives back:
//   - h.Rule (the same pointer), h.Time, h.Matched, h.Row, h.Engines and
//     h.Suppressed;
//   - of h.Event, the typed core fields and source, and the Fields that
//     the Codec's keep function keeps, in order;
//   - of each of h.Related, the core fields outputs and hit filters read
//     of a correlation's events: time, computer, channel, event ID, record
//     ID and source; not their Fields.
//
// Times come back in UTC, and empty lists as nil. A Codec is safe for
// concurrent use.
type Codec struct {
	keep func(name string) bool

	mu       sync.RWMutex
	ruleIdx  map[*hunt.Rule]uint64
	rules    []*hunt.Rule
	strIdx   map[string]uint64
	strs     []string
	strBytes int
}

// Bounds of the string dictionary: past them, new strings are written in
// each record instead. Names and paths come from the logs, which an
// attacker may write: the dictionary must not grow with the input.
const (
	maxDictStrings = 1 << 16
	maxDictBytes   = 4 << 20
	// maxDictLen is the longest string the dictionary takes.
	maxDictLen = 512
)

// NewCodec returns a Codec that keeps the event fields for which keep
// returns true; nil keeps every field.
func NewCodec(keep func(name string) bool) *Codec {
	return &Codec{keep: keep, ruleIdx: map[*hunt.Rule]uint64{}, strIdx: map[string]uint64{}}
}

// Record flags: which parts follow.
const (
	hasEvent = 1 << iota
	hasTime
	hasMatched
	hasRow
	hasRelated
	hasEngines
	hasSuppressed
	hasEventTime // the event's time differs from the hit's
)

// Append appends h's record to dst and returns it. h must have a Rule.
func (c *Codec) Append(dst []byte, h *hunt.Hit) []byte {
	var flags byte
	ev := h.Event
	if ev != nil {
		flags |= hasEvent
		if !ev.Time.Equal(h.Time) {
			flags |= hasEventTime
		}
	}
	if !h.Time.IsZero() {
		flags |= hasTime
	}
	if len(h.Matched) > 0 {
		flags |= hasMatched
	}
	if len(h.Row) > 0 {
		flags |= hasRow
	}
	if len(h.Related) > 0 {
		flags |= hasRelated
	}
	if len(h.Engines) > 0 {
		flags |= hasEngines
	}
	if h.Suppressed != "" {
		flags |= hasSuppressed
	}
	dst = append(dst, flags)
	dst = binary.AppendUvarint(dst, c.rule(h.Rule))
	if flags&hasTime != 0 {
		dst = appendTime(dst, h.Time)
	}
	if ev != nil {
		dst = c.appendCore(dst, ev)
		dst = append(dst, ev.Level, byte(ev.Flags))
		dst = c.appendDict(dst, ev.Provider)
		if flags&hasEventTime != 0 {
			dst = appendTime(dst, ev.Time)
		}
		n := 0
		for _, f := range ev.Fields {
			if c.keep == nil || c.keep(f.Name) {
				n++
			}
		}
		dst = binary.AppendUvarint(dst, uint64(n))
		for _, f := range ev.Fields {
			if c.keep == nil || c.keep(f.Name) {
				dst = c.appendDict(dst, f.Name)
				dst = appendInline(dst, f.Value)
			}
		}
	}
	if flags&hasMatched != 0 {
		dst = binary.AppendUvarint(dst, uint64(len(h.Matched)))
		for _, m := range h.Matched {
			dst = c.appendDict(dst, m.Search)
			dst = c.appendDict(dst, m.Field)
			dst = appendInline(dst, m.Value)
		}
	}
	if flags&hasRow != 0 {
		dst = binary.AppendUvarint(dst, uint64(len(h.Row)))
		for _, cell := range h.Row {
			dst = c.appendDict(dst, cell.Name)
			dst = appendInline(dst, cell.Value)
		}
	}
	if flags&hasRelated != 0 {
		dst = binary.AppendUvarint(dst, uint64(len(h.Related)))
		for _, r := range h.Related {
			dst = c.appendCore(dst, r)
			dst = appendTime(dst, r.Time)
		}
	}
	if flags&hasEngines != 0 {
		dst = binary.AppendUvarint(dst, uint64(len(h.Engines)))
		for _, e := range h.Engines {
			dst = c.appendDict(dst, e)
		}
	}
	if flags&hasSuppressed != 0 {
		dst = c.appendDict(dst, h.Suppressed)
	}
	return dst
}

// appendCore writes what a hit keeps of any of its events: the source,
// then the record ID, computer, channel and event ID.
func (c *Codec) appendCore(dst []byte, ev *parsers.Event) []byte {
	dst = c.appendDict(dst, ev.Source.Path)
	dst = binary.AppendVarint(dst, ev.Source.Offset)
	dst = binary.AppendVarint(dst, ev.Source.Line)
	dst = binary.AppendUvarint(dst, ev.RecordID)
	dst = c.appendDict(dst, ev.Computer)
	dst = c.appendDict(dst, ev.Channel)
	return binary.AppendUvarint(dst, uint64(ev.EventID))
}

// appendTime writes 0 for the zero time, else 1, the Unix seconds and
// the nanoseconds.
func appendTime(dst []byte, t time.Time) []byte {
	if t.IsZero() {
		return append(dst, 0)
	}
	dst = append(dst, 1)
	dst = binary.AppendVarint(dst, t.Unix())
	return binary.AppendUvarint(dst, uint64(t.Nanosecond()))
}

// A string is a uvarint tag: an even tag 2i is entry i of the dictionary;
// an odd tag 2n+1 is followed by the n bytes of the string.
func appendInline(dst []byte, s string) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(s))<<1|1)
	return append(dst, s...)
}

func (c *Codec) appendDict(dst []byte, s string) []byte {
	if s == "" || len(s) > maxDictLen {
		return appendInline(dst, s)
	}
	c.mu.RLock()
	i, ok := c.strIdx[s]
	c.mu.RUnlock()
	if !ok {
		c.mu.Lock()
		if i, ok = c.strIdx[s]; !ok && len(c.strs) < maxDictStrings && c.strBytes+len(s) <= maxDictBytes {
			s = string([]byte(s)) // the dictionary's own copy, not the event's memory
			i, ok = uint64(len(c.strs)), true
			c.strs = append(c.strs, s)
			c.strIdx[s] = i
			c.strBytes += len(s)
		}
		c.mu.Unlock()
		if !ok {
			return appendInline(dst, s)
		}
	}
	return binary.AppendUvarint(dst, i<<1)
}

func (c *Codec) rule(r *hunt.Rule) uint64 {
	c.mu.RLock()
	i, ok := c.ruleIdx[r]
	c.mu.RUnlock()
	if ok {
		return i
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if i, ok = c.ruleIdx[r]; !ok {
		i = uint64(len(c.rules))
		c.rules = append(c.rules, r)
		c.ruleIdx[r] = i
	}
	return i
}

// Decode returns the hit of a record Append wrote. The hit's strings
// share rec's memory. A record that is not one is an error wrapping
// ErrCorrupt; Decode never panics on any input.
func (c *Codec) Decode(rec string) (*hunt.Hit, error) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	d := decoder{c: c, s: rec}
	h := d.hit()
	if d.err == nil && d.i != len(d.s) {
		d.fail("%d bytes after the hit", len(d.s)-d.i)
	}
	if d.err != nil {
		return nil, d.err
	}
	return h, nil
}

// Key returns the canonical-order key of a record's hit (hunt.KeyOf),
// reading only its head unless the hit is a result row.
func (c *Codec) Key(rec string) (hunt.HitKey, error) {
	if len(rec) > 0 && rec[0]&hasRow != 0 {
		h, err := c.Decode(rec)
		if err != nil {
			return hunt.HitKey{}, err
		}
		return hunt.KeyOf(h), nil
	}
	c.mu.RLock()
	defer c.mu.RUnlock()
	d := decoder{c: c, s: rec}
	flags := d.byte()
	var k hunt.HitKey
	k.Rule = d.rule()
	if flags&hasTime != 0 {
		k.Time = d.time()
	}
	if flags&hasEvent != 0 {
		k.Path = d.str()
		k.Offset = d.varint()
		k.Line = d.varint()
		k.RecordID = d.uvarint()
	}
	if d.err != nil {
		return hunt.HitKey{}, d.err
	}
	return k, nil
}

// decoder reads one record; the first error sticks and every later read
// returns zero values.
type decoder struct {
	c   *Codec
	s   string
	i   int
	err error
}

func (d *decoder) fail(format string, args ...any) {
	if d.err == nil {
		d.err = fmt.Errorf("%w: at byte %d: %s", ErrCorrupt, d.i, fmt.Sprintf(format, args...))
	}
}

func (d *decoder) byte() byte {
	if d.err != nil {
		return 0
	}
	if d.i >= len(d.s) {
		d.fail("truncated")
		return 0
	}
	b := d.s[d.i]
	d.i++
	return b
}

func (d *decoder) uvarint() uint64 {
	if d.err != nil {
		return 0
	}
	var x uint64
	var shift uint
	for k := 0; k < binary.MaxVarintLen64; k++ {
		if d.i >= len(d.s) {
			d.fail("truncated number")
			return 0
		}
		b := d.s[d.i]
		d.i++
		if k == binary.MaxVarintLen64-1 && b > 1 {
			break
		}
		if b < 0x80 {
			return x | uint64(b)<<shift
		}
		x |= uint64(b&0x7f) << shift
		shift += 7
	}
	d.fail("number overflows 64 bits")
	return 0
}

func (d *decoder) varint() int64 {
	u := d.uvarint()
	x := int64(u >> 1)
	if u&1 != 0 {
		x = ^x
	}
	return x
}

// count reads a list's length; each element takes at least min bytes, so
// a length the rest of the record cannot hold is corrupt, and no
// allocation is larger than the record allows.
func (d *decoder) count(min int) int {
	n := d.uvarint()
	if d.err == nil && n > uint64((len(d.s)-d.i)/min) {
		d.fail("list of %d does not fit in the record", n)
		return 0
	}
	return int(n)
}

func (d *decoder) str() string {
	tag := d.uvarint()
	if d.err != nil {
		return ""
	}
	if tag&1 == 0 {
		i := tag >> 1
		if i >= uint64(len(d.c.strs)) {
			d.fail("string %d not in the dictionary", i)
			return ""
		}
		return d.c.strs[i]
	}
	n := tag >> 1
	if n > uint64(len(d.s)-d.i) {
		d.fail("string of %d bytes does not fit in the record", n)
		return ""
	}
	s := d.s[d.i : d.i+int(n)]
	d.i += int(n)
	return s
}

func (d *decoder) rule() *hunt.Rule {
	i := d.uvarint()
	if d.err != nil {
		return nil
	}
	if i >= uint64(len(d.c.rules)) {
		d.fail("rule %d unknown", i)
		return nil
	}
	return d.c.rules[i]
}

func (d *decoder) time() time.Time {
	switch d.byte() {
	case 0:
		return time.Time{}
	case 1:
	default:
		d.fail("bad time tag")
		return time.Time{}
	}
	sec := d.varint()
	nsec := d.uvarint()
	if nsec >= 1e9 {
		d.fail("nanoseconds %d out of range", nsec)
	}
	if d.err != nil {
		return time.Time{}
	}
	t := time.Unix(sec, int64(nsec)).UTC()
	if t.IsZero() {
		// Appended only for a time that is not zero.
		d.fail("zero time written as a time")
	}
	return t
}

func (d *decoder) core(ev *parsers.Event) {
	ev.Source.Path = d.str()
	ev.Source.Offset = d.varint()
	ev.Source.Line = d.varint()
	ev.RecordID = d.uvarint()
	ev.Computer = d.str()
	ev.Channel = d.str()
	id := d.uvarint()
	if id > 1<<32-1 {
		d.fail("event ID %d out of range", id)
	}
	ev.EventID = uint32(id)
}

func (d *decoder) hit() *hunt.Hit {
	flags := d.byte()
	h := &hunt.Hit{Rule: d.rule()}
	if flags&hasTime != 0 {
		h.Time = d.time()
	}
	if flags&hasEvent != 0 {
		ev := &parsers.Event{Time: h.Time}
		d.core(ev)
		ev.Level = d.byte()
		ev.Flags = parsers.Flags(d.byte())
		ev.Provider = d.str()
		if flags&hasEventTime != 0 {
			ev.Time = d.time()
			if d.err == nil && ev.Time.Equal(h.Time) {
				d.fail("event time flagged as different but equal")
			}
		}
		if n := d.count(2); n > 0 {
			ev.Fields = make([]parsers.Field, n)
			for i := range ev.Fields {
				ev.Fields[i] = parsers.Field{Name: d.str(), Value: d.str()}
			}
		}
		h.Event = ev
	} else if flags&hasEventTime != 0 {
		d.fail("event time without an event")
	}
	if flags&hasMatched != 0 {
		n := d.count(3)
		if n == 0 {
			d.fail("empty list flagged")
		}
		h.Matched = make([]hunt.Matched, n)
		for i := range h.Matched {
			h.Matched[i] = hunt.Matched{Search: d.str(), Field: d.str(), Value: d.str()}
		}
	}
	if flags&hasRow != 0 {
		n := d.count(2)
		if n == 0 {
			d.fail("empty list flagged")
		}
		h.Row = make([]hunt.Cell, n)
		for i := range h.Row {
			h.Row[i] = hunt.Cell{Name: d.str(), Value: d.str()}
		}
	}
	if flags&hasRelated != 0 {
		n := d.count(8)
		if n == 0 {
			d.fail("empty list flagged")
		}
		h.Related = make([]*parsers.Event, n)
		for i := range h.Related {
			r := &parsers.Event{}
			d.core(r)
			r.Time = d.time()
			h.Related[i] = r
		}
	}
	if flags&hasEngines != 0 {
		n := d.count(1)
		if n == 0 {
			d.fail("empty list flagged")
		}
		h.Engines = make([]string, n)
		for i := range h.Engines {
			h.Engines[i] = d.str()
		}
	}
	if flags&hasSuppressed != 0 {
		if h.Suppressed = d.str(); h.Suppressed == "" {
			d.fail("empty suppression flagged")
		}
	}
	if d.err != nil {
		return nil
	}
	return h
}
