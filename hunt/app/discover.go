package app

import (
	"fmt"

	"github.com/loghunt/loghunt/hunt"
	"github.com/loghunt/loghunt/parsers"
	"github.com/loghunt/loghunt/parsers/evtx"
	"github.com/loghunt/loghunt/parsers/input"
	pjson "github.com/loghunt/loghunt/parsers/json"
)

// DiscoverOptions configure Discover.
type DiscoverOptions struct {
	Carve bool          // EVTX: also carve records from slack and unallocated space
	Input input.Options // archive limits; the zero value has safe defaults
}

// Discover finds the log files under paths (recursively, by content; zip and
// gzip archives are opened) and turns each into an Input whose units the
// engine decodes. Paths that are not logs, or cannot be read, are returned
// as skipped with the reason. The error is an *OptionError: opts cannot be
// used.
func Discover(paths []string, opts DiscoverOptions) ([]hunt.Input, []hunt.Skipped, error) {
	res, err := input.Discover(paths, opts.Input)
	if err != nil {
		return nil, nil, &OptionError{Option: "input options", Err: err}
	}
	var ins []hunt.Input
	var skipped []hunt.Skipped
	for _, s := range res.Skipped {
		skipped = append(skipped, hunt.Skipped{Path: s.Path, Reason: s.Reason, Err: s.Err})
	}
	for _, f := range res.Files {
		switch f.Kind {
		case input.KindEVTX:
			ins = append(ins, evtxInput(f, opts))
		case input.KindJSON:
			ins = append(ins, jsonInput(f))
		default:
			skipped = append(skipped, hunt.Skipped{Path: f.Path, Reason: "unknown log type"})
		}
	}
	return ins, skipped, nil
}

func evtxInput(f input.File, opts DiscoverOptions) hunt.Input {
	return hunt.Input{Path: f.Path, Kind: "evtx", Size: max(f.Size, 0), Open: func() ([]parsers.Unit, func() error, error) {
		c, err := f.Open()
		if err != nil {
			return nil, nil, err
		}
		if c.ReaderAt == nil {
			c.Close()
			return nil, nil, fmt.Errorf("%s: no random access to EVTX content", f.Path)
		}
		ef, err := evtx.Open(c.ReaderAt, c.Size, f.Path, evtx.Options{Carve: opts.Carve})
		if err != nil {
			c.Close()
			return nil, nil, err
		}
		return ef.Units(), c.Close, nil
	}}
}

// jsonInput decodes a JSON file on disk in units of a few MB (pjson.Split),
// so one large file keeps every worker busy. A JSON member of an archive,
// or JSON transcoded from UTF-16, has no random access and is one unit:
// spooling it to disk to split it would cost a full extra write and read
// of the data before the first event, and gzip decompression is serial
// anyway.
func jsonInput(f input.File) hunt.Input {
	return hunt.Input{Path: f.Path, Kind: "json", Size: max(f.Size, 0), Open: func() ([]parsers.Unit, func() error, error) {
		c, err := f.Open()
		if err != nil {
			return nil, nil, err
		}
		if c.ReaderAt == nil || c.Size <= 0 {
			return []parsers.Unit{pjson.NewUnit(c.Reader, f.Path, pjson.Options{})}, c.Close, nil
		}
		split := pjson.Split(c.ReaderAt, c.Size, f.Path, pjson.Options{})
		units := make([]parsers.Unit, len(split))
		for i, u := range split {
			units[i] = u
		}
		return units, c.Close, nil
	}}
}
