// Package timewindow restricts a hunt to a window of time: --from, --to and
// --last.
//
// Parse reads the flags into a Spec. A Spec whose bounds are known before
// any event is read (Fixed: --from/--to, or --last with an anchor, --now)
// resolves to a Window at once: Window.Matcher and Window.Observer gate the
// engine's matchers and observers, so rules, correlations and KQL tables
// only see the events in the window. A --last without an anchor counts back
// from the newest event of the input, which is known only once every event
// has been read: then a Tally (a hunt.Observer) finds the newest event, and
// its Hold sink keeps, once the run is complete, the hits whose time is in
// the window (a Window is a hunt.HitFilter).
//
// The bounds: From is inclusive, To exclusive, both to the nanosecond; a
// zero bound is open. --last D is the D up to and including its anchor:
// From = anchor - D, To = anchor + 1 ns. Events without a timestamp are in
// every window: a window never drops them, and Tally counts them.
//
// Plain dates (2024-05-01) are the first instant of that day in the zone
// given to Parse (the zone the output is shown in; UTC by default). Units of
// --last are s, m, h, d (24 h, even across a DST change) and w (7 d).
package timewindow

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Spec is a window as the flags ask for it.
type Spec struct {
	From time.Time // inclusive; zero: no lower bound
	To   time.Time // exclusive; zero: no upper bound
	// Last, when not zero, makes the window the Last up to Anchor, both
	// ends inclusive; From and To are then zero.
	Last time.Duration
	// Anchor is the instant Last counts back from (--now); zero means the
	// newest event of the input.
	Anchor time.Time
}

// Flags are the flag values Parse reads. Empty strings are flags not given.
type Flags struct {
	From, To, Last string
	// Location is the zone plain dates are read in; nil means UTC.
	Location *time.Location
	// Anchor is --now, already parsed (the wall clock resolved); zero: the
	// newest event.
	Anchor time.Time
}

// Error is a flag value Parse rejects. Hint says what would be accepted.
type Error struct {
	Flag  string // "--from", "--to", "--last"
	Value string
	Err   error
	Hint  string
}

func (e *Error) Error() string {
	if e.Value == "" {
		return fmt.Sprintf("%s: %v", e.Flag, e.Err)
	}
	return fmt.Sprintf("%s %q: %v", e.Flag, e.Value, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

// Sentinels wrapped by *Error.
var (
	ErrBadTime     = errors.New("not an RFC 3339 time with an offset nor a plain date")
	ErrNoOffset    = errors.New("the time has no offset")
	ErrBadDuration = errors.New("not a duration such as 30m, 12h, 7d or 2w")
	ErrEmpty       = errors.New("the window is empty")
	ErrConflict    = errors.New("--last cannot be combined with --from or --to")
)

// Hints for the usage errors.
const (
	timeHint = "give an RFC 3339 time with its offset (2024-05-01T08:00:00Z, 2024-05-01T10:00:00+02:00) or a plain date (2024-05-01, read in --timezone, else UTC)"
	lastHint = "--last takes a whole number and a unit: s, m, h, d (24 h) or w (7 d), e.g. --last 7d"
)

// Parse reads the flags into a Spec. The zero Flags give the zero Spec, no
// window. Every error is an *Error naming the flag.
func Parse(f Flags) (Spec, error) {
	var s Spec
	var err error
	if f.From != "" {
		if s.From, err = ParseTime(f.From, f.Location); err != nil {
			return Spec{}, &Error{Flag: "--from", Value: f.From, Err: err, Hint: timeHint}
		}
	}
	if f.To != "" {
		if s.To, err = ParseTime(f.To, f.Location); err != nil {
			return Spec{}, &Error{Flag: "--to", Value: f.To, Err: err, Hint: timeHint}
		}
	}
	if f.Last != "" {
		if f.From != "" || f.To != "" {
			return Spec{}, &Error{Flag: "--last", Value: f.Last, Err: ErrConflict,
				Hint: "use --from and --to for a window between two times, or --last (with --now to anchor it)"}
		}
		if s.Last, err = ParseLast(f.Last); err != nil {
			return Spec{}, &Error{Flag: "--last", Value: f.Last, Err: err, Hint: lastHint}
		}
		if !f.Anchor.IsZero() {
			s.Anchor = f.Anchor.UTC()
		}
	}
	if !s.From.IsZero() && !s.To.IsZero() && !s.From.Before(s.To) {
		return Spec{}, &Error{Flag: "--to", Value: f.To,
			Err:  fmt.Errorf("%w: --to %s is not after --from %s", ErrEmpty, s.To.Format(time.RFC3339Nano), s.From.Format(time.RFC3339Nano)),
			Hint: "--from is inclusive and --to exclusive: --from 2024-05-01 --to 2024-05-02 is the whole of May 1"}
	}
	return s, nil
}

// IsZero reports whether s is no window at all.
func (s Spec) IsZero() bool { return s.From.IsZero() && s.To.IsZero() && s.Last == 0 }

// Fixed reports whether the bounds are known before any event is read:
// everything but --last without an anchor.
func (s Spec) Fixed() bool { return s.Last == 0 || !s.Anchor.IsZero() }

// Resolve returns the window. newest is the newest event of the input; it
// is read only for --last without an anchor, and when it is zero (no event
// had a timestamp) that window is open.
func (s Spec) Resolve(newest time.Time) Window {
	if s.Last == 0 {
		return Window{From: s.From, To: s.To}
	}
	anchor := s.Anchor
	if anchor.IsZero() {
		anchor = newest
	}
	if anchor.IsZero() {
		return Window{}
	}
	return Window{From: anchor.Add(-s.Last), To: anchor.Add(1)}
}

// Window is a resolved time window: From inclusive, To exclusive, a zero
// bound open. The zero Window keeps everything.
type Window struct {
	From, To time.Time
}

// IsZero reports whether w is open at both ends.
func (w Window) IsZero() bool { return w.From.IsZero() && w.To.IsZero() }

// Contains reports whether an event or hit at t is in the window. The zero
// time (no timestamp) is in every window.
func (w Window) Contains(t time.Time) bool {
	if t.IsZero() {
		return true
	}
	if !w.From.IsZero() && t.Before(w.From) {
		return false
	}
	return w.To.IsZero() || t.Before(w.To)
}

// Where returns -1 when t is before the window, 1 when it is at or after
// its end, and 0 when it is in it (or has no timestamp).
func (w Window) Where(t time.Time) int {
	switch {
	case t.IsZero():
		return 0
	case !w.From.IsZero() && t.Before(w.From):
		return -1
	case !w.To.IsZero() && !t.Before(w.To):
		return 1
	}
	return 0
}

// ParseTime reads a --from or --to value: an RFC 3339 time with its offset
// (nanoseconds kept), or a plain date YYYY-MM-DD, which is the first
// instant of that day in loc (nil: UTC). The result is in UTC.
func ParseTime(s string, loc *time.Location) (time.Time, error) {
	s = strings.TrimSpace(s)
	if loc == nil {
		loc = time.UTC
	}
	if len(s) == len("2006-01-02") {
		d, err := time.Parse(time.DateOnly, s)
		if err != nil {
			return time.Time{}, fmt.Errorf("%w: %v", ErrBadTime, err)
		}
		return StartOfDay(d.Year(), d.Month(), d.Day(), loc).UTC(), nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err == nil {
		return t.UTC(), nil
	}
	for _, layout := range []string{"2006-01-02T15:04:05.999999999", "2006-01-02 15:04:05.999999999"} {
		if _, e := time.Parse(layout, s); e == nil {
			return time.Time{}, fmt.Errorf("%w: add Z for UTC or the zone's offset, e.g. +02:00", ErrNoOffset)
		}
	}
	return time.Time{}, ErrBadTime
}

// StartOfDay returns the first instant of the day y-m-d in loc. That is
// midnight, except where a change of offset skips midnight (the day then
// starts at the change) or repeats it (the first midnight counts).
func StartOfDay(y int, m time.Month, d int, loc *time.Location) time.Time {
	day := time.Date(y, m, d, 0, 0, 0, 0, time.UTC) // the date, as a comparable key
	before := func(u int64) bool {
		ly, lm, ld := time.Unix(u, 0).In(loc).Date()
		return time.Date(ly, lm, ld, 0, 0, 0, 0, time.UTC).Before(day)
	}
	// Offsets are within ±26 h of UTC, so the day starts in this range;
	// changes of offset fall on whole seconds.
	lo, hi := day.Unix()-27*3600, day.Unix()+27*3600
	for hi-lo > 1 {
		mid := lo + (hi-lo)/2
		if before(mid) {
			lo = mid
		} else {
			hi = mid
		}
	}
	return time.Unix(hi, 0).In(loc)
}

// units of --last.
var units = map[byte]time.Duration{
	's': time.Second,
	'm': time.Minute,
	'h': time.Hour,
	'd': 24 * time.Hour,
	'w': 7 * 24 * time.Hour,
}

// ParseLast reads a --last value: a positive whole number and one unit,
// s, m, h, d (24 h) or w (7 d): 90m, 36h, 7d, 2w.
func ParseLast(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if len(s) < 2 {
		return 0, ErrBadDuration
	}
	unit, ok := units[s[len(s)-1]]
	if !ok {
		return 0, fmt.Errorf("%w: the unit must be s, m, h, d or w", ErrBadDuration)
	}
	digits := s[:len(s)-1]
	for i := 0; i < len(digits); i++ {
		if digits[i] < '0' || digits[i] > '9' {
			return 0, ErrBadDuration
		}
	}
	n, err := strconv.ParseInt(digits, 10, 64)
	if err != nil || n > math.MaxInt64/int64(unit) {
		return 0, fmt.Errorf("%w: too long", ErrBadDuration)
	}
	if n == 0 {
		return 0, fmt.Errorf("%w: it must be more than zero", ErrBadDuration)
	}
	return time.Duration(n) * unit, nil
}

// FormatLast writes d as --last would take it, in the largest unit that
// divides it.
func FormatLast(d time.Duration) string {
	for _, u := range []byte{'w', 'd', 'h', 'm', 's'} {
		if d%units[u] == 0 {
			return strconv.FormatInt(int64(d/units[u]), 10) + string(u)
		}
	}
	return d.String()
}
