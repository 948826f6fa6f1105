package kql

import (
	"strings"
	"time"

	"github.com/loghunt/loghunt/hunt/kql/value"
)

// datetimeFuncs are the builtins over datetimes and timespans. now(), ago()
// and ingestion_time() are compiled by the call compiler (callNow, callAgo,
// ingestionTime).
var datetimeFuncs = map[string]builtin{
	"datetime_diff": {3, 3, value.Long, fnDatetimeDiff},
	"datetime_add":  {3, 3, value.DateTime, fnDatetimeAdd},
	"startofday": {1, 2, value.DateTime, func(a []any) any {
		return startOf(a, func(t time.Time, n int) time.Time {
			return time.Date(t.Year(), t.Month(), t.Day()+n, 0, 0, 0, 0, time.UTC)
		})
	}},
	"endofday": {1, 2, value.DateTime, func(a []any) any {
		return startOf(a, func(t time.Time, n int) time.Time {
			return time.Date(t.Year(), t.Month(), t.Day()+n+1, 0, 0, 0, 0, time.UTC).Add(-100)
		})
	}},
	"startofweek": {1, 2, value.DateTime, func(a []any) any {
		return startOf(a, func(t time.Time, n int) time.Time {
			d := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
			return d.AddDate(0, 0, -int(d.Weekday())+7*n)
		})
	}},
	"startofmonth": {1, 2, value.DateTime, func(a []any) any {
		return startOf(a, func(t time.Time, n int) time.Time {
			return time.Date(t.Year(), t.Month()+time.Month(n), 1, 0, 0, 0, 0, time.UTC)
		})
	}},
	"startofyear": {1, 2, value.DateTime, func(a []any) any {
		return startOf(a, func(t time.Time, n int) time.Time {
			return time.Date(t.Year()+n, 1, 1, 0, 0, 0, 0, time.UTC)
		})
	}},
	"dayofweek": {1, 1, value.TimeSpan, func(a []any) any {
		t, ok := a[0].(time.Time)
		if !ok {
			return nil
		}
		return time.Duration(t.Weekday()) * 24 * time.Hour
	}},
	"hourofday":    {1, 1, value.Long, timePart(func(t time.Time) int64 { return int64(t.Hour()) })},
	"dayofmonth":   {1, 1, value.Long, timePart(func(t time.Time) int64 { return int64(t.Day()) })},
	"dayofyear":    {1, 1, value.Long, timePart(func(t time.Time) int64 { return int64(t.YearDay()) })},
	"getmonth":     {1, 1, value.Long, timePart(monthOf)},
	"monthofyear":  {1, 1, value.Long, timePart(monthOf)},
	"getyear":      {1, 1, value.Long, timePart(func(t time.Time) int64 { return int64(t.Year()) })},
	"week_of_year": {1, 1, value.Long, timePart(func(t time.Time) int64 { _, w := t.ISOWeek(); return int64(w) })},
	"unixtime_seconds_todatetime": {1, 1, value.DateTime, func(a []any) any {
		f, ok := num(a[0])
		if !ok {
			return nil
		}
		return time.Unix(0, int64(f*1e9)).UTC()
	}},
	"unixtime_milliseconds_todatetime": {1, 1, value.DateTime, func(a []any) any {
		f, ok := num(a[0])
		if !ok {
			return nil
		}
		return time.Unix(0, int64(f*1e6)).UTC()
	}},
	"make_datetime": {3, 7, value.DateTime, func(a []any) any {
		var p [7]int64
		for i, v := range a {
			x, ok := toLong(v)
			if !ok {
				return nil
			}
			p[i] = x.(int64)
		}
		return time.Date(int(p[0]), time.Month(p[1]), int(p[2]), int(p[3]), int(p[4]), int(p[5]), 0, time.UTC)
	}},
	"format_datetime": {2, 2, value.String, fnFormatDatetime},
	"format_timespan": {2, 2, value.String, func(a []any) any { return toStr(a[0]) }},
}

func startOf(a []any, f func(time.Time, int) time.Time) any {
	t, ok := a[0].(time.Time)
	if !ok {
		return nil
	}
	n := int64(0)
	if len(a) == 2 {
		v, ok := toLong(a[1])
		if !ok {
			return nil
		}
		n = v.(int64)
	}
	return f(t.UTC(), int(n))
}

var diffParts = map[string]time.Duration{
	"day": 24 * time.Hour, "hour": time.Hour, "minute": time.Minute, "second": time.Second,
	"millisecond": time.Millisecond, "microsecond": time.Microsecond, "nanosecond": time.Nanosecond,
	"week": 7 * 24 * time.Hour,
}

func fnDatetimeDiff(a []any) any {
	p := strings.ToLower(toStr(a[0]))
	t1, ok1 := a[1].(time.Time)
	t2, ok2 := a[2].(time.Time)
	if !ok1 || !ok2 {
		return nil
	}
	switch p {
	case "year":
		return int64(t1.Year() - t2.Year())
	case "quarter":
		return int64((t1.Year()*12+int(t1.Month())-1)/3 - (t2.Year()*12+int(t2.Month())-1)/3)
	case "month":
		return int64(t1.Year()*12 + int(t1.Month()) - t2.Year()*12 - int(t2.Month()))
	}
	d, ok := diffParts[p]
	if !ok {
		return nil
	}
	// count boundaries crossed, as Kusto does
	f1 := floorDiv(t1.UnixNano()-unixOffset(p), int64(d))
	f2 := floorDiv(t2.UnixNano()-unixOffset(p), int64(d))
	return f1 - f2
}

// unixOffset aligns week boundaries to Sunday.
func unixOffset(part string) int64 {
	if part == "week" {
		return int64(-4 * 24 * time.Hour) // 1970-01-01 was a Thursday
	}
	return 0
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

func fnDatetimeAdd(a []any) any {
	p := strings.ToLower(toStr(a[0]))
	nv, ok := toLong(a[1])
	t, ok2 := a[2].(time.Time)
	if !ok || !ok2 {
		return nil
	}
	n := nv.(int64)
	switch p {
	case "year":
		return t.AddDate(int(n), 0, 0)
	case "quarter":
		return t.AddDate(0, 3*int(n), 0)
	case "month":
		return t.AddDate(0, int(n), 0)
	}
	d, ok := diffParts[p]
	if !ok {
		return nil
	}
	return t.Add(time.Duration(n) * d)
}

func fnFormatDatetime(a []any) any {
	t, ok := a[0].(time.Time)
	if !ok {
		return ""
	}
	f := toStr(a[1])
	repl := []struct{ k, g string }{
		{"yyyy", "2006"}, {"yy", "06"}, {"MM", "01"}, {"dd", "02"}, {"HH", "15"},
		{"hh", "03"}, {"mm", "04"}, {"ss", "05"}, {"fffffff", "0000000"}, {"ffffff", "000000"},
		{"fffff", "00000"}, {"ffff", "0000"}, {"fff", "000"}, {"ff", "00"}, {"f", "0"}, {"tt", "PM"},
	}
	var sb strings.Builder
	for i := 0; i < len(f); {
		matched := false
		for _, r := range repl {
			if strings.HasPrefix(f[i:], r.k) {
				sb.WriteString(t.Format(r.g))
				i += len(r.k)
				matched = true
				break
			}
		}
		if !matched {
			sb.WriteByte(f[i])
			i++
		}
	}
	return sb.String()
}

// callNow compiles now([offset]): the run's pinned time, a constant.
func (c *compiler) callNow(x *Call) *cexpr {
	args := x.Args
	now := c.r.now
	if len(args) == 1 {
		d, ok := c.constant(args[0]).(time.Duration)
		if !ok {
			fail(x.P, "now() takes a timespan offset")
		}
		now = now.Add(d)
	}
	return konst(now, value.DateTime)
}

// callAgo compiles ago(timespan), relative to the run's pinned now().
func (c *compiler) callAgo(x *Call) *cexpr {
	args := x.Args
	if len(args) != 1 {
		fail(x.P, "ago() takes one argument")
	}
	a := c.compile(args[0])
	now := c.r.now
	return fold(dyn(func(row []any) any {
		d, ok := a.fn(row).(time.Duration)
		if !ok {
			return nil
		}
		return now.Add(-d)
	}, value.DateTime), a)
}

// ingestionTime compiles ingestion_time().
func (c *compiler) ingestionTime() *cexpr {
	// offline there is no ingestion: use the record's own time
	for _, name := range []string{"TimeGenerated", "Timestamp"} {
		if i, ok := c.idx[name]; ok {
			return &cexpr{fn: func(row []any) any { return row[i] }, typ: value.DateTime, col: i}
		}
	}
	return konst(nil, value.DateTime)
}

// timePart adapts a part of a datetime to a builtin of one argument; a
// non-datetime argument gives null.
func timePart(f func(time.Time) int64) func(a []any) any {
	return func(a []any) any {
		t, ok := a[0].(time.Time)
		if !ok {
			return nil
		}
		return f(t)
	}
}

func monthOf(t time.Time) int64 { return int64(t.Month()) }
