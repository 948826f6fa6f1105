package kql

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/loghunt/loghunt/hunt/kql/value"
)

// Query is a parsed KQL query: let statements followed by one tabular
// expression. It is immutable and safe for concurrent use.
type Query struct {
	// Lets are the query's let statements in order.
	Lets []*Let
	// Body is the tabular expression whose result Run returns.
	Body Expr
	src  string
}

// Source returns the query text given to Parse.
func (q *Query) Source() string { return q.src }

// maxDepth bounds expression nesting so hostile input cannot exhaust the
// stack.
const maxDepth = 200

type parser struct {
	src   string
	toks  []token
	i     int
	depth int
}

// Parse parses KQL query text. On failure the error is a *SyntaxError with
// the line and column of the first offending token.
func Parse(src string) (q *Query, err error) {
	toks, err := lex(src)
	if err != nil {
		return nil, err
	}
	p := &parser{toks: toks, src: src}
	defer func() {
		if r := recover(); r != nil {
			se, ok := r.(*SyntaxError)
			if !ok {
				panic(r)
			}
			q, err = nil, se
		}
	}()
	q = p.query()
	q.src = src
	return q, nil
}

func (p *parser) tok() token { return p.toks[p.i] }
func (p *parser) peek(k int) token {
	if p.i+k < len(p.toks) {
		return p.toks[p.i+k]
	}
	return p.toks[len(p.toks)-1]
}
func (p *parser) advance() token {
	t := p.toks[p.i]
	if p.i < len(p.toks)-1 {
		p.i++
	}
	return t
}

func (p *parser) fail(t token, format string, a ...any) {
	panic(&SyntaxError{Line: t.Pos.Line, Col: t.Pos.Col, Msg: fmt.Sprintf(format, a...)})
}

func (p *parser) isOp(s string) bool {
	t := p.tok()
	return t.Kind == tOp && t.Text == s
}

func (p *parser) isWord(s string) bool {
	t := p.tok()
	return t.Kind == tIdent && t.Text == s
}

func (p *parser) acceptOp(s string) bool {
	if p.isOp(s) {
		p.advance()
		return true
	}
	return false
}

func (p *parser) acceptWord(s string) bool {
	if p.isWord(s) {
		p.advance()
		return true
	}
	return false
}

func (p *parser) expectOp(s string) token {
	if !p.isOp(s) {
		p.fail(p.tok(), "expected %q, found %s", s, p.tok())
	}
	return p.advance()
}

func (p *parser) expectWord(s string) token {
	if !p.isWord(s) {
		p.fail(p.tok(), "expected %q, found %s", s, p.tok())
	}
	return p.advance()
}

// commaList calls item once per element of a comma-separated list of at
// least one element.
func (p *parser) commaList(item func()) {
	for {
		item()
		if !p.acceptOp(",") {
			return
		}
	}
}

// closedList calls item once per element of a comma-separated, possibly
// empty list that ends at the operator end, then consumes end.
func (p *parser) closedList(end string, item func()) {
	for !p.isOp(end) {
		item()
		if !p.acceptOp(",") {
			break
		}
	}
	p.expectOp(end)
}

// typeName reads a scalar type name such as long or datetime.
func (p *parser) typeName() value.Type {
	tn, tp := p.name()
	typ, ok := value.ParseType(tn)
	if !ok {
		p.fail(token{Pos: tp}, "unknown type %q", tn)
	}
	return typ
}

// name reads an identifier, a bracketed ['name'] or a string used as name.
func (p *parser) name() (string, Pos) {
	t := p.tok()
	switch {
	case t.Kind == tIdent:
		p.advance()
		return t.Text, t.Pos
	case t.Kind == tOp && t.Text == "[" && p.peek(1).Kind == tString && p.peek(2).Kind == tOp && p.peek(2).Text == "]":
		p.advance()
		s := p.advance()
		p.advance()
		return s.Text, t.Pos
	}
	p.fail(t, "expected a name, found %s", t)
	return "", t.Pos
}

func (p *parser) isName() bool {
	t := p.tok()
	return t.Kind == tIdent || (t.Kind == tOp && t.Text == "[" && p.peek(1).Kind == tString && p.peek(2).Kind == tOp && p.peek(2).Text == "]")
}

func (p *parser) query() *Query {
	q := &Query{}
	for {
		for p.acceptOp(";") {
		}
		if p.tok().Kind == tEOF {
			break
		}
		switch {
		case p.isWord("let"):
			q.Lets = append(q.Lets, p.let())
		case p.isWord("set") && p.peek(1).Kind == tIdent:
			p.skipStatement()
		case p.isWord("declare") || p.isWord("alias") || p.isWord("pattern"):
			p.skipStatement()
		default:
			x := p.pipeline()
			q.Body = x
		}
		if p.tok().Kind == tEOF {
			break
		}
		if !p.isOp(";") {
			// report where the statement should have ended, as Kusto does
			at := token{Pos: p.toks[p.i-1].Pos}
			if p.i > 0 {
				at.Pos = posAt(p.src, p.toks[p.i-1].End)
			}
			p.fail(at, "expected \";\" before %s (a query holds one tabular statement; separate statements with \";\")", p.tok())
		}
	}
	if q.Body == nil {
		t := p.tok()
		p.fail(t, "query has no tabular expression")
	}
	return q
}

// posAt returns the line and column of byte offset off in src.
func posAt(src string, off int) Pos {
	p := Pos{Line: 1, Col: 1}
	for i, r := range src {
		if i >= off {
			break
		}
		if r == '\n' {
			p.Line++
			p.Col = 1
		} else {
			p.Col++
		}
	}
	return p
}

// skipStatement skips to the next ";" at depth 0.
func (p *parser) skipStatement() {
	depth := 0
	for {
		t := p.tok()
		if t.Kind == tEOF || (depth == 0 && t.Kind == tOp && t.Text == ";") {
			return
		}
		if t.Kind == tOp {
			switch t.Text {
			case "(", "[", "{":
				depth++
			case ")", "]", "}":
				depth--
			}
		}
		p.advance()
	}
}

func (p *parser) let() *Let {
	t := p.expectWord("let")
	name, _ := p.name()
	p.expectOp("=")
	l := &Let{P: t.Pos, Name: name}
	if p.isWord("view") && p.peek(1).Kind == tOp && p.peek(1).Text == "(" {
		save := p.i
		p.advance()
		if p.isFuncDef() {
			l.X = p.funcDef()
			return l
		}
		p.i = save
	}
	if p.isFuncDef() {
		l.X = p.funcDef()
	} else {
		l.X = p.pipeline()
	}
	return l
}

// isFuncDef reports whether the tokens start "(params) {" or "(x:type".
func (p *parser) isFuncDef() bool {
	if !p.isOp("(") {
		return false
	}
	if p.peek(1).Kind == tOp && p.peek(1).Text == ")" {
		return p.peek(2).Kind == tOp && p.peek(2).Text == "{"
	}
	return p.peek(1).Kind == tIdent && p.peek(2).Kind == tOp && p.peek(2).Text == ":"
}

func (p *parser) funcDef() *FuncDef {
	t := p.expectOp("(")
	f := &FuncDef{P: t.Pos}
	p.closedList(")", func() {
		name, _ := p.name()
		p.expectOp(":")
		prm := Param{Name: name}
		if p.isOp("(") {
			prm.Tabular = true
			p.skipBalanced()
			prm.Type = "table"
		} else {
			tn, _ := p.name()
			prm.Type = tn
		}
		if p.acceptOp("=") {
			prm.Default = p.or()
		}
		f.Params = append(f.Params, prm)
	})
	p.expectOp("{")
	f.Body = p.block()
	p.expectOp("}")
	return f
}

func (p *parser) block() *Block {
	b := &Block{}
	for {
		for p.acceptOp(";") {
		}
		if p.isWord("let") {
			b.Lets = append(b.Lets, p.let())
			continue
		}
		if p.isOp("}") {
			break
		}
		b.X = p.pipeline()
		for p.acceptOp(";") {
		}
		break
	}
	if b.X == nil {
		p.fail(p.tok(), "function body has no result expression")
	}
	return b
}

// skipBalanced skips a parenthesized group starting at "(".
func (p *parser) skipBalanced() {
	depth := 0
	for {
		t := p.advance()
		if t.Kind == tEOF {
			p.fail(t, "unbalanced parentheses")
		}
		if t.Kind == tOp {
			switch t.Text {
			case "(", "[", "{":
				depth++
			case ")", "]", "}":
				depth--
			}
		}
		if depth == 0 {
			return
		}
	}
}

func (p *parser) enter() {
	p.depth++
	if p.depth > maxDepth {
		p.fail(p.tok(), "expression nested too deeply")
	}
}

func (p *parser) leave() { p.depth-- }

// pipeline parses Expr ( "|" operator )*.
func (p *parser) pipeline() Expr {
	p.enter()
	defer p.leave()
	var x Expr
	if src := p.sourceOp(); src != nil {
		x = src
	} else {
		x = p.or()
	}
	for p.isOp("|") {
		t := p.advance()
		op := p.tabOp()
		x = &Pipe{P: t.Pos, Src: x, Op: op}
	}
	return x
}

// sourceOp parses a tabular operator that starts a pipeline, or returns nil.
func (p *parser) sourceOp() Expr {
	t := p.tok()
	if t.Kind != tIdent {
		return nil
	}
	next := p.peek(1)
	switch t.Text {
	case "union":
		if next.Kind == tOp && (next.Text == "(" && false) {
			return nil
		}
		p.advance()
		return &Source{P: t.Pos, Op: p.union(t)}
	case "print":
		p.advance()
		op := &PrintOp{P: t.Pos, Cols: p.assignList()}
		return &Source{P: t.Pos, Op: op}
	case "datatable":
		if next.Kind == tOp && next.Text == "(" {
			p.advance()
			return &Source{P: t.Pos, Op: p.datatable(t)}
		}
	case "externaldata":
		if next.Kind == tOp && next.Text == "(" {
			p.advance()
			return &Source{P: t.Pos, Op: p.externaldata(t)}
		}
	case "range":
		if next.Kind == tIdent {
			p.advance()
			name, _ := p.name()
			op := &RangeOp{P: t.Pos, Name: name}
			p.expectWord("from")
			op.From = p.or()
			p.expectWord("to")
			op.To = p.or()
			p.expectWord("step")
			op.By = p.or()
			return &Source{P: t.Pos, Op: op}
		}
	case "find":
		p.advance()
		return &Source{P: t.Pos, Op: p.find(t)}
	}
	return nil
}

func (p *parser) colDecls() []value.Column {
	p.expectOp("(")
	var cols []value.Column
	p.closedList(")", func() {
		name, _ := p.name()
		p.expectOp(":")
		cols = append(cols, value.Column{Name: name, Type: p.typeName()})
	})
	return cols
}

func (p *parser) datatable(t token) TabOp {
	op := &DatatableOp{P: t.Pos, Cols: p.colDecls()}
	p.expectOp("[")
	p.closedList("]", func() { op.Values = append(op.Values, p.or()) })
	return op
}

func (p *parser) externaldata(t token) TabOp {
	op := &ExternalDataOp{P: t.Pos, Cols: p.colDecls()}
	if p.isOp("[") {
		p.skipBalanced()
	}
	if p.acceptWord("with") {
		if !p.isOp("(") {
			p.fail(p.tok(), "expected \"(\" after with")
		}
		p.skipBalanced()
	}
	return op
}

func (p *parser) find(t token) TabOp {
	op := &FindOp{P: t.Pos}
	for p.isName() && p.peek(1).Kind == tOp && p.peek(1).Text == "=" {
		n, _ := p.name()
		p.advance()
		if strings.EqualFold(n, "withsource") {
			op.WithSource, _ = p.name()
		} else {
			p.postfix()
		}
	}
	if p.acceptWord("in") {
		p.expectOp("(")
		p.closedList(")", func() { op.Tables = append(op.Tables, p.pipeline()) })
		if op.Tables == nil {
			op.Tables = []Expr{}
		}
	}
	p.expectWord("where")
	op.Pred = p.or()
	if p.acceptWord("project-smart") {
		return op
	}
	if p.acceptWord("project") {
		op.Project = []value.Column{}
		p.commaList(func() {
			if p.isWord("pack_all") && p.peek(1).Kind == tOp && p.peek(1).Text == "(" {
				p.advance()
				p.expectOp("(")
				p.expectOp(")")
				op.PackAll = true
				return
			}
			n, _ := p.name()
			c := value.Column{Name: n, Type: value.Dynamic}
			if p.acceptOp(":") {
				c.Type = p.typeName()
			}
			op.Project = append(op.Project, c)
		})
	}
	return op
}

// makeSeries parses the rest of make-series after the operator name.
func (p *parser) makeSeries(t token) TabOp {
	op := &MakeSeriesOp{P: t.Pos}
	op.Kind = strings.ToLower(p.options()["kind"])
	p.commaList(func() {
		a := SeriesAgg{Assign: p.assign()}
		if p.acceptWord("default") {
			p.expectOp("=")
			a.Default = p.or()
		}
		op.Aggs = append(op.Aggs, a)
	})
	p.expectWord("on")
	op.Axis = p.postfix()
	if p.acceptWord("in") {
		p.expectWord("range")
		p.expectOp("(")
		op.From = p.or()
		p.expectOp(",")
		op.To = p.or()
		p.expectOp(",")
		op.Step = p.or()
		p.expectOp(")")
		op.InRange = true
	} else {
		if p.acceptWord("from") {
			op.From = p.or()
		}
		if p.acceptWord("to") {
			op.To = p.or()
		}
		p.expectWord("step")
		op.Step = p.or()
	}
	if p.acceptWord("by") {
		op.By = p.assignList()
	}
	return op
}

// topNested parses the clauses of top-nested after the first operator
// name; each further clause starts with ", top-nested".
func (p *parser) topNested(t token) TabOp {
	op := &TopNestedOp{P: t.Pos}
	for {
		lv := TopNestedLevel{P: p.tok().Pos, Desc: true}
		if !p.isWord("of") {
			lv.N = p.or()
		}
		p.expectWord("of")
		lv.Of = p.assign()
		if p.acceptWord("with") {
			p.expectWord("others")
			p.expectOp("=")
			lv.Others = p.or()
		}
		p.expectWord("by")
		lv.By = p.assign()
		if p.acceptWord("asc") {
			lv.Desc = false
		} else {
			p.acceptWord("desc")
		}
		op.Levels = append(op.Levels, lv)
		if !(p.isOp(",") && p.peek(1).Kind == tIdent && p.peek(1).Text == "top-nested") {
			return op
		}
		p.advance()
		p.advance()
	}
}

// hints skips name=value options such as kind=inner, hint.strategy=shuffle,
// withsource=T, isfuzzy=true, and returns them.
func (p *parser) options() map[string]string {
	var m map[string]string
	for {
		t := p.tok()
		if t.Kind != tIdent {
			return m
		}
		// dotted option names: hint.strategy
		j := 1
		name := t.Text
		for p.peek(j).Kind == tOp && p.peek(j).Text == "." && p.peek(j+1).Kind == tIdent {
			name += "." + p.peek(j+1).Text
			j += 2
		}
		if !(p.peek(j).Kind == tOp && p.peek(j).Text == "=") {
			return m
		}
		lname := strings.ToLower(name)
		if !(strings.HasPrefix(lname, "hint.") || optionNames[lname]) {
			return m
		}
		v := p.peek(j + 1)
		if v.Kind == tEOF {
			return m
		}
		for k := 0; k < j+2; k++ {
			p.advance()
		}
		if m == nil {
			m = map[string]string{}
		}
		m[lname] = v.Text
	}
}

var optionNames = map[string]bool{
	"kind": true, "withsource": true, "isfuzzy": true, "bagexpansion": true,
	"with_itemindex": true, "flags": true, "decodeblocks": true,
}

func (p *parser) union(t token) *UnionOp {
	op := &UnionOp{P: t.Pos}
	opts := p.options()
	op.Kind = opts["kind"]
	op.WithSource = opts["withsource"]
	op.IsFuzzy = opts["isfuzzy"] == "true"
	p.commaList(func() { op.Tables = append(op.Tables, p.unionTable()) })
	return op
}

// unionTable reads a table name (possibly with * wildcards), a call, or a
// parenthesized pipeline.
func (p *parser) unionTable() Expr {
	t := p.tok()
	if t.Kind == tOp && t.Text == "(" {
		p.advance()
		x := p.pipeline()
		p.expectOp(")")
		return x
	}
	if t.Kind == tOp && t.Text == "*" {
		p.advance()
		return &Ident{P: t.Pos, Name: "*"}
	}
	if t.Kind != tIdent {
		p.fail(t, "expected a table, found %s", t)
	}
	// wildcard names: Device*Events
	name := ""
	for {
		c := p.tok()
		if c.Kind == tIdent && (name == "" || strings.HasSuffix(name, "*")) {
			name += c.Text
			p.advance()
		} else if c.Kind == tOp && c.Text == "*" && name != "" && !strings.HasSuffix(name, "*") && c.Off == p.toks[p.i-1].End {
			name += "*"
			p.advance()
		} else {
			break
		}
	}
	if !strings.Contains(name, "*") && p.isOp("(") {
		return p.callRest(name, t.Pos)
	}
	return &Ident{P: t.Pos, Name: name}
}

func (p *parser) assignList() []Assign {
	var out []Assign
	p.commaList(func() { out = append(out, p.assign()) })
	return out
}

// assign parses [Name =] X or (A, B) = X.
func (p *parser) assign() Assign {
	if p.isName() {
		save := p.i
		name, _ := p.name()
		if p.isOp("=") {
			p.advance()
			return Assign{Name: name, X: p.or()}
		}
		p.i = save
	}
	if p.isOp("(") {
		save := p.i
		p.advance()
		var names []string
		ok := true
		for {
			if !p.isName() {
				ok = false
				break
			}
			n, _ := p.name()
			names = append(names, n)
			if p.acceptOp(",") {
				continue
			}
			break
		}
		if ok && p.acceptOp(")") && p.isOp("=") {
			p.advance()
			return Assign{Names: names, X: p.or()}
		}
		p.i = save
	}
	return Assign{X: p.or()}
}

func (p *parser) sortKeys() []SortKey {
	var keys []SortKey
	p.commaList(func() {
		k := SortKey{X: p.or(), Desc: true}
		if p.acceptWord("asc") {
			k.Desc = false
		} else if p.acceptWord("desc") {
			k.Desc = true
		}
		if p.acceptWord("nulls") {
			switch {
			case p.acceptWord("first"):
				k.Nulls = "first"
			case p.acceptWord("last"):
				k.Nulls = "last"
			default:
				p.fail(p.tok(), "expected first or last after nulls")
			}
		}
		keys = append(keys, k)
	})
	return keys
}

func (p *parser) nameList() ([]string, []Pos) {
	var names []string
	var poss []Pos
	p.commaList(func() {
		t := p.tok()
		name := ""
		for {
			c := p.tok()
			if c.Kind == tIdent && (name == "" || strings.HasSuffix(name, "*")) {
				name += c.Text
				p.advance()
			} else if c.Kind == tOp && c.Text == "*" && (name == "" || (!strings.HasSuffix(name, "*") && c.Off == p.toks[p.i-1].End)) {
				name += "*"
				p.advance()
			} else if name == "" && p.isName() {
				name, _ = p.name()
				break
			} else {
				break
			}
		}
		if name == "" {
			p.fail(t, "expected a column name, found %s", t)
		}
		names = append(names, name)
		poss = append(poss, t.Pos)
		// project-reorder accepts asc/desc/granny-asc... after a wildcard
		for _, w := range []string{"asc", "desc", "granny-asc", "granny-desc"} {
			if p.acceptWord(w) {
				break
			}
		}
	})
	return names, poss
}

func (p *parser) tabOp() TabOp {
	t := p.tok()
	if t.Kind != tIdent {
		p.fail(t, "expected a tabular operator, found %s", t)
	}
	p.advance()
	switch strings.ToLower(t.Text) {
	case "where", "filter":
		return &WhereOp{P: t.Pos, Pred: p.or()}
	case "project", "extend", "serialize":
		op := &ProjectOp{P: t.Pos, Kind: strings.ToLower(t.Text)}
		if op.Kind == "serialize" && (p.isOp("|") || p.isOp(")") || p.isOp(";") || p.tok().Kind == tEOF) {
			return op
		}
		op.Cols = p.assignList()
		return op
	case "project-away", "project-keep", "project-reorder":
		op := &NamesOp{P: t.Pos, Kind: strings.ToLower(t.Text)}
		op.Names, op.Pos = p.nameList()
		return op
	case "project-rename":
		op := &RenameOp{P: t.Pos}
		p.commaList(func() {
			c := p.tok()
			n, _ := p.name()
			p.expectOp("=")
			o, _ := p.name()
			op.Pairs = append(op.Pairs, [2]string{n, o})
			op.Pos = append(op.Pos, c.Pos)
		})
		return op
	case "summarize":
		p.options()
		op := &SummarizeOp{P: t.Pos}
		if !p.isWord("by") {
			op.Aggs = p.assignList()
		}
		if p.acceptWord("by") {
			op.By = p.assignList()
		}
		return op
	case "top":
		op := &TopOp{P: t.Pos, N: p.or()}
		p.expectWord("by")
		op.Keys = p.sortKeys()
		return op
	case "take", "limit":
		p.options()
		return &TakeOp{P: t.Pos, N: p.or()}
	case "sort", "order":
		p.options()
		p.expectWord("by")
		return &SortOp{P: t.Pos, Keys: p.sortKeys()}
	case "distinct":
		op := &DistinctOp{P: t.Pos}
		if p.acceptOp("*") {
			op.Star = true
			return op
		}
		p.commaList(func() { op.Cols = append(op.Cols, p.or()) })
		return op
	case "count":
		return &CountOp{P: t.Pos}
	case "union":
		return p.union(t)
	case "join", "lookup":
		op := &JoinOp{P: t.Pos, Lookup: strings.EqualFold(t.Text, "lookup")}
		opts := p.options()
		op.Kind = strings.ToLower(opts["kind"])
		if p.isOp("(") {
			p.advance()
			op.Right = p.pipeline()
			p.expectOp(")")
		} else {
			op.Right = p.unionTable()
		}
		p.expectWord("on")
		p.commaList(func() { op.On = append(op.On, splitAnd(p.or())...) })
		return op
	case "mv-expand", "mvexpand":
		op := &MvExpandOp{P: t.Pos}
		opts := p.options()
		op.ItemIndex = opts["with_itemindex"]
		op.Items = p.mvItems()
		if p.acceptWord("limit") {
			op.Limit = p.or()
		}
		return op
	case "mv-apply":
		op := &MvApplyOp{P: t.Pos}
		p.options()
		op.Items = p.mvItems()
		if p.acceptWord("limit") {
			p.or()
		}
		p.expectWord("on")
		p.expectOp("(")
		// the subquery starts with an operator applied to the row's items
		sub := &Ident{P: p.tok().Pos, Name: "$mvapply"}
		var x Expr = sub
		p.acceptOp("|")
		for {
			pt := p.tok()
			x = &Pipe{P: pt.Pos, Src: x, Op: p.tabOp()}
			if !p.acceptOp("|") {
				break
			}
		}
		p.expectOp(")")
		op.Sub = x
		return op
	case "parse", "parse-where":
		op := &ParseOp{P: t.Pos, Where: strings.EqualFold(t.Text, "parse-where")}
		opts := p.options()
		op.Kind = strings.ToLower(opts["kind"])
		op.Flags = opts["flags"]
		op.X = p.or()
		p.expectWord("with")
		op.Pattern = p.parsePattern()
		return op
	case "evaluate":
		p.options()
		c := p.tok()
		x := p.postfix()
		call, ok := x.(*Call)
		if !ok {
			p.fail(c, "expected a plugin call after evaluate")
		}
		return &EvaluateOp{P: t.Pos, Call: call}
	case "invoke":
		c := p.tok()
		x := p.postfix()
		call, ok := x.(*Call)
		if !ok {
			p.fail(c, "expected a function call after invoke")
		}
		return &InvokeOp{P: t.Pos, Call: call}
	case "as":
		p.options()
		n, _ := p.name()
		return &AsOp{P: t.Pos, Name: n}
	case "render":
		p.skipOperator()
		return &IgnoredOp{P: t.Pos, Name: t.Text}
	case "make-series":
		return p.makeSeries(t)
	case "top-nested":
		return p.topNested(t)
	case "top-hitters", "reduce", "fork", "facet", "partition", "scan", "parse-kv", "project-smart", "sample-distinct":
		p.skipOperator()
		return &UnsupportedOp{P: t.Pos, Name: t.Text}
	case "sample":
		return &SampleOp{P: t.Pos, N: p.or()}
	case "getschema":
		return &GetSchemaOp{P: t.Pos}
	}
	p.fail(t, "unknown tabular operator %q", t.Text)
	return nil
}

// mvItems parses the items of mv-expand and mv-apply: [Name =] X [to
// typeof(T)], comma-separated.
func (p *parser) mvItems() []Assign {
	var items []Assign
	p.commaList(func() {
		a := p.assign()
		if p.acceptWord("to") {
			p.expectWord("typeof")
			p.expectOp("(")
			tn, _ := p.name()
			p.expectOp(")")
			a.ToType = tn
		}
		items = append(items, a)
	})
	return items
}

// skipOperator skips tokens up to the next | ; ) at depth 0.
func (p *parser) skipOperator() {
	depth := 0
	for {
		t := p.tok()
		if t.Kind == tEOF {
			return
		}
		if t.Kind == tOp {
			switch t.Text {
			case "(", "[", "{":
				depth++
			case ")", "]", "}":
				if depth == 0 {
					return
				}
				depth--
			case "|", ";":
				if depth == 0 {
					return
				}
			}
		}
		p.advance()
	}
}

func splitAnd(x Expr) []Expr {
	if b, ok := x.(*Binary); ok && b.Op == "and" {
		return append(splitAnd(b.L), splitAnd(b.R)...)
	}
	return []Expr{x}
}

func (p *parser) parsePattern() []ParsePiece {
	var out []ParsePiece
	for {
		t := p.tok()
		switch {
		case t.Kind == tString:
			p.advance()
			out = append(out, ParsePiece{Lit: t.Text, IsLit: true})
		case t.Kind == tOp && t.Text == "*":
			p.advance()
			out = append(out, ParsePiece{Star: true})
		case p.isName() && !(len(out) > 0 && t.Kind == tIdent && isParseTerminator(t.Text)):
			n, _ := p.name()
			pc := ParsePiece{Name: n, Type: value.String}
			if p.acceptOp(":") {
				pc.Type = p.typeName()
			}
			out = append(out, pc)
		default:
			if len(out) == 0 {
				p.fail(t, "expected a parse pattern, found %s", t)
			}
			return out
		}
	}
}

func isParseTerminator(s string) bool { return false }

// Expression grammar, loosest first: or, and, comparison, additive,
// multiplicative, unary, postfix, primary.

func (p *parser) or() Expr {
	p.enter()
	defer p.leave()
	x := p.and()
	for p.isWord("or") {
		t := p.advance()
		x = &Binary{P: t.Pos, Op: "or", L: x, R: p.and()}
	}
	return x
}

func (p *parser) and() Expr {
	x := p.comparison()
	for p.isWord("and") {
		t := p.advance()
		x = &Binary{P: t.Pos, Op: "and", L: x, R: p.comparison()}
	}
	return x
}

// stringOps are the word operators of the comparison level.
var stringOps = map[string]bool{
	"has": true, "!has": true, "has_cs": true, "!has_cs": true,
	"hasprefix": true, "!hasprefix": true, "hasprefix_cs": true, "!hasprefix_cs": true,
	"hassuffix": true, "!hassuffix": true, "hassuffix_cs": true, "!hassuffix_cs": true,
	"contains": true, "!contains": true, "contains_cs": true, "!contains_cs": true,
	"startswith": true, "!startswith": true, "startswith_cs": true, "!startswith_cs": true,
	"endswith": true, "!endswith": true, "endswith_cs": true, "!endswith_cs": true,
	"like": true, "notlike": true, "notcontains": true, "notcontainscs": true,
	"containscs": true, "notstartswith": true, "notendswith": true, "nothas": true,
}

var listOps = map[string]bool{
	"in": true, "in~": true, "!in": true, "!in~": true, "has_any": true, "has_all": true,
	"has_any~": true, "has_all~": true,
}

var cmpOps = map[string]bool{
	"==": true, "!=": true, "<>": true, "=~": true, "!~": true,
	"<": true, "<=": true, ">": true, ">=": true,
}

func (p *parser) comparison() Expr {
	x := p.additive()
	for {
		t := p.tok()
		switch {
		case t.Kind == tOp && cmpOps[t.Text]:
			p.advance()
			op := t.Text
			if op == "<>" {
				op = "!="
			}
			x = &Binary{P: t.Pos, Op: op, L: x, R: p.additive()}
		case (t.Kind == tIdent || t.Kind == tOp) && stringOps[t.Text]:
			p.advance()
			x = &Binary{P: t.Pos, Op: t.Text, L: x, R: p.additive()}
		case (t.Kind == tIdent || t.Kind == tOp) && listOps[t.Text]:
			p.advance()
			x = &ListOp{P: t.Pos, Op: t.Text, L: x, List: p.list()}
		case (t.Kind == tIdent && t.Text == "between") || (t.Kind == tOp && t.Text == "!between"):
			p.advance()
			b := &Between{P: t.Pos, Not: t.Text == "!between", L: x}
			p.expectOp("(")
			b.Lo = p.additive()
			p.expectOp("..")
			b.Hi = p.additive()
			p.expectOp(")")
			x = b
		case t.Kind == tIdent && t.Text == "matches" && p.peek(1).Kind == tIdent && p.peek(1).Text == "regex":
			p.advance()
			p.advance()
			x = &Binary{P: t.Pos, Op: "matches regex", L: x, R: p.additive()}
		case t.Kind == tOp && t.Text == "!matches" && p.peek(1).Kind == tIdent && p.peek(1).Text == "regex":
			p.advance()
			p.advance()
			x = &Binary{P: t.Pos, Op: "!matches regex", L: x, R: p.additive()}
		default:
			return x
		}
	}
}

// list parses the right side of in/has_any: (a, b, ...) or a single term.
func (p *parser) list() []Expr {
	if !p.isOp("(") {
		return []Expr{p.additive()}
	}
	p.advance()
	var out []Expr
	p.closedList(")", func() { out = append(out, p.pipeline()) })
	return out
}

func (p *parser) additive() Expr {
	x := p.multiplicative()
	for p.isOp("+") || p.isOp("-") {
		t := p.advance()
		x = &Binary{P: t.Pos, Op: t.Text, L: x, R: p.multiplicative()}
	}
	return x
}

func (p *parser) multiplicative() Expr {
	x := p.unary()
	for p.isOp("*") || p.isOp("/") || p.isOp("%") {
		t := p.advance()
		x = &Binary{P: t.Pos, Op: t.Text, L: x, R: p.unary()}
	}
	return x
}

func (p *parser) unary() Expr {
	if p.isOp("-") || p.isOp("+") {
		t := p.advance()
		p.enter()
		defer p.leave()
		x := p.unary()
		if l, ok := x.(*Lit); ok && t.Text == "-" {
			switch v := l.Val.(type) {
			case int64:
				return &Lit{P: t.Pos, Val: -v, T: l.T}
			case float64:
				return &Lit{P: t.Pos, Val: -v, T: l.T}
			}
		}
		return &Unary{P: t.Pos, Op: t.Text, X: x}
	}
	return p.postfix()
}

func (p *parser) postfix() Expr {
	x := p.primary()
	for {
		t := p.tok()
		switch {
		case t.Kind == tOp && t.Text == "." && p.peek(1).Kind == tIdent:
			p.advance()
			n := p.advance()
			x = &Member{P: n.Pos, X: x, Name: n.Text}
		case t.Kind == tOp && t.Text == "." && p.peek(1).Kind == tOp && p.peek(1).Text == "[":
			p.advance()
		case t.Kind == tOp && t.Text == "[":
			p.advance()
			i := p.pipeline()
			p.expectOp("]")
			if l, ok := i.(*Lit); ok {
				if s, ok := l.Val.(string); ok {
					x = &Member{P: t.Pos, X: x, Name: s}
					continue
				}
			}
			x = &Index{P: t.Pos, X: x, I: i}
		default:
			return x
		}
	}
}

func (p *parser) callRest(name string, pos Pos) Expr {
	p.expectOp("(")
	c := &Call{P: pos, Name: name}
	p.closedList(")", func() {
		if p.isName() && p.peek(1).Kind == tOp && p.peek(1).Text == "=" && p.tok().Kind == tIdent {
			n := p.advance()
			p.advance()
			c.Args = append(c.Args, &NamedArg{P: n.Pos, Name: n.Text, X: p.pipeline()})
		} else if p.isOp("*") && (p.peek(1).Kind == tOp && (p.peek(1).Text == ")" || p.peek(1).Text == ",")) {
			s := p.advance()
			c.Args = append(c.Args, &Star{P: s.Pos})
		} else {
			c.Args = append(c.Args, p.pipeline())
		}
	})
	return c
}

func (p *parser) primary() Expr {
	t := p.tok()
	switch t.Kind {
	case tString:
		p.advance()
		return &Lit{P: t.Pos, Val: t.Text, T: value.String}
	case tInt:
		p.advance()
		return &Lit{P: t.Pos, Val: t.Int, T: value.Long}
	case tReal:
		p.advance()
		return &Lit{P: t.Pos, Val: t.Real, T: value.Real}
	case tSpan:
		p.advance()
		return &Lit{P: t.Pos, Val: t.Span, T: value.TimeSpan}
	case tOp:
		switch t.Text {
		case "(":
			p.advance()
			x := p.pipeline()
			p.expectOp(")")
			return x
		case "[":
			if p.isName() {
				n, pos := p.name()
				return &Ident{P: pos, Name: n}
			}
		case "*":
			p.advance()
			return &Star{P: t.Pos}
		}
		p.fail(t, "unexpected %s", t)
	case tIdent:
		switch t.Text {
		case "true", "True", "TRUE":
			p.advance()
			return &Lit{P: t.Pos, Val: true, T: value.Bool}
		case "false", "False", "FALSE":
			p.advance()
			return &Lit{P: t.Pos, Val: false, T: value.Bool}
		case "null":
			p.advance()
			return &Lit{P: t.Pos, Val: nil, T: value.Dynamic}
		}
		next := p.peek(1)
		if next.Kind == tOp && next.Text == "(" {
			switch t.Text {
			case "dynamic":
				p.advance()
				p.advance()
				v := p.dynamicValue()
				p.expectOp(")")
				return &Lit{P: t.Pos, Val: v, T: value.Dynamic}
			case "datetime", "date", "timespan", "time", "guid", "bool", "boolean", "int", "long", "real", "double", "decimal", "string":
				if x, ok := p.typedLiteral(); ok {
					return x
				}
			}
			p.advance()
			return p.callRest(t.Text, t.Pos)
		}
		p.advance()
		return &Ident{P: t.Pos, Name: t.Text}
	case tEOF:
		p.fail(t, "unexpected end of query")
	}
	p.fail(t, "unexpected %s", t)
	return nil
}

// typedLiteral parses datetime(...), timespan(...), long(null) and the like.
func (p *parser) typedLiteral() (Expr, bool) {
	t := p.tok()
	arg := p.peek(2)
	closeTok := p.peek(3)
	if !(closeTok.Kind == tOp && closeTok.Text == ")") {
		// negative numbers: long(-1)
		if arg.Kind == tOp && arg.Text == "-" && p.peek(4).Kind == tOp && p.peek(4).Text == ")" {
			n := p.peek(3)
			if n.Kind == tInt || n.Kind == tReal {
				p.i += 5
				if n.Kind == tInt {
					return p.convertLit(t, -n.Int), true
				}
				return p.convertLit(t, -n.Real), true
			}
		}
		return nil, false
	}
	text := arg.Text
	var val any
	switch arg.Kind {
	case tRaw, tString:
		val = text
	case tInt:
		val = arg.Int
	case tReal:
		val = arg.Real
	case tSpan:
		val = arg.Span
	case tIdent:
		if text != "null" && text != "true" && text != "false" {
			return nil, false
		}
		val = text
	default:
		return nil, false
	}
	p.i += 4
	return p.convertLit(t, val), true
}

func (p *parser) convertLit(t token, val any) Expr {
	typ, _ := value.ParseType(t.Text)
	if s, ok := val.(string); ok && s == "null" {
		return &Lit{P: t.Pos, Val: nil, T: typ}
	}
	var out any
	var ok bool
	switch typ {
	case value.DateTime:
		out, ok = toDateTime(val)
	case value.TimeSpan:
		if s, isStr := val.(string); isStr {
			if d, good := parseSpanText(s); good {
				out, ok = d, true
			}
		} else {
			out, ok = toTimeSpan(val)
		}
	case value.Bool:
		out, ok = toBoolLit(val)
	case value.Long, value.Int:
		out, ok = toLong(val)
	case value.Real:
		out, ok = toReal(val)
	case value.GUID, value.String:
		out, ok = toStr(val), true
		typ = value.String
	}
	if !ok {
		p.fail(t, "bad %s literal %v", t.Text, val)
	}
	return &Lit{P: t.Pos, Val: out, T: typ}
}

func toBoolLit(v any) (any, bool) {
	switch x := v.(type) {
	case string:
		switch strings.ToLower(x) {
		case "true", "1":
			return true, true
		case "false", "0":
			return false, true
		}
	case int64:
		return x != 0, true
	}
	return nil, false
}

// dynamicValue parses the JSON-like body of dynamic(...).
func (p *parser) dynamicValue() any {
	p.enter()
	defer p.leave()
	t := p.tok()
	switch {
	case t.Kind == tOp && t.Text == "[":
		p.advance()
		arr := []any{}
		p.closedList("]", func() { arr = append(arr, p.dynamicValue()) })
		return arr
	case t.Kind == tOp && t.Text == "{":
		p.advance()
		m := map[string]any{}
		p.closedList("}", func() {
			k := p.tok()
			var key string
			switch k.Kind {
			case tString, tIdent:
				key = k.Text
				p.advance()
			default:
				p.fail(k, "expected a property name, found %s", k)
			}
			p.expectOp(":")
			m[key] = p.dynamicValue()
		})
		return m
	case t.Kind == tString:
		p.advance()
		return t.Text
	case t.Kind == tInt:
		p.advance()
		return t.Int
	case t.Kind == tReal:
		p.advance()
		return t.Real
	case t.Kind == tSpan:
		p.advance()
		return t.Span
	case t.Kind == tOp && t.Text == "-":
		p.advance()
		n := p.advance()
		switch n.Kind {
		case tInt:
			return -n.Int
		case tReal:
			return -n.Real
		}
		p.fail(n, "expected a number after -")
	case t.Kind == tIdent:
		switch t.Text {
		case "true":
			p.advance()
			return true
		case "false":
			p.advance()
			return false
		case "null":
			p.advance()
			return nil
		}
		// typed literal inside dynamic: datetime(...)
		x := p.primary()
		if l, ok := x.(*Lit); ok {
			return l.Val
		}
		p.fail(t, "expected a constant in dynamic(), found %s", t)
	}
	p.fail(t, "expected a constant in dynamic(), found %s", t)
	return nil
}

// parseSpanText parses "1d", "00:10:00", "1.02:03:04.5".
func parseSpanText(s string) (any, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, false
	}
	if toks, err := lex(s); err == nil && len(toks) == 2 && toks[0].Kind == tSpan {
		return toks[0].Span, true
	}
	if d, ok := parseClockSpan(s); ok {
		return d, true
	}
	if n, err := strconv.ParseFloat(s, 64); err == nil {
		return durationFromDays(n), true
	}
	return nil, false
}
