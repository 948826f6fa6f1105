package pool_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/loghunt/loghunt/internal/pool"
)

// The shape of the hunt engine's loop: the producer opens the files one at
// a time and sends their units; each worker sets up its own state once (an
// Observer.Worker() function, a slice of local hits), handles units without
// locks, and merges what it found when the units run out.
func ExampleRun() {
	type job struct {
		file int
		unit string
	}
	files := [][]string{{"chunk 0", "chunk 1"}, {"lines"}, {}, {"chunk 0"}}

	var mu sync.Mutex
	var hits []string
	err := pool.Run(context.Background(), 2, func(ctx context.Context, send func(job) error) error {
		for i, units := range files { // open file i here, release it after its last unit
			for _, u := range units {
				if err := send(job{i, u}); err != nil {
					return err // the pool is stopping
				}
			}
		}
		return nil
	}, func() pool.Worker[job] {
		var local []string // per worker: no lock
		return pool.Worker[job]{
			Do: func(ctx context.Context, j job) error {
				local = append(local, fmt.Sprintf("file %d %s", j.file, j.unit))
				return ctx.Err()
			},
			Done: func() error {
				mu.Lock()
				hits = append(hits, local...)
				mu.Unlock()
				return nil
			},
		}
	})
	slices.Sort(hits) // the engine sorts its hits too
	fmt.Println(strings.Join(hits, "\n"), err)
	// Output:
	// file 0 chunk 0
	// file 0 chunk 1
	// file 1 lines
	// file 3 chunk 0 <nil>
}

// Chunks decoded in parallel and written in file order, as evtx.File.Dump
// does.
func ExampleOrdered() {
	var out strings.Builder
	err := pool.Ordered(context.Background(), 5, 2, func(ctx context.Context, i int) (string, error) {
		return fmt.Sprintf("<chunk %d>", i), nil
	}, func(i int, s string) error {
		out.WriteString(s)
		return nil
	})
	fmt.Println(out.String(), err)
	// Output: <chunk 0><chunk 1><chunk 2><chunk 3><chunk 4> <nil>
}
