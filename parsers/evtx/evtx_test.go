package evtx

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/loghunt/loghunt/parsers"
)

// readAll decodes a fixture and returns clones of its events and its errors.
func readAll(t *testing.T, path string, opts Options) ([]*parsers.Event, []*parsers.ParseError, parsers.Stats) {
	t.Helper()
	var evs []*parsers.Event
	var errs []*parsers.ParseError
	st, err := ReadFile(path, opts, func(e *parsers.Event) error {
		evs = append(evs, e.Clone())
		return nil
	}, func(pe *parsers.ParseError) { errs = append(errs, pe) })
	if err != nil {
		t.Fatalf("ReadFile(%s): %v", path, err)
	}
	return evs, errs, st
}

func fixture(name string) string { return filepath.Join("testdata", name) }

func TestReadFileCounts(t *testing.T) {
	tests := []struct {
		name            string
		records, failed int64
		badChecksum     int64
	}{
		{"security_chunk0.evtx", 91, 0, 0},
		{"capi2_chunk0.evtx", 0, 0, 0}, // filled below from the chunk header
		{"sysmon_chunk0.evtx", 0, 0, 0},
		{"system_chunk0.evtx", 0, 0, 0},
		{"hello_for_business.evtx", 6, 0, 1},
		{"language_pack_setup.evtx", 17, 0, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			evs, _, st := readAll(t, fixture(tt.name), Options{})
			want := tt.records
			if want == 0 {
				want = chunkRecordCount(t, fixture(tt.name))
			}
			if st.Records != want || int64(len(evs)) != want {
				t.Errorf("records = %d (emitted %d), want %d", st.Records, len(evs), want)
			}
			if st.Failed != tt.failed || st.BadChecksum != tt.badChecksum {
				t.Errorf("stats = %+v, want failed %d, bad checksum %d", st, tt.failed, tt.badChecksum)
			}
			// Record ids increase by one within a chunk.
			for i := 1; i < len(evs); i++ {
				if evs[i].RecordID != evs[i-1].RecordID+1 {
					t.Fatalf("record %d has id %d after %d", i, evs[i].RecordID, evs[i-1].RecordID)
				}
			}
		})
	}
}

// chunkRecordCount returns last-first+1 from the first chunk header.
func chunkRecordCount(t *testing.T, path string) int64 {
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	h := parseChunkHeader(b[FileHeaderSize:])
	return int64(h.LastRecordID - h.FirstRecordID + 1)
}

func TestFirstSecurityRecord(t *testing.T) {
	evs, errs, _ := readAll(t, fixture("security_chunk0.evtx"), Options{})
	if len(errs) != 0 {
		t.Fatalf("unexpected errors: %v", errs)
	}
	e := evs[0]
	wantTime := time.Date(2016, 7, 8, 18, 12, 51, 681640800, time.UTC)
	if !e.Time.Equal(wantTime) || e.Time.Location() != time.UTC {
		t.Errorf("Time = %v, want %v", e.Time, wantTime)
	}
	if e.EventID != 4608 || e.RecordID != 1 || e.Computer != "37L4247F27-25" || e.Channel != "Security" ||
		e.Provider != "Microsoft-Windows-Security-Auditing" || e.Level != 0 {
		t.Errorf("core fields = %+v", e)
	}
	want := map[string]string{
		"EventID":                "4608",
		"Provider_Name":          "Microsoft-Windows-Security-Auditing",
		"Provider_Guid":          "{54849625-5478-4994-A5BA-3E3B0328C30D}",
		"Keywords":               "0x8020000000000000",
		"Task":                   "12288",
		"TimeCreated_SystemTime": "2016-07-08T18:12:51.6816408Z",
		"EventRecordID":          "1",
		"ProcessID":              "456",
		"ThreadID":               "460",
		"Channel":                "Security",
		"Computer":               "37L4247F27-25",
	}
	for k, v := range want {
		if got, ok := e.Get(k); !ok || got != v {
			t.Errorf("%s = %q (%v), want %q", k, got, ok, v)
		}
	}
	if e.Source.Path != fixture("security_chunk0.evtx") || e.Source.Offset != FileHeaderSize+512 {
		t.Errorf("Source = %+v", e.Source)
	}
	// Record 2 is a 4624 logon with EventData.
	e = evs[1]
	for k, v := range map[string]string{
		"TargetUserSid":  "S-1-5-18",
		"TargetUserName": "SYSTEM",
		"TargetLogonId":  "0x3e7",
		"LogonGuid":      "{00000000-0000-0000-0000-000000000000}",
		"LogonType":      "0",
	} {
		if got, _ := e.Get(k); got != v {
			t.Errorf("record 2 %s = %q, want %q", k, got, v)
		}
	}
}

func TestUserDataAndBinXMLSubstitution(t *testing.T) {
	evs, _, _ := readAll(t, fixture("capi2_chunk0.evtx"), Options{})
	e := evs[0]
	for k, v := range map[string]string{
		"Security_UserID": "S-1-5-21-1223297778-3299746493-1462173606-500",
		"ProcessName":     "Setup.exe",
		"TaskId":          "{1CB1FE4B-D685-48FC-A3FA-42893E4C1717}",
		"SeqNumber":       "1",
		"Provider_Guid":   "{5bbca4a8-b209-48dc-a8c7-b23d3e5216fb}",
	} {
		if got, _ := e.Get(k); got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
	// Record 28: repeated leaves and an entity reference in a value.
	var r28 *parsers.Event
	for _, e := range evs {
		if e.RecordID == 28 {
			r28 = e
		}
	}
	if r28 == nil {
		t.Fatal("record 28 missing")
	}
	hs := r28.Values(nil, "Header")
	if len(hs) != 19 || hs[2] != `If-None-Match: "ea9ee7b1bc43d21:0"` {
		t.Errorf("Header values = %q", hs)
	}
}

func TestQualifiersAndUnnamedData(t *testing.T) {
	evs, _, _ := readAll(t, fixture("system_chunk0.evtx"), Options{})
	e := evs[0]
	if e.EventID != 6009 || e.Level != 4 {
		t.Errorf("EventID %d Level %d", e.EventID, e.Level)
	}
	if q, _ := e.Get("EventID_Qualifiers"); q != "32768" {
		t.Errorf("EventID_Qualifiers = %q", q)
	}
	data := e.Values(nil, "Data")
	want := []string{"10.00.", "15063", "", "Multiprocessor Free", "0"}
	if len(data) != len(want) {
		t.Fatalf("Data = %q, want %q", data, want)
	}
	for i := range want {
		if data[i] != want[i] {
			t.Errorf("Data[%d] = %q, want %q", i, data[i], want[i])
		}
	}
}

func TestSysmonProcessCreation(t *testing.T) {
	evs, _, _ := readAll(t, fixture("sysmon_chunk0.evtx"), Options{})
	n := 0
	for _, e := range evs {
		if e.EventID != 1 {
			continue
		}
		n++
		for _, k := range []string{"Image", "CommandLine", "ParentImage", "User", "ProcessGuid"} {
			if v, ok := e.Get(k); !ok || v == "" {
				t.Fatalf("record %d: %s missing", e.RecordID, k)
			}
		}
	}
	if n == 0 {
		t.Fatal("no Sysmon event 1")
	}
}

func TestFieldsOption(t *testing.T) {
	evs, _, _ := readAll(t, fixture("security_chunk0.evtx"), Options{Fields: []string{"EventID", "TargetUserName"}})
	e := evs[1]
	if len(e.Fields) != 2 {
		t.Errorf("Fields = %v, want only EventID and TargetUserName", e.Fields)
	}
	if e.Computer != "37L4247F27-25" || e.Channel != "Security" || e.Provider == "" {
		t.Errorf("core fields must be filled whatever Fields says: %+v", e)
	}
}

func TestNotEVTX(t *testing.T) {
	p := filepath.Join(t.TempDir(), "x.evtx")
	if err := os.WriteFile(p, []byte("{\"EventID\": 1}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := ReadFile(p, Options{}, nil, nil)
	if !errors.Is(err, ErrNotEVTX) {
		t.Fatalf("err = %v, want ErrNotEVTX", err)
	}
}

// TestClonedEventsStayValid keeps clones of every event, decodes other
// files (reusing the decoder's buffers and text memory) and checks the
// clones did not change: Clone copies the values out of the decoder's text.
func TestClonedEventsStayValid(t *testing.T) {
	evs, _, _ := readAll(t, fixture("security_chunk0.evtx"), Options{})
	snapshot := make([]string, len(evs))
	for i, e := range evs {
		var sb strings.Builder
		for _, f := range e.Fields {
			sb.WriteString(f.Name + "=" + f.Value + "\n")
		}
		snapshot[i] = sb.String() + e.Computer + e.Channel + e.Provider
	}
	for _, name := range fuzzFixtures {
		readAll(t, fixture(name), Options{})
	}
	for i, e := range evs {
		var sb strings.Builder
		for _, f := range e.Fields {
			sb.WriteString(f.Name + "=" + f.Value + "\n")
		}
		if sb.String()+e.Computer+e.Channel+e.Provider != snapshot[i] {
			t.Fatalf("event %d changed after later decodes", i)
		}
	}
}

// TestDecodeReusesTextMemory: once warm, decoding a chunk allocates
// nothing for its records' text: the text memory of the last chunk is
// reused (which is why emitted strings are only valid during emit). The
// test holds its own decoding state, as a pooled one may be dropped at a GC.
func TestDecodeReusesTextMemory(t *testing.T) {
	data, err := os.ReadFile(fixture("security_chunk0.evtx"))
	if err != nil {
		t.Fatal(err)
	}
	f, err := Open(bytes.NewReader(data), int64(len(data)), "security_chunk0.evtx", Options{})
	if err != nil {
		t.Fatal(err)
	}
	st := newState()
	var records, textBytes int64
	decode := func() {
		c := chunkDecoder{f: f, st: st, base: FileHeaderSize, report: func(*parsers.ParseError) {},
			emit: func(e *parsers.Event) error {
				for _, fl := range e.Fields {
					textBytes += int64(len(fl.Value))
				}
				return nil
			}}
		if err := c.run(data[FileHeaderSize : FileHeaderSize+ChunkSize]); err != nil {
			t.Fatal(err)
		}
		records += c.stats.Records
	}
	for i := 0; i < 10; i++ {
		decode() // warm up the state's buffers and caches
	}
	const runs = 20
	records, textBytes = 0, 0
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for i := 0; i < runs; i++ {
		decode()
	}
	runtime.ReadMemStats(&after)
	perRun := int64(after.TotalAlloc-before.TotalAlloc) / runs
	if records == 0 || textBytes/runs < 4096 {
		t.Fatalf("fixture decoded %d records with %d bytes of text: nothing to measure", records, textBytes)
	}
	// Writing each chunk's text into new memory would allocate at least
	// textBytes per run; the rest (closures, this test's bookkeeping) is
	// far below a quarter of it.
	if perRun > textBytes/runs/4 {
		t.Errorf("decoding a warm chunk allocates %d bytes per run (%d bytes of field text): text memory is not reused", perRun, textBytes/runs)
	}
}

// TestTemplateMemoryIsReused checks that a decoding state that has seen a
// mix of chunks allocates nothing when it decodes them again, in other
// orders: the code and images of a chunk's templates and the steps of its
// plans are kept in arenas reused from chunk to chunk, so the memory is
// bounded by the largest chunk's, not grown slot by slot as chunks with
// other templates come and go. (Undamaged chunks only: a damaged record's
// error is an allocation.)
func TestTemplateMemoryIsReused(t *testing.T) {
	var chunks [][]byte
	var f *File
	for _, name := range []string{"security_chunk0.evtx", "sysmon_chunk0.evtx", "system_chunk0.evtx",
		"capi2_chunk0.evtx"} {
		data, err := os.ReadFile(fixture(name))
		if err != nil {
			t.Fatal(err)
		}
		if f, err = Open(bytes.NewReader(data), int64(len(data)), name, Options{}); err != nil {
			t.Fatal(err)
		}
		for i := 0; i < f.Chunks(); i++ {
			off := FileHeaderSize + i*ChunkSize
			chunks = append(chunks, data[off:min(off+ChunkSize, len(data))])
		}
	}
	st := newState()
	var records int64
	emit := func(*parsers.Event) error { return nil }
	report := func(*parsers.ParseError) {}
	decode := func(chunk []byte) {
		c := chunkDecoder{f: f, st: st, base: FileHeaderSize, emit: emit, report: report}
		if err := c.run(chunk); err != nil {
			t.Fatal(err)
		}
		records += c.stats.Records
	}
	for _, c := range chunks {
		decode(c)
	}
	if records < 200 {
		t.Fatalf("the fixtures decoded %d records: nothing to measure", records)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	shuffled := func() {
		rng.Shuffle(len(chunks), func(i, j int) { chunks[i], chunks[j] = chunks[j], chunks[i] })
		for _, c := range chunks {
			decode(c)
		}
	}
	for range 5 {
		shuffled()
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for range 20 {
		shuffled()
	}
	runtime.ReadMemStats(&after)
	if n := after.TotalAlloc - before.TotalAlloc; n > 4096 {
		t.Errorf("decoding %d chunks already seen 20 times allocated %d bytes, want none", len(chunks), n)
	}
}
