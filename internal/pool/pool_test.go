package pool

import (
	"context"
	"errors"
	"math/rand"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

var errBoom = errors.New("boom")

// jitter sleeps a little, differently per item, so workers finish out of
// order.
func jitter(i int) {
	if i%3 == 0 {
		time.Sleep(time.Duration(rand.Intn(200)) * time.Microsecond)
	}
	runtime.Gosched()
}

func TestOrderedOrder(t *testing.T) {
	for _, tt := range []struct {
		name       string
		n, threads int
	}{
		{"zero items", 0, 4},
		{"one item", 1, 4},
		{"fewer items than threads", 3, 8},
		{"one thread", 50, 1},
		{"many", 500, 4},
		{"default threads", 100, 0},
		{"negative threads", 100, -3},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var got []int
			err := Ordered(context.Background(), tt.n, tt.threads, func(_ context.Context, i int) (int, error) {
				jitter(i)
				return i * i, nil
			}, func(i, r int) error {
				if r != i*i {
					t.Errorf("consume(%d, %d): result of another item", i, r)
				}
				got = append(got, i)
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != tt.n {
				t.Fatalf("consumed %d items, want %d", len(got), tt.n)
			}
			for i, g := range got {
				if g != i {
					t.Fatalf("consumed %v: not in index order", got)
				}
			}
		})
	}
}

// TestOrderedWindow counts the results held at once (work started, consume
// not returned) while the consumer is slower than the workers and item 0
// is the slowest of all, and checks the bound of 2×threads.
func TestOrderedWindow(t *testing.T) {
	for _, threads := range []int{1, 2, 3, 8} {
		var held, peak atomic.Int64
		err := Ordered(context.Background(), 200, threads, func(_ context.Context, i int) (int, error) {
			h := held.Add(1)
			for {
				p := peak.Load()
				if h <= p || peak.CompareAndSwap(p, h) {
					break
				}
			}
			if i == 0 {
				time.Sleep(5 * time.Millisecond)
			}
			return i, nil
		}, func(i, _ int) error {
			if i%10 == 0 {
				time.Sleep(100 * time.Microsecond)
			}
			held.Add(-1)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if p := peak.Load(); p > int64(2*threads) {
			t.Errorf("threads %d: %d results held at once, want at most %d", threads, p, 2*threads)
		} else if p < int64(threads) && threads > 1 {
			// Not a contract, but the test would prove nothing.
			t.Logf("threads %d: peak %d: the workers never ran ahead", threads, p)
		}
	}
}

func TestOrderedWorkError(t *testing.T) {
	var consumed []int
	var after atomic.Int64
	err := Ordered(context.Background(), 1000, 4, func(ctx context.Context, i int) (int, error) {
		if i == 7 {
			time.Sleep(time.Millisecond) // later items finish first
			return 0, errBoom
		}
		if i > 7+8 && ctx.Err() == nil {
			after.Add(1) // work started long after the failure
		}
		return i, nil
	}, func(i, _ int) error {
		consumed = append(consumed, i)
		return nil
	})
	if !errors.Is(err, errBoom) {
		t.Fatalf("err = %v, want %v", err, errBoom)
	}
	// Everything before the failing item, nothing from it on.
	if want := []int{0, 1, 2, 3, 4, 5, 6}; !slices.Equal(consumed, want) {
		t.Errorf("consumed %v, want %v", consumed, want)
	}
	if n := after.Load(); n > 0 {
		t.Errorf("%d items beyond the window were worked on", n)
	}
}

func TestOrderedConsumeError(t *testing.T) {
	var worked atomic.Int64
	err := Ordered(context.Background(), 1000, 2, func(_ context.Context, i int) (int, error) {
		worked.Add(1)
		return i, nil
	}, func(i, _ int) error {
		if i == 3 {
			return errBoom
		}
		return nil
	})
	if !errors.Is(err, errBoom) {
		t.Fatalf("err = %v, want %v", err, errBoom)
	}
	// Items 0..3 plus at most a window (4) beyond the last consumed.
	if n := worked.Load(); n > 4+4 {
		t.Errorf("worked on %d items after consume failed at 3", n)
	}
}

func TestOrderedCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	started := make(chan struct{})
	var once sync.Once
	go func() {
		<-started
		cancel()
	}()
	err := Ordered(ctx, 1000, 3, func(ctx context.Context, i int) (int, error) {
		if i == 0 {
			once.Do(func() { close(started) })
			<-ctx.Done() // item 0 never finishes on its own
			return 0, ctx.Err()
		}
		return i, nil
	}, func(i, _ int) error {
		t.Errorf("consume(%d) called", i)
		return nil
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}

func TestOrderedCancelFromOutside(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	var consumed int
	err := Ordered(ctx, 1000, 3, func(ctx context.Context, i int) (int, error) {
		return i, nil
	}, func(i, _ int) error {
		consumed++
		if i == 10 {
			cancel()
		}
		return nil
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if consumed != 11 {
		t.Errorf("consumed %d items, want 11", consumed)
	}

	// Cancelled before the start: nothing runs.
	err = Ordered(ctx, 10, 3, func(ctx context.Context, i int) (int, error) {
		return i, nil
	}, func(i, _ int) error {
		t.Errorf("consume(%d) after cancel", i)
		return nil
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if err := Ordered(ctx, 0, 3, nil, func(int, int) error { return nil }); !errors.Is(err, context.Canceled) {
		t.Fatalf("zero items on a cancelled ctx: err = %v", err)
	}
}

// job is the shape of the hunt engine's jobs: a file index and a unit.
type job struct {
	file int
	unit int
}

func TestRun(t *testing.T) {
	for _, tt := range []struct {
		name       string
		files      int
		threads    int
		wantWorker int
	}{
		{"zero items", 0, 3, 3},
		{"many", 40, 4, 4},
		{"default threads", 40, 0, runtime.GOMAXPROCS(0)},
		{"negative threads", 40, -1, runtime.GOMAXPROCS(0)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var mu sync.Mutex
			var all []job
			workers, done := 0, 0
			err := Run(context.Background(), tt.threads, func(ctx context.Context, send func(job) error) error {
				for f := range tt.files {
					for u := range f % 5 {
						if err := send(job{f, u}); err != nil {
							return err
						}
					}
				}
				return nil
			}, func() Worker[job] {
				workers++ // called from the calling goroutine only
				var local []job
				return Worker[job]{
					Do: func(_ context.Context, j job) error {
						jitter(j.unit)
						local = append(local, j) // no lock: one goroutine
						return nil
					},
					Done: func() error {
						mu.Lock()
						all = append(all, local...)
						done++
						mu.Unlock()
						return nil
					},
				}
			})
			if err != nil {
				t.Fatal(err)
			}
			if workers != tt.wantWorker || done != tt.wantWorker {
				t.Errorf("%d workers made, %d done, want %d", workers, done, tt.wantWorker)
			}
			want := 0
			for f := range tt.files {
				want += f % 5
			}
			if len(all) != want {
				t.Errorf("handled %d items, want %d", len(all), want)
			}
			seen := map[job]bool{}
			for _, j := range all {
				if seen[j] {
					t.Errorf("%v handled twice", j)
				}
				seen[j] = true
			}
		})
	}
}

func TestRunWorkerError(t *testing.T) {
	var handled atomic.Int64
	sentAfter := 0
	err := Run(context.Background(), 3, func(ctx context.Context, send func(int) error) error {
		for i := range 100000 {
			if err := send(i); err != nil {
				if !errors.Is(err, context.Canceled) {
					t.Errorf("send: %v", err)
				}
				return err
			}
			if i > 100 {
				sentAfter++
			}
		}
		return nil
	}, func() Worker[int] {
		return Worker[int]{Do: func(ctx context.Context, i int) error {
			handled.Add(1)
			if i == 100 {
				return errBoom
			}
			return nil
		}}
	})
	if !errors.Is(err, errBoom) {
		t.Fatalf("err = %v, want %v", err, errBoom)
	}
	// How many items the other workers take before the cancellation
	// reaches them depends on scheduling; the producer must stop.
	if sentAfter > 50000 {
		t.Errorf("%d items sent after the error", sentAfter)
	}
}

func TestRunProducerError(t *testing.T) {
	var doneCalls atomic.Int64
	err := Run(context.Background(), 2, func(ctx context.Context, send func(int) error) error {
		send(1)
		return errBoom
	}, func() Worker[int] {
		return Worker[int]{
			Do: func(ctx context.Context, i int) error { return nil },
			Done: func() error {
				doneCalls.Add(1)
				return nil
			},
		}
	})
	if !errors.Is(err, errBoom) {
		t.Fatalf("err = %v, want %v", err, errBoom)
	}
	if n := doneCalls.Load(); n != 2 {
		t.Errorf("Done called %d times, want 2", n)
	}
}

func TestRunDoneError(t *testing.T) {
	err := Run(context.Background(), 2, func(ctx context.Context, send func(int) error) error {
		return send(1)
	}, func() Worker[int] {
		return Worker[int]{
			Do:   func(ctx context.Context, i int) error { return nil },
			Done: func() error { return errBoom },
		}
	})
	if !errors.Is(err, errBoom) {
		t.Fatalf("err = %v, want %v", err, errBoom)
	}
}

func TestRunCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var handled atomic.Int64
	err := Run(ctx, 2, func(ctx context.Context, send func(int) error) error {
		for i := 0; ; i++ {
			if i == 50 {
				cancel()
			}
			if err := send(i); err != nil {
				return err
			}
		}
	}, func() Worker[int] {
		return Worker[int]{Do: func(ctx context.Context, i int) error {
			handled.Add(1)
			return nil
		}}
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if n := handled.Load(); n > 52 {
		t.Errorf("handled %d items after cancel at 50", n)
	}

	// A producer that ignores the cancellation still gets ctx's error.
	ctx2, cancel2 := context.WithCancel(context.Background())
	cancel2()
	err = Run(ctx2, 2, func(ctx context.Context, send func(int) error) error {
		send(1)
		return nil
	}, func() Worker[int] {
		return Worker[int]{Do: func(ctx context.Context, i int) error { return nil }}
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled before start: err = %v, want context.Canceled", err)
	}
}

// BenchmarkOrdered measures the pool's own cost per item: the work and the
// consumer do almost nothing.
func BenchmarkOrdered(b *testing.B) {
	b.ReportAllocs()
	const n = 1024
	for b.Loop() {
		sum := 0
		err := Ordered(context.Background(), n, 2, func(_ context.Context, i int) (int, error) {
			return i, nil
		}, func(_ int, r int) error {
			sum += r
			return nil
		})
		if err != nil || sum != n*(n-1)/2 {
			b.Fatal(err, sum)
		}
	}
}

func BenchmarkRun(b *testing.B) {
	b.ReportAllocs()
	const n = 1024
	for b.Loop() {
		err := Run(context.Background(), 2, func(ctx context.Context, send func(int) error) error {
			for i := range n {
				if err := send(i); err != nil {
					return err
				}
			}
			return nil
		}, func() Worker[int] {
			return Worker[int]{Do: func(context.Context, int) error { return nil }}
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}
