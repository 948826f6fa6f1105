// Package kqlhunt adapts KQL rules to the hunt engine: an Engine is a
// hunt.Observer that builds the emulated tables its queries read, and a
// hunt.Finisher that runs the queries once every event has been seen.
//
// kqlhunt imports hunt, hunt/rules and hunt/kql/...; hunt/kql knows nothing
// of the engine.
package kqlhunt

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/loghunt/loghunt/hunt"
	"github.com/loghunt/loghunt/hunt/kql"
	"github.com/loghunt/loghunt/hunt/kql/schema"
	"github.com/loghunt/loghunt/hunt/kql/value"
	"github.com/loghunt/loghunt/hunt/rules"
	"github.com/loghunt/loghunt/parsers"
	"github.com/loghunt/loghunt/parsers/winevent"
)

// kqlRule is one parsed KQL rule.
type kqlRule struct {
	def   *rules.KQL
	query *kql.Query
	rule  *hunt.Rule
}

// Options configure an Engine. The zero value makes now() the newest event
// timestamp in the input, gives each query DefaultMaxMemory and
// DefaultTimeout, and pushes the queries' filters into the tables.
type Options struct {
	// Now pins KQL's now() when not zero.
	Now time.Time
	// Wallclock makes now() the real clock (Now is then ignored).
	Wallclock bool
	// Memory is the budget the queries draw on (shared with the rest of
	// the run); nil means a budget of MaxMemory for the queries alone.
	Memory kql.Memory
	// MaxMemory is the queries' budget when Memory is nil: zero means
	// DefaultMaxMemory, a negative value no limit.
	MaxMemory int64
	// Timeout bounds each query's run time: zero means DefaultTimeout, a
	// negative value no limit.
	Timeout time.Duration
	// NoPushdown stores every row and column of the tables the queries
	// name, instead of only those their leading where clauses and their
	// columns can read (for tests and measurements: results are the
	// same).
	NoPushdown bool
}

// DefaultMaxMemory and DefaultTimeout are the budgets of a query when
// Options leave them zero.
const (
	DefaultMaxMemory = 512 << 20
	DefaultTimeout   = 5 * time.Minute
)

// Engine runs KQL rules: as an Observer it builds the emulated tables the
// queries reference (one schema.Builder per worker); as a Finisher it merges
// them and runs every query.
type Engine struct {
	rules  []*kqlRule
	tables []string
	now    Options
	// push is what the queries can read of each table (nil: everything)
	push map[string]schema.Pushdown
	// failed are the rules whose query stopped at run time
	failed []hunt.Skipped

	mu       sync.Mutex
	workers  []*kqlWorker
	notes    []string
	warnings []string
	// results keeps each rule's full result table, for loghunt kql.
	results map[*rules.KQL]*value.Table
}

type kqlWorker struct {
	b      *schema.Builder
	newest time.Time
}

// New parses the rules; those that do not parse are returned as failed,
// with the line and column of the error.
func New(defs []*rules.KQL, opts Options) (*Engine, []hunt.Skipped) {
	e := &Engine{now: opts, results: map[*rules.KQL]*value.Table{}}
	var failed []hunt.Skipped
	seen := map[string]bool{}
	add := func(t string) {
		if !seen[t] {
			seen[t] = true
			e.tables = append(e.tables, t)
		}
	}
	for _, d := range defs {
		q, err := Parse(d)
		if err != nil {
			failed = append(failed, *err)
			continue
		}
		e.rules = append(e.rules, &kqlRule{def: d, query: q, rule: d.Rule()})
		for _, t := range q.Tables(schema.SentinelNaming{}) {
			add(t)
		}
		if q.ReadsEveryTable() {
			// A find without in(...) searches every table the events
			// fill (schema.Catalog.TableNames): build them all, under
			// the same limits as any table a query names.
			for _, t := range schema.Default().DerivedTables() {
				add(t)
			}
			e.notes = append(e.notes, fmt.Sprintf("%s (%s) reads every table (find without in): every table derived from the events is built", d.Name, d.Path))
		}
	}
	if !opts.NoPushdown {
		e.push = pushdown(e.rules)
	}
	return e, failed
}

// Parse parses a rule's query. A syntax error is returned as a Skipped at
// its line and column in the rule's file, whose Err is the *kql.SyntaxError
// with those positions.
func Parse(d *rules.KQL) (*kql.Query, *hunt.Skipped) {
	q, err := kql.Parse(d.Query)
	if err == nil {
		return q, nil
	}
	sk := &hunt.Skipped{Path: d.Path, Line: d.Line, Column: d.Column, RuleID: d.ID, Reason: fmt.Sprintf("query does not parse: %v", err), Err: err}
	var se *kql.SyntaxError
	if errors.As(err, &se) {
		at := *se
		at.Line, at.Col = d.FilePos(se.Line, se.Col)
		sk.Line, sk.Column, sk.Reason, sk.Err = at.Line, at.Col, "query does not parse: "+se.Msg, &at
	}
	return q, sk
}

// Rules returns the rules that parsed, in the order given.
func (e *Engine) Rules() []*rules.KQL {
	out := make([]*rules.KQL, len(e.rules))
	for i, r := range e.rules {
		out[i] = r.def
	}
	return out
}

// Result returns the full result table of a rule after Finish, or nil when
// the rule did not run to completion.
func (e *Engine) Result(d *rules.KQL) *value.Table { return e.results[d] }

// Failed lists, after Finish, the rules whose query stopped at run time
// (a budget exceeded, an unsupported operator, ...), at the position of
// the failing operator in the rule's file.
func (e *Engine) Failed() []hunt.Skipped { return e.failed }

// runFailure reports a query that stopped at run time, with the failing
// part's position moved from the query into the rule's file.
func (e *Engine) runFailure(r *kqlRule, err error) hunt.Skipped {
	sk := hunt.Skipped{Path: r.def.Path, Line: r.def.Line, Column: r.def.Column, RuleID: r.def.ID, Err: err}
	var be *kql.BudgetError
	var ke *kql.Error
	switch {
	case errors.As(err, &be):
		at := *be
		at.Line, at.Col = r.def.FilePos(be.Line, be.Col)
		sk.Line, sk.Column, sk.Err = at.Line, at.Col, &at
	case errors.As(err, &ke):
		at := *ke
		at.Line, at.Col = r.def.FilePos(ke.Line, ke.Col)
		sk.Line, sk.Column, sk.Err = at.Line, at.Col, &at
	}
	sk.Reason = "query stopped at run time: " + sk.Err.Error()
	return sk
}

// Notes says what Finish decided (what now() was); Warnings what went wrong
// in the queries and tables. Both are for the summary, after Finish.
func (e *Engine) Notes() []string    { return e.notes }
func (e *Engine) Warnings() []string { return e.warnings }

// Check reports the semantic problems of every rule's query (kql.Check)
// against the emulated tables' schema, without events: what "loghunt rules
// check" shows, such as a comparison that can never be true. Positions are
// in the rule files.
func (e *Engine) Check() []hunt.Skipped {
	cat := schema.Adapt[kql.Arg](schema.NewBuilder(schema.Options{Tables: e.tables}).Finish())
	var out []hunt.Skipped
	for _, r := range e.rules {
		for _, w := range kql.Check(r.query, cat) {
			line, col := r.def.FilePos(w.Line, w.Col)
			out = append(out, hunt.Skipped{Path: r.def.Path, Line: line, Column: col, RuleID: r.def.ID, Reason: w.Msg})
		}
	}
	return out
}

// Worker implements hunt.Observer.
func (e *Engine) Worker() func(*parsers.Event) {
	w := &kqlWorker{b: schema.NewBuilder(schema.Options{Tables: e.tables, Pushdown: e.push})}
	e.mu.Lock()
	e.workers = append(e.workers, w)
	e.mu.Unlock()
	return func(ev *parsers.Event) {
		w.b.Add(ev)
		if ev.Time.After(w.newest) {
			w.newest = ev.Time
		}
	}
}

// Finish implements hunt.Finisher: it runs every query over the tables and
// emits a hit per result row, query by query.
func (e *Engine) Finish(ctx context.Context, emit func(*hunt.Hit) error) error {
	var b *schema.Builder
	var newest time.Time
	for _, w := range e.workers {
		if b == nil {
			b = w.b
		} else {
			b.Merge(w.b)
		}
		if w.newest.After(newest) {
			newest = w.newest
		}
	}
	if b == nil {
		b = schema.NewBuilder(schema.Options{Tables: e.tables, Pushdown: e.push})
	}
	cat := schema.Adapt[kql.Arg](b.Finish())

	now := e.now.Now
	switch {
	case e.now.Wallclock:
		now = time.Now().UTC()
		e.notes = append(e.notes, fmt.Sprintf("KQL now() is the wall clock: %s", now.Format(time.RFC3339)))
	case now.IsZero() && !newest.IsZero():
		now = newest
		e.notes = append(e.notes, fmt.Sprintf("KQL now() is %s, the newest event in the input (ago(7d) means the 7 days before it); pin it with --now", now.Format(time.RFC3339Nano)))
	case now.IsZero():
		now = time.Now().UTC()
		e.notes = append(e.notes, "KQL now() is the wall clock: no event in the input had a timestamp")
	default:
		e.notes = append(e.notes, fmt.Sprintf("KQL now() is pinned by --now to %s", now.Format(time.RFC3339Nano)))
	}

	mem := e.now.Memory
	if mem == nil {
		limit := e.now.MaxMemory
		if limit == 0 {
			limit = DefaultMaxMemory
		}
		mem = kql.NewMemoryLimit(limit)
	}
	timeout := e.now.Timeout
	if timeout == 0 {
		timeout = DefaultTimeout
	}
	for _, r := range e.rules {
		for _, w := range kql.Check(r.query, cat) {
			e.warnings = append(e.warnings, fmt.Sprintf("%s (%s): %s", r.def.Name, r.def.Path, w))
		}
		t, warns, err := r.query.Run(ctx, cat, kql.Options{Now: now, Memory: mem, Timeout: timeout})
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			// the rule failed; the hunt goes on with the next one
			e.failed = append(e.failed, e.runFailure(r, err))
			continue
		}
		for _, w := range warns {
			e.warnings = append(e.warnings, fmt.Sprintf("%s (%s): %s", r.def.Name, r.def.Path, w))
		}
		e.results[r.def] = t
		for _, row := range t.Rows {
			h := rowHit(r.rule, t, row)
			// Rows the query passed through unchanged still know the
			// event they came from: point the hit at it.
			if o, ok := cat.Origin(row); ok {
				h.Event.Source, h.Event.RecordID, h.Event.EventID = o.Source, o.RecordID, o.EventID
			}
			if err := emit(h); err != nil {
				return err
			}
		}
	}
	for _, w := range cat.Warnings() {
		e.warnings = append(e.warnings, "KQL tables: "+w)
	}
	e.warnings = dedupe(e.warnings)
	return nil
}

func dedupe(s []string) []string {
	seen := map[string]bool{}
	out := s[:0]
	for _, x := range s {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	return out
}

// rowHit turns one result row into a hit. The hit's Event is synthesized
// from the row (time, computer, event and record ids when the row has
// them), so every output format shows KQL hits like Sigma ones.
func rowHit(r *hunt.Rule, t *value.Table, row []any) *hunt.Hit {
	ev := &parsers.Event{Source: parsers.Source{Offset: -1}}
	h := &hunt.Hit{Rule: r, Event: ev}
	for i, c := range t.Columns {
		if i >= len(row) {
			break
		}
		s := FormatCell(row[i])
		h.Row = append(h.Row, hunt.Cell{Name: c.Name, Value: s})
		ev.Fields = append(ev.Fields, parsers.Field{Name: c.Name, Value: s})
		switch winevent.CoreColumnOf(c.Name) {
		case winevent.CoreTime:
			if tm, ok := row[i].(time.Time); ok && ev.Time.IsZero() {
				ev.Time = tm
			}
		case winevent.CoreComputer:
			if ev.Computer == "" {
				ev.Computer = s
			}
		case winevent.CoreEventID:
			if n, err := strconv.ParseUint(s, 10, 32); err == nil && ev.EventID == 0 {
				ev.EventID = uint32(n)
			}
		case winevent.CoreRecordID:
			if n, err := strconv.ParseUint(s, 10, 64); err == nil && ev.RecordID == 0 {
				ev.RecordID = n
			}
		}
	}
	if ev.Time.IsZero() {
		for i, c := range t.Columns {
			if tm, ok := row[i].(time.Time); ok && c.Type == value.DateTime {
				ev.Time = tm
				break
			}
		}
	}
	h.Time = ev.Time
	return h
}

// FormatCell renders a KQL cell as text, as KQL's tostring() does.
func FormatCell(v any) string { return kql.FormatValue(v) }
