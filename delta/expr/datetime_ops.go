package expr

import (
	"math"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/scalar"
)

// datetimeArithmetic handles date ± days and date/timestamp ± interval.
// ok is false when neither operand is temporal.
func (c *compiler) datetimeArithmetic(n *node, l, r *cnode) (*cnode, bool, error) {
	lt, rt := l.typ, r.typ
	temporal := func(t arrow.DataType) bool {
		return isDate(t) || isTimestamp(t) || t.ID() == arrow.INTERVAL_MONTH_DAY_NANO
	}
	if !temporal(lt) && !temporal(rt) {
		return nil, false, nil
	}
	bad := compileErr(n, ErrType, "operator %s does not accept %s and %s", n.op, sparkTypeName(lt), sparkTypeName(rt))
	isIv := func(t arrow.DataType) bool { return t.ID() == arrow.INTERVAL_MONTH_DAY_NANO }
	switch {
	case n.op == "+" && isDate(lt) && (isIntegral(rt) || isNull(rt)):
		cn, err := c.call(&node{kind: kCall, pos: n.pos, op: "date_add", args: n.args})
		return cn, true, err
	case n.op == "+" && (isIntegral(lt) || isNull(lt)) && isDate(rt):
		cn, err := c.call(&node{kind: kCall, pos: n.pos, op: "date_add", args: []*node{n.args[1], n.args[0]}})
		return cn, true, err
	case n.op == "-" && isDate(lt) && (isIntegral(rt) || isNull(rt)):
		cn, err := c.call(&node{kind: kCall, pos: n.pos, op: "date_sub", args: n.args})
		return cn, true, err
	case (n.op == "+" || n.op == "-") && (isDate(lt) || isTimestamp(lt)) && isIv(rt):
		cn, err := c.addInterval(n, l, r, n.op == "-")
		return cn, true, err
	case n.op == "+" && isIv(lt) && (isDate(rt) || isTimestamp(rt)):
		cn, err := c.addInterval(n, r, l, false)
		return cn, true, err
	case n.op == "-" && isDate(lt) && isDate(rt):
		cn, err := c.temporalDifference(n, l, r, true)
		return cn, true, err
	case n.op == "-" && (isTimestamp(lt) || isDate(lt)) && (isTimestamp(rt) || isDate(rt)):
		cn, err := c.temporalDifference(n, l, r, false)
		return cn, true, err
	}
	return nil, true, bad
}

// addInterval is Spark's date/timestamp + interval: months first (day of
// month clamped), then days in the session zone, then microseconds.
func (c *compiler) addInterval(n *node, t, iv *cnode, subtract bool) (*cnode, error) {
	loc := c.opts.TimeZone
	resType := t.typ
	var err error
	if isDate(t.typ) {
		if iv.konst == nil || !iv.konst.IsValid() || ivHasTime(iv) {
			resType = typeTimestamp
			if t, err = c.coerce(t, typeTimestamp); err != nil {
				return nil, err
			}
		}
	}
	if isNTZ(resType) {
		loc = time.UTC
	}
	sign := int32(1)
	if subtract {
		sign = -1
	}
	cn := &cnode{typ: resType, src: n, eval: func(ec *evalCtx) (value, error) {
		ta, ia, err := ec.evalPair(t, iv)
		if err != nil {
			return value{}, err
		}
		defer ta.Release()
		defer ia.Release()
		ivs := ia.(*array.MonthDayNanoInterval)
		if isDate(resType) {
			da := ta.(*array.Date32)
			out, err := zipWith(false, "date + interval", da, ivs, array.NewDate32Builder(ec.mem),
				func(d arrow.Date32, x arrow.MonthDayNanoInterval) (arrow.Date32, rowStatus) {
					y, m, dd := time.Unix(int64(d)*86400, 0).UTC().Date()
					nt := addMonthsClamped(y, m, dd, int(sign*x.Months))
					return arrow.Date32(int64(daysFromCivil(nt.Year(), int(nt.Month()), nt.Day())) + int64(sign*x.Days)), rowOK
				})
			return value{arr: out}, err
		}
		tsa := ta.(*array.Timestamp)
		out, err := zipWith(c.opts.ANSI, "timestamp + interval", tsa, ivs, array.NewTimestampBuilder(ec.mem, resType.(*arrow.TimestampType)),
			func(ts arrow.Timestamp, x arrow.MonthDayNanoInterval) (arrow.Timestamp, rowStatus) {
				return arrow.Timestamp(timestampAddInterval(int64(ts), sign*x.Months, sign*x.Days, int64(sign)*x.Nanoseconds/1000, loc)), rowOK
			})
		return value{arr: out}, err
	}}
	return c.fold(cn, t, iv), nil
}

func ivHasTime(iv *cnode) bool {
	if s, ok := iv.konst.(*scalar.MonthDayNanoInterval); ok {
		return s.Value.Nanoseconds != 0
	}
	return true
}

func addMonthsClamped(y int, m time.Month, d int, months int) time.Time {
	first := time.Date(y, m, 1, 0, 0, 0, 0, time.UTC).AddDate(0, months, 0)
	last := daysIn(first.Year(), int(first.Month()))
	if d > last {
		d = last
	}
	return time.Date(first.Year(), first.Month(), d, 0, 0, 0, 0, time.UTC)
}

// timestampAddInterval adds months and days on the local calendar of loc
// and microseconds on the timeline.
func timestampAddInterval(us int64, months, days int32, micros int64, loc *time.Location) int64 {
	if months != 0 || days != 0 {
		t := time.UnixMicro(us).In(loc)
		nt := addMonthsClamped(t.Year(), t.Month(), t.Day(), int(months)).AddDate(0, 0, int(days))
		local := time.Date(nt.Year(), nt.Month(), nt.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), loc)
		us = local.UnixMicro()
	}
	return us + micros
}

func (c *compiler) intervalNegate(n *node, in *cnode) (*cnode, error) {
	cn := &cnode{typ: in.typ, src: n, eval: func(ec *evalCtx) (value, error) {
		v, err := in.eval(ec)
		if err != nil {
			return value{}, err
		}
		a, err := ec.materialize(v, in.typ)
		if err != nil {
			return value{}, err
		}
		defer a.Release()
		ia := a.(*array.MonthDayNanoInterval)
		b := array.NewMonthDayNanoIntervalBuilder(ec.mem)
		defer b.Release()
		for i := 0; i < ia.Len(); i++ {
			if ia.IsNull(i) {
				b.AppendNull()
				continue
			}
			x := ia.Value(i)
			b.Append(arrow.MonthDayNanoInterval{Months: -x.Months, Days: -x.Days, Nanoseconds: -x.Nanoseconds})
		}
		return value{arr: b.NewArray()}, nil
	}}
	return c.fold(cn, in), nil
}

// temporalDifference is date - date (an interval of days) and
// timestamp - timestamp (an interval of microseconds), as Spark's
// day-time intervals.
func (c *compiler) temporalDifference(n *node, l, r *cnode, days bool) (*cnode, error) {
	var err error
	if !days {
		t := typeTimestamp
		if isNTZ(l.typ) && isNTZ(r.typ) {
			t = typeTimestampNTZ
		}
		if l, err = c.coerce(l, t); err != nil {
			return nil, err
		}
		if r, err = c.coerce(r, t); err != nil {
			return nil, err
		}
	}
	cn := &cnode{typ: arrow.FixedWidthTypes.MonthDayNanoInterval, src: n, eval: func(ec *evalCtx) (value, error) {
		la, ra, err := ec.evalPair(l, r)
		if err != nil {
			return value{}, err
		}
		defer la.Release()
		defer ra.Release()
		b := array.NewMonthDayNanoIntervalBuilder(ec.mem)
		if days {
			out, err := zipWith(c.opts.ANSI, "date - date", la.(*array.Date32), ra.(*array.Date32), b,
				func(x, y arrow.Date32) (arrow.MonthDayNanoInterval, rowStatus) {
					return arrow.MonthDayNanoInterval{Days: int32(x) - int32(y)}, rowOK
				})
			return value{arr: out}, err
		}
		out, err := zipWith(c.opts.ANSI, "timestamp - timestamp", la.(*array.Timestamp), ra.(*array.Timestamp), b,
			func(x, y arrow.Timestamp) (arrow.MonthDayNanoInterval, rowStatus) {
				d := int64(x) - int64(y)
				if (d > 0) != (x > y) || d > math.MaxInt64/1000 || d < math.MinInt64/1000 {
					return arrow.MonthDayNanoInterval{}, rowOverflowNull
				}
				return arrow.MonthDayNanoInterval{Nanoseconds: d * 1000}, rowOK
			})
		return value{arr: out}, err
	}}
	return c.fold(cn, l, r), nil
}
