package json

import "time"

// parseTime reads the timestamp forms found in exported Windows logs and
// returns it in UTC with every fractional digit it carries (up to 1 ns):
//
//	2006-01-02T15:04:05.999999999Z      RFC 3339, any number of fraction digits
//	2006-01-02T15:04:05.9999999+02:00   with a numeric offset (also +0200, +02)
//	2006-01-02 15:04:05.000             Sysmon UtcTime: space, no zone (UTC)
//	1700000000[.123]                    Unix epoch in s, ms, µs or ns (by digit count)
//
// A date and time without a zone is taken as UTC, since every Windows log
// exporter we know writes UTC. It reports false for anything else.
func parseTime(s string) (time.Time, bool) {
	if len(s) >= 19 && s[4] == '-' {
		return parseDateTime(s)
	}
	return parseEpoch(s)
}

func parseDateTime(s string) (time.Time, bool) {
	num := func(i, n int) (int, bool) {
		v := 0
		for _, c := range []byte(s[i : i+n]) {
			if c < '0' || c > '9' {
				return 0, false
			}
			v = v*10 + int(c-'0')
		}
		return v, true
	}
	year, ok1 := num(0, 4)
	month, ok2 := num(5, 2)
	day, ok3 := num(8, 2)
	hour, ok4 := num(11, 2)
	minute, ok5 := num(14, 2)
	sec, ok6 := num(17, 2)
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6) || s[7] != '-' || s[13] != ':' || s[16] != ':' {
		return time.Time{}, false
	}
	if c := s[10]; c != 'T' && c != 't' && c != ' ' {
		return time.Time{}, false
	}
	if month < 1 || month > 12 || day < 1 || day > daysIn(month, year) || hour > 23 || minute > 59 || sec > 60 {
		return time.Time{}, false
	}
	if sec == 60 { // a leap second: time.Date would roll it into the next minute
		sec = 59
	}
	rest := s[19:]
	nsec := 0
	if len(rest) > 0 && (rest[0] == '.' || rest[0] == ',') {
		i := 1
		scale := 100000000
		for i < len(rest) && rest[i] >= '0' && rest[i] <= '9' {
			nsec += int(rest[i]-'0') * scale
			scale /= 10
			i++
		}
		if i == 1 {
			return time.Time{}, false
		}
		rest = rest[i:]
	}
	offset := 0
	switch {
	case rest == "" || rest == "Z" || rest == "z" || rest == " UTC" || rest == "UTC":
	case rest[0] == '+' || rest[0] == '-' || (rest[0] == ' ' && len(rest) > 1 && (rest[1] == '+' || rest[1] == '-')):
		if rest[0] == ' ' {
			rest = rest[1:]
		}
		sign := 1
		if rest[0] == '-' {
			sign = -1
		}
		z := rest[1:]
		var h, m int
		var ok bool
		switch {
		case len(z) == 5 && z[2] == ':':
			h, ok = atoi2(z[0:2])
			if ok {
				m, ok = atoi2(z[3:5])
			}
		case len(z) == 4:
			h, ok = atoi2(z[0:2])
			if ok {
				m, ok = atoi2(z[2:4])
			}
		case len(z) == 2:
			h, ok = atoi2(z)
		}
		if !ok || h > 23 || m > 59 {
			return time.Time{}, false
		}
		offset = sign * (h*3600 + m*60)
	default:
		return time.Time{}, false
	}
	t := time.Date(year, time.Month(month), day, hour, minute, sec, nsec, time.UTC)
	if offset != 0 {
		t = t.Add(-time.Duration(offset) * time.Second)
	}
	return t, true
}

func atoi2(s string) (int, bool) {
	if s[0] < '0' || s[0] > '9' || s[1] < '0' || s[1] > '9' {
		return 0, false
	}
	return int(s[0]-'0')*10 + int(s[1]-'0'), true
}

func daysIn(month, year int) int {
	switch month {
	case 2:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// parseEpoch reads a Unix time whose unit follows from its number of
// integer digits: 9-10 seconds, 12-13 milliseconds, 15-16 microseconds,
// 18-19 nanoseconds. Other lengths are ambiguous and refused.
func parseEpoch(s string) (time.Time, bool) {
	i := 0
	var v int64
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		v = v*10 + int64(s[i]-'0')
		i++
		if i > 19 {
			return time.Time{}, false
		}
	}
	digits := i
	var frac int64
	var fracScale int64 = 1
	if i < len(s) && s[i] == '.' {
		i++
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			if fracScale < 1e9 {
				frac = frac*10 + int64(s[i]-'0')
				fracScale *= 10
			}
			i++
		}
	}
	if i != len(s) || digits == 0 {
		return time.Time{}, false
	}
	var unit int64 // nanoseconds per integer unit
	switch {
	case digits >= 9 && digits <= 10:
		unit = 1e9
	case digits >= 12 && digits <= 13:
		unit = 1e6
	case digits >= 15 && digits <= 16:
		unit = 1e3
	case digits >= 18 && digits <= 19:
		unit = 1
	default:
		return time.Time{}, false
	}
	per := 1e9 / unit // integer units per second
	sec := v / per
	nsec := v%per*unit + frac*unit/fracScale
	return time.Unix(sec, nsec).UTC(), true
}
