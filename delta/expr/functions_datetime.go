package expr

import (
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/scalar"
)

var dateType = arrow.FixedWidthTypes.Date32

// constantPattern reads a constant date/time pattern argument.
func (c *compiler) constantPattern(n *node, a *cnode) ([]dtPiece, error) {
	if a.konst == nil || !isString(a.typ) {
		return nil, compileErr(n, ErrType, "the format of %s must be a constant string", n.op)
	}
	if !a.konst.IsValid() {
		return nil, nil
	}
	ps, err := compileDatePattern(string(a.konst.(*scalar.String).Data()))
	if err != nil {
		return nil, compileErr(n, ErrType, "%s: %v", n.op, err)
	}
	return ps, nil
}

func (c *compiler) parseWithPattern(n *node, args []*cnode, out arrow.DataType) (*cnode, error) {
	if err := c.expectString(n, 0, args); err != nil {
		return nil, err
	}
	ps, err := c.constantPattern(n, args[1])
	if err != nil {
		return nil, err
	}
	if ps == nil {
		return constNode(scalar.MakeNullScalar(out), n), nil
	}
	loc := c.opts.TimeZone
	ntz := isNTZ(out)
	return c.mapRows(n, args[:1], out, false, func(xs []cell) (cell, rowStatus) {
		p, ok := parseDatePattern(xs[0].s, ps)
		if !ok {
			return cell{}, rowNull // unparsable text is NULL in non-ANSI mode
		}
		if isDate(out) {
			return cell{k: cDate, i: int64(daysFromCivil(p.year, p.month, p.day))}, rowOK
		}
		z := loc
		if ntz {
			z = time.UTC
		} else if p.zone != nil {
			z = p.zone
		}
		t := time.Date(p.year, time.Month(p.month), p.day, p.hour, p.minute, p.second, 0, z)
		return cell{k: cTs, i: t.Unix()*microsPerSecond + int64(p.micros)}, rowOK
	}), nil
}

func buildToDate(c *compiler, n *node, args []*cnode) (*cnode, error) {
	if len(args) == 1 {
		if !canCast(args[0].typ, dateType) {
			return nil, compileErr(n, ErrType, "to_date does not accept %s", sparkTypeName(args[0].typ))
		}
		return c.castNode(args[0], dateType, castLegacy, n)
	}
	return c.parseWithPattern(n, args, dateType)
}

func buildToTimestamp(c *compiler, n *node, args []*cnode) (*cnode, error) {
	if len(args) == 1 {
		if !canCast(args[0].typ, typeTimestamp) {
			return nil, compileErr(n, ErrType, "to_timestamp does not accept %s", sparkTypeName(args[0].typ))
		}
		return c.castNode(args[0], typeTimestamp, castLegacy, n)
	}
	return c.parseWithPattern(n, args, typeTimestamp)
}

// timestampArg accepts TIMESTAMP[_NTZ] and casts DATE/STRING to TIMESTAMP.
func (c *compiler) timestampArg(n *node, i int, args []*cnode) error {
	if isTimestamp(args[i].typ) {
		return nil
	}
	return c.expect(n, i, args, typeTimestamp)
}

func buildDateFormat(c *compiler, n *node, args []*cnode) (*cnode, error) {
	if err := c.timestampArg(n, 0, args); err != nil {
		return nil, err
	}
	ps, err := c.constantPattern(n, args[1])
	if err != nil {
		return nil, err
	}
	if ps == nil {
		return constNode(scalar.MakeNullScalar(stringType), n), nil
	}
	loc := c.opts.TimeZone
	if isNTZ(args[0].typ) {
		loc = time.UTC
	}
	return c.mapRows(n, args[:1], stringType, false, func(xs []cell) (cell, rowStatus) {
		t := time.UnixMicro(xs[0].i).In(loc)
		return cell{k: cStr, s: formatDatePattern(t, int(floorMod(xs[0].i, microsPerSecond)), ps)}, rowOK
	}), nil
}

func floorMod(a, b int64) int64 { return a - floorDiv(a, b)*b }

func buildDatePart(part string) func(c *compiler, n *node, args []*cnode) (*cnode, error) {
	return func(c *compiler, n *node, args []*cnode) (*cnode, error) {
		dateLevel := part == "year" || part == "month" || part == "day"
		if dateLevel {
			if !isDate(args[0].typ) {
				if err := c.expect(n, 0, args, dateType); err != nil {
					return nil, err
				}
			}
		} else if err := c.timestampArg(n, 0, args); err != nil {
			return nil, err
		}
		loc := c.opts.TimeZone
		if isNTZ(args[0].typ) {
			loc = time.UTC
		}
		return c.mapRows(n, args, arrow.PrimitiveTypes.Int32, false, func(xs []cell) (cell, rowStatus) {
			var t time.Time
			if xs[0].k == cDate {
				t = time.Unix(xs[0].i*86400, 0).UTC()
			} else {
				t = time.UnixMicro(xs[0].i).In(loc)
			}
			var v int
			switch part {
			case "year":
				v = t.Year()
			case "month":
				v = int(t.Month())
			case "day":
				v = t.Day()
			case "hour":
				v = t.Hour()
			case "minute":
				v = t.Minute()
			case "second":
				v = t.Second()
			}
			return cell{k: cInt, i: int64(v)}, rowOK
		}), nil
	}
}

// truncateTime is Spark's date_trunc on the local calendar of loc.
func truncateTime(us int64, unit string, loc *time.Location) (int64, bool) {
	t := time.UnixMicro(us).In(loc)
	y, m, d := t.Date()
	var r time.Time
	switch unit {
	case "year", "yyyy", "yy":
		r = time.Date(y, 1, 1, 0, 0, 0, 0, loc)
	case "quarter":
		r = time.Date(y, time.Month((int(m)-1)/3*3+1), 1, 0, 0, 0, 0, loc)
	case "month", "mm", "mon":
		r = time.Date(y, m, 1, 0, 0, 0, 0, loc)
	case "week":
		off := (int(t.Weekday()) + 6) % 7 // weeks start on Monday
		r = time.Date(y, m, d-off, 0, 0, 0, 0, loc)
	case "day", "dd":
		r = time.Date(y, m, d, 0, 0, 0, 0, loc)
	case "hour":
		r = time.Date(y, m, d, t.Hour(), 0, 0, 0, loc)
	case "minute":
		r = time.Date(y, m, d, t.Hour(), t.Minute(), 0, 0, loc)
	case "second":
		return floorDiv(us, microsPerSecond) * microsPerSecond, true
	case "millisecond":
		return floorDiv(us, 1000) * 1000, true
	case "microsecond":
		return us, true
	default:
		return 0, false
	}
	return r.UnixMicro(), true
}

func buildDateTrunc(c *compiler, n *node, args []*cnode) (*cnode, error) {
	if err := c.expectString(n, 0, args); err != nil {
		return nil, err
	}
	if err := c.timestampArg(n, 1, args); err != nil {
		return nil, err
	}
	loc := c.opts.TimeZone
	if isNTZ(args[1].typ) {
		loc = time.UTC
	}
	return c.mapRows(n, args, args[1].typ, false, func(xs []cell) (cell, rowStatus) {
		v, ok := truncateTime(xs[1].i, strings.ToLower(xs[0].s), loc)
		if !ok {
			return cell{}, rowNull // an unknown unit gives NULL
		}
		return cell{k: cTs, i: v}, rowOK
	}), nil
}

func buildDateDiff(c *compiler, n *node, args []*cnode) (*cnode, error) {
	for i := range args {
		if err := c.expect(n, i, args, dateType); err != nil {
			return nil, err
		}
	}
	return c.mapRows(n, args, arrow.PrimitiveTypes.Int32, false, func(xs []cell) (cell, rowStatus) {
		return cell{k: cInt, i: xs[0].i - xs[1].i}, rowOK
	}), nil
}

// current_date and current_timestamp are fixed once per Program (Spark
// fixes them per query) from CompileOptions.Now.
func buildCurrentDate(c *compiler, n *node, _ []*cnode) (*cnode, error) {
	t := c.now.In(c.opts.TimeZone)
	return constNode(scalar.NewDate32Scalar(arrow.Date32(daysFromCivil(t.Year(), int(t.Month()), t.Day()))), n), nil
}

func buildCurrentTimestamp(c *compiler, n *node, _ []*cnode) (*cnode, error) {
	return constNode(scalar.NewTimestampScalar(arrow.Timestamp(c.now.UnixMicro()), typeTimestamp), n), nil
}
