package winevent

import (
	"time"

	"github.com/loghunt/loghunt/parsers"
)

// UtcTime is the EventData field in which Sysmon writes, in UTC, when the
// event happened ("2006-01-02 15:04:05.000").
const UtcTime = "UtcTime"

// TimeField names the EventData field that gives the time of an event of
// this channel and provider, or "" when the System TimeCreated does.
//
// Sysmon events take UtcTime, in every input shape, EVTX included:
//   - some JSON exports write TimeCreated as local time without a zone,
//     while UtcTime is always UTC;
//   - the same record then has the same time whether it was read from the
//     EVTX file or from any export of it, and a Sigma hit on it shows the
//     time its KQL row's Timestamp has (the schema map takes Sysmon's
//     Timestamp from UtcTime);
//   - UtcTime is when the process started or the connection was made,
//     which is what a responder lines up; TimeCreated is when the record
//     was written, usually a few milliseconds later, and stays available
//     as the field TimeCreated_SystemTime.
//
// Every other event takes the System TimeCreated.
func TimeField(channel, provider string) string {
	if IsSysmon(channel, provider) {
		return UtcTime
	}
	return ""
}

// EventTime returns the time the field named by TimeField gives ev, and
// false when TimeField names none or the field is absent or unreadable
// (the caller keeps the System time then). It allocates nothing.
func EventTime(ev *parsers.Event) (time.Time, bool) {
	name := TimeField(ev.Channel, ev.Provider)
	if name == "" {
		return time.Time{}, false
	}
	v, ok := ev.Get(name)
	if !ok {
		return time.Time{}, false
	}
	return ParseUtcTime(v)
}

// ParseUtcTime reads Sysmon's UtcTime, "2006-01-02 15:04:05.000": a date,
// a space or "T", a time with an optional fraction of up to 9 digits, and
// optionally "Z". The value is UTC by definition; a numeric zone is not
// accepted. It allocates nothing.
func ParseUtcTime(s string) (time.Time, bool) {
	if len(s) < 19 || s[4] != '-' || s[7] != '-' || s[13] != ':' || s[16] != ':' {
		return time.Time{}, false
	}
	if c := s[10]; c != ' ' && c != 'T' {
		return time.Time{}, false
	}
	num := func(i, n int) int {
		v := 0
		for _, c := range []byte(s[i : i+n]) {
			if c < '0' || c > '9' {
				return -1
			}
			v = v*10 + int(c-'0')
		}
		return v
	}
	year, month, day := num(0, 4), num(5, 2), num(8, 2)
	hour, minute, sec := num(11, 2), num(14, 2), num(17, 2)
	if year < 0 || month < 1 || month > 12 || day < 1 || day > 31 || hour < 0 || hour > 23 ||
		minute < 0 || minute > 59 || sec < 0 || sec > 59 {
		return time.Time{}, false
	}
	rest := s[19:]
	nsec := 0
	if len(rest) > 0 && rest[0] == '.' {
		i, scale := 1, 100000000
		for ; i < len(rest) && rest[i] >= '0' && rest[i] <= '9'; i++ {
			if i > 9 {
				return time.Time{}, false
			}
			nsec += int(rest[i]-'0') * scale
			scale /= 10
		}
		if i == 1 {
			return time.Time{}, false
		}
		rest = rest[i:]
	}
	if rest == "Z" {
		rest = ""
	}
	if rest != "" {
		return time.Time{}, false
	}
	t := time.Date(year, time.Month(month), day, hour, minute, sec, nsec, time.UTC)
	if t.Day() != day { // 2023-02-30
		return time.Time{}, false
	}
	return t, true
}
