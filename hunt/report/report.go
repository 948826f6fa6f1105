// Package report writes the HTML report of a hunt (--html): one
// self-contained file an analyst opens on an air-gapped machine. It holds
// the run's summary, a chart of hits over time stacked by level (inline SVG
// drawn here), an ATT&CK view of hits per tactic and technique (from the
// rules' attack.* tags, through hunt/attack) and a sortable, filterable,
// paged table of every hit that expands to the rule's details and the
// event's fields.
//
// New returns a Writer, an output.Writer: it takes the hits as the run
// writes them, beside the main output, and writes the report as it goes.
// The hits go into the file as they come, as JSON rows inside a
// <script type="application/json"> element at the start of the body (a
// script element is never displayed); what needs every hit (the summary,
// the chart, the ATT&CK view, the rules) is written at Close. So a report of
// any size streams: what the Writer keeps is 9 bytes per hit (its time and
// level, for the chart), one entry per rule and per computer, and the
// string table (at most 32 MiB; see WriteHit), which writes each distinct
// string once: a 100,000-hit report is about 43 MB, not 160.
//
// The file loads nothing: no network, no CDN, no font, no external src or
// href; a Content-Security-Policy meta element forbids any load, so that
// even a mistake here cannot reach out. Hits come from logs an attacker may
// have written: every value is JSON-encoded with <, > and & escaped (so no
// "</script>" or "<!--" can end the data element), every HTML text is
// escaped, and the page's own script builds the table with textContent
// only, never markup.
package report

import (
	"bufio"
	"cmp"
	_ "embed"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/loghunt/loghunt/hunt"
	"github.com/loghunt/loghunt/hunt/attack"
	"github.com/loghunt/loghunt/hunt/output"
)

//go:embed report.css
var css string

//go:embed report.js
var script string

// Options configure a report. The zero value writes times in UTC and no
// generation time.
type Options struct {
	// Location is the zone times are shown in; nil means UTC.
	Location *time.Location
	// Generated is when the report was written, shown in its header; the
	// zero time leaves it out (tests compare reports byte for byte).
	Generated time.Time
	// Version names the loghunt that wrote it, shown in the header; "" is
	// left out.
	Version string
}

// Bounds on what one hit brings into the report: a value longer than
// MaxValue bytes is cut (and says how much was cut), and fields past
// MaxFields are counted, not listed. The full event is in the main output.
const (
	MaxValue  = 4096
	MaxFields = 256
)

// Writer writes one HTML report. It is not safe for concurrent use; it
// buffers its output and does not close the io.Writer.
type Writer struct {
	w    *bufio.Writer
	opts Options
	loc  *time.Location

	started bool
	hits    int
	// Per hit, for the chart: Unix milliseconds (noTime when none) and
	// level rank.
	times  []int64
	levels []uint8

	rules     []*ruleInfo
	ruleIndex map[string]int
	computers []string
	compIndex map[string]int
	tally     attack.Tally
	// The string table: index of each string written, and its size.
	strIndex map[string]int
	strBytes int
	fresh    []string // the strings the current row adds
	row      []byte
	refs     []byte
	err      error
}

const noTime = math.MinInt64

type ruleInfo struct {
	Title       string   `json:"t"`
	ID          string   `json:"id"`
	Level       string   `json:"l"`
	Engine      string   `json:"e"`
	Path        string   `json:"p,omitempty"`
	Description string   `json:"d,omitempty"`
	Tags        []string `json:"g,omitempty"`
	Techniques  []string `json:"x,omitempty"` // ATT&CK technique IDs, for the view's filter
	Hits        int      `json:"n"`
}

// New returns a Writer writing the report to w.
func New(w io.Writer, opts Options) *Writer {
	loc := opts.Location
	if loc == nil {
		loc = time.UTC
	}
	return &Writer{w: bufio.NewWriterSize(w, 64<<10), opts: opts, loc: loc,
		ruleIndex: map[string]int{}, compIndex: map[string]int{}, strIndex: map[string]int{}}
}

var _ output.Writer = (*Writer)(nil)

// start writes the document's head and opens the hit data element.
func (r *Writer) start() {
	if r.started {
		return
	}
	r.started = true
	r.put(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>loghunt report</title>
<style>
`)
	r.put(css)
	r.put("</style>\n</head>\n")
	if r.loc == time.UTC {
		r.put("<body>\n")
	} else {
		r.put("<body data-zoned=\"1\">\n")
	}
	r.put("<script type=\"application/json\" id=\"hit-data\">[")
}

func (r *Writer) put(s string) {
	if r.err == nil {
		_, r.err = r.w.WriteString(s)
	}
}

// WriteHit implements output.Writer: it appends the hit's row to the file.
//
// A row is a JSON array: [ms|null, zone offset in minutes, rule, computer
// (-1: none), event id|null, [new strings], channel, source path, source
// spot, [details: name, value, ...], [matched: search, field, value, ...],
// [fields: name, value, ...], fields not shown, suppressed by, engines].
// Strings repeat from hit to hit (field names, images, users, hashes), so
// each is written once: a row first lists the strings it brings to the
// string table, then refers to them by index (a number); a string not kept
// in the table (long, or the table is full) is written in place.
func (r *Writer) WriteHit(h *hunt.Hit) error {
	r.start()
	ri := r.rule(h.Rule)
	ci := -1
	ev := h.Event
	if ev != nil {
		ci = r.computer(ev.Computer)
	} else {
		for _, c := range h.Row {
			if strings.EqualFold(c.Name, "Computer") || strings.EqualFold(c.Name, "DeviceName") {
				ci = r.computer(c.Value)
				break
			}
		}
	}
	ms := int64(noTime)
	offset := 0
	if !h.Time.IsZero() {
		ms = h.Time.UnixMilli()
		_, off := h.Time.In(r.loc).Zone()
		offset = off / 60
	}
	r.times = append(r.times, ms)
	r.levels = append(r.levels, uint8(output.LevelRank(h.Rule.Level)))
	r.tally.Add(h.Rule)

	// The references first, collecting the new strings they bring.
	r.fresh = r.fresh[:0]
	refs := r.refs[:0]
	channel, path, spot := "", "", ""
	if ev != nil {
		channel, path = ev.Channel, ev.Source.Path
		if full := ev.Source.String(); len(full) > len(path) {
			spot = full[len(path):]
		}
	}
	refs = r.ref(refs, channel)
	refs = append(refs, ',')
	refs = r.ref(refs, path)
	refs = append(refs, ',')
	refs = appendString(refs, spot)
	refs = append(refs, ",["...)
	for i, d := range output.Details(h) {
		if i > 0 {
			refs = append(refs, ',')
		}
		name, value, _ := strings.Cut(d, ": ")
		refs = r.ref(refs, name)
		refs = append(refs, ',')
		refs = r.ref(refs, cut(value))
	}
	refs = append(refs, "],["...)
	for i, m := range h.Matched {
		if i > 0 {
			refs = append(refs, ',')
		}
		refs = r.ref(refs, m.Search)
		refs = append(refs, ',')
		refs = r.ref(refs, m.Field)
		refs = append(refs, ',')
		refs = r.ref(refs, cut(m.Value))
	}
	refs = append(refs, "],["...)
	n, total := 0, len(h.Row)
	field := func(name, value string) {
		if n == MaxFields {
			return
		}
		if n > 0 {
			refs = append(refs, ',')
		}
		n++
		refs = r.ref(refs, name)
		refs = append(refs, ',')
		refs = r.ref(refs, cut(value))
	}
	if ev != nil {
		total += len(ev.Fields)
		for _, f := range ev.Fields {
			field(f.Name, f.Value)
		}
	}
	for _, c := range h.Row {
		field("row: "+c.Name, c.Value)
	}
	refs = append(refs, "],"...)
	refs = strconv.AppendInt(refs, int64(total-n), 10)
	refs = append(refs, ',')
	refs = r.ref(refs, h.Suppressed)
	refs = append(refs, ',')
	refs = r.ref(refs, strings.Join(h.EngineList(), ","))
	r.refs = refs

	b := r.row[:0]
	if r.hits > 0 {
		b = append(b, ",\n"...)
	}
	b = append(b, '[')
	if ms == noTime {
		b = append(b, "null"...)
	} else {
		b = strconv.AppendInt(b, ms, 10)
	}
	b = append(b, ',')
	b = strconv.AppendInt(b, int64(offset), 10)
	b = append(b, ',')
	b = strconv.AppendInt(b, int64(ri), 10)
	b = append(b, ',')
	b = strconv.AppendInt(b, int64(ci), 10)
	b = append(b, ',')
	if ev != nil && (ev.EventID != 0 || ev.Source.Path != "") {
		b = strconv.AppendUint(b, uint64(ev.EventID), 10)
	} else {
		b = append(b, "null"...)
	}
	b = append(b, ",["...)
	for i, s := range r.fresh {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, s)
	}
	b = append(b, "],"...)
	b = append(b, refs...)
	b = append(b, ']')
	r.row = b
	if r.err == nil {
		_, r.err = r.w.Write(b)
	}
	r.hits++
	return r.err
}

// Bounds of the string table: strings longer than maxShared bytes are
// written in place (they seldom repeat), and once the table holds
// maxTable bytes, new strings are too; so the Writer's memory is bounded
// whatever the run's size.
const (
	maxShared = 1024
	maxTable  = 32 << 20
)

// ref appends a reference to s: its index in the string table, adding it
// (and listing it in r.fresh) when new, or s itself.
func (r *Writer) ref(b []byte, s string) []byte {
	if i, ok := r.strIndex[s]; ok {
		return strconv.AppendInt(b, int64(i), 10)
	}
	if len(s) > maxShared || r.strBytes+len(s) > maxTable {
		return appendString(b, s)
	}
	s = strings.Clone(s)
	i := len(r.strIndex)
	r.strIndex[s] = i
	r.strBytes += len(s) + 16
	r.fresh = append(r.fresh, s)
	return strconv.AppendInt(b, int64(i), 10)
}

// rule returns the index of h's rule in the rule table.
func (r *Writer) rule(rule *hunt.Rule) int {
	k := ruleKey(rule.ID, rule.Title, rule.Engine)
	if i, ok := r.ruleIndex[k]; ok {
		r.rules[i].Hits++
		return i
	}
	_, techs := attack.ParseTags(rule.Tags)
	r.ruleIndex[k] = len(r.rules)
	r.rules = append(r.rules, &ruleInfo{Title: rule.Title, ID: rule.ID, Level: rule.Level, Engine: rule.Engine,
		Path: rule.Path, Description: cut(rule.Description), Tags: rule.Tags, Techniques: techs, Hits: 1})
	return len(r.rules) - 1
}

func ruleKey(id, title, engine string) string { return id + "\x00" + title + "\x00" + engine }

func (r *Writer) computer(name string) int {
	if i, ok := r.compIndex[name]; ok {
		return i
	}
	r.compIndex[name] = len(r.computers)
	r.computers = append(r.computers, name)
	return len(r.computers) - 1
}

// timeText is a hit's time as the table shows it: to the millisecond, with
// the offset outside UTC.
func (r *Writer) timeText(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	if r.loc == time.UTC {
		return t.UTC().Format("2006-01-02 15:04:05.000")
	}
	return t.In(r.loc).Format("2006-01-02 15:04:05.000 -07:00")
}

// cut bounds a value at MaxValue bytes, on a rune boundary.
func cut(s string) string {
	if len(s) <= MaxValue {
		return s
	}
	n := MaxValue
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + fmt.Sprintf("… (%d more bytes)", len(s)-n)
}

// appendString appends s as a JSON string with <, > and & escaped (and
// U+2028, U+2029), as encoding/json does: nothing in it can close the
// script element it is in. Invalid UTF-8 becomes U+FFFD.
func appendString(b []byte, s string) []byte {
	q, _ := json.Marshal(s) // a string always marshals
	return append(b, q...)
}

// Close implements output.Writer: it closes the hit data and writes the
// summary, the chart, the ATT&CK view, the table's frame, the rule data
// and the page's script, then flushes. s may be nil.
func (r *Writer) Close(s *output.Summary) error {
	r.start()
	r.put("]</script>\n")
	r.put(r.body(s))
	r.put(`<script type="application/json" id="rule-data">`)
	rules, _ := json.Marshal(r.rules) // escapes <, > and &
	if r.rules == nil {
		rules = []byte("[]")
	}
	r.put(string(rules))
	r.put("</script>\n<script type=\"application/json\" id=\"computer-data\">")
	comps, _ := json.Marshal(r.computers)
	if r.computers == nil {
		comps = []byte("[]")
	}
	r.put(string(comps))
	r.put("</script>\n<script>\n")
	r.put(script)
	r.put("</script>\n</body>\n</html>\n")
	if r.err != nil {
		return r.err
	}
	return r.w.Flush()
}

// esc escapes text for HTML.
func esc(s string) string { return html.EscapeString(s) }

// levelNames are the level ranks' names (output.LevelRank), and the last
// for any other spelling.
var levelNames = []string{"critical", "high", "medium", "low", "informational", "other"}

// body is the visible page: header, summary, chart, ATT&CK view and the
// hit table's frame (its rows are the script's).
func (r *Writer) body(s *output.Summary) string {
	var b strings.Builder
	b.WriteString("<header><h1>loghunt report</h1><p class=\"meta\">")
	var meta []string
	if r.opts.Version != "" {
		meta = append(meta, "loghunt "+esc(r.opts.Version))
	}
	if !r.opts.Generated.IsZero() {
		meta = append(meta, "written "+esc(r.opts.Generated.In(r.loc).Format("2006-01-02 15:04:05 -07:00")))
	}
	meta = append(meta, "times in "+esc(output.ZoneName(r.loc)))
	b.WriteString(strings.Join(meta, " · "))
	b.WriteString("</p></header>\n<main>\n")
	r.summary(&b, s)
	r.chart(&b)
	r.attackView(&b)
	r.breakdown(&b, s)
	r.tableFrame(&b)
	b.WriteString("</main>\n")
	return b.String()
}

// timeRange is the first and last hit time, or ok false.
func (r *Writer) timeRange() (first, last int64, ok bool) {
	first, last = math.MaxInt64, math.MinInt64
	for _, t := range r.times {
		if t == noTime {
			continue
		}
		first, last, ok = min(first, t), max(last, t), true
	}
	return first, last, ok
}

func (r *Writer) msText(ms int64) string {
	return r.timeText(time.UnixMilli(ms))
}

func (r *Writer) summary(b *strings.Builder, s *output.Summary) {
	b.WriteString("<section id=\"summary\"><h2>Summary</h2>\n")
	if s != nil && s.Interrupted {
		fmt.Fprintf(b, "<p class=\"warn\">INTERRUPTED: the run was stopped; %d of %d files were not read to their end; the hits are those found so far.</p>\n", s.UnfinishedFiles(), s.Files)
	}
	b.WriteString("<dl class=\"cards\">")
	card := func(name, value string) {
		fmt.Fprintf(b, "<div><dt>%s</dt><dd>%s</dd></div>", esc(name), esc(value))
	}
	if s != nil {
		card("files read", fmt.Sprintf("%d (%d unreadable, %d inputs skipped)", s.Files, s.FileErrors, len(s.Skipped)))
		card("records parsed", fmt.Sprintf("%d (%d failed, %d recovered)", s.Totals.Records, s.Totals.Failed, s.Totals.Recovered))
		total := 0
		var parts []string
		for _, k := range slices.Sorted(maps.Keys(s.RulesLoaded)) {
			total += s.RulesLoaded[k]
			parts = append(parts, fmt.Sprintf("%s %d", k, s.RulesLoaded[k]))
		}
		card("rules loaded", fmt.Sprintf("%d (%s)", total, strings.Join(parts, ", ")))
		card("rules not loaded", strconv.Itoa(len(s.RulesOff)))
		if s.Deselected > 0 {
			card("rules deselected", strconv.Itoa(s.Deselected))
		}
	}
	card("hits", strconv.Itoa(r.hits))
	if first, last, ok := r.timeRange(); ok {
		card("first hit", r.msText(first))
		card("last hit", r.msText(last))
	}
	b.WriteString("</dl>\n")

	// Hits per level, rule and computer: from the summary when there is
	// one (it counts what the run counted), else from the hits.
	perLevel := map[string]int{}
	if s != nil {
		perLevel = s.HitsPerLevel
	} else {
		for _, ru := range r.rules {
			perLevel[ru.Level] += ru.Hits
		}
	}
	if len(perLevel) > 0 {
		b.WriteString("<div class=\"cols\"><div><h3>Hits per level</h3><table class=\"small\" id=\"levels\"><tbody>")
		lv := slices.SortedFunc(maps.Keys(perLevel), func(a, c string) int {
			return cmp.Or(cmp.Compare(output.LevelRank(a), output.LevelRank(c)), strings.Compare(a, c))
		})
		for _, l := range lv {
			if perLevel[l] == 0 {
				continue
			}
			name := l
			if name == "" {
				name = "(no level)"
			}
			fmt.Fprintf(b, "<tr><td><span class=\"lv lv-%s\">%s</span></td><td class=\"num\">%d</td></tr>", levelNames[output.LevelRank(l)], esc(name), perLevel[l])
		}
		b.WriteString("</tbody></table></div></div>\n")
	}
	b.WriteString("</section>\n")
}

// breakdown lists the rules with hits (each filters the table to its hits)
// and the hits per computer, in boxes that scroll, then the inputs and what
// was left out.
func (r *Writer) breakdown(b *strings.Builder, s *output.Summary) {
	b.WriteString("<section id=\"breakdown\"><h2>Rules and computers</h2>\n<div class=\"cols\">")
	b.WriteString("<div class=\"grow\"><h3>Rules with hits</h3><p class=\"hint\">Click a rule to show its hits in the table.</p><div class=\"scroll\"><table class=\"small\" id=\"rules\"><thead><tr><th>level</th><th>hits</th><th>rule</th><th>engine</th><th>id</th></tr></thead><tbody>")
	for _, rc := range r.ruleCounts(s) {
		ri, ok := r.ruleIndex[ruleKey(rc.ID, rc.Title, rc.Engine)]
		attr := ""
		if ok {
			attr = fmt.Sprintf(" data-rule=\"%d\" class=\"pick\"", ri)
		}
		level := rc.Level
		if level == "" {
			level = "(no level)"
		}
		fmt.Fprintf(b, "<tr%s><td><span class=\"lv lv-%s\">%s</span></td><td class=\"num\">%d</td><td>%s</td><td>%s</td><td class=\"id\">%s</td></tr>",
			attr, levelNames[output.LevelRank(rc.Level)], esc(level), rc.Hits, esc(rc.Title), esc(rc.Engine), esc(rc.ID))
	}
	b.WriteString("</tbody></table></div></div>\n")
	b.WriteString("<div><h3>Hits per computer</h3><p class=\"hint\">Names that differ only in case are one computer.</p><div class=\"scroll\"><table class=\"small\" id=\"computers\"><tbody>")
	if s != nil {
		for _, c := range s.HitsPerComputer {
			name := c.Computer
			if name == "" {
				name = "(no computer)"
			}
			fmt.Fprintf(b, "<tr><td>%s</td><td class=\"num\">%d</td></tr>", esc(name), c.Hits)
		}
	}
	b.WriteString("</tbody></table></div></div></div>\n")
	if s != nil {
		r.inputs(b, s)
	}
	b.WriteString("</section>\n")
}

// ruleCounts are the summary's rules with hits, or the hits' own.
func (r *Writer) ruleCounts(s *output.Summary) []output.RuleCount {
	if s != nil && len(s.HitsPerRule) > 0 {
		return s.HitsPerRule
	}
	var out []output.RuleCount
	for _, ru := range r.rules {
		out = append(out, output.RuleCount{ID: ru.ID, Title: ru.Title, Engine: ru.Engine, Level: ru.Level, Hits: ru.Hits})
	}
	slices.SortFunc(out, func(a, c output.RuleCount) int {
		return cmp.Or(cmp.Compare(output.LevelRank(a.Level), output.LevelRank(c.Level)), cmp.Compare(c.Hits, a.Hits), strings.Compare(a.Title, c.Title))
	})
	return out
}

// inputs lists every input and rule left out with its reason, then the
// files read.
func (r *Writer) inputs(b *strings.Builder, s *output.Summary) {
	b.WriteString("<details id=\"inputs\"><summary>Inputs, and what was left out</summary>\n")
	if len(s.Skipped)+len(s.RulesOff) > 0 || s.FileErrors > 0 {
		b.WriteString("<h3>Left out</h3><ul class=\"left-out\">")
		for _, f := range s.PerFile {
			if f.Error != "" {
				fmt.Fprintf(b, "<li>unreadable: %s: %s</li>", esc(f.Path), esc(f.Error))
			}
		}
		for _, sk := range s.Skipped {
			fmt.Fprintf(b, "<li>skipped input: %s: %s</li>", esc(sk.Path), esc(sk.Why()))
		}
		for _, ro := range s.RulesOff {
			pos := ro.Path
			if ro.Line > 0 {
				pos = fmt.Sprintf("%s:%d", pos, ro.Line)
			}
			fmt.Fprintf(b, "<li>rule not loaded: %s: %s</li>", esc(pos), esc(ro.Why()))
		}
		b.WriteString("</ul>\n")
	}
	for _, n := range s.Notes {
		fmt.Fprintf(b, "<p class=\"note\">note: %s</p>", esc(n))
	}
	for _, n := range s.Warnings {
		fmt.Fprintf(b, "<p class=\"note\">warning: %s</p>", esc(n))
	}
	b.WriteString("<h3>Files read</h3><table class=\"small\"><thead><tr><th>file</th><th>kind</th><th>bytes</th><th>records</th><th>recovered</th><th>failed</th><th>bad chunks</th></tr></thead><tbody>")
	for _, f := range s.PerFile {
		mark := ""
		if f.Unfinished {
			mark = " (not read to the end)"
		}
		fmt.Fprintf(b, "<tr><td>%s%s</td><td>%s</td><td class=\"num\">%d</td><td class=\"num\">%d</td><td class=\"num\">%d</td><td class=\"num\">%d</td><td class=\"num\">%d</td></tr>",
			esc(f.Path), mark, esc(f.Kind), f.Size, f.Records, f.Recovered, f.Failed, f.BadChunks)
	}
	b.WriteString("</tbody></table></details>\n")
}

// tableFrame is the hit table's controls and empty body; the script fills
// it a page at a time.
func (r *Writer) tableFrame(b *strings.Builder) {
	b.WriteString(`<section id="hits"><h2>Hits</h2>
<div class="controls">
<input type="search" id="q" placeholder="Filter: words in any column (rule, computer, details, source...)" aria-label="filter">
<select id="f-level" aria-label="level"><option value="">all levels</option>`)
	for _, l := range levelNames[:5] {
		fmt.Fprintf(b, "<option value=\"%s\">%s</option>", l, l)
	}
	b.WriteString(`</select>
<select id="f-rule" aria-label="rule"><option value="">all rules</option></select>
<select id="f-computer" aria-label="computer"><option value="">all computers</option></select>
<button id="clear" type="button">clear</button>
</div>
<p id="status" class="hint">This table needs JavaScript.</p>
<table id="hit-table"><thead><tr>
<th data-key="time">time</th><th data-key="level">level</th><th data-key="rule">rule</th><th data-key="computer">computer</th><th data-key="event">event</th><th data-key="channel">channel</th><th data-key="details">details</th>
</tr></thead><tbody></tbody></table>
<div class="pager"><button id="prev" type="button">&lt; previous</button> <span id="page"></span> <button id="next" type="button">next &gt;</button>
<select id="page-size" aria-label="rows per page"><option>50</option><option selected>100</option><option>250</option><option>1000</option></select></div>
</section>
`)
}
