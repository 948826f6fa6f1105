package kql

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/loghunt/loghunt/hunt/kql/value"
)

// The tables of Kusto's join pages (join-innerunique, join-leftouter, ...):
// X(Key, Value1) = a 1, b 2, b 3, c 4; Y(Key, Value2) = b 10, c 20, c 30,
// d 40. Y6 adds d 41 and e 50, so that the left side is the smaller one;
// X7 adds z 9, z 10 and a 11, so that it is the larger one.
const joinLets = `let X = datatable(Key:string, Value1:long) ['a',1, 'b',2, 'b',3, 'c',4];
let Y = datatable(Key:string, Value2:long) ['b',10, 'c',20, 'c',30, 'd',40];
let Y6 = datatable(Key:string, Value2:long) ['b',10, 'c',20, 'c',30, 'd',40, 'd',41, 'e',50];
let X7 = datatable(Key:string, Value1:long) ['a',1, 'b',2, 'b',3, 'c',4, 'z',9, 'z',10, 'a',11];
`

// TestJoinCount checks join ... | count for every kind against counts made
// by hand from Kusto's documented semantics: inner pairs every left row
// with every right row of its key (b: 2x1, c: 1x2 = 4); innerunique keeps
// one left row per key (b: 1, c: 2 = 3, the page's example); the outer
// kinds add the unmatched rows of their side(s), null-filled; the semi
// joins return the rows of their side that have a match, the anti joins
// those that have none. The count is computed three ways: fused (count
// right after join), materialised (take in between), and through a fused
// summarize count().
func TestJoinCount(t *testing.T) {
	type counts struct{ inner, unique, lo, ro, fo, ls, la, rs, ra int64 }
	tests := []struct {
		name, left, right string
		want              counts
	}{
		// X: a1 b2 b3 c4; Y: b10 c20 c30 d40
		{"same size", "X", "Y", counts{inner: 4, unique: 3, lo: 4 + 1, ro: 4 + 1, fo: 4 + 1 + 1, ls: 3, la: 1, rs: 3, ra: 1}},
		// Y6 adds d41 e50: unmatched right rows are d40 d41 e50
		{"left smaller", "X", "Y6", counts{inner: 4, unique: 3, lo: 4 + 1, ro: 4 + 3, fo: 4 + 1 + 3, ls: 3, la: 1, rs: 3, ra: 3}},
		// X7 adds z9 z10 a11: unmatched left rows are a1 z9 z10 a11
		{"left larger", "X7", "Y", counts{inner: 4, unique: 3, lo: 4 + 4, ro: 4 + 1, fo: 4 + 4 + 1, ls: 3, la: 4, rs: 3, ra: 1}},
	}
	for _, tt := range tests {
		kinds := []struct {
			kind string
			want int64
		}{
			{"inner", tt.want.inner}, {"innerunique", tt.want.unique}, {"leftouter", tt.want.lo},
			{"rightouter", tt.want.ro}, {"fullouter", tt.want.fo}, {"leftsemi", tt.want.ls},
			{"leftanti", tt.want.la}, {"rightsemi", tt.want.rs}, {"rightanti", tt.want.ra},
		}
		for _, k := range kinds {
			t.Run(tt.name+"/"+k.kind, func(t *testing.T) {
				join := fmt.Sprintf("%s | join kind=%s %s on Key", tt.left, k.kind, tt.right)
				for _, q := range []string{
					join + " | count",
					join + " | take 1000 | count",
					join + " | summarize Count = count()",
				} {
					res := runQuery(t, NewMapCatalog(), joinLets+q)
					if len(res.Rows) != 1 || res.Rows[0][0] != k.want {
						t.Errorf("%s: got %v, want %d", q, res.Rows, k.want)
					}
				}
			})
		}
	}
	// the default kind is innerunique
	res := runQuery(t, NewMapCatalog(), joinLets+"X | join Y on Key | count")
	if res.Rows[0][0] != int64(3) {
		t.Errorf("default kind: got %v, want 3", res.Rows[0][0])
	}
}

// TestJoinSummarizeFused checks that summarize right after a join (which
// never materialises the joined rows) gives what it gives over them.
func TestJoinSummarizeFused(t *testing.T) {
	for _, kind := range []string{"inner", "innerunique", "leftouter", "rightouter", "fullouter", "leftsemi", "rightanti"} {
		join := joinLets + "X7 | join kind=" + kind + " Y6 on Key"
		agg := " | summarize n = count(), s = sum(Value1), l = make_list(Value1) by Key | order by Key asc"
		fused := runQuery(t, NewMapCatalog(), join+agg)
		mat := runQuery(t, NewMapCatalog(), join+" | take 1000"+agg)
		if f, m := fmt.Sprint(fused.Columns, fused.Rows), fmt.Sprint(mat.Columns, mat.Rows); f != m {
			t.Errorf("%s: fused %s\nmaterialised %s", kind, f, m)
		}
	}
	// hand-checked: inner of X7 and Y6 by key is b: 2 rows (Value1 2, 3),
	// c: 2 rows (Value1 4, 4)
	res := runQuery(t, NewMapCatalog(), joinLets+"X7 | join kind=inner Y6 on Key | summarize n = count(), s = sum(Value1) by Key | order by Key asc")
	if got := fmt.Sprint(res.Rows); got != "[[b 2 5] [c 2 8]]" {
		t.Errorf("inner summarize: %s", got)
	}
}

// bigTable has n rows of one key (a full cross product on a self-join),
// with an id, a name and a number.
func bigTable(name string, n int) *value.Table {
	t := &value.Table{Name: name, Columns: []value.Column{
		{Name: "DeviceName", Type: value.String}, {Name: "Id", Type: value.Long},
		{Name: "Name", Type: value.String}, {Name: "Items", Type: value.Dynamic},
	}}
	for i := 0; i < n; i++ {
		t.Rows = append(t.Rows, []any{"host", int64(i), fmt.Sprintf("n%d", i%97), []any{int64(1), int64(2), int64(3)}})
	}
	return t
}

func TestMemoryBudget(t *testing.T) {
	cat := NewMapCatalog(bigTable("T", 2000))
	src := "T\n| join kind=inner (T) on DeviceName\n| project Id, Id1"
	q := mustParse(t, src)
	mem := NewMemoryLimit(4 << 20)
	_, _, err := q.Run(context.Background(), cat, Options{Now: testNow, Memory: mem})
	var be *BudgetError
	if !errors.As(err, &be) || !errors.Is(err, ErrMemoryBudget) {
		t.Fatalf("err = %v, want a *BudgetError for memory", err)
	}
	if be.Op != "join" || be.Line != 2 || be.Col != 3 {
		t.Errorf("budget error names %s at %d:%d, want join at 2:3", be.Op, be.Line, be.Col)
	}
	want := "join at 2:3 exceeded 4 MiB; narrow the join keys or raise --max-memory"
	if err.Error() != want {
		t.Errorf("message %q, want %q", err.Error(), want)
	}
	if mem.Used() != 0 {
		t.Errorf("the failed query still holds %d bytes of the budget", mem.Used())
	}
	if mem.Peak() > 4<<20 {
		t.Errorf("peak %d above the budget", mem.Peak())
	}

	// The fused count needs no cross product: 2000 x 2000 rows counted
	// within the same budget.
	res, _, err := mustParse(t, "T | join kind=inner (T) on DeviceName | count").Run(context.Background(), cat, Options{Now: testNow, Memory: mem})
	if err != nil {
		t.Fatal(err)
	}
	if res.Rows[0][0] != int64(2000*2000) {
		t.Errorf("count = %v, want %d", res.Rows[0][0], 2000*2000)
	}

	// A budget that holds the query: every byte is given back at the end.
	big := NewMemoryLimit(1 << 30)
	res, _, err = mustParse(t, "T | where Id < 100 | join kind=inner (T | where Id < 50) on DeviceName | extend x = Id * 2 | summarize count() by Name").Run(context.Background(), cat, Options{Now: testNow, Memory: big})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Rows) != 97 {
		t.Errorf("groups = %d, want 97", len(res.Rows))
	}
	if big.Peak() == 0 || big.Used() != 0 {
		t.Errorf("peak %d, still used %d: want a peak above 0 and nothing held after Run", big.Peak(), big.Used())
	}

	// Each operator that materialises rows is governed and named.
	for _, tt := range []struct {
		src, op string
		limit   int64
	}{
		{"T | mv-expand Items | mv-expand Items2 = Items", "mv-expand", 1 << 20},
		{"T | extend a = strcat(Name, 'x'), b = Id + 1, c = Id * 2", "extend", 128 << 10},
		{"range x from 1 to 1000000 step 1", "range", 1 << 20},
		{"T | join kind=inner (T | project DeviceName, Id2 = Id) on DeviceName | summarize by Id, Id2", "summarize", 1 << 20},
	} {
		_, _, err := mustParse(t, tt.src).Run(context.Background(), cat, Options{Now: testNow, Memory: NewMemoryLimit(tt.limit)})
		if !errors.As(err, &be) || be.Op != tt.op {
			t.Errorf("%s: err = %v, want a budget error of %s", tt.src, err, tt.op)
		}
	}
}

func TestTimeBudget(t *testing.T) {
	cat := NewMapCatalog(bigTable("T", 2000))
	// An expired time budget stops the query with the time error.
	_, _, err := mustParse(t, "T | join kind=inner (T) on DeviceName | project Id").Run(context.Background(), cat, Options{Now: testNow, Timeout: time.Nanosecond})
	var be *BudgetError
	if !errors.As(err, &be) || !errors.Is(err, ErrTimeBudget) {
		t.Fatalf("err = %v, want a *BudgetError for time", err)
	}
	// The operator running when the budget runs out is named.
	ctx, cancel := context.WithTimeoutCause(context.Background(), 0, errTimeout)
	defer cancel()
	r := newRun(ctx, cat, Options{Timeout: 5 * time.Minute})
	r.enter("join", Pos{Line: 3, Col: 5})
	err = catch(func() { r.checkCtx(Pos{Line: 1, Col: 1}) })
	want := "join at 3:5 exceeded the time budget of 5m0s; narrow the join keys or raise --kql-timeout"
	if err == nil || err.Error() != want {
		t.Errorf("got %v, want %q", err, want)
	}
	// The caller's own cancellation is not a budget error.
	ctx2, cancel2 := context.WithCancel(context.Background())
	cancel2()
	_, _, err = mustParse(t, "T | count").Run(ctx2, cat, Options{Timeout: time.Hour})
	if !errors.Is(err, context.Canceled) || errors.Is(err, ErrTimeBudget) {
		t.Errorf("cancelled: err = %v", err)
	}
}

func catch(f func()) (err error) {
	defer func() {
		if rec := recover(); rec != nil {
			b, ok := rec.(bailout)
			if !ok {
				panic(rec)
			}
			err = b.err
		}
	}()
	f()
	return nil
}

// cancelCatalog serves tables and cancels the query's context once it has
// handed out the last table the query reads: from then on, only the
// checks inside the operator loops can notice.
type cancelCatalog struct {
	*MapCatalog
	mu     sync.Mutex
	calls  int
	after  int
	cancel context.CancelFunc
}

func (c *cancelCatalog) Table(name string, args []Arg) (*value.Table, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls++
	if c.calls == c.after {
		c.cancel()
	}
	return c.MapCatalog.Table(name, args)
}

// TestCancelInOperators cancels a query after its input has been read and
// before its one operator has finished: every operator loop checks the
// context, so each query returns context.Canceled instead of its result.
func TestCancelInOperators(t *testing.T) {
	const n = 20000
	base := NewMapCatalog(bigTable("T", n))
	tests := []struct {
		src    string
		tables int // tables read before the operator loops
	}{
		{"T | where Id >= 0", 1},
		{"T | project Id, Name", 1},
		{"T | extend x = Id * 2", 1},
		{"T | summarize count() by Name", 1},
		{"T | sort by Id asc", 1},
		{"T | distinct Name", 1},
		{"T | mv-expand Items", 1},
		{"T | join kind=inner (T) on Id | project Id", 2},
		{"T | join kind=fullouter (T) on Name | count", 2},
		{"T | join kind=inner (T) on Id | summarize count() by Name", 2},
		{"T | join kind=leftsemi (T) on Id", 2},
		{"T | union T", 2},
		{"T | parse Name with 'n' num:long", 1},
		{"T | make-series count() default=0 on Id from 0 to 20000 step 1 by Name", 1},
		{"T | top-nested 3 of Name by count()", 1},
		{"T | evaluate pivot(Name)", 1},
		{"T | project-away Items", 1},
	}
	for _, tt := range tests {
		t.Run(tt.src, func(t *testing.T) {
			// without cancellation the query runs to the end
			if _, _, err := mustParse(t, tt.src).Run(context.Background(), base, Options{Now: testNow}); err != nil {
				t.Fatalf("uncancelled: %v", err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			cat := &cancelCatalog{MapCatalog: base, after: tt.tables, cancel: cancel}
			_, _, err := mustParse(t, tt.src).Run(ctx, cat, Options{Now: testNow})
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("err = %v, want context.Canceled", err)
			}
			if cat.calls != tt.tables {
				t.Fatalf("read %d tables, want %d", cat.calls, tt.tables)
			}
		})
	}
}

func TestFormatBytes(t *testing.T) {
	for n, want := range map[int64]string{512 << 20: "512 MiB", 1 << 30: "1 GiB", 3 << 29: "1.5 GiB", 300 << 10: "300 KiB", 100: "100 bytes"} {
		if got := formatBytes(n); got != want {
			t.Errorf("formatBytes(%d) = %q, want %q", n, got, want)
		}
	}
	if !strings.Contains(hintFor("join"), "join keys") {
		t.Error("join hint")
	}
}
