package hunt

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/loghunt/loghunt/parsers"
)

// Matcher checks one event against a set of rules and calls emit once per
// rule that fires. Match is called from many goroutines at once; the event
// is only valid during the call.
type Matcher interface {
	Match(ev *parsers.Event, emit func(rule *Rule, matched []Matched))
}

// Observer sees every event, for rules that need more than one event at a
// time (KQL tables). Worker is called once per worker goroutine and returns
// a function that only that goroutine calls.
type Observer interface {
	Worker() func(ev *parsers.Event)
}

// Finisher runs once all events have been seen. It gets the per-event hits
// in canonical order and returns more hits (correlations, KQL results).
type Finisher interface {
	Finish(ctx context.Context, hits []*Hit) ([]*Hit, error)
}

// Input is one file to hunt on. Open is called by one worker when the file's
// turn comes; it returns the file's units and a function that releases the
// file once every unit is decoded. A final Open error is reported against
// the file and the run goes on.
type Input struct {
	Path string
	Kind string // "evtx", "json"...
	Size int64
	Open func() (units []parsers.Unit, release func() error, err error)
}

// Options configure an Engine. The zero value hunts with no rules on all
// cores.
type Options struct {
	// Threads is the number of workers; 0 means runtime.NumCPU().
	Threads   int
	Matchers  []Matcher
	Observers []Observer
	Finishers []Finisher
	// Progress, if set, is called after each file is done with the number
	// of bytes done and the total. It may be called from any worker, one
	// call at a time.
	Progress func(doneBytes, totalBytes int64)
}

// FileReport accounts for one input file.
type FileReport struct {
	Path   string
	Kind   string
	Size   int64
	Stats  parsers.Stats
	Errors []*parsers.ParseError // every damaged unit, with file and offset
	Err    error                 // final: the file (or one of its units) could not be read
}

// Result is what a hunt found and what it read.
type Result struct {
	Hits     []*Hit
	Files    []*FileReport
	Events   int64
	Duration time.Duration
}

// Totals sums the stats of every file.
func (r *Result) Totals() parsers.Stats {
	var s parsers.Stats
	for _, f := range r.Files {
		s.Add(f.Stats)
	}
	return s
}

// Run hunts on every input. Files are reported in input order; hits are
// sorted. Run returns an error only when ctx is cancelled or a finisher
// fails; damaged input is reported in the FileReports.
func Run(ctx context.Context, inputs []Input, opts Options) (*Result, error) {
	start := time.Now()
	threads := opts.Threads
	if threads <= 0 {
		threads = runtime.NumCPU()
	}
	res := &Result{Files: make([]*FileReport, len(inputs))}
	var total int64
	for i, in := range inputs {
		res.Files[i] = &FileReport{Path: in.Path, Kind: in.Kind, Size: in.Size}
		total += in.Size
	}

	type job struct {
		file int
		unit parsers.Unit
		done func() // called once the unit is decoded
	}
	jobs := make(chan job, threads*2)
	g, gctx := errgroup.WithContext(ctx)
	// Per-file accounting is merged under one lock; it is touched once per
	// unit, not per event.
	var mu sync.Mutex

	var progressMu sync.Mutex
	var doneBytes int64
	fileDone := func(i int) {
		if opts.Progress == nil {
			return
		}
		progressMu.Lock()
		doneBytes += inputs[i].Size
		opts.Progress(doneBytes, total)
		progressMu.Unlock()
	}

	// The producer opens files lazily, so thousands of inputs never hold
	// thousands of descriptors, and releases each when its last unit is done.
	g.Go(func() error {
		defer close(jobs)
		for i, in := range inputs {
			units, release, err := in.Open()
			if err != nil {
				res.Files[i].Err = err
				fileDone(i)
				continue
			}
			if len(units) == 0 {
				if release != nil {
					res.Files[i].Err = release()
				}
				fileDone(i)
				continue
			}
			var left atomic.Int64
			left.Store(int64(len(units)))
			i := i
			done := func() {
				if left.Add(-1) == 0 {
					if release != nil {
						if err := release(); err != nil {
							mu.Lock()
							res.Files[i].Err = errors.Join(res.Files[i].Err, err)
							mu.Unlock()
						}
					}
					fileDone(i)
				}
			}
			for _, u := range units {
				select {
				case jobs <- job{file: i, unit: u, done: done}:
				case <-gctx.Done():
					return gctx.Err()
				}
			}
		}
		return nil
	})

	var hits []*Hit
	var events atomic.Int64
	for w := 0; w < threads; w++ {
		observe := make([]func(*parsers.Event), len(opts.Observers))
		for i, o := range opts.Observers {
			observe[i] = o.Worker()
		}
		g.Go(func() error {
			var local []*Hit
			for j := range jobs {
				var errs []*parsers.ParseError
				var n int64
				emit := func(ev *parsers.Event) error {
					n++
					var kept *parsers.Event
					for _, m := range opts.Matchers {
						m.Match(ev, func(r *Rule, matched []Matched) {
							if kept == nil {
								kept = ev.Clone()
							}
							local = append(local, &Hit{Rule: r, Time: kept.Time, Event: kept, Matched: keepMatched(matched)})
						})
					}
					for _, o := range observe {
						o(ev)
					}
					if n&1023 == 0 {
						if err := gctx.Err(); err != nil {
							return err
						}
					}
					return nil
				}
				stats, err := decodeSafely(j.unit, emit, func(pe *parsers.ParseError) { errs = append(errs, pe) })
				if errors.Is(err, errParserPanic) {
					// The unit's own count is lost; what it emitted was hunted.
					stats.Records = n
				}
				events.Add(n)
				mu.Lock()
				fr := res.Files[j.file]
				fr.Stats.Add(stats)
				fr.Errors = append(fr.Errors, errs...)
				if err != nil && !errors.Is(err, context.Canceled) {
					fr.Err = errors.Join(fr.Err, err)
				}
				mu.Unlock()
				j.done()
				if err := gctx.Err(); err != nil {
					return err
				}
			}
			mu.Lock()
			hits = append(hits, local...)
			mu.Unlock()
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	for _, fr := range res.Files {
		slices.SortFunc(fr.Errors, func(a, b *parsers.ParseError) int {
			if a.Offset != b.Offset {
				return compareInt(a.Offset, b.Offset)
			}
			return compareInt(a.Line, b.Line)
		})
	}
	SortHits(hits)
	for _, f := range opts.Finishers {
		more, err := f.Finish(ctx, hits)
		if err != nil {
			return nil, err
		}
		hits = append(hits, more...)
	}
	SortHits(hits)
	res.Hits = hits
	res.Events = events.Load()
	res.Duration = time.Since(start)
	return res, nil
}

func compareInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

var errParserPanic = errors.New("parser panic")

// decodeSafely decodes one unit, turning a panic in a parser into an error
// against that unit, so one bad unit never takes the whole run down. Our
// parsers do not panic by design; this is the last line of defence.
func decodeSafely(u parsers.Unit, emit parsers.EmitFunc, report parsers.ReportFunc) (st parsers.Stats, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%w: %v", errParserPanic, r)
		}
	}()
	return u.Decode(emit, report)
}

// keepMatched copies matched, and the event values in it, for a Hit: the
// event's memory is the parser's and is reused after the emit call (field
// names stay valid).
func keepMatched(matched []Matched) []Matched {
	out := slices.Clone(matched)
	for i := range out {
		out[i].Value = strings.Clone(out[i].Value)
	}
	return out
}
