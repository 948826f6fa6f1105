package hunt

import (
	"errors"
	"io/fs"
	"testing"
)

func TestSkipped(t *testing.T) {
	tests := []struct {
		name string
		s    Skipped
		want string
	}{
		{"path only", Skipped{Path: "a.yml", Reason: "not a rule"}, "a.yml: not a rule"},
		{"position", Skipped{Path: "q.yaml", Line: 5, Column: 3, Reason: "query does not parse"}, "q.yaml:5:3: query does not parse"},
		{"line and id", Skipped{Path: "r.yml", Line: 2, RuleID: "x-1", Reason: "bad"}, "r.yml:2 [x-1]: bad"},
		{"reason from err", Skipped{Path: "z.zip", Err: fs.ErrPermission}, "z.zip: " + fs.ErrPermission.Error()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.s.Error(); got != tt.want {
				t.Errorf("Error() = %q, want %q", got, tt.want)
			}
		})
	}
	var err error = Skipped{Path: "z.zip", Reason: "too big", Err: fs.ErrInvalid}
	if !errors.Is(err, fs.ErrInvalid) {
		t.Error("errors.Is does not reach the cause of a Skipped")
	}
	if errors.Is(Skipped{Path: "a", Reason: "r"}, fs.ErrInvalid) {
		t.Error("a Skipped without cause matches a sentinel")
	}
}
