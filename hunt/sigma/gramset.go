package sigma

import "math/bits"

// gramLen is the length of the grams a gramSet indexes.
const gramLen = 8

// gramSet finds long needles by their last gramLen bytes: any needle at
// least that long is found wherever its last gramLen bytes occur (which
// is all the prefilter needs: a necessary condition). Unlike an automaton
// it keeps no state from one position to the next: each position costs
// one 8-byte load, a multiply and a test in a bitmap small enough to stay
// in cache; only the rare positions whose bit is set look the gram up in
// a map. Its speed does not depend on how many needles it holds.
type gramSet struct {
	bits  []uint64
	shift uint8
	keys  map[uint64][]int32 // gram -> needle indexes
}

func newGramSet(grams []uint64) *gramSet {
	n := max(512, 64*len(grams))
	logBits := bits.Len(uint(n - 1))
	g := &gramSet{
		bits:  make([]uint64, (1<<logBits)/64),
		shift: uint8(64 - logBits),
		keys:  make(map[uint64][]int32, len(grams)),
	}
	for i, x := range grams {
		h := g.hash(x)
		g.bits[h>>6] |= 1 << (h & 63)
		g.keys[x] = append(g.keys[x], int32(i))
	}
	return g
}

func (g *gramSet) hash(x uint64) uint64 { return (x * 0x9E3779B97F4A7C15) >> g.shift }

// gramOf returns the gram of the last gramLen bytes of s (len(s) >= gramLen).
func gramOf(s string) uint64 { return load64(s, len(s)-gramLen) }

func load64(s string, i int) uint64 {
	b := s[i : i+8]
	return uint64(b[0]) | uint64(b[1])<<8 | uint64(b[2])<<16 | uint64(b[3])<<24 |
		uint64(b[4])<<32 | uint64(b[5])<<40 | uint64(b[6])<<48 | uint64(b[7])<<56
}

// foldASCII lower-cases the ASCII letters of 8 bytes, all below 0x80.
func foldASCII(x uint64) uint64 {
	const (
		hi    = 0x8080808080808080
		fromA = 0x3F3F3F3F3F3F3F3F // b + this >= 0x80 iff b >= 'A'
		pastZ = 0x2525252525252525 // b + this >= 0x80 iff b > 'Z'
	)
	upper := (x + fromA) &^ (x + pastZ) & hi
	return x | upper>>2
}

// scan reports the needles whose gram occurs in s, like
// acAutomaton.scan. s is raw ASCII when fold is set, else lower-case.
func (g *gramSet) scan(s string, fold bool, gid []int32, hits []uint32, stamp uint32, dst []int32) []int32 {
	for i := 0; i+gramLen <= len(s); i++ {
		x := load64(s, i)
		if fold {
			x = foldASCII(x)
		}
		if h := g.hash(x); g.bits[h>>6]&(1<<(h&63)) == 0 {
			continue
		}
		for _, id := range g.keys[x] {
			if n := gid[id]; hits[n] != stamp {
				hits[n] = stamp
				dst = append(dst, n)
			}
		}
	}
	return dst
}
