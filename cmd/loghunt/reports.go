package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/loghunt/loghunt/hunt"
	"github.com/loghunt/loghunt/hunt/attack"
	"github.com/loghunt/loghunt/hunt/output"
	"github.com/loghunt/loghunt/hunt/report"
)

// reportFlags are hunt's reports, written beside the main output (issue
// 14): --html and --navigator.
type reportFlags struct {
	html      string // --html FILE: the HTML report
	navigator string // --navigator FILE: the ATT&CK Navigator layer
}

func (r *reportFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&r.html, "html", "", "also write a self-contained HTML report (summary, timeline chart, ATT&CK view, hit table) to `FILE`")
	fs.StringVar(&r.navigator, "navigator", "", "also write an ATT&CK Navigator layer (format 4.5) of the techniques scored by hits to `FILE`")
}

// outputs returns the report files to write, each opened with the first
// hit or at Close, like -o's.
func (r *reportFlags) outputs(loc *time.Location) *reportOutputs {
	ro := &reportOutputs{}
	if r.html != "" {
		ro.files = append(ro.files, &reportFile{path: r.html, open: func(w io.Writer) output.Writer {
			return report.New(w, report.Options{Location: loc, Generated: time.Now(), Version: version})
		}})
	}
	if r.navigator != "" {
		ro.files = append(ro.files, &reportFile{path: r.navigator, open: func(w io.Writer) output.Writer {
			return attack.NewLayerWriter(w, "")
		}})
	}
	return ro
}

// reportOutputs are the report files of a run.
type reportOutputs struct {
	files []*reportFile
}

// reportFile is one report: a file and the Writer that fills it.
type reportFile struct {
	path string
	open func(io.Writer) output.Writer
	fh   *os.File
	w    output.Writer
}

func (f *reportFile) start() error {
	if f.w != nil {
		return nil
	}
	fh, err := os.Create(f.path)
	if err != nil {
		return err
	}
	f.fh, f.w = fh, f.open(fh)
	return nil
}

// tee passes each hit to next, then to every report.
func (ro *reportOutputs) tee(next func(*hunt.Hit) error) func(*hunt.Hit) error {
	if len(ro.files) == 0 {
		return next
	}
	return func(h *hunt.Hit) error {
		if err := next(h); err != nil {
			return err
		}
		for _, f := range ro.files {
			if err := f.start(); err != nil {
				return err
			}
			if err := f.w.WriteHit(h); err != nil {
				return fmt.Errorf("writing %s: %w", f.path, err)
			}
		}
		return nil
	}
}

// Close ends every report with the summary and closes its file.
func (ro *reportOutputs) Close(sum *output.Summary) error {
	var first error
	for _, f := range ro.files {
		err := f.start()
		if err == nil {
			err = f.w.Close(sum)
			if cerr := f.fh.Close(); err == nil {
				err = cerr
			}
			f.fh = nil
		}
		if err != nil && first == nil {
			first = fmt.Errorf("writing %s: %w", f.path, err)
		}
	}
	return first
}

// abort closes the reports' files after a failure.
func (ro *reportOutputs) abort() {
	for _, f := range ro.files {
		if f.fh != nil {
			f.fh.Close()
			f.fh = nil
		}
	}
}
