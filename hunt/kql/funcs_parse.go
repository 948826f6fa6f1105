package kql

import (
	"encoding/csv"
	"net/url"
	"strconv"
	"strings"

	"github.com/loghunt/loghunt/hunt/kql/value"
)

// parseFuncs are the builtins that take a structured string apart: URLs,
// paths, JSON paths, XML, CSV and Windows command lines.
var parseFuncs = map[string]builtin{
	"parse_url":    {1, 1, value.Dynamic, fnParseURL},
	"parseurl":     {1, 1, value.Dynamic, fnParseURL},
	"parse_path":   {1, 1, value.Dynamic, fnParsePath},
	"extractjson":  {2, 3, value.String, fnExtractJSON},
	"extract_json": {2, 3, value.String, fnExtractJSON},
	"parse_xml":    {1, 1, value.Dynamic, func(a []any) any { return parseXML(toStr(a[0])) }},
	"parse_command_line": {2, 2, value.Dynamic, func(a []any) any {
		out := []any{}
		for _, f := range splitCommandLine(toStr(a[0])) {
			out = append(out, f)
		}
		return out
	}},
	"parse_csv": {1, 1, value.Dynamic, func(a []any) any {
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
	}},
}

func fnExtractJSON(a []any) any {
	v := jsonPath(toStr(a[0]), parseJSON(a[1]))
	if v == nil {
		return ""
	}
	return toStr(v)
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
