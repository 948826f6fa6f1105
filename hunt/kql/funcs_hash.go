package kql

import (
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"math"

	"github.com/loghunt/loghunt/hunt/kql/value"
)

// hashFuncs are the hash builtins.
var hashFuncs = map[string]builtin{
	"hash_sha256": {1, 1, value.String, func(a []any) any { h := sha256.Sum256([]byte(toStr(a[0]))); return hex.EncodeToString(h[:]) }},
	"hash_sha1":   {1, 1, value.String, func(a []any) any { h := sha1.Sum([]byte(toStr(a[0]))); return hex.EncodeToString(h[:]) }},
	"hash_md5":    {1, 1, value.String, func(a []any) any { h := md5.Sum([]byte(toStr(a[0]))); return hex.EncodeToString(h[:]) }},
	"hash": {1, 2, value.Long, func(a []any) any {
		h := sha256.Sum256([]byte(toStr(a[0])))
		v := int64(uint64(h[0])<<56|uint64(h[1])<<48|uint64(h[2])<<40|uint64(h[3])<<32|uint64(h[4])<<24|uint64(h[5])<<16|uint64(h[6])<<8|uint64(h[7])) & math.MaxInt64
		if len(a) == 2 {
			if m, ok := toLong(a[1]); ok && m.(int64) > 0 {
				return v % m.(int64)
			}
		}
		return v
	}},
}
