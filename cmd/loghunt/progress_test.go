package main

import (
	"bytes"
	"testing"
	"time"

	"github.com/loghunt/loghunt/hunt"
)

func TestDescribeProgress(t *testing.T) {
	for _, tt := range []struct {
		p       hunt.Progress
		elapsed time.Duration
		want    string
	}{
		{hunt.Progress{Records: 0, Hits: 0}, 0, "hunting: 0 records/s, 0 hits"},
		{hunt.Progress{Records: 500, Hits: 7}, 2 * time.Second, "hunting: 250 records/s, 7 hits"},
		{hunt.Progress{Records: 3_000_000, Hits: 12_345}, 2 * time.Second, "hunting: 1.5M records/s, 12.3k hits"},
		{hunt.Progress{Records: 4_500, Hits: 999}, 3 * time.Second, "hunting: 1.5k records/s, 999 hits"},
	} {
		if got := describe(tt.p, tt.elapsed); got != tt.want {
			t.Errorf("describe(%+v, %v) = %q, want %q", tt.p, tt.elapsed, got, tt.want)
		}
	}
}

// Not a terminal: no bar, and a nil bar takes updates.
func TestProgressNotTerminal(t *testing.T) {
	var b bytes.Buffer
	p := newProgress(&b, 100)
	if p != nil {
		t.Fatal("a bar on a buffer")
	}
	p.update(hunt.Progress{DoneBytes: 50, TotalBytes: 100})
	p.finish()
	if b.Len() != 0 {
		t.Errorf("wrote %q", b.String())
	}
}
