package input

import (
	"io"
	"unicode/utf16"
	"unicode/utf8"
)

// utf16Reader transcodes UTF-16 (as written by Windows PowerShell's
// Out-File and ConvertTo-Json) to UTF-8. It drops a leading byte order
// mark; unpaired surrogates become U+FFFD.
type utf16Reader struct {
	r       io.Reader
	big     bool
	in      []byte // undecoded input
	out     []byte // decoded, not yet returned
	pending rune   // a high surrogate waiting for its pair, or -1
	started bool
	err     error
}

func newUTF16Reader(r io.Reader, bigEndian bool) *utf16Reader {
	return &utf16Reader{r: r, big: bigEndian, in: make([]byte, 0, 32<<10), pending: -1}
}

func (u *utf16Reader) Read(p []byte) (int, error) {
	for len(u.out) == 0 {
		if u.err != nil {
			if u.pending >= 0 {
				u.out = utf8.AppendRune(u.out, utf8.RuneError)
				u.pending = -1
				continue
			}
			if len(u.in) == 1 { // odd trailing byte
				u.out = utf8.AppendRune(u.out, utf8.RuneError)
				u.in = u.in[:0]
				continue
			}
			return 0, u.err
		}
		n, err := u.r.Read(u.in[len(u.in):cap(u.in)])
		u.in = u.in[:len(u.in)+n]
		u.err = err
		u.decode()
	}
	n := copy(p, u.out)
	u.out = u.out[n:]
	return n, nil
}

func (u *utf16Reader) decode() {
	u.out = u.out[:0]
	i := 0
	for ; i+1 < len(u.in); i += 2 {
		var c uint16
		if u.big {
			c = uint16(u.in[i])<<8 | uint16(u.in[i+1])
		} else {
			c = uint16(u.in[i+1])<<8 | uint16(u.in[i])
		}
		if !u.started {
			u.started = true
			if c == 0xFEFF {
				continue
			}
		}
		r := rune(c)
		if u.pending >= 0 {
			if d := utf16.DecodeRune(u.pending, r); d != utf8.RuneError {
				u.out = utf8.AppendRune(u.out, d)
				u.pending = -1
				continue
			}
			u.out = utf8.AppendRune(u.out, utf8.RuneError)
			u.pending = -1
		}
		switch {
		case r >= 0xD800 && r < 0xDC00:
			u.pending = r
		case r >= 0xDC00 && r < 0xE000:
			u.out = utf8.AppendRune(u.out, utf8.RuneError)
		default:
			u.out = utf8.AppendRune(u.out, r)
		}
	}
	rest := copy(u.in, u.in[i:])
	u.in = u.in[:rest]
}
