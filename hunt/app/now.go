package app

import (
	"fmt"
	"strings"
	"time"
)

// Now says what KQL's now() is.
type Now struct {
	Time      time.Time // pinned instant, when not zero
	Wallclock bool      // the real clock
	// zero value: the newest event timestamp in the input
}

// ParseNow reads a --now value: "", an RFC 3339 time, or "wallclock".
func ParseNow(s string) (Now, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "":
		return Now{}, nil
	case "wallclock":
		return Now{Wallclock: true}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return Now{}, fmt.Errorf("--now %q is neither an RFC 3339 time nor 'wallclock'", s)
	}
	return Now{Time: t.UTC()}, nil
}
