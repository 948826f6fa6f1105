// Package pool runs work on a fixed number of goroutines, built on
// errgroup: one producer hands out the items and closes the channel, N
// workers watch ctx, and the first error cancels the rest.
//
// Use Run when the order in which items finish does not matter and each
// worker keeps state of its own (the hunt engine: per-worker observers,
// per-worker hits merged at the end). Use Ordered when items are numbered
// and their results must be handed on in index order, with a bounded number
// of results held at once (EVTX chunks decoded in parallel and emitted in
// file order).
//
// Both treat threads <= 0 as runtime.GOMAXPROCS(0). Neither recovers a
// panic in the caller's functions.
package pool

import (
	"context"
	"runtime"

	"golang.org/x/sync/errgroup"
)

// Threads returns threads, or runtime.GOMAXPROCS(0) when threads <= 0.
func Threads(threads int) int {
	if threads <= 0 {
		return runtime.GOMAXPROCS(0)
	}
	return threads
}

// Worker is the per-goroutine side of Run.
type Worker[T any] struct {
	// Do handles one item; it is only ever called from the worker's own
	// goroutine, so state captured by its closure needs no lock. ctx is
	// cancelled once any producer or worker has failed or the parent ctx
	// is done; a long Do should watch it. A non-nil error stops the pool.
	Do func(ctx context.Context, item T) error
	// Done, if set, is called once from the worker's goroutine after its
	// last Do: when the items ran out, or when the pool stopped (ctx is
	// then cancelled). Its error counts like one from Do.
	Done func() error
}

// Run calls produce in one goroutine and handles the items it sends on
// threads worker goroutines (<= 0: GOMAXPROCS).
//
// newWorker is called threads times, one call at a time, from the calling
// goroutine, before any item is handled; each Worker it returns belongs to
// one goroutine. produce calls send once per item; send blocks until a
// worker takes the item, and returns ctx's error, without sending, once the
// pool is stopping: produce should then return that error. When produce
// returns, no more items are sent and the workers finish the items they
// hold.
//
// Run returns the first error of produce, a Do or a Done, which cancels
// the ctx passed to the others; or the parent ctx's error if it was
// cancelled before the items ran out. It returns once every goroutine has.
func Run[T any](ctx context.Context, threads int, produce func(ctx context.Context, send func(T) error) error, newWorker func() Worker[T]) error {
	threads = Threads(threads)
	workers := make([]Worker[T], threads)
	for w := range workers {
		workers[w] = newWorker()
	}
	g, gctx := errgroup.WithContext(ctx)
	items := make(chan T)
	g.Go(func() error {
		defer close(items)
		return produce(gctx, func(item T) error {
			select {
			case items <- item:
				return nil
			case <-gctx.Done():
				return gctx.Err()
			}
		})
	})
	for _, w := range workers {
		g.Go(func() (err error) {
			if w.Done != nil {
				defer func() {
					if derr := w.Done(); err == nil {
						err = derr
					}
				}()
			}
			for item := range items {
				if err := gctx.Err(); err != nil {
					return err
				}
				if err := w.Do(gctx, item); err != nil {
					return err
				}
			}
			// A producer that returned without error after the parent ctx
			// was cancelled may have sent only some of its items.
			return gctx.Err()
		})
	}
	return g.Wait()
}

// outcome is one item's result waiting for its turn.
type outcome[R any] struct {
	r   R
	err error
}

// Ordered calls work for the items 0..n-1 on threads goroutines (<= 0:
// GOMAXPROCS) and hands each result to consume, from the calling
// goroutine, in index order.
//
// At most 2×threads items are between the start of their work and the
// return of their consume at any time, so memory stays bounded by that
// many results however far the fast workers run ahead of a slow item.
//
// An error from work(i) is returned when item i's turn comes, after the
// results before it were consumed, and consume is not called for i or any
// later item; so what was consumed before an error does not depend on
// timing. An error from consume stops it in the same way. Either cancels
// the ctx passed to work, and Ordered returns it once every goroutine has
// returned; a result that was produced but not consumed is dropped. If the
// parent ctx is cancelled first, Ordered returns its error. With n <= 0
// it calls nothing and returns ctx.Err().
func Ordered[R any](ctx context.Context, n, threads int, work func(ctx context.Context, i int) (R, error), consume func(i int, r R) error) error {
	if n <= 0 {
		return ctx.Err()
	}
	threads = Threads(threads)
	window := min(2*threads, n)
	// Item i waits in slots[i%window]: it is dispatched only once item
	// i-window was consumed (tokens), so the slot is empty by then and the
	// worker's send never blocks.
	slots := make([]chan outcome[R], window)
	for i := range slots {
		slots[i] = make(chan outcome[R], 1)
	}
	tokens := make(chan struct{}, window)

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var g errgroup.Group
	items := make(chan int)
	g.Go(func() error {
		defer close(items)
		for i := range n {
			select {
			case tokens <- struct{}{}:
			case <-ctx.Done():
				return nil
			}
			select {
			case items <- i:
			case <-ctx.Done():
				return nil
			}
		}
		return nil
	})
	for range min(threads, n) {
		g.Go(func() error {
			for i := range items {
				if ctx.Err() != nil {
					continue // the consumer has stopped; drain
				}
				r, err := work(ctx, i)
				slots[i%window] <- outcome[R]{r, err}
			}
			return nil
		})
	}

	var err error
	for i := 0; i < n && err == nil; i++ {
		if err = ctx.Err(); err != nil {
			break // no result is consumed once ctx is done, even a ready one
		}
		select {
		case o := <-slots[i%window]:
			err = o.err
			if err == nil {
				err = consume(i, o.r)
			}
			if err == nil {
				<-tokens // item i+window may start
			}
		case <-ctx.Done():
			err = ctx.Err()
		}
	}
	cancel()
	g.Wait() // the goroutines only return nil
	return err
}
