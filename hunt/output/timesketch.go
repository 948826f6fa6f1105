package output

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/loghunt/loghunt/hunt"
	"github.com/loghunt/loghunt/parsers"
)

// The Timesketch formats follow Timesketch's documented importer format for
// JSONL and CSV ("Create timeline from JSONL or CSV file",
// docs/guides/user/import-from-json-csv.md in google/timesketch): every
// event must have
//
//   - message: "String with an informative message of the event",
//   - datetime: ISO 8601, e.g. 2015-07-24T19:01:01+00:00,
//   - timestamp_desc: what kind of timestamp it is,
//
// and may have any other attribute. The documented examples also give
// timestamp, in microseconds since the Unix epoch; we write it too. The file
// name must end in .jsonl or .csv for the importer.
//
// Each hit is one event: message (rule title, level, computer and the key
// fields, on one line), datetime in Options.Location with a numeric offset
// (+00:00 for UTC, as in the documented example) to the microsecond,
// timestamp, timestamp_desc "Event Time", the hit's columns (TimesketchColumns)
// and the event's fields. A hit without a time (a KQL result row not tied to
// an event) gets the Unix epoch and timestamp_desc "Not a time", as Plaso
// writes for events without a time, so that it still imports and is not lost.

// TimesketchColumns are the columns every Timesketch event has, in order.
// In JSONL the event's fields follow as attributes of their own; in CSV,
// whose header is written before any event is seen, they are one column,
// "fields", holding them as a JSON object.
var TimesketchColumns = []string{
	"message", "datetime", "timestamp", "timestamp_desc",
	"rule_title", "rule_id", "level", "engine", "tags",
	"computer", "channel", "event_id", "record_id",
	"source_file", "source_offset", "source_line", "recovered",
	"matched_searches", "details", "process_key", "suppressed_by", "related",
}

// timesketchCSVHeader is the CSV header: the columns, then "fields".
var timesketchCSVHeader = append(append([]string(nil), TimesketchColumns...), "fields")

// TimesketchTimeFormat is the datetime column's layout: ISO 8601 to the
// microsecond with a numeric offset (never "Z").
const TimesketchTimeFormat = "2006-01-02T15:04:05.000000-07:00"

// Timestamp descriptions.
const (
	timestampDesc = "Event Time"
	notATime      = "Not a time"
)

// FieldPrefix renames an event field whose name would clash with a
// Timesketch column, is empty, or starts with '_' (OpenSearch reserves such
// names, e.g. _id, for its metadata): it becomes "field_" + name.
const FieldPrefix = "field_"

var timesketchReserved = func() map[string]bool {
	m := map[string]bool{"fields": true}
	for _, c := range TimesketchColumns {
		m[c] = true
	}
	return m
}()

// timesketchFieldName is the attribute name of an event field.
func timesketchFieldName(name string) string {
	if name == "" || name[0] == '_' || timesketchReserved[name] {
		return FieldPrefix + name
	}
	return name
}

// tsField is one attribute: a single value, or the values of a repeated
// name in order.
type tsField struct {
	name   string
	values []string
}

// tsHit is the columns of one hit, shared by both formats.
type tsHit struct {
	message, datetime, desc                string
	micros                                 int64
	computer, channel, source, procKey     string
	eventID, recordID, offset, line        string
	matched, details, suppressed, related  string
	ruleTitle, ruleID, level, engine, tags string
	tagList                                []string
	recovered                              bool
	fields                                 []tsField
	hasEvent, hasEventID, hasRecID         bool
}

// timesketchOf builds the columns of h.
func timesketchOf(h *hunt.Hit, loc *time.Location) *tsHit {
	t := &tsHit{desc: timestampDesc}
	ts := h.Time
	if ts.IsZero() {
		ts, t.desc = time.Unix(0, 0), notATime
	}
	t.datetime = ts.In(loc).Format(TimesketchTimeFormat)
	t.micros = ts.UnixMicro()
	t.ruleTitle, t.ruleID, t.level, t.engine = h.Rule.Title, h.Rule.ID, h.Rule.Level, h.Rule.Engine
	t.tagList = h.Rule.Tags
	t.tags = strings.Join(h.Rule.Tags, ",")
	t.matched = matchedSearches(h)
	details := Details(h)
	t.details = strings.Join(details, " | ")
	t.suppressed = h.Suppressed
	var rel []string
	for _, r := range h.Related {
		rel = append(rel, r.Source.String())
	}
	t.related = strings.Join(rel, "; ")
	index := map[string]int{}
	add := func(name, value string) {
		name = timesketchFieldName(name)
		if i, ok := index[name]; ok {
			t.fields[i].values = append(t.fields[i].values, value)
			return
		}
		index[name] = len(t.fields)
		t.fields = append(t.fields, tsField{name: name, values: []string{value}})
	}
	if ev := h.Event; ev != nil {
		t.hasEvent = true
		t.computer, t.channel, t.source = ev.Computer, ev.Channel, ev.Source.Path
		t.eventID = strconv.FormatUint(uint64(ev.EventID), 10)
		t.hasEventID = true
		if ev.RecordID != 0 {
			t.recordID, t.hasRecID = strconv.FormatUint(ev.RecordID, 10), true
		}
		if ev.Source.Line > 0 {
			t.line = strconv.FormatInt(ev.Source.Line, 10)
		} else if ev.Source.Offset >= 0 && ev.Source.Path != "" {
			t.offset = strconv.FormatInt(ev.Source.Offset, 10)
		}
		t.recovered = ev.Flags&parsers.Recovered != 0
		t.procKey = processKey(h)
		for _, f := range ev.Fields {
			add(f.Name, f.Value)
		}
	}
	for _, c := range h.Row {
		add("row_"+c.Name, c.Value)
	}
	// The message: what fired, where, and why, on one line.
	var b strings.Builder
	b.WriteString(h.Rule.Title)
	if h.Rule.Level != "" {
		b.WriteString(" [" + h.Rule.Level + "]")
	}
	if t.computer != "" {
		b.WriteString(" on " + t.computer)
	}
	if len(details) > 0 {
		b.WriteString(": " + t.details)
	}
	t.message = oneLine(b.String())
	return t
}

// oneLine replaces line breaks and tabs with spaces.
func oneLine(s string) string {
	if !strings.ContainsAny(s, "\r\n\t") {
		return s
	}
	return strings.Map(func(r rune) rune {
		switch r {
		case '\r', '\n', '\t':
			return ' '
		}
		return r
	}, s)
}

// timesketchWriter writes JSON Lines for Timesketch: one object per hit,
// its keys in a fixed order (the columns, then the event's fields in event
// order), so the output is byte-for-byte deterministic.
type timesketchWriter struct {
	w   *bufio.Writer
	loc *time.Location
	buf []byte
}

// WriteHit implements Writer.
func (j *timesketchWriter) WriteHit(h *hunt.Hit) error {
	t := timesketchOf(h, j.loc)
	b := j.buf[:0]
	b = append(b, '{')
	first := true
	key := func(k string) {
		if !first {
			b = append(b, ',')
		}
		first = false
		b = appendJSONString(b, k)
		b = append(b, ':')
	}
	str := func(k, v string) {
		key(k)
		b = appendJSONString(b, v)
	}
	opt := func(k, v string) {
		if v != "" {
			str(k, v)
		}
	}
	str("message", t.message)
	str("datetime", t.datetime)
	key("timestamp")
	b = strconv.AppendInt(b, t.micros, 10)
	str("timestamp_desc", t.desc)
	str("rule_title", t.ruleTitle)
	str("rule_id", t.ruleID)
	opt("level", t.level)
	str("engine", t.engine)
	if len(t.tagList) > 0 {
		key("tags")
		b = append(b, '[')
		for i, tag := range t.tagList {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSONString(b, tag)
		}
		b = append(b, ']')
	}
	opt("computer", t.computer)
	opt("channel", t.channel)
	if t.hasEventID {
		key("event_id")
		b = append(b, t.eventID...)
	}
	if t.hasRecID {
		key("record_id")
		b = append(b, t.recordID...)
	}
	opt("source_file", t.source)
	if t.offset != "" {
		key("source_offset")
		b = append(b, t.offset...)
	}
	if t.line != "" {
		key("source_line")
		b = append(b, t.line...)
	}
	if t.recovered {
		key("recovered")
		b = append(b, "true"...)
	}
	opt("matched_searches", t.matched)
	opt("details", t.details)
	opt("process_key", t.procKey)
	opt("suppressed_by", t.suppressed)
	opt("related", t.related)
	for _, f := range t.fields {
		key(f.name)
		if len(f.values) == 1 {
			b = appendJSONString(b, f.values[0])
			continue
		}
		b = append(b, '[')
		for i, v := range f.values {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSONString(b, v)
		}
		b = append(b, ']')
	}
	b = append(b, '}', '\n')
	j.buf = b
	_, err := j.w.Write(b)
	return err
}

// Close implements Writer: it flushes.
func (j *timesketchWriter) Close(*Summary) error { return j.w.Flush() }

// timesketchCSVWriter writes the Timesketch columns as RFC 4180 CSV, a
// header row first (even with no hits); cells are neutralised as the CSV
// format's are, unless Options.CSVRaw.
type timesketchCSVWriter struct {
	w      *csv.Writer
	loc    *time.Location
	raw    bool
	header bool
	rec    []string
}

func (c *timesketchCSVWriter) writeHeader() error {
	if c.header {
		return nil
	}
	c.header = true
	return c.w.Write(timesketchCSVHeader)
}

// WriteHit implements Writer.
func (c *timesketchCSVWriter) WriteHit(h *hunt.Hit) error {
	if err := c.writeHeader(); err != nil {
		return err
	}
	t := timesketchOf(h, c.loc)
	recovered := ""
	if t.hasEvent {
		recovered = strconv.FormatBool(t.recovered)
	}
	fields := ""
	if len(t.fields) > 0 {
		m := make(map[string]any, len(t.fields))
		for _, f := range t.fields {
			if len(f.values) == 1 {
				m[f.name] = f.values[0]
			} else {
				m[f.name] = f.values
			}
		}
		var sb strings.Builder
		enc := json.NewEncoder(&sb)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(m); err != nil {
			return err
		}
		fields = strings.TrimSuffix(sb.String(), "\n")
	}
	c.rec = append(c.rec[:0],
		t.message, t.datetime, strconv.FormatInt(t.micros, 10), t.desc,
		t.ruleTitle, t.ruleID, t.level, t.engine, t.tags,
		t.computer, t.channel, t.eventID, t.recordID,
		t.source, t.offset, t.line, recovered,
		t.matched, t.details, t.procKey, t.suppressed, t.related, fields,
	)
	if !c.raw {
		for i, v := range c.rec {
			c.rec[i] = CSVCell(v)
		}
	}
	return c.w.Write(c.rec)
}

// Close implements Writer: it writes the header if no hit did, and flushes.
func (c *timesketchCSVWriter) Close(*Summary) error {
	if err := c.writeHeader(); err != nil {
		return err
	}
	c.w.Flush()
	return c.w.Error()
}

func newTimesketchWriter(w io.Writer, loc *time.Location) *timesketchWriter {
	return &timesketchWriter{w: bufio.NewWriter(w), loc: loc}
}
