package evtx

import (
	"bufio"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/loghunt/loghunt/internal/testshared"
	"github.com/loghunt/loghunt/parsers"
)

// The corpus tier reads ../shared/corpora/evtx next to the repository
// (internal/testshared): skipped when it is absent and in -short mode.

func corpusDir(t testing.TB) string {
	t.Helper()
	return testshared.Dir(t, "corpora", "evtx")
}

// corpusFiles lists every file of the corpus that starts like an EVTX file
// (or a chunk), sorted.
func corpusFiles(t testing.TB) []string {
	root := corpusDir(t)
	var files []string
	err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		if strings.EqualFold(filepath.Ext(p), ".evtx") {
			files = append(files, p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(files)
	return files
}

type expected struct {
	file    string
	ok, err int64 // err < 0: not given; total: ok counts records + errors
	total   bool
}

func readExpected(t *testing.T) []expected {
	root := corpusDir(t)
	f, err := os.Open(filepath.Join(root, "evtx-rs-samples", "EXPECTED_COUNTS.tsv"))
	if err != nil {
		t.Skipf("corpus tier: %v", err)
	}
	defer f.Close()
	var out []expected
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") || strings.HasPrefix(line, "file\t") || line == "" {
			continue
		}
		cols := strings.Split(line, "\t")
		if len(cols) < 3 {
			t.Fatalf("bad line %q", line)
		}
		e := expected{file: cols[0], err: -1}
		if e.ok, err = strconv.ParseInt(cols[1], 10, 64); err != nil {
			t.Fatalf("bad ok count in %q", line)
		}
		if v, err := strconv.ParseInt(cols[2], 10, 64); err == nil {
			e.err = v
		} else if strings.Contains(cols[2], "incl. errors") {
			e.total = true
		}
		out = append(out, e)
	}
	return out
}

// TestCorpusExpectedCounts checks the record and error counts the Rust evtx
// crate asserts for its samples: records decoded equal its ok count, and
// failed records plus bad chunks equal its error count.
func TestCorpusExpectedCounts(t *testing.T) {
	exp := readExpected(t)
	dir := filepath.Join(corpusDir(t), "evtx-rs-samples", "samples")
	present := 0
	for _, e := range exp {
		p := filepath.Join(dir, e.file)
		if _, err := os.Stat(p); err != nil {
			t.Logf("%s: absent, skipped", e.file)
			continue
		}
		present++
		t.Run(e.file, func(t *testing.T) {
			st, err := ReadFile(p, Options{}, nil, nil)
			if err != nil {
				t.Fatal(err)
			}
			errs := st.Failed + st.BadChunks
			switch {
			case e.total:
				if st.Records+errs != e.ok {
					t.Errorf("records+errors = %d+%d, want %d in all", st.Records, errs, e.ok)
				}
			default:
				if st.Records != e.ok {
					t.Errorf("records = %d, want %d", st.Records, e.ok)
				}
				if e.err >= 0 && errs != e.err {
					t.Errorf("errors = %d (failed %d, bad chunks %d), want %d", errs, st.Failed, st.BadChunks, e.err)
				}
			}
		})
	}
	if present == 0 {
		t.Fatal("no file of EXPECTED_COUNTS.tsv is present")
	}
}

// TestCorpusNoCrashParallel decodes every corpus file through its units on
// all cores, with and without carving, and checks that the live records are
// the same as in a sequential read.
func TestCorpusNoCrashParallel(t *testing.T) {
	files := corpusFiles(t)
	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	var wg sync.WaitGroup
	for _, p := range files {
		wg.Add(1)
		sem <- struct{}{}
		go func(p string) {
			defer wg.Done()
			defer func() { <-sem }()
			seq, err := ReadFile(p, Options{}, nil, nil)
			if err != nil {
				t.Errorf("%s: %v", p, err)
				return
			}
			carved, err := ReadFile(p, Options{Carve: true}, nil, nil)
			if err != nil {
				t.Errorf("%s carve: %v", p, err)
				return
			}
			if carved.Records-carved.Recovered != seq.Records {
				t.Errorf("%s: carving changed the live records: %d live with carving, %d without", p, carved.Records-carved.Recovered, seq.Records)
			}
		}(p)
	}
	wg.Wait()
	_ = parsers.Stats{}
}
