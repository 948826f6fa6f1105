package sigma

import (
	"strings"
)

// conditionKeywords are the words of the condition grammar.
var conditionKeywords = map[string]bool{"and": true, "or": true, "not": true, "of": true, "them": true, "all": true, "1": true}

// synthName returns a name made of letters only, unique for i.
func synthName(prefix string, i int) string {
	var b strings.Builder
	b.WriteString(prefix)
	for {
		b.WriteByte(byte('a' + i%26))
		i /= 26
		if i == 0 {
			break
		}
	}
	return b.String()
}

// rewriteCondition replaces every search identifier and pattern in the
// search part of a condition with a synthetic letters-only name before
// sigma-go parses it: its lexer rejects patterns such as "selection_1_*"
// (a digit before the star) and identifiers with characters like '-' or
// '.'. The returned map gives the original of each synthetic name (for a
// pattern, without the trailing '*' of the synthetic one). Whitespace is
// normalized so "1  of" parses as "1 of". The aggregation part after '|'
// is kept as is.
func rewriteCondition(cond string) (string, map[string]string) {
	search, agg, hasAgg := strings.Cut(cond, "|")
	orig := map[string]string{}
	seen := map[string]string{}
	var out []string
	for _, w := range conditionWords(search) {
		word := w.text
		lw := strings.ToLower(word)
		if word == "(" || word == ")" || conditionKeywords[lw] {
			out = append(out, lw)
			continue
		}
		if s, ok := seen[word]; ok {
			out = append(out, s)
			continue
		}
		var s string
		if strings.Contains(word, "*") {
			s = synthName("zzpat", len(seen)) + "*"
			orig[strings.TrimSuffix(s, "*")] = word
		} else {
			s = synthName("zzid", len(seen))
			orig[s] = word
		}
		seen[word] = s
		out = append(out, s)
	}
	res := strings.Join(out, " ")
	if hasAgg {
		res += " |" + agg
	}
	return res, orig
}

// condWord is one word of a condition and its byte offset.
type condWord struct {
	text string
	off  int
}

// conditionWords splits on whitespace and parentheses, keeping the
// parentheses as words.
func conditionWords(s string) []condWord {
	var out []condWord
	start := -1
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '(' || c == ')' {
			if start >= 0 {
				out = append(out, condWord{s[start:i], start})
				start = -1
			}
			if c == '(' || c == ')' {
				out = append(out, condWord{s[i : i+1], i})
			}
			continue
		}
		if start < 0 {
			start = i
		}
	}
	if start >= 0 {
		out = append(out, condWord{s[start:], start})
	}
	return out
}
