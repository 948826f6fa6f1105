package sigma

// A byte mask is a 64-bit summary of which bytes a string contains: one
// bit per ASCII letter (both cases), one per digit, one per common
// punctuation byte, one shared by the other ASCII bytes and one shared by
// all bytes >= 0x80. A string can contain a needle only if its mask
// includes the needle's, which lets the prefilter skip most values of a
// unit with few needles (the keyword needles every event is scanned for)
// at the cost of one table lookup per byte instead of an automaton step.
var maskBit = func() (t [256]uint64) {
	const punct = " \\/:.-_%$\"'(),=&|><{}[]@+;"
	for b := 0; b < 256; b++ {
		switch {
		case b >= 'a' && b <= 'z':
			t[b] = 1 << (b - 'a')
		case b >= 'A' && b <= 'Z':
			t[b] = 1 << (b - 'A')
		case b >= '0' && b <= '9':
			t[b] = 1 << (26 + b - '0')
		case b >= 0x80:
			t[b] = 1 << 63
		default:
			t[b] = 1 << 62
		}
	}
	for i := 0; i < len(punct); i++ {
		t[punct[i]] = 1 << (36 + i)
	}
	return t
}()

// byteMask returns the mask of s.
func byteMask(s string) uint64 {
	var m0, m1 uint64
	i := 0
	for ; i+1 < len(s); i += 2 {
		m0 |= maskBit[s[i]]
		m1 |= maskBit[s[i+1]]
	}
	if i < len(s) {
		m0 |= maskBit[s[i]]
	}
	return m0 | m1
}

// mask returns the byte mask of value v as the automata scan it (see
// scanText), computing it once per event.
func (sc *scratch) mask(v int32) uint64 {
	f := &sc.vals[v]
	if !f.hasMask {
		f.bmask = byteMask(sc.scanText(v))
		f.hasMask = true
	}
	return f.bmask
}
