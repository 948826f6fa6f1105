package kql

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"sort"
	"strings"
	"time"

	"github.com/loghunt/loghunt/hunt/kql/value"
)

// Options configure one Run. The zero value is usable.
type Options struct {
	// Now is the value of now() for the whole query; ago(x) is Now - x.
	// Zero means the wall clock at the start of Run.
	Now time.Time
	// MaxRows bounds the rows of any intermediate or final table, so a
	// runaway join cannot exhaust memory. Zero means 50 million.
	MaxRows int
	// Strict makes a reference to an unknown column an error. By default
	// the column evaluates to null (and "" for string operators) and a
	// Warning is reported.
	Strict bool
	// Memory is the budget the query's operators draw on as they
	// materialise rows, hash indexes and groups (estimated: rows times
	// their width, see govern.go). A query that would exceed it stops
	// with a *BudgetError naming the operator. Nil means no budget (only
	// MaxRows bounds the tables).
	Memory Memory
	// Timeout bounds the query's run time; a query still running then
	// stops with a *BudgetError naming the operator. Zero means no limit.
	Timeout time.Duration
}

// Warning is a semantic problem that does not stop evaluation: an unknown
// table or column, a comparison that can never be true, an operator
// emulated offline. Line and Col locate it in the query text.
type Warning struct {
	Line, Col int
	Msg       string
}

func (w Warning) String() string { return fmt.Sprintf("%d:%d: %s", w.Line, w.Col, w.Msg) }

// Error is a failure to evaluate a query, with the position of the
// expression or operator responsible.
type Error struct {
	Line, Col int
	Msg       string
	Err       error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%d:%d: %s: %v", e.Line, e.Col, e.Msg, e.Err)
	}
	return fmt.Sprintf("%d:%d: %s", e.Line, e.Col, e.Msg)
}

func (e *Error) Unwrap() error { return e.Err }

// ErrUnknownTable is wrapped by the error for a table the Catalog does not
// have.
var ErrUnknownTable = errors.New("unknown table")

// ErrUnsupported is wrapped by errors for language features the evaluator
// does not implement.
var ErrUnsupported = errors.New("not supported")

// ErrTooManyRows is wrapped when a table exceeds Options.MaxRows.
var ErrTooManyRows = errors.New("too many rows")

type bailout struct{ err error }

func fail(p Pos, format string, a ...any) {
	panic(bailout{&Error{Line: p.Line, Col: p.Col, Msg: fmt.Sprintf(format, a...)}})
}

func failWrap(p Pos, err error, format string, a ...any) {
	panic(bailout{&Error{Line: p.Line, Col: p.Col, Msg: fmt.Sprintf(format, a...), Err: err}})
}

type run struct {
	ctx       context.Context
	cat       Catalog
	naming    Naming
	opts      Options
	now       time.Time
	maxRows   int
	dry       bool
	warns     []Warning
	seen      map[string]bool
	opaque    map[*value.Table]bool
	valueSets map[string][]string
	ticks     int

	// governance (govern.go): the memory accounted to live tables and
	// operators, what of it is reserved from the budget, the tables let
	// bindings hold, and the operator running.
	mem        Memory
	live       int64
	reserved   int64
	unreserved int64
	held       int64 // accounted to let bindings
	charge     map[*value.Table]int64
	pinned     map[*value.Table]bool
	cur        opRef
}

func (r *run) warn(p Pos, format string, a ...any) {
	w := Warning{Line: p.Line, Col: p.Col, Msg: fmt.Sprintf(format, a...)}
	k := w.String()
	if r.seen[k] {
		return
	}
	r.seen[k] = true
	r.warns = append(r.warns, w)
}

func (r *run) checkRows(p Pos, n int) {
	if n > r.maxRows {
		failWrap(p, ErrTooManyRows, "more than %d rows", r.maxRows)
	}
}

// scope maps let names to bindings; lookups walk to the parent.
type scope struct {
	parent *scope
	names  map[string]*binding
}

type binding struct {
	name string
	expr Expr
	env  *scope
	fn   *FuncDef
	// state after evaluation
	done       bool
	evaluating bool
	isTab      bool
	tab        *value.Table
	val        *cexpr
	// row is a function parameter bound to an expression of the caller.
	row *cexpr
}

func (s *scope) lookup(name string) *binding {
	for c := s; c != nil; c = c.parent {
		if b, ok := c.names[name]; ok {
			return b
		}
	}
	return nil
}

func (s *scope) child() *scope { return &scope{parent: s, names: map[string]*binding{}} }

// Run evaluates the query against cat and returns the result table and the
// semantic warnings met on the way. The error is an *Error carrying the
// position of the failing part, or ctx.Err() wrapped in one.
//
// With Options.Memory or Options.Timeout, a query that exceeds either stops
// with a *BudgetError (errors.Is ErrMemoryBudget or ErrTimeBudget). Every
// operator loop checks ctx, so cancelling it stops the query within a few
// thousand rows.
func (q *Query) Run(ctx context.Context, cat Catalog, opts Options) (*value.Table, []Warning, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	if opts.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeoutCause(ctx, opts.Timeout, errTimeout)
		defer cancel()
	}
	r := newRun(ctx, cat, opts)
	r.mem = opts.Memory
	defer r.releaseAll()
	t, err := r.query(q)
	return t, r.warns, err
}

func newRun(ctx context.Context, cat Catalog, opts Options) *run {
	if ctx == nil {
		ctx = context.Background()
	}
	r := &run{ctx: ctx, cat: cat, naming: namingOf(cat), opts: opts, seen: map[string]bool{}, opaque: map[*value.Table]bool{}, valueSets: map[string][]string{},
		charge: map[*value.Table]int64{}, pinned: map[*value.Table]bool{}}
	r.now = opts.Now.UTC()
	if opts.Now.IsZero() {
		r.now = time.Now().UTC()
	}
	r.maxRows = opts.MaxRows
	if r.maxRows <= 0 {
		r.maxRows = 50_000_000
	}
	return r
}

func (r *run) query(q *Query) (t *value.Table, err error) {
	defer func() {
		if rec := recover(); rec != nil {
			if b, ok := rec.(bailout); ok {
				t, err = nil, b.err
				return
			}
			t, err = nil, fmt.Errorf("kql: internal error: %v\n%s", rec, debug.Stack())
		}
	}()
	env := &scope{names: map[string]*binding{}}
	for _, l := range q.Lets {
		env = env.child()
		b := &binding{name: l.Name, expr: l.X, env: env.parent}
		if f, ok := l.X.(*FuncDef); ok {
			b.fn = f
		}
		env.names[l.Name] = b
	}
	out := r.table(q.Body, env)
	return out, nil
}

// isTabular decides whether an expression denotes a table.
func (r *run) isTabular(e Expr, env *scope) bool {
	switch x := e.(type) {
	case *Pipe, *Source:
		return true
	case *Ident:
		if b := env.lookup(x.Name); b != nil {
			if b.fn != nil {
				return false
			}
			if b.row != nil {
				return false
			}
			if b.done {
				return b.isTab
			}
			return r.isTabular(b.expr, b.env)
		}
		if _, ok := r.cat.Columns(x.Name); ok {
			return true
		}
		return false
	case *Call:
		if b := env.lookup(x.Name); b != nil && b.fn != nil {
			return r.isTabular(b.fn.Body.X, env)
		}
		switch x.Name {
		case "materialize", "view":
			return true
		case "table":
			return true
		}
		if _, ok := lookupBuiltin(x.Name); ok {
			return false
		}
		if _, ok := aggregates[x.Name]; ok {
			return false
		}
		if _, ok := r.cat.Columns(x.Name); ok {
			return true
		}
		return r.naming.TableName(x.Name)
	}
	return false
}

// letValue evaluates a let binding once.
func (r *run) letValue(b *binding, p Pos) {
	if b.done {
		return
	}
	if b.evaluating {
		fail(p, "let %s refers to itself", b.name)
	}
	b.evaluating = true
	defer func() { b.evaluating = false }()
	if r.isTabular(b.expr, b.env) {
		b.isTab = true
		before, held := r.live, r.held
		b.tab = r.table(b.expr, b.env)
		// the binding holds its table until the query ends: the
		// operator that asked for it does not own its memory
		r.pinned[b.tab] = true
		r.held = held + r.live - before
	} else {
		c := r.compiler(nil, b.env, false)
		b.val = c.compile(b.expr)
		if !b.val.konst {
			// a scalar let that is not constant (refers to columns):
			// keep it as a row expression of the caller.
			b.row = b.val
			b.val = nil
			b.done = true
			return
		}
	}
	b.done = true
}

// table evaluates a tabular expression.
func (r *run) table(e Expr, env *scope) *value.Table {
	if p, ok := e.(*Pipe); ok && r.cur.name == "" && r.ctx.Err() != nil {
		// the budget error names the operator about to run
		r.enter(opName(p.Op), p.Op.opPos())
	}
	r.checkCtx(e.Position())
	switch x := e.(type) {
	case *Ident:
		if b := env.lookup(x.Name); b != nil {
			if b.fn != nil {
				if len(b.fn.Params) == 0 || allDefaults(b.fn.Params) {
					return r.callTabular(b, &Call{P: x.P, Name: x.Name}, env, nil)
				}
				fail(x.P, "function %s needs arguments", x.Name)
			}
			r.letValue(b, x.P)
			if !b.isTab {
				fail(x.P, "%s is a scalar, not a table", x.Name)
			}
			return b.tab
		}
		return r.catalogTable(x.P, x.Name, nil)
	case *Call:
		if b := env.lookup(x.Name); b != nil && b.fn != nil {
			return r.callTabular(b, x, env, nil)
		}
		switch x.Name {
		case "materialize", "view":
			if len(x.Args) != 1 {
				fail(x.P, "%s takes one argument", x.Name)
			}
			return r.table(x.Args[0], env)
		case "table":
			if len(x.Args) >= 1 {
				if l, ok := x.Args[0].(*Lit); ok {
					if s, ok := l.Val.(string); ok {
						return r.table(&Ident{P: x.P, Name: s}, env)
					}
				}
			}
			fail(x.P, "table() needs a constant table name")
		}
		var args []Arg
		c := r.compiler(nil, env, false)
		for _, a := range x.Args {
			if na, ok := a.(*NamedArg); ok {
				args = append(args, Arg{Name: na.Name, Value: c.constant(na.X)})
			} else {
				args = append(args, Arg{Value: c.constant(a)})
			}
		}
		if args == nil {
			args = []Arg{}
		}
		return r.catalogTable(x.P, x.Name, args)
	case *Pipe:
		if w, ok := x.Op.(*WhereOp); ok {
			// fuse "| where A | where B" into one pass over the rows
			chain := []*WhereOp{w}
			src := x.Src
			for {
				p, ok := src.(*Pipe)
				if !ok {
					break
				}
				pw, ok := p.Op.(*WhereOp)
				if !ok {
					break
				}
				chain = append(chain, pw)
				src = p.Src
			}
			for i, j := 0, len(chain)-1; i < j; i, j = i+1, j-1 {
				chain[i], chain[j] = chain[j], chain[i]
			}
			in := r.table(src, env)
			done := r.enter("where", w.P)
			before := r.live - r.held
			out := r.whereChain(chain, in, env)
			r.settle(w, in, out, r.live-r.held-before)
			done()
			r.checkRows(x.P, len(out.Rows))
			return out
		}
		if out, ok := r.fused(x, env); ok {
			r.checkRows(x.P, len(out.Rows))
			return out
		}
		in := r.table(x.Src, env)
		done := r.enter(opName(x.Op), x.Op.opPos())
		before := r.live - r.held
		out := r.apply(x.Op, in, env)
		// what the operator accounted, nested tables (a join's right
		// side) included, is its output's until the next operator
		r.settle(x.Op, in, out, r.live-r.held-before)
		done()
		if r.opaque[in] {
			r.opaque[out] = true
		}
		r.checkRows(x.P, len(out.Rows))
		return out
	case *Source:
		done := r.enter(opName(x.Op), x.Op.opPos())
		before := r.live - r.held
		out := r.source(x.Op, env)
		r.settle(x.Op, nil, out, r.live-r.held-before)
		done()
		return out
	}
	fail(e.Position(), "expected a tabular expression")
	return nil
}

func allDefaults(ps []Param) bool {
	for _, p := range ps {
		if p.Default == nil {
			return false
		}
	}
	return true
}

func (r *run) catalogTable(p Pos, name string, args []Arg) *value.Table {
	if name == "$mvapply" {
		fail(p, "mv-apply subquery used outside mv-apply")
	}
	t, ok := r.cat.Table(name, args)
	if !ok {
		if r.dry {
			r.warn(p, "unknown table %s", name)
			t := &value.Table{Name: name}
			r.opaque[t] = true
			return t
		}
		failWrap(p, ErrUnknownTable, "table %s", name)
	}
	if n, ok := r.cat.(TableNoter); ok {
		// Once per query and table, where the query first reads it.
		if msg := n.TableNote(name); msg != "" && !r.seen["note\x00"+msg] {
			r.seen["note\x00"+msg] = true
			r.warn(p, "%s", msg)
		}
	}
	if lister, ok := r.cat.(ValueLister); ok {
		for _, c := range t.Columns {
			if c.Type != value.String {
				continue
			}
			if vals, ok := lister.Values(name, c.Name); ok {
				r.valueSets[c.Name] = vals
			}
		}
	}
	return t
}

// callTabular invokes a let function whose body yields a table. in, when
// not nil, is passed as the first argument (invoke).
func (r *run) callTabular(b *binding, call *Call, env *scope, in *value.Table) *value.Table {
	fenv := r.bindArgs(b, call, env, in, nil)
	for _, l := range b.fn.Body.Lets {
		fenv = fenv.child()
		nb := &binding{name: l.Name, expr: l.X, env: fenv.parent}
		if f, ok := l.X.(*FuncDef); ok {
			nb.fn = f
		}
		fenv.names[l.Name] = nb
	}
	return r.table(b.fn.Body.X, fenv)
}

// bindArgs binds a function's parameters: tabular parameters to tables,
// scalar ones to constants, or (when c is not nil) to row expressions of
// the caller.
func (r *run) bindArgs(b *binding, call *Call, env *scope, in *value.Table, c *compiler) *scope {
	f := b.fn
	fenv := b.env.child()
	args := call.Args
	if in != nil {
		if len(f.Params) == 0 || !f.Params[0].Tabular {
			fail(call.P, "function %s does not take a table as first parameter", call.Name)
		}
		fenv.names[f.Params[0].Name] = &binding{name: f.Params[0].Name, done: true, isTab: true, tab: in}
	}
	pi := 0
	if in != nil {
		pi = 1
	}
	named := map[string]Expr{}
	var positional []Expr
	for _, a := range args {
		if na, ok := a.(*NamedArg); ok {
			named[na.Name] = na.X
		} else {
			positional = append(positional, a)
		}
	}
	if len(positional) > len(f.Params)-pi {
		fail(call.P, "function %s takes %d arguments, got %d", call.Name, len(f.Params)-pi, len(positional))
	}
	for i := pi; i < len(f.Params); i++ {
		prm := f.Params[i]
		var a Expr
		aenv := env
		if i-pi < len(positional) {
			a = positional[i-pi]
		} else if x, ok := named[prm.Name]; ok {
			a = x
		} else if prm.Default != nil {
			a = prm.Default
			aenv = b.env
		} else {
			fail(call.P, "function %s: missing argument %s", call.Name, prm.Name)
		}
		nb := &binding{name: prm.Name}
		switch {
		case prm.Tabular || r.isTabular(a, aenv):
			nb.done, nb.isTab, nb.tab = true, true, r.table(a, aenv)
		case c != nil && aenv == env:
			ce := c.compile(a)
			if ce.konst {
				nb.done, nb.val = true, ce
			} else {
				nb.done, nb.row = true, ce
			}
		default:
			cc := r.compiler(nil, aenv, false)
			nb.done, nb.val = true, cc.compile(a)
		}
		fenv.names[prm.Name] = nb
	}
	return fenv
}

// newTable returns an empty table with the given columns.
func newTable(cols []value.Column, capRows int) *value.Table {
	if capRows < 0 {
		capRows = 0
	}
	if capRows > 1<<20 {
		capRows = 1 << 20
	}
	return &value.Table{Columns: cols, Rows: make([][]any, 0, capRows)}
}

func colIndex(cols []value.Column) map[string]int {
	m := make(map[string]int, len(cols))
	for i, c := range cols {
		if _, dup := m[c.Name]; !dup {
			m[c.Name] = i
		}
	}
	return m
}

// globMatch matches a column name against a pattern with * wildcards.
func globMatch(pattern, name string) bool {
	if !strings.Contains(pattern, "*") {
		return pattern == name
	}
	parts := strings.Split(pattern, "*")
	if !strings.HasPrefix(name, parts[0]) {
		return false
	}
	rest := name[len(parts[0]):]
	for i := 1; i < len(parts)-1; i++ {
		j := strings.Index(rest, parts[i])
		if j < 0 {
			return false
		}
		rest = rest[j+len(parts[i]):]
	}
	return strings.HasSuffix(rest, parts[len(parts)-1])
}

// sortRows sorts rows by precomputed keys, stably, checking for
// cancellation as it compares.
func (r *run) sortRows(rows [][]any, keys [][]any, spec []SortKey) {
	idx := make([]int, len(rows))
	for i := range idx {
		idx[i] = i
	}
	p := r.cur.p
	sort.SliceStable(idx, func(a, b int) bool {
		r.tick(p)
		ka, kb := keys[idx[a]], keys[idx[b]]
		for k, s := range spec {
			c := compareForSort(ka[k], kb[k], s)
			if c != 0 {
				return c < 0
			}
		}
		return false
	})
	tmp := make([][]any, len(rows))
	for i, j := range idx {
		tmp[i] = rows[j]
	}
	copy(rows, tmp)
}

// compareForSort orders two key cells per one sort key: desc by default,
// nulls last for desc and first for asc unless told otherwise.
func compareForSort(a, b any, s SortKey) int {
	nullsFirst := !s.Desc
	switch s.Nulls {
	case "first":
		nullsFirst = true
	case "last":
		nullsFirst = false
	}
	an, bn := isNullCell(a), isNullCell(b)
	switch {
	case an && bn:
		return 0
	case an:
		if nullsFirst {
			return -1
		}
		return 1
	case bn:
		if nullsFirst {
			return 1
		}
		return -1
	}
	c, ok := compareCells(a, b)
	if !ok {
		c = strings.Compare(toStr(a), toStr(b))
	}
	if s.Desc {
		return -c
	}
	return c
}

func isNullCell(v any) bool {
	if v == nil {
		return true
	}
	if f, ok := v.(float64); ok && f != f {
		return true
	}
	return false
}
