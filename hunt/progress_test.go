package hunt

import (
	"cmp"
	"context"
	"errors"
	"slices"
	"sync"
	"testing"

	"github.com/loghunt/loghunt/parsers"
)

// sizedUnit is a fakeUnit that tells how many input bytes it covers.
type sizedUnit struct {
	fakeUnit
	size int64
}

func (u sizedUnit) Size() int64 { return u.size }

// progressInputs: a file whose units tell their sizes (100, 300, 600 of
// 1000), one whose units do not (10 bytes in 3), one of unknown size (an
// archive member), one that cannot be opened and one with no unit.
func progressInputs() []Input {
	open := func(units ...parsers.Unit) func() ([]parsers.Unit, func() error, error) {
		return func() ([]parsers.Unit, func() error, error) { return units, func() error { return nil }, nil }
	}
	return []Input{
		{Path: "a.jsonl", Size: 1000, Open: open(
			sizedUnit{fakeUnit{path: "a.jsonl", n: 3}, 100},
			sizedUnit{fakeUnit{path: "a.jsonl", base: 3, n: 3}, 300},
			sizedUnit{fakeUnit{path: "a.jsonl", base: 6, n: 3}, 600})},
		{Path: "b.evtx", Size: 10, Open: open(
			fakeUnit{path: "b.evtx", n: 2}, fakeUnit{path: "b.evtx", base: 2, n: 2}, fakeUnit{path: "b.evtx", base: 4, n: 2})},
		{Path: "c.zip!c.json", Size: 0, Open: open(fakeUnit{path: "c", n: 4}, fakeUnit{path: "c", base: 4, n: 4})},
		{Path: "d.evtx", Size: 50, Open: func() ([]parsers.Unit, func() error, error) { return nil, nil, errors.New("unreadable") }},
		{Path: "e.json", Size: 7, Open: open()},
	}
}

// TestProgressAccounting: on one thread the snapshots follow the units in
// order, each adding its share of its file's size, and reach the total
// once every file is done.
func TestProgressAccounting(t *testing.T) {
	var got []Progress
	var plain [][2]int64
	rule := &Rule{ID: "cmd-1", Level: "high"}
	_, err := Run(context.Background(), progressInputs(), Options{Threads: 1, Matchers: []Matcher{needle{rule}},
		Progress:   func(done, total int64) { plain = append(plain, [2]int64{done, total}) },
		OnProgress: func(p Progress) { got = append(got, p) },
	})
	if err != nil {
		t.Fatal(err)
	}
	// Events: a 3+3+3, b 2+2+2, c 4+4. The needle fires on the events
	// numbered base+i with (base+i)%3 == 1 (their CommandLine is cmd-1).
	hitsOf := func(base, n int) int64 {
		var h int64
		for i := range n {
			if (base+i)%3 == 1 {
				h++
			}
		}
		return h
	}
	type step struct {
		done      int64
		filesDone int
		records   int64
		hits      int64
	}
	var want []step
	add := func(bytes int64, fileDone bool, base, n int) {
		last := step{}
		if len(want) > 0 {
			last = want[len(want)-1]
		}
		last.done += bytes
		if fileDone {
			last.filesDone++
		}
		last.records += int64(n)
		last.hits += hitsOf(base, n)
		want = append(want, last)
	}
	add(100, false, 0, 3)
	add(300, false, 3, 3)
	add(600, true, 6, 3)
	add(3, false, 0, 2) // 10 bytes in three: 3, 3, 4
	add(3, false, 2, 2)
	add(4, true, 4, 2)
	add(0, false, 0, 4) // unknown size: files still counted
	add(0, true, 4, 4)
	add(50, true, 0, 0) // cannot be opened: all at once
	add(7, true, 0, 0)  // no unit
	if len(got) != len(want) || len(plain) != len(want) {
		t.Fatalf("%d snapshots, %d plain calls, want %d: %+v", len(got), len(plain), len(want), got)
	}
	// The producer reports the files it cannot open or that have no unit
	// itself, so on one worker those two steps may come before the
	// worker's last units: compare the steps as deltas, in any order, and
	// the running totals.
	type delta struct {
		bytes              int64
		files              int
		records, hitsCount int64
	}
	var wantD, gotD []delta
	var prevW step
	var prevG Progress
	for i, w := range want {
		g := got[i]
		wantD = append(wantD, delta{w.done - prevW.done, w.filesDone - prevW.filesDone, w.records - prevW.records, w.hits - prevW.hits})
		gotD = append(gotD, delta{g.DoneBytes - prevG.DoneBytes, g.FilesDone - prevG.FilesDone, g.Records - prevG.Records, g.Hits - prevG.Hits})
		if g.TotalBytes != 1067 || g.Files != 5 || g.DoneBytes < prevG.DoneBytes {
			t.Errorf("snapshot %d: %+v after %+v: want 1067 bytes and 5 files in all, done never shrinking", i, g, prevG)
		}
		if plain[i] != [2]int64{g.DoneBytes, g.TotalBytes} {
			t.Errorf("plain call %d: %v, snapshot %+v", i, plain[i], g)
		}
		prevW, prevG = w, g
	}
	cmpDelta := func(a, b delta) int {
		return cmp.Or(cmp.Compare(a.bytes, b.bytes), cmp.Compare(a.files, b.files), cmp.Compare(a.records, b.records), cmp.Compare(a.hitsCount, b.hitsCount))
	}
	slices.SortFunc(wantD, cmpDelta)
	slices.SortFunc(gotD, cmpDelta)
	if !slices.Equal(wantD, gotD) {
		t.Errorf("steps %+v, want %+v", gotD, wantD)
	}
	if last := want[len(want)-1]; prevG.DoneBytes != last.done || prevG.FilesDone != last.filesDone || prevG.Records != last.records || prevG.Hits != last.hits {
		t.Errorf("last snapshot %+v, want %+v", prevG, last)
	}
}

// TestProgressConcurrent: on several threads, whatever the order, the
// bytes only grow, never pass the total and reach it at the end, and
// every unit is one call.
func TestProgressConcurrent(t *testing.T) {
	for range 20 {
		var mu sync.Mutex
		var got []Progress
		_, err := Run(context.Background(), progressInputs(), Options{Threads: 4,
			OnProgress: func(p Progress) {
				mu.Lock()
				got = append(got, p)
				mu.Unlock()
			}})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 10 {
			t.Fatalf("%d calls, want 10", len(got))
		}
		for i, p := range got {
			if p.DoneBytes > p.TotalBytes || (i > 0 && (p.DoneBytes < got[i-1].DoneBytes || p.FilesDone < got[i-1].FilesDone)) {
				t.Fatalf("call %d: %+v after %+v", i, p, got[max(i-1, 0)])
			}
		}
		if last := got[len(got)-1]; last.DoneBytes != 1067 || last.FilesDone != 5 || last.Records != 9+6+8 {
			t.Fatalf("last %+v", last)
		}
	}
}

// TestProgressStopped: in a run stopped at its first progress call, the
// file being read still adds its whole size once (its units left unread
// are done unread), and the files never opened add nothing.
func TestProgressStopped(t *testing.T) {
	stop := make(chan struct{})
	var once sync.Once
	var last Progress
	res, err := Run(context.Background(), progressInputs(), Options{Threads: 1, Stop: stop,
		OnProgress: func(p Progress) {
			last = p
			once.Do(func() { close(stop) })
		}})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Interrupted || last.DoneBytes > last.TotalBytes {
		t.Errorf("interrupted %v, last %+v", res.Interrupted, last)
	}
	// The file being read is released with all its units done; the files
	// not opened are not "done" and add nothing.
	if last.DoneBytes != 1000 || last.FilesDone != 1 {
		t.Errorf("last %+v, want the first file's 1000 bytes and 1 file", last)
	}
}

func TestUnitShares(t *testing.T) {
	sized := func(sizes ...int64) []parsers.Unit {
		var us []parsers.Unit
		for _, s := range sizes {
			us = append(us, sizedUnit{size: s})
		}
		return us
	}
	for _, tt := range []struct {
		name  string
		size  int64
		units []parsers.Unit
		want  []int64
	}{
		{"by size", 1000, sized(100, 300, 600), []int64{100, 300, 600}},
		{"scaled", 10, sized(1, 1, 2), []int64{2, 3, 5}}, // 2.5 -> 2, 5 -> 5, 10
		{"equal", 10, []parsers.Unit{fakeUnit{}, fakeUnit{}, fakeUnit{}}, []int64{3, 3, 4}},
		{"one unsized", 9, []parsers.Unit{sizedUnit{size: 8}, fakeUnit{}, sizedUnit{size: 1}}, []int64{3, 3, 3}},
		{"zero sizes", 4, sized(0, 0), []int64{2, 2}},
		{"unknown file size", 0, sized(5, 5), []int64{0, 0}},
		{"huge", 1 << 62, sized(1<<61, 1<<61, 1<<61), []int64{1<<62/3 + 0, 1<<62*2/3 - 1<<62/3, 1<<62 - 1<<62*2/3}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := unitShares(tt.size, tt.units)
			if !slices.Equal(got, tt.want) {
				t.Errorf("shares %v, want %v", got, tt.want)
			}
		})
	}
}
