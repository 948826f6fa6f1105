package kql

import (
	"net"
	"strings"

	"github.com/loghunt/loghunt/hunt/kql/value"
)

// ipFuncs are the IPv4 address builtins.
var ipFuncs = map[string]builtin{
	"ipv4_is_private": {1, 1, value.Bool, func(a []any) any {
		ip := parseIPv4(toStr(a[0]))
		if ip == nil {
			return nil
		}
		return ip.IsPrivate()
	}},
	"ipv4_is_in_range": {2, 2, value.Bool, func(a []any) any {
		ip := parseIPv4(toStr(a[0]))
		if ip == nil {
			return nil
		}
		r := toStr(a[1])
		if !strings.Contains(r, "/") {
			o := parseIPv4(r)
			return o != nil && o.Equal(ip)
		}
		_, n, err := net.ParseCIDR(r)
		if err != nil {
			return nil
		}
		return n.Contains(ip)
	}},
	"ipv4_is_match": {2, 3, value.Bool, func(a []any) any {
		x, y := parseIPv4(toStr(a[0])), parseIPv4(toStr(a[1]))
		return x != nil && y != nil && x.Equal(y)
	}},
	"parse_ipv4": {1, 1, value.Long, func(a []any) any {
		ip := parseIPv4(toStr(a[0]))
		if ip == nil {
			return nil
		}
		v4 := ip.To4()
		return int64(v4[0])<<24 | int64(v4[1])<<16 | int64(v4[2])<<8 | int64(v4[3])
	}},
}

func parseIPv4(s string) net.IP {
	ip := net.ParseIP(strings.TrimSpace(s))
	if ip == nil || ip.To4() == nil {
		return nil
	}
	return ip.To4()
}
