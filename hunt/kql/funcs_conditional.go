package kql

import "github.com/loghunt/loghunt/hunt/kql/value"

// conditionalFuncs are the builtins that choose a value or test for one:
// iff, case, coalesce and the empty and null tests.
var conditionalFuncs = map[string]builtin{
	"iff": {3, 3, value.Dynamic, fnIff},
	"iif": {3, 3, value.Dynamic, fnIff},
	"case": {3, -1, value.Dynamic, func(a []any) any {
		for i := 0; i+1 < len(a); i += 2 {
			if truthy(a[i]) {
				return a[i+1]
			}
		}
		return a[len(a)-1]
	}},
	"isempty":    {1, 1, value.Bool, func(a []any) any { return isEmpty(a[0]) }},
	"isnotempty": {1, 1, value.Bool, fnIsNotEmpty},
	"notempty":   {1, 1, value.Bool, fnIsNotEmpty},
	"isnull":     {1, 1, value.Bool, func(a []any) any { return a[0] == nil }},
	"isnotnull":  {1, 1, value.Bool, fnIsNotNull},
	"notnull":    {1, 1, value.Bool, fnIsNotNull},
	"not": {1, 1, value.Bool, func(a []any) any {
		if b, ok := a[0].(bool); ok {
			return !b
		}
		return nil
	}},
	"coalesce": {1, -1, value.Dynamic, func(a []any) any {
		for _, v := range a {
			if !isEmpty(v) {
				return v
			}
		}
		return a[len(a)-1]
	}},
}

func fnIff(a []any) any {
	if truthy(a[0]) {
		return a[1]
	}
	return a[2]
}

func fnIsNotEmpty(a []any) any {
	return !isEmpty(a[0])
}

func fnIsNotNull(a []any) any {
	return a[0] != nil
}

func isEmpty(v any) bool {
	switch x := v.(type) {
	case nil:
		return true
	case string:
		return x == ""
	case float64:
		return x != x
	}
	return false
}
