package expr

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// A Java DateTimeFormatter pattern (as Spark uses) compiled to pieces.
type dtPiece struct {
	letter  byte   // 0 for literal text
	count   int    // repetition of the letter
	literal string // text when letter == 0
}

func compileDatePattern(p string) ([]dtPiece, error) {
	var out []dtPiece
	for i := 0; i < len(p); {
		c := p[i]
		switch {
		case c == '\'':
			j := i + 1
			var lit strings.Builder
			for {
				if j >= len(p) {
					return nil, fmt.Errorf("unterminated quote in pattern %q", p)
				}
				if p[j] == '\'' {
					if j+1 < len(p) && p[j+1] == '\'' {
						lit.WriteByte('\'')
						j += 2
						continue
					}
					break
				}
				lit.WriteByte(p[j])
				j++
			}
			if j == i+1 {
				lit.WriteByte('\'') // '' is a quote
			}
			out = append(out, dtPiece{literal: lit.String()})
			i = j + 1
		case c == 'T':
			// Spark prints and matches a bare T literally (ISO-8601 style).
			out = append(out, dtPiece{literal: "T"})
			i++
		case (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'):
			j := i
			for j < len(p) && p[j] == c {
				j++
			}
			if !strings.ContainsRune("yuMLdDHhmsSaEXxZzk", rune(c)) {
				return nil, fmt.Errorf("unsupported pattern letter %q in %q", c, p)
			}
			out = append(out, dtPiece{letter: c, count: j - i})
			i = j
		default:
			out = append(out, dtPiece{literal: string(c)})
			i++
		}
	}
	return out, nil
}

func pad(v, width int) string {
	s := strconv.Itoa(v)
	neg := v < 0
	if neg {
		s = s[1:]
	}
	for len(s) < width {
		s = "0" + s
	}
	if neg {
		s = "-" + s
	}
	return s
}

// formatDatePattern renders t (already in the session zone) with pieces.
func formatDatePattern(t time.Time, micros int, ps []dtPiece) string {
	var b strings.Builder
	for _, p := range ps {
		if p.letter == 0 {
			b.WriteString(p.literal)
			continue
		}
		switch p.letter {
		case 'y', 'u':
			if p.count == 2 {
				b.WriteString(pad(t.Year()%100, 2))
			} else {
				b.WriteString(pad(t.Year(), p.count))
			}
		case 'M', 'L':
			switch {
			case p.count >= 4:
				b.WriteString(t.Month().String())
			case p.count == 3:
				b.WriteString(t.Month().String()[:3])
			default:
				b.WriteString(pad(int(t.Month()), p.count))
			}
		case 'd':
			b.WriteString(pad(t.Day(), p.count))
		case 'D':
			b.WriteString(pad(t.YearDay(), p.count))
		case 'H':
			b.WriteString(pad(t.Hour(), p.count))
		case 'k':
			h := t.Hour()
			if h == 0 {
				h = 24
			}
			b.WriteString(pad(h, p.count))
		case 'h':
			h := t.Hour() % 12
			if h == 0 {
				h = 12
			}
			b.WriteString(pad(h, p.count))
		case 'm':
			b.WriteString(pad(t.Minute(), p.count))
		case 's':
			b.WriteString(pad(t.Second(), p.count))
		case 'S':
			f := pad(micros, 6) + "000"
			if p.count <= 9 {
				b.WriteString(f[:p.count])
			} else {
				b.WriteString(f)
			}
		case 'a':
			if t.Hour() < 12 {
				b.WriteString("AM")
			} else {
				b.WriteString("PM")
			}
		case 'E':
			if p.count >= 4 {
				b.WriteString(t.Weekday().String())
			} else {
				b.WriteString(t.Weekday().String()[:3])
			}
		case 'X', 'x', 'Z':
			_, off := t.Zone()
			if off == 0 && p.letter == 'X' {
				b.WriteString("Z")
				continue
			}
			sign := "+"
			if off < 0 {
				sign, off = "-", -off
			}
			hh, mm := off/3600, off%3600/60
			switch {
			case p.count == 1 && p.letter != 'Z':
				b.WriteString(sign + pad(hh, 2))
				if mm != 0 {
					b.WriteString(pad(mm, 2))
				}
			case p.count == 2 || p.letter == 'Z' && p.count <= 3:
				b.WriteString(sign + pad(hh, 2) + pad(mm, 2))
			default:
				b.WriteString(sign + pad(hh, 2) + ":" + pad(mm, 2))
			}
		case 'z':
			name, _ := t.Zone()
			b.WriteString(name)
		}
	}
	return b.String()
}

// parseDatePattern reads text with pieces; the result is wall-clock fields
// and an optional zone. Parsing is strict, as Spark's CORRECTED parser is.
func parseDatePattern(s string, ps []dtPiece) (dateParts, bool) {
	p := dateParts{year: 1970, month: 1, day: 1}
	pm, hasAmPm, hour12 := false, false, -1
	i := 0
	num := func(minW, maxW int) (int, bool) {
		j := i
		neg := false
		if j < len(s) && (s[j] == '-' || s[j] == '+') && maxW > 4 {
			neg = s[j] == '-'
			j++
		}
		start := j
		for j < len(s) && j-start < maxW && isDigit(s[j]) {
			j++
		}
		if j-start < minW {
			return 0, false
		}
		v, err := strconv.Atoi(s[start:j])
		if err != nil {
			return 0, false
		}
		i = j
		if neg {
			v = -v
		}
		return v, true
	}
	for k, pc := range ps {
		if pc.letter == 0 {
			if !strings.HasPrefix(s[i:], pc.literal) {
				return p, false
			}
			i += len(pc.literal)
			continue
		}
		// A field directly followed by another numeric field has fixed width.
		maxW := 10
		if k+1 < len(ps) && ps[k+1].letter != 0 {
			maxW = pc.count
		}
		var ok bool
		switch pc.letter {
		case 'y', 'u':
			if pc.count == 2 {
				var v int
				if v, ok = num(2, 2); ok {
					p.year = 2000 + v
				}
			} else {
				p.year, ok = num(max(pc.count, 1), max(maxW, 4))
			}
		case 'M', 'L':
			if pc.count >= 3 {
				ok = false
				for m := time.January; m <= time.December; m++ {
					name := m.String()
					if pc.count == 3 {
						name = name[:3]
					}
					if len(s)-i >= len(name) && strings.EqualFold(s[i:i+len(name)], name) {
						p.month, ok = int(m), true
						i += len(name)
						break
					}
				}
			} else {
				p.month, ok = num(pc.count, max(pc.count, min(maxW, 2)))
			}
		case 'd':
			p.day, ok = num(pc.count, max(pc.count, min(maxW, 2)))
		case 'H', 'k':
			p.hour, ok = num(pc.count, max(pc.count, min(maxW, 2)))
			if pc.letter == 'k' && p.hour == 24 {
				p.hour = 0
			}
		case 'h':
			hour12, ok = num(pc.count, max(pc.count, min(maxW, 2)))
		case 'm':
			p.minute, ok = num(pc.count, max(pc.count, min(maxW, 2)))
		case 's':
			p.second, ok = num(pc.count, max(pc.count, min(maxW, 2)))
		case 'S':
			start := i
			var v int
			if v, ok = num(1, pc.count); ok {
				digits := i - start
				for d := digits; d < 6; d++ {
					v *= 10
				}
				for d := digits; d > 6; d-- {
					v /= 10
				}
				p.micros = v
			}
		case 'a':
			switch {
			case strings.HasPrefix(strings.ToUpper(s[i:]), "AM"):
				ok, hasAmPm = true, true
			case strings.HasPrefix(strings.ToUpper(s[i:]), "PM"):
				ok, hasAmPm, pm = true, true, true
			}
			i += 2
		case 'E':
			ok = false
			for d := time.Sunday; d <= time.Saturday; d++ {
				name := d.String()
				if pc.count < 4 {
					name = name[:3]
				}
				if len(s)-i >= len(name) && strings.EqualFold(s[i:i+len(name)], name) {
					ok = true
					i += len(name)
					break
				}
			}
		case 'X', 'x', 'Z', 'z':
			j := i
			for j < len(s) && s[j] != ' ' {
				j++
			}
			p.zone, ok = parseZone(s[i:j])
			i = j
		}
		if !ok {
			return p, false
		}
	}
	if i != len(s) {
		return p, false
	}
	if hour12 >= 0 {
		if hour12 < 1 || hour12 > 12 {
			return p, false
		}
		p.hour = hour12 % 12
		if pm {
			p.hour += 12
		}
	} else if hasAmPm && pm && p.hour < 12 {
		p.hour += 12
	}
	if p.month < 1 || p.month > 12 || p.day < 1 || p.day > daysIn(p.year, p.month) || p.hour > 23 || p.minute > 59 || p.second > 59 {
		return p, false
	}
	p.hasTime = true
	return p, true
}
