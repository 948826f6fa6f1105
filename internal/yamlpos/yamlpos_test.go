package yamlpos

import (
	"errors"
	"testing"
)

func TestLine(t *testing.T) {
	for _, c := range []struct {
		err  error
		want int
	}{
		{nil, 0},
		{errors.New("yaml: line 5: did not find expected key"), 5},
		{errors.New("yaml: unmarshal errors:\n  line 12: cannot unmarshal !!seq into string"), 12},
		{errors.New("no position"), 0},
		{errors.New("yaml: line : odd"), 0},
		{errors.New("yaml: line 99999999999999: huge"), 0},
	} {
		if got := Line(c.err); got != c.want {
			t.Errorf("Line(%v) = %d, want %d", c.err, got, c.want)
		}
	}
}
