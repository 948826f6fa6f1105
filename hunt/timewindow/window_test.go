package timewindow

import (
	"errors"
	"testing"
	"time"
)

func utc(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return t.UTC()
}

func zone(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatalf("tzdata: %v", err)
	}
	return loc
}

// The expected instants are computed by hand from the zones' rules (as
// zdump prints them): Berlin is +01:00 in winter and +02:00 in summer,
// changing at 01:00 UTC on the last Sundays of March and October.
func TestParseTime(t *testing.T) {
	berlin := zone(t, "Europe/Berlin")
	tests := []struct {
		name string
		in   string
		loc  *time.Location
		want time.Time
	}{
		{"utc", "2024-05-01T00:00:00Z", nil, utc("2024-05-01T00:00:00Z")},
		{"offset and nanoseconds", "2024-05-01T10:00:00.123456789+02:00", nil, utc("2024-05-01T08:00:00.123456789Z")},
		{"negative offset", "2024-05-01T00:00:00-05:00", berlin, utc("2024-05-01T05:00:00Z")},
		{"offset wins over the zone", "2024-05-01T00:00:00Z", berlin, utc("2024-05-01T00:00:00Z")},
		{"plain date in UTC", "2024-05-01", nil, utc("2024-05-01T00:00:00Z")},
		{"plain date, spaces", " 2024-05-01 ", nil, utc("2024-05-01T00:00:00Z")},
		{"plain date in Berlin summer", "2024-05-01", berlin, utc("2024-04-30T22:00:00Z")},
		{"plain date in Berlin winter", "2024-01-15", berlin, utc("2024-01-14T23:00:00Z")},
		// The spring change is at 02:00 local: midnight of the 29th is still +01:00.
		{"Berlin day of the spring change", "2026-03-29", berlin, utc("2026-03-28T23:00:00Z")},
		{"Berlin day after the spring change", "2026-03-30", berlin, utc("2026-03-29T22:00:00Z")},
		{"Berlin day of the autumn change", "2026-10-25", berlin, utc("2026-10-24T22:00:00Z")},
		{"Berlin day after the autumn change", "2026-10-26", berlin, utc("2026-10-25T23:00:00Z")},
		// Sao Paulo skipped midnight on 2018-11-04 (00:00 -03 became 01:00 -02):
		// the day began at 01:00 -02, 03:00 UTC.
		{"skipped midnight", "2018-11-04", zone(t, "America/Sao_Paulo"), utc("2018-11-04T03:00:00Z")},
		// Beirut went back at midnight on 2023-10-29 (00:00 +03 became 23:00 +02
		// of the 28th): the 29th began at 00:00 +02, 22:00 UTC.
		{"midnight turned back", "2023-10-29", zone(t, "Asia/Beirut"), utc("2023-10-28T22:00:00Z")},
		{"leap day", "2024-02-29", nil, utc("2024-02-29T00:00:00Z")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseTime(tt.in, tt.loc)
			if err != nil {
				t.Fatal(err)
			}
			if !got.Equal(tt.want) || got.Location() != time.UTC {
				t.Errorf("ParseTime(%q) = %s, want %s (in UTC)", tt.in, got.Format(time.RFC3339Nano), tt.want.Format(time.RFC3339Nano))
			}
		})
	}
}

func TestParseTimeErrors(t *testing.T) {
	tests := []struct {
		in   string
		want error
	}{
		{"2024-05-01T10:00:00", ErrNoOffset},
		{"2024-05-01 10:00:00", ErrNoOffset},
		{"2024-05-01T10:00:00.5", ErrNoOffset},
		{"2024-13-01", ErrBadTime},
		{"2023-02-29", ErrBadTime},
		{"yesterday", ErrBadTime},
		{"2024-05-01T25:00:00Z", ErrBadTime},
		{"1714521600", ErrBadTime},
		{"", ErrBadTime},
	}
	for _, tt := range tests {
		if _, err := ParseTime(tt.in, nil); !errors.Is(err, tt.want) {
			t.Errorf("ParseTime(%q) error = %v, want %v", tt.in, err, tt.want)
		}
	}
}

func TestParseLast(t *testing.T) {
	good := map[string]time.Duration{
		"30s": 30 * time.Second,
		"90m": 90 * time.Minute,
		"36h": 36 * time.Hour,
		"7d":  7 * 24 * time.Hour,
		"2w":  14 * 24 * time.Hour,
		"1d":  24 * time.Hour,
	}
	for in, want := range good {
		if got, err := ParseLast(in); err != nil || got != want {
			t.Errorf("ParseLast(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	// FormatLast uses the largest unit that divides the duration.
	for d, want := range map[time.Duration]string{7 * 24 * time.Hour: "1w", 90 * time.Minute: "90m", 48 * time.Hour: "2d", 3600 * time.Second: "1h"} {
		if got := FormatLast(d); got != want {
			t.Errorf("FormatLast(%v) = %q, want %q", d, got, want)
		}
	}
	for _, in := range []string{"", "d", "7", "0d", "-1d", "+1d", "1.5d", "7D", "7x", "1d12h", "7 d", "99999999999999w", "9223372036854775808s"} {
		if d, err := ParseLast(in); !errors.Is(err, ErrBadDuration) {
			t.Errorf("ParseLast(%q) = %v, %v; want ErrBadDuration", in, d, err)
		}
	}
}

func TestParse(t *testing.T) {
	anchor := utc("2024-05-08T12:00:00Z")
	s, err := Parse(Flags{From: "2024-05-01", To: "2024-05-02T00:00:00+02:00"})
	if err != nil {
		t.Fatal(err)
	}
	if want := (Spec{From: utc("2024-05-01T00:00:00Z"), To: utc("2024-05-01T22:00:00Z")}); s != want {
		t.Errorf("from/to = %+v, want %+v", s, want)
	}
	if !s.Fixed() || s.IsZero() {
		t.Errorf("from/to: Fixed %v IsZero %v", s.Fixed(), s.IsZero())
	}
	s, err = Parse(Flags{Last: "7d", Anchor: anchor})
	if err != nil || s.Last != 7*24*time.Hour || !s.Anchor.Equal(anchor) || !s.Fixed() {
		t.Errorf("--last 7d --now: %+v %v", s, err)
	}
	s, err = Parse(Flags{Last: "7d"})
	if err != nil || s.Fixed() || !s.Anchor.IsZero() {
		t.Errorf("--last 7d: %+v %v (want not Fixed)", s, err)
	}
	if s, err := Parse(Flags{}); err != nil || !s.IsZero() || !s.Fixed() {
		t.Errorf("no flags: %+v %v", s, err)
	}

	bad := []struct {
		name string
		f    Flags
		flag string
		want error
	}{
		{"from equals to", Flags{From: "2024-05-01", To: "2024-05-01T00:00:00Z"}, "--to", ErrEmpty},
		{"from after to", Flags{From: "2024-05-02", To: "2024-05-01"}, "--to", ErrEmpty},
		{"last and from", Flags{From: "2024-05-01", Last: "7d"}, "--last", ErrConflict},
		{"last and to", Flags{To: "2024-05-01", Last: "7d"}, "--last", ErrConflict},
		{"bad from", Flags{From: "May 1"}, "--from", ErrBadTime},
		{"bad to", Flags{To: "2024-05-01T08:00"}, "--to", ErrBadTime},
		{"to without offset", Flags{To: "2024-05-01T08:00:00"}, "--to", ErrNoOffset},
		{"bad last", Flags{Last: "week"}, "--last", ErrBadDuration},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(tt.f)
			var fe *Error
			if !errors.As(err, &fe) || fe.Flag != tt.flag || fe.Hint == "" || !errors.Is(err, tt.want) {
				t.Errorf("Parse(%+v) = %v, want an *Error on %s wrapping %v, with a hint", tt.f, err, tt.flag, tt.want)
			}
		})
	}
}

// The edges, to the nanosecond: From is in, To is out.
func TestWindowEdges(t *testing.T) {
	from, to := utc("2024-05-01T00:00:00Z"), utc("2024-05-02T00:00:00Z")
	w := Spec{From: from, To: to}.Resolve(time.Time{})
	tests := []struct {
		at    time.Time
		in    bool
		where int
	}{
		{from.Add(-time.Nanosecond), false, -1},
		{from, true, 0},
		{from.Add(time.Nanosecond), true, 0},
		{to.Add(-time.Nanosecond), true, 0},
		{to, false, 1},
		{to.Add(time.Nanosecond), false, 1},
		{time.Time{}, true, 0}, // no timestamp: in every window
	}
	for _, tt := range tests {
		if got := w.Contains(tt.at); got != tt.in {
			t.Errorf("Contains(%s) = %v, want %v", tt.at.Format(time.RFC3339Nano), got, tt.in)
		}
		if got := w.Where(tt.at); got != tt.where {
			t.Errorf("Where(%s) = %d, want %d", tt.at.Format(time.RFC3339Nano), got, tt.where)
		}
	}
	// Open ends.
	if !(Window{From: from}).Contains(utc("9999-01-01T00:00:00Z")) || (Window{From: from}).Contains(from.Add(-1)) {
		t.Error("a window without To")
	}
	if !(Window{To: to}).Contains(utc("0001-01-01T00:00:01Z")) || (Window{To: to}).Contains(to) {
		t.Error("a window without From")
	}
}

func TestLastResolve(t *testing.T) {
	anchor := utc("2024-05-08T12:00:00Z")
	// With --now: 7 days up to and including the anchor.
	w := Spec{Last: 7 * 24 * time.Hour, Anchor: anchor}.Resolve(utc("2030-01-01T00:00:00Z"))
	from := utc("2024-05-01T12:00:00Z")
	if !w.From.Equal(from) || !w.To.Equal(anchor.Add(time.Nanosecond)) {
		t.Errorf("--last 7d --now: %+v", w)
	}
	for at, in := range map[time.Time]bool{
		from.Add(-time.Nanosecond):   false,
		from:                         true,
		anchor:                       true,
		anchor.Add(time.Nanosecond):  false,
		anchor.Add(-time.Nanosecond): true,
	} {
		if w.Contains(at) != in {
			t.Errorf("--last 7d --now %s: Contains(%s) = %v", anchor, at.Format(time.RFC3339Nano), !in)
		}
	}
	// Without --now: the newest event is the anchor, and it is in.
	newest := utc("2024-06-01T00:00:00.0000001Z")
	w = Spec{Last: time.Hour}.Resolve(newest)
	if !w.From.Equal(utc("2024-05-31T23:00:00.0000001Z")) || !w.Contains(newest) || w.Contains(utc("2024-05-31T23:00:00Z")) {
		t.Errorf("--last 1h before the newest event: %+v", w)
	}
	// No event had a timestamp: nothing to count back from, nothing left out.
	if w := (Spec{Last: time.Hour}).Resolve(time.Time{}); !w.IsZero() {
		t.Errorf("--last without any timestamp: %+v", w)
	}
}

// A day of --last is 24 hours, not a calendar day: across the spring change
// in Berlin, 1d before 12:00 CEST (10:00 UTC) on 2026-03-29 is 10:00 UTC on
// the 28th, which Berlin showed as 11:00 CET.
func TestLastAcrossDST(t *testing.T) {
	berlin := zone(t, "Europe/Berlin")
	anchor, err := ParseTime("2026-03-29T12:00:00+02:00", berlin)
	if err != nil {
		t.Fatal(err)
	}
	w := Spec{Last: 24 * time.Hour, Anchor: anchor}.Resolve(time.Time{})
	if got := w.From.In(berlin).Format(time.RFC3339); got != "2026-03-28T11:00:00+01:00" {
		t.Errorf("from = %s, want 2026-03-28T11:00:00+01:00", got)
	}
	// A plain-date window over the autumn day is 25 hours long.
	from, _ := ParseTime("2026-10-25", berlin)
	to, _ := ParseTime("2026-10-26", berlin)
	if d := to.Sub(from); d != 25*time.Hour {
		t.Errorf("2026-10-25 in Berlin lasts %v, want 25h", d)
	}
	from, _ = ParseTime("2026-03-29", berlin)
	to, _ = ParseTime("2026-03-30", berlin)
	if d := to.Sub(from); d != 23*time.Hour {
		t.Errorf("2026-03-29 in Berlin lasts %v, want 23h", d)
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"2024-05-01", "2024-05-01T10:00:00.123456789+02:00", "7d", "2w", "0d", "2024-05-01T10:00:00", "9999-12-31", "0000-01-01"} {
		f.Add(s)
	}
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, loc := range []*time.Location{nil, berlin} {
			if tm, err := ParseTime(s, loc); err == nil {
				if tm.Location() != time.UTC {
					t.Errorf("ParseTime(%q) not in UTC", s)
				}
				if len(s) == 10 && loc != nil {
					// A plain date starts its day: the instant before is the day before.
					if got := tm.In(loc).Format(time.DateOnly); got != s {
						t.Errorf("ParseTime(%q) in %v is on %s", s, loc, got)
					}
				}
			}
		}
		if d, err := ParseLast(s); err == nil {
			if d <= 0 {
				t.Errorf("ParseLast(%q) = %v", s, d)
			}
			if back, err := ParseLast(FormatLast(d)); err != nil || back != d {
				t.Errorf("ParseLast(FormatLast(%v)) = %v, %v", d, back, err)
			}
		}
		if sp, err := Parse(Flags{From: s, To: s}); err == nil && !sp.IsZero() {
			t.Errorf("--from %q --to %q is an empty window, accepted", s, s)
		}
	})
}
