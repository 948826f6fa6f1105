// Package parsers defines the normalized event model that every log parser
// produces and every hunt consumes.
//
// Sub-packages turn bytes into Events:
//   - parsers/evtx reads Windows EVTX files (native decoder);
//   - parsers/json reads JSON Lines, JSON arrays and concatenated JSON
//     documents in the evtx_dump, flat and Winlogbeat shapes;
//   - parsers/input finds files, sniffs their type and opens archives.
//
// Parsers stream: they yield one Event at a time and report damaged records
// as non-final *ParseError values, so a caller counts them and keeps reading.
// An error that is not a *ParseError is final: the input cannot be read on.
//
// This package never imports hunt or cmd.
package parsers

import (
	"errors"
	"fmt"
	"time"
)

// Field is one named value of an event. Names use the spelling Sigma rules
// use: EventData "Data Name=" pairs keep their name, UserData leaves use their
// element name, and System values are named EventID, Channel, Provider_Name,
// Computer, EventRecordID, Level, Task, Opcode, Keywords, Version,
// Security_UserID, ProcessID, ThreadID and TimeCreated_SystemTime.
//
// A name may repeat: an array value or an unnamed <Data> list is stored as
// several fields with the same name, in order. A JSON null is not stored:
// for rule lookup, null and absent are the same thing.
type Field struct {
	Name  string
	Value string
}

// Source says where an event came from.
type Source struct {
	// Path is the file the event was read from. For a member of an archive
	// it is "archive.zip!member/path".
	Path string
	// Offset is the byte offset of the record in the file (EVTX), or -1.
	Offset int64
	// Line is the 1-based line number of the event's first line (JSON), or 0.
	Line int64
}

func (s Source) String() string {
	switch {
	case s.Line > 0:
		return fmt.Sprintf("%s:%d", s.Path, s.Line)
	case s.Offset >= 0:
		return fmt.Sprintf("%s@0x%x", s.Path, s.Offset)
	}
	return s.Path
}

// Flags mark events whose record was damaged or found outside the live log.
type Flags uint8

const (
	// Recovered marks a record carved from slack or unallocated space.
	Recovered Flags = 1 << iota
	// BadChecksum marks a record whose record or chunk CRC32 did not match.
	BadChecksum
)

// Event is one normalized log record.
//
// The typed core fields are always filled when the source has them; Fields
// carries every value for rule lookup, including the System values under
// their Sigma names. An Event is not safe for concurrent mutation, but may be
// read from many goroutines once a parser has handed it over.
type Event struct {
	// Time is the record's creation time in UTC, with the full precision of
	// the record (100 ns for EVTX FILETIME). Zero when the record has none.
	Time     time.Time
	Computer string
	Channel  string
	Provider string
	EventID  uint32
	RecordID uint64
	Level    uint8
	Source   Source
	Flags    Flags
	Fields   []Field
}

// Get returns the first value of the named field and whether it is present.
// Names are compared exactly.
func (e *Event) Get(name string) (string, bool) {
	for i := range e.Fields {
		if e.Fields[i].Name == name {
			return e.Fields[i].Value, true
		}
	}
	return "", false
}

// Values appends every value of the named field to dst and returns it.
func (e *Event) Values(dst []string, name string) []string {
	for i := range e.Fields {
		if e.Fields[i].Name == name {
			dst = append(dst, e.Fields[i].Value)
		}
	}
	return dst
}

// Set replaces every value of name with value, or appends it.
func (e *Event) Set(name, value string) {
	for i := range e.Fields {
		if e.Fields[i].Name == name {
			e.Fields[i].Value = value
			e.Fields = deleteName(e.Fields, i+1, name)
			return
		}
	}
	e.Fields = append(e.Fields, Field{name, value})
}

// Add appends a value to the named field without removing earlier ones.
func (e *Event) Add(name, value string) {
	e.Fields = append(e.Fields, Field{name, value})
}

func deleteName(fs []Field, from int, name string) []Field {
	out := fs[:from]
	for _, f := range fs[from:] {
		if f.Name != name {
			out = append(out, f)
		}
	}
	return out
}

// Sentinel errors wrapped by ParseError.
var (
	ErrBadMagic    = errors.New("bad magic")
	ErrTruncated   = errors.New("truncated")
	ErrBadChecksum = errors.New("checksum mismatch")
	ErrCorrupt     = errors.New("corrupt data")
	ErrSyntax      = errors.New("syntax error")
)

// ParseError reports one damaged unit of input (a chunk, a record, a line).
// It is never final: the parser that returned it goes on with the next unit.
type ParseError struct {
	File     string
	Offset   int64  // byte offset of the damaged unit, or -1
	Line     int64  // 1-based line, or 0
	RecordID uint64 // record id when known, or 0
	Unit     string // "chunk", "record", "line", "document"...
	Err      error
}

func (e *ParseError) Error() string {
	where := e.File
	if e.Line > 0 {
		where = fmt.Sprintf("%s:%d", where, e.Line)
	} else if e.Offset >= 0 {
		where = fmt.Sprintf("%s@0x%x", where, e.Offset)
	}
	if e.Unit != "" {
		where += " " + e.Unit
	}
	if e.RecordID != 0 {
		where += fmt.Sprintf(" (record %d)", e.RecordID)
	}
	return where + ": " + e.Err.Error()
}

func (e *ParseError) Unwrap() error { return e.Err }

// Stats accounts for everything a parser read from one input.
type Stats struct {
	Records     int64 `json:"records"`      // records parsed into events
	Recovered   int64 `json:"recovered"`    // of Records, how many were carved
	Failed      int64 `json:"failed"`       // records (or lines) that could not be parsed
	BadChunks   int64 `json:"bad_chunks"`   // chunks skipped (EVTX)
	BadChecksum int64 `json:"bad_checksum"` // records or chunks with a CRC mismatch, parsed anyway
	NoTime      int64 `json:"no_time"`      // events without a timestamp
}

// Add adds o to s.
func (s *Stats) Add(o Stats) {
	s.Records += o.Records
	s.Recovered += o.Recovered
	s.Failed += o.Failed
	s.BadChunks += o.BadChunks
	s.BadChecksum += o.BadChecksum
	s.NoTime += o.NoTime
}
