// Package output writes hunt results: hits as CSV, JSON Lines or a readable
// table, and the run summary as text or JSON.
//
// NewWriter returns the Writer of a format. Writers take an io.Writer and
// never close it. Every format writes one hit per row or line, in the order
// given: put a hunt.SortingSink in front for the canonical order.
package output

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
	"unicode/utf8"

	"github.com/loghunt/loghunt/hunt"
	"github.com/loghunt/loghunt/parsers"
	"github.com/loghunt/loghunt/parsers/winevent"
)

// Format names an output format.
type Format string

// Output formats.
const (
	Table Format = "table"
	CSV   Format = "csv"
	JSONL Format = "jsonl"
)

// ParseFormat validates a --format value.
func ParseFormat(s string) (Format, error) {
	switch f := Format(strings.ToLower(s)); f {
	case Table, CSV, JSONL:
		return f, nil
	}
	return "", fmt.Errorf("unknown format %q (want table, csv or jsonl)", s)
}

// Writer writes hits in one format. WriteHit is called once per hit, in the
// order they are to be written, one call at a time (a Writer is not safe for
// concurrent use). Close is called once, after the last hit, with the run's
// summary (nil when there is none): it writes what the format puts after
// the hits and flushes what it buffered, but does not close the io.Writer.
// A format may embed the summary; table, CSV and JSONL do not (the text
// summary is printed beside them by the caller).
//
// After an error from WriteHit the output is incomplete; Close may still be
// called to flush what was written.
type Writer interface {
	WriteHit(h *hunt.Hit) error
	Close(s *Summary) error
}

// NewWriter returns the Writer of format f writing to w. An unknown format
// is an error: ParseFormat's values, not the zero Format, are formats.
func NewWriter(w io.Writer, f Format) (Writer, error) {
	switch f {
	case Table:
		return &tableWriter{w: w}, nil
	case CSV:
		return &csvWriter{w: csv.NewWriter(w)}, nil
	case JSONL:
		enc := json.NewEncoder(w)
		enc.SetEscapeHTML(false)
		return &jsonlWriter{enc: enc}, nil
	}
	return nil, fmt.Errorf("output: unknown format %q (want table, csv or jsonl)", string(f))
}

// TimeFormat is how timestamps are written: RFC 3339 in UTC with every
// sub-second digit the record had (EVTX has 100 ns).
const TimeFormat = "2006-01-02T15:04:05.9999999Z07:00"

func formatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(TimeFormat)
}

// keyFields are shown in the details column when the event (or KQL result
// row) has them, in this order, after the fields the rule matched on.
var keyFields = winevent.KeyFields

// maxRowDetails bounds how many KQL result columns the details column
// shows when none of the key fields is among them.
const maxRowDetails = 8

// Details returns the key fields of a hit as "Name: value" pairs: first the
// fields the rule matched on, then the key fields the event or result row
// has; for a row with none of those, its first columns.
func Details(h *hunt.Hit) []string {
	var out []string
	seen := map[string]bool{}
	add := func(name, value string) {
		if seen[name] {
			return
		}
		seen[name] = true
		out = append(out, name+": "+value)
	}
	for _, m := range h.Matched {
		if m.Field != "" {
			add(m.Field, m.Value)
		}
	}
	if h.Event != nil {
		for _, k := range keyFields {
			if v, ok := h.Event.Get(k); ok && v != "" {
				add(k, v)
			}
		}
	}
	if len(out) == 0 {
		for _, c := range h.Row {
			if len(out) == maxRowDetails {
				break
			}
			if c.Value != "" {
				add(c.Name, c.Value)
			}
		}
	}
	return out
}

func matchedSearches(h *hunt.Hit) string {
	var s []string
	for _, m := range h.Matched {
		if m.Search != "" && !slices.Contains(s, m.Search) {
			s = append(s, m.Search)
		}
	}
	return strings.Join(s, ",")
}

// CSVHeader is the header row of the CSV format.
var CSVHeader = []string{
	"timestamp", "computer", "channel", "event_id", "record_id", "rule_title", "rule_id",
	"level", "engine", "source_file", "source_offset", "source_line", "recovered",
	"matched_searches", "details", "process_key",
}

// csvWriter writes an RFC 4180 CSV file: a header row, even with no hits,
// then one hit a row.
type csvWriter struct {
	w      *csv.Writer
	header bool // written
	rec    []string
}

func (c *csvWriter) writeHeader() error {
	if c.header {
		return nil
	}
	c.header = true
	return c.w.Write(CSVHeader)
}

// WriteHit implements Writer.
func (c *csvWriter) WriteHit(h *hunt.Hit) error {
	if err := c.writeHeader(); err != nil {
		return err
	}
	ev := h.Event
	if ev == nil {
		ev = &parsers.Event{Source: parsers.Source{Offset: -1}}
	}
	off := ""
	if ev.Source.Offset >= 0 && ev.Source.Line == 0 && ev.Source.Path != "" {
		off = strconv.FormatInt(ev.Source.Offset, 10)
	}
	line := ""
	if ev.Source.Line > 0 {
		line = strconv.FormatInt(ev.Source.Line, 10)
	}
	c.rec = append(c.rec[:0],
		formatTime(h.Time), ev.Computer, ev.Channel, uintOrEmpty(uint64(ev.EventID), h.Event != nil),
		uintOrEmpty(ev.RecordID, h.Event != nil && ev.RecordID != 0), h.Rule.Title, h.Rule.ID,
		h.Rule.Level, h.Rule.Engine, ev.Source.Path, off, line, strconv.FormatBool(ev.Flags&parsers.Recovered != 0),
		matchedSearches(h), strings.Join(Details(h), " | "), processKey(h),
	)
	return c.w.Write(c.rec)
}

// processKey is the process_key column: the process the hit's event is
// about (winevent.ProcessKey), "" for a hit without an event.
func processKey(h *hunt.Hit) string {
	if h.Event == nil {
		return ""
	}
	return winevent.ProcessKey(h.Event)
}

// Close implements Writer: it writes the header if no hit did, and flushes.
func (c *csvWriter) Close(*Summary) error {
	if err := c.writeHeader(); err != nil {
		return err
	}
	c.w.Flush()
	return c.w.Error()
}

func uintOrEmpty(v uint64, ok bool) string {
	if !ok {
		return ""
	}
	return strconv.FormatUint(v, 10)
}

// jsonHit is the JSONL shape of one hit.
type jsonHit struct {
	Time     string         `json:"timestamp"`
	Rule     jsonRule       `json:"rule"`
	Computer string         `json:"computer,omitempty"`
	Channel  string         `json:"channel,omitempty"`
	EventID  *uint32        `json:"event_id,omitempty"`
	RecordID *uint64        `json:"record_id,omitempty"`
	Source   *jsonSource    `json:"source,omitempty"`
	Flags    []string       `json:"flags,omitempty"`
	Matched  []hunt.Matched `json:"matched,omitempty"`
	Fields   map[string]any `json:"fields,omitempty"`
	Row      map[string]any `json:"row,omitempty"`
	Related  []jsonSource   `json:"related,omitempty"`
	// ProcessKey is winevent.ProcessKey of the hit's event.
	ProcessKey string `json:"process_key,omitempty"`
}

type jsonRule struct {
	ID     string   `json:"id"`
	Title  string   `json:"title"`
	Level  string   `json:"level,omitempty"`
	Engine string   `json:"engine"`
	Path   string   `json:"path,omitempty"`
	Tags   []string `json:"tags,omitempty"`
}

type jsonSource struct {
	Path     string `json:"path"`
	Offset   *int64 `json:"offset,omitempty"`
	Line     int64  `json:"line,omitempty"`
	RecordID uint64 `json:"record_id,omitempty"`
}

func sourceOf(ev *parsers.Event) *jsonSource {
	s := &jsonSource{Path: ev.Source.Path, Line: ev.Source.Line, RecordID: ev.RecordID}
	if ev.Source.Line == 0 && ev.Source.Offset >= 0 {
		off := ev.Source.Offset
		s.Offset = &off
	}
	return s
}

// FieldMap returns an event's fields as a map; a repeated name becomes a
// list of its values in order.
func FieldMap(ev *parsers.Event) map[string]any {
	m := make(map[string]any, len(ev.Fields))
	for _, f := range ev.Fields {
		switch old := m[f.Name].(type) {
		case nil:
			m[f.Name] = f.Value
		case string:
			m[f.Name] = []string{old, f.Value}
		case []string:
			m[f.Name] = append(old, f.Value)
		}
	}
	return m
}

// jsonlWriter writes one JSON object per hit per line.
type jsonlWriter struct{ enc *json.Encoder }

// WriteHit implements Writer.
func (j *jsonlWriter) WriteHit(h *hunt.Hit) error {
	return j.enc.Encode(jsonOf(h))
}

// Close implements Writer; JSON Lines has nothing after the hits.
func (j *jsonlWriter) Close(*Summary) error { return nil }

// jsonOf is the JSONL shape of h.
func jsonOf(h *hunt.Hit) *jsonHit {
	j := &jsonHit{
		Time:    formatTime(h.Time),
		Rule:    jsonRule{ID: h.Rule.ID, Title: h.Rule.Title, Level: h.Rule.Level, Engine: h.Rule.Engine, Path: h.Rule.Path, Tags: h.Rule.Tags},
		Matched: h.Matched,
	}
	if ev := h.Event; ev != nil {
		id, rid := ev.EventID, ev.RecordID
		j.Computer, j.Channel, j.EventID, j.RecordID = ev.Computer, ev.Channel, &id, &rid
		j.Source = sourceOf(ev)
		if ev.Flags&parsers.Recovered != 0 {
			j.Flags = append(j.Flags, "recovered")
		}
		if ev.Flags&parsers.BadChecksum != 0 {
			j.Flags = append(j.Flags, "bad_checksum")
		}
		j.Fields = FieldMap(ev)
		j.ProcessKey = winevent.ProcessKey(ev)
	}
	if len(h.Row) > 0 {
		j.Row = make(map[string]any, len(h.Row))
		for _, c := range h.Row {
			j.Row[c.Name] = c.Value
		}
	}
	for _, r := range h.Related {
		j.Related = append(j.Related, *sourceOf(r))
	}
	return j
}

// tableWriter writes a readable table of hits, or "No hits.". The columns
// are aligned over all rows, so it holds the table until Close.
type tableWriter struct {
	w  io.Writer
	tw *tabwriter.Writer // nil until the first hit
}

// WriteHit implements Writer.
func (t *tableWriter) WriteHit(h *hunt.Hit) error {
	tw := t.tw
	if tw == nil {
		tw = tabwriter.NewWriter(t.w, 0, 4, 2, ' ', 0)
		t.tw = tw
		fmt.Fprintln(tw, "TIME (UTC)\tLEVEL\tRULE\tCOMPUTER\tEVENT\tSOURCE\tDETAILS")
	}
	computer, event, src := "", "", ""
	if ev := h.Event; ev != nil {
		computer = ev.Computer
		if ev.EventID != 0 || ev.Source.Path != "" {
			event = strconv.FormatUint(uint64(ev.EventID), 10)
		}
		src = ev.Source.String()
		if ev.Flags&parsers.Recovered != 0 {
			src += " (recovered)"
		}
	}
	ts := ""
	if !h.Time.IsZero() {
		ts = h.Time.UTC().Format("2006-01-02 15:04:05.000")
	}
	_, err := fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", ts, h.Rule.Level, h.Rule.Title, computer, event, src,
		clip(strings.Join(Details(h), " | "), 160))
	return err
}

// Close implements Writer: it writes the aligned table, or "No hits.".
func (t *tableWriter) Close(*Summary) error {
	if t.tw == nil {
		_, err := fmt.Fprintln(t.w, "No hits.")
		return err
	}
	return t.tw.Flush()
}

func clip(s string, n int) string {
	s = strings.NewReplacer("\t", " ", "\r", " ", "\n", " ").Replace(s)
	if len(s) <= n {
		return s
	}
	cut := n - 3
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "..."
}
