package evtx

import (
	"context"
	"io"
	"runtime"
	"sync"

	"github.com/loghunt/loghunt/parsers"
)

// chunkResult is what one chunk produced, held until its turn comes.
type chunkResult struct {
	out     []byte
	events  []*parsers.Event
	reports []*parsers.ParseError
	stats   parsers.Stats
	err     error
}

var resultPool = sync.Pool{New: func() any { return new(chunkResult) }}

// ordered runs work on the chunk slots with up to threads goroutines and
// hands the results to consume in slot order. At most 2×threads results
// are held at once. The first error (from work, consume or ctx) stops it.
func (f *File) ordered(ctx context.Context, threads int, work func(i int, res *chunkResult), consume func(res *chunkResult) error) error {
	if threads <= 0 {
		threads = runtime.GOMAXPROCS(0)
	}
	n := f.nchunks
	if n == 0 {
		return ctx.Err()
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	slots := make([]chan *chunkResult, n)
	for i := range slots {
		slots[i] = make(chan *chunkResult, 1)
	}
	window := make(chan struct{}, 2*threads)
	running := make(chan struct{}, threads)
	var wg sync.WaitGroup
	go func() {
		for i := 0; i < n; i++ {
			select {
			case window <- struct{}{}:
			case <-ctx.Done():
				return
			}
			select {
			case running <- struct{}{}:
			case <-ctx.Done():
				return
			}
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				res := resultPool.Get().(*chunkResult)
				work(i, res)
				<-running
				slots[i] <- res
			}(i)
		}
	}()
	var err error
	for i := 0; i < n && err == nil; i++ {
		select {
		case res := <-slots[i]:
			err = res.err
			if err == nil {
				err = consume(res)
			}
			res.out, res.events, res.reports = res.out[:0], res.events[:0], res.reports[:0]
			res.stats, res.err = parsers.Stats{}, nil
			resultPool.Put(res)
			<-window
		case <-ctx.Done():
			err = ctx.Err()
		}
	}
	cancel()
	wg.Wait()
	return err
}

// Decode decodes all chunks of f on up to threads goroutines (<= 0: all
// cores) and calls emit and report from the calling goroutine, in file
// order, as ReadFile does. Events of one chunk are buffered (cloned) until
// the chunks before it are done. The error is final: ctx was cancelled, a
// chunk could not be read, or emit failed.
func (f *File) Decode(ctx context.Context, threads int, emit parsers.EmitFunc, report parsers.ReportFunc) (parsers.Stats, error) {
	var total parsers.Stats
	err := f.ordered(ctx, threads, func(i int, res *chunkResult) {
		c := chunkDecoder{f: f, index: i,
			emit: func(e *parsers.Event) error {
				res.events = append(res.events, e.Clone())
				return nil
			},
			report: func(pe *parsers.ParseError) { res.reports = append(res.reports, pe) },
		}
		res.stats, res.err = c.decode()
	}, func(res *chunkResult) error {
		total.Add(res.stats)
		for _, pe := range res.reports {
			if report != nil {
				report(pe)
			}
		}
		for _, e := range res.events {
			if emit != nil {
				if err := emit(e); err != nil {
					return err
				}
			}
		}
		return nil
	})
	return total, err
}

// Dump renders every record of f in format to w, in file order, decoding
// up to threads chunks at once (<= 0: all cores). report is called from
// the calling goroutine, in file order. The error is final: ctx was
// cancelled, a chunk could not be read, or writing to w failed.
func (f *File) Dump(ctx context.Context, w io.Writer, format Format, threads int, report parsers.ReportFunc) (parsers.Stats, error) {
	if format == 0 {
		format = FormatXML
	}
	var total parsers.Stats
	err := f.ordered(ctx, threads, func(i int, res *chunkResult) {
		c := chunkDecoder{f: f, index: i, format: format,
			out: func(rec []byte) error {
				res.out = append(res.out, rec...)
				return nil
			},
			report: func(pe *parsers.ParseError) { res.reports = append(res.reports, pe) },
		}
		res.stats, res.err = c.decode()
	}, func(res *chunkResult) error {
		total.Add(res.stats)
		if report != nil {
			for _, pe := range res.reports {
				report(pe)
			}
		}
		_, err := w.Write(res.out)
		return err
	})
	return total, err
}

// DumpFile opens the EVTX file at path and dumps it like File.Dump.
func DumpFile(ctx context.Context, w io.Writer, path string, opts Options, format Format, threads int, report parsers.ReportFunc) (parsers.Stats, error) {
	return withFile(path, opts, func(f *File) (parsers.Stats, error) {
		return f.Dump(ctx, w, format, threads, report)
	})
}
