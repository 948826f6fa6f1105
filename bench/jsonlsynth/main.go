// Command jsonlsynth writes a large JSON Lines file for benchmarks: it reads
// JSON inputs (JSON Lines, arrays, pretty-printed documents), compacts each
// event object to one line, and writes them round-robin until the output
// reaches -size bytes.
//
// Usage: go run ./bench/jsonlsynth -o big.jsonl -size 1G samples/*.jsonl dump.jsonl
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
)

func main() {
	out := flag.String("o", "", "output file")
	sizeFlag := flag.String("size", "1G", "output size: bytes, or with a K, M or G suffix")
	flag.Parse()
	size, err := parseSize(*sizeFlag)
	if err != nil || *out == "" || flag.NArg() == 0 {
		fmt.Fprintln(os.Stderr, "usage: jsonlsynth -o FILE [-size 1G] INPUT...")
		os.Exit(2)
	}
	var lines [][]byte
	for _, p := range flag.Args() {
		ls, err := readEvents(p)
		if err != nil {
			fmt.Fprintln(os.Stderr, "jsonlsynth:", err)
			os.Exit(1)
		}
		lines = append(lines, ls...)
	}
	if len(lines) == 0 {
		fmt.Fprintln(os.Stderr, "jsonlsynth: no event in the inputs")
		os.Exit(1)
	}
	f, err := os.Create(*out)
	if err != nil {
		fmt.Fprintln(os.Stderr, "jsonlsynth:", err)
		os.Exit(1)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	var n int64
	var events int
	for i := 0; n < size; i++ {
		l := lines[i%len(lines)]
		w.Write(l)
		w.WriteByte('\n')
		n += int64(len(l)) + 1
		events++
	}
	if err := errors.Join(w.Flush(), f.Close()); err != nil {
		fmt.Fprintln(os.Stderr, "jsonlsynth:", err)
		os.Exit(1)
	}
	fmt.Fprintf(os.Stderr, "jsonlsynth: %d bytes, %d events from %d distinct\n", n, events, len(lines))
}

// readEvents returns every object of the file, and every object element of
// a top-level array, compacted to one line.
func readEvents(path string) ([][]byte, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(bytes.TrimPrefix(data, []byte("\xEF\xBB\xBF"))))
	var out [][]byte
	for {
		var raw json.RawMessage
		if err := dec.Decode(&raw); err == io.EOF {
			return out, nil
		} else if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		docs := []json.RawMessage{raw}
		if bytes.HasPrefix(bytes.TrimSpace(raw), []byte("[")) {
			docs = nil
			if err := json.Unmarshal(raw, &docs); err != nil {
				return nil, fmt.Errorf("%s: %w", path, err)
			}
		}
		for _, d := range docs {
			var b bytes.Buffer
			if err := json.Compact(&b, d); err != nil {
				return nil, fmt.Errorf("%s: %w", path, err)
			}
			if bytes.HasPrefix(b.Bytes(), []byte("{")) {
				out = append(out, b.Bytes())
			}
		}
	}
}

func parseSize(s string) (int64, error) {
	mult := int64(1)
	switch {
	case strings.HasSuffix(s, "K"):
		mult, s = 1<<10, strings.TrimSuffix(s, "K")
	case strings.HasSuffix(s, "M"):
		mult, s = 1<<20, strings.TrimSuffix(s, "M")
	case strings.HasSuffix(s, "G"):
		mult, s = 1<<30, strings.TrimSuffix(s, "G")
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("bad size %q", s)
	}
	return n * mult, nil
}
