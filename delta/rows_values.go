package delta

import (
	"fmt"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow/decimal128"
)

// Date is a calendar date with no time of day and no zone: the Go form of
// a Delta date column in typed rows.
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// DateOf returns the date of t in t's location.
func DateOf(t time.Time) Date {
	y, m, d := t.Date()
	return Date{Year: y, Month: m, Day: d}
}

// ParseDate parses a date written as 2006-01-02.
func ParseDate(s string) (Date, error) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return Date{}, fmt.Errorf("delta: date %q: %w", s, err)
	}
	return DateOf(t), nil
}

// String formats the date as 2006-01-02.
func (d Date) String() string { return fmt.Sprintf("%04d-%02d-%02d", d.Year, int(d.Month), d.Day) }

// Time returns midnight UTC at the start of the date.
func (d Date) Time() time.Time { return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, time.UTC) }

// days is the number of days since 1970-01-01, as Delta stores a date.
func (d Date) days() int32 { return int32(d.Time().Unix() / 86400) }

func dateFromDays(n int32) Date { return DateOf(time.Unix(int64(n)*86400, 0).UTC()) }

// Decimal is an exact decimal number, the Go form of a Delta decimal
// column in typed rows: an unscaled integer of up to 38 digits and a
// scale, value = unscaled × 10^-scale. The zero Decimal is 0.
type Decimal struct {
	unscaled decimal128.Num
	scale    int32
}

// NewDecimal returns unscaled × 10^-scale: NewDecimal(1234, 2) is 12.34.
func NewDecimal(unscaled int64, scale int32) Decimal {
	return Decimal{unscaled: decimal128.FromI64(unscaled), scale: scale}
}

// ParseDecimal parses a decimal written in plain notation ("-12.340");
// the scale is the number of digits after the point.
func ParseDecimal(s string) (Decimal, error) {
	t := strings.TrimSpace(s)
	scale := int32(0)
	if i := strings.IndexByte(t, '.'); i >= 0 {
		scale = int32(len(t) - i - 1)
	}
	if strings.ContainsAny(t, "eE") {
		return Decimal{}, fmt.Errorf("%w: decimal %q: write it without an exponent", ErrInvalidArgument, s)
	}
	n, err := decimal128.FromString(t, 38, scale)
	if err != nil {
		return Decimal{}, fmt.Errorf("%w: decimal %q: %v", ErrInvalidArgument, s, err)
	}
	return Decimal{unscaled: n, scale: scale}, nil
}

// MustParseDecimal is ParseDecimal that panics on error, for literals.
func MustParseDecimal(s string) Decimal {
	d, err := ParseDecimal(s)
	if err != nil {
		panic(err)
	}
	return d
}

// Scale is the number of digits after the decimal point.
func (d Decimal) Scale() int32 { return d.scale }

// String formats the decimal in plain notation with Scale digits after
// the point.
func (d Decimal) String() string { return d.unscaled.ToString(d.scale) }

// Equal reports whether two decimals have the same value, whatever their
// scales.
func (d Decimal) Equal(o Decimal) bool {
	s := max(d.scale, o.scale)
	a, err1 := d.unscaled.Rescale(d.scale, s)
	b, err2 := o.unscaled.Rescale(o.scale, s)
	return err1 == nil && err2 == nil && a == b
}

// to returns the unscaled value at the scale and precision of a column,
// failing when a digit would be lost or the value does not fit.
func (d Decimal) to(prec, scale int32) (decimal128.Num, error) {
	n, err := d.unscaled.Rescale(d.scale, scale)
	if err != nil {
		return n, fmt.Errorf("%s has more than %d digits after the point", d, scale)
	}
	if !n.FitsInPrecision(prec) {
		return n, fmt.Errorf("%s does not fit decimal(%d,%d)", d, prec, scale)
	}
	return n, nil
}
