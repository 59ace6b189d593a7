package expr

import (
	"strconv"
	"strings"
	"time"
)

const (
	microsPerSecond = int64(1_000_000)
	microsPerDay    = 86_400 * microsPerSecond
)

// dateParts holds the pieces of a Spark date/timestamp string.
type dateParts struct {
	year, month, day     int
	hour, minute, second int
	micros               int
	zone                 *time.Location // nil when the text names no zone
	hasTime              bool
}

func atoiDigits(s string, min, max int) (int, bool) {
	if len(s) < min || len(s) > max {
		return 0, false
	}
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return 0, false
		}
	}
	v, err := strconv.Atoi(s)
	return v, err == nil
}

// parseDateTimeText follows Spark's stringToTimestamp/stringToDate
// grammar: yyyy[-[m]m[-[d]d]][( |T)[h]h:[m]m[:[s]s[.ffffff]][zone]].
// When dateOnly is set, anything after a space or 'T' following the day is
// ignored, as Spark's CAST(string AS DATE) does.
func parseDateTimeText(s string, dateOnly bool) (dateParts, bool) {
	s = strings.TrimSpace(s)
	p := dateParts{month: 1, day: 1}
	if s == "" {
		return p, false
	}
	sign := 1
	if s[0] == '-' || s[0] == '+' {
		if s[0] == '-' {
			sign = -1
		}
		s = s[1:]
	}
	datePart, rest := s, ""
	sepT := false
	if i := strings.IndexAny(s, " T"); i >= 0 {
		datePart, rest, sepT = s[:i], s[i+1:], s[i] == 'T'
	}
	if sepT && !dateOnly && strings.TrimSpace(rest) == "" {
		return p, false // a 'T' must be followed by a time
	}
	fields := strings.Split(datePart, "-")
	if len(fields) > 3 {
		return p, false
	}
	var ok bool
	if p.year, ok = atoiDigits(fields[0], 4, 7); !ok {
		return p, false
	}
	p.year *= sign
	if len(fields) > 1 {
		if p.month, ok = atoiDigits(fields[1], 1, 2); !ok {
			return p, false
		}
	}
	if len(fields) > 2 {
		if p.day, ok = atoiDigits(fields[2], 1, 2); !ok {
			return p, false
		}
	}
	if p.month < 1 || p.month > 12 || p.day < 1 || p.day > daysIn(p.year, p.month) {
		return p, false
	}
	if dateOnly || strings.TrimSpace(rest) == "" {
		// Spark accepts a trailing separator with no time part.
		return p, len(fields) == 3 || strings.TrimSpace(rest) == ""
	}
	if len(fields) != 3 {
		return p, false
	}
	p.hasTime = true
	// split off the zone: the first of Z, +, -, space or a letter after the time
	timeEnd := len(rest)
	for i := 0; i < len(rest); i++ {
		c := rest[i]
		if c == 'Z' || c == '+' || c == '-' || c == ' ' || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') {
			timeEnd = i
			break
		}
	}
	timeText, zoneText := rest[:timeEnd], strings.TrimSpace(rest[timeEnd:])
	hms, frac, hasFrac := strings.Cut(timeText, ".")
	tf := strings.Split(hms, ":")
	if len(tf) < 2 || len(tf) > 3 {
		return p, false
	}
	if p.hour, ok = atoiDigits(tf[0], 1, 2); !ok || p.hour > 23 {
		return p, false
	}
	if p.minute, ok = atoiDigits(tf[1], 1, 2); !ok || p.minute > 59 {
		return p, false
	}
	if len(tf) == 3 {
		if p.second, ok = atoiDigits(tf[2], 1, 2); !ok || p.second > 59 {
			return p, false
		}
	}
	if hasFrac {
		if len(frac) > 9 || (len(frac) > 0 && len(tf) != 3) {
			return p, false
		}
		if len(frac) > 6 {
			frac = frac[:6] // Spark keeps microseconds and drops the rest
		}
		if frac != "" {
			v, ok := atoiDigits(frac, 1, 6)
			if !ok {
				return p, false
			}
			for i := len(frac); i < 6; i++ {
				v *= 10
			}
			p.micros = v
		}
	}
	if zoneText != "" {
		loc, ok := parseZone(zoneText)
		if !ok {
			return p, false
		}
		p.zone = loc
	}
	return p, true
}

func daysIn(year, month int) int {
	return time.Date(year, time.Month(month)+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// parseZone understands Z, UTC/GMT/UT with optional offset, ±h[h][:mm],
// ±hhmm, and IANA region names.
func parseZone(z string) (*time.Location, bool) {
	if z == "" {
		return nil, false // the pattern wants a zone the text does not have
	}
	up := strings.ToUpper(z)
	for _, prefix := range []string{"UTC", "GMT", "UT"} {
		if strings.HasPrefix(up, prefix) {
			rest := z[len(prefix):]
			if rest == "" {
				return time.UTC, true
			}
			if rest[0] == '+' || rest[0] == '-' {
				return parseOffset(rest)
			}
		}
	}
	if up == "Z" {
		return time.UTC, true
	}
	if z[0] == '+' || z[0] == '-' {
		return parseOffset(z)
	}
	loc, err := time.LoadLocation(z)
	if err != nil {
		return nil, false
	}
	return loc, true
}

func parseOffset(z string) (*time.Location, bool) {
	sign := 1
	if z[0] == '-' {
		sign = -1
	}
	body := z[1:]
	var h, m int
	var ok bool
	switch {
	case strings.Contains(body, ":"):
		hs, ms, _ := strings.Cut(body, ":")
		if h, ok = atoiDigits(hs, 1, 2); !ok {
			return nil, false
		}
		if m, ok = atoiDigits(ms, 2, 2); !ok {
			return nil, false
		}
	case len(body) == 4:
		if h, ok = atoiDigits(body[:2], 2, 2); !ok {
			return nil, false
		}
		if m, ok = atoiDigits(body[2:], 2, 2); !ok {
			return nil, false
		}
	default:
		if h, ok = atoiDigits(body, 1, 2); !ok {
			return nil, false
		}
	}
	if h > 18 || m > 59 {
		return nil, false
	}
	return time.FixedZone("", sign*(h*3600+m*60)), true
}

// parseDate returns days since the epoch for Spark date text.
func parseDate(s string) (int32, bool) {
	p, ok := parseDateTimeText(s, true)
	if !ok {
		return 0, false
	}
	return daysFromCivil(p.year, p.month, p.day), true
}

// parseTimestamp returns µs since the epoch; text without a zone is read in
// loc (Spark's session time zone).
func parseTimestamp(s string, loc *time.Location) (int64, bool) {
	p, ok := parseDateTimeText(s, false)
	if !ok {
		return 0, false
	}
	if p.zone != nil {
		loc = p.zone
	}
	t := time.Date(p.year, time.Month(p.month), p.day, p.hour, p.minute, p.second, 0, loc)
	return t.Unix()*microsPerSecond + int64(p.micros), true
}

// parseTimestampNTZ returns wall-clock µs, ignoring any zone in the text.
func parseTimestampNTZ(s string) (int64, bool) {
	p, ok := parseDateTimeText(s, false)
	if !ok {
		return 0, false
	}
	t := time.Date(p.year, time.Month(p.month), p.day, p.hour, p.minute, p.second, 0, time.UTC)
	return t.Unix()*microsPerSecond + int64(p.micros), true
}

func daysFromCivil(y, m, d int) int32 {
	return int32(time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC).Unix() / 86400)
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

// formatTimestamp renders µs in loc the way Spark casts a timestamp to
// string: fractional seconds without trailing zeros.
func formatTimestamp(us int64, loc *time.Location) string {
	t := time.Unix(floorDiv(us, microsPerSecond), (us-floorDiv(us, microsPerSecond)*microsPerSecond)*1000).In(loc)
	s := t.Format("2006-01-02 15:04:05")
	if frac := t.Nanosecond() / 1000; frac != 0 {
		f := strings.TrimRight(strconv.Itoa(1_000_000 + frac)[1:], "0")
		s += "." + f
	}
	return s
}

// intervalUnitMicros maps day-time units to microseconds.
var intervalUnitMicros = map[string]int64{
	"hour": 3600 * microsPerSecond, "minute": 60 * microsPerSecond, "second": microsPerSecond,
	"millisecond": 1000, "microsecond": 1,
}

// addIntervalUnit adds value×unit to the interval pieces; value may carry
// a fraction for seconds.
func addIntervalUnit(l *literal, value string, unit string) bool {
	unit = strings.TrimSuffix(strings.ToLower(unit), "s")
	neg := strings.HasPrefix(value, "-")
	v := strings.TrimLeft(value, "+-")
	sign := int64(1)
	if neg {
		sign = -1
	}
	switch unit {
	case "year", "month", "week", "day":
		n, err := strconv.ParseInt(v, 10, 32)
		if err != nil {
			return false
		}
		n *= sign
		switch unit {
		case "year":
			l.months += int32(n * 12)
		case "month":
			l.months += int32(n)
		case "week":
			l.days += int32(n * 7)
		case "day":
			l.days += int32(n)
		}
		return true
	}
	mult, ok := intervalUnitMicros[unit]
	if !ok {
		return false
	}
	whole, frac, _ := strings.Cut(v, ".")
	w, err := strconv.ParseInt(whole, 10, 64)
	if err != nil {
		return false
	}
	us := w * mult
	if frac != "" {
		if unit != "second" || len(frac) > 9 {
			return false
		}
		f := frac
		for len(f) < 6 {
			f += "0"
		}
		fv, err := strconv.ParseInt(f[:6], 10, 64)
		if err != nil {
			return false
		}
		us += fv
	}
	l.i += sign * us
	return true
}

// parseIntervalString reads Spark's multi-unit interval text, e.g.
// "1 day 2 hours" or "-3 months 4 microseconds".
func parseIntervalString(s string) (literal, bool) {
	l := literal{kind: litInterval}
	f := strings.Fields(strings.ToLower(s))
	if len(f) > 0 && f[0] == "interval" {
		f = f[1:]
	}
	if len(f) == 0 || len(f)%2 != 0 {
		return l, false
	}
	for i := 0; i < len(f); i += 2 {
		if !addIntervalUnit(&l, f[i], f[i+1]) {
			return l, false
		}
	}
	return l, true
}

// intervalText prints an interval in the multi-unit form that
// parseIntervalString reads back.
func intervalText(l literal) string {
	var parts []string
	if l.months != 0 {
		parts = append(parts, strconv.Itoa(int(l.months))+" months")
	}
	if l.days != 0 {
		parts = append(parts, strconv.Itoa(int(l.days))+" days")
	}
	if l.i != 0 || len(parts) == 0 {
		parts = append(parts, strconv.FormatInt(l.i, 10)+" microseconds")
	}
	return strings.Join(parts, " ")
}
