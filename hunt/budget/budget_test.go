package budget

import (
	"errors"
	"sync"
	"testing"
)

func TestReserveRefusesPastTheLimit(t *testing.T) {
	b := New(100)
	hits, kql := b.Account("hits"), b.Account("kql")
	if !hits.Reserve(60) {
		t.Fatal("60 of 100 refused")
	}
	if kql.Reserve(41) {
		t.Fatal("60+41 > 100 accepted")
	}
	if !kql.Reserve(40) {
		t.Fatal("60+40 = 100 refused")
	}
	if b.Used() != 100 || hits.Used() != 60 || kql.Used() != 40 {
		t.Fatalf("used %d (hits %d, kql %d), want 100 (60, 40)", b.Used(), hits.Used(), kql.Used())
	}
	hits.Release(60)
	kql.Grow(30) // past nothing: 70
	kql.Grow(50) // past the limit: 120
	if b.Used() != 120 || b.Peak() != 120 {
		t.Fatalf("used %d peak %d, want 120 and 120", b.Used(), b.Peak())
	}
	if hits.Reserve(1) {
		t.Fatal("reserve over a grown-past budget accepted")
	}
	kql.Release(120)
	if b.Used() != 0 || b.Peak() != 120 || hits.Peak() != 60 || kql.Peak() != 120 {
		t.Fatalf("used %d peak %d hits peak %d kql peak %d, want 0 120 60 120", b.Used(), b.Peak(), hits.Peak(), kql.Peak())
	}
	want := []Use{{Name: "hits", Used: 0, Peak: 60}, {Name: "kql", Used: 0, Peak: 120}}
	got := b.Accounts()
	if len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
		t.Fatalf("accounts %+v, want %+v", got, want)
	}
}

func TestNoLimitAndNil(t *testing.T) {
	b := New(0)
	a := b.Account("x")
	if !a.Reserve(1 << 60) {
		t.Fatal("no limit refused")
	}
	if b.Peak() != 1<<60 {
		t.Fatalf("peak %d", b.Peak())
	}
	var nb *Budget
	na := nb.Account("hits")
	if na != nil || !na.Reserve(5) || na.Used() != 0 || nb.Limit() != 0 || nb.Accounts() != nil {
		t.Fatal("nil budget is not a no-op")
	}
	na.Grow(3)
	na.Release(3)
}

func TestConcurrentPeakNeverPassesLimit(t *testing.T) {
	b := New(1000)
	var wg sync.WaitGroup
	for range 8 {
		a := b.Account("w")
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 1000 {
				if a.Reserve(7) {
					a.Release(7)
				}
			}
		}()
	}
	wg.Wait()
	if b.Used() != 0 || b.Peak() > 1000 || b.Peak() < 7 {
		t.Fatalf("used %d peak %d", b.Used(), b.Peak())
	}
}

func TestExceededError(t *testing.T) {
	err := error(&ExceededError{What: "join at 3:5", Limit: 512 << 20, Hint: "narrow the join keys or raise --max-memory"})
	if got, want := err.Error(), "join at 3:5 exceeded 512 MiB; narrow the join keys or raise --max-memory"; got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
	if !errors.Is(err, ErrExceeded) {
		t.Fatal("not ErrExceeded")
	}
}

func TestParseSize(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want int64
		bad  bool
	}{
		{in: "512MiB", want: 512 << 20},
		{in: "512 mib", want: 512 << 20},
		{in: "2G", want: 2 << 30},
		{in: "1.5GiB", want: 3 << 29},
		{in: "64k", want: 65536},
		{in: "1KB", want: 1000},
		{in: "65536", want: 65536},
		{in: "10B", want: 10},
		{in: "", bad: true},
		{in: "MiB", bad: true},
		{in: "-1", bad: true},
		{in: "12 parsecs", bad: true},
		{in: "0.5", bad: true},
		{in: "99999999999T", bad: true},
	} {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseSize(tt.in)
			if tt.bad {
				if err == nil {
					t.Fatalf("got %d, want an error", got)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("got %d, %v; want %d", got, err, tt.want)
			}
		})
	}
}

func TestFormatSize(t *testing.T) {
	for n, want := range map[int64]string{700: "700 B", 1024: "1 KiB", 512 << 20: "512 MiB", 3 << 29: "1.5 GiB", 1536 * 1024: "1.5 MiB"} {
		if got := FormatSize(n); got != want {
			t.Errorf("FormatSize(%d) = %q, want %q", n, got, want)
		}
	}
}
