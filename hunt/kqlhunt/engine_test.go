package kqlhunt

import (
	"testing"
	"time"

	"github.com/loghunt/loghunt/hunt"
	"github.com/loghunt/loghunt/hunt/kql/value"
)

func TestFormatCell(t *testing.T) {
	tests := []struct {
		in   any
		want string
	}{
		{nil, ""},
		{"x", "x"},
		{int64(-3), "-3"},
		{1.5, "1.5"},
		{true, "true"},
		{time.Date(2024, 1, 2, 3, 4, 5, 1234500, time.UTC), "2024-01-02T03:04:05.0012345Z"},
		{90 * time.Minute, "01:30:00"},
		{26*time.Hour + 150*time.Millisecond, "1.02:00:00.1500000"},
		{[]any{"a", int64(1)}, `["a",1]`},
	}
	for _, tt := range tests {
		if got := FormatCell(tt.in); got != tt.want {
			t.Errorf("FormatCell(%v) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestRowHit(t *testing.T) {
	ts := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	tab := &value.Table{Columns: []value.Column{{Name: "Timestamp", Type: value.DateTime}, {Name: "DeviceName", Type: value.String}, {Name: "ReportId", Type: value.Long}}}
	h := rowHit(&hunt.Rule{ID: "q"}, tab, []any{ts, "ws1", int64(42)})
	if !h.Time.Equal(ts) || h.Event.Computer != "ws1" || h.Event.RecordID != 42 || len(h.Row) != 3 {
		t.Fatalf("%+v %+v", h, h.Event)
	}
}
