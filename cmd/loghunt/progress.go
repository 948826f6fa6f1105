package main

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/loghunt/loghunt/hunt"
	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

// progress shows the hunt's progress on a terminal: bytes decoded with
// their rate and the time left, records per second and hits so far. A nil
// *progress is valid and shows nothing, so callers need not check.
type progress struct {
	bar   *progressbar.ProgressBar
	start time.Time
	known bool // the total size is known; else the bar is a spinner

	mu        sync.Mutex
	described time.Time // when the description last changed
}

// describeEvery is how often the description (records/s, hits) changes;
// the bar itself redraws at most every 100 ms.
const describeEvery = 500 * time.Millisecond

// newProgress returns a progress bar on w when w is a terminal, else nil.
// total is the size of the inputs; 0 (only archive members of unknown
// size) gives a spinner with the counts.
func newProgress(w io.Writer, total int64) *progress {
	f, ok := w.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) || total < 0 {
		return nil
	}
	max := total
	if total == 0 {
		max = -1
	}
	return &progress{known: total > 0, start: time.Now(), bar: progressbar.NewOptions64(max,
		progressbar.OptionSetWriter(w),
		progressbar.OptionSetDescription("hunting"),
		progressbar.OptionShowBytes(true),
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionClearOnFinish(),
		progressbar.OptionThrottle(100*time.Millisecond),
	)}
}

// update shows a snapshot of the run; the engine calls it one call at a
// time, after each unit it decodes.
func (p *progress) update(s hunt.Progress) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if now := time.Now(); now.Sub(p.described) >= describeEvery {
		p.described = now
		p.bar.Describe(describe(s, now.Sub(p.start)))
	}
	if p.known {
		_ = p.bar.Set64(s.DoneBytes)
	} else {
		_ = p.bar.Set64(int64(s.FilesDone))
	}
}

// describe is the text before the bar: records per second since the start,
// and hits so far.
func describe(s hunt.Progress, elapsed time.Duration) string {
	rate := 0.0
	if secs := elapsed.Seconds(); secs > 0 {
		rate = float64(s.Records) / secs
	}
	return fmt.Sprintf("hunting: %s records/s, %s hits", humanCount(rate), humanCount(float64(s.Hits)))
}

// humanCount writes n with a k or M suffix above a thousand.
func humanCount(n float64) string {
	switch {
	case n >= 1e6:
		return fmt.Sprintf("%.1fM", n/1e6)
	case n >= 1e3:
		return fmt.Sprintf("%.1fk", n/1e3)
	}
	return fmt.Sprintf("%.0f", n)
}

func (p *progress) finish() {
	if p != nil {
		_ = p.bar.Finish()
	}
}
