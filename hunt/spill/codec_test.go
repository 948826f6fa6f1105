package spill

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/loghunt/loghunt/hunt"
	"github.com/loghunt/loghunt/parsers"
)

var testRules = []*hunt.Rule{
	{ID: "r1", Title: "One", Level: "high", Engine: "sigma", Tags: []string{"attack.t1"}},
	{ID: "r1k", Title: "One (KQL)", Level: "high", Engine: "kql", Detection: "r1"},
	{ID: "r2", Title: "Two", Level: "low", Engine: "sigma"},
	{ID: "c1", Title: "Corr", Level: "medium", Engine: "sigma-correlation"},
}

// genHit makes a hit from r: any mix of event, fields, matched values,
// result row, related events, engines and suppression, with strings
// that repeat (to use the dictionary) and some that do not.
func genHit(r *rand.Rand) *hunt.Hit {
	str := func(pool ...string) string {
		if r.IntN(4) == 0 {
			b := make([]byte, r.IntN(40))
			for i := range b {
				b[i] = byte(r.IntN(256))
			}
			return string(b)
		}
		return pool[r.IntN(len(pool))]
	}
	tm := func() time.Time {
		switch r.IntN(6) {
		case 0:
			return time.Time{}
		case 1:
			return time.Date(1601, 1, 1, 0, 0, 0, 100, time.UTC)
		}
		return time.Unix(1_600_000_000+r.Int64N(100_000_000), r.Int64N(1e9)).UTC()
	}
	ev := func() *parsers.Event {
		e := &parsers.Event{Time: tm(), Computer: str("WS1", "dc01.corp", ""), Channel: str("Security", "Microsoft-Windows-Sysmon/Operational"),
			Provider: str("Microsoft-Windows-Security-Auditing", ""), EventID: r.Uint32(), RecordID: r.Uint64(), Level: uint8(r.IntN(256)),
			Flags:  parsers.Flags(r.IntN(4)),
			Source: parsers.Source{Path: str("a.evtx", "x.zip!in.evtx"), Offset: r.Int64N(1 << 40)}}
		if r.IntN(3) == 0 {
			// A line-based file: lines, no offsets, as the JSON parser
			// writes them (the canonical order compares lines there).
			e.Source = parsers.Source{Path: "dir/b.json", Offset: -1, Line: 1 + r.Int64N(1<<20)}
		}
		for range r.IntN(12) {
			e.Fields = append(e.Fields, parsers.Field{Name: str("CommandLine", "Image", "User", "Data", "ProcessId"), Value: str("x", "", "C:\\Windows\\cmd.exe")})
		}
		return e
	}
	h := &hunt.Hit{Rule: testRules[r.IntN(len(testRules))], Time: tm()}
	if r.IntN(5) > 0 {
		h.Event = ev()
		if r.IntN(2) == 0 {
			h.Event.Time = h.Time
		}
	}
	for range r.IntN(3) {
		h.Matched = append(h.Matched, hunt.Matched{Search: str("selection", "filter", ""), Field: str("Image", "CommandLine", ""), Value: str("cmd", "")})
	}
	for range r.IntN(3) {
		h.Row = append(h.Row, hunt.Cell{Name: str("DeviceName", "Count"), Value: str("1", "host")})
	}
	for range r.IntN(3) {
		h.Related = append(h.Related, ev())
	}
	for range r.IntN(3) {
		h.Engines = append(h.Engines, str("sigma", "kql"))
	}
	if r.IntN(4) == 0 {
		h.Suppressed = str("known admin", "x")
	}
	return h
}

// slim is what a record keeps of h (the Codec's documented contract),
// written out independently: the kept fields of the event, the core of
// the related events, times in UTC, empty lists as nil.
func slim(h *hunt.Hit, keep func(string) bool) *hunt.Hit {
	utc := func(t time.Time) time.Time {
		if t.IsZero() {
			return time.Time{}
		}
		return time.Unix(t.Unix(), int64(t.Nanosecond())).UTC()
	}
	nilIfEmpty := func(n int) bool { return n == 0 }
	c := &hunt.Hit{Rule: h.Rule, Time: utc(h.Time), Suppressed: h.Suppressed}
	if !nilIfEmpty(len(h.Matched)) {
		c.Matched = append([]hunt.Matched(nil), h.Matched...)
	}
	if !nilIfEmpty(len(h.Row)) {
		c.Row = append([]hunt.Cell(nil), h.Row...)
	}
	if !nilIfEmpty(len(h.Engines)) {
		c.Engines = append([]string(nil), h.Engines...)
	}
	if e := h.Event; e != nil {
		ce := *e
		ce.Time = utc(e.Time)
		ce.Fields = nil
		for _, f := range e.Fields {
			if keep == nil || keep(f.Name) {
				ce.Fields = append(ce.Fields, f)
			}
		}
		c.Event = &ce
	}
	for _, r := range h.Related {
		c.Related = append(c.Related, &parsers.Event{Time: utc(r.Time), Computer: r.Computer, Channel: r.Channel,
			EventID: r.EventID, RecordID: r.RecordID, Source: r.Source})
	}
	return c
}

func TestCodecRoundTrip(t *testing.T) {
	keepSome := func(n string) bool { return n == "Image" || n == "ProcessId" }
	for _, keep := range []func(string) bool{nil, keepSome} {
		c := NewCodec(keep)
		r := rand.New(rand.NewPCG(1, 2))
		for i := range 2000 {
			h := genHit(r)
			rec := c.Append(nil, h)
			got, err := c.Decode(string(rec))
			if err != nil {
				t.Fatalf("hit %d: %v", i, err)
			}
			if want := slim(h, keep); !reflect.DeepEqual(got, want) {
				t.Fatalf("hit %d:\n got %+v\nwant %+v", i, got, want)
			}
			k, err := c.Key(string(rec))
			if err != nil {
				t.Fatalf("hit %d key: %v", i, err)
			}
			if want := hunt.KeyOf(slim(h, keep)); !reflect.DeepEqual(k, want) {
				t.Fatalf("hit %d key:\n got %+v\nwant %+v", i, k, want)
			}
		}
	}
}

// A record keeps only the fields the output needs, and repeated strings
// are written once, in the dictionary.
func TestCodecIsCompact(t *testing.T) {
	ev := &parsers.Event{Time: time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC), Computer: "WS1", Channel: "Security", EventID: 4688,
		Source: parsers.Source{Path: "logs/Security.evtx", Offset: 4096}}
	for i := range 40 {
		ev.Fields = append(ev.Fields, parsers.Field{Name: fmt.Sprintf("Field%d", i), Value: strings.Repeat("v", 50)})
	}
	ev.Fields = append(ev.Fields, parsers.Field{Name: "CommandLine", Value: "cmd /c whoami"})
	h := &hunt.Hit{Rule: testRules[0], Time: ev.Time, Event: ev}
	all := NewCodec(nil)
	all.Append(nil, h) // the dictionary learns the names
	full := len(all.Append(nil, h))
	if full < 40*51 || full > 40*55+100 {
		t.Errorf("record with every field: %d bytes, want about 40 values of 50 bytes plus a few per field", full)
	}
	key := NewCodec(func(n string) bool { return n == "CommandLine" })
	key.Append(nil, h)
	if n := len(key.Append(nil, h)); n > 60 {
		t.Errorf("record with the key field only: %d bytes, want under 60", n)
	}
}

func TestDecodeRejectsDamage(t *testing.T) {
	c := NewCodec(nil)
	r := rand.New(rand.NewPCG(3, 4))
	for range 300 {
		rec := c.Append(nil, genHit(r))
		for cut := range len(rec) {
			if h, err := c.Decode(string(rec[:cut])); err == nil {
				t.Fatalf("record cut at %d of %d decoded: %+v", cut, len(rec), h)
			} else if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("error %v does not wrap ErrCorrupt", err)
			}
		}
		if _, err := c.Decode(string(append(rec, 0))); err == nil {
			t.Fatal("trailing byte accepted")
		}
	}
	// A rule the codec never saw, a huge list, a string past the end.
	for _, rec := range [][]byte{
		{0, 9},
		binary.AppendUvarint([]byte{hasMatched, 0}, 1<<40),
		binary.AppendUvarint([]byte{hasSuppressed, 0}, 1001),
	} {
		if _, err := c.Decode(string(rec)); err == nil {
			t.Errorf("%x decoded", rec)
		}
	}
}

// FuzzCodec checks that any hit survives a round trip, and that Decode
// and Key of any bytes return an error or a hit, never panic.
func FuzzCodec(f *testing.F) {
	c := NewCodec(nil)
	r := rand.New(rand.NewPCG(5, 6))
	for range 20 {
		f.Add(c.Append(nil, genHit(r)))
	}
	f.Add([]byte{})
	f.Add([]byte{0xff, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, data []byte) {
		c := NewCodec(nil)
		// The fuzz seeds are records of another codec with the same
		// rules; register them in the same order so rule numbers match.
		for _, rule := range testRules {
			c.rule(rule)
		}
		if h, err := c.Decode(string(data)); err == nil {
			// What decodes re-encodes to a record that decodes the same.
			again, err := c.Decode(string(c.Append(nil, h)))
			if err != nil || !reflect.DeepEqual(again, h) {
				t.Fatalf("re-encoded hit differs: %v\n%+v\n%+v", err, again, h)
			}
		}
		c.Key(string(data))
		var seed [16]byte
		copy(seed[:], data)
		rr := rand.New(rand.NewPCG(binary.LittleEndian.Uint64(seed[:8]), binary.LittleEndian.Uint64(seed[8:])))
		h := genHit(rr)
		got, err := c.Decode(string(c.Append(nil, h)))
		if err != nil || !reflect.DeepEqual(got, slim(h, nil)) {
			t.Fatalf("round trip: %v\n got %+v\nwant %+v", err, got, slim(h, nil))
		}
	})
}
