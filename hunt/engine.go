package hunt

import (
	"context"
	"errors"
	"fmt"
	"math/bits"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/loghunt/loghunt/internal/pool"
	"github.com/loghunt/loghunt/parsers"
)

// Matcher checks one event against a set of rules and calls emit once per
// rule that fires, during the call and from the calling goroutine. Match is
// called from many goroutines at once; the event is only valid during the
// call.
type Matcher interface {
	Match(ev *parsers.Event, emit func(rule *Rule, matched []Matched))
}

// Observer sees every event, for rules that need more than one event at a
// time (KQL tables). Worker is called once per worker goroutine and returns
// a function that only that goroutine calls.
type Observer interface {
	Worker() func(ev *parsers.Event)
}

// Finisher runs once all events have been seen, and finds hits of its own
// (correlations, KQL results). Finish is called once, from the goroutine
// that called Run, after every worker is done; it calls emit for each hit,
// in any order, from that goroutine and only during the call. The hit goes
// through the filters to the sink; emit's error is the sink's, and Finish
// returns it. Finishers do not see the matchers' hits: what they need of
// the events they keep as Observers or Matchers.
type Finisher interface {
	Finish(ctx context.Context, emit func(*Hit) error) error
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
	// Filters see every hit of the matchers and the finishers, in order;
	// a hit that one of them does not keep is counted as filtered and goes
	// no further. None keeps every hit.
	Filters []HitFilter
	// Sink receives the hits the filters keep (see HitSink for when and
	// from where). Nil drops them; the counts are kept all the same.
	Sink HitSink
	// Progress, if set, is called after each unit (an EVTX chunk, a part
	// of a JSON file) is done, and for a file that could not be opened,
	// with the bytes done and the total (see Progress). It may be called
	// from any worker, one call at a time.
	Progress func(doneBytes, totalBytes int64)
	// OnProgress, if set, is called when Progress is, with the whole
	// snapshot: bytes, files, records and hits so far.
	OnProgress func(Progress)
	// Stop, when closed, stops the reading but not the run: no file is
	// opened and no unit started after it, a unit being decoded stops at
	// its next event, and then the finishers run and the sink is closed as
	// after a complete run, so the hits found so far are delivered.
	// Result.Interrupted and FileReport.Unfinished say what was left
	// unread. Nil never stops. (Cancelling ctx instead aborts the run.)
	Stop <-chan struct{}
}

// Progress is a snapshot of a run as it reads, for a progress display.
type Progress struct {
	// DoneBytes of TotalBytes are done. TotalBytes is the sum of the
	// inputs' Size; each unit done adds its share of its file's Size, so
	// a file's Size is added exactly once, in parts, when its last unit
	// is done (or at once when it cannot be opened or has no unit), and
	// DoneBytes never exceeds TotalBytes. A file's units share its Size
	// in proportion to their own sizes when each has a method Size() int64
	// and those sum to more than zero (JSON units do), else equally (EVTX
	// chunks are all 64 KiB). A file of unknown size (Size 0: gzip or zip
	// members of JSON) adds nothing; FilesDone still counts it.
	DoneBytes, TotalBytes int64
	FilesDone, Files      int
	// Records counts the events of the units done; Hits the hits the
	// filters kept of them (the finishers' hits come after the reading).
	Records, Hits int64
}

// FileReport accounts for one input file.
type FileReport struct {
	Path   string
	Kind   string
	Size   int64
	Stats  parsers.Stats
	Errors []*parsers.ParseError // every damaged unit, with file and offset
	Err    error                 // final: the file (or one of its units) could not be read
	// Unfinished is set when Options.Stop ended the reading before the
	// file was read to its end (or opened at all).
	Unfinished bool
}

// Result is what a hunt found and what it read. The hits themselves went to
// Options.Sink; Counts says how many there were.
type Result struct {
	Files    []*FileReport
	Events   int64
	Counts   HitCounts
	Duration time.Duration
	// Interrupted is set when Options.Stop was closed before the workers
	// were done: the files marked Unfinished were not read to their end.
	Interrupted bool
}

// HitCounts counts the hits of a run. Hits, PerRule, PerLevel and
// PerComputer count the hits that every filter kept, the ones sent to the
// sink; Filtered counts those a filter dropped.
type HitCounts struct {
	Hits     int
	Filtered int
	PerRule  map[*Rule]int  // by the Rule the hit carries
	PerLevel map[string]int // by Rule.Level, as the rule spells it
	// PerComputer counts by the Computer of the hit's Event, as the event
	// spells it; hits with no event (a KQL row built by summarize) count
	// under "".
	PerComputer map[string]int
}

func (c *HitCounts) init() {
	if c.PerRule == nil {
		c.PerRule = map[*Rule]int{}
		c.PerLevel = map[string]int{}
		c.PerComputer = map[string]int{}
	}
}

// add counts one hit the filters kept.
func (c *HitCounts) add(h *Hit) {
	c.init()
	c.Hits++
	c.PerRule[h.Rule]++
	c.PerLevel[h.Rule.Level]++
	computer := ""
	if h.Event != nil {
		computer = h.Event.Computer
	}
	c.PerComputer[computer]++
}

// Add counts one hit that the filters kept, for a stage after the engine
// that recounts what it passes on (the merge of a detection's forms,
// post-merge filters).
func (c *HitCounts) Add(h *Hit) { c.add(h) }

// merge adds o's counts to c.
func (c *HitCounts) merge(o *HitCounts) {
	c.init()
	c.Hits += o.Hits
	c.Filtered += o.Filtered
	for r, n := range o.PerRule {
		c.PerRule[r] += n
	}
	for l, n := range o.PerLevel {
		c.PerLevel[l] += n
	}
	for k, n := range o.PerComputer {
		c.PerComputer[k] += n
	}
}

// Totals sums the stats of every file.
func (r *Result) Totals() parsers.Stats {
	var s parsers.Stats
	for _, f := range r.Files {
		s.Add(f.Stats)
	}
	return s
}

// Run hunts on every input. Files are reported in input order. Every hit of
// the matchers and then of the finishers passes the filters, is counted and
// goes to opts.Sink, which Run closes at the end. Run returns an error only
// when ctx is cancelled, a finisher fails or the sink fails; damaged input
// is reported in the FileReports.
func Run(ctx context.Context, inputs []Input, opts Options) (*Result, error) {
	start := time.Now()
	threads := opts.Threads
	if threads <= 0 {
		threads = runtime.NumCPU()
	}
	res := &Result{Files: make([]*FileReport, len(inputs))}
	res.Counts.init()
	var total int64
	for i, in := range inputs {
		res.Files[i] = &FileReport{Path: in.Path, Kind: in.Kind, Size: in.Size}
		total += in.Size
	}

	// Per-file accounting is merged under one lock; it is touched once per
	// unit, not per event.
	var mu sync.Mutex

	var events, hits atomic.Int64
	prog := &progressCounter{opts: &opts, p: Progress{TotalBytes: total, Files: len(inputs)}, events: &events, hits: &hits}
	fileDone := func(i int) { prog.add(inputs[i].Size, true) }

	// The producer opens files lazily, so thousands of inputs never hold
	// thousands of descriptors, and releases each when its last unit is done.
	produce := func(ctx context.Context, send func(unitJob) error) error {
		for i, in := range inputs {
			if stopped(opts.Stop) {
				// The files not opened yet are left unread.
				mu.Lock()
				for _, fr := range res.Files[i:] {
					fr.Unfinished = true
				}
				mu.Unlock()
				return nil
			}
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
			shares := unitShares(in.Size, units)
			done := func(k int) {
				last := left.Add(-1) == 0
				if last && release != nil {
					if err := release(); err != nil {
						mu.Lock()
						res.Files[i].Err = errors.Join(res.Files[i].Err, err)
						mu.Unlock()
					}
				}
				prog.add(shares[k], last)
			}
			for k, u := range units {
				if stopped(opts.Stop) {
					// The units not sent are done without being read, so
					// the file is still released.
					mu.Lock()
					res.Files[i].Unfinished = true
					mu.Unlock()
					for r := k; r < len(units); r++ {
						done(r)
					}
					break
				}
				if err := send(unitJob{file: i, unit: u, done: func() { done(k) }}); err != nil {
					return err
				}
			}
		}
		return nil
	}

	newWorker := func() pool.Worker[unitJob] {
		observe := make([]func(*parsers.Event), len(opts.Observers))
		for i, o := range opts.Observers {
			observe[i] = o.Worker()
		}
		hw := &hitWorker{opts: &opts}
		onMatch := hw.match // one closure per worker, not per event
		do := func(ctx context.Context, j unitJob) error {
			if stopped(opts.Stop) {
				// Handed out before the stop: left unread.
				mu.Lock()
				res.Files[j.file].Unfinished = true
				mu.Unlock()
				j.done()
				return ctx.Err()
			}
			var errs []*parsers.ParseError
			var n int64
			emit := func(ev *parsers.Event) error {
				if n&255 == 0 && stopped(opts.Stop) {
					// Between two events: every event read was hunted.
					return errStopped
				}
				n++
				hw.ev, hw.kept = ev, nil
				for _, m := range opts.Matchers {
					m.Match(ev, onMatch)
				}
				hw.ev, hw.kept = nil, nil
				if hw.err != nil {
					return hw.err
				}
				for _, o := range observe {
					o(ev)
				}
				if n&1023 == 0 {
					if err := ctx.Err(); err != nil {
						return err
					}
				}
				return nil
			}
			stats, err := decodeSafely(j.unit, emit, func(pe *parsers.ParseError) { errs = append(errs, pe) })
			if hw.err != nil {
				// Not the unit's fault: the run stops.
				err = nil
			}
			cut := errors.Is(err, errStopped)
			if cut {
				// Parsers count a record before they emit it: the one
				// refused was not hunted, so it was not read.
				err = nil
				stats.Records = n
			}
			if errors.Is(err, errParserPanic) {
				// The unit's own count is lost; what it emitted was hunted.
				stats.Records = n
			}
			events.Add(n)
			hits.Add(int64(hw.counts.Hits) - hw.shown)
			hw.shown = int64(hw.counts.Hits)
			mu.Lock()
			fr := res.Files[j.file]
			fr.Stats.Add(stats)
			fr.Errors = append(fr.Errors, errs...)
			fr.Unfinished = fr.Unfinished || cut
			if err != nil && !errors.Is(err, context.Canceled) {
				fr.Err = errors.Join(fr.Err, err)
			}
			mu.Unlock()
			j.done()
			if hw.err != nil {
				return hw.err
			}
			return ctx.Err()
		}
		finish := func() error {
			mu.Lock()
			res.Counts.merge(&hw.counts)
			mu.Unlock()
			return nil
		}
		return pool.Worker[unitJob]{Do: do, Done: finish}
	}
	if err := pool.Run(ctx, threads, produce, newWorker); err != nil {
		return nil, err
	}
	res.Interrupted = stopped(opts.Stop)
	for _, fr := range res.Files {
		slices.SortFunc(fr.Errors, func(a, b *parsers.ParseError) int {
			if a.Offset != b.Offset {
				return compareInt(a.Offset, b.Offset)
			}
			return compareInt(a.Line, b.Line)
		})
	}
	emit := func(h *Hit) error { return deliver(&opts, &res.Counts, h) }
	for _, f := range opts.Finishers {
		if err := f.Finish(ctx, emit); err != nil {
			return nil, err
		}
	}
	if opts.Sink != nil {
		if err := opts.Sink.Close(); err != nil {
			return nil, err
		}
	}
	res.Events = events.Load()
	res.Duration = time.Since(start)
	return res, nil
}

// unitJob is one unit of one input, as the producer hands it to a worker.
type unitJob struct {
	file int
	unit parsers.Unit
	done func() // called once the unit is decoded
}

// progressCounter adds up the run's progress and calls the callbacks,
// one call at a time.
type progressCounter struct {
	opts         *Options
	events, hits *atomic.Int64
	mu           sync.Mutex
	p            Progress
}

// add counts bytes more done, and a file done when fileDone is set.
func (c *progressCounter) add(bytes int64, fileDone bool) {
	if c.opts.Progress == nil && c.opts.OnProgress == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.p.DoneBytes += bytes
	if fileDone {
		c.p.FilesDone++
	}
	c.p.Records, c.p.Hits = c.events.Load(), c.hits.Load()
	if c.opts.Progress != nil {
		c.opts.Progress(c.p.DoneBytes, c.p.TotalBytes)
	}
	if c.opts.OnProgress != nil {
		c.opts.OnProgress(c.p)
	}
}

// unitShares divides size among units: in proportion to the units' own
// sizes when they all tell theirs and the sum is positive, else equally.
// The shares sum to size exactly: share k is the difference of two
// cumulative shares, each rounded down, computed in 128 bits.
func unitShares(size int64, units []parsers.Unit) []int64 {
	weights := make([]uint64, len(units))
	var sum uint64
	for k, u := range units {
		s, ok := u.(interface{ Size() int64 })
		if !ok || s.Size() < 0 || sum+uint64(s.Size()) < sum {
			sum = 0
			break
		}
		weights[k] = uint64(s.Size())
		sum += weights[k]
	}
	if sum == 0 {
		for k := range weights {
			weights[k] = 1
		}
		sum = uint64(len(units))
	}
	shares := make([]int64, len(units))
	var cum uint64
	prev := int64(0)
	for k, w := range weights {
		cum += w
		hi, lo := bits.Mul64(uint64(max(size, 0)), cum)
		q, _ := bits.Div64(hi, lo, sum) // hi < sum since cum <= sum
		shares[k] = int64(q) - prev
		prev = int64(q)
	}
	return shares
}

// hitWorker turns one worker's matches into hits.
type hitWorker struct {
	opts *Options
	// counts are per worker and merged at the end, so counting takes no
	// lock.
	counts HitCounts
	err    error // the first from the sink; the worker stops on it
	shown  int64 // counts.Hits already added to the run's progress

	ev   *parsers.Event // the event being matched
	kept *parsers.Event // its clone, made for its first hit
}

// match is the matchers' emit function.
func (w *hitWorker) match(r *Rule, matched []Matched) {
	if w.err != nil {
		return
	}
	if w.kept == nil {
		w.kept = w.ev.Clone()
	}
	w.err = deliver(w.opts, &w.counts, &Hit{Rule: r, Time: w.kept.Time, Event: w.kept, Matched: keepMatched(matched)})
}

// deliver passes one hit through the filters and, if they all keep it,
// counts it in c and sends it to the sink.
func deliver(opts *Options, c *HitCounts, h *Hit) error {
	for _, f := range opts.Filters {
		if !f.Keep(h) {
			c.Filtered++
			return nil
		}
	}
	c.add(h)
	if opts.Sink == nil {
		return nil
	}
	return opts.Sink.WriteHit(h)
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

var (
	errParserPanic = errors.New("parser panic")
	// errStopped ends a unit's decoding when Options.Stop is closed.
	errStopped = errors.New("hunt: reading stopped")
)

// stopped reports whether stop is closed; a nil stop never is.
func stopped(stop <-chan struct{}) bool {
	select {
	case <-stop:
		return true
	default:
		return false
	}
}

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
