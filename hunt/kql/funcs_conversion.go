package kql

import (
	"math"
	"strconv"
	"time"

	"github.com/loghunt/loghunt/hunt/kql/value"
)

// conversionFuncs are the builtins that convert a value to a type (tostring,
// tolong, todynamic, ...) or name its type.
var conversionFuncs = map[string]builtin{
	"tostring":   {1, 1, value.String, func(a []any) any { return toStr(a[0]) }},
	"toint":      {1, 1, value.Long, fnToLong},
	"tolong":     {1, 1, value.Long, fnToLong},
	"toreal":     {1, 1, value.Real, fnToReal},
	"todouble":   {1, 1, value.Real, fnToReal},
	"todecimal":  {1, 1, value.Real, fnToReal},
	"todatetime": {1, 1, value.DateTime, func(a []any) any { v, _ := toDateTime(a[0]); return v }},
	"totimespan": {1, 1, value.TimeSpan, fnToTimeSpan},
	"totime":     {1, 1, value.TimeSpan, fnToTimeSpan},
	"tobool":     {1, 1, value.Bool, fnToBool},
	"toboolean":  {1, 1, value.Bool, fnToBool},
	"toguid":     {1, 1, value.String, func(a []any) any { return toStr(a[0]) }},
	"todynamic":  {1, 1, value.Dynamic, fnToDynamic},
	"parse_json": {1, 1, value.Dynamic, fnToDynamic},
	"parsejson":  {1, 1, value.Dynamic, fnToDynamic},
	"gettype":    {1, 1, value.String, fnTypeOf},
	"typeof":     {1, 1, value.String, fnTypeOf},
	"tohex": {1, 2, value.String, func(a []any) any {
		v, ok := toLong(a[0])
		if !ok {
			return nil
		}
		return strconv.FormatInt(v.(int64), 16)
	}},
	"new_guid": {0, 0, value.String, func(a []any) any { return "00000000-0000-0000-0000-000000000000" }},
}

func fnToLong(a []any) any {
	v, _ := toLong(a[0])
	return v
}

func fnToReal(a []any) any {
	v, _ := toReal(a[0])
	return v
}

func fnToTimeSpan(a []any) any {
	v, _ := toTimeSpan(a[0])
	return v
}

func fnToBool(a []any) any {
	if v, ok := toBool(a[0]); ok {
		return v
	}
	return nil
}

func fnToDynamic(a []any) any {
	return parseJSON(a[0])
}

func fnTypeOf(a []any) any {
	return kqlTypeName(a[0])
}

func kqlTypeName(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case string:
		return "string"
	case int64:
		if x >= math.MinInt32 && x <= math.MaxInt32 {
			return "int"
		}
		return "long"
	case float64:
		return "real"
	case bool:
		return "bool"
	case time.Time:
		return "datetime"
	case time.Duration:
		return "timespan"
	case []any:
		return "array"
	case map[string]any:
		return "dictionary"
	}
	return "object"
}
