package expr

import (
	"errors"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"

	"github.com/apache/arrow-go/v18/arrow/decimal128"
)

const maxDecimalPrecision = 38

// numberLiteral converts a numeric token (with optional Spark suffix) into a
// typed literal following Spark's literal typing rules.
func numberLiteral(text string, neg bool) (literal, error) {
	sign := ""
	if neg {
		sign = "-"
	}
	lower := strings.ToLower(text)
	switch {
	case strings.HasSuffix(lower, "bd"):
		return decimalLiteral(sign + text[:len(text)-2])
	case strings.HasSuffix(lower, "d"):
		f, err := strconv.ParseFloat(sign+text[:len(text)-1], 64)
		if err != nil || math.IsInf(f, 0) {
			return literal{}, fmt.Errorf("double literal %s out of range", text)
		}
		return literal{kind: litFloat64, f: f}, nil
	case strings.HasSuffix(lower, "f"):
		f, err := strconv.ParseFloat(sign+text[:len(text)-1], 32)
		if err != nil || math.IsInf(f, 0) {
			return literal{}, fmt.Errorf("float literal %s out of range", text)
		}
		return literal{kind: litFloat32, f: f}, nil
	case strings.HasSuffix(lower, "l"), strings.HasSuffix(lower, "s"), strings.HasSuffix(lower, "y"):
		bits, k := 64, litInt64
		switch lower[len(lower)-1] {
		case 's':
			bits, k = 16, litInt16
		case 'y':
			bits, k = 8, litInt8
		}
		body := text[:len(text)-1]
		if strings.ContainsAny(body, ".eE") {
			return literal{}, fmt.Errorf("invalid integral literal %s", text)
		}
		v, err := strconv.ParseInt(sign+body, 10, bits)
		if err != nil {
			return literal{}, fmt.Errorf("integral literal %s%s out of range", sign, text)
		}
		return literal{kind: k, i: v}, nil
	case strings.ContainsAny(lower, "e"):
		f, err := strconv.ParseFloat(sign+text, 64)
		if err != nil || math.IsInf(f, 0) {
			return literal{}, fmt.Errorf("double literal %s out of range", text)
		}
		return literal{kind: litFloat64, f: f}, nil
	case strings.Contains(text, "."):
		return decimalLiteral(sign + text)
	}
	if v, err := strconv.ParseInt(sign+text, 10, 64); err == nil {
		return intLiteral(v), nil
	}
	return decimalLiteral(sign + text)
}

// decimalLiteral parses decimal text into a DECIMAL(p,s) literal whose
// precision is the number of significant digits, as Spark's BigDecimal does.
func decimalLiteral(text string) (literal, error) {
	s := strings.TrimSpace(text)
	neg := false
	if strings.HasPrefix(s, "-") || strings.HasPrefix(s, "+") {
		neg = s[0] == '-'
		s = s[1:]
	}
	exp := 0
	if i := strings.IndexAny(s, "eE"); i >= 0 {
		e, err := strconv.Atoi(s[i+1:])
		if err != nil || e > 1000 || e < -1000 {
			return literal{}, fmt.Errorf("invalid decimal literal %q", text)
		}
		exp = e
		s = s[:i]
	}
	intPart, frac, _ := strings.Cut(s, ".")
	digits := intPart + frac
	if digits == "" || strings.Trim(digits, "0123456789") != "" {
		return literal{}, fmt.Errorf("invalid decimal literal %q", text)
	}
	scale := len(frac) - exp
	unscaled, _ := new(big.Int).SetString(digits, 10)
	if scale < 0 {
		unscaled.Mul(unscaled, new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(-scale)), nil))
		scale = 0
	}
	prec := len(unscaled.String())
	if unscaled.Sign() == 0 {
		prec = 1
	}
	if prec < scale {
		prec = scale
	}
	if prec > maxDecimalPrecision || scale > maxDecimalPrecision {
		return literal{}, fmt.Errorf("decimal literal %q exceeds precision %d", text, maxDecimalPrecision)
	}
	if neg {
		unscaled.Neg(unscaled)
	}
	return literal{kind: litDecimal, dec: decimal128.FromBigInt(unscaled), prec: int32(prec), scale: int32(scale)}, nil
}

// decimalText renders an unscaled decimal with its scale.
func decimalText(v decimal128.Num, scale int32) string {
	b := v.BigInt()
	neg := b.Sign() < 0
	s := new(big.Int).Abs(b).String()
	if scale > 0 {
		for len(s) <= int(scale) {
			s = "0" + s
		}
		s = s[:len(s)-int(scale)] + "." + s[len(s)-int(scale):]
	}
	if neg {
		s = "-" + s
	}
	return s
}

var errBadHex = errors.New("invalid hexadecimal binary literal")

func hexLiteral(s string) ([]byte, error) {
	if len(s)%2 == 1 {
		s = "0" + s // Spark left-pads an odd number of digits
	}
	out := make([]byte, len(s)/2)
	for i := range out {
		v, err := strconv.ParseUint(s[2*i:2*i+2], 16, 8)
		if err != nil {
			return nil, errBadHex
		}
		out[i] = byte(v)
	}
	return out, nil
}
