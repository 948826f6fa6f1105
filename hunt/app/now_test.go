package app

import (
	"testing"
	"time"
)

func TestParseNow(t *testing.T) {
	if n, err := ParseNow(""); err != nil || n.Wallclock || !n.Time.IsZero() {
		t.Errorf("empty: %+v %v", n, err)
	}
	if n, err := ParseNow("wallclock"); err != nil || !n.Wallclock {
		t.Errorf("wallclock: %+v %v", n, err)
	}
	n, err := ParseNow("2024-05-01T02:00:00.5+02:00")
	if err != nil || !n.Time.Equal(time.Date(2024, 5, 1, 0, 0, 0, 5e8, time.UTC)) || n.Time.Location() != time.UTC {
		t.Errorf("rfc3339: %+v %v", n, err)
	}
	if _, err := ParseNow("yesterday"); err == nil {
		t.Error("yesterday accepted")
	}
}
