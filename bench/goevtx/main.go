// Command goevtx decodes EVTX files and prints what it read, for
// bench/evtx.sh. It runs golang-evtx v1.2.9 (through internal/goevtx, the
// same adapter the tests use as an oracle) or, with -parser native, our
// decoder (parsers/evtx) on -threads goroutines, so both go through the
// same measuring code: decode every record into a parsers.Event, keep
// nothing, write nothing.
//
// Usage:
//
//	goevtx [-parser goevtx|native] [-threads N] [-carve] FILE...
//	goevtx -synth OUT -mb N FILE...
//	goevtx -run [-o OUT] CMD ARG...
//	goevtx -spin -threads N
//
// It prints one line: parser, threads, files, bytes, records, failed
// records, bad chunks, wall and CPU seconds (getrusage), MB/s and
// records/s per CPU second, the KiB the Go heap allocated while decoding
// and the garbage collections that ran.
//
// With -synth it writes instead a large EVTX file of about N MB: the file
// header of the first input, then every chunk with a valid magic found in
// the inputs, repeated until the size is reached.
//
// With -run it runs CMD (stdout to OUT, default /dev/null) and prints its
// wall, user and system seconds with microsecond precision and its peak
// RSS in KiB: what GNU time prints, but finer than its 10 ms.
//
// With -spin it burns a fixed amount of pure CPU work split over -threads
// goroutines and prints wall and CPU seconds: a control for how much
// parallelism the machine really gives at the moment of a measurement.
package main

import (
	"bytes"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"hash/crc32"
	"os"
	"os/exec"
	"runtime"
	"runtime/pprof"
	"sync"
	"sync/atomic"
	"time"

	"github.com/loghunt/loghunt/internal/goevtx"
	"github.com/loghunt/loghunt/parsers"
	"github.com/loghunt/loghunt/parsers/evtx"
)

func main() {
	parser := flag.String("parser", "goevtx", "goevtx (golang-evtx v1.2.9) or native (parsers/evtx)")
	threads := flag.Int("threads", 1, "goroutines decoding the chunks of the files (native only); 0 means all cores")
	carve := flag.Bool("carve", false, "also carve slack space (native only)")
	synthOut := flag.String("synth", "", "write a synthetic large EVTX file here instead of decoding")
	synthMB := flag.Int("mb", 128, "size of the -synth file in MB")
	run := flag.Bool("run", false, "run the command given as arguments and print wall, user, sys seconds and max RSS KiB")
	runOut := flag.String("o", os.DevNull, "with -run: file for the command's standard output")
	spinMode := flag.Bool("spin", false, "burn fixed CPU work on -threads goroutines and print wall and CPU seconds")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile of the decoding to this file")
	flag.Parse()
	if *cpuProfile != "" {
		pf, err := os.Create(*cpuProfile)
		if err != nil {
			fmt.Fprintln(os.Stderr, "goevtx:", err)
			os.Exit(1)
		}
		if err := pprof.StartCPUProfile(pf); err != nil {
			fmt.Fprintln(os.Stderr, "goevtx:", err)
			os.Exit(1)
		}
		defer pprof.StopCPUProfile()
	}
	if *spinMode {
		spin(*threads)
		return
	}
	if *run {
		if err := runTimed(*runOut, flag.Args()); err != nil {
			fmt.Fprintln(os.Stderr, "goevtx:", err)
			os.Exit(1)
		}
		return
	}
	if *synthOut != "" {
		if err := synth(*synthOut, *synthMB, flag.Args()); err != nil {
			fmt.Fprintln(os.Stderr, "goevtx:", err)
			os.Exit(1)
		}
		return
	}
	if *threads <= 0 {
		*threads = runtime.NumCPU()
	}
	var total parsers.Stats
	var size int64
	var failedFiles int
	var mem0 runtime.MemStats
	runtime.ReadMemStats(&mem0)
	start, cpu0 := time.Now(), cpuSeconds()
	for _, p := range flag.Args() {
		if fi, err := os.Stat(p); err == nil {
			size += fi.Size()
		}
	}
	switch *parser {
	case "goevtx":
		for _, p := range flag.Args() {
			st, err := goevtx.ReadFile(p, nil, nil)
			if err != nil {
				failedFiles++
			}
			total.Add(st)
		}
	case "native":
		total, failedFiles = native(flag.Args(), *threads, *carve)
	default:
		fmt.Fprintf(os.Stderr, "goevtx: unknown -parser %q (want goevtx or native)\n", *parser)
		os.Exit(2)
	}
	wall, cpu := time.Since(start).Seconds(), cpuSeconds()-cpu0
	var mem runtime.MemStats
	runtime.ReadMemStats(&mem)
	fmt.Printf("parser=%s threads=%d files=%d failed_files=%d bytes=%d records=%d failed=%d bad_chunks=%d wall=%.3f cpu=%.3f MBps_cpu=%.1f recps_cpu=%.0f alloc_kb=%d gcs=%d\n",
		*parser, *threads, flag.NArg(), failedFiles, size, total.Records, total.Failed, total.BadChunks,
		wall, cpu, float64(size)/1e6/cpu, float64(total.Records)/cpu,
		(mem.TotalAlloc-mem0.TotalAlloc)/1024, mem.NumGC-mem0.NumGC)
}

// native decodes the chunks of all the files on the given number of
// goroutines, which take them in file order from one list, as loghunt's
// worker pool does; with one thread, on this goroutine, as the golang-evtx
// row does. It returns the total and the number of files it could not open.
func native(paths []string, threads int, carve bool) (parsers.Stats, int) {
	var units []parsers.Unit
	failed := 0
	for _, path := range paths {
		fh, err := os.Open(path)
		if err != nil {
			failed++
			continue
		}
		defer fh.Close()
		fi, err := fh.Stat()
		if err != nil {
			failed++
			continue
		}
		f, err := evtx.Open(fh, fi.Size(), path, evtx.Options{Carve: carve})
		if err != nil {
			failed++
			continue
		}
		units = append(units, f.Units()...)
	}
	emit := func(*parsers.Event) error { return nil }
	var total parsers.Stats
	if threads == 1 {
		for _, u := range units {
			st, _ := u.Decode(emit, nil)
			total.Add(st)
		}
		return total, failed
	}
	var next atomic.Int64
	var mu sync.Mutex
	var wg sync.WaitGroup
	for w := 0; w < threads; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine parsers.Stats
			for {
				i := next.Add(1) - 1
				if i >= int64(len(units)) {
					break
				}
				st, _ := units[i].Decode(emit, nil)
				mine.Add(st)
			}
			mu.Lock()
			total.Add(mine)
			mu.Unlock()
		}()
	}
	wg.Wait()
	return total, failed
}

// synth writes a file of about mb MB made of the valid chunks of inputs.
func synth(out string, mb int, inputs []string) error {
	var header []byte
	var chunks [][]byte
	for _, p := range inputs {
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if len(b) < evtx.FileHeaderSize || !bytes.HasPrefix(b, []byte("ElfFile\x00")) {
			continue
		}
		if header == nil {
			header = append([]byte(nil), b[:evtx.FileHeaderSize]...)
		}
		for off := evtx.FileHeaderSize; off+evtx.ChunkSize <= len(b); off += evtx.ChunkSize {
			if bytes.HasPrefix(b[off:], []byte("ElfChnk\x00")) {
				chunks = append(chunks, b[off:off+evtx.ChunkSize])
			}
		}
	}
	if header == nil || len(chunks) == 0 {
		return errors.New("no EVTX chunk in the inputs")
	}
	n := mb * 1000000 / evtx.ChunkSize
	if n > 65535 {
		n = 65535
	}
	binary.LittleEndian.PutUint64(header[8:], 0)
	binary.LittleEndian.PutUint64(header[16:], uint64(n-1))
	binary.LittleEndian.PutUint16(header[42:], uint16(n))
	binary.LittleEndian.PutUint32(header[120:], 0) // not dirty
	binary.LittleEndian.PutUint32(header[124:], crc32.ChecksumIEEE(header[:120]))
	f, err := os.Create(out)
	if err != nil {
		return err
	}
	if _, err := f.Write(header); err != nil {
		f.Close()
		return err
	}
	for i := 0; i < n; i++ {
		if _, err := f.Write(chunks[i%len(chunks)]); err != nil {
			f.Close()
			return err
		}
	}
	return f.Close()
}

// runTimed runs args with stdout to out and prints its resource usage.
func runTimed(out string, args []string) error {
	if len(args) == 0 {
		return errors.New("-run needs a command")
	}
	f, err := os.Create(out)
	if err != nil {
		return err
	}
	defer f.Close()
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Stdout = f
	start := time.Now()
	err = cmd.Run()
	wall := time.Since(start).Seconds()
	if cmd.ProcessState == nil {
		return err
	}
	user, sys, rss, ok := usage(cmd.ProcessState)
	if !ok {
		return errors.New("no resource usage for the command on this system")
	}
	fmt.Printf("%.6f %.6f %.6f %d\n", wall, user, sys, rss)
	return err
}

var spinSink atomic.Int64

// spin splits a fixed loop over n goroutines.
func spin(n int) {
	if n <= 0 {
		n = runtime.NumCPU()
	}
	const work = 600_000_000
	start, cpu0 := time.Now(), cpuSeconds()
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			x := 0
			for j := 0; j < work/n; j++ {
				x += j * j % 7
			}
			spinSink.Add(int64(x))
		}()
	}
	wg.Wait()
	fmt.Printf("spin threads=%d wall=%.3f cpu=%.3f\n", n, time.Since(start).Seconds(), cpuSeconds()-cpu0)
}
