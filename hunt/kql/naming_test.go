package kql

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/loghunt/loghunt/hunt/kql/schema"
	"github.com/loghunt/loghunt/hunt/kql/value"
)

// The engine hands the evaluator the schema's catalog; it must answer the
// naming questions too.
var _ Naming = schema.Adapter[Arg]{}

// fnNaming is a made-up workspace convention: fn_X(...) is a stored
// function returning table X, and names starting with "tbl" are tables.
type fnNaming struct{}

func (fnNaming) CanonicalTable(name string) string { return strings.TrimPrefix(name, "fn_") }
func (fnNaming) TableFunction(name string) bool    { return strings.HasPrefix(name, "fn_") }
func (n fnNaming) TableName(name string) bool {
	return n.TableFunction(name) || strings.HasPrefix(name, "tbl")
}

// TestNaming checks that the language takes every naming convention from
// the Naming it is given and knows none itself.
func TestNaming(t *testing.T) {
	// calls where a scalar is expected: only a table function is a table
	src := `print x = fn_Data(a=1), y = tblNope(1)`
	q := mustParse(t, src)
	if got := q.Tables(nil); len(got) != 0 {
		t.Errorf("Tables(nil) = %v, want none", got)
	}
	if got := strings.Join(q.Tables(fnNaming{}), ","); got != "fn_Data" {
		t.Errorf("Tables(fnNaming) = %s", got)
	}
	// Sentinel's conventions are not the language's
	sq := mustParse(t, `print n = iff(1 == 1, _Im_NetworkSession(starttime=ago(1d)), "")`)
	if got := sq.Tables(nil); len(got) != 0 {
		t.Errorf("Tables(nil) = %v, want none", got)
	}
	if got := strings.Join(sq.Tables(schema.SentinelNaming{}), ","); got != "_Im_NetworkSession" {
		t.Errorf("Tables(SentinelNaming) = %s", got)
	}

	data := &value.Table{Name: "Data", Columns: []value.Column{{Name: "a", Type: value.Long}}, Rows: [][]any{{int64(1)}, {int64(2)}}}
	plain := NewMapCatalog(data)
	named := NewMapCatalog(data).SetNaming(fnNaming{})
	for _, tt := range []struct {
		name  string
		cat   Catalog
		query string
		want  string // result cell, or the error wanted
		err   error
	}{
		{"function served", named, `fn_Data(a=1) | count`, "2", nil},
		{"function as a scalar", named, `print x = fn_Data(a=1)`, "1", nil},
		{"function unknown without naming", plain, `print x = fn_Data(a=1)`, "", ErrUnsupported},
		{"unknown table by name", named, `print y = tblNope(1)`, "", ErrUnknownTable},
		{"unknown function without naming", plain, `print y = tblNope(1)`, "", ErrUnsupported},
	} {
		t.Run(tt.name, func(t *testing.T) {
			res, _, err := mustParse(t, tt.query).Run(context.Background(), tt.cat, Options{Now: testNow})
			if tt.err != nil {
				if !errors.Is(err, tt.err) {
					t.Fatalf("err = %v, want %v", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := toStr(res.Rows[0][0]); got != tt.want {
				t.Errorf("got %s, want %s", got, tt.want)
			}
		})
	}
}
