package kql

import (
	"sort"

	"github.com/loghunt/loghunt/hunt/kql/value"
)

// dynamicFuncs are the builtins over dynamic arrays and bags. The
// array_sort functions are compiled by arraySort, pack_all() by packAll.
var dynamicFuncs = map[string]builtin{
	"array_length":    {1, 1, value.Long, fnArrayLength},
	"arraylength":     {1, 1, value.Long, fnArrayLength},
	"pack_array":      {0, -1, value.Dynamic, fnPackArray},
	"make_array":      {0, -1, value.Dynamic, fnPackArray},
	"pack":            {0, -1, value.Dynamic, fnPack},
	"bag_pack":        {0, -1, value.Dynamic, fnPack},
	"pack_dictionary": {0, -1, value.Dynamic, fnPack},
	"bag_keys": {1, 1, value.Dynamic, func(a []any) any {
		m, ok := asBag(a[0])
		if !ok {
			return nil
		}
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		out := make([]any, len(keys))
		for i, k := range keys {
			out[i] = k
		}
		return out
	}},
	"bag_has_key": {2, 2, value.Bool, func(a []any) any {
		m, ok := asBag(a[0])
		if !ok {
			return false
		}
		_, has := m[toStr(a[1])]
		return has
	}},
	"array_slice": {3, 3, value.Dynamic, func(a []any) any {
		arr, ok := asArray(a[0])
		if !ok {
			return nil
		}
		s, ok1 := toLong(a[1])
		e, ok2 := toLong(a[2])
		if !ok1 || !ok2 {
			return nil
		}
		n := int64(len(arr))
		si, ei := s.(int64), e.(int64)
		if si < 0 {
			si += n
		}
		if ei < 0 {
			ei += n
		}
		if si < 0 {
			si = 0
		}
		if ei >= n {
			ei = n - 1
		}
		if si > ei {
			return []any{}
		}
		out := make([]any, ei-si+1)
		copy(out, arr[si:ei+1])
		return out
	}},
	"array_index_of": {2, 2, value.Long, func(a []any) any {
		arr, ok := asArray(a[0])
		if !ok {
			return nil
		}
		for i, v := range arr {
			if e, _ := equalCells(v, a[1]).(bool); e {
				return int64(i)
			}
		}
		return int64(-1)
	}},
	"array_concat": {1, -1, value.Dynamic, func(a []any) any {
		out := []any{}
		for _, v := range a {
			arr, ok := asArray(v)
			if !ok {
				return nil
			}
			out = append(out, arr...)
		}
		return out
	}},
	"set_union": {1, -1, value.Dynamic, func(a []any) any {
		seen := map[string]bool{}
		out := []any{}
		for _, v := range a {
			arr, _ := asArray(v)
			for _, e := range arr {
				k := string(keyOf(nil, e))
				if !seen[k] {
					seen[k] = true
					out = append(out, e)
				}
			}
		}
		return out
	}},
	"set_intersect":  {1, -1, value.Dynamic, func(a []any) any { return setOp(a, true) }},
	"set_difference": {1, -1, value.Dynamic, func(a []any) any { return setOp(a, false) }},
	"set_has_element": {2, 2, value.Bool, func(a []any) any {
		arr, _ := asArray(a[0])
		for _, e := range arr {
			if eq, _ := equalCells(e, a[1]).(bool); eq {
				return true
			}
		}
		return false
	}},
	"array_sort_asc":  {1, 2, value.Dynamic, nil},
	"array_sort_desc": {1, 2, value.Dynamic, nil},
	"zip": {1, -1, value.Dynamic, func(a []any) any {
		var arrs [][]any
		n := 0
		for _, v := range a {
			arr, _ := asArray(v)
			arrs = append(arrs, arr)
			n = max(n, len(arr))
		}
		out := make([]any, n)
		for i := range out {
			row := make([]any, len(arrs))
			for j, arr := range arrs {
				if i < len(arr) {
					row[j] = arr[i]
				}
			}
			out[i] = row
		}
		return out
	}},
	"range": {2, 3, value.Dynamic, func(a []any) any {
		step := any(int64(1))
		if len(a) == 3 {
			step = a[2]
		}
		var out []any
		for v := a[0]; len(out) < maxListLen; {
			c, ok := compareCells(v, a[1])
			if !ok || c > 0 {
				break
			}
			out = append(out, v)
			nv := arith("+", v, step)
			if c2, ok := compareCells(nv, v); nv == nil || !ok || c2 <= 0 {
				break
			}
			v = nv
		}
		if out == nil {
			return []any{}
		}
		return out
	}},
}

func fnArrayLength(a []any) any {
	if arr, ok := asArray(a[0]); ok {
		return int64(len(arr))
	}
	return nil
}

func fnPackArray(a []any) any {
	out := make([]any, len(a))
	copy(out, a)
	return out
}

func fnPack(a []any) any {
	m := map[string]any{}
	for i := 0; i+1 < len(a); i += 2 {
		m[toStr(a[i])] = a[i+1]
	}
	return m
}

func asArray(v any) ([]any, bool) {
	switch x := v.(type) {
	case []any:
		return x, true
	case string:
		if d, ok := parseJSON(x).([]any); ok {
			return d, true
		}
	}
	return nil, false
}

func asBag(v any) (map[string]any, bool) {
	switch x := v.(type) {
	case map[string]any:
		return x, true
	case string:
		if d, ok := parseJSON(x).(map[string]any); ok {
			return d, true
		}
	}
	return nil, false
}

func setOp(a []any, intersect bool) any {
	first, _ := asArray(a[0])
	out := []any{}
	seen := map[string]bool{}
	for _, e := range first {
		k := string(keyOf(nil, e))
		if seen[k] {
			continue
		}
		inAll, inAny := true, false
		for _, v := range a[1:] {
			arr, _ := asArray(v)
			found := false
			for _, o := range arr {
				if string(keyOf(nil, o)) == k {
					found = true
					break
				}
			}
			inAll = inAll && found
			inAny = inAny || found
		}
		if (intersect && inAll) || (!intersect && !inAny) {
			seen[k] = true
			out = append(out, e)
		}
	}
	return out
}

// arraySort compiles array_sort_asc and array_sort_desc, which compare
// elements as sort does.
func (c *compiler) arraySort(x *Call) *cexpr {
	args := x.Args
	if len(args) < 1 {
		fail(x.P, "%s() takes an array", x.Name)
	}
	a := c.compile(args[0])
	desc := x.Name == "array_sort_desc"
	return fold(dyn(func(row []any) any {
		arr, ok := asArray(a.fn(row))
		if !ok {
			return nil
		}
		out := append([]any(nil), arr...)
		sort.SliceStable(out, func(i, j int) bool {
			return compareForSort(out[i], out[j], SortKey{Desc: desc}) < 0
		})
		return out
	}, value.Dynamic), a)
}

// packAll compiles pack_all(): a bag of the row's non-empty columns.
func (c *compiler) packAll() *cexpr {
	cols := c.cols
	return dyn(func(row []any) any {
		m := make(map[string]any, len(cols))
		for i, col := range cols {
			if i < len(row) && !isEmpty(row[i]) {
				m[col.Name] = row[i]
			}
		}
		return m
	}, value.Dynamic)
}
