// Package jsonrows renders Arrow rows in lakehouse's canonical JSON form:
// the `--format jsonl` contract of the CLI, and the form conformance and
// interop tests compare rows in.
//
// Values: integers as JSON integers; float and double as the shortest
// decimal that round-trips at their width, or "NaN", "Infinity",
// "-Infinity"; decimals as strings with exactly scale fraction digits;
// strings; binary as standard base64; booleans; dates "2006-01-02";
// timestamps in UTC "2006-01-02T15:04:05.000000Z"; timestamp_ntz
// "2006-01-02T15:04:05.000000"; structs as objects in field order; lists as
// arrays; maps as arrays of {"key": k, "value": v}; variants as the JSON
// value they encode; null as null.
package jsonrows

import (
	"encoding/base64"
	"fmt"
	"math"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/parquet/variant"
)

// AppendRow appends row i of rec as one JSON object (no newline).
func AppendRow(buf []byte, rec arrow.RecordBatch, i int) ([]byte, error) {
	buf = append(buf, '{')
	for c, f := range rec.Schema().Fields() {
		if c > 0 {
			buf = append(buf, ',')
		}
		buf = appendString(buf, f.Name)
		buf = append(buf, ':')
		var err error
		if buf, err = AppendValue(buf, rec.Column(c), i, &f); err != nil {
			return nil, fmt.Errorf("jsonrows: column %q: %w", f.Name, err)
		}
	}
	return append(buf, '}'), nil
}

// AppendValue appends the canonical JSON of a[i]. field, when given,
// carries the metadata that marks variant columns.
func AppendValue(buf []byte, a arrow.Array, i int, field *arrow.Field) ([]byte, error) {
	if a.IsNull(i) {
		return append(buf, "null"...), nil
	}
	switch v := a.(type) {
	case *array.Boolean:
		return strconv.AppendBool(buf, v.Value(i)), nil
	case *array.Int8:
		return strconv.AppendInt(buf, int64(v.Value(i)), 10), nil
	case *array.Int16:
		return strconv.AppendInt(buf, int64(v.Value(i)), 10), nil
	case *array.Int32:
		return strconv.AppendInt(buf, int64(v.Value(i)), 10), nil
	case *array.Int64:
		return strconv.AppendInt(buf, v.Value(i), 10), nil
	case *array.Uint8:
		return strconv.AppendUint(buf, uint64(v.Value(i)), 10), nil
	case *array.Uint16:
		return strconv.AppendUint(buf, uint64(v.Value(i)), 10), nil
	case *array.Uint32:
		return strconv.AppendUint(buf, uint64(v.Value(i)), 10), nil
	case *array.Uint64:
		return strconv.AppendUint(buf, v.Value(i), 10), nil
	case *array.Float32:
		return AppendFloat(buf, float64(v.Value(i)), 32), nil
	case *array.Float64:
		return AppendFloat(buf, v.Value(i), 64), nil
	case *array.Decimal128:
		return appendString(buf, v.Value(i).ToString(v.DataType().(*arrow.Decimal128Type).Scale)), nil
	case *array.String:
		return appendString(buf, v.Value(i)), nil
	case *array.LargeString:
		return appendString(buf, v.Value(i)), nil
	case *array.StringView:
		return appendString(buf, v.Value(i)), nil
	case *array.Binary:
		return appendString(buf, base64.StdEncoding.EncodeToString(v.Value(i))), nil
	case *array.LargeBinary:
		return appendString(buf, base64.StdEncoding.EncodeToString(v.Value(i))), nil
	case *array.FixedSizeBinary:
		return appendString(buf, base64.StdEncoding.EncodeToString(v.Value(i))), nil
	case *array.Date32:
		return appendString(buf, v.Value(i).ToTime().UTC().Format("2006-01-02")), nil
	case *array.Date64:
		return appendString(buf, v.Value(i).ToTime().UTC().Format("2006-01-02")), nil
	case *array.Timestamp:
		tt := v.DataType().(*arrow.TimestampType)
		return appendString(buf, FormatTimestamp(v.Value(i).ToTime(tt.Unit), tt.TimeZone != "")), nil
	case *array.Null:
		return append(buf, "null"...), nil
	case *array.Struct:
		if field != nil {
			if t, ok := field.Metadata.GetValue("delta.type"); ok && t == "variant" {
				return appendVariant(buf, v, i)
			}
		}
		st := v.DataType().(*arrow.StructType)
		buf = append(buf, '{')
		for j, f := range st.Fields() {
			if j > 0 {
				buf = append(buf, ',')
			}
			buf = appendString(buf, f.Name)
			buf = append(buf, ':')
			var err error
			if buf, err = AppendValue(buf, v.Field(j), i, &f); err != nil {
				return nil, err
			}
		}
		return append(buf, '}'), nil
	case *array.Map:
		start, end := v.ValueOffsets(i)
		keys, items := v.Keys(), v.Items()
		kf, vf := v.DataType().(*arrow.MapType).KeyField(), v.DataType().(*arrow.MapType).ItemField()
		buf = append(buf, '[')
		for j := int(start); j < int(end); j++ {
			if j > int(start) {
				buf = append(buf, ',')
			}
			buf = append(buf, `{"key":`...)
			var err error
			if buf, err = AppendValue(buf, keys, j, &kf); err != nil {
				return nil, err
			}
			buf = append(buf, `,"value":`...)
			if buf, err = AppendValue(buf, items, j, &vf); err != nil {
				return nil, err
			}
			buf = append(buf, '}')
		}
		return append(buf, ']'), nil
	case array.ListLike:
		start, end := v.ValueOffsets(i)
		values := v.ListValues()
		var ef *arrow.Field
		if lt, ok := v.DataType().(arrow.ListLikeType); ok {
			f := lt.ElemField()
			ef = &f
		}
		buf = append(buf, '[')
		for j := int(start); j < int(end); j++ {
			if j > int(start) {
				buf = append(buf, ',')
			}
			var err error
			if buf, err = AppendValue(buf, values, j, ef); err != nil {
				return nil, err
			}
		}
		return append(buf, ']'), nil
	}
	return nil, fmt.Errorf("no canonical JSON form for %s", a.DataType())
}

func appendVariant(buf []byte, v *array.Struct, i int) ([]byte, error) {
	st := v.DataType().(*arrow.StructType)
	var meta, value []byte
	for j, f := range st.Fields() {
		b, ok := v.Field(j).(*array.Binary)
		if !ok || b.IsNull(i) {
			continue
		}
		switch f.Name {
		case "metadata":
			meta = b.Value(i)
		case "value":
			value = b.Value(i)
		}
	}
	val, err := variant.New(meta, value)
	if err != nil {
		return nil, fmt.Errorf("variant: %w", err)
	}
	js, err := val.MarshalJSON()
	if err != nil {
		return nil, fmt.Errorf("variant: %w", err)
	}
	return append(buf, js...), nil
}

// FormatTimestamp renders a timestamp with exactly six fraction digits, in
// UTC with a Z when utc is true, as a wall-clock value otherwise.
func FormatTimestamp(t time.Time, utc bool) string {
	t = t.UTC()
	if utc {
		return t.Format("2006-01-02T15:04:05.000000Z")
	}
	return t.Format("2006-01-02T15:04:05.000000")
}

// AppendFloat appends the shortest decimal that round-trips at the given
// bit size, or the quoted names of non-finite values.
func AppendFloat(buf []byte, f float64, bits int) []byte {
	switch {
	case math.IsNaN(f):
		return append(buf, `"NaN"`...)
	case math.IsInf(f, 1):
		return append(buf, `"Infinity"`...)
	case math.IsInf(f, -1):
		return append(buf, `"-Infinity"`...)
	}
	// encoding/json's choice of notation: plain decimals for ordinary
	// magnitudes, exponents for very small or very large ones.
	abs := math.Abs(f)
	format := byte('f')
	if abs != 0 && (bits == 64 && (abs < 1e-6 || abs >= 1e21) || bits == 32 && (float32(abs) < 1e-6 || float32(abs) >= 1e21)) {
		format = 'e'
	}
	start := len(buf)
	buf = strconv.AppendFloat(buf, f, format, -1, bits)
	if format == 'e' {
		// Clean up e-09 to e-9, as encoding/json does.
		n := len(buf) - start
		if n >= 4 && buf[len(buf)-4] == 'e' && buf[len(buf)-3] == '-' && buf[len(buf)-2] == '0' {
			buf[len(buf)-2] = buf[len(buf)-1]
			buf = buf[:len(buf)-1]
		}
	}
	return buf
}

const hexDigits = "0123456789abcdef"

// appendString appends s as a JSON string, escaping as encoding/json does
// without HTML escaping; invalid UTF-8 becomes U+FFFD.
func appendString(buf []byte, s string) []byte {
	buf = append(buf, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			buf = append(buf, s[start:i]...)
			switch c {
			case '"', '\\':
				buf = append(buf, '\\', c)
			case '\n':
				buf = append(buf, '\\', 'n')
			case '\r':
				buf = append(buf, '\\', 'r')
			case '\t':
				buf = append(buf, '\\', 't')
			default:
				buf = append(buf, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			buf = append(buf, s[start:i]...)
			buf = append(buf, "\\ufffd"...)
			i += size
			start = i
			continue
		}
		i += size
	}
	buf = append(buf, s[start:]...)
	return append(buf, '"')
}
