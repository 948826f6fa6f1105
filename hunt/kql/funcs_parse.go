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
	p := parsePath(toStr(a[0]))
	return map[string]any{
		"Scheme": p.scheme, "RootPath": p.root, "DirectoryPath": p.dir, "DirectoryName": p.dirName,
		"Filename": p.file, "Extension": p.ext, "AlternateDataStreamName": p.stream,
	}
}

// pathParts are the parts parse_path() returns.
type pathParts struct {
	scheme, root, dir, dirName, file, ext, stream string
}

// parsePath splits a file path as Kusto's parse_path() does: an optional
// URL scheme ("file://"), a drive root ("C:", also after a long-path
// prefix \\?\), the directory and its last element, the file name, its
// extension, and an NTFS alternate data stream after a colon in the last
// element ("file.txt:some.exe"). Both slash kinds separate elements. It is
// linear in the length of s and allocates nothing beyond the substrings.
func parsePath(s string) pathParts {
	var p pathParts
	rest := s
	if i := strings.Index(rest, "://"); i >= 2 && isScheme(rest[:i]) {
		p.scheme, rest = rest[:i], rest[i+3:]
	}
	if hasDrive(rest) {
		p.root = rest[:2]
	} else if (strings.HasPrefix(rest, `\\?\`) || strings.HasPrefix(rest, `\\.\`)) && hasDrive(rest[4:]) {
		p.root = rest[4:6]
	}
	last := rest
	if i := strings.LastIndexAny(rest, `\/`); i >= 0 {
		p.dir, last = rest[:i], rest[i+1:]
		p.dirName = p.dir
		if j := strings.LastIndexAny(p.dir, `\/`); j >= 0 {
			p.dirName = p.dir[j+1:]
		}
	} else if p.root != "" {
		// C:file.txt: relative to the current directory of drive C
		last = rest[2:]
	}
	p.file = last
	if i := strings.IndexByte(last, ':'); i >= 0 {
		p.file, p.stream = last[:i], last[i+1:]
	}
	if i := strings.LastIndexByte(p.file, '.'); i >= 0 {
		p.ext = p.file[i+1:]
	}
	return p
}

// isScheme reports whether s is a URL scheme: a letter, then letters,
// digits, +, - or . (RFC 3986). One letter is a drive, not a scheme.
func isScheme(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z':
		case i > 0 && (c >= '0' && c <= '9' || c == '+' || c == '-' || c == '.'):
		default:
			return false
		}
	}
	return len(s) >= 2
}

// hasDrive reports whether s starts with a drive letter and a colon.
func hasDrive(s string) bool {
	return len(s) >= 2 && s[1] == ':' && (s[0] >= 'a' && s[0] <= 'z' || s[0] >= 'A' && s[0] <= 'Z')
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
