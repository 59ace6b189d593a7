package delta

import (
	"errors"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/lakehouse-go/lakehouse/internal/protocol"
)

// deltaSchema converts an Arrow schema to the Delta schema a table gets.
// creating marks a schema that defines columns (Create, OverwriteSchema,
// AddColumns): there, nanosecond timestamps are refused, because the
// table would store microseconds and every later write of nanosecond
// values with sub-microsecond digits would fail. Appending nanosecond
// data to an existing column is allowed when no digit is lost.
func deltaSchema(s *arrow.Schema, creating bool) (*protocol.StructType, error) {
	if creating {
		for _, f := range s.Fields() {
			if err := refuseNanos(f.Name, f.Type); err != nil {
				return nil, err
			}
		}
	}
	st, err := protocol.FromArrowSchema(s)
	return st, unsupportedType(err)
}

// deltaField is deltaSchema for one column being defined.
func deltaField(f arrow.Field) (*protocol.StructField, error) {
	if err := refuseNanos(f.Name, f.Type); err != nil {
		return nil, err
	}
	df, err := protocol.FromArrowField(f)
	return df, unsupportedType(err)
}

// unsupportedType rewords the protocol's unsupported-type error as this
// package's ErrUnsupportedType; other errors stay invalid arguments.
func unsupportedType(err error) error {
	if err == nil {
		return nil
	}
	var ute *protocol.UnsupportedTypeError
	if errors.As(err, &ute) {
		msg := fmt.Sprintf("%v: column %q: Arrow type %s has no Delta type", ErrUnsupportedType, ute.Column, ute.Type)
		if ute.Alternative != "" {
			msg += "; " + ute.Alternative
		}
		return &wrapped{msg: msg, err: ErrUnsupportedType}
	}
	return fmt.Errorf("%w: %w", ErrInvalidArgument, err)
}

// refuseNanos finds a nanosecond timestamp in a column's type.
func refuseNanos(path string, t arrow.DataType) error {
	switch v := t.(type) {
	case *arrow.TimestampType:
		if v.Unit != arrow.Nanosecond {
			return nil
		}
		want := "timestamp[us, tz=UTC] (arrow.FixedWidthTypes.Timestamp_us)"
		if v.TimeZone == "" {
			want = "timestamp[us] (no zone: timestampNtz)"
		}
		return &wrapped{
			msg: fmt.Sprintf("%v: column %q: Arrow type %s: Delta stores microseconds; use %s", ErrUnsupportedType, path, t, want),
			err: ErrUnsupportedType,
		}
	case *arrow.StructType:
		for _, f := range v.Fields() {
			if err := refuseNanos(path+"."+f.Name, f.Type); err != nil {
				return err
			}
		}
	case *arrow.MapType:
		if err := refuseNanos(path+".key", v.KeyType()); err != nil {
			return err
		}
		return refuseNanos(path+".value", v.ItemType())
	case arrow.ListLikeType:
		return refuseNanos(path+".element", v.Elem())
	case *arrow.DictionaryType:
		return refuseNanos(path, v.ValueType)
	}
	return nil
}

// wrapped is an error with its own message that matches err.
type wrapped struct {
	msg string
	err error
}

func (w *wrapped) Error() string { return w.msg }
func (w *wrapped) Unwrap() error { return w.err }
