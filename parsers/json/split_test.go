package json

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/loghunt/loghunt/parsers"
)

// decoded is what decoding gave: events (cloned), reports and stats.
type decoded struct {
	evs   []*parsers.Event
	errs  []*parsers.ParseError
	stats parsers.Stats
	err   error
}

func decodeUnit(u *Unit) decoded {
	var d decoded
	d.stats, d.err = u.Decode(func(e *parsers.Event) error {
		d.evs = append(d.evs, e.Clone())
		return nil
	}, func(pe *parsers.ParseError) { d.errs = append(d.errs, pe) })
	return d
}

// Decode orders for the units of a split file: the order changes which
// units learn their array state from a decoded unit before them and which
// follow the framing of the ones not decoded yet.
const (
	inOrder = iota
	reversed
	shuffled
	concurrent
)

// decodeSplit splits data, decodes every unit in the given order and
// returns the units' results joined in unit order.
func decodeSplit(t testing.TB, data []byte, opts Options, order int, seed uint64) (decoded, int) {
	t.Helper()
	units := Split(bytes.NewReader(data), int64(len(data)), "f", opts)
	res := make([]decoded, len(units))
	idx := make([]int, len(units))
	for i := range idx {
		idx[i] = i
	}
	switch order {
	case reversed:
		for i, j := 0, len(idx)-1; i < j; i, j = i+1, j-1 {
			idx[i], idx[j] = idx[j], idx[i]
		}
	case shuffled:
		rand.New(rand.NewPCG(seed, 1)).Shuffle(len(idx), func(i, j int) { idx[i], idx[j] = idx[j], idx[i] })
	case concurrent:
		var wg sync.WaitGroup
		for _, i := range idx {
			wg.Add(1)
			go func() {
				defer wg.Done()
				res[i] = decodeUnit(units[i])
			}()
		}
		wg.Wait()
	}
	if order != concurrent {
		for _, i := range idx {
			res[i] = decodeUnit(units[i])
		}
	}
	var all decoded
	for _, r := range res {
		all.evs = append(all.evs, r.evs...)
		all.errs = append(all.errs, r.errs...)
		all.stats.Add(r.stats)
		all.err = errors.Join(all.err, r.err)
	}
	return all, len(units)
}

// sameDecode returns how got differs from want, or "".
func sameDecode(want, got decoded) string {
	if (want.err == nil) != (got.err == nil) {
		return fmt.Sprintf("final error %v, want %v", got.err, want.err)
	}
	if got.stats != want.stats {
		return fmt.Sprintf("stats %+v, want %+v", got.stats, want.stats)
	}
	if len(got.evs) != len(want.evs) {
		return fmt.Sprintf("%d events, want %d", len(got.evs), len(want.evs))
	}
	for i := range want.evs {
		if d := diffEvents(want.evs[i], got.evs[i]); d != "" {
			return fmt.Sprintf("event %d (%v, want %v): %s", i, got.evs[i].Source, want.evs[i].Source, d)
		}
	}
	if len(got.errs) != len(want.errs) {
		return fmt.Sprintf("%d reports %v, want %d %v", len(got.errs), got.errs, len(want.errs), want.errs)
	}
	for i := range want.errs {
		if got.errs[i].Error() != want.errs[i].Error() || got.errs[i].Offset != want.errs[i].Offset || got.errs[i].Line != want.errs[i].Line {
			return fmt.Sprintf("report %d: %v, want %v", i, got.errs[i], want.errs[i])
		}
	}
	return ""
}

// checkSplit asserts that splitting data at unit size n, in every decode
// order, gives what decoding it whole gives. It returns the number of
// units.
func checkSplit(t testing.TB, data []byte, opts Options) int {
	t.Helper()
	whole := decodeUnit(NewUnit(bytes.NewReader(data), "f", opts))
	units := 0
	for order := inOrder; order <= concurrent; order++ {
		got, n := decodeSplit(t, data, opts, order, uint64(len(data)))
		units = n
		if d := sameDecode(whole, got); d != "" {
			t.Fatalf("unit size %d, order %d, %d units: %s\ninput %q", opts.UnitSize, order, n, d, data)
		}
	}
	return units
}

// splitShapes are inputs of every framing the decoder knows, with errors
// in many places.
func splitShapes(t *testing.T) map[string][]byte {
	shapes := map[string][]byte{}
	files, err := filepath.Glob("testdata/*.json*")
	if err != nil || len(files) == 0 {
		t.Fatalf("fixtures: %v", err)
	}
	for _, p := range files {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		shapes[filepath.Base(p)] = data
	}
	line := func(i int) string {
		return fmt.Sprintf(`{"EventID": %d, "Channel": "Security", "TimeCreated": "2024-03-01T10:00:%02dZ", "CommandLine": "a [b] {c}, d"}`, 4688+i%3, i%60)
	}
	var jsonl, crlf, commas, arrayLines, mixed, errs strings.Builder
	for i := range 60 {
		jsonl.WriteString(line(i) + "\n")
		crlf.WriteString(line(i) + "\r\n")
		commas.WriteString(line(i) + ",\n")
		arrayLines.WriteString(line(i))
		if i < 59 {
			arrayLines.WriteString(",")
		}
		arrayLines.WriteString("\n")
		switch i % 7 {
		case 0:
			mixed.WriteString("[\n")
		case 3:
			mixed.WriteString("]\n")
		case 5:
			mixed.WriteString(", ,\n")
		}
		mixed.WriteString(line(i) + "\n")
		switch i % 9 {
		case 1:
			errs.WriteString(`{"EventID": 1, "x": tru` + "\n")
		case 2:
			errs.WriteString(`{"EventID": 2, "nested": {` + "\n")
		case 4:
			errs.WriteString("not json\n")
		case 5:
			errs.WriteString(`{"EventID": 3} trailing` + "\n")
		case 6:
			errs.WriteString(`{"EventID": 4, "a": [` + "\n  " + line(i) + "\n")
		case 7:
			errs.WriteString(`"a string", 5, null` + "\n")
		}
		errs.WriteString(line(i) + "\n")
	}
	shapes["jsonl"] = []byte(jsonl.String())
	shapes["crlf"] = []byte(crlf.String())
	shapes["bom jsonl"] = []byte("\xEF\xBB\xBF" + jsonl.String())
	shapes["trailing commas"] = []byte(commas.String())
	shapes["array in commas"] = []byte("[\n" + commas.String() + "]\n")
	shapes["array one a line"] = []byte("[\n" + arrayLines.String() + "]\n")
	shapes["array no newline"] = []byte("[" + strings.ReplaceAll(arrayLines.String(), "\n", "") + "]")
	shapes["arrays and lines"] = []byte(mixed.String())
	shapes["errors"] = []byte(errs.String())
	shapes["nested at column 0"] = []byte(`{"outer": [` + "\n" + jsonl.String() + `]}` + "\n" + jsonl.String())
	shapes["truncated"] = []byte(jsonl.String() + `{"EventID": 9, "x": "abc`)
	shapes["pretty then lines"] = append(append([]byte{}, shapes["evtxdump.json"]...), jsonl.String()...)
	shapes["too large"] = []byte(jsonl.String()[:400] + `{"big": "` + strings.Repeat("x", 3000) + `"}` + "\n" + jsonl.String())
	return shapes
}

// TestSplitSameAsWhole: for every shape and many unit sizes (down to one
// byte, so a boundary is tried at every line), the units decoded in any
// order give exactly the events, reports and stats of the whole file.
func TestSplitSameAsWhole(t *testing.T) {
	for name, data := range splitShapes(t) {
		t.Run(name, func(t *testing.T) {
			for _, size := range []int{1, 2, 7, 50, 150, 400, 1000, 4096} {
				checkSplit(t, data, Options{UnitSize: size, MaxDocument: 2048})
			}
		})
	}
}

// TestSplitJSONLines: JSON Lines split at the first line boundary at or
// after every UnitSize bytes, and line numbers stay those of the file.
func TestSplitJSONLines(t *testing.T) {
	// 100 lines of 100 bytes (99 and a newline), event i on line i+1.
	var b bytes.Buffer
	for i := range 100 {
		l := fmt.Sprintf(`{"EventID": %d, "EventRecordID": %d, "Pad": "`, 4000+i, i+1)
		l += strings.Repeat("p", 99-len(l)-2) + `"}`
		b.WriteString(l + "\n")
	}
	data := b.Bytes()
	if len(data) != 10000 {
		t.Fatalf("input is %d bytes", len(data))
	}
	// Boundaries: the first line start at or after 1000 is 1000 (line 11),
	// then at or after 2000 ... 9000: ten units of ten lines.
	units := Split(bytes.NewReader(data), int64(len(data)), "f.jsonl", Options{UnitSize: 1000})
	if len(units) != 10 {
		t.Fatalf("%d units, want 10", len(units))
	}
	for k, u := range units {
		if u.Size() != 1000 {
			t.Errorf("unit %d covers %d bytes, want 1000", k, u.Size())
		}
	}
	// Decode the last unit first: it counts the lines of all before it.
	for k := len(units) - 1; k >= 0; k-- {
		d := decodeUnit(units[k])
		if d.err != nil || len(d.evs) != 10 || d.stats.Records != 10 {
			t.Fatalf("unit %d: %d events, %+v, %v", k, len(d.evs), d.stats, d.err)
		}
		for i, e := range d.evs {
			n := k*10 + i // the event's index in the file
			if e.RecordID != uint64(n+1) || e.Source.Line != int64(n+1) || e.Source.Offset != int64(n*100) {
				t.Errorf("unit %d event %d: record %d at %+v, want record %d at line %d offset %d",
					k, i, e.RecordID, e.Source, n+1, n+1, n*100)
			}
		}
	}
	// An unsplit file is one unit over the whole of it.
	if us := Split(bytes.NewReader(data), int64(len(data)), "f.jsonl", Options{}); len(us) != 1 || us[0].Size() != 10000 {
		t.Errorf("default unit size: %d units", len(us))
	}
}

// TestSplitWhereUnsafe: inputs where no two lines show that the decoder is
// between documents stay one unit.
func TestSplitWhereUnsafe(t *testing.T) {
	line := `{"EventID": 1, "Image": "C:\\a.exe"}`
	for name, in := range map[string]string{
		"pretty array":     "[\n" + strings.Repeat("  {\n    \"EventID\": 1\n  },\n", 40) + "  {}\n]\n",
		"closer, comma":    strings.Repeat("{\n  \"EventID\": 1\n},\n", 40),
		"array, commas":    "[\n" + strings.Repeat(line+",\n", 40) + line + "\n]\n",
		"one long line":    strings.Repeat(line, 40),
		"indented objects": strings.Repeat("  "+line+"\n", 40),
		"no L2 brace":      strings.Repeat(line+"\n\n", 40),
	} {
		if n := checkSplit(t, []byte(in), Options{UnitSize: 16}); n != 1 {
			t.Errorf("%s: %d units, want 1", name, n)
		}
	}
	// Lines separated by blank lines have no boundary; lines one after
	// another do, also when a blank line comes before.
	in := line + "\n\n" + line + "\n" + line + "\n"
	if n := checkSplit(t, []byte(in), Options{UnitSize: 1}); n != 2 {
		t.Errorf("blank line: %d units, want 2", n)
	}
}

// TestSplitPrettyDocuments: pretty-printed documents one after another
// split where a '}' at column 0 is followed by a '{' at column 0.
func TestSplitPrettyDocuments(t *testing.T) {
	doc := "{\n  \"EventID\": 1,\n  \"o\": {\n    \"a\": 2\n  }\n}\n" // 44 bytes
	if len(doc) != 44 {
		t.Fatalf("doc is %d bytes", len(doc))
	}
	// Unit size 100: boundaries at the first document start at or after
	// 100 (132, the fourth), then at or after 232 (264), ...: every third
	// document of 40 from the fourth, 13 boundaries, 14 units.
	if n := checkSplit(t, []byte(strings.Repeat(doc, 40)), Options{UnitSize: 100}); n != 14 {
		t.Errorf("%d units, want 14", n)
	}
}

// TestSplitArrayState: a unit that meets ']' or ',' at the top level takes
// the array state from the units before it, decoded or not.
func TestSplitArrayState(t *testing.T) {
	line := `{"EventID": 1}`
	// "[" opens an array on line 1; lines 2-9 are single-line objects; a
	// ']' line 10 closes it, then a ',' on line 11 is an error outside
	// the array.
	in := "[\n" + strings.Repeat(line+"\n", 8) + "]\n,\n" + line + "\n"
	whole := decodeUnit(NewUnit(strings.NewReader(in), "f", Options{}))
	if whole.stats.Records != 9 || whole.stats.Failed != 1 || len(whole.errs) != 1 || whole.errs[0].Line != 11 {
		t.Fatalf("whole: %+v %v", whole.stats, whole.errs)
	}
	if n := checkSplit(t, []byte(in), Options{UnitSize: 1}); n < 5 {
		t.Errorf("%d units, want one a line from line 3", n)
	}
}

// TestSplitHugeLine: a file that is one line longer than MaxDocument is
// skipped with bounded memory, and the lines after it are decoded; the
// search for boundaries reads it in bounded windows.
func TestSplitHugeLine(t *testing.T) {
	size := int64(1 << 30)
	if testing.Short() {
		size = 64 << 20
	}
	tail := "\n" + `{"EventID": 7}` + "\n"
	r := &hugeLine{head: `{"Blob": "`, size: size, tail: tail}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	units := Split(r, r.Size(), "huge.jsonl", Options{MaxDocument: 1 << 20})
	var all decoded
	for _, u := range units {
		d := decodeUnit(u)
		all.evs = append(all.evs, d.evs...)
		all.errs = append(all.errs, d.errs...)
		all.err = errors.Join(all.err, d.err)
	}
	runtime.ReadMemStats(&after)
	if all.err != nil || len(all.evs) != 1 || all.evs[0].EventID != 7 || all.evs[0].Source.Line != 2 ||
		len(all.errs) != 1 || !errors.Is(all.errs[0].Err, ErrTooLarge) || all.errs[0].Line != 1 {
		t.Fatalf("%d units: events %v, reports %v, %v", len(units), all.evs, all.errs, all.err)
	}
	// The decoder buffers one MaxDocument and the search reads 2 MiB
	// windows; allow 32 MiB of allocation in all for a 1 GiB line.
	if got := after.TotalAlloc - before.TotalAlloc; got > 32<<20 {
		t.Errorf("allocated %d MiB for a %d MiB line", got>>20, size>>20)
	}
}

var xs = bytes.Repeat([]byte{'x'}, 64<<10)

// hugeLine is a ReaderAt over head, then 'x' up to size-len(tail), then
// tail, without holding it.
type hugeLine struct {
	head string
	size int64
	tail string
}

func (h *hugeLine) Size() int64 { return h.size }

func (h *hugeLine) ReadAt(p []byte, off int64) (int, error) {
	if off >= h.size {
		return 0, io.EOF
	}
	n := 0
	for n < len(p) && off < h.size {
		switch {
		case off < int64(len(h.head)):
			p[n] = h.head[off]
		case off >= h.size-int64(len(h.tail)):
			p[n] = h.tail[off-(h.size-int64(len(h.tail)))]
		default:
			// Copy the run of 'x' in blocks.
			m := copy(p[n:min(len(p), n+int(min(h.size-int64(len(h.tail))-off, 1<<30)))], xs)
			n += m
			off += int64(m)
			continue
		}
		n++
		off++
	}
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

// FuzzSplit: splitting any input into tiny units, decoded in any order,
// gives what decoding it whole gives.
func FuzzSplit(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.json*")
	for _, p := range files {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data, uint8(5))
	}
	f.Add([]byte("[\n{\"a\":1}\n{\"b\":2}\n]\n,\n{\"c\":3}\n"), uint8(1))
	f.Add([]byte("{\"x\": [\n{\"a\":1}\n{\"b\":2}\n]}\n{\"c\":3}\n"), uint8(1))
	f.Add([]byte("{\"a\":1}\n{\"b\":2}\n{\"c\":3}\n"), uint8(3))
	f.Fuzz(func(t *testing.T, data []byte, size uint8) {
		checkSplit(t, data, Options{UnitSize: int(size%64) + 1, MaxDocument: 256, MaxDepth: 16, MaxValues: 64})
	})
}
