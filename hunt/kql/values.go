package kql

import (
	"encoding/json"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/loghunt/loghunt/hunt/kql/value"
)

// toStr is KQL tostring(): null is "", datetimes are ISO 8601 UTC,
// timespans are [-][d.]hh:mm:ss[.fffffff], dynamic values are JSON.
func toStr(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case int64:
		return strconv.FormatInt(x, 10)
	case float64:
		return formatReal(x)
	case bool:
		if x {
			return "true"
		}
		return "false"
	case time.Time:
		return formatTime(x)
	case time.Duration:
		return formatSpan(x)
	case []any, map[string]any:
		return toJSON(x)
	case int:
		return strconv.Itoa(x)
	}
	return ""
}

func formatReal(f float64) string {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	}
	return strconv.FormatFloat(f, 'g', -1, 64)
}

func formatTime(t time.Time) string {
	t = t.UTC()
	s := t.Format("2006-01-02T15:04:05.0000000")
	s = strings.TrimRight(s, "0")
	s = strings.TrimSuffix(s, ".")
	return s + "Z"
}

func formatSpan(d time.Duration) string {
	var b strings.Builder
	if d < 0 {
		b.WriteByte('-')
		d = -d
	}
	days := d / (24 * time.Hour)
	d -= days * 24 * time.Hour
	if days > 0 {
		b.WriteString(strconv.FormatInt(int64(days), 10))
		b.WriteByte('.')
	}
	h := d / time.Hour
	d -= h * time.Hour
	m := d / time.Minute
	d -= m * time.Minute
	s := d / time.Second
	d -= s * time.Second
	b.WriteString(pad2(int64(h)))
	b.WriteByte(':')
	b.WriteString(pad2(int64(m)))
	b.WriteByte(':')
	b.WriteString(pad2(int64(s)))
	if d > 0 {
		frac := strconv.FormatInt(int64(d/100)+10000000, 10)[1:]
		b.WriteByte('.')
		b.WriteString(frac)
	}
	return b.String()
}

func pad2(n int64) string {
	if n < 10 {
		return "0" + strconv.FormatInt(n, 10)
	}
	return strconv.FormatInt(n, 10)
}

// toJSON renders a dynamic value as compact JSON with sorted keys.
func toJSON(v any) string {
	var b strings.Builder
	writeJSON(&b, v, 0)
	return b.String()
}

func writeJSON(b *strings.Builder, v any, depth int) {
	if depth > 100 {
		b.WriteString("null")
		return
	}
	switch x := v.(type) {
	case nil:
		b.WriteString("null")
	case string:
		q, _ := json.Marshal(x)
		b.Write(q)
	case int64, float64, bool:
		b.WriteString(toStr(x))
	case time.Time, time.Duration:
		q, _ := json.Marshal(toStr(x))
		b.Write(q)
	case []any:
		b.WriteByte('[')
		for i, e := range x {
			if i > 0 {
				b.WriteByte(',')
			}
			writeJSON(b, e, depth+1)
		}
		b.WriteByte(']')
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		b.WriteByte('{')
		for i, k := range keys {
			if i > 0 {
				b.WriteByte(',')
			}
			q, _ := json.Marshal(k)
			b.Write(q)
			b.WriteByte(':')
			writeJSON(b, x[k], depth+1)
		}
		b.WriteByte('}')
	default:
		b.WriteString("null")
	}
}

// fromJSON converts a decoded encoding/json value to cells: numbers become
// int64 when integral, float64 otherwise.
func fromJSON(v any) any {
	switch x := v.(type) {
	case json.Number:
		if i, err := x.Int64(); err == nil {
			return i
		}
		f, err := x.Float64()
		if err != nil {
			return nil
		}
		return f
	case []any:
		for i := range x {
			x[i] = fromJSON(x[i])
		}
		return x
	case map[string]any:
		for k := range x {
			x[k] = fromJSON(x[k])
		}
		return x
	}
	return v
}

// parseJSON is KQL parse_json(): a string holding JSON becomes a dynamic
// value; a string that is not JSON stays a string.
func parseJSON(v any) any {
	s, ok := v.(string)
	if !ok {
		return v
	}
	t := strings.TrimSpace(s)
	if t == "" {
		return nil
	}
	dec := json.NewDecoder(strings.NewReader(t))
	dec.UseNumber()
	var out any
	if err := dec.Decode(&out); err != nil || dec.More() {
		return s
	}
	return fromJSON(out)
}

func toLong(v any) (any, bool) {
	switch x := v.(type) {
	case int64:
		return x, true
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return nil, false
		}
		return int64(x), true
	case bool:
		if x {
			return int64(1), true
		}
		return int64(0), true
	case string:
		s := strings.TrimSpace(x)
		if i, err := strconv.ParseInt(s, 10, 64); err == nil {
			return i, true
		}
		if strings.HasPrefix(s, "0x") || strings.HasPrefix(s, "0X") {
			if i, err := strconv.ParseInt(s[2:], 16, 64); err == nil {
				return i, true
			}
		}
		if f, err := strconv.ParseFloat(s, 64); err == nil && !math.IsInf(f, 0) && !math.IsNaN(f) {
			return int64(f), true
		}
	case time.Duration:
		return int64(x / 100), true
	case time.Time:
		return x.UnixNano()/100 + 621355968000000000, true
	}
	return nil, false
}

func toReal(v any) (any, bool) {
	switch x := v.(type) {
	case int64:
		return float64(x), true
	case float64:
		return x, true
	case bool:
		if x {
			return 1.0, true
		}
		return 0.0, true
	case string:
		if f, err := strconv.ParseFloat(strings.TrimSpace(x), 64); err == nil {
			return f, true
		}
	case time.Duration:
		return float64(x / 100), true
	}
	return nil, false
}

var timeLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05.9999999",
	"2006-01-02 15:04:05.9999999Z07:00",
	"2006-01-02 15:04:05.9999999",
	"2006-01-02T15:04",
	"2006-01-02 15:04",
	"2006-01-02",
	"2006/01/02 15:04:05",
	"2006/01/02",
	"01/02/2006 15:04:05",
	"01/02/2006",
	"Mon, 02 Jan 2006 15:04:05 MST",
	time.RFC1123Z,
}

func toDateTime(v any) (any, bool) {
	switch x := v.(type) {
	case time.Time:
		return x, true
	case string:
		s := strings.TrimSpace(x)
		for _, l := range timeLayouts {
			if t, err := time.Parse(l, s); err == nil {
				return t.UTC(), true
			}
		}
	case int64:
		// ticks since 0001-01-01
		return time.Unix(0, 0).UTC().Add(time.Duration(x-621355968000000000) * 100), true
	}
	return nil, false
}

func toTimeSpan(v any) (any, bool) {
	switch x := v.(type) {
	case time.Duration:
		return x, true
	case int64:
		return time.Duration(x) * 100, true
	case float64:
		return time.Duration(x * 100), true
	case string:
		return parseSpanText(x)
	}
	return nil, false
}

// parseClockSpan parses [-][d.]hh:mm[:ss[.fffffff]].
func parseClockSpan(s string) (time.Duration, bool) {
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var days int64
	parts := strings.Split(s, ":")
	if len(parts) < 2 || len(parts) > 3 {
		return 0, false
	}
	if i := strings.IndexByte(parts[0], '.'); i >= 0 {
		d, err := strconv.ParseInt(parts[0][:i], 10, 64)
		if err != nil {
			return 0, false
		}
		days = d
		parts[0] = parts[0][i+1:]
	}
	h, err1 := strconv.ParseInt(parts[0], 10, 64)
	m, err2 := strconv.ParseInt(parts[1], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, false
	}
	var sec float64
	if len(parts) == 3 {
		f, err := strconv.ParseFloat(parts[2], 64)
		if err != nil {
			return 0, false
		}
		sec = f
	}
	d := time.Duration(days)*24*time.Hour + time.Duration(h)*time.Hour + time.Duration(m)*time.Minute + time.Duration(sec*float64(time.Second))
	if neg {
		d = -d
	}
	return d, true
}

func durationFromDays(n float64) time.Duration {
	return time.Duration(n * float64(24*time.Hour))
}

func toBool(v any) (bool, bool) {
	switch x := v.(type) {
	case bool:
		return x, true
	case int64:
		return x != 0, true
	case string:
		switch strings.ToLower(x) {
		case "true":
			return true, true
		case "false":
			return false, true
		}
	}
	return false, false
}

// num returns a numeric cell as float64, and whether it was one.
func num(v any) (float64, bool) {
	switch x := v.(type) {
	case int64:
		return float64(x), true
	case float64:
		return x, true
	}
	return 0, false
}

// compareCells orders two cells of compatible types. ok is false when the
// values are null or not comparable.
func compareCells(a, b any) (int, bool) {
	switch x := a.(type) {
	case nil:
		return 0, false
	case string:
		if y, ok := b.(string); ok {
			return strings.Compare(x, y), true
		}
		if _, ok := num(b); ok {
			if f, ok := toReal(x); ok {
				return cmpFloat(f.(float64), mustNum(b)), true
			}
		}
		if y, ok := b.(time.Time); ok {
			if t, ok := toDateTime(x); ok {
				return t.(time.Time).Compare(y), true
			}
		}
		if b == nil {
			return 0, false
		}
		return strings.Compare(x, toStr(b)), true
	case int64:
		switch y := b.(type) {
		case int64:
			switch {
			case x < y:
				return -1, true
			case x > y:
				return 1, true
			}
			return 0, true
		case float64:
			return cmpFloat(float64(x), y), true
		case string:
			if f, ok := toReal(y); ok {
				return cmpFloat(float64(x), f.(float64)), true
			}
		case bool:
			return compareCells(x != 0, y)
		}
	case float64:
		if y, ok := num(b); ok {
			return cmpFloat(x, y), true
		}
		if y, ok := b.(string); ok {
			if f, ok := toReal(y); ok {
				return cmpFloat(x, f.(float64)), true
			}
		}
	case time.Time:
		switch y := b.(type) {
		case time.Time:
			return x.Compare(y), true
		case string:
			if t, ok := toDateTime(y); ok {
				return x.Compare(t.(time.Time)), true
			}
		}
	case time.Duration:
		if y, ok := b.(time.Duration); ok {
			switch {
			case x < y:
				return -1, true
			case x > y:
				return 1, true
			}
			return 0, true
		}
	case bool:
		switch y := b.(type) {
		case bool:
			switch {
			case x == y:
				return 0, true
			case !x:
				return -1, true
			}
			return 1, true
		case int64:
			return compareCells(x, y != 0)
		case string:
			if bv, ok := toBool(y); ok {
				return compareCells(x, bv)
			}
		}
	case []any, map[string]any:
		if b == nil {
			return 0, false
		}
		return strings.Compare(toStr(a), toStr(b)), true
	}
	return 0, false
}

func mustNum(v any) float64 {
	f, _ := num(v)
	return f
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// equalCells is KQL ==: bool(null) when both sides are null, false when
// exactly one is (Kusto "Null values": equality of a null and a non-null
// value is false), else the comparison.
func equalCells(a, b any) any {
	if a == nil || b == nil {
		if a == nil && b == nil {
			return nil
		}
		return false
	}
	c, ok := compareCells(a, b)
	if !ok {
		return false
	}
	return c == 0
}

// typeOf returns the KQL type of a cell.
func typeOf(v any) value.Type {
	switch v.(type) {
	case string:
		return value.String
	case int64:
		return value.Long
	case float64:
		return value.Real
	case bool:
		return value.Bool
	case time.Time:
		return value.DateTime
	case time.Duration:
		return value.TimeSpan
	}
	return value.Dynamic
}

// convertTo converts a cell to the given column type, nil when impossible
// ("" for string).
func convertTo(v any, t value.Type) any {
	if v == nil {
		if t == value.String {
			return ""
		}
		return nil
	}
	var out any
	var ok bool
	switch t {
	case value.String, value.GUID:
		return toStr(v)
	case value.Long, value.Int:
		out, ok = toLong(v)
	case value.Real:
		out, ok = toReal(v)
	case value.Bool:
		var b bool
		b, ok = toBool(v)
		out = b
	case value.DateTime:
		out, ok = toDateTime(v)
	case value.TimeSpan:
		out, ok = toTimeSpan(v)
	default:
		return v
	}
	if !ok {
		return nil
	}
	return out
}

// keyOf appends an encoding of v that distinguishes values and types, for
// grouping and joining.
func keyOf(b []byte, v any) []byte {
	switch x := v.(type) {
	case nil:
		return append(b, 'n', 0)
	case string:
		b = append(b, 's')
		b = append(b, x...)
		return append(b, 0)
	case int64:
		b = append(b, 'i')
		b = strconv.AppendInt(b, x, 10)
		return append(b, 0)
	case float64:
		if x == math.Trunc(x) && math.Abs(x) < 1e18 {
			b = append(b, 'i')
			b = strconv.AppendInt(b, int64(x), 10)
			return append(b, 0)
		}
		b = append(b, 'f')
		b = strconv.AppendFloat(b, x, 'g', -1, 64)
		return append(b, 0)
	case bool:
		if x {
			return append(b, 'b', '1', 0)
		}
		return append(b, 'b', '0', 0)
	case time.Time:
		b = append(b, 't')
		b = strconv.AppendInt(b, x.UnixNano(), 10)
		return append(b, 0)
	case time.Duration:
		b = append(b, 'd')
		b = strconv.AppendInt(b, int64(x), 10)
		return append(b, 0)
	}
	b = append(b, 'j')
	b = append(b, toStr(v)...)
	return append(b, 0)
}

// FormatValue renders a cell as KQL's tostring() does: null is "",
// datetimes are ISO 8601 UTC with 100 ns precision, timespans are
// [-][d.]hh:mm:ss[.fffffff], dynamic values are JSON.
func FormatValue(v any) string { return toStr(v) }
