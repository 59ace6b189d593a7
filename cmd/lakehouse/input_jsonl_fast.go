package main

import (
	"fmt"
	"strconv"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/lakehouse-go/lakehouse/internal/jsonlex"
)

// rowScanner decodes one JSON line straight into a RecordBuilder's column
// builders, without building Go values for the record first: it is most
// of what `lakehouse write` spends on JSON input once it is not arrow's
// token-by-token decoder.
//
// It takes only what it can decode exactly as arrow's decoder
// (RecordBuilder.UnmarshalJSON) would: a line that is one object of known,
// unescaped keys, each once, whose values are null or the common shape
// for their column (integer literals in integer columns, numbers in float
// columns, strings in string columns, "YYYY-MM-DD" in date columns, …).
// Anything else — malformed JSON, unknown or repeated keys, a quoted
// number in an integer column — is declined and the caller decodes the
// line the general way, which also names what is wrong. Nested values
// (structs, lists, maps) and the types it has no fast form for are
// checked here and handed to their column's own JSON decoder.
//
// A line is scanned fully before anything is appended, so a declined line
// leaves the builders as they were.
type rowScanner struct {
	cols  []scanCol
	slots []scanSlot
	index map[string]int
	gen   uint32 // the row being scanned; a slot of an older row is unset
	raw   []byte // scratch for nested values: "[" value "]"
	// mapCols are the columns with maps in them, checked after each row:
	// arrow's decoder takes a map entry without a key, and the batch
	// built from it would panic.
	mapCols []int
}

// colKind is how a column's values are decoded.
type colKind uint8

const (
	colRaw colKind = iota // anything else: the column builder's UnmarshalJSON
	colInt
	colFloat
	colBool
	colString
	colDate
	colTimestamp
)

type scanCol struct {
	name  string
	kind  colKind
	bits  int  // colInt, colFloat: width in bits
	quote bool // colString: numbers and booleans read as their text
	unit  arrow.TimeUnit
	loc   *time.Location // colTimestamp: the column's zone
	zoned bool
	b     array.Builder
	app   func(s *scanSlot) // appends a non-null slot to b
}

// scanSlot holds one column's value of the row being scanned.
type scanSlot struct {
	gen  uint32
	null bool
	i    int64
	f    float64
	s    []byte // string bytes: into the line, or buf when unescaped
	buf  []byte
}

// newRowScanner prepares a scanner for b's schema. quote lists the string
// columns whose bare numbers and booleans are read as their text.
func newRowScanner(b *array.RecordBuilder, quote map[string]bool) *rowScanner {
	schema := b.Schema()
	rs := &rowScanner{
		cols:  make([]scanCol, schema.NumFields()),
		slots: make([]scanSlot, schema.NumFields()),
		index: make(map[string]int, schema.NumFields()),
	}
	for i, f := range schema.Fields() {
		c := &rs.cols[i]
		c.name, c.b = f.Name, b.Field(i)
		if hasMap(f.Type) {
			rs.mapCols = append(rs.mapCols, i)
		}
		if _, dup := rs.index[f.Name]; !dup {
			rs.index[f.Name] = i
		}
		switch fb := c.b.(type) {
		case *array.Int8Builder:
			c.kind, c.bits, c.app = colInt, 8, func(s *scanSlot) { fb.Append(int8(s.i)) }
		case *array.Int16Builder:
			c.kind, c.bits, c.app = colInt, 16, func(s *scanSlot) { fb.Append(int16(s.i)) }
		case *array.Int32Builder:
			c.kind, c.bits, c.app = colInt, 32, func(s *scanSlot) { fb.Append(int32(s.i)) }
		case *array.Int64Builder:
			c.kind, c.bits, c.app = colInt, 64, func(s *scanSlot) { fb.Append(s.i) }
		case *array.Float32Builder:
			c.kind, c.bits, c.app = colFloat, 32, func(s *scanSlot) { fb.Append(float32(s.f)) }
		case *array.Float64Builder:
			c.kind, c.bits, c.app = colFloat, 64, func(s *scanSlot) { fb.Append(s.f) }
		case *array.BooleanBuilder:
			c.kind, c.app = colBool, func(s *scanSlot) { fb.Append(s.i != 0) }
		case *array.StringBuilder:
			c.kind, c.quote = colString, quote[f.Name]
			c.app = func(s *scanSlot) { fb.BinaryBuilder.Append(s.s) }
		case *array.Date32Builder:
			c.kind, c.app = colDate, func(s *scanSlot) { fb.Append(arrow.Date32(s.i)) }
		case *array.TimestampBuilder:
			tt := f.Type.(*arrow.TimestampType)
			loc, err := tt.GetZone()
			if err != nil {
				break // colRaw: the builder reports the zone
			}
			c.kind, c.unit, c.loc, c.zoned = colTimestamp, tt.Unit, loc, tt.TimeZone != ""
			c.app = func(s *scanSlot) { fb.Append(arrow.Timestamp(s.i)) }
		}
	}
	return rs
}

// decodeLine appends the row of one line to b, the builder rs was made
// for: through the scanner when it takes the line, else the general way.
// uneven says b's columns may now differ in length, so b must be
// discarded; it comes with an error.
func (rs *rowScanner) decodeLine(jr *jsonlReader, b *array.RecordBuilder, ln []byte, line int) (err error, uneven bool) {
	if rs.scan(ln) {
		if err := rs.appendRow(); err != nil {
			return fmt.Errorf("jsonl input, line %d: %w", line, err), true
		}
	} else if err := jr.decodeLineInto(b, ln, line); err != nil {
		return err, false // arrow's decoder rolls the row back
	}
	for _, i := range rs.mapCols {
		if msg := mapProblem(b.Field(i)); msg != "" {
			return fmt.Errorf("jsonl input, line %d: column %q: %s", line, rs.cols[i].name, msg), true
		}
	}
	return nil, false
}

// hasMap reports whether dt is or holds a map.
func hasMap(dt arrow.DataType) bool {
	switch t := dt.(type) {
	case *arrow.MapType:
		return true
	case arrow.ListLikeType:
		return hasMap(t.Elem())
	case *arrow.StructType:
		for _, f := range t.Fields() {
			if hasMap(f.Type) {
				return true
			}
		}
	}
	return false
}

// mapProblem says what is wrong with the maps built in b so far, or "".
func mapProblem(b array.Builder) string {
	switch x := b.(type) {
	case *array.MapBuilder:
		kb, ib := x.KeyBuilder(), x.ItemBuilder()
		switch {
		case kb.Len() != ib.Len():
			return "a map entry needs a key and a value ({\"key\": …, \"value\": …})"
		case kb.NullN() > 0:
			return "a map key is null"
		}
		if msg := mapProblem(kb); msg != "" {
			return msg
		}
		return mapProblem(ib)
	case *array.StructBuilder:
		for i := range x.NumField() {
			if msg := mapProblem(x.FieldBuilder(i)); msg != "" {
				return msg
			}
		}
	case *array.ListBuilder:
		return mapProblem(x.ValueBuilder())
	case *array.LargeListBuilder:
		return mapProblem(x.ValueBuilder())
	}
	return ""
}

// reserve makes room for n more rows in the fixed-width builders.
func (rs *rowScanner) reserve(n int) {
	for i := range rs.cols {
		if rs.cols[i].kind != colRaw {
			rs.cols[i].b.Reserve(n)
		}
	}
}

// scan reads ln as one row. False means "decode it the general way"; the
// builders are untouched then.
func (rs *rowScanner) scan(ln []byte) bool {
	rs.gen++
	if rs.gen == 0 { // wrapped: clear the marks of the rows before
		for i := range rs.slots {
			rs.slots[i].gen = 0
		}
		rs.gen = 1
	}
	i := jsonlex.SkipSpace(ln, 0)
	if i >= len(ln) || ln[i] != '{' {
		return false
	}
	i = jsonlex.SkipSpace(ln, i+1)
	if i < len(ln) && ln[i] == '}' {
		i++
	} else {
		expect := 0 // the column most likely next: keys usually follow the schema
		for {
			if i >= len(ln) || ln[i] != '"' {
				return false
			}
			key, next, escaped, ok := jsonlex.ScanString(ln, i)
			if !ok || escaped {
				return false
			}
			c := -1
			if expect < len(rs.cols) && rs.cols[expect].name == string(key) {
				c = expect
			} else if k, found := rs.index[string(key)]; found {
				c = k
			} else {
				return false // not a column: the general path explains
			}
			expect = c + 1
			s := &rs.slots[c]
			if s.gen == rs.gen {
				return false // a key twice
			}
			s.gen = rs.gen
			i = jsonlex.SkipSpace(ln, next)
			if i >= len(ln) || ln[i] != ':' {
				return false
			}
			i = jsonlex.SkipSpace(ln, i+1)
			if i >= len(ln) {
				return false
			}
			if i, ok = rs.cols[c].value(ln, i, s); !ok {
				return false
			}
			i = jsonlex.SkipSpace(ln, i)
			if i >= len(ln) {
				return false
			}
			if ln[i] == '}' {
				i++
				break
			}
			if ln[i] != ',' {
				return false
			}
			i = jsonlex.SkipSpace(ln, i+1)
		}
	}
	return jsonlex.SkipSpace(ln, i) == len(ln)
}

// appendRow appends the row scan accepted; keys the row lacked are null.
// Only a nested value can fail (its column's decoder refuses it), and
// then the builders are uneven and must be discarded.
func (rs *rowScanner) appendRow() error {
	for i := range rs.cols {
		c, s := &rs.cols[i], &rs.slots[i]
		switch {
		case s.gen != rs.gen || s.null:
			c.b.AppendNull()
		case c.kind == colRaw:
			rs.raw = append(append(append(rs.raw[:0], '['), s.s...), ']')
			if err := c.b.UnmarshalJSON(rs.raw); err != nil {
				return errNestedValue(c.name, err)
			}
		default:
			c.app(s)
		}
	}
	return nil
}

// value scans the value at ln[i] for column c into s.
func (c *scanCol) value(ln []byte, i int, s *scanSlot) (int, bool) {
	ch := ln[i]
	if ch == 'n' {
		s.null = true
		return i + 4, jsonlex.HasLiteral(ln, i, "null")
	}
	s.null = false
	switch c.kind {
	case colInt:
		j, ok := jsonlex.ScanNumber(ln, i)
		if !ok {
			return 0, false
		}
		// Fractions and exponents ("1.0", "1e3") are left to arrow,
		// which takes them when they are whole.
		s.i, ok = parseInt(ln[i:j], c.bits)
		return j, ok
	case colFloat:
		j, ok := jsonlex.ScanNumber(ln, i)
		if !ok {
			return 0, false
		}
		f, err := strconv.ParseFloat(string(ln[i:j]), c.bits)
		s.f = f
		return j, err == nil
	case colBool:
		switch {
		case jsonlex.HasLiteral(ln, i, "true"):
			s.i = 1
			return i + 4, true
		case jsonlex.HasLiteral(ln, i, "false"):
			s.i = 0
			return i + 5, true
		}
		return 0, false
	case colString:
		if ch == '"' {
			str, j, escaped, ok := jsonlex.ScanString(ln, i)
			if !ok {
				return 0, false
			}
			if escaped {
				if s.buf, ok = jsonlex.Unescape(s.buf[:0], str); !ok {
					return 0, false
				}
				str = s.buf
			}
			s.s = str
			return j, true
		}
		if !c.quote {
			return 0, false // arrow refuses a bare value in a string column
		}
		j, ok := scanBare(ln, i)
		if !ok {
			return 0, false
		}
		s.s = ln[i:j]
		return j, true
	case colDate:
		str, j, escaped, ok := jsonlex.ScanString(ln, i)
		if !ok || escaped {
			return 0, false
		}
		s.i, ok = parseDate(str)
		return j, ok
	case colTimestamp:
		str, j, escaped, ok := jsonlex.ScanString(ln, i)
		if !ok || escaped {
			return 0, false
		}
		v := string(str)
		if _, err := strconv.ParseInt(v, 10, 64); err == nil {
			return 0, false // an epoch count in quotes: rare, left to arrow
		}
		ts, zoned, err := arrow.TimestampFromStringInLocation(v, c.unit, c.loc)
		if err != nil || zoned != c.zoned {
			return 0, false
		}
		s.i = int64(ts)
		return j, true
	}
	// colRaw: find the value's end here; its builder decodes it.
	j, ok := jsonlex.SkipValue(ln, i)
	if !ok {
		return 0, false
	}
	s.s = ln[i:j]
	return j, true
}

// scanBare reads a bare number, true or false at ln[i].
func scanBare(ln []byte, i int) (int, bool) {
	switch {
	case jsonlex.HasLiteral(ln, i, "true"):
		return i + 4, true
	case jsonlex.HasLiteral(ln, i, "false"):
		return i + 5, true
	}
	return jsonlex.ScanNumber(ln, i)
}

// parseInt reads an integer literal (JSON grammar, already checked) that
// fits in bits; anything else is false.
func parseInt(b []byte, bits int) (int64, bool) {
	neg := len(b) > 0 && b[0] == '-'
	if neg {
		b = b[1:]
	}
	if len(b) == 0 || len(b) > 19 {
		return 0, false
	}
	var u uint64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		u = u*10 + uint64(c-'0') // 19 digits cannot overflow uint64
	}
	limit := uint64(1) << (bits - 1) // |min|; max is limit-1
	if neg {
		if u > limit {
			return 0, false
		}
		return -int64(u-1) - 1, true
	}
	if u >= limit {
		return 0, false
	}
	return int64(u), true
}

// parseDate reads "YYYY-MM-DD" as days since the epoch, taking exactly the
// strings time.Parse("2006-01-02", …) takes, as arrow does.
func parseDate(b []byte) (int64, bool) {
	if len(b) != 10 || b[4] != '-' || b[7] != '-' {
		return 0, false
	}
	num := func(p []byte) (int, bool) {
		n := 0
		for _, c := range p {
			if c < '0' || c > '9' {
				return 0, false
			}
			n = n*10 + int(c-'0')
		}
		return n, true
	}
	y, ok1 := num(b[:4])
	m, ok2 := num(b[5:7])
	d, ok3 := num(b[8:])
	if !ok1 || !ok2 || !ok3 || m < 1 || m > 12 || d < 1 {
		return 0, false
	}
	t := time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC)
	if t.Day() != d { // past the month's end
		return 0, false
	}
	return int64(arrow.Date32FromTime(t)), true
}

// errNestedValue wraps the error of a nested value's decoder with its
// column, since arrow's message does not name it.
func errNestedValue(col string, err error) error {
	return fmt.Errorf("column %q: %w", col, err)
}
