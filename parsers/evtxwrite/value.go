package evtxwrite

import (
	"encoding/binary"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Type is the value type of a substitution (MS-EVEN6 2.2.12). Array is a
// flag combined with a scalar type.
type Type uint8

// Value types.
const (
	Null       Type = 0x00
	String     Type = 0x01
	AnsiString Type = 0x02
	Int8       Type = 0x03
	UInt8      Type = 0x04
	Int16      Type = 0x05
	UInt16     Type = 0x06
	Int32      Type = 0x07
	UInt32     Type = 0x08
	Int64      Type = 0x09
	UInt64     Type = 0x0a
	Real32     Type = 0x0b
	Real64     Type = 0x0c
	Bool       Type = 0x0d
	Binary     Type = 0x0e
	GUID       Type = 0x0f
	SizeT      Type = 0x10
	FileTime   Type = 0x11
	SysTime    Type = 0x12
	SID        Type = 0x13
	HexInt32   Type = 0x14
	HexInt64   Type = 0x15
	EvtHandle  Type = 0x20
	BinXML     Type = 0x21
	EvtXML     Type = 0x23
	Array      Type = 0x80
)

// Value is one typed value. Which member holds it depends on Type:
//   - String, AnsiString: S;
//   - integers, Bool (0 or 1), SizeT, HexInt32, HexInt64, FileTime
//     (100 ns ticks since 1601): N, signed ones in two's complement;
//   - Real32, Real64: N holds the IEEE bits (use Float);
//   - GUID: B (16 bytes, Windows byte order) or S ({XXXXXXXX-...});
//   - SID: B (binary SID) or S (S-1-5-...);
//   - SysTime: B (16 bytes);
//   - Binary: B, or S (its rendering, hex digits);
//   - EvtHandle, EvtXML, BinXML and arrays: B, the encoded bytes
//     (an array's elements back to back; strings NUL-terminated: see
//     StringArray).
//
// The zero Value is Null: an empty optional substitution.
type Value struct {
	Type Type
	S    string
	N    uint64
	B    []byte
}

// Str returns a String value.
func Str(s string) Value { return Value{Type: String, S: s} }

// Uint returns an unsigned integer value of type t (UInt8 ... UInt64,
// HexInt32, HexInt64, SizeT, FileTime, Bool).
func Uint(t Type, v uint64) Value { return Value{Type: t, N: v} }

// Int returns a signed integer value of type t (Int8 ... Int64).
func Int(t Type, v int64) Value { return Value{Type: t, N: uint64(v)} }

// Float returns a Real32 or Real64 value.
func Float(t Type, f float64) Value {
	if t == Real32 {
		return Value{Type: t, N: uint64(math.Float32bits(float32(f)))}
	}
	return Value{Type: Real64, N: math.Float64bits(f)}
}

// Time returns a FileTime value (100 ns precision; times before 1601 are
// written as 0).
func Time(t time.Time) Value { return Value{Type: FileTime, N: fileTime(t)} }

// Bytes returns a value of type t whose encoding is b.
func Bytes(t Type, b []byte) Value { return Value{Type: t, B: b} }

// StringArray returns a String array value.
func StringArray(items ...string) Value {
	var b []byte
	for _, s := range items {
		b = appendUTF16(b, s)
		b = append(b, 0, 0)
	}
	return Value{Type: String | Array, B: b}
}

const epochDelta = 116444736000000000 // 1601 → 1970 in 100 ns ticks

func fileTime(t time.Time) uint64 {
	if t.IsZero() {
		return 0
	}
	ticks := t.Unix()*10000000 + int64(t.Nanosecond()/100)
	if ticks < -epochDelta {
		return 0
	}
	return uint64(ticks + epochDelta)
}

func fileTimeToTime(ft uint64) time.Time {
	if ft == 0 {
		return time.Time{}
	}
	ticks := int64(ft) - epochDelta
	return time.Unix(ticks/10000000, ticks%10000000*100).UTC()
}

func fixedSize(t Type) int {
	switch t {
	case Int8, UInt8:
		return 1
	case Int16, UInt16:
		return 2
	case Int32, UInt32, Real32, Bool, HexInt32:
		return 4
	case Int64, UInt64, Real64, FileTime, HexInt64, SizeT:
		return 8
	case GUID, SysTime:
		return 16
	}
	return 0
}

// appendValue appends the encoding of v.
func appendValue(dst []byte, v Value) ([]byte, error) {
	t := v.Type
	if t == Binary && v.B == nil && v.S != "" {
		// Binary given as its rendering: upper-case hex.
		start := len(dst)
		for i := 0; i+1 < len(v.S); i += 2 {
			hi, ok1 := hexVal(v.S[i])
			lo, ok2 := hexVal(v.S[i+1])
			if !ok1 || !ok2 || len(v.S)%2 != 0 {
				return dst[:start], fmt.Errorf("binary %.20q: %w", v.S, ErrBadValue)
			}
			dst = append(dst, hi<<4|lo)
		}
		return dst, nil
	}
	if t&Array != 0 || t == Binary || t == EvtHandle || t == EvtXML || t == BinXML {
		if n := fixedSize(t &^ Array); t&Array != 0 && n > 0 && len(v.B)%n != 0 {
			return dst, fmt.Errorf("array of type 0x%02x: %d bytes is not a multiple of %d: %w", uint8(t), len(v.B), n, ErrBadValue)
		}
		return append(dst, v.B...), nil
	}
	le := binary.LittleEndian
	switch t {
	case Null:
		return dst, nil
	case String:
		return appendUTF16(dst, v.S), nil
	case AnsiString:
		for _, r := range v.S {
			if r > 0xff {
				return dst, fmt.Errorf("ANSI string with character %U: %w", r, ErrBadValue)
			}
			dst = append(dst, byte(r))
		}
		return dst, nil
	case Int8, UInt8:
		return append(dst, byte(v.N)), nil
	case Int16, UInt16:
		return le.AppendUint16(dst, uint16(v.N)), nil
	case Int32, UInt32, Real32, HexInt32:
		return le.AppendUint32(dst, uint32(v.N)), nil
	case Bool:
		if v.N != 0 {
			return le.AppendUint32(dst, 1), nil
		}
		return le.AppendUint32(dst, 0), nil
	case Int64, UInt64, Real64, FileTime, HexInt64, SizeT:
		return le.AppendUint64(dst, v.N), nil
	case GUID:
		if v.B != nil {
			if len(v.B) != 16 {
				return dst, fmt.Errorf("GUID of %d bytes: %w", len(v.B), ErrBadValue)
			}
			return append(dst, v.B...), nil
		}
		out, ok := appendGUIDText(dst, v.S)
		if !ok {
			return dst, fmt.Errorf("GUID %q: %w", v.S, ErrBadValue)
		}
		return out, nil
	case SID:
		if v.B != nil {
			if len(v.B) < 8 || len(v.B) != 8+4*int(v.B[1]) {
				return dst, fmt.Errorf("SID of %d bytes: %w", len(v.B), ErrBadValue)
			}
			return append(dst, v.B...), nil
		}
		out, ok := appendSIDText(dst, v.S)
		if !ok {
			return dst, fmt.Errorf("SID %q: %w", v.S, ErrBadValue)
		}
		return out, nil
	case SysTime:
		if len(v.B) != 16 {
			return dst, fmt.Errorf("SYSTEMTIME of %d bytes: %w", len(v.B), ErrBadValue)
		}
		return append(dst, v.B...), nil
	}
	return dst, fmt.Errorf("value type 0x%02x: %w", uint8(t), ErrBadValue)
}

// appendUTF16 appends s as UTF-16LE; invalid UTF-8 becomes U+FFFD.
func appendUTF16(dst []byte, s string) []byte {
	i := 0
	for ; i < len(s) && s[i] < utf8.RuneSelf; i++ {
		dst = append(dst, s[i], 0)
	}
	for _, r := range s[i:] {
		switch {
		case r < 0x10000:
			dst = append(dst, byte(r), byte(r>>8))
		default:
			r -= 0x10000
			hi, lo := 0xd800+(r>>10)&0x3ff, 0xdc00+r&0x3ff
			dst = append(dst, byte(hi), byte(hi>>8), byte(lo), byte(lo>>8))
		}
	}
	return dst
}

// utf16Len returns the number of UTF-16 code units of s.
func utf16Len(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] < utf8.RuneSelf {
			n++
			continue
		}
		for _, r := range s[i:] {
			if r >= 0x10000 {
				n += 2
			} else {
				n++
			}
		}
		return n
	}
	return n
}

func hexVal(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// appendGUIDText parses {XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX} (braces
// optional, any case) into its 16 bytes in Windows order.
func appendGUIDText(dst []byte, s string) ([]byte, bool) {
	if len(s) == 38 && s[0] == '{' && s[37] == '}' {
		s = s[1:37]
	}
	if len(s) != 36 || s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-' {
		return dst, false
	}
	var raw [16]byte
	k := 0
	for i := 0; i < 36; i += 2 {
		if s[i] == '-' {
			i--
			continue
		}
		hi, ok1 := hexVal(s[i])
		lo, ok2 := hexVal(s[i+1])
		if !ok1 || !ok2 {
			return dst, false
		}
		raw[k] = hi<<4 | lo
		k++
	}
	if k != 16 {
		return dst, false
	}
	// Data1, Data2, Data3 are little-endian in the binary form.
	raw[0], raw[1], raw[2], raw[3] = raw[3], raw[2], raw[1], raw[0]
	raw[4], raw[5] = raw[5], raw[4]
	raw[6], raw[7] = raw[7], raw[6]
	return append(dst, raw[:]...), true
}

// appendSIDText parses S-R-A-S1-...; A in decimal or 0x hex (48 bits).
func appendSIDText(dst []byte, s string) ([]byte, bool) {
	start := len(dst)
	if !strings.HasPrefix(s, "S-") {
		return dst, false
	}
	parts := strings.Split(s[2:], "-")
	if len(parts) < 2 || len(parts)-2 > 15 {
		return dst, false
	}
	rev, err := strconv.ParseUint(parts[0], 10, 8)
	if err != nil {
		return dst, false
	}
	var auth uint64
	if strings.HasPrefix(parts[1], "0x") {
		auth, err = strconv.ParseUint(parts[1][2:], 16, 48)
	} else {
		auth, err = strconv.ParseUint(parts[1], 10, 48)
	}
	if err != nil {
		return dst, false
	}
	dst = append(dst, byte(rev), byte(len(parts)-2))
	for i := 5; i >= 0; i-- {
		dst = append(dst, byte(auth>>(8*uint(i))))
	}
	for _, p := range parts[2:] {
		v, err := strconv.ParseUint(p, 10, 32)
		if err != nil {
			return dst[:start], false
		}
		dst = binary.LittleEndian.AppendUint32(dst, uint32(v))
	}
	return dst, true
}
