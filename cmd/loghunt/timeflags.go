package main

import (
	"errors"
	"flag"
	"time"

	"github.com/loghunt/loghunt/hunt/app"
	"github.com/loghunt/loghunt/hunt/timewindow"
)

// timeFlags are the time window (--from, --to, --last) and the time zone
// (--timezone, --local) flags, registered together.
type timeFlags struct {
	from, to, last string
	timezone       string
	local          bool
}

// register adds --from and --to; with last, --last (which counts back
// from --now); with zone, --timezone and --local.
func (t *timeFlags) register(fs *flag.FlagSet, last, zone bool) {
	date := "a date (2024-05-01, UTC)"
	if zone {
		date = "a date (2024-05-01, read in --timezone, else UTC)"
	}
	fs.StringVar(&t.from, "from", "", "only events at or after `TIME`: RFC 3339 with its offset (2024-05-01T08:00:00+02:00) or "+date)
	fs.StringVar(&t.to, "to", "", "only events before `TIME` (exclusive), given as for --from")
	if last {
		fs.StringVar(&t.last, "last", "", "only the `duration` (30m, 12h, 7d, 2w) up to --now, or else up to the newest event in the input")
	}
	if zone {
		fs.StringVar(&t.timezone, "timezone", "", "write times in `zone`, an IANA name such as Europe/Berlin, with their offset (default UTC)")
		fs.BoolVar(&t.local, "local", false, "write times in this machine's time zone, with their offset")
	}
}

// location is the zone of --timezone or --local; nil is UTC.
func (t *timeFlags) location() (*time.Location, error) {
	switch {
	case t.local && t.timezone != "":
		return nil, usagef("give --timezone ZONE or --local, not both", "--local and --timezone %s name two zones", t.timezone)
	case t.local:
		return time.Local, nil
	case t.timezone == "":
		return nil, nil
	}
	loc, err := time.LoadLocation(t.timezone)
	if err != nil {
		return nil, usagef("use an IANA zone name such as Europe/Berlin, America/New_York or UTC, or --local for this machine's zone",
			"unknown --timezone %q", t.timezone)
	}
	return loc, nil
}

// spec reads the window. --last counts back from --now when it is given
// (the wall clock for --now wallclock); plain dates are read in loc.
func (t *timeFlags) spec(now app.Now, loc *time.Location) (timewindow.Spec, error) {
	anchor := now.Time
	if now.Wallclock {
		anchor = time.Now().UTC()
	}
	s, err := timewindow.Parse(timewindow.Flags{From: t.from, To: t.to, Last: t.last, Location: loc, Anchor: anchor})
	var te *timewindow.Error
	if errors.As(err, &te) {
		return s, usagef(te.Hint, "%v", te)
	}
	return s, err
}
