package kql

import (
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/csv"
	"encoding/hex"
	"fmt"
	"math"
	"net"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/loghunt/loghunt/hunt/kql/value"
)

// builtin is a scalar function: arity bounds, result type and
// implementation over evaluated arguments.
type builtin struct {
	min, max int // max < 0: variadic
	typ      value.Type
	fn       func(a []any) any
}

var builtins map[string]builtin

func init() {
	b := map[string]builtin{}
	reg := func(names string, min, max int, typ value.Type, fn func(a []any) any) {
		for _, n := range strings.Split(names, ",") {
			b[n] = builtin{min, max, typ, fn}
		}
	}
	reg("tostring", 1, 1, value.String, func(a []any) any { return toStr(a[0]) })
	reg("toint,tolong", 1, 1, value.Long, func(a []any) any { v, _ := toLong(a[0]); return v })
	reg("toreal,todouble,todecimal", 1, 1, value.Real, func(a []any) any { v, _ := toReal(a[0]); return v })
	reg("todatetime", 1, 1, value.DateTime, func(a []any) any { v, _ := toDateTime(a[0]); return v })
	reg("totimespan,totime", 1, 1, value.TimeSpan, func(a []any) any { v, _ := toTimeSpan(a[0]); return v })
	reg("tobool,toboolean", 1, 1, value.Bool, func(a []any) any {
		if v, ok := toBool(a[0]); ok {
			return v
		}
		return nil
	})
	reg("toguid", 1, 1, value.String, func(a []any) any { return toStr(a[0]) })
	reg("todynamic,parse_json,parsejson", 1, 1, value.Dynamic, func(a []any) any { return parseJSON(a[0]) })
	reg("tolower", 1, 1, value.String, func(a []any) any { return strings.ToLower(toStr(a[0])) })
	reg("toupper", 1, 1, value.String, func(a []any) any { return strings.ToUpper(toStr(a[0])) })
	reg("strcat", 1, -1, value.String, func(a []any) any {
		var sb strings.Builder
		for _, v := range a {
			sb.WriteString(toStr(v))
		}
		return sb.String()
	})
	reg("strcat_delim", 2, -1, value.String, func(a []any) any {
		parts := make([]string, 0, len(a)-1)
		for _, v := range a[1:] {
			parts = append(parts, toStr(v))
		}
		return strings.Join(parts, toStr(a[0]))
	})
	reg("strcat_array", 2, 2, value.String, func(a []any) any {
		arr, _ := asArray(a[0])
		parts := make([]string, 0, len(arr))
		for _, v := range arr {
			parts = append(parts, toStr(v))
		}
		return strings.Join(parts, toStr(a[1]))
	})
	reg("strlen", 1, 1, value.Long, func(a []any) any { return int64(utf8.RuneCountInString(toStr(a[0]))) })
	reg("substring", 2, 3, value.String, fnSubstring)
	reg("split", 2, 3, value.Dynamic, func(a []any) any {
		s, d := toStr(a[0]), toStr(a[1])
		var parts []string
		if d == "" {
			parts = []string{s}
		} else {
			parts = strings.Split(s, d)
		}
		out := make([]any, len(parts))
		for i, p := range parts {
			out[i] = p
		}
		if len(a) == 3 {
			i, ok := toLong(a[2])
			if !ok {
				return nil
			}
			n := i.(int64)
			if n < 0 || n >= int64(len(out)) {
				return []any{}
			}
			return []any{out[n]}
		}
		return out
	})
	reg("replace_string,replace_strings", 3, 3, value.String, func(a []any) any {
		lookup := toStr(a[1])
		if lookup == "" {
			return toStr(a[0])
		}
		return strings.ReplaceAll(toStr(a[0]), lookup, toStr(a[2]))
	})
	reg("strrep", 2, 3, value.String, func(a []any) any {
		n, _ := toLong(a[1])
		k, _ := n.(int64)
		if k <= 0 || k > 1<<16 {
			return ""
		}
		d := ""
		if len(a) == 3 {
			d = toStr(a[2])
		}
		parts := make([]string, k)
		for i := range parts {
			parts[i] = toStr(a[0])
		}
		return strings.Join(parts, d)
	})
	reg("reverse", 1, 1, value.String, func(a []any) any {
		r := []rune(toStr(a[0]))
		for i, j := 0, len(r)-1; i < j; i, j = i+1, j-1 {
			r[i], r[j] = r[j], r[i]
		}
		return string(r)
	})
	reg("iff,iif", 3, 3, value.Dynamic, func(a []any) any {
		if truthy(a[0]) {
			return a[1]
		}
		return a[2]
	})
	reg("case", 3, -1, value.Dynamic, func(a []any) any {
		for i := 0; i+1 < len(a); i += 2 {
			if truthy(a[i]) {
				return a[i+1]
			}
		}
		return a[len(a)-1]
	})
	reg("isempty", 1, 1, value.Bool, func(a []any) any { return isEmpty(a[0]) })
	reg("isnotempty,notempty", 1, 1, value.Bool, func(a []any) any { return !isEmpty(a[0]) })
	reg("isnull", 1, 1, value.Bool, func(a []any) any { return a[0] == nil })
	reg("isnotnull,notnull", 1, 1, value.Bool, func(a []any) any { return a[0] != nil })
	reg("not", 1, 1, value.Bool, func(a []any) any {
		if b, ok := a[0].(bool); ok {
			return !b
		}
		return nil
	})
	reg("coalesce", 1, -1, value.Dynamic, func(a []any) any {
		for _, v := range a {
			if !isEmpty(v) {
				return v
			}
		}
		return a[len(a)-1]
	})
	reg("array_length,arraylength", 1, 1, value.Long, func(a []any) any {
		if arr, ok := asArray(a[0]); ok {
			return int64(len(arr))
		}
		return nil
	})
	reg("pack_array,make_array", 0, -1, value.Dynamic, func(a []any) any {
		out := make([]any, len(a))
		copy(out, a)
		return out
	})
	reg("pack,bag_pack,pack_dictionary", 0, -1, value.Dynamic, func(a []any) any {
		m := map[string]any{}
		for i := 0; i+1 < len(a); i += 2 {
			m[toStr(a[i])] = a[i+1]
		}
		return m
	})
	reg("bag_keys", 1, 1, value.Dynamic, func(a []any) any {
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
	})
	reg("bag_has_key", 2, 2, value.Bool, func(a []any) any {
		m, ok := asBag(a[0])
		if !ok {
			return false
		}
		_, has := m[toStr(a[1])]
		return has
	})
	reg("indexof", 2, 5, value.Long, func(a []any) any {
		s, sub := toStr(a[0]), toStr(a[1])
		start := int64(0)
		if len(a) > 2 {
			if v, ok := toLong(a[2]); ok {
				start = v.(int64)
			}
		}
		r := []rune(s)
		if start < 0 {
			start += int64(len(r))
		}
		if start < 0 || start > int64(len(r)) {
			return int64(-1)
		}
		i := strings.Index(string(r[start:]), sub)
		if i < 0 {
			return int64(-1)
		}
		return start + int64(utf8.RuneCountInString(string(r[start:])[:i]))
	})
	reg("trim", 2, 2, value.String, func(a []any) any { return trimRegex(toStr(a[0]), toStr(a[1]), true, true) })
	reg("trim_start", 2, 2, value.String, func(a []any) any { return trimRegex(toStr(a[0]), toStr(a[1]), true, false) })
	reg("trim_end", 2, 2, value.String, func(a []any) any { return trimRegex(toStr(a[0]), toStr(a[1]), false, true) })
	reg("base64_decode_tostring,base64_decodestring", 1, 1, value.String, func(a []any) any {
		s := strings.TrimSpace(toStr(a[0]))
		for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
			if d, err := enc.DecodeString(s); err == nil {
				if !utf8.Valid(d) {
					return ""
				}
				return string(d)
			}
		}
		return ""
	})
	reg("base64_encode_tostring,base64_encodestring", 1, 1, value.String, func(a []any) any {
		return base64.StdEncoding.EncodeToString([]byte(toStr(a[0])))
	})
	reg("base64_decode_toarray", 1, 1, value.Dynamic, func(a []any) any {
		d, err := base64.StdEncoding.DecodeString(strings.TrimSpace(toStr(a[0])))
		if err != nil {
			return nil
		}
		out := make([]any, len(d))
		for i, c := range d {
			out[i] = int64(c)
		}
		return out
	})
	reg("datetime_diff", 3, 3, value.Long, fnDatetimeDiff)
	reg("datetime_add", 3, 3, value.DateTime, fnDatetimeAdd)
	reg("startofday", 1, 2, value.DateTime, func(a []any) any {
		return startOf(a, func(t time.Time, n int) time.Time {
			return time.Date(t.Year(), t.Month(), t.Day()+n, 0, 0, 0, 0, time.UTC)
		})
	})
	reg("endofday", 1, 2, value.DateTime, func(a []any) any {
		return startOf(a, func(t time.Time, n int) time.Time {
			return time.Date(t.Year(), t.Month(), t.Day()+n+1, 0, 0, 0, 0, time.UTC).Add(-100)
		})
	})
	reg("startofweek", 1, 2, value.DateTime, func(a []any) any {
		return startOf(a, func(t time.Time, n int) time.Time {
			d := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
			return d.AddDate(0, 0, -int(d.Weekday())+7*n)
		})
	})
	reg("startofmonth", 1, 2, value.DateTime, func(a []any) any {
		return startOf(a, func(t time.Time, n int) time.Time {
			return time.Date(t.Year(), t.Month()+time.Month(n), 1, 0, 0, 0, 0, time.UTC)
		})
	})
	reg("startofyear", 1, 2, value.DateTime, func(a []any) any {
		return startOf(a, func(t time.Time, n int) time.Time {
			return time.Date(t.Year()+n, 1, 1, 0, 0, 0, 0, time.UTC)
		})
	})
	reg("bin,floor,bin_at", 2, 3, value.Dynamic, fnBin)
	reg("round", 1, 2, value.Real, func(a []any) any {
		f, ok := num(a[0])
		if !ok {
			return nil
		}
		p := int64(0)
		if len(a) == 2 {
			if v, ok := toLong(a[1]); ok {
				p = v.(int64)
			}
		}
		m := math.Pow(10, float64(p))
		return math.Round(f*m) / m
	})
	reg("abs", 1, 1, value.Dynamic, func(a []any) any {
		switch x := a[0].(type) {
		case int64:
			if x < 0 {
				return -x
			}
			return x
		case float64:
			return math.Abs(x)
		case time.Duration:
			if x < 0 {
				return -x
			}
			return x
		}
		return nil
	})
	math1 := func(name string, f func(float64) float64) {
		reg(name, 1, 1, value.Real, func(a []any) any {
			x, ok := num(a[0])
			if !ok {
				return nil
			}
			return f(x)
		})
	}
	math1("sqrt", math.Sqrt)
	math1("exp", math.Exp)
	math1("log", math.Log)
	math1("log10", math.Log10)
	math1("log2", math.Log2)
	math1("ceiling", math.Ceil)
	reg("pow", 2, 2, value.Real, func(a []any) any {
		x, ok1 := num(a[0])
		y, ok2 := num(a[1])
		if !ok1 || !ok2 {
			return nil
		}
		return math.Pow(x, y)
	})
	reg("isnan", 1, 1, value.Bool, func(a []any) any { f, ok := num(a[0]); return ok && math.IsNaN(f) })
	reg("isfinite", 1, 1, value.Bool, func(a []any) any {
		f, ok := num(a[0])
		return ok && !math.IsNaN(f) && !math.IsInf(f, 0)
	})
	reg("max_of", 1, -1, value.Dynamic, func(a []any) any { return extreme(a, 1) })
	reg("min_of", 1, -1, value.Dynamic, func(a []any) any { return extreme(a, -1) })
	reg("gettype,typeof", 1, 1, value.String, func(a []any) any { return kqlTypeName(a[0]) })
	reg("countof", 2, 3, value.Long, func(a []any) any {
		s, sub := toStr(a[0]), toStr(a[1])
		if len(a) == 3 && toStr(a[2]) == "regex" {
			re, err := regexp.Compile(sub)
			if err != nil {
				return nil
			}
			return int64(len(re.FindAllStringIndex(s, -1)))
		}
		if sub == "" {
			return int64(0)
		}
		return int64(strings.Count(s, sub))
	})
	reg("array_slice", 3, 3, value.Dynamic, func(a []any) any {
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
	})
	reg("array_index_of", 2, 2, value.Long, func(a []any) any {
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
	})
	reg("array_concat", 1, -1, value.Dynamic, func(a []any) any {
		out := []any{}
		for _, v := range a {
			arr, ok := asArray(v)
			if !ok {
				return nil
			}
			out = append(out, arr...)
		}
		return out
	})
	reg("set_union", 1, -1, value.Dynamic, func(a []any) any {
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
	})
	reg("set_intersect", 1, -1, value.Dynamic, func(a []any) any { return setOp(a, true) })
	reg("set_difference", 1, -1, value.Dynamic, func(a []any) any { return setOp(a, false) })
	reg("set_has_element", 2, 2, value.Bool, func(a []any) any {
		arr, _ := asArray(a[0])
		for _, e := range arr {
			if eq, _ := equalCells(e, a[1]).(bool); eq {
				return true
			}
		}
		return false
	})
	reg("array_sort_asc,array_sort_desc", 1, 2, value.Dynamic, nil)
	reg("parse_url,parseurl", 1, 1, value.Dynamic, fnParseURL)
	reg("parse_path", 1, 1, value.Dynamic, fnParsePath)
	reg("url_decode", 1, 1, value.String, func(a []any) any {
		s, err := url.QueryUnescape(toStr(a[0]))
		if err != nil {
			return toStr(a[0])
		}
		return s
	})
	reg("url_encode,url_encode_component", 1, 1, value.String, func(a []any) any { return url.QueryEscape(toStr(a[0])) })
	reg("extractjson,extract_json", 2, 3, value.String, func(a []any) any {
		v := jsonPath(toStr(a[0]), parseJSON(a[1]))
		if v == nil {
			return ""
		}
		return toStr(v)
	})
	reg("parse_xml", 1, 1, value.Dynamic, func(a []any) any { return parseXML(toStr(a[0])) })
	reg("ipv4_is_private", 1, 1, value.Bool, func(a []any) any {
		ip := parseIPv4(toStr(a[0]))
		if ip == nil {
			return nil
		}
		return ip.IsPrivate()
	})
	reg("ipv4_is_in_range", 2, 2, value.Bool, func(a []any) any {
		ip := parseIPv4(toStr(a[0]))
		if ip == nil {
			return nil
		}
		r := toStr(a[1])
		if !strings.Contains(r, "/") {
			o := parseIPv4(r)
			return o != nil && o.Equal(ip)
		}
		_, n, err := net.ParseCIDR(r)
		if err != nil {
			return nil
		}
		return n.Contains(ip)
	})
	reg("ipv4_is_match", 2, 3, value.Bool, func(a []any) any {
		x, y := parseIPv4(toStr(a[0])), parseIPv4(toStr(a[1]))
		return x != nil && y != nil && x.Equal(y)
	})
	reg("parse_ipv4", 1, 1, value.Long, func(a []any) any {
		ip := parseIPv4(toStr(a[0]))
		if ip == nil {
			return nil
		}
		v4 := ip.To4()
		return int64(v4[0])<<24 | int64(v4[1])<<16 | int64(v4[2])<<8 | int64(v4[3])
	})
	reg("hash_sha256", 1, 1, value.String, func(a []any) any { h := sha256.Sum256([]byte(toStr(a[0]))); return hex.EncodeToString(h[:]) })
	reg("hash_sha1", 1, 1, value.String, func(a []any) any { h := sha1.Sum([]byte(toStr(a[0]))); return hex.EncodeToString(h[:]) })
	reg("hash_md5", 1, 1, value.String, func(a []any) any { h := md5.Sum([]byte(toStr(a[0]))); return hex.EncodeToString(h[:]) })
	reg("hash", 1, 2, value.Long, func(a []any) any {
		h := sha256.Sum256([]byte(toStr(a[0])))
		v := int64(uint64(h[0])<<56|uint64(h[1])<<48|uint64(h[2])<<40|uint64(h[3])<<32|uint64(h[4])<<24|uint64(h[5])<<16|uint64(h[6])<<8|uint64(h[7])) & math.MaxInt64
		if len(a) == 2 {
			if m, ok := toLong(a[1]); ok && m.(int64) > 0 {
				return v % m.(int64)
			}
		}
		return v
	})
	reg("tohex", 1, 2, value.String, func(a []any) any {
		v, ok := toLong(a[0])
		if !ok {
			return nil
		}
		return strconv.FormatInt(v.(int64), 16)
	})
	reg("strcmp", 2, 2, value.Long, func(a []any) any { return int64(strings.Compare(toStr(a[0]), toStr(a[1]))) })
	reg("dayofweek", 1, 1, value.TimeSpan, func(a []any) any {
		t, ok := a[0].(time.Time)
		if !ok {
			return nil
		}
		return time.Duration(t.Weekday()) * 24 * time.Hour
	})
	part := func(names string, f func(time.Time) int64) {
		reg(names, 1, 1, value.Long, func(a []any) any {
			t, ok := a[0].(time.Time)
			if !ok {
				return nil
			}
			return f(t)
		})
	}
	part("hourofday", func(t time.Time) int64 { return int64(t.Hour()) })
	part("dayofmonth", func(t time.Time) int64 { return int64(t.Day()) })
	part("dayofyear", func(t time.Time) int64 { return int64(t.YearDay()) })
	part("getmonth,monthofyear", func(t time.Time) int64 { return int64(t.Month()) })
	part("getyear", func(t time.Time) int64 { return int64(t.Year()) })
	part("week_of_year", func(t time.Time) int64 { _, w := t.ISOWeek(); return int64(w) })
	reg("unixtime_seconds_todatetime", 1, 1, value.DateTime, func(a []any) any {
		f, ok := num(a[0])
		if !ok {
			return nil
		}
		return time.Unix(0, int64(f*1e9)).UTC()
	})
	reg("unixtime_milliseconds_todatetime", 1, 1, value.DateTime, func(a []any) any {
		f, ok := num(a[0])
		if !ok {
			return nil
		}
		return time.Unix(0, int64(f*1e6)).UTC()
	})
	reg("make_datetime", 3, 7, value.DateTime, func(a []any) any {
		var p [7]int64
		for i, v := range a {
			x, ok := toLong(v)
			if !ok {
				return nil
			}
			p[i] = x.(int64)
		}
		return time.Date(int(p[0]), time.Month(p[1]), int(p[2]), int(p[3]), int(p[4]), int(p[5]), 0, time.UTC)
	})
	reg("format_datetime", 2, 2, value.String, fnFormatDatetime)
	reg("format_timespan", 2, 2, value.String, func(a []any) any { return toStr(a[0]) })
	reg("binary_and", 2, 2, value.Long, func(a []any) any { return binop(a, func(x, y int64) int64 { return x & y }) })
	reg("binary_or", 2, 2, value.Long, func(a []any) any { return binop(a, func(x, y int64) int64 { return x | y }) })
	reg("binary_xor", 2, 2, value.Long, func(a []any) any { return binop(a, func(x, y int64) int64 { return x ^ y }) })
	reg("binary_shift_left", 2, 2, value.Long, func(a []any) any { return binop(a, func(x, y int64) int64 { return x << uint(y&63) }) })
	reg("binary_shift_right", 2, 2, value.Long, func(a []any) any { return binop(a, func(x, y int64) int64 { return x >> uint(y&63) }) })
	reg("binary_not", 1, 1, value.Long, func(a []any) any {
		x, ok := toLong(a[0])
		if !ok {
			return nil
		}
		return ^x.(int64)
	})
	reg("sign", 1, 1, value.Real, func(a []any) any {
		f, ok := num(a[0])
		if !ok {
			return nil
		}
		switch {
		case f > 0:
			return 1.0
		case f < 0:
			return -1.0
		}
		return 0.0
	})
	reg("isascii", 1, 1, value.Bool, func(a []any) any { return isASCII(toStr(a[0])) })
	reg("isutf8", 1, 1, value.Bool, func(a []any) any { return utf8.ValidString(toStr(a[0])) })
	reg("new_guid", 0, 0, value.String, func(a []any) any { return "00000000-0000-0000-0000-000000000000" })
	reg("zip", 1, -1, value.Dynamic, func(a []any) any {
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
	})
	reg("parse_command_line", 2, 2, value.Dynamic, func(a []any) any {
		out := []any{}
		for _, f := range splitCommandLine(toStr(a[0])) {
			out = append(out, f)
		}
		return out
	})
	reg("translate", 3, 3, value.String, func(a []any) any {
		from, to := []rune(toStr(a[0])), []rune(toStr(a[1]))
		m := map[rune]rune{}
		for i, r := range from {
			switch {
			case i < len(to):
				m[r] = to[i]
			case len(to) > 0:
				m[r] = to[len(to)-1]
			default:
				m[r] = -1
			}
		}
		var sb strings.Builder
		for _, r := range toStr(a[2]) {
			if x, ok := m[r]; ok {
				if x >= 0 {
					sb.WriteRune(x)
				}
				continue
			}
			sb.WriteRune(r)
		}
		return sb.String()
	})
	reg("parse_csv", 1, 1, value.Dynamic, func(a []any) any {
		rd := csv.NewReader(strings.NewReader(toStr(a[0])))
		rd.LazyQuotes = true
		rd.FieldsPerRecord = -1
		rec, err := rd.Read()
		if err != nil {
			return []any{}
		}
		out := make([]any, len(rec))
		for i, f := range rec {
			out[i] = f
		}
		return out
	})
	reg("make_string", 1, -1, value.String, func(a []any) any {
		var sb strings.Builder
		var put func(v any, depth int)
		put = func(v any, depth int) {
			switch x := v.(type) {
			case int64:
				if x >= 0 && x <= utf8.MaxRune {
					sb.WriteRune(rune(x))
				}
			case []any:
				if depth < 8 {
					for _, e := range x {
						put(e, depth+1)
					}
				}
			}
		}
		for _, v := range a {
			put(v, 0)
		}
		return sb.String()
	})
	reg("range", 2, 3, value.Dynamic, func(a []any) any {
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
	})
	reg("extract_all", 2, 3, value.Dynamic, nil) // compiled specially
	reg("replace,replace_regex", 3, 3, value.String, nil)
	reg("extract", 3, 4, value.String, nil)
	builtins = b
}

func binop(a []any, f func(x, y int64) int64) any {
	x, ok1 := toLong(a[0])
	y, ok2 := toLong(a[1])
	if !ok1 || !ok2 {
		return nil
	}
	return f(x.(int64), y.(int64))
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

func extreme(a []any, sign int) any {
	var best any
	for _, v := range a {
		if v == nil {
			continue
		}
		if best == nil {
			best = v
			continue
		}
		if c, ok := compareCells(v, best); ok && c*sign > 0 {
			best = v
		}
	}
	return best
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

func fnSubstring(a []any) any {
	r := []rune(toStr(a[0]))
	sv, ok := toLong(a[1])
	if !ok {
		return ""
	}
	s := sv.(int64)
	if s < 0 {
		s += int64(len(r))
		if s < 0 {
			s = 0
		}
	}
	if s > int64(len(r)) {
		return ""
	}
	e := int64(len(r))
	if len(a) == 3 {
		lv, ok := toLong(a[2])
		if !ok {
			return ""
		}
		if l := lv.(int64); l >= 0 && s+l < e {
			e = s + l
		}
	}
	return string(r[s:e])
}

func trimRegex(pattern, s string, start, end bool) string {
	re, err := regexp.Compile(pattern)
	if err != nil {
		return s
	}
	if start {
		if loc := re.FindStringIndex(s); loc != nil && loc[0] == 0 {
			s = s[loc[1]:]
		}
	}
	if end {
		re2, err := regexp.Compile("(?:" + pattern + ")$")
		if err == nil {
			if loc := re2.FindStringIndex(s); loc != nil {
				s = s[:loc[0]]
			}
		}
	}
	return s
}

func startOf(a []any, f func(time.Time, int) time.Time) any {
	t, ok := a[0].(time.Time)
	if !ok {
		return nil
	}
	n := int64(0)
	if len(a) == 2 {
		v, ok := toLong(a[1])
		if !ok {
			return nil
		}
		n = v.(int64)
	}
	return f(t.UTC(), int(n))
}

func fnBin(a []any) any {
	if len(a) == 3 {
		// bin_at(value, size, fixed point)
		switch x := a[0].(type) {
		case time.Time:
			d, ok1 := a[1].(time.Duration)
			at, ok2 := a[2].(time.Time)
			if !ok1 || !ok2 || d <= 0 {
				return nil
			}
			k := x.Sub(at) / d
			if x.Before(at) && x.Sub(at)%d != 0 {
				k--
			}
			return at.Add(k * d)
		default:
			s, ok1 := num(a[1])
			f, ok2 := num(a[2])
			v, ok3 := num(x)
			if !ok1 || !ok2 || !ok3 || s == 0 {
				return nil
			}
			return math.Floor((v-f)/s)*s + f
		}
	}
	switch x := a[0].(type) {
	case time.Time:
		d, ok := a[1].(time.Duration)
		if !ok || d <= 0 {
			return nil
		}
		// bins are aligned to 0001-01-01, as Truncate does
		return x.Truncate(d)
	case time.Duration:
		d, ok := a[1].(time.Duration)
		if !ok || d <= 0 {
			return nil
		}
		q := x / d
		if x < 0 && x%d != 0 {
			q--
		}
		return q * d
	case int64:
		s, ok := a[1].(int64)
		if ok {
			if s <= 0 {
				return nil
			}
			q := x / s
			if x < 0 && x%s != 0 {
				q--
			}
			return q * s
		}
		f, ok := num(a[1])
		if !ok || f <= 0 {
			return nil
		}
		return math.Floor(float64(x)/f) * f
	case float64:
		f, ok := num(a[1])
		if !ok || f <= 0 {
			return nil
		}
		return math.Floor(x/f) * f
	}
	return nil
}

var diffParts = map[string]time.Duration{
	"day": 24 * time.Hour, "hour": time.Hour, "minute": time.Minute, "second": time.Second,
	"millisecond": time.Millisecond, "microsecond": time.Microsecond, "nanosecond": time.Nanosecond,
	"week": 7 * 24 * time.Hour,
}

func fnDatetimeDiff(a []any) any {
	p := strings.ToLower(toStr(a[0]))
	t1, ok1 := a[1].(time.Time)
	t2, ok2 := a[2].(time.Time)
	if !ok1 || !ok2 {
		return nil
	}
	switch p {
	case "year":
		return int64(t1.Year() - t2.Year())
	case "quarter":
		return int64((t1.Year()*12+int(t1.Month())-1)/3 - (t2.Year()*12+int(t2.Month())-1)/3)
	case "month":
		return int64(t1.Year()*12 + int(t1.Month()) - t2.Year()*12 - int(t2.Month()))
	}
	d, ok := diffParts[p]
	if !ok {
		return nil
	}
	// count boundaries crossed, as Kusto does
	f1 := floorDiv(t1.UnixNano()-unixOffset(p), int64(d))
	f2 := floorDiv(t2.UnixNano()-unixOffset(p), int64(d))
	return f1 - f2
}

// unixOffset aligns week boundaries to Sunday.
func unixOffset(part string) int64 {
	if part == "week" {
		return int64(-4 * 24 * time.Hour) // 1970-01-01 was a Thursday
	}
	return 0
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

func fnDatetimeAdd(a []any) any {
	p := strings.ToLower(toStr(a[0]))
	nv, ok := toLong(a[1])
	t, ok2 := a[2].(time.Time)
	if !ok || !ok2 {
		return nil
	}
	n := nv.(int64)
	switch p {
	case "year":
		return t.AddDate(int(n), 0, 0)
	case "quarter":
		return t.AddDate(0, 3*int(n), 0)
	case "month":
		return t.AddDate(0, int(n), 0)
	}
	d, ok := diffParts[p]
	if !ok {
		return nil
	}
	return t.Add(time.Duration(n) * d)
}

func fnParseURL(a []any) any {
	u, err := url.Parse(toStr(a[0]))
	if err != nil || u.Scheme == "" {
		return map[string]any{}
	}
	q := map[string]any{}
	for k, v := range u.Query() {
		if len(v) > 0 {
			q[k] = v[0]
		}
	}
	pw, _ := u.User.Password()
	return map[string]any{
		"Scheme": u.Scheme, "Host": u.Hostname(), "Port": u.Port(), "Path": u.Path,
		"Username": u.User.Username(), "Password": pw, "Query Parameters": q, "Fragment": u.Fragment,
	}
}

func fnParsePath(a []any) any {
	s := toStr(a[0])
	i := strings.LastIndexAny(s, `\/`)
	dir, file := "", s
	if i >= 0 {
		dir, file = s[:i], s[i+1:]
	}
	ext := ""
	if j := strings.LastIndexByte(file, '.'); j >= 0 {
		ext = file[j+1:]
	}
	root := ""
	if len(s) >= 2 && s[1] == ':' {
		root = s[:2]
	}
	return map[string]any{"Scheme": "", "RootPath": root, "DirectoryPath": dir, "DirectoryName": lastElem(dir), "Filename": file, "Extension": ext, "AlternateDataStreamName": ""}
}

func lastElem(s string) string {
	if i := strings.LastIndexAny(s, `\/`); i >= 0 {
		return s[i+1:]
	}
	return s
}

func parseIPv4(s string) net.IP {
	ip := net.ParseIP(strings.TrimSpace(s))
	if ip == nil || ip.To4() == nil {
		return nil
	}
	return ip.To4()
}

// jsonPath evaluates a $.a.b[0] path on a dynamic value.
func jsonPath(path string, v any) any {
	path = strings.TrimSpace(path)
	if !strings.HasPrefix(path, "$") {
		return nil
	}
	path = path[1:]
	for path != "" {
		switch path[0] {
		case '.':
			path = path[1:]
			end := strings.IndexAny(path, ".[")
			if end < 0 {
				end = len(path)
			}
			v = member(v, path[:end])
			path = path[end:]
		case '[':
			end := strings.IndexByte(path, ']')
			if end < 0 {
				return nil
			}
			key := strings.Trim(path[1:end], `'"`)
			if n, err := strconv.ParseInt(key, 10, 64); err == nil {
				v = index(v, n)
			} else {
				v = member(v, key)
			}
			path = path[end+1:]
		default:
			return nil
		}
	}
	return v
}

func fnFormatDatetime(a []any) any {
	t, ok := a[0].(time.Time)
	if !ok {
		return ""
	}
	f := toStr(a[1])
	repl := []struct{ k, g string }{
		{"yyyy", "2006"}, {"yy", "06"}, {"MM", "01"}, {"dd", "02"}, {"HH", "15"},
		{"hh", "03"}, {"mm", "04"}, {"ss", "05"}, {"fffffff", "0000000"}, {"ffffff", "000000"},
		{"fffff", "00000"}, {"ffff", "0000"}, {"fff", "000"}, {"ff", "00"}, {"f", "0"}, {"tt", "PM"},
	}
	var sb strings.Builder
	for i := 0; i < len(f); {
		matched := false
		for _, r := range repl {
			if strings.HasPrefix(f[i:], r.k) {
				sb.WriteString(t.Format(r.g))
				i += len(r.k)
				matched = true
				break
			}
		}
		if !matched {
			sb.WriteByte(f[i])
			i++
		}
	}
	return sb.String()
}

// splitCommandLine splits a Windows command line into arguments.
func splitCommandLine(s string) []string {
	var out []string
	var cur strings.Builder
	inQ, have := false, false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"':
			inQ = !inQ
			have = true
		case (c == ' ' || c == '\t') && !inQ:
			if have {
				out = append(out, cur.String())
				cur.Reset()
				have = false
			}
		default:
			cur.WriteByte(c)
			have = true
		}
	}
	if have {
		out = append(out, cur.String())
	}
	return out
}

// call compiles a function call: builtins, user functions, ago/now and
// the functions that need their arguments unevaluated or precompiled.
func (c *compiler) call(x *Call) *cexpr {
	if b := c.env.lookup(x.Name); b != nil && b.fn != nil {
		return c.userCall(b, x)
	}
	args := x.Args
	switch x.Name {
	case "now":
		now := c.r.now
		if len(args) == 1 {
			d, ok := c.constant(args[0]).(time.Duration)
			if !ok {
				fail(x.P, "now() takes a timespan offset")
			}
			now = now.Add(d)
		}
		return konst(now, value.DateTime)
	case "ago":
		if len(args) != 1 {
			fail(x.P, "ago() takes one argument")
		}
		a := c.compile(args[0])
		now := c.r.now
		return fold(dyn(func(row []any) any {
			d, ok := a.fn(row).(time.Duration)
			if !ok {
				return nil
			}
			return now.Add(-d)
		}, value.DateTime), a)
	case "toscalar":
		if len(args) != 1 {
			fail(x.P, "toscalar() takes one argument")
		}
		if c.r.isTabular(args[0], c.env) {
			t := c.r.table(args[0], c.env)
			return konst(firstCell(t), firstType(t))
		}
		return c.compile(args[0])
	case "column_ifexists":
		if len(args) != 2 {
			fail(x.P, "column_ifexists() takes two arguments")
		}
		name, ok := c.constant(args[0]).(string)
		if !ok {
			fail(x.P, "column_ifexists() needs a constant column name")
		}
		if _, ok := c.idx[name]; ok {
			return c.ident(&Ident{P: x.P, Name: name})
		}
		return c.compile(args[1])
	case "isnull":
		if len(args) == 1 {
			if a := c.compile(args[0]); a.typ == value.String && !a.konst {
				c.r.warn(x.P, "isnull() on string %s is always false: KQL strings are never null, use isempty()", exprName(args[0]))
			}
		}
	case "replace", "replace_regex", "extract", "extract_all":
		return c.regexCall(x)
	case "array_sort_asc", "array_sort_desc":
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
	case "row_number":
		n := int64(0)
		if len(args) > 0 {
			if v, ok := toLong(c.constant(args[0])); ok {
				n = v.(int64) - 1
			}
		}
		return dyn(func([]any) any { n++; return n }, value.Long)
	case "rand":
		seed := uint64(0x9E3779B97F4A7C15)
		return dyn(func([]any) any {
			seed ^= seed << 13
			seed ^= seed >> 7
			seed ^= seed << 17
			return float64(seed>>11) / float64(1<<53)
		}, value.Real)
	case "prev", "next":
		return c.neighbor(x)
	case "pack_all":
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
	case "ingestion_time":
		// offline there is no ingestion: use the record's own time
		for _, name := range []string{"TimeGenerated", "Timestamp"} {
			if i, ok := c.idx[name]; ok {
				return &cexpr{fn: func(row []any) any { return row[i] }, typ: value.DateTime, col: i}
			}
		}
		return konst(nil, value.DateTime)
	}
	bi, ok := builtins[x.Name]
	if !ok {
		if _, isAgg := aggregates[x.Name]; isAgg {
			fail(x.P, "aggregate %s() used outside summarize", x.Name)
		}
		if c.r.isTabular(x, c.env) {
			t := c.r.table(x, c.env)
			return konst(firstCell(t), firstType(t))
		}
		failWrap(x.P, ErrUnsupported, "unknown function %s()", x.Name)
	}
	if len(args) < bi.min || (bi.max >= 0 && len(args) > bi.max) {
		fail(x.P, "%s() takes %s arguments, got %d", x.Name, arity(bi), len(args))
	}
	ces := make([]*cexpr, len(args))
	for i, a := range args {
		if _, ok := a.(*Star); ok {
			fail(a.Position(), "* is not valid here")
		}
		ces[i] = c.compile(a)
	}
	typ := bi.typ
	switch x.Name {
	case "iff", "iif":
		typ = ces[1].typ
		if typ == value.Dynamic {
			typ = ces[2].typ
		}
	case "case", "coalesce", "max_of", "min_of", "abs":
		typ = ces[len(ces)-1].typ
	case "bin", "floor", "bin_at":
		typ = ces[0].typ
	}
	fn := bi.fn
	buf := make([]any, len(ces))
	var out *cexpr
	switch len(ces) {
	case 1:
		a0 := ces[0].fn
		out = dyn(func(row []any) any {
			buf[0] = a0(row)
			return fn(buf)
		}, typ)
	default:
		out = dyn(func(row []any) any {
			for i, ce := range ces {
				buf[i] = ce.fn(row)
			}
			return fn(buf)
		}, typ)
	}
	if x.Name == "new_guid" {
		return out
	}
	return fold(out, ces...)
}

func arity(b builtin) string {
	switch {
	case b.max < 0:
		return fmt.Sprintf("at least %d", b.min)
	case b.min == b.max:
		return strconv.Itoa(b.min)
	}
	return fmt.Sprintf("%d to %d", b.min, b.max)
}

// regexCall compiles replace/extract/extract_all, precompiling a constant
// pattern.
func (c *compiler) regexCall(x *Call) *cexpr {
	args := x.Args
	bi := builtins[x.Name]
	if len(args) < bi.min || len(args) > bi.max {
		fail(x.P, "%s() takes %s arguments, got %d", x.Name, arity(bi), len(args))
	}
	ces := make([]*cexpr, len(args))
	for i, a := range args {
		ces[i] = c.compile(a)
	}
	patIdx := 0
	if x.Name == "replace_regex" {
		patIdx = 1
	}
	var fixed *regexp.Regexp
	if ces[patIdx].konst {
		re, err := regexp.Compile(toStr(ces[patIdx].val))
		if err != nil {
			failWrap(args[patIdx].Position(), err, "bad regular expression")
		}
		fixed = re
	}
	getRE := func(row []any) *regexp.Regexp {
		if fixed != nil {
			return fixed
		}
		re, err := regexp.Compile(toStr(ces[patIdx].fn(row)))
		if err != nil {
			return nil
		}
		return re
	}
	var fn rowFn
	typ := value.String
	switch x.Name {
	case "replace", "replace_regex":
		textI, rewI := 2, 1
		if x.Name == "replace_regex" {
			textI, rewI = 0, 2
		}
		fn = func(row []any) any {
			re := getRE(row)
			if re == nil {
				return nil
			}
			rew := kustoRewrite(toStr(ces[rewI].fn(row)))
			return re.ReplaceAllString(toStr(ces[textI].fn(row)), rew)
		}
	case "extract":
		var conv value.Type = value.String
		if len(args) == 4 {
			if call, ok := args[3].(*Call); ok && call.Name == "typeof" && len(call.Args) == 1 {
				if id, ok := call.Args[0].(*Ident); ok {
					if t, ok := value.ParseType(id.Name); ok {
						conv = t
					}
				}
			}
			typ = conv
		}
		fn = func(row []any) any {
			re := getRE(row)
			g, ok := toLong(ces[1].fn(row))
			if re == nil || !ok {
				return nil
			}
			m := re.FindStringSubmatch(toStr(ces[2].fn(row)))
			gi := g.(int64)
			if m == nil || gi < 0 || gi >= int64(len(m)) {
				if conv == value.String {
					return ""
				}
				return nil
			}
			return convertTo(m[gi], conv)
		}
	case "extract_all":
		typ = value.Dynamic
		textI := len(args) - 1
		fn = func(row []any) any {
			re := getRE(row)
			if re == nil {
				return nil
			}
			ms := re.FindAllStringSubmatch(toStr(ces[textI].fn(row)), -1)
			if len(ms) == 0 {
				return nil
			}
			out := make([]any, 0, len(ms))
			for _, m := range ms {
				switch {
				case len(m) == 1:
					out = append(out, m[0])
				case len(m) == 2:
					out = append(out, m[1])
				default:
					g := make([]any, len(m)-1)
					for i, s := range m[1:] {
						g[i] = s
					}
					out = append(out, g)
				}
			}
			return out
		}
	}
	return fold(dyn(fn, typ), ces...)
}

// kustoRewrite turns \1 group references into Go's ${1}.
func kustoRewrite(s string) string {
	if !strings.Contains(s, `\`) && !strings.Contains(s, "$") {
		return s
	}
	var sb strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\\' && i+1 < len(s) && s[i+1] >= '0' && s[i+1] <= '9':
			sb.WriteString("${")
			sb.WriteByte(s[i+1])
			sb.WriteString("}")
			i++
		case c == '$':
			sb.WriteString("$$")
		default:
			sb.WriteByte(c)
		}
	}
	return sb.String()
}

// userCall compiles a call of a let function in a row context.
func (c *compiler) userCall(b *binding, x *Call) *cexpr {
	if c.r.isTabular(b.fn.Body.X, b.env) {
		t := c.r.callTabular(b, x, c.env, nil)
		return konst(firstCell(t), firstType(t))
	}
	fenv := c.r.bindArgs(b, x, c.env, nil, c)
	for _, l := range b.fn.Body.Lets {
		fenv = fenv.child()
		nb := &binding{name: l.Name, expr: l.X, env: fenv.parent}
		if f, ok := l.X.(*FuncDef); ok {
			nb.fn = f
		}
		fenv.names[l.Name] = nb
	}
	sub := *c
	sub.env = fenv
	return sub.compile(b.fn.Body.X)
}

// exprName derives a column name from an expression: a column keeps its
// name, a.b becomes a_b, a conversion or bin() takes its argument's name.
func exprName(e Expr) string {
	switch x := e.(type) {
	case *Ident:
		return x.Name
	case *Member:
		if id, ok := x.X.(*Ident); ok && (id.Name == "$left" || id.Name == "$right") {
			return x.Name
		}
		if n := exprName(x.X); n != "" {
			return n + "_" + x.Name
		}
	case *Index:
		if n := exprName(x.X); n != "" {
			if l, ok := x.I.(*Lit); ok {
				return n + "_" + toStr(l.Val)
			}
		}
	case *Call:
		switch x.Name {
		case "tostring", "toint", "tolong", "todouble", "toreal", "todatetime", "tobool",
			"totimespan", "todynamic", "tolower", "toupper", "bin", "floor", "bin_at",
			"parse_json", "todecimal", "toguid", "trim":
			if x.Name == "trim" && len(x.Args) == 2 {
				return exprName(x.Args[1])
			}
			if len(x.Args) > 0 {
				return exprName(x.Args[0])
			}
		}
	}
	return ""
}
