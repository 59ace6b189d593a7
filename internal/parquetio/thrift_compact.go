package parquetio

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// A Parquet footer is Thrift's compact protocol. Stitching row groups that
// were encoded apart into one file moves their bytes, so every absolute
// offset in their metadata must move too. Decoding the footer into typed
// structs and encoding it again would drop whatever fields the struct
// definitions do not know (size statistics, newer statistics flags), so
// the footer is edited in place instead: fields are copied byte for byte
// and only the integers and nested values an edit names are re-encoded.

// Compact protocol type codes (the low nibble of a field header).
const (
	tcStop           = 0
	tcTrue           = 1
	tcFalse          = 2
	tcByte           = 3
	tcI16            = 4
	tcI32            = 5
	tcI64            = 6
	tcDouble         = 7
	tcBinary         = 8
	tcList           = 9
	tcSet            = 10
	tcMap            = 11
	tcStruct         = 12
	tcUUID           = 13
	maxThriftNesting = 64
)

var errThrift = errors.New("parquetio: malformed thrift metadata")

// thriftField is one field of a compact-protocol struct: its id, type code
// and the bytes of its value (empty for booleans, whose value is the type).
type thriftField struct {
	id  int16
	typ byte
	val []byte
}

// fieldEdit decides the new value bytes of one field; returning nil keeps
// the field's bytes as they are.
type fieldEdit func(f thriftField) ([]byte, error)

func uvarint(b []byte, pos int) (uint64, int, error) {
	if pos >= len(b) {
		return 0, 0, fmt.Errorf("%w: varint past the end", errThrift)
	}
	v, n := binary.Uvarint(b[pos:])
	if n <= 0 {
		return 0, 0, fmt.Errorf("%w: bad varint at byte %d", errThrift, pos)
	}
	return v, pos + n, nil
}

func unzigzag(u uint64) int64 { return int64(u>>1) ^ -int64(u&1) }

func zigzag(v int64) uint64 { return uint64(v<<1) ^ uint64(v>>63) }

// thriftInt decodes the value of an i16, i32 or i64 field.
func thriftInt(val []byte) (int64, error) {
	u, n := binary.Uvarint(val)
	if n <= 0 || n != len(val) {
		return 0, fmt.Errorf("%w: bad integer", errThrift)
	}
	return unzigzag(u), nil
}

// encodeThriftInt is the value bytes of an integer field holding v.
func encodeThriftInt(v int64) []byte { return binary.AppendUvarint(nil, zigzag(v)) }

// skipThriftValue returns the position after the value of type typ that
// starts at pos.
func skipThriftValue(b []byte, pos int, typ byte, depth int) (int, error) {
	if depth > maxThriftNesting {
		return 0, fmt.Errorf("%w: nested too deeply", errThrift)
	}
	var err error
	switch typ {
	case tcTrue, tcFalse:
		return pos, nil
	case tcByte:
		pos++
	case tcI16, tcI32, tcI64:
		_, pos, err = uvarint(b, pos)
		return pos, err
	case tcDouble:
		pos += 8
	case tcUUID:
		pos += 16
	case tcBinary:
		var n uint64
		if n, pos, err = uvarint(b, pos); err != nil {
			return 0, err
		}
		if n > uint64(len(b)-pos) {
			return 0, fmt.Errorf("%w: binary of %d bytes past the end", errThrift, n)
		}
		pos += int(n)
	case tcList, tcSet:
		elem, n, next, err := listHeader(b, pos)
		if err != nil {
			return 0, err
		}
		pos = next
		for i := uint64(0); i < n; i++ {
			if elem == tcTrue || elem == tcFalse {
				pos++ // booleans in a collection take one byte each
			} else if pos, err = skipThriftValue(b, pos, elem, depth+1); err != nil {
				return 0, err
			}
		}
	case tcMap:
		var n uint64
		if n, pos, err = uvarint(b, pos); err != nil {
			return 0, err
		}
		if n == 0 {
			return pos, nil
		}
		if pos >= len(b) {
			return 0, fmt.Errorf("%w: map header past the end", errThrift)
		}
		kt, vt := b[pos]>>4, b[pos]&0x0f
		pos++
		for i := uint64(0); i < n; i++ {
			for _, t := range []byte{kt, vt} {
				if t == tcTrue || t == tcFalse {
					pos++
				} else if pos, err = skipThriftValue(b, pos, t, depth+1); err != nil {
					return 0, err
				}
			}
		}
	case tcStruct:
		return walkStruct(b, pos, depth+1, nil)
	default:
		return 0, fmt.Errorf("%w: unknown type %d", errThrift, typ)
	}
	if pos > len(b) {
		return 0, fmt.Errorf("%w: value past the end", errThrift)
	}
	return pos, nil
}

// listHeader decodes a list or set header at pos: element type, length and
// the position of the first element.
func listHeader(b []byte, pos int) (elem byte, n uint64, next int, err error) {
	if pos >= len(b) {
		return 0, 0, 0, fmt.Errorf("%w: list header past the end", errThrift)
	}
	h := b[pos]
	pos++
	elem, n = h&0x0f, uint64(h>>4)
	if n == 15 {
		if n, pos, err = uvarint(b, pos); err != nil {
			return 0, 0, 0, err
		}
	}
	if n > uint64(len(b)) { // every element takes at least one byte, booleans aside
		return 0, 0, 0, fmt.Errorf("%w: list of %d elements", errThrift, n)
	}
	return elem, n, pos, nil
}

// appendListHeader appends a list header for n elements of type elem.
func appendListHeader(dst []byte, elem byte, n int) []byte {
	if n < 15 {
		return append(dst, byte(n)<<4|elem)
	}
	return binary.AppendUvarint(append(dst, 0xf0|elem), uint64(n))
}

// walkStruct reads the struct starting at pos and calls visit for each
// field; it returns the position after the struct's stop byte.
func walkStruct(b []byte, pos, depth int, visit func(thriftField) error) (int, error) {
	if depth > maxThriftNesting {
		return 0, fmt.Errorf("%w: nested too deeply", errThrift)
	}
	var last int16
	for {
		if pos >= len(b) {
			return 0, fmt.Errorf("%w: struct past the end", errThrift)
		}
		h := b[pos]
		pos++
		typ := h & 0x0f
		if typ == tcStop {
			return pos, nil
		}
		id := last + int16(h>>4)
		if h>>4 == 0 {
			u, next, err := uvarint(b, pos)
			if err != nil {
				return 0, err
			}
			id, pos = int16(unzigzag(u)), next
		}
		last = id
		end, err := skipThriftValue(b, pos, typ, depth)
		if err != nil {
			return 0, err
		}
		if visit != nil {
			if err := visit(thriftField{id: id, typ: typ, val: b[pos:end]}); err != nil {
				return 0, err
			}
		}
		pos = end
	}
}

// thriftFields lists the fields of the struct that makes up all of b.
func thriftFields(b []byte) ([]thriftField, error) {
	var fs []thriftField
	end, err := walkStruct(b, 0, 0, func(f thriftField) error {
		fs = append(fs, f)
		return nil
	})
	if err != nil {
		return nil, err
	}
	if end != len(b) {
		return nil, fmt.Errorf("%w: %d bytes after the struct", errThrift, len(b)-end)
	}
	return fs, nil
}

// editStruct copies the struct that makes up all of b, replacing the value
// of each field for which edit returns new bytes. Field headers are kept,
// so an edit must return a value of the field's own type.
func editStruct(b []byte, edit fieldEdit) ([]byte, error) {
	out := make([]byte, 0, len(b)+16)
	copied := 0
	end, err := walkStruct(b, 0, 0, func(f thriftField) error {
		nv, err := edit(f)
		if err != nil || nv == nil {
			return err
		}
		start := cap(b[:0]) - cap(f.val) // offset of f.val within b
		out = append(out, b[copied:start]...)
		out = append(out, nv...)
		copied = start + len(f.val)
		return nil
	})
	if err != nil {
		return nil, err
	}
	if end != len(b) {
		return nil, fmt.Errorf("%w: %d bytes after the struct", errThrift, len(b)-end)
	}
	return append(out, b[copied:]...), nil
}

// listElements splits the value of a list field into its elements' bytes.
func listElements(val []byte) (elem byte, elems [][]byte, err error) {
	elem, n, pos, err := listHeader(val, 0)
	if err != nil {
		return 0, nil, err
	}
	for i := uint64(0); i < n; i++ {
		end, err := skipThriftValue(val, pos, elem, 1)
		if err != nil {
			return 0, nil, err
		}
		elems = append(elems, val[pos:end])
		pos = end
	}
	if pos != len(val) {
		return 0, nil, fmt.Errorf("%w: list longer than its header", errThrift)
	}
	return elem, elems, nil
}

// editStructList rewrites every struct element of a list value.
func editStructList(val []byte, edit func(i int, elem []byte) ([]byte, error)) ([]byte, error) {
	et, elems, err := listElements(val)
	if err != nil {
		return nil, err
	}
	if et != tcStruct {
		return nil, fmt.Errorf("%w: list of type %d where structs were expected", errThrift, et)
	}
	out := appendListHeader(nil, tcStruct, len(elems))
	for i, e := range elems {
		ne, err := edit(i, e)
		if err != nil {
			return nil, err
		}
		out = append(out, ne...)
	}
	return out, nil
}

// shiftInt is an edit of an integer field's value by delta.
func shiftInt(val []byte, delta int64) ([]byte, error) {
	v, err := thriftInt(val)
	if err != nil {
		return nil, err
	}
	return encodeThriftInt(v + delta), nil
}
