package evtx

import (
	"context"
	"io"
	"sync"

	"github.com/loghunt/loghunt/internal/pool"
	"github.com/loghunt/loghunt/parsers"
)

// chunkResult is what one chunk produced, held until its turn comes.
type chunkResult struct {
	out     []byte
	events  []*parsers.Event
	reports []*parsers.ParseError
	stats   parsers.Stats
}

var resultPool = sync.Pool{New: func() any { return new(chunkResult) }}

// ordered runs work on the chunks with up to threads goroutines and hands
// the results to consume in chunk order (pool.Ordered: at most 2×threads
// results are held at once). The first error (from work, consume or ctx)
// stops it; an error of work is returned in its chunk's turn.
func (f *File) ordered(ctx context.Context, threads int, work func(i int, res *chunkResult) error, consume func(res *chunkResult) error) error {
	return pool.Ordered(ctx, f.nchunks, threads, func(_ context.Context, i int) (*chunkResult, error) {
		res := resultPool.Get().(*chunkResult)
		return res, work(i, res)
	}, func(_ int, res *chunkResult) error {
		err := consume(res)
		res.out, res.events, res.reports = res.out[:0], res.events[:0], res.reports[:0]
		res.stats = parsers.Stats{}
		resultPool.Put(res)
		return err
	})
}

// Decode decodes all chunks of f on up to threads goroutines (<= 0: all
// cores) and calls emit and report from the calling goroutine, in file
// order, as ReadFile does. Events of one chunk are buffered (cloned) until
// the chunks before it are done. The error is final: ctx was cancelled, a
// chunk could not be read, or emit failed.
func (f *File) Decode(ctx context.Context, threads int, emit parsers.EmitFunc, report parsers.ReportFunc) (parsers.Stats, error) {
	var total parsers.Stats
	err := f.ordered(ctx, threads, func(i int, res *chunkResult) error {
		c := chunkDecoder{f: f, index: i,
			emit: func(e *parsers.Event) error {
				res.events = append(res.events, e.Clone())
				return nil
			},
			report: func(pe *parsers.ParseError) { res.reports = append(res.reports, pe) },
		}
		var err error
		res.stats, err = c.decode()
		return err
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
	err := f.ordered(ctx, threads, func(i int, res *chunkResult) error {
		c := chunkDecoder{f: f, index: i, format: format,
			out: func(rec []byte) error {
				res.out = append(res.out, rec...)
				return nil
			},
			report: func(pe *parsers.ParseError) { res.reports = append(res.reports, pe) },
		}
		var err error
		res.stats, err = c.decode()
		return err
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
