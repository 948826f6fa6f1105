package sigma

// acAutomaton is an Aho-Corasick automaton over lower-case needles. The
// states have dense transition rows over byte classes, so a byte costs one
// table lookup, whose flag bit also says whether the target state ends a
// needle. Only in the largest automata are the deepest states (beyond
// maxDenseCells) kept as trie children with failure links.
//
// Bytes that occur in no needle share class 0; every other byte has its
// own class. Should the needles use more than 255 distinct bytes, all
// bytes >= 0x80 share one class, which can only add hits (the prefilter
// stays a necessary condition), never lose one.
type acAutomaton struct {
	class    [256]uint8
	nClasses int32
	dense    int32 // states [0, dense) have rows in d16 or d32
	// Transition rows of the dense states: state*nClasses + class ->
	// target state, with flag16 (flag32) set when the target has output.
	// d16 when every state number fits in 15 bits, else d32.
	d16   []uint16
	d32   []uint32
	delta []int32 // unflagged rows while building; nil after
	// Trie children of every state, as a sibling list.
	firstChild, nextSibling []int32
	label                   []uint8
	fail                    []int32
	// out[s] is the first needle ending at state s (or -1); outNext
	// chains further needles of the same state; dict[s] is the nearest
	// state on s's failure chain that has output (or -1); term[s] says
	// whether s or its chain has any output.
	out      []int32
	outNext  []int32
	dict     []int32
	term     []bool
	nNeedles int
}

// maxDenseCells bounds the dense part of one automaton (4 Mi cells: 8
// MiB with 16-bit cells). Small automata are dense throughout; the
// largest (the process_creation CommandLine needles of SigmaHQ) keep only
// their deepest, rarely visited states sparse.
const maxDenseCells = 1 << 22

const (
	flag16 = 1 << 15
	flag32 = 1 << 31
)

func newAC(needles []string) *acAutomaton {
	a := &acAutomaton{nNeedles: len(needles), outNext: make([]int32, len(needles))}
	var used [256]bool
	for _, n := range needles {
		for i := 0; i < len(n); i++ {
			used[n[i]] = true
		}
	}
	nUsed := 0
	for _, u := range used {
		if u {
			nUsed++
		}
	}
	// Every byte a needle uses gets its own class when they fit in a
	// uint8; otherwise all bytes >= 0x80 share one.
	collapseHigh := nUsed > 255
	nc := int32(1)
	high := uint8(0)
	for b := 0; b < 256; b++ {
		if !used[b] {
			continue
		}
		if b >= 0x80 && collapseHigh {
			if high == 0 {
				high = uint8(nc)
				nc++
			}
			a.class[b] = high
			continue
		}
		a.class[b] = uint8(nc)
		nc++
	}
	if collapseHigh {
		for b := 0x80; b < 256; b++ {
			a.class[b] = high // unused high bytes too: they may be part of a needle's character
		}
	}
	// ASCII upper-case letters share their lower-case letter's class, so
	// an ASCII value scans the same raw as lower-cased.
	for b := 'A'; b <= 'Z'; b++ {
		a.class[b] = a.class[b+'a'-'A']
	}
	a.nClasses = nc

	// Trie in insertion order.
	first := []int32{-1}
	sib := []int32{-1}
	lab := []uint8{0}
	out := []int32{-1}
	child := func(s int32, c uint8) int32 {
		for t := first[s]; t >= 0; t = sib[t] {
			if lab[t] == c {
				return t
			}
		}
		return -1
	}
	for id, n := range needles {
		s := int32(0)
		for i := 0; i < len(n); i++ {
			c := a.class[n[i]]
			t := child(s, c)
			if t < 0 {
				t = int32(len(first))
				first = append(first, -1)
				sib = append(sib, first[s])
				lab = append(lab, c)
				out = append(out, -1)
				first[s] = t
			}
			s = t
		}
		a.outNext[id] = out[s]
		out[s] = int32(id)
	}

	// Breadth-first order, so shallow states get small numbers.
	n := len(first)
	order := make([]int32, 0, n)
	order = append(order, 0)
	for qi := 0; qi < len(order); qi++ {
		for t := first[order[qi]]; t >= 0; t = sib[t] {
			order = append(order, t)
		}
	}
	renum := make([]int32, n)
	for i, s := range order {
		renum[s] = int32(i)
	}
	a.firstChild = make([]int32, n)
	a.nextSibling = make([]int32, n)
	a.label = make([]uint8, n)
	a.out = make([]int32, n)
	for old := 0; old < n; old++ {
		s := renum[old]
		a.label[s] = lab[old]
		a.out[s] = out[old]
		a.firstChild[s], a.nextSibling[s] = -1, -1
		if first[old] >= 0 {
			a.firstChild[s] = renum[first[old]]
		}
		if sib[old] >= 0 {
			a.nextSibling[s] = renum[sib[old]]
		}
	}

	// Failure links in BFS order (state numbers are BFS order now).
	a.fail = make([]int32, n)
	a.dict = make([]int32, n)
	a.term = make([]bool, n)
	a.dense = int32(max(1, min(n, maxDenseCells/int(nc))))
	a.delta = make([]int32, int(a.dense)*int(nc))
	a.dict[0] = -1
	for s := int32(0); s < int32(n); s++ {
		if s > 0 {
			f := a.fail[s]
			if a.out[f] >= 0 {
				a.dict[s] = f
			} else {
				a.dict[s] = a.dict[f]
			}
		}
		a.term[s] = a.out[s] >= 0 || a.dict[s] >= 0
		for t := a.firstChild[s]; t >= 0; t = a.nextSibling[t] {
			if s == 0 {
				a.fail[t] = 0
			} else {
				a.fail[t] = a.next(a.fail[s], a.label[t])
			}
		}
		if s < a.dense {
			row := int(s) * int(nc)
			for c := int32(0); c < nc; c++ {
				if t := a.childOf(s, uint8(c)); t >= 0 {
					a.delta[row+int(c)] = t
				} else if s > 0 {
					a.delta[row+int(c)] = a.delta[int(a.fail[s])*int(nc)+int(c)]
				}
			}
		}
	}
	a.pack()
	return a
}

// pack turns the building rows into flagged 16- or 32-bit rows.
func (a *acAutomaton) pack() {
	if len(a.fail) < flag16 {
		a.d16 = make([]uint16, len(a.delta))
		for i, t := range a.delta {
			a.d16[i] = uint16(t)
			if a.term[t] {
				a.d16[i] |= flag16
			}
		}
	} else {
		a.d32 = make([]uint32, len(a.delta))
		for i, t := range a.delta {
			a.d32[i] = uint32(t)
			if a.term[t] {
				a.d32[i] |= flag32
			}
		}
	}
	a.delta = nil
}

// row returns the dense transition of s (s < a.dense) on class c.
func (a *acAutomaton) row(s int32, c uint8) int32 {
	i := s*a.nClasses + int32(c)
	switch {
	case a.delta != nil:
		return a.delta[i]
	case a.d16 != nil:
		return int32(a.d16[i] &^ flag16)
	}
	return int32(a.d32[i] &^ flag32)
}

func (a *acAutomaton) childOf(s int32, c uint8) int32 {
	for t := a.firstChild[s]; t >= 0; t = a.nextSibling[t] {
		if a.label[t] == c {
			return t
		}
	}
	return -1
}

// next is the DFA transition from s on class c. Failure links always lead
// to shallower states, so the loop ends at a dense state at the latest.
func (a *acAutomaton) next(s int32, c uint8) int32 {
	for {
		if s < a.dense {
			return a.row(s, c)
		}
		if t := a.childOf(s, c); t >= 0 {
			return t
		}
		s = a.fail[s]
	}
}

// scan reports the needles occurring in s, which must be lower-case
// unless it is ASCII: for each needle id whose plan-wide id g = gid[id]
// is not yet marked (hits[g] != stamp), it marks it and appends g to dst.
func (a *acAutomaton) scan(s string, gid []int32, hits []uint32, stamp uint32, dst []int32) []int32 {
	if a.d16 != nil {
		return a.scan16(s, gid, hits, stamp, dst)
	}
	st := int32(0)
	for i := 0; i < len(s); i++ {
		c := a.class[s[i]]
		if st < a.dense {
			x := a.d32[st*a.nClasses+int32(c)]
			st = int32(x &^ flag32)
			if x&flag32 == 0 {
				continue
			}
		} else if st = a.next(st, c); !a.term[st] {
			continue
		}
		dst = a.emit(st, gid, hits, stamp, dst)
	}
	return dst
}

func (a *acAutomaton) scan16(s string, gid []int32, hits []uint32, stamp uint32, dst []int32) []int32 {
	st := int32(0)
	d, nc, dense := a.d16, a.nClasses, a.dense
	for i := 0; i < len(s); i++ {
		c := a.class[s[i]]
		if st < dense {
			x := d[st*nc+int32(c)]
			st = int32(x &^ flag16)
			if x&flag16 == 0 {
				continue
			}
		} else if st = a.next(st, c); !a.term[st] {
			continue
		}
		dst = a.emit(st, gid, hits, stamp, dst)
	}
	return dst
}

// emit reports the needles ending at state st.
func (a *acAutomaton) emit(st int32, gid []int32, hits []uint32, stamp uint32, dst []int32) []int32 {
	for o := st; o >= 0; o = a.dict[o] {
		for id := a.out[o]; id >= 0; id = a.outNext[id] {
			if g := gid[id]; hits[g] != stamp {
				hits[g] = stamp
				dst = append(dst, g)
			}
		}
	}
	return dst
}
