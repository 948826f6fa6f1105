package kql

import (
	"strings"
	"testing"
)

// TestNullSemantics checks every comparison operator, not(), and/or and the
// null tests against Kusto's "Null values" page
// (https://learn.microsoft.com/en-us/kusto/query/scalar-data-types/null-values):
//   - == of a null and a non-null value is false, != is true; both sides
//     null give bool(null) for == and != alike;
//   - every other binary operator with a null operand gives null ("sticky"),
//     so <, <=, >, >= and between are null; the page's own example has
//     `val > 3` null for a null val;
//   - and is false when one side is false, or is true when one side is
//     true, otherwise null propagates; not(null) is null;
//   - in is the or of == over its list, !in the and of !=;
//   - where keeps a row only when the predicate is true (null counts as
//     false).
//
// Strings are never null in KQL (same page): the string operators (=~, !~,
// has, contains, startswith, endswith, in~ ...) see a null dynamic value
// as tostring(null), the empty string, and always give true or false.
//
// The expectations are worked out by hand from those rules.
func TestNullSemantics(t *testing.T) {
	tests := []struct{ expr, want string }{
		// the repro and its mirror image
		{`int(null) != 5`, "true"},
		{`int(null) == 5`, "false"},
		{`5 != int(null)`, "true"},
		{`5 == int(null)`, "false"},
		{`long(null) != 445`, "true"},
		{`real(null) == 1.5`, "false"},
		{`real(null) != 1.5`, "true"},
		{`datetime(null) == datetime(2024-01-01)`, "false"},
		{`datetime(null) != datetime(2024-01-01)`, "true"},
		{`timespan(null) != 1h`, "true"},
		{`bool(null) == true`, "false"},
		{`bool(null) != false`, "true"},
		// a null dynamic against a string constant (the compiled fast path)
		{`dynamic(null) == "a"`, "false"},
		{`dynamic(null) != "a"`, "true"},
		{`parse_json('{"a":1}').b == "x"`, "false"},
		{`parse_json('{"a":1}').b != "x"`, "true"},
		// both null: bool(null)
		{`int(null) == int(null)`, "<null>"},
		{`int(null) != int(null)`, "<null>"},
		// ordering operators are null with a null operand
		{`int(null) < 5`, "<null>"},
		{`int(null) <= 5`, "<null>"},
		{`int(null) > 5`, "<null>"},
		{`int(null) >= 5`, "<null>"},
		{`5 > int(null)`, "<null>"},
		{`datetime(null) > datetime(2024-01-01)`, "<null>"},
		{`int(null) between (1 .. 10)`, "<null>"},
		{`int(null) !between (1 .. 10)`, "<null>"},
		{`5 between (int(null) .. 10)`, "<null>"},
		// not()
		{`not(bool(null))`, "<null>"},
		{`not(int(null) == 5)`, "true"},
		{`not(int(null) != 5)`, "false"},
		{`not(int(null) > 5)`, "<null>"},
		// and / or
		{`bool(null) and true`, "<null>"},
		{`true and bool(null)`, "<null>"},
		{`bool(null) and false`, "false"},
		{`false and bool(null)`, "false"},
		{`bool(null) or true`, "true"},
		{`true or bool(null)`, "true"},
		{`bool(null) or false`, "<null>"},
		{`int(null) > 3 or isnull(int(null))`, "true"},
		// isnull / isnotnull of comparison results
		{`isnull(int(null) > 3)`, "true"},
		{`isnull(int(null) == 3)`, "false"},
		{`isnotnull(int(null) != 3)`, "true"},
		// in / !in: or of ==, and of !=
		{`int(null) in (1, 2)`, "false"},
		{`int(null) !in (1, 2)`, "true"},
		{`int(null) in (1, int(null))`, "<null>"},
		{`int(null) !in (1, int(null))`, "<null>"},
		{`5 in (1, int(null))`, "false"},
		{`5 in (5, int(null))`, "true"},
		{`5 !in (1, int(null))`, "true"},
		{`dynamic(null) in ("a", "b")`, "false"},
		{`dynamic(null) !in ("a", "b")`, "true"},
		// string operators: strings are never null, null dynamic is ""
		{`dynamic(null) =~ "a"`, "false"},
		{`dynamic(null) !~ "a"`, "true"},
		{`dynamic(null) =~ ""`, "true"},
		{`dynamic(null) has "a"`, "false"},
		{`dynamic(null) !has "a"`, "true"},
		{`dynamic(null) contains "a"`, "false"},
		{`dynamic(null) !contains "a"`, "true"},
		{`dynamic(null) startswith "a"`, "false"},
		{`dynamic(null) !startswith "a"`, "true"},
		{`dynamic(null) endswith "a"`, "false"},
		{`dynamic(null) has_any ("a", "b")`, "false"},
		{`dynamic(null) in~ ("a", "b")`, "false"},
		{`dynamic(null) !in~ ("a", "b")`, "true"},
		{`isnull("")`, "false"},
		{`isempty(dynamic(null))`, "true"},
	}
	for _, tt := range tests {
		t.Run(tt.expr, func(t *testing.T) {
			if got := scalar(t, tt.expr); got != tt.want {
				t.Errorf("%s = %s, want %s", tt.expr, got, tt.want)
			}
		})
	}
}

// TestNullSemanticsDocExamples runs the two examples of the "Null values"
// page with the outputs it prints.
func TestNullSemanticsDocExamples(t *testing.T) {
	cat := NewMapCatalog()
	q := mustParse(t, `datatable(val:int)[5, int(null)]
| extend IsBiggerThan3 = val > 3
| extend IsBiggerThan3OrNull = val > 3 or isnull(val)
| extend IsEqualToNull = val == int(null)
| extend IsNotEqualToNull = val != int(null)`)
	res, _ := mustRun(t, q, cat)
	var got []string
	for _, row := range res.Rows {
		var cells []string
		for _, v := range row {
			if v == nil {
				cells = append(cells, "null")
			} else {
				cells = append(cells, toStr(v))
			}
		}
		got = append(got, strings.Join(cells, "|"))
	}
	// the page's output table
	want := "5|true|true|false|true;null|null|true|null|null"
	if g := strings.Join(got, ";"); g != want {
		t.Errorf("got %s, want %s", g, want)
	}

	// "where ival != 5" keeps the row whose ival is null
	q = mustParse(t, `datatable(ival:int, sval:string)[5, "a", int(null), "b"] | where ival != 5`)
	res, _ = mustRun(t, q, cat)
	if s := strings.Join(column(t, res, "sval"), ","); s != "b" {
		t.Errorf("where ival != 5: sval = %s, want b", s)
	}
	// and print ne = int(null) != 5, eq = int(null) == 5 gives true, false
	q = mustParse(t, `print ne = int(null) != 5, eq = int(null) == 5`)
	res, _ = mustRun(t, q, cat)
	if ne, eq := column(t, res, "ne"), column(t, res, "eq"); ne[0] != "true" || eq[0] != "false" {
		t.Errorf("print ne, eq = %s, %s; want true, false", ne[0], eq[0])
	}
}
