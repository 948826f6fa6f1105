package kql

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sync/atomic"
	"time"

	"github.com/loghunt/loghunt/hunt/kql/value"
)

// Memory is the memory budget a query draws on while its operators
// materialise rows. The evaluator reserves with Grow as tables, hash
// indexes and groups grow, and gives back with Shrink what it no longer
// holds; everything still reserved is given back when Run returns. A
// budget shared by several queries (or by the rest of a hunt) must be safe
// for concurrent use.
type Memory interface {
	// Grow reserves n more bytes. It reports false, reserving nothing,
	// when the budget cannot hold them.
	Grow(n int64) bool
	// Shrink gives back n bytes reserved with Grow.
	Shrink(n int64)
	// Limit is the size of the budget in bytes, for the error message.
	Limit() int64
}

// MemoryLimit is a Memory of a fixed number of bytes. It is safe for
// concurrent use.
type MemoryLimit struct {
	limit int64
	used  atomic.Int64
	peak  atomic.Int64
}

// NewMemoryLimit returns a budget of n bytes; n <= 0 means no limit.
func NewMemoryLimit(n int64) *MemoryLimit { return &MemoryLimit{limit: n} }

// Grow implements Memory.
func (m *MemoryLimit) Grow(n int64) bool {
	u := m.used.Add(n)
	if m.limit > 0 && u > m.limit {
		m.used.Add(-n)
		return false
	}
	for {
		p := m.peak.Load()
		if u <= p || m.peak.CompareAndSwap(p, u) {
			break
		}
	}
	return true
}

// Shrink implements Memory.
func (m *MemoryLimit) Shrink(n int64) { m.used.Add(-n) }

// Limit implements Memory.
func (m *MemoryLimit) Limit() int64 { return m.limit }

// Used returns the bytes reserved now; Peak the most ever reserved.
func (m *MemoryLimit) Used() int64 { return m.used.Load() }

// Peak returns the most bytes ever reserved at once.
func (m *MemoryLimit) Peak() int64 { return m.peak.Load() }

// ErrMemoryBudget is wrapped by the *BudgetError of a query that needed
// more memory than its budget (Options.Memory).
var ErrMemoryBudget = errors.New("memory budget exceeded")

// ErrTimeBudget is wrapped by the *BudgetError of a query that ran longer
// than Options.Timeout.
var ErrTimeBudget = errors.New("time budget exceeded")

// BudgetError stops a query that exceeded its memory or time budget. It
// names the operator that was running and its position in the query, and
// says what to change.
type BudgetError struct {
	Op        string // "join", "summarize", "mv-expand", ...
	Line, Col int
	// Limit is the memory budget in bytes (Err is ErrMemoryBudget), or
	// Timeout the time budget (Err is ErrTimeBudget).
	Limit   int64
	Timeout time.Duration
	Err     error
}

func (e *BudgetError) Error() string {
	if errors.Is(e.Err, ErrTimeBudget) {
		return fmt.Sprintf("%s at %d:%d exceeded the time budget of %s; %s or raise --kql-timeout", e.Op, e.Line, e.Col, e.Timeout, hintFor(e.Op))
	}
	return fmt.Sprintf("%s at %d:%d exceeded %s; %s or raise --max-memory", e.Op, e.Line, e.Col, formatBytes(e.Limit), hintFor(e.Op))
}

func (e *BudgetError) Unwrap() error { return e.Err }

func hintFor(op string) string {
	switch op {
	case "join", "lookup":
		return "narrow the join keys"
	case "summarize", "make-series", "top-nested", "distinct", "evaluate pivot":
		return "group by fewer distinct values"
	case "mv-expand", "mv-apply":
		return "expand fewer values (mv-expand limit N)"
	}
	return "filter rows earlier in the query"
}

// formatBytes prints a budget as people set it: 512 MiB, 1.5 GiB, 300 KiB.
func formatBytes(n int64) string {
	const (
		kib = 1 << 10
		mib = 1 << 20
		gib = 1 << 30
	)
	round := func(x float64) float64 { return math.Round(x*10) / 10 }
	switch {
	case n >= gib:
		return fmt.Sprintf("%g GiB", round(float64(n)/gib))
	case n >= mib:
		return fmt.Sprintf("%g MiB", round(float64(n)/mib))
	case n >= kib:
		return fmt.Sprintf("%g KiB", round(float64(n)/kib))
	}
	return fmt.Sprintf("%d bytes", n)
}

// errTimeout is the cause of the context Run derives for Options.Timeout,
// told apart from the caller's own deadline.
var errTimeout = errors.New("kql: query timeout")

// opRef is the operator running, for budget errors.
type opRef struct {
	name string
	p    Pos
}

// Estimated sizes, in bytes, of what operators allocate: a row is a slice
// header in the table's row list (counted twice: the list doubles as it
// grows, the old array alive while it is copied) plus its backing array of
// cells (two words each), rounded up to the allocator's size class; strings and other payloads a
// new row shares with its input are not counted again. An entry of a hash
// index or a group holds its key and a few words of map overhead.
const (
	rowOverhead   = 2 * 24 // the row's slice header, twice while the row list grows
	cellSize      = 16
	entryOverhead = 64
	flushBytes    = 64 << 10
)

func rowBytes(width int) int64 { return rowOverhead + allocSize(cellSize*int64(width)) }

// allocSize rounds an allocation up roughly as Go's size classes do (they
// are at most an eighth of a power of two apart).
func allocSize(n int64) int64 {
	if n <= 16 {
		return 16
	}
	step := int64(16)
	for p := int64(128); p < n; p <<= 1 {
		step = p / 8
	}
	return (n + step - 1) / step * step
}

// grow accounts n more bytes to the operator running; it fails the query
// with a *BudgetError when the budget cannot hold them.
func (r *run) grow(n int64) {
	r.live += n
	if r.mem == nil {
		return
	}
	r.unreserved += n
	if r.unreserved < flushBytes {
		return
	}
	r.flush()
}

func (r *run) flush() {
	if r.unreserved <= 0 {
		return
	}
	if !r.mem.Grow(r.unreserved) {
		panic(bailout{&BudgetError{Op: r.cur.name, Line: r.cur.p.Line, Col: r.cur.p.Col, Limit: r.mem.Limit(), Err: ErrMemoryBudget}})
	}
	r.reserved += r.unreserved
	r.unreserved = 0
}

// shrink gives back n bytes accounted with grow.
func (r *run) shrink(n int64) {
	if n <= 0 {
		return
	}
	r.live -= n
	if r.mem == nil {
		return
	}
	if n <= r.unreserved {
		r.unreserved -= n
		return
	}
	n -= r.unreserved
	r.unreserved = 0
	if n > r.reserved {
		n = r.reserved
	}
	r.reserved -= n
	r.mem.Shrink(n)
}

// releaseAll gives back everything the run still holds.
func (r *run) releaseAll() {
	if r.mem != nil && r.reserved > 0 {
		r.mem.Shrink(r.reserved)
	}
	r.reserved, r.unreserved, r.live = 0, 0, 0
}

// tick is called once per row by every operator loop: every 1024 rows it
// checks for cancellation and for the time budget, and moves the memory
// accounted so far into the budget.
func (r *run) tick(p Pos) {
	r.ticks++
	if r.ticks&0x3ff != 0 {
		return
	}
	r.checkCtx(p)
	r.flush()
}

// checkCtx fails the query when its context is done: with a *BudgetError
// for the time budget, or ctx.Err() wrapped in an *Error.
func (r *run) checkCtx(p Pos) {
	err := r.ctx.Err()
	if err == nil {
		return
	}
	if context.Cause(r.ctx) == errTimeout {
		cur := r.cur
		if cur.name == "" {
			cur = opRef{"query", p}
		}
		panic(bailout{&BudgetError{Op: cur.name, Line: cur.p.Line, Col: cur.p.Col, Timeout: r.opts.Timeout, Err: ErrTimeBudget}})
	}
	failWrap(p, err, "canceled")
}

// enter makes op the operator named in budget errors until the returned
// function restores the previous one.
func (r *run) enter(name string, p Pos) func() {
	prev := r.cur
	r.cur = opRef{name, p}
	return func() { r.cur = prev }
}

// settle moves the memory accounting from an operator's input to its
// output once the operator is done: the input is garbage unless a let
// binding holds it, except for the rows the output shares with it.
func (r *run) settle(op TabOp, in, out *value.Table, made int64) {
	r.charge[out] += made
	if in == nil || in == out {
		return
	}
	c, ok := r.charge[in]
	if !ok || r.pinned[in] {
		return
	}
	delete(r.charge, in)
	if sharesRows(op) && len(in.Rows) > 0 {
		keep := c * int64(len(out.Rows)) / int64(len(in.Rows))
		r.charge[out] += keep
		c -= keep
	}
	r.shrink(c)
}

// sharesRows reports whether an operator's output holds the very rows of
// its input (not copies).
func sharesRows(op TabOp) bool {
	switch o := op.(type) {
	case *WhereOp, *TakeOp, *TopOp, *SampleOp, *SortOp, *RenameOp, *AsOp, *IgnoredOp:
		return true
	case *JoinOp:
		switch o.Kind {
		case "leftsemi", "leftanti", "anti", "leftantisemi", "semi":
			return true
		}
	}
	return false
}

// opName is how budget errors name an operator.
func opName(op TabOp) string {
	switch o := op.(type) {
	case *WhereOp:
		return "where"
	case *ProjectOp:
		return o.Kind
	case *NamesOp:
		return o.Kind
	case *RenameOp:
		return "project-rename"
	case *SummarizeOp:
		return "summarize"
	case *TopOp:
		return "top"
	case *TakeOp:
		return "take"
	case *SampleOp:
		return "sample"
	case *SortOp:
		return "sort"
	case *DistinctOp:
		return "distinct"
	case *CountOp:
		return "count"
	case *UnionOp:
		return "union"
	case *JoinOp:
		if o.Lookup {
			return "lookup"
		}
		return "join"
	case *MvExpandOp:
		return "mv-expand"
	case *MvApplyOp:
		return "mv-apply"
	case *ParseOp:
		return "parse"
	case *EvaluateOp:
		return "evaluate " + o.Call.Name
	case *InvokeOp:
		return "invoke"
	case *MakeSeriesOp:
		return "make-series"
	case *TopNestedOp:
		return "top-nested"
	case *FindOp:
		return "find"
	case *RangeOp:
		return "range"
	case *DatatableOp:
		return "datatable"
	case *PrintOp:
		return "print"
	case *GetSchemaOp:
		return "getschema"
	}
	return "operator"
}

// isBudgetOrCancel reports whether err must stop the whole query even where
// the language forgives failures (union isfuzzy).
func isBudgetOrCancel(err error) bool {
	return errors.Is(err, ErrMemoryBudget) || errors.Is(err, ErrTimeBudget) ||
		errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}
