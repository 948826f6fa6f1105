package kql

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Pos is a 1-based line and column (in characters) in the query text.
type Pos struct {
	Line, Col int
}

func (p Pos) String() string { return fmt.Sprintf("%d:%d", p.Line, p.Col) }

// SyntaxError is returned by Parse for malformed query text.
type SyntaxError struct {
	Line, Col int
	Msg       string
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("%d:%d: %s", e.Line, e.Col, e.Msg)
}

type tokKind uint8

const (
	tEOF    tokKind = iota
	tIdent          // name or keyword, including hyphenated operator names
	tString         // string literal, Text holds the decoded value
	tInt            // integer literal
	tReal           // real literal
	tSpan           // timespan literal, Span holds the value
	tOp             // punctuation and symbolic operators
	tRaw            // unquoted text inside datetime(...), timespan(...), guid(...)
)

type token struct {
	Kind tokKind
	Text string // identifier, operator, or decoded string
	Int  int64
	Real float64
	Span time.Duration
	Pos  Pos
	Off  int // byte offset of the first character
	End  int // byte offset after the last character
}

func (t token) String() string {
	switch t.Kind {
	case tEOF:
		return "end of query"
	case tString:
		return strconv.Quote(t.Text)
	}
	return fmt.Sprintf("%q", t.Text)
}

// hyphenated names that lex as one identifier.
var hyphenWords = map[string]bool{
	"project-away": true, "project-rename": true, "project-reorder": true,
	"project-keep": true, "mv-expand": true, "mv-apply": true,
	"make-series": true, "parse-where": true, "parse-kv": true,
	"top-nested": true, "top-hitters": true, "project-smart": true,
}

// negatable string operators: "!" + word lexes as one operator.
var bangWords = map[string]bool{
	"has": true, "has_cs": true, "hasprefix": true, "hasprefix_cs": true,
	"hassuffix": true, "hassuffix_cs": true, "contains": true,
	"contains_cs": true, "startswith": true, "startswith_cs": true,
	"endswith": true, "endswith_cs": true, "in": true, "between": true,
	"has_any": true, "has_all": true, "matches": true,
}

type lexer struct {
	src  string
	off  int
	line int
	col  int
	toks []token
}

func lex(src string) ([]token, error) {
	lx := &lexer{src: src, line: 1, col: 1}
	for {
		t, err := lx.next()
		if err != nil {
			return nil, err
		}
		lx.toks = append(lx.toks, t)
		if t.Kind == tEOF {
			return lx.toks, nil
		}
		if n := len(lx.toks); n >= 2 && t.Kind == tOp && t.Text == "(" && lx.toks[n-2].Kind == tIdent && rawLiteralFuncs[lx.toks[n-2].Text] {
			if r, ok := lx.raw(); ok {
				lx.toks = append(lx.toks, r)
			}
		}
	}
}

var rawLiteralFuncs = map[string]bool{"datetime": true, "timespan": true, "time": true, "guid": true, "date": true}

// raw reads the unquoted body of datetime(2021-01-01 10:00) and similar
// literals up to the closing parenthesis.
func (lx *lexer) raw() (token, bool) {
	lx.skipSpace()
	c := lx.peekByte(0)
	if c == '"' || c == '\'' || c == '@' || c == ')' || c == 0 {
		return token{}, false
	}
	i := strings.IndexAny(lx.src[lx.off:], ")\n")
	if i < 0 || lx.src[lx.off+i] != ')' {
		return token{}, false
	}
	start := Pos{lx.line, lx.col}
	off := lx.off
	text := strings.TrimSpace(lx.src[lx.off : lx.off+i])
	lx.advance(i)
	return token{Kind: tRaw, Text: text, Pos: start, Off: off, End: lx.off}, true
}

func (lx *lexer) errAt(p Pos, format string, a ...any) error {
	return &SyntaxError{Line: p.Line, Col: p.Col, Msg: fmt.Sprintf(format, a...)}
}

func (lx *lexer) peekByte(k int) byte {
	if lx.off+k < len(lx.src) {
		return lx.src[lx.off+k]
	}
	return 0
}

// advance moves over n bytes, keeping line and column.
func (lx *lexer) advance(n int) {
	for i := 0; i < n && lx.off < len(lx.src); {
		r, sz := utf8.DecodeRuneInString(lx.src[lx.off:])
		lx.off += sz
		i += sz
		if r == '\n' {
			lx.line++
			lx.col = 1
		} else {
			lx.col++
		}
	}
}

func isIdentStart(c byte) bool {
	return c == '_' || c == '$' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c >= 0x80
}

func isIdentChar(c byte) bool {
	return isIdentStart(c) || (c >= '0' && c <= '9')
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func (lx *lexer) skipSpace() {
	for lx.off < len(lx.src) {
		c := lx.src[lx.off]
		switch {
		case c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v':
			lx.advance(1)
		case c == '/' && lx.peekByte(1) == '/':
			for lx.off < len(lx.src) && lx.src[lx.off] != '\n' {
				lx.advance(1)
			}
		case c == 0xC2 && lx.peekByte(1) == 0xA0: // no-break space
			lx.advance(2)
		case c == 0xEF && lx.peekByte(1) == 0xBB && lx.peekByte(2) == 0xBF: // BOM
			lx.advance(3)
		case c == 0xE2 && lx.peekByte(1) == 0x80 && (lx.peekByte(2) == 0x8B || lx.peekByte(2) == 0x8C || lx.peekByte(2) == 0x8D || lx.peekByte(2) == 0xAF || (lx.peekByte(2) >= 0x80 && lx.peekByte(2) <= 0x8A)):
			// zero-width and typographic spaces pasted from web pages
			lx.advance(3)
		default:
			return
		}
	}
}

var symOps = []string{
	"!between", "==", "!=", "=~", "!~", "<=", ">=", "=>", "..", "<>",
	"|", ";", ",", "(", ")", "[", "]", "{", "}", ".", ":", "=", "+", "-",
	"*", "/", "%", "<", ">", "!", "?",
}

func (lx *lexer) next() (token, error) {
	lx.skipSpace()
	start := Pos{lx.line, lx.col}
	off := lx.off
	mk := func(k tokKind, text string) token {
		return token{Kind: k, Text: text, Pos: start, Off: off, End: lx.off}
	}
	if lx.off >= len(lx.src) {
		return mk(tEOF, ""), nil
	}
	c := lx.src[lx.off]

	// string literals, with optional h/H (obfuscated) and @ (verbatim) prefixes
	if (c == 'h' || c == 'H') && (lx.peekByte(1) == '"' || lx.peekByte(1) == '\'' || (lx.peekByte(1) == '@' && (lx.peekByte(2) == '"' || lx.peekByte(2) == '\''))) {
		lx.advance(1)
		c = lx.src[lx.off]
	}
	if c == '@' && (lx.peekByte(1) == '"' || lx.peekByte(1) == '\'') {
		lx.advance(1)
		s, err := lx.verbatim(start)
		if err != nil {
			return token{}, err
		}
		return lx.concat(mk(tString, s))
	}
	if c == '`' && lx.peekByte(1) == '`' && lx.peekByte(2) == '`' {
		lx.advance(3)
		i := strings.Index(lx.src[lx.off:], "```")
		if i < 0 {
			return token{}, lx.errAt(start, "unterminated ``` string")
		}
		s := lx.src[lx.off : lx.off+i]
		lx.advance(i + 3)
		return lx.concat(mk(tString, s))
	}
	if c == '"' || c == '\'' {
		s, err := lx.quoted(start)
		if err != nil {
			return token{}, err
		}
		return lx.concat(mk(tString, s))
	}

	if isDigit(c) || (c == '.' && isDigit(lx.peekByte(1))) {
		return lx.number(start, off)
	}

	if isIdentStart(c) {
		end := lx.off
		for end < len(lx.src) && isIdentChar(lx.src[end]) {
			end++
		}
		word := lx.src[lx.off:end]
		// hyphenated operator names: project-away, mv-expand...
		if end < len(lx.src) && lx.src[end] == '-' {
			e2 := end + 1
			for e2 < len(lx.src) && isIdentChar(lx.src[e2]) {
				e2++
			}
			if hyphenWords[strings.ToLower(lx.src[lx.off:e2])] {
				end = e2
				word = lx.src[lx.off:end]
			}
		}
		lx.advance(end - lx.off)
		if (word == "in" || word == "has_any" || word == "has_all") && lx.peekByte(0) == '~' {
			lx.advance(1)
			word += "~"
		}
		return mk(tIdent, word), nil
	}

	if c == '!' && isIdentStart(lx.peekByte(1)) {
		end := lx.off + 1
		for end < len(lx.src) && isIdentChar(lx.src[end]) {
			end++
		}
		word := lx.src[lx.off+1 : end]
		if bangWords[strings.ToLower(word)] {
			lx.advance(end - lx.off)
			if word == "in" && lx.peekByte(0) == '~' {
				lx.advance(1)
				word += "~"
			}
			return mk(tOp, "!"+word), nil
		}
	}

	for _, op := range symOps {
		if strings.HasPrefix(lx.src[lx.off:], op) {
			lx.advance(len(op))
			return mk(tOp, op), nil
		}
	}
	r, _ := utf8.DecodeRuneInString(lx.src[lx.off:])
	return token{}, lx.errAt(start, "unexpected character %q", r)
}

// concat joins adjacent string literals ("a" "b" is "ab" in KQL).
func (lx *lexer) concat(t token) (token, error) {
	for {
		save := *lx
		lx.skipSpace()
		c := lx.peekByte(0)
		var s string
		var err error
		p := Pos{lx.line, lx.col}
		switch {
		case c == '"' || c == '\'':
			s, err = lx.quoted(p)
		case c == '@' && (lx.peekByte(1) == '"' || lx.peekByte(1) == '\''):
			lx.advance(1)
			s, err = lx.verbatim(p)
		default:
			*lx = save
			return t, nil
		}
		if err != nil {
			return token{}, err
		}
		t.Text += s
		t.End = lx.off
	}
}

// unterminated reports a string literal that runs to the end of its line.
func (lx *lexer) unterminated(start Pos) error {
	return lx.errAt(Pos{lx.line, lx.col}, "unterminated string literal (opened at %s)", start)
}

func (lx *lexer) verbatim(start Pos) (string, error) {
	q := lx.src[lx.off]
	lx.advance(1)
	var b strings.Builder
	for {
		if lx.off >= len(lx.src) {
			return "", lx.unterminated(start)
		}
		c := lx.src[lx.off]
		if c == q {
			if lx.peekByte(1) == q {
				b.WriteByte(q)
				lx.advance(2)
				continue
			}
			lx.advance(1)
			return b.String(), nil
		}
		if c == '\n' || c == '\r' {
			return "", lx.unterminated(start)
		}
		b.WriteByte(c)
		lx.advance(1)
	}
}

func (lx *lexer) quoted(start Pos) (string, error) {
	q := lx.src[lx.off]
	lx.advance(1)
	var b strings.Builder
	for {
		if lx.off >= len(lx.src) {
			return "", lx.unterminated(start)
		}
		c := lx.src[lx.off]
		switch {
		case c == q:
			lx.advance(1)
			return b.String(), nil
		case c == '\n' || c == '\r':
			return "", lx.unterminated(start)
		case c == '\\':
			e := lx.peekByte(1)
			p := Pos{lx.line, lx.col}
			switch e {
			case 'n':
				b.WriteByte('\n')
			case 't':
				b.WriteByte('\t')
			case 'r':
				b.WriteByte('\r')
			case '\\', '"', '\'':
				b.WriteByte(e)
			case '0':
				b.WriteByte(0)
			case 'a':
				b.WriteByte('\a')
			case 'b':
				b.WriteByte('\b')
			case 'f':
				b.WriteByte('\f')
			case 'v':
				b.WriteByte('\v')
			case 'u', 'x':
				n := 4
				if e == 'x' {
					n = 2
				}
				if lx.off+2+n > len(lx.src) {
					return "", lx.errAt(p, "bad escape sequence")
				}
				v, err := strconv.ParseUint(lx.src[lx.off+2:lx.off+2+n], 16, 32)
				if err != nil {
					return "", lx.errAt(p, "bad escape sequence")
				}
				b.WriteRune(rune(v))
				lx.advance(2 + n)
				continue
			default:
				return "", lx.errAt(p, "unknown escape sequence \\%c", e)
			}
			lx.advance(2)
		default:
			b.WriteByte(c)
			lx.advance(1)
		}
	}
}

// span units, longest first so that "ms" wins over "m".
var spanUnits = []struct {
	name string
	d    time.Duration
}{
	{"microseconds", time.Microsecond}, {"microsecond", time.Microsecond},
	{"milliseconds", time.Millisecond}, {"millisecond", time.Millisecond},
	{"nanoseconds", time.Nanosecond}, {"nanosecond", time.Nanosecond},
	{"seconds", time.Second}, {"second", time.Second},
	{"minutes", time.Minute}, {"minute", time.Minute},
	{"hours", time.Hour}, {"hour", time.Hour},
	{"days", 24 * time.Hour}, {"day", 24 * time.Hour},
	{"ticks", 100}, {"tick", 100},
	{"micros", time.Microsecond}, {"millis", time.Millisecond},
	{"nanos", time.Nanosecond},
	{"sec", time.Second}, {"min", time.Minute}, {"hrs", time.Hour}, {"hr", time.Hour},
	{"ms", time.Millisecond}, {"us", time.Microsecond}, {"ns", time.Nanosecond},
	{"d", 24 * time.Hour}, {"h", time.Hour}, {"m", time.Minute}, {"s", time.Second},
}

func (lx *lexer) number(start Pos, off int) (token, error) {
	s := lx.src[lx.off:]
	i := 0
	if strings.HasPrefix(s, "0x") || strings.HasPrefix(s, "0X") {
		i = 2
		for i < len(s) && strings.IndexByte("0123456789abcdefABCDEF", s[i]) >= 0 {
			i++
		}
		v, err := strconv.ParseInt(s[2:i], 16, 64)
		if err != nil {
			return token{}, lx.errAt(start, "bad hex literal %q", s[:i])
		}
		lx.advance(i)
		return token{Kind: tInt, Text: s[:i], Int: v, Pos: start, Off: off, End: lx.off}, nil
	}
	for i < len(s) && isDigit(s[i]) {
		i++
	}
	isReal := false
	if i < len(s) && s[i] == '.' && i+1 < len(s) && isDigit(s[i+1]) {
		isReal = true
		i++
		for i < len(s) && isDigit(s[i]) {
			i++
		}
	} else if i < len(s) && s[i] == '.' && !(i+1 < len(s) && s[i+1] == '.') && !(i+1 < len(s) && isIdentStart(s[i+1])) {
		// "1." is a real
		isReal = true
		i++
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		j := i + 1
		if j < len(s) && (s[j] == '+' || s[j] == '-') {
			j++
		}
		if j < len(s) && isDigit(s[j]) {
			for j < len(s) && isDigit(s[j]) {
				j++
			}
			isReal = true
			i = j
		}
	}
	num := s[:i]
	// timespan suffix
	if i < len(s) && isIdentStart(s[i]) {
		end := i
		for end < len(s) && isIdentChar(s[end]) {
			end++
		}
		unit := strings.ToLower(s[i:end])
		for _, u := range spanUnits {
			if u.name == unit {
				f, err := strconv.ParseFloat(num, 64)
				if err != nil {
					return token{}, lx.errAt(start, "bad timespan %q", s[:end])
				}
				lx.advance(end)
				return token{Kind: tSpan, Text: s[:end], Span: time.Duration(f * float64(u.d)), Pos: start, Off: off, End: lx.off}, nil
			}
		}
		return token{}, lx.errAt(start, "bad number or timespan %q", s[:end])
	}
	lx.advance(i)
	if isReal {
		f, err := strconv.ParseFloat(num, 64)
		if err != nil {
			return token{}, lx.errAt(start, "bad real literal %q", num)
		}
		return token{Kind: tReal, Text: num, Real: f, Pos: start, Off: off, End: lx.off}, nil
	}
	v, err := strconv.ParseInt(num, 10, 64)
	if err != nil {
		f, ferr := strconv.ParseFloat(num, 64)
		if ferr != nil {
			return token{}, lx.errAt(start, "bad number %q", num)
		}
		return token{Kind: tReal, Text: num, Real: f, Pos: start, Off: off, End: lx.off}, nil
	}
	return token{Kind: tInt, Text: num, Int: v, Pos: start, Off: off, End: lx.off}, nil
}
