package binxml

import (
	"encoding/binary"
	"math"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// Value types of BinXml substitutions and value tokens (MS-EVEN6 2.2.12,
// libevtx "value types"). TypeArray is a flag combined with a scalar type.
const (
	TypeNull       = 0x00
	TypeString     = 0x01
	TypeAnsiString = 0x02
	TypeInt8       = 0x03
	TypeUInt8      = 0x04
	TypeInt16      = 0x05
	TypeUInt16     = 0x06
	TypeInt32      = 0x07
	TypeUInt32     = 0x08
	TypeInt64      = 0x09
	TypeUInt64     = 0x0a
	TypeReal32     = 0x0b
	TypeReal64     = 0x0c
	TypeBool       = 0x0d
	TypeBinary     = 0x0e
	TypeGUID       = 0x0f
	TypeSizeT      = 0x10
	TypeFileTime   = 0x11
	TypeSysTime    = 0x12
	TypeSID        = 0x13
	TypeHexInt32   = 0x14
	TypeHexInt64   = 0x15
	TypeEvtHandle  = 0x20
	TypeBinXML     = 0x21
	TypeEvtXML     = 0x23
	TypeArray      = 0x80
)

// elemSize is the fixed size of one element of a scalar type, or 0 when the
// type has a variable size.
func elemSize(t uint8) int {
	switch t {
	case TypeInt8, TypeUInt8:
		return 1
	case TypeInt16, TypeUInt16:
		return 2
	case TypeInt32, TypeUInt32, TypeReal32, TypeBool, TypeHexInt32:
		return 4
	case TypeInt64, TypeUInt64, TypeReal64, TypeFileTime, TypeHexInt64, TypeSizeT:
		return 8
	case TypeGUID, TypeSysTime:
		return 16
	}
	return 0
}

// SizeOK reports whether b has the size of one value of scalar type t
// (always true for variable-size types). AppendScalar renders values of the
// wrong size as hex.
func SizeOK(t uint8, b []byte) bool {
	n := elemSize(t)
	return n == 0 || n == len(b)
}

// IsNumeric reports whether values of type t render as JSON numbers.
func IsNumeric(t uint8) bool {
	switch t {
	case TypeInt8, TypeUInt8, TypeInt16, TypeUInt16, TypeInt32, TypeUInt32,
		TypeInt64, TypeUInt64, TypeReal32, TypeReal64:
		return true
	}
	return false
}

// AppendUTF16 appends the UTF-16LE text b as UTF-8, dropping trailing NUL
// characters. Unpaired surrogates become U+FFFD.
func AppendUTF16(dst, b []byte) []byte {
	n := len(b) &^ 1
	for n >= 2 && b[n-1] == 0 && b[n-2] == 0 {
		n -= 2
	}
	b = b[:n]
	// Fast path: ASCII, four characters at a time.
	i := 0
	for ; i+8 <= n; i += 8 {
		v := binary.LittleEndian.Uint64(b[i:])
		if v&0xff80ff80ff80ff80 != 0 {
			break
		}
		dst = append(dst, byte(v), byte(v>>16), byte(v>>32), byte(v>>48))
	}
	for ; i+1 < n; i += 2 {
		c := b[i]
		if b[i+1] != 0 || c >= 0x80 {
			break
		}
		dst = append(dst, c)
	}
	for ; i+1 < n; i += 2 {
		r := rune(binary.LittleEndian.Uint16(b[i:]))
		switch {
		case r < 0x80:
			dst = append(dst, byte(r))
			continue
		case utf16.IsSurrogate(r):
			if r < 0xdc00 && i+3 < n {
				r2 := rune(binary.LittleEndian.Uint16(b[i+2:]))
				if r2 >= 0xdc00 && r2 < 0xe000 {
					dst = utf8.AppendRune(dst, utf16.DecodeRune(r, r2))
					i += 2
					continue
				}
			}
			r = utf8.RuneError
		}
		dst = utf8.AppendRune(dst, r)
	}
	return dst
}

// appendAnsi appends single-byte text (read as Latin-1) without trailing NULs.
func appendAnsi(dst, b []byte) []byte {
	n := len(b)
	for n > 0 && b[n-1] == 0 {
		n--
	}
	for _, c := range b[:n] {
		if c < 0x80 {
			dst = append(dst, c)
		} else {
			dst = utf8.AppendRune(dst, rune(c))
		}
	}
	return dst
}

const hexUpper = "0123456789ABCDEF"

// AppendHexUpper appends b as upper-case hex digits.
func AppendHexUpper(dst, b []byte) []byte {
	for _, c := range b {
		dst = append(dst, hexUpper[c>>4], hexUpper[c&15])
	}
	return dst
}

// AppendGUID appends a 16-byte GUID as {XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX}.
func AppendGUID(dst, b []byte) []byte {
	if len(b) < 16 {
		return AppendHexUpper(dst, b)
	}
	hex4 := func(dst []byte, v uint32, digits int) []byte {
		for s := (digits - 1) * 4; s >= 0; s -= 4 {
			dst = append(dst, hexUpper[(v>>uint(s))&15])
		}
		return dst
	}
	dst = append(dst, '{')
	dst = hex4(dst, binary.LittleEndian.Uint32(b), 8)
	dst = append(dst, '-')
	dst = hex4(dst, uint32(binary.LittleEndian.Uint16(b[4:])), 4)
	dst = append(dst, '-')
	dst = hex4(dst, uint32(binary.LittleEndian.Uint16(b[6:])), 4)
	dst = append(dst, '-')
	dst = AppendHexUpper(dst, b[8:10])
	dst = append(dst, '-')
	dst = AppendHexUpper(dst, b[10:16])
	return append(dst, '}')
}

// sidLen returns the length of the SID at the start of b, or 0 if b is too
// short to hold one.
func sidLen(b []byte) int {
	if len(b) < 8 {
		return 0
	}
	n := 8 + 4*int(b[1])
	if n > len(b) {
		return 0
	}
	return n
}

// AppendSID appends a binary SID as S-R-A-S1-S2...; a truncated SID is
// rendered as hex.
func AppendSID(dst, b []byte) []byte {
	n := sidLen(b)
	if n == 0 {
		return AppendHexUpper(dst, b)
	}
	dst = append(dst, 'S', '-')
	dst = strconv.AppendUint(dst, uint64(b[0]), 10)
	var auth uint64
	for _, c := range b[2:8] {
		auth = auth<<8 | uint64(c)
	}
	dst = append(dst, '-')
	if auth >= 1<<32 {
		dst = append(dst, '0', 'x')
		dst = AppendHexUpper(dst, b[2:8])
	} else {
		dst = strconv.AppendUint(dst, auth, 10)
	}
	for i := 8; i+4 <= n; i += 4 {
		dst = append(dst, '-')
		dst = strconv.AppendUint(dst, uint64(binary.LittleEndian.Uint32(b[i:])), 10)
	}
	return dst
}

// FileTimeUnix converts a FILETIME (100 ns ticks since 1601-01-01) to Unix
// seconds and nanoseconds.
func FileTimeUnix(ft uint64) (sec int64, nsec int64) {
	const epochDelta = 116444736000000000 // 1601 → 1970 in 100 ns ticks
	t := int64(ft/10000000) - epochDelta/10000000
	return t, int64(ft%10000000) * 100
}

// appendDateTime appends YYYY-MM-DDThh:mm:ss.fffffffZ for Unix seconds and a
// fraction in 100 ns ticks.
func appendDateTime(dst []byte, sec int64, ticks int64) []byte {
	days := sec / 86400
	rem := sec % 86400
	if rem < 0 {
		rem += 86400
		days--
	}
	y, m, d := civil(days)
	dst = appendInt(dst, y, 4)
	dst = append(dst, '-')
	dst = appendInt(dst, int64(m), 2)
	dst = append(dst, '-')
	dst = appendInt(dst, int64(d), 2)
	dst = append(dst, 'T')
	dst = appendInt(dst, rem/3600, 2)
	dst = append(dst, ':')
	dst = appendInt(dst, rem/60%60, 2)
	dst = append(dst, ':')
	dst = appendInt(dst, rem%60, 2)
	dst = append(dst, '.')
	dst = appendInt(dst, ticks, 7)
	return append(dst, 'Z')
}

// civil converts days since 1970-01-01 to a proleptic Gregorian date
// (Howard Hinnant's days_from_civil inverse).
func civil(z int64) (int64, int, int) {
	z += 719468
	era := z / 146097
	if z < 0 && z%146097 != 0 {
		era = (z - 146096) / 146097
	}
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	y := yoe + era*400
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	d := doy - (153*mp+2)/5 + 1
	m := mp + 3
	if m > 12 {
		m -= 12
	}
	if m <= 2 {
		y++
	}
	return y, int(m), int(d)
}

func appendInt(dst []byte, v int64, width int) []byte {
	if v < 0 {
		dst = append(dst, '-')
		v = -v
	}
	var buf [20]byte
	i := len(buf)
	for v >= 10 || width > 1 {
		i--
		buf[i] = byte('0' + v%10)
		v /= 10
		width--
	}
	i--
	buf[i] = byte('0' + v)
	return append(dst, buf[i:]...)
}

// AppendFileTime appends a FILETIME as 2006-01-02T15:04:05.1234567Z.
func AppendFileTime(dst []byte, ft uint64) []byte {
	sec, nsec := FileTimeUnix(ft)
	return appendDateTime(dst, sec, nsec/100)
}

// appendSysTime appends a 16-byte SYSTEMTIME in the same layout as a FILETIME.
func appendSysTime(dst, b []byte) []byte {
	u := func(i int) int64 { return int64(binary.LittleEndian.Uint16(b[2*i:])) }
	dst = appendInt(dst, u(0), 4)
	dst = append(dst, '-')
	dst = appendInt(dst, u(1), 2)
	dst = append(dst, '-')
	dst = appendInt(dst, u(3), 2)
	dst = append(dst, 'T')
	dst = appendInt(dst, u(4), 2)
	dst = append(dst, ':')
	dst = appendInt(dst, u(5), 2)
	dst = append(dst, ':')
	dst = appendInt(dst, u(6), 2)
	dst = append(dst, '.')
	dst = appendInt(dst, u(7)*10000, 7)
	return append(dst, 'Z')
}

func appendHex(dst []byte, v uint64) []byte {
	dst = append(dst, '0', 'x')
	return strconv.AppendUint(dst, v, 16)
}

// AppendScalar appends the text of one value of scalar type t (the array flag
// cleared) whose bytes are b, as Windows renders it in the XML view. Bytes of
// the wrong size for the type are rendered as upper-case hex.
func AppendScalar(dst []byte, t uint8, b []byte) []byte {
	le := binary.LittleEndian
	if n := elemSize(t); n != 0 && len(b) != n {
		if t == TypeSizeT && len(b) == 4 {
			return appendHex(dst, uint64(le.Uint32(b)))
		}
		return AppendHexUpper(dst, b)
	}
	switch t {
	case TypeNull:
		return dst
	case TypeString:
		return AppendUTF16(dst, b)
	case TypeAnsiString:
		return appendAnsi(dst, b)
	case TypeInt8:
		return strconv.AppendInt(dst, int64(int8(b[0])), 10)
	case TypeUInt8:
		return strconv.AppendUint(dst, uint64(b[0]), 10)
	case TypeInt16:
		return strconv.AppendInt(dst, int64(int16(le.Uint16(b))), 10)
	case TypeUInt16:
		return strconv.AppendUint(dst, uint64(le.Uint16(b)), 10)
	case TypeInt32:
		return strconv.AppendInt(dst, int64(int32(le.Uint32(b))), 10)
	case TypeUInt32:
		return strconv.AppendUint(dst, uint64(le.Uint32(b)), 10)
	case TypeInt64:
		return strconv.AppendInt(dst, int64(le.Uint64(b)), 10)
	case TypeUInt64:
		return strconv.AppendUint(dst, le.Uint64(b), 10)
	case TypeReal32:
		return strconv.AppendFloat(dst, float64(math.Float32frombits(le.Uint32(b))), 'g', -1, 32)
	case TypeReal64:
		return strconv.AppendFloat(dst, math.Float64frombits(le.Uint64(b)), 'g', -1, 64)
	case TypeBool:
		if le.Uint32(b) != 0 {
			return append(dst, "true"...)
		}
		return append(dst, "false"...)
	case TypeGUID:
		return AppendGUID(dst, b)
	case TypeSizeT, TypeHexInt64:
		return appendHex(dst, le.Uint64(b))
	case TypeHexInt32:
		return appendHex(dst, uint64(le.Uint32(b)))
	case TypeFileTime:
		return AppendFileTime(dst, le.Uint64(b))
	case TypeSysTime:
		return appendSysTime(dst, b)
	case TypeSID:
		return AppendSID(dst, b)
	}
	// Binary, EvtHandle, EvtXml and unknown types.
	return AppendHexUpper(dst, b)
}

// Elems calls fn for each element of a value of type t (array or scalar) and
// stops early if fn returns false. A scalar value is one element. String
// arrays are split at NUL characters; a trailing empty element is dropped.
func Elems(t uint8, b []byte, fn func(t uint8, elem []byte) bool) {
	if t&TypeArray == 0 {
		fn(t, b)
		return
	}
	t &^= TypeArray
	switch t {
	case TypeString:
		start := 0
		for i := 0; i+1 < len(b); i += 2 {
			if b[i] == 0 && b[i+1] == 0 {
				if !fn(t, b[start:i]) {
					return
				}
				start = i + 2
			}
		}
		if start < len(b)&^1 {
			fn(t, b[start:len(b)&^1])
		}
		return
	case TypeAnsiString:
		start := 0
		for i, c := range b {
			if c == 0 {
				if !fn(t, b[start:i]) {
					return
				}
				start = i + 1
			}
		}
		if start < len(b) {
			fn(t, b[start:])
		}
		return
	case TypeSID:
		for len(b) > 0 {
			n := sidLen(b)
			if n == 0 {
				fn(TypeBinary, b)
				return
			}
			if !fn(t, b[:n]) {
				return
			}
			b = b[n:]
		}
		return
	}
	n := elemSize(t)
	if n == 0 {
		fn(t, b)
		return
	}
	for len(b) >= n {
		if !fn(t, b[:n]) {
			return
		}
		b = b[n:]
	}
	if len(b) > 0 {
		fn(TypeBinary, b)
	}
}
