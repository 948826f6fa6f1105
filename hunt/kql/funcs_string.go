package kql

import (
	"encoding/base64"
	"net/url"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/loghunt/loghunt/hunt/kql/value"
)

// stringFuncs are the string builtins. The regular-expression functions
// have a nil fn: regexCall compiles them, precompiling a constant pattern.
var stringFuncs = map[string]builtin{
	"tolower": {1, 1, value.String, func(a []any) any { return strings.ToLower(toStr(a[0])) }},
	"toupper": {1, 1, value.String, func(a []any) any { return strings.ToUpper(toStr(a[0])) }},
	"strcat": {1, -1, value.String, func(a []any) any {
		var sb strings.Builder
		for _, v := range a {
			sb.WriteString(toStr(v))
		}
		return sb.String()
	}},
	"strcat_delim": {2, -1, value.String, func(a []any) any {
		parts := make([]string, 0, len(a)-1)
		for _, v := range a[1:] {
			parts = append(parts, toStr(v))
		}
		return strings.Join(parts, toStr(a[0]))
	}},
	"strcat_array": {2, 2, value.String, func(a []any) any {
		arr, _ := asArray(a[0])
		parts := make([]string, 0, len(arr))
		for _, v := range arr {
			parts = append(parts, toStr(v))
		}
		return strings.Join(parts, toStr(a[1]))
	}},
	"strlen":    {1, 1, value.Long, func(a []any) any { return int64(utf8.RuneCountInString(toStr(a[0]))) }},
	"substring": {2, 3, value.String, fnSubstring},
	"split": {2, 3, value.Dynamic, func(a []any) any {
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
	}},
	"replace_string":  {3, 3, value.String, fnReplaceString},
	"replace_strings": {3, 3, value.String, fnReplaceString},
	"strrep": {2, 3, value.String, func(a []any) any {
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
	}},
	"reverse": {1, 1, value.String, func(a []any) any {
		r := []rune(toStr(a[0]))
		for i, j := 0, len(r)-1; i < j; i, j = i+1, j-1 {
			r[i], r[j] = r[j], r[i]
		}
		return string(r)
	}},
	"indexof": {2, 5, value.Long, func(a []any) any {
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
	}},
	"trim":                   {2, 2, value.String, func(a []any) any { return trimRegex(toStr(a[0]), toStr(a[1]), true, true) }},
	"trim_start":             {2, 2, value.String, func(a []any) any { return trimRegex(toStr(a[0]), toStr(a[1]), true, false) }},
	"trim_end":               {2, 2, value.String, func(a []any) any { return trimRegex(toStr(a[0]), toStr(a[1]), false, true) }},
	"base64_decode_tostring": {1, 1, value.String, fnBase64DecodeToString},
	"base64_decodestring":    {1, 1, value.String, fnBase64DecodeToString},
	"base64_encode_tostring": {1, 1, value.String, fnBase64EncodeToString},
	"base64_encodestring":    {1, 1, value.String, fnBase64EncodeToString},
	"base64_decode_toarray": {1, 1, value.Dynamic, func(a []any) any {
		d, err := base64.StdEncoding.DecodeString(strings.TrimSpace(toStr(a[0])))
		if err != nil {
			return nil
		}
		out := make([]any, len(d))
		for i, c := range d {
			out[i] = int64(c)
		}
		return out
	}},
	"countof": {2, 3, value.Long, func(a []any) any {
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
	}},
	"url_decode": {1, 1, value.String, func(a []any) any {
		s, err := url.QueryUnescape(toStr(a[0]))
		if err != nil {
			return toStr(a[0])
		}
		return s
	}},
	"url_encode":           {1, 1, value.String, fnURLEncode},
	"url_encode_component": {1, 1, value.String, fnURLEncode},
	"strcmp":               {2, 2, value.Long, func(a []any) any { return int64(strings.Compare(toStr(a[0]), toStr(a[1]))) }},
	"isascii":              {1, 1, value.Bool, func(a []any) any { return isASCII(toStr(a[0])) }},
	"isutf8":               {1, 1, value.Bool, func(a []any) any { return utf8.ValidString(toStr(a[0])) }},
	"translate": {3, 3, value.String, func(a []any) any {
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
	}},
	"make_string": {1, -1, value.String, func(a []any) any {
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
	}},
	"extract_all":   {2, 3, value.Dynamic, nil},
	"replace":       {3, 3, value.String, nil},
	"replace_regex": {3, 3, value.String, nil},
	"extract":       {3, 4, value.String, nil},
}

func fnReplaceString(a []any) any {
	lookup := toStr(a[1])
	if lookup == "" {
		return toStr(a[0])
	}
	return strings.ReplaceAll(toStr(a[0]), lookup, toStr(a[2]))
}

func fnBase64DecodeToString(a []any) any {
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
}

func fnBase64EncodeToString(a []any) any {
	return base64.StdEncoding.EncodeToString([]byte(toStr(a[0])))
}

func fnURLEncode(a []any) any {
	return url.QueryEscape(toStr(a[0]))
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

// regexCall compiles replace/extract/extract_all, precompiling a constant
// pattern.
func (c *compiler) regexCall(x *Call) *cexpr {
	args := x.Args
	bi, _ := lookupBuiltin(x.Name)
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
