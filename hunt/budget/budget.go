// Package budget accounts for the memory a run holds on behalf of its
// stages: the hits waiting to be sorted (hunt/spill), the KQL tables and
// query state, the correlation state. One Budget, made from --max-memory,
// is shared by every stage; each stage takes its own Account from it, so
// the summary can say who held what at the peak.
//
// A Budget does not measure memory: a stage says how many bytes it is
// about to hold (Reserve or Grow) and when it lets them go (Release). A
// stage that can make room (a sorter spills to disk, a query stops with an
// error) asks with Reserve, which refuses past the limit; one that cannot
// wait uses Grow, which always succeeds and may go past it.
//
// The nil *Budget and the nil *Account are valid: no limit, nothing
// counted. Every method is safe for concurrent use.
package budget

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
)

// Default is the budget of a run when --max-memory is not given.
const Default = 512 << 20

// Budget is a limit on the bytes that the Accounts taken from it hold
// together.
type Budget struct {
	limit int64
	used  atomic.Int64
	peak  atomic.Int64

	mu       sync.Mutex
	accounts []*Account
}

// New returns a Budget of limit bytes; limit <= 0 means no limit (Reserve
// never refuses, the peak is still recorded).
func New(limit int64) *Budget {
	return &Budget{limit: max(limit, 0)}
}

// Limit is the budget's limit in bytes, 0 for none.
func (b *Budget) Limit() int64 {
	if b == nil {
		return 0
	}
	return b.limit
}

// Used is what the accounts hold now.
func (b *Budget) Used() int64 {
	if b == nil {
		return 0
	}
	return b.used.Load()
}

// Peak is the most the accounts held together at any one time.
func (b *Budget) Peak() int64 {
	if b == nil {
		return 0
	}
	return b.peak.Load()
}

// Account returns a new account named name ("hits", "kql",
// "correlation"), for one stage. A nil Budget returns a nil Account, which
// accepts everything.
func (b *Budget) Account(name string) *Account {
	if b == nil {
		return nil
	}
	a := &Account{b: b, name: name}
	b.mu.Lock()
	b.accounts = append(b.accounts, a)
	b.mu.Unlock()
	return a
}

// Use is what one account held: now, and at its own peak.
type Use struct {
	Name string `json:"name"`
	Used int64  `json:"used_bytes"`
	Peak int64  `json:"peak_bytes"`
}

// Accounts reports every account, in the order they were taken.
func (b *Budget) Accounts() []Use {
	if b == nil {
		return nil
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	out := make([]Use, len(b.accounts))
	for i, a := range b.accounts {
		out[i] = Use{Name: a.name, Used: a.Used(), Peak: a.Peak()}
	}
	return out
}

func (b *Budget) take(n int64, force bool) bool {
	for {
		old := b.used.Load()
		if !force && b.limit > 0 && old+n > b.limit {
			return false
		}
		if b.used.CompareAndSwap(old, old+n) {
			raise(&b.peak, old+n)
			return true
		}
	}
}

func raise(peak *atomic.Int64, v int64) {
	for {
		p := peak.Load()
		if v <= p || peak.CompareAndSwap(p, v) {
			return
		}
	}
}

// Account is one stage's share of a Budget.
type Account struct {
	b    *Budget
	name string
	used atomic.Int64
	peak atomic.Int64
}

// Name is the name the account was taken with.
func (a *Account) Name() string {
	if a == nil {
		return ""
	}
	return a.name
}

// Budget is the budget the account draws on (nil for a nil Account).
func (a *Account) Budget() *Budget {
	if a == nil {
		return nil
	}
	return a.b
}

// Reserve takes n bytes if the budget has room for them, and reports
// whether it did; on false nothing is taken and the caller makes room
// (spills, evicts, or fails with an *ExceededError). n <= 0 always
// succeeds.
func (a *Account) Reserve(n int64) bool {
	if a == nil || n <= 0 {
		return true
	}
	if !a.b.take(n, false) {
		return false
	}
	raise(&a.peak, a.used.Add(n))
	return true
}

// Grow takes n bytes whatever the limit: for memory that is already held,
// or the least a stage needs to make progress.
func (a *Account) Grow(n int64) {
	if a == nil || n <= 0 {
		return
	}
	a.b.take(n, true)
	raise(&a.peak, a.used.Add(n))
}

// Release gives back n bytes taken by Reserve or Grow.
func (a *Account) Release(n int64) {
	if a == nil || n <= 0 {
		return
	}
	a.used.Add(-n)
	a.b.used.Add(-n)
}

// Used is what the account holds now.
func (a *Account) Used() int64 {
	if a == nil {
		return 0
	}
	return a.used.Load()
}

// Peak is the most the account held at any one time.
func (a *Account) Peak() int64 {
	if a == nil {
		return 0
	}
	return a.peak.Load()
}

// ErrExceeded is wrapped by every *ExceededError.
var ErrExceeded = errors.New("memory budget exceeded")

// ExceededError says which operation would have gone past the budget, for
// a stage that fails rather than spill: "join at 3:5 exceeded 512 MiB;
// narrow the join keys or raise --max-memory".
type ExceededError struct {
	What  string // the operation, with its position: "join at 3:5"
	Limit int64  // the budget's limit in bytes
	Hint  string // what to do about it; "" for none
}

func (e *ExceededError) Error() string {
	s := fmt.Sprintf("%s exceeded %s", e.What, FormatSize(e.Limit))
	if e.Hint != "" {
		s += "; " + e.Hint
	}
	return s
}

// Unwrap returns ErrExceeded.
func (e *ExceededError) Unwrap() error { return ErrExceeded }

// FormatSize writes n bytes in the largest binary unit that keeps it at
// one or more: "512 MiB", "1.5 GiB", "700 B".
func FormatSize(n int64) string {
	units := []string{"B", "KiB", "MiB", "GiB", "TiB"}
	v, u := float64(n), 0
	for u < len(units)-1 && (v >= 1024 || v <= -1024) {
		v /= 1024
		u++
	}
	if u == 0 || v == float64(int64(v)) {
		return fmt.Sprintf("%d %s", int64(v), units[u])
	}
	return strconv.FormatFloat(v, 'f', 1, 64) + " " + units[u]
}

// ParseSize reads a size: a number of bytes, optionally with a unit, binary
// (KiB, MiB, GiB, TiB) or decimal (KB, MB, GB, TB), K, M, G and T meaning
// the binary ones; case and a space before the unit are ignored: "512MiB",
// "2G", "65536", "1.5 GiB". It fails on a negative, fractional-byte or
// overflowing size.
func ParseSize(s string) (int64, error) {
	t := strings.TrimSpace(s)
	i := 0
	for i < len(t) && (t[i] >= '0' && t[i] <= '9' || t[i] == '.') {
		i++
	}
	num, unit := t[:i], strings.ToLower(strings.TrimSpace(t[i:]))
	if num == "" {
		return 0, fmt.Errorf("size %q: want a number of bytes, e.g. 512MiB", s)
	}
	mult := map[string]float64{
		"": 1, "b": 1,
		"k": 1 << 10, "kib": 1 << 10, "kb": 1e3,
		"m": 1 << 20, "mib": 1 << 20, "mb": 1e6,
		"g": 1 << 30, "gib": 1 << 30, "gb": 1e9,
		"t": 1 << 40, "tib": 1 << 40, "tb": 1e12,
	}[unit]
	if mult == 0 {
		return 0, fmt.Errorf("size %q: unknown unit %q (use KiB, MiB, GiB, or KB, MB, GB)", s, t[i:])
	}
	v, err := strconv.ParseFloat(num, 64)
	if err != nil {
		return 0, fmt.Errorf("size %q: %w", s, err)
	}
	v *= mult
	if v >= 1<<62 {
		return 0, fmt.Errorf("size %q is too large", s)
	}
	if v != float64(int64(v)) {
		return 0, fmt.Errorf("size %q is not a whole number of bytes", s)
	}
	return int64(v), nil
}
