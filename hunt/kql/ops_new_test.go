package kql

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/loghunt/loghunt/hunt/kql/value"
)

// runQuery runs src over cat and returns the result or fails the test.
func runQuery(t *testing.T, cat Catalog, src string) *value.Table {
	t.Helper()
	res, _ := mustRun(t, mustParse(t, src), cat)
	return res
}

// runErr runs src over cat and returns its error.
func runErr(t *testing.T, cat Catalog, src string) error {
	t.Helper()
	_, _, err := mustParse(t, src).Run(context.Background(), cat, Options{Now: testNow})
	return err
}

func columnNames(res *value.Table) string {
	var names []string
	for _, c := range res.Columns {
		names = append(names, c.Name)
	}
	return strings.Join(names, ",")
}

// TestMakeSeries follows the make-series page
// (https://learn.microsoft.com/en-us/kusto/query/make-series-operator):
// bins start, start+step, ... below the exclusive end; a bin without rows
// holds DefaultValue, 0 unless given; without from/to the series span the
// bins that have data; "in range(start, stop, step)" bins both ends as
// bin() does and includes stop; kind=nonempty yields a row for an empty
// input; the output is the by-columns, the aggregate arrays, then the axis
// array. The expected arrays are counted by hand.
func TestMakeSeries(t *testing.T) {
	cat := NewMapCatalog()
	events := `datatable(T:datetime, Host:string, N:long)[
 datetime(2024-01-01 00:10), "a", 1,
 datetime(2024-01-01 00:50), "a", 2,
 datetime(2024-01-01 02:05), "a", 4,
 datetime(2024-01-01 01:30), "b", 8,
 datetime(2024-01-01 05:00), "b", 16]`
	tests := []struct {
		name, query string
		cols        string
		want        map[string]string // column -> rows joined by ;
	}{
		{"by-from-to-default", events + `
| make-series c = count(), s = sum(N) default = -1 on T from datetime(2024-01-01 00:00) to datetime(2024-01-01 03:00) step 1h by Host
| order by Host asc`, "Host,c,s,T", map[string]string{
			// a: 00:10+00:50 in bin 0, 02:05 in bin 2; b: 01:30 in bin 1, 05:00 past the end
			"c": "[2,0,1];[0,1,0]",
			"s": "[3,-1,4];[-1,8,-1]",
			"T": `["2024-01-01T00:00:00Z","2024-01-01T01:00:00Z","2024-01-01T02:00:00Z"];["2024-01-01T00:00:00Z","2024-01-01T01:00:00Z","2024-01-01T02:00:00Z"]`,
		}},
		{"range-from-data", events + `| make-series count() on T step 1h`, "count_,T", map[string]string{
			// bins 00:00 (the bin of 00:10) to 05:00 (the bin of the last row)
			"count_": "[2,1,1,0,0,1]",
		}},
		{"numeric-end-exclusive", `range x from 1 to 10 step 1 | make-series s = sum(x) on x from 0 to 10 step 4`, "s,x", map[string]string{
			// [0,4): 1+2+3, [4,8): 4+5+6+7, [8,10): 8+9 (10 is the exclusive end)
			"s": "[6,22,17]", "x": "[0,4,8]",
		}},
		{"in-range", `range x from 1 to 10 step 1 | make-series s = sum(x) on x in range(1, 9, 4)`, "s,x", map[string]string{
			// start bin(1, 4) = 0, stop 9 inclusive: bins 0, 4, 8 up to 12
			"s": "[6,22,27]", "x": "[0,4,8]",
		}},
		{"avg-default-real", `datatable(x:long, v:long)[0, 2, 0, 4, 2, 6] | make-series a = avg(v) on x from 0 to 3 step 1`, "a,x", map[string]string{
			"a": "[3,0,6]",
		}},
		{"empty-input", `datatable(T:datetime)[] | make-series c = count() on T from datetime(2024-01-01) to datetime(2024-01-03) step 1d`, "c,T", map[string]string{
			"c": "",
		}},
		{"nonempty", `datatable(T:datetime)[] | make-series kind=nonempty c = count() on T from datetime(2024-01-01) to datetime(2024-01-03) step 1d`, "c,T", map[string]string{
			"c": "[0,0]",
			"T": `["2024-01-01T00:00:00Z","2024-01-02T00:00:00Z"]`,
		}},
		{"mv-expand-after", events + `| make-series c = count() on T from datetime(2024-01-01) to datetime(2024-01-01 03:00) step 1h
| mv-expand c to typeof(long), T to typeof(datetime) | where c > 0 | project T`, "T", map[string]string{
			"T": "2024-01-01T00:00:00Z;2024-01-01T01:00:00Z;2024-01-01T02:00:00Z",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := runQuery(t, cat, tt.query)
			if got := columnNames(res); got != tt.cols {
				t.Errorf("columns %s, want %s", got, tt.cols)
			}
			for col, want := range tt.want {
				if got := strings.Join(column(t, res, col), ";"); got != want {
					t.Errorf("%s = %s, want %s", col, got, want)
				}
			}
		})
	}
}

// TestMakeSeriesBounded: a tiny step over a huge range, or many groups of
// long series, is an error naming the limit, never an allocation.
func TestMakeSeriesBounded(t *testing.T) {
	cat := NewMapCatalog()
	for _, src := range []string{
		`range x from 1 to 2 step 1 | make-series count() on x from 0 to 1000000000 step 1`,
		`print T = datetime(2024-01-01) | make-series count() on T from datetime(2000-01-01) to datetime(2024-01-02) step 1s`,
		`print T = datetime(2024-01-01) | make-series count() on T step 0s`,
		`range x from 1 to 5000 step 1 | extend y = x % 1000 | make-series count() on y from 0 to 1000 step 1 by x`,
	} {
		err := runErr(t, cat, src)
		if err == nil || !strings.Contains(err.Error(), "make-series") {
			t.Errorf("%s: error %v, want a make-series limit", src, err)
		}
	}
}

// TestTopNested follows the top-nested page
// (https://learn.microsoft.com/en-us/kusto/query/top-nested-operator):
// each clause keeps the top N values of its expression by the aggregate
// within the groups kept by the clause before; the aggregate column is
// aggregated_<name> unless named; "with others" adds a row aggregating the
// rest. Sums worked out by hand: TX a=7 b=1 (8); KS a=4 c=3 (7); OK b=1.
func TestTopNested(t *testing.T) {
	cat := NewMapCatalog()
	data := `datatable(State:string, Source:string, V:long)[
 "TX","a",5, "TX","b",1, "TX","a",2,
 "KS","a",4, "KS","c",3,
 "OK","b",1]`
	tests := []struct {
		name, query string
		cols        string
		rows        string
	}{
		{"two-levels", data + `| top-nested 2 of State by sum(V), top-nested 1 of Source by sum(V)`,
			"State,aggregated_State,Source,aggregated_Source", "TX,8,a,7;KS,7,a,4"},
		{"others", data + `| top-nested 1 of State with others = "Other" by n = count()`,
			"State,n", "TX,3;Other,3"},
		{"asc", data + `| top-nested 1 of State by sum(V) asc`, "State,aggregated_State", "OK,1"},
		{"all-values", data + `| top-nested of Source by count()`, "Source,aggregated_Source", "a,3;b,2;c,1"},
		{"named-of", data + `| top-nested 1 of S = tolower(State) by m = max(V)`, "S,m", "tx,5"},
		{"others-below", data + `| top-nested 1 of State with others = "rest" by sum(V), top-nested 1 of Source by sum(V)`,
			"State,aggregated_State,Source,aggregated_Source", "TX,8,a,7;rest,8,,"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := runQuery(t, cat, tt.query)
			if got := columnNames(res); got != tt.cols {
				t.Errorf("columns %s, want %s", got, tt.cols)
			}
			var rows []string
			for _, r := range res.Rows {
				var cells []string
				for _, v := range r {
					cells = append(cells, toStr(v))
				}
				rows = append(rows, strings.Join(cells, ","))
			}
			if got := strings.Join(rows, ";"); got != tt.rows {
				t.Errorf("rows %s, want %s", got, tt.rows)
			}
		})
	}
}

// TestFind follows the find page
// (https://learn.microsoft.com/en-us/kusto/query/find-operator): the rows of
// every table where the predicate holds, a source_ column (or withsource=)
// naming the table, and with project-smart the predicate's columns, the
// columns common to all tables and pack_ with the rest. A column a table
// lacks is null there, as in a union: B != "h" holds on T1's rows.
func TestFind(t *testing.T) {
	t1 := &value.Table{Name: "T1", Columns: []value.Column{{Name: "A", Type: value.String}, {Name: "X", Type: value.Long}},
		Rows: [][]any{{"h", int64(1)}, {"z", int64(2)}}}
	t2 := &value.Table{Name: "T2", Columns: []value.Column{{Name: "B", Type: value.String}, {Name: "X", Type: value.Long}},
		Rows: [][]any{{"h", int64(3)}, {"q", int64(4)}}}
	cat := NewMapCatalog(t1, t2)
	tests := []struct {
		name, query string
		cols        string
		want        map[string]string
	}{
		{"smart", `find in (T1, T2) where A == "h" or B == "h"`, "source_,A,B,X,pack_",
			map[string]string{"source_": "T1,T2", "X": "1,3", "A": "h,", "B": ",h", "pack_": "{},{}"}},
		{"project-withsource", `find withsource=Src in (T1, T2) where X > 1 project X, A`, "Src,X,A",
			map[string]string{"Src": "T1,T2,T2", "X": "2,3,4", "A": "z,,"}},
		{"all-tables-pack", `find where X == 4`, "source_,X,pack_",
			map[string]string{"source_": "T2", "pack_": `{"B":"q"}`}},
		{"missing-column-null", `find in (T1, T2) where B != "h" | project source_, X`, "source_,X",
			map[string]string{"X": "1,2,4"}},
		{"let-and-pipe", `let v = 2; find in (T1, (T2 | where X > 3)) where X >= v | count`, "Count",
			map[string]string{"Count": "2"}},
		{"pack_all", `find in (T1) where X == 1 project X, pack_all()`, "source_,X,pack_",
			map[string]string{"pack_": `{"A":"h"}`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := runQuery(t, cat, tt.query)
			if got := columnNames(res); got != tt.cols {
				t.Errorf("columns %s, want %s", got, tt.cols)
			}
			for col, want := range tt.want {
				if got := strings.Join(column(t, res, col), ","); got != want {
					t.Errorf("%s = %s, want %s", col, got, want)
				}
			}
		})
	}
	// find without in over a catalog that cannot list its tables
	var plain struct{ Catalog }
	plain.Catalog = cat
	if err := runErr(t, plain, `find where X == 4`); !errors.Is(err, ErrUnsupported) {
		t.Errorf("find without in over an unlisted catalog: %v", err)
	}
	if q := mustParse(t, `find where X == 4`); !q.ReadsEveryTable() {
		t.Error("ReadsEveryTable() = false for find without in")
	}
	if q := mustParse(t, `find in (T1) where X == 4`); q.ReadsEveryTable() {
		t.Error("ReadsEveryTable() = true for find in (T1)")
	}
}

// TestCheckNewOperators: the semantic checker sees through make-series,
// top-nested and find.
func TestCheckNewOperators(t *testing.T) {
	cat := NewMapCatalog(processTable())
	for _, src := range []string{
		`DeviceProcessEvents | make-series count() on Timestamp step 1h by Bogus`,
		`DeviceProcessEvents | top-nested 2 of Bogus by count()`,
		`find in (DeviceProcessEvents) where Bogus == 1`,
	} {
		ws := Check(mustParse(t, src), cat)
		found := false
		for _, w := range ws {
			found = found || strings.Contains(w.Msg, "Bogus")
		}
		if !found {
			t.Errorf("Check(%s) = %v, want a warning about Bogus", src, ws)
		}
	}
	if got := strings.Join(mustParse(t, `find in (DeviceProcessEvents, (DeviceNetworkEvents | take 1)) where x == 1`).Tables(nil), ","); got != "DeviceProcessEvents,DeviceNetworkEvents" {
		t.Errorf("Tables() = %s", got)
	}
}

// TestPivot follows the pivot plugin page
// (https://learn.microsoft.com/en-us/kusto/query/pivot-plugin): one column
// per distinct value of the pivot column, holding the aggregation (count()
// by default) per group of the other columns. Counted by hand.
func TestPivot(t *testing.T) {
	cat := NewMapCatalog()
	data := `datatable(Host:string, Key:string, Value:string)["h1","Image","a.exe", "h1","PipeName","p1", "h2","Image","b.exe", "h1","Image","c.exe"]`
	tests := []struct {
		name, query, cols, rows string
	}{
		{"count-by-rest", data + `| evaluate pivot(Key)`, "Host,Value,Image,PipeName",
			"h1,a.exe,1,0;h1,p1,0,1;h2,b.exe,1,0;h1,c.exe,1,0"},
		{"max-by-host", data + `| evaluate pivot(Key, max(Value), Host)`, "Host,Image,PipeName",
			"h1,c.exe,p1;h2,b.exe,"},
		{"then-columns", data + `| where Value != "c.exe" | evaluate pivot(Key, any(Value), Host) | where Image == "a.exe" | project PipeName`, "PipeName",
			"p1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := runQuery(t, cat, tt.query)
			if got := columnNames(res); got != tt.cols {
				t.Errorf("columns %s, want %s", got, tt.cols)
			}
			var rows []string
			for _, r := range res.Rows {
				var cells []string
				for _, v := range r {
					cells = append(cells, toStr(v))
				}
				rows = append(rows, strings.Join(cells, ","))
			}
			if got := strings.Join(rows, ";"); got != tt.rows {
				t.Errorf("rows %s, want %s", got, tt.rows)
			}
		})
	}
}

// TestSeriesFunctions runs the examples of the series_fill_* pages with
// their documented outputs, and series_stats_dynamic on a series whose
// statistics are worked out by hand (sample variance: 5/3).
func TestSeriesFunctions(t *testing.T) {
	tests := []struct{ expr, want string }{
		{`series_fill_const(dynamic([111, null, 36, 41, 23, null, 16, 61, 33, null, null]), -1)`, "[111,-1,36,41,23,-1,16,61,33,-1,-1]"},
		{`series_fill_const(dynamic([1, 0, 2]), 9, 0)`, "[1,9,2]"},
		{`series_fill_forward(dynamic([null, null, 36, 41, null, null, 16, 61, 33, null, null]))`, "[null,null,36,41,41,41,16,61,33,33,33]"},
		{`series_fill_backward(dynamic([null, null, 36, 41, null, null, 16, 61, 33, null, null]))`, "[36,36,36,41,16,16,16,61,33,null,null]"},
		// the page prints 32.667 and 24.333: 41 + (16-41)*1/3 and *2/3 in float64
		{`series_fill_linear(dynamic([null, 111.0, null, 36.0, 41.0, null, null, 16.0, 61.0, 33.0, null, null]))`, "[111,111,73.5,36,41,32.666666666666664,24.333333333333332,16,61,33,33,33]"},
		{`series_fill_linear(dynamic([null, 1, null, 3, null]), double(null), false)`, "[null,1,2,3,null]"},
		{`series_stats_dynamic(dynamic([1, 2, 3, 4]))`, `{"avg":2.5,"max":4,"max_idx":3,"min":1,"min_idx":0,"stdev":1.2909944487358056,"variance":1.6666666666666667}`},
		{`series_stats_dynamic(dynamic([3, "x", 1]))["min_idx"]`, "2"},
	}
	for _, tt := range tests {
		t.Run(tt.expr, func(t *testing.T) {
			if got := scalar(t, tt.expr); got != tt.want {
				t.Errorf("%s = %s, want %s", tt.expr, got, tt.want)
			}
		})
	}
}

// TestArgMaxTupleNames: (A, B) = arg_max(X, Y) names arg_max's columns A
// and B (the summarize page's tuple assignment), as corpus query 203 does.
func TestArgMaxTupleNames(t *testing.T) {
	res := runQuery(t, NewMapCatalog(), `datatable(G:string, T:long, Act:string)["x", 1, "a", "x", 5, "b", "y", 2, "c"]
| summarize (LastT, LastAct) = arg_max(T, Act) by G | order by G asc`)
	if got := columnNames(res); got != "G,LastT,LastAct" {
		t.Fatalf("columns %s", got)
	}
	if got := strings.Join(column(t, res, "LastAct"), ","); got != "b,c" {
		t.Errorf("LastAct = %s, want b,c", got)
	}
}
