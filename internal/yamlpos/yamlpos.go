// Package yamlpos reads the position of a YAML syntax error. gopkg.in/yaml.v3
// reports syntax errors as text ("yaml: line 5: ..."), with no typed
// position, so the rule, tuning and Sigma loaders that point at the line of
// a bad file read it from there, the one way.
package yamlpos

import "strings"

// Line returns the line yaml.v3 names in err's text ("line N"), or 0 when
// there is none or it is absurd (over 2^30).
func Line(err error) int {
	if err == nil {
		return 0
	}
	s := err.Error()
	i := strings.Index(s, "line ")
	if i < 0 {
		return 0
	}
	n, digits := 0, 0
	for _, c := range s[i+len("line "):] {
		if c < '0' || c > '9' {
			break
		}
		n = n*10 + int(c-'0')
		digits++
		if n > 1<<30 {
			return 0
		}
	}
	if digits == 0 {
		return 0
	}
	return n
}
