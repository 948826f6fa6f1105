package kql

import "github.com/loghunt/loghunt/hunt/kql/value"

// Expr is a node of the syntax tree: a scalar expression, or a tabular
// expression (a table reference, a source operator, or a Pipe).
type Expr interface {
	Position() Pos
}

// Ident is a name: a column, a let binding or a table.
type Ident struct {
	P    Pos
	Name string
}

// Lit is a literal cell (see package value for the Go types).
type Lit struct {
	P   Pos
	Val any
	T   value.Type
}

// Unary is -X, +X.
type Unary struct {
	P  Pos
	Op string
	X  Expr
}

// Binary is L Op R for arithmetic, comparison, string and logical
// operators. Op is spelled as in KQL ("and", "==", "!has", "matches regex").
type Binary struct {
	P    Pos
	Op   string
	L, R Expr
}

// ListOp is L Op (List...) for in, in~, !in, !in~, has_any, has_all.
// A List element may be a tabular expression (its first column is used)
// or a dynamic array (its elements are used).
type ListOp struct {
	P    Pos
	Op   string
	L    Expr
	List []Expr
}

// Between is L between (Lo .. Hi), inclusive.
type Between struct {
	P         Pos
	Not       bool
	L, Lo, Hi Expr
}

// Call is Name(Args...). A named argument (name=value) is a *NamedArg.
type Call struct {
	P    Pos
	Name string
	Args []Expr
}

// NamedArg is name=X inside a call's argument list.
type NamedArg struct {
	P    Pos
	Name string
	X    Expr
}

// Member is X.Name (dynamic property access, or $left.Col in join).
type Member struct {
	P    Pos
	X    Expr
	Name string
}

// Index is X[I].
type Index struct {
	P Pos
	X Expr
	I Expr
}

// Star is * (as in count(*), arg_max(T, *), union *).
type Star struct {
	P Pos
}

// Pipe is Src | Op.
type Pipe struct {
	P   Pos
	Src Expr
	Op  TabOp
}

// Source is a tabular operator that starts a pipeline (union, print,
// datatable, range, externaldata).
type Source struct {
	P  Pos
	Op TabOp
}

// FuncDef is the value of a function let: (params) { body }.
type FuncDef struct {
	P      Pos
	Params []Param
	Body   *Block
}

// Param is a function parameter. Tabular is set for T:(*) or T:(cols).
type Param struct {
	Name    string
	Type    string
	Tabular bool
	Default Expr
}

// Block is a list of let statements followed by a result expression.
type Block struct {
	Lets []*Let
	X    Expr
}

// Let is let Name = X (X may be a *FuncDef).
type Let struct {
	P    Pos
	Name string
	X    Expr
}

func (e *Ident) Position() Pos    { return e.P }
func (e *Lit) Position() Pos      { return e.P }
func (e *Unary) Position() Pos    { return e.P }
func (e *Binary) Position() Pos   { return e.P }
func (e *ListOp) Position() Pos   { return e.P }
func (e *Between) Position() Pos  { return e.P }
func (e *Call) Position() Pos     { return e.P }
func (e *NamedArg) Position() Pos { return e.P }
func (e *Member) Position() Pos   { return e.P }
func (e *Index) Position() Pos    { return e.P }
func (e *Star) Position() Pos     { return e.P }
func (e *Pipe) Position() Pos     { return e.P }
func (e *Source) Position() Pos   { return e.P }
func (e *FuncDef) Position() Pos  { return e.P }

// TabOp is one tabular operator.
type TabOp interface {
	opPos() Pos
}

// Assign is [Name =] X, or (Names...) = X. Name is "" when not given.
type Assign struct {
	Name  string
	Names []string
	X     Expr
	// ToType is the "to typeof(T)" of mv-expand, "" when absent.
	ToType string
}

// SortKey is one key of sort/top.
type SortKey struct {
	X    Expr
	Desc bool
	// Nulls is "first", "last" or "" for the default.
	Nulls string
}

// Operator nodes.
type (
	// WhereOp is where/filter Pred.
	WhereOp struct {
		P    Pos
		Pred Expr
	}
	// ProjectOp is project, extend or serialize (Kind).
	ProjectOp struct {
		P    Pos
		Kind string
		Cols []Assign
	}
	// NamesOp is project-away, project-keep or project-reorder (Kind) with
	// column names that may hold * wildcards.
	NamesOp struct {
		P     Pos
		Kind  string
		Names []string
		Pos   []Pos
	}
	// RenameOp is project-rename New = Old, ...
	RenameOp struct {
		P     Pos
		Pairs [][2]string
		Pos   []Pos
	}
	// SummarizeOp is summarize Aggs by By.
	SummarizeOp struct {
		P    Pos
		Aggs []Assign
		By   []Assign
	}
	// TopOp is top N by Keys.
	TopOp struct {
		P    Pos
		N    Expr
		Keys []SortKey
	}
	// TakeOp is take/limit N.
	TakeOp struct {
		P Pos
		N Expr
	}
	// SortOp is sort/order by Keys.
	SortOp struct {
		P    Pos
		Keys []SortKey
	}
	// DistinctOp is distinct Cols (nil Cols with Star for distinct *).
	DistinctOp struct {
		P    Pos
		Cols []Expr
		Star bool
	}
	// CountOp is count.
	CountOp struct {
		P Pos
	}
	// UnionOp is union [kind=] [withsource=] Tables...
	UnionOp struct {
		P          Pos
		Kind       string
		WithSource string
		IsFuzzy    bool
		Tables     []Expr
	}
	// JoinOp is join/lookup kind=K (Right) on Keys.
	JoinOp struct {
		P      Pos
		Lookup bool
		Kind   string
		Right  Expr
		On     []Expr
	}
	// MvExpandOp is mv-expand Items [limit N].
	MvExpandOp struct {
		P         Pos
		Items     []Assign
		ItemIndex string
		Limit     Expr
	}
	// ParseOp is parse [kind=K] X with Pattern.
	ParseOp struct {
		P       Pos
		Kind    string
		Flags   string
		Where   bool
		X       Expr
		Pattern []ParsePiece
	}
	// EvaluateOp is evaluate Plugin(args).
	EvaluateOp struct {
		P    Pos
		Call *Call
	}
	// InvokeOp is invoke F(args): F gets the input as first argument.
	InvokeOp struct {
		P    Pos
		Call *Call
	}
	// AsOp is as Name.
	AsOp struct {
		P    Pos
		Name string
	}
	// IgnoredOp is an operator that does not change the rows (render).
	IgnoredOp struct {
		P    Pos
		Name string
	}
	// UnsupportedOp is an operator the parser accepts but the evaluator
	// cannot run (make-series, top-nested...).
	UnsupportedOp struct {
		P    Pos
		Name string
	}
	// MvApplyOp is mv-apply Items on (Sub).
	MvApplyOp struct {
		P     Pos
		Items []Assign
		Sub   Expr
	}
	// SampleOp is sample N.
	SampleOp struct {
		P Pos
		N Expr
	}
	// GetSchemaOp is getschema.
	GetSchemaOp struct {
		P Pos
	}
	// PrintOp is print Cols (a source).
	PrintOp struct {
		P    Pos
		Cols []Assign
	}
	// DatatableOp is datatable(Cols)[Values] (a source).
	DatatableOp struct {
		P      Pos
		Cols   []value.Column
		Values []Expr
	}
	// ExternalDataOp is externaldata(Cols)[urls] (a source); offline it
	// yields no rows.
	ExternalDataOp struct {
		P    Pos
		Cols []value.Column
	}
	// RangeOp is range Name from A to B step S (a source).
	RangeOp struct {
		P            Pos
		Name         string
		From, To, By Expr
	}
	// FindOp is find [withsource=Name] [in (Tables)] where Pred
	// [project-smart | project Cols [, pack_all()]] (a source). Tables is
	// nil when the in-clause is absent: every table of the catalog.
	FindOp struct {
		P          Pos
		WithSource string
		Tables     []Expr
		Pred       Expr
		// Project lists the columns of a project clause; nil for
		// project-smart (the default).
		Project []value.Column
		PackAll bool
	}
	// MakeSeriesOp is make-series [kind=nonempty] Aggs on Axis [from From]
	// [to To] step Step [by By], or with "in range(From, To, Step)"
	// (InRange: To is inclusive and bins align as bin() does).
	MakeSeriesOp struct {
		P              Pos
		Kind           string
		Aggs           []SeriesAgg
		Axis           Expr
		From, To, Step Expr
		InRange        bool
		By             []Assign
	}
	// TopNestedOp is top-nested Levels, separated by commas.
	TopNestedOp struct {
		P      Pos
		Levels []TopNestedLevel
	}
)

// SeriesAgg is one aggregate of make-series: [Name =] Agg [default = X].
type SeriesAgg struct {
	Assign
	Default Expr
}

// TopNestedLevel is one clause of top-nested: [N] of [Name =] Of [with
// others = Others] by [Name =] By [asc | desc]. N and Others are nil when
// absent.
type TopNestedLevel struct {
	P      Pos
	N      Expr
	Of     Assign
	Others Expr
	By     Assign
	Desc   bool
}

// ParsePiece is one element of a parse pattern: a literal (Lit set), a *
// wildcard (Star), or a column (Name, Type).
type ParsePiece struct {
	Lit   string
	Star  bool
	Name  string
	Type  value.Type
	IsLit bool
}

func (o *WhereOp) opPos() Pos        { return o.P }
func (o *ProjectOp) opPos() Pos      { return o.P }
func (o *NamesOp) opPos() Pos        { return o.P }
func (o *RenameOp) opPos() Pos       { return o.P }
func (o *SummarizeOp) opPos() Pos    { return o.P }
func (o *TopOp) opPos() Pos          { return o.P }
func (o *TakeOp) opPos() Pos         { return o.P }
func (o *SortOp) opPos() Pos         { return o.P }
func (o *DistinctOp) opPos() Pos     { return o.P }
func (o *CountOp) opPos() Pos        { return o.P }
func (o *UnionOp) opPos() Pos        { return o.P }
func (o *JoinOp) opPos() Pos         { return o.P }
func (o *MvExpandOp) opPos() Pos     { return o.P }
func (o *ParseOp) opPos() Pos        { return o.P }
func (o *EvaluateOp) opPos() Pos     { return o.P }
func (o *InvokeOp) opPos() Pos       { return o.P }
func (o *AsOp) opPos() Pos           { return o.P }
func (o *IgnoredOp) opPos() Pos      { return o.P }
func (o *UnsupportedOp) opPos() Pos  { return o.P }
func (o *MvApplyOp) opPos() Pos      { return o.P }
func (o *SampleOp) opPos() Pos       { return o.P }
func (o *GetSchemaOp) opPos() Pos    { return o.P }
func (o *PrintOp) opPos() Pos        { return o.P }
func (o *DatatableOp) opPos() Pos    { return o.P }
func (o *ExternalDataOp) opPos() Pos { return o.P }
func (o *RangeOp) opPos() Pos        { return o.P }
func (o *FindOp) opPos() Pos         { return o.P }
func (o *MakeSeriesOp) opPos() Pos   { return o.P }
func (o *TopNestedOp) opPos() Pos    { return o.P }
