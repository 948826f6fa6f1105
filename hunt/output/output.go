// Package output writes hunt results: hits as CSV, JSON Lines or a readable
// table, and the run summary as text or JSON.
//
// NewWriter returns the Writer of a format. Writers take an io.Writer and
// never close it. Every format writes one hit per row or line, in the order
// given: put a hunt.SortingSink in front for the canonical order.
package output

import (
	"bufio"
	"encoding/csv"
	"fmt"
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

// Format names an output format.
type Format string

// Output formats.
const (
	Table Format = "table"
	CSV   Format = "csv"
	JSONL Format = "jsonl"
	// Timesketch and TimesketchCSV are timelines Timesketch imports as
	// they are (timesketch.go).
	Timesketch    Format = "timesketch"
	TimesketchCSV Format = "timesketch-csv"
)

// formatList names the formats for error messages.
const formatList = "table, csv, jsonl, timesketch or timesketch-csv"

// ParseFormat validates a --format value.
func ParseFormat(s string) (Format, error) {
	switch f := Format(strings.ToLower(s)); f {
	case Table, CSV, JSONL, Timesketch, TimesketchCSV:
		return f, nil
	}
	return "", fmt.Errorf("unknown format %q (want %s)", s, formatList)
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

// Options configure the writers. The zero value writes times in UTC, full
// table lines without colour, and neutralised CSV.
type Options struct {
	// Location is the zone timestamps are written in, with their offset
	// (CSV and JSONL: RFC 3339; the table names the zone in its header
	// and writes the offset on each row); nil means UTC.
	Location *time.Location
	// Width is the table's width in columns (runes): the rule title,
	// source and details columns are cut, with an ellipsis, so that each
	// line fits; time, level, computer and event ID are never cut. 0 means
	// no limit: every cell is written whole.
	Width int
	// Color colours each table row by its rule's level with ANSI escape
	// sequences (critical bold red, high red, medium yellow, low green).
	Color bool
	// CSVRaw writes CSV cells as they are. By default a cell that begins
	// with '=', '+', '-', '@', a tab or a carriage return is prefixed with
	// a single quote, so that a spreadsheet shows it as text instead of
	// running it as a formula (OWASP's advice against CSV injection):
	// computer names and command lines come from the logs, which an
	// attacker may write. JSON Lines is never altered.
	CSVRaw bool
}

// NewWriter returns the Writer of format f writing to w. An unknown format
// is an error: ParseFormat's values, not the zero Format, are formats.
func NewWriter(w io.Writer, f Format, opts Options) (Writer, error) {
	loc := opts.Location
	if loc == nil {
		loc = time.UTC
	}
	switch f {
	case Table:
		return &tableWriter{w: w, opts: opts, loc: loc}, nil
	case CSV:
		return &csvWriter{w: csv.NewWriter(w), raw: opts.CSVRaw, loc: loc}, nil
	case JSONL:
		return newJSONLWriter(w, loc), nil
	case Timesketch:
		return newTimesketchWriter(w, loc), nil
	case TimesketchCSV:
		return &timesketchCSVWriter{w: csv.NewWriter(w), raw: opts.CSVRaw, loc: loc}, nil
	}
	return nil, fmt.Errorf("output: unknown format %q (want %s)", string(f), formatList)
}

// TimeFormat is how timestamps are written: RFC 3339, in UTC unless
// Options.Location says otherwise, with every sub-second digit the record
// had (EVTX has 100 ns).
const TimeFormat = "2006-01-02T15:04:05.9999999Z07:00"

func formatTime(t time.Time, loc *time.Location) string {
	if t.IsZero() {
		return ""
	}
	return t.In(loc).Format(TimeFormat)
}

// ZoneName names loc for the table's header: "UTC", an IANA name such as
// Europe/Berlin, or "local" for the system's zone.
func ZoneName(loc *time.Location) string {
	switch {
	case loc == nil || loc == time.UTC:
		return "UTC"
	case loc == time.Local:
		return "local"
	}
	return loc.String()
}

// keyFields are shown in the details column when the event (or KQL result
// row) has them, in this order, after the fields the rule matched on.
var keyFields = winevent.KeyFields

// maxRowDetails bounds how many KQL result columns the details column
// shows when none of the key fields is among them.
const maxRowDetails = 8

// Details returns the key fields of a hit as "Name: value" pairs: first the
// fields the rule matched on, then the key fields the event or result row
// has; for a row with none of those, its first columns. A hit a tuning
// exclusion suppressed (shown by --show-suppressed) starts with
// "suppressed by: NAME".
func Details(h *hunt.Hit) []string {
	var out []string
	if h.Suppressed != "" {
		out = append(out, "suppressed by: "+h.Suppressed)
	}
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
	loc    *time.Location
	raw    bool // Options.CSVRaw
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
		formatTime(h.Time, c.loc), ev.Computer, ev.Channel, uintOrEmpty(uint64(ev.EventID), h.Event != nil),
		uintOrEmpty(ev.RecordID, h.Event != nil && ev.RecordID != 0), h.Rule.Title, h.Rule.ID,
		h.Rule.Level, h.Rule.Engine, ev.Source.Path, off, line, strconv.FormatBool(ev.Flags&parsers.Recovered != 0),
		matchedSearches(h), strings.Join(Details(h), " | "), processKey(h),
	)
	if !c.raw {
		for i, v := range c.rec {
			c.rec[i] = CSVCell(v)
		}
	}
	return c.w.Write(c.rec)
}

// CSVCell neutralises a cell a spreadsheet would read as a formula: one
// that begins with '=', '+', '-', '@', a tab or a carriage return gets a
// leading single quote, as OWASP advises against CSV injection. Other
// cells are returned as they are.
func CSVCell(s string) string {
	if s == "" {
		return s
	}
	switch s[0] {
	case '=', '+', '-', '@', '\t', '\r':
		return "'" + s
	}
	return s
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
	// Suppressed is the tuning exclusion that matched (--show-suppressed).
	Suppressed string `json:"suppressed_by,omitempty"`
	// ProcessKey is winevent.ProcessKey of the hit's event.
	ProcessKey string `json:"process_key,omitempty"`
}

type jsonRule struct {
	ID     string `json:"id"`
	Title  string `json:"title"`
	Level  string `json:"level,omitempty"`
	Engine string `json:"engine"`
	// Engines lists every engine that flagged the event for this
	// detection, when several did (Engine is then their list, joined).
	Engines []string `json:"engines,omitempty"`
	Path    string   `json:"path,omitempty"`
	Tags    []string `json:"tags,omitempty"`
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

// jsonOf is the JSONL shape of h: the schema of a line, which
// jsonlWriter appends by hand (see jsonl.go).
func jsonOf(h *hunt.Hit, loc *time.Location) *jsonHit {
	j := &jsonHit{
		Time:       formatTime(h.Time, loc),
		Rule:       jsonRule{ID: h.Rule.ID, Title: h.Rule.Title, Level: h.Rule.Level, Engine: h.Rule.Engine, Path: h.Rule.Path, Tags: h.Rule.Tags},
		Matched:    h.Matched,
		Suppressed: h.Suppressed,
	}
	if len(h.Engines) > 1 {
		j.Rule.Engines = h.Engines
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
	w    io.Writer
	opts Options
	loc  *time.Location
	rows []tableRow
}

// tableRow is one hit's cells, already made safe for a terminal.
type tableRow struct {
	level string // the rule's level, for the colour
	cells [tableCols]string
}

const tableCols = 7

// header is the table's header row; the time column names the zone.
func (t *tableWriter) header() [tableCols]string {
	return [tableCols]string{"TIME (" + ZoneName(t.loc) + ")", "LEVEL", "RULE", "COMPUTER", "EVENT", "SOURCE", "DETAILS"}
}

// tableShrinks are the columns that are cut to fit the width, with their
// weight in sharing the room left: rule title 1, source 1, details 2.
// Time, level, computer and event ID stay whole.
var tableShrinks = [tableCols]int{2: 1, 5: 1, 6: 2}

// tableSource is the source column, which is cut at its start: the file
// name and offset at its end say more than the folders.
const tableSource = 5

// WriteHit implements Writer.
func (t *tableWriter) WriteHit(h *hunt.Hit) error {
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
		ts = tableTime(h.Time, t.loc)
	}
	r := tableRow{level: h.Rule.Level, cells: [tableCols]string{ts, h.Rule.Level, h.Rule.Title, computer, event, src,
		strings.Join(Details(h), " | ")}}
	for i, c := range r.cells {
		r.cells[i] = terminalSafe(c)
	}
	t.rows = append(t.rows, r)
	return nil
}

// Close implements Writer: it writes the aligned table, or "No hits."
// ("No matches." after a search).
func (t *tableWriter) Close(sum *Summary) error {
	if len(t.rows) == 0 {
		none := "No hits."
		if sum != nil && sum.Search != "" {
			none = "No matches."
		}
		_, err := fmt.Fprintln(t.w, none)
		return err
	}
	widths := t.widths()
	bw := bufio.NewWriter(t.w)
	t.writeRow(bw, widths, t.header(), "")
	for i := range t.rows {
		t.writeRow(bw, widths, t.rows[i].cells, t.rows[i].level)
		t.rows[i] = tableRow{}
	}
	t.rows = nil
	return bw.Flush()
}

// tableGap is the space between two columns.
const tableGap = 2

// widths returns the width of each column: its widest cell, then, when the
// line is wider than Options.Width, the cut columns share what the others
// leave, the narrow ones first keeping their whole width.
func (t *tableWriter) widths() [tableCols]int {
	var w [tableCols]int
	header := t.header()
	for i, c := range header {
		w[i] = utf8.RuneCountInString(c)
	}
	for _, r := range t.rows {
		for i, c := range r.cells {
			w[i] = max(w[i], utf8.RuneCountInString(c))
		}
	}
	if t.opts.Width <= 0 {
		return w
	}
	avail := t.opts.Width - tableGap*(tableCols-1)
	var cut []int
	need, weights := 0, 0
	for i := range w {
		if tableShrinks[i] > 0 {
			cut = append(cut, i)
			need += w[i]
			weights += tableShrinks[i]
		} else {
			avail -= w[i]
		}
	}
	if need <= avail {
		return w
	}
	// The columns narrower than their share keep their width, the
	// narrowest (for its weight) first; the rest share what is left.
	slices.SortStableFunc(cut, func(a, b int) int { return w[a]*tableShrinks[b] - w[b]*tableShrinks[a] })
	for _, i := range cut {
		share := max(avail, 0) * tableShrinks[i] / weights
		// Never narrower than the header: when even that does not fit,
		// the line is wider than Options.Width.
		w[i] = min(w[i], max(share, utf8.RuneCountInString(header[i])))
		avail -= w[i]
		weights -= tableShrinks[i]
	}
	return w
}

// levelColors are the SGR parameters of each level's rows.
var levelColors = map[string]string{
	"critical": "1;31",
	"high":     "31",
	"medium":   "33",
	"low":      "32",
}

func (t *tableWriter) writeRow(b *bufio.Writer, widths [tableCols]int, cells [tableCols]string, level string) {
	color := ""
	if t.opts.Color {
		color = levelColors[strings.ToLower(level)]
	}
	if color != "" {
		b.WriteString("\x1b[" + color + "m")
	}
	for i, c := range cells {
		if i == tableSource {
			c = ellipsisStart(c, widths[i])
		} else {
			c = ellipsis(c, widths[i])
		}
		b.WriteString(c)
		if i < tableCols-1 {
			b.WriteString(strings.Repeat(" ", widths[i]-utf8.RuneCountInString(c)+tableGap))
		}
	}
	if color != "" {
		b.WriteString("\x1b[0m")
	}
	b.WriteByte('\n')
}

// ellipsis cuts s to n runes, the last of them "…", when it is longer.
func ellipsis(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	if n <= 0 {
		return ""
	}
	k := 0
	for i := range s {
		if k == n-1 {
			return s[:i] + "…"
		}
		k++
	}
	return s
}

// ellipsisStart cuts s to n runes, the first of them "…", when it is
// longer.
func ellipsisStart(s string, n int) string {
	k := utf8.RuneCountInString(s)
	if k <= n {
		return s
	}
	if n <= 0 {
		return ""
	}
	drop := k - (n - 1)
	for i := range s {
		if drop == 0 {
			return "…" + s[i:]
		}
		drop--
	}
	return "…"
}

// terminalSafe makes a cell safe to print on a terminal: log values are
// the attacker's, and an escape sequence in a computer name must not
// drive the analyst's terminal. Tabs and line breaks become spaces; other
// control characters and invalid UTF-8 become U+FFFD.
func terminalSafe(s string) string {
	clean := true
	for _, r := range s {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) || r == utf8.RuneError {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '\t' || r == '\n' || r == '\r':
			b.WriteByte(' ')
		case r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0):
			b.WriteRune(utf8.RuneError)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// tableTime writes t to the millisecond; outside UTC with its offset, since
// a zone that turns its clocks back shows an hour twice.
func tableTime(t time.Time, loc *time.Location) string {
	if loc == time.UTC {
		return t.UTC().Format("2006-01-02 15:04:05.000")
	}
	return t.In(loc).Format("2006-01-02 15:04:05.000 -07:00")
}

func clip(s string, n int) string {
	s = terminalSafe(s)
	if len(s) <= n {
		return s
	}
	cut := n - 3
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "..."
}
