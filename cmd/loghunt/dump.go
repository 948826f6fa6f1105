package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"runtime"

	"github.com/loghunt/loghunt/parsers"
	"github.com/loghunt/loghunt/parsers/evtx"
)

const dumpSynopsis = `Usage: loghunt dump [flags] FILE...

Decodes EVTX files with loghunt's own decoder and writes every record to
stdout: as XML (one <Event> element per record) or as JSON Lines in the evtx_dump
shape ({"Event":{"System":{...},"EventData":{...}}}). Damaged chunks and
records are reported on stderr with their offset; the rest is still
written. With --carve, records recovered from slack space are included and
marked.

Examples:
  loghunt dump --format xml Security.evtx | less
  loghunt dump --format jsonl --carve --threads 4 dirty.evtx > records.jsonl
`

func runDump(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("dump", dumpSynopsis, stdout)
	format := fs.String("format", "xml", "output `format`: xml or jsonl")
	threads := fs.Int("threads", 0, "decode chunks on `N` threads (default: all cores)")
	carve := fs.Bool("carve", false, "also recover records from slack and unallocated chunk space")
	files, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	fm, ok := evtx.ParseFormat(*format)
	if !ok {
		return usagef("use --format xml or --format jsonl", "unknown format %q", *format)
	}
	if len(files) == 0 {
		return usagef("give one or more .evtx files", "no FILE to dump")
	}
	if *threads < 0 {
		return usagef("omit --threads to use all cores", "--threads must be positive, got %d", *threads)
	}
	n := *threads
	if n == 0 {
		n = runtime.NumCPU()
	}
	w := bufio.NewWriterSize(stdout, 1<<20)
	var total parsers.Stats
	var failedFiles []error
	report := func(pe *parsers.ParseError) { fmt.Fprintf(stderr, "damaged: %v\n", pe) }
	for _, f := range files {
		st, err := evtx.DumpFile(ctx, w, f, evtx.Options{Carve: *carve}, fm, n, report)
		total.Add(st)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			fmt.Fprintf(stderr, "loghunt dump: %v\n", err)
			failedFiles = append(failedFiles, err)
		}
	}
	if err := w.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(stderr, "dumped %d records (%d recovered) from %d files; %d failed records, %d bad chunks, %d bad checksums\n",
		total.Records, total.Recovered, len(files)-len(failedFiles), total.Failed, total.BadChunks, total.BadChecksum)
	if len(failedFiles) > 0 {
		return fmt.Errorf("%d of %d files could not be dumped", len(failedFiles), len(files))
	}
	return nil
}
