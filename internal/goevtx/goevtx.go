// Package goevtx adapts github.com/0xrawsec/golang-evtx (v1.2.9) to
// parsers.Event. It is a differential oracle for the tests of parsers/evtx
// and a baseline for bench/, never a production parser.
//
// golang-evtx panics on damaged input, also inside goroutines it owns (its
// Events, FastEvents and UnorderedEvents). This adapter never calls those:
// it walks the chunks itself, in the file's order, and recovers from a panic
// per chunk, which it reports and counts as a bad chunk.
//
// Field names follow parsers/evtx: System element text under the element
// name, System attributes as Element_Attribute (Execution attributes under
// their own name), EventData Data Name="X" as X, UserData leaves and
// attributes under their own names. golang-evtx renames repeated elements
// (Data, Data1, Data2 …) and renders values its own way; the adapter keeps
// its values as they are, as strings.
package goevtx

import (
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	gevtx "github.com/0xrawsec/golang-evtx/evtx"

	"github.com/loghunt/loghunt/parsers"
)

// ReadFile decodes the EVTX file at path with golang-evtx and emits one
// event per record it can decode. The error is final (the file cannot be
// opened or its header read).
func ReadFile(path string, emit parsers.EmitFunc, report parsers.ReportFunc) (st parsers.Stats, err error) {
	fh, err := os.Open(path)
	if err != nil {
		return st, err
	}
	defer fh.Close()
	if report == nil {
		report = func(*parsers.ParseError) {}
	}
	var ef gevtx.File
	if perr := protect(func() { ef, err = gevtx.New(fh) }); perr != nil {
		return st, fmt.Errorf("%s: golang-evtx: %w", path, perr)
	}
	if err != nil {
		return st, err
	}
	for i := 0; i < int(ef.Header.ChunkCount); i++ {
		off := int64(ef.Header.ChunkDataOffset) + int64(gevtx.ChunkSize)*int64(i)
		var emitErr error
		perr := protect(func() { emitErr = readChunk(&ef, path, off, &st, emit, report) })
		if perr != nil {
			st.BadChunks++
			report(&parsers.ParseError{File: path, Offset: off, Unit: "chunk", Err: perr})
		}
		if emitErr != nil {
			return st, emitErr
		}
	}
	return st, nil
}

func protect(f func()) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("golang-evtx panic: %v: %w", r, parsers.ErrCorrupt)
		}
	}()
	f()
	return nil
}

func readChunk(ef *gevtx.File, path string, off int64, st *parsers.Stats, emit parsers.EmitFunc, report parsers.ReportFunc) error {
	c, err := ef.FetchChunk(off)
	if err != nil {
		if err == io.EOF {
			return nil
		}
		st.BadChunks++
		report(&parsers.ParseError{File: path, Offset: off, Unit: "chunk", Err: err})
		return nil
	}
	var ev parsers.Event
	for _, eo := range c.EventOffsets {
		e := c.ParseEvent(int64(eo))
		if !e.IsValid() {
			continue
		}
		gem, err := e.GoEvtxMap(&c)
		if err != nil || gem == nil {
			st.Failed++
			if err == nil {
				err = parsers.ErrCorrupt
			}
			report(&parsers.ParseError{File: path, Offset: off + int64(eo), RecordID: uint64(e.Header.ID), Unit: "record", Err: err})
			continue
		}
		Convert(&ev, *gem)
		// Like parsers/evtx: the System EventRecordID wins over the
		// record header's id.
		ev.RecordID = uint64(e.Header.ID)
		if v, ok := ev.Get("EventRecordID"); ok {
			if n, err := strconv.ParseUint(v, 10, 64); err == nil {
				ev.RecordID = n
			}
		}
		ev.Source = parsers.Source{Path: path, Offset: off + int64(eo)}
		st.Records++
		if emit != nil {
			if err := emit(&ev); err != nil {
				return err
			}
		}
	}
	return nil
}

var systemElements = map[string]bool{
	"Provider": true, "EventID": true, "Version": true, "Level": true, "Task": true,
	"Opcode": true, "Keywords": true, "TimeCreated": true, "EventRecordID": true,
	"Correlation": true, "Execution": true, "Channel": true, "Computer": true, "Security": true,
}

// Convert fills ev from a golang-evtx map.
func Convert(ev *parsers.Event, m gevtx.GoEvtxMap) {
	*ev = parsers.Event{Fields: ev.Fields[:0]}
	root, _ := m["Event"].(gevtx.GoEvtxMap)
	if root == nil {
		root = m
	}
	if sys, ok := root["System"].(gevtx.GoEvtxMap); ok {
		for _, k := range sortedKeys(sys) {
			v := sys[k]
			switch vv := v.(type) {
			case gevtx.GoEvtxMap:
				for _, a := range sortedKeys(vv) {
					name := k + "_" + a
					if a == "Value" {
						name = k
					} else if k == "Execution" {
						name = a
					}
					addValue(ev, name, vv[a])
				}
			default:
				if _, isProvider := sys["Provider"]; !isProvider && v == "" && !systemElements[k] {
					// golang-evtx turns an element with only a Name
					// attribute into {Name: ""}: <Provider Name="X"/>.
					ev.Add("Provider_Name", k)
					continue
				}
				addValue(ev, k, v)
			}
		}
		ev.Computer, _ = ev.Get("Computer")
		ev.Channel, _ = ev.Get("Channel")
		ev.Provider, _ = ev.Get("Provider_Name")
		if s, ok := ev.Get("EventID"); ok {
			v, _ := strconv.ParseUint(s, 10, 32)
			ev.EventID = uint32(v)
		}
		if s, ok := ev.Get("Level"); ok {
			v, _ := strconv.ParseUint(s, 10, 8)
			ev.Level = uint8(v)
		}
		if t, ok := findTime(sys); ok {
			ev.Time = t
		}
	}
	for _, k := range sortedKeys(root) {
		if k == "System" {
			continue
		}
		leaves(ev, root[k])
	}
}

func findTime(sys gevtx.GoEvtxMap) (time.Time, bool) {
	tc, ok := sys["TimeCreated"].(gevtx.GoEvtxMap)
	if !ok {
		return time.Time{}, false
	}
	switch t := tc["SystemTime"].(type) {
	case time.Time:
		return t.UTC(), true
	case gevtx.UTCTime:
		return time.Time(t).UTC(), true
	}
	return time.Time{}, false
}

func leaves(ev *parsers.Event, v any) {
	m, ok := v.(gevtx.GoEvtxMap)
	if !ok {
		return
	}
	for _, k := range sortedKeys(m) {
		switch vv := m[k].(type) {
		case gevtx.GoEvtxMap:
			leaves(ev, vv)
		default:
			if strings.HasPrefix(k, "xmlns") {
				continue
			}
			addValue(ev, k, vv)
		}
	}
}

func sortedKeys(m gevtx.GoEvtxMap) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

func addValue(ev *parsers.Event, name string, v any) {
	switch vv := v.(type) {
	case nil:
	case string:
		ev.Add(name, vv)
	case []string:
		for _, s := range vv {
			ev.Add(name, s)
		}
	case []byte:
		// ANSI strings come out as bytes.
		ev.Add(name, strings.TrimRight(string(vv), "\x00"))
	case time.Time:
		ev.Add(name, vv.UTC().Format("2006-01-02T15:04:05.0000000Z"))
	case gevtx.UTCTime:
		ev.Add(name, time.Time(vv).UTC().Format("2006-01-02T15:04:05.0000000Z"))
	case fmt.Stringer:
		ev.Add(name, vv.String())
	default:
		ev.Add(name, strings.TrimSpace(fmt.Sprint(vv)))
	}
}
