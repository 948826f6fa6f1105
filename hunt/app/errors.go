package app

import "errors"

// ErrBadOption is matched (errors.Is) by every OptionError.
var ErrBadOption = errors.New("bad option")

// OptionError is a configuration that Prepare cannot use: the option, and
// the typed cause (rules.ErrUnknownLevel, an --expand file that does not
// read...). errors.Is matches both ErrBadOption and the cause.
type OptionError struct {
	Option string // as the command line names it: "--min-level", "--expand"
	Err    error
}

func (e *OptionError) Error() string { return e.Option + ": " + e.Err.Error() }

// Unwrap returns ErrBadOption and the cause.
func (e *OptionError) Unwrap() []error { return []error{ErrBadOption, e.Err} }
