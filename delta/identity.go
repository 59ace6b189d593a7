package delta

import (
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/lakehouse-go/lakehouse/internal/protocol"
)

// Identity column metadata keys (protocol: Identity Columns). Declare an
// identity column by putting the first three on a BIGINT field of the
// schema given to Create; the writer keeps the high-water mark.
const (
	MetaIdentityStart          = "delta.identity.start"
	MetaIdentityStep           = "delta.identity.step"
	MetaIdentityAllowExplicit  = "delta.identity.allowExplicitInsert"
	MetaIdentityHighWaterMark  = "delta.identity.highWaterMark"
	identityFeature            = "identityColumns"
	identityGeneratedAlwaysMsg = "is GENERATED ALWAYS AS IDENTITY: its values are generated, leave it out of the written rows"
)

// identityColumn is one top-level identity column of the table.
type identityColumn struct {
	name          string
	start, step   int64
	hwm           *int64 // highest (lowest, for a negative step) value generated so far
	allowExplicit bool
}

// identityColumns parses the identity columns of a schema.
func identityColumns(st *protocol.StructType) ([]identityColumn, error) {
	var out []identityColumn
	for _, f := range st.Fields {
		raw, ok := f.Metadata[MetaIdentityStart]
		if !ok {
			continue
		}
		c := identityColumn{name: f.Name, step: 1}
		if f.Type != protocol.TypeLong {
			return nil, fmt.Errorf("%w: identity column %q must be BIGINT, not %s", ErrInvalidArgument, f.Name, f.Type)
		}
		var err error
		if c.start, err = metaInt(raw); err != nil {
			return nil, corrupt("identity column %q: %s: %v", f.Name, MetaIdentityStart, err)
		}
		if raw, ok := f.Metadata[MetaIdentityStep]; ok {
			if c.step, err = metaInt(raw); err != nil || c.step == 0 {
				return nil, fmt.Errorf("%w: identity column %q: %s must be a non-zero integer", ErrInvalidArgument, f.Name, MetaIdentityStep)
			}
		}
		if raw, ok := f.Metadata[MetaIdentityHighWaterMark]; ok {
			v, err := metaInt(raw)
			if err != nil {
				return nil, corrupt("identity column %q: %s: %v", f.Name, MetaIdentityHighWaterMark, err)
			}
			c.hwm = &v
		}
		if raw, ok := f.Metadata[MetaIdentityAllowExplicit]; ok {
			var b bool
			if err := json.Unmarshal(raw, &b); err != nil {
				var s string
				if json.Unmarshal(raw, &s) != nil {
					return nil, corrupt("identity column %q: %s: %s", f.Name, MetaIdentityAllowExplicit, raw)
				}
				b = s == "true"
			}
			c.allowExplicit = b
		}
		out = append(out, c)
	}
	return out, nil
}

// metaInt reads a long from column metadata, written as a JSON number or,
// by some writers, a string.
func metaInt(raw json.RawMessage) (int64, error) {
	var n json.Number
	if err := json.Unmarshal(raw, &n); err == nil {
		return n.Int64()
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return 0, err
	}
	return strconv.ParseInt(s, 10, 64)
}

// next returns n fresh values: start + k*step, past the high-water mark
// in the step's direction. Overflow is an error, never a wrapped
// duplicate.
func (c *identityColumn) next(n int) ([]int64, error) {
	overflow := fmt.Errorf("%w: identity column %q overflows BIGINT", ErrConstraintViolation, c.name)
	v := c.start
	if c.hwm != nil {
		// d: how far the mark is past start, counted along the step.
		d, ok := sub(*c.hwm, c.start)
		if !ok {
			return nil, overflow
		}
		s := c.step
		if s < 0 {
			d, s = -d, -s
		}
		if d >= 0 {
			if v, ok = mulAdd(c.start, d/s+1, c.step); !ok {
				return nil, overflow
			}
		}
	}
	out := make([]int64, n)
	for i := range out {
		out[i] = v
		if i < n-1 {
			var ok bool
			if v, ok = mulAdd(v, 1, c.step); !ok {
				return nil, overflow
			}
		}
	}
	if n > 0 {
		last := out[n-1]
		c.hwm = &last
	}
	return out, nil
}

// sub computes a - b, reporting overflow.
func sub(a, b int64) (int64, bool) {
	d := a - b
	if (b > 0 && d > a) || (b < 0 && d < a) {
		return 0, false
	}
	return d, true
}

// mulAdd computes a + k*b for k >= 0, reporting overflow.
func mulAdd(a, k, b int64) (int64, bool) {
	if k != 0 && (b > math.MaxInt64/k || b < math.MinInt64/k) {
		return 0, false
	}
	p := k * b
	s := a + p
	if (p > 0 && s < a) || (p < 0 && s > a) {
		return 0, false
	}
	return s, true
}

// fillIdentity gives inserted rows their identity values: a column left
// out of the batch, and NULLs in it, are generated; values given for a
// GENERATED ALWAYS column are refused. Rows carried over from the table
// (copies, updates) keep theirs and do not come here.
func (x *Transaction) fillIdentity(rec arrow.RecordBatch, mem memory.Allocator) (arrow.RecordBatch, error) {
	if len(x.identity) == 0 {
		rec.Retain()
		return rec, nil
	}
	fields := append([]arrow.Field(nil), rec.Schema().Fields()...)
	cols := append([]arrow.Array(nil), rec.Columns()...)
	var made []arrow.Array
	defer func() {
		for _, a := range made {
			a.Release()
		}
	}()
	n := int(rec.NumRows())
	for i := range x.identity {
		c := &x.identity[i]
		j := fieldIndexFold(rec.Schema(), c.name)
		var given arrow.Array
		if j >= 0 {
			given = rec.Column(j)
			if !c.allowExplicit && given.NullN() < given.Len() {
				return nil, fmt.Errorf("%w: column %q %s", ErrInvalidArgument, c.name, identityGeneratedAlwaysMsg)
			}
			if given.NullN() == 0 {
				continue
			}
		}
		missing := n
		if given != nil {
			missing = given.NullN()
		}
		vals, err := c.next(missing)
		if err != nil {
			return nil, err
		}
		b := array.NewInt64Builder(mem)
		b.Reserve(n)
		k := 0
		for r := range n {
			if given != nil && given.IsValid(r) {
				b.UnsafeAppend(given.(*array.Int64).Value(r))
				continue
			}
			b.UnsafeAppend(vals[k])
			k++
		}
		col := b.NewArray()
		b.Release()
		made = append(made, col)
		if j >= 0 {
			cols[j] = col
			fields[j] = arrow.Field{Name: fields[j].Name, Type: arrow.PrimitiveTypes.Int64, Nullable: fields[j].Nullable, Metadata: fields[j].Metadata}
		} else {
			cols = append(cols, col)
			fields = append(fields, arrow.Field{Name: c.name, Type: arrow.PrimitiveTypes.Int64})
		}
		x.identityUsed = true
	}
	return array.NewRecordBatch(arrow.NewSchema(fields, nil), cols, rec.NumRows()), nil
}

// recordIdentityMarks writes the new high-water marks into the schema
// that commits: the metadata change is what makes two concurrent
// identity-generating writers conflict, so values stay unique.
func (x *Transaction) recordIdentityMarks() error {
	if !x.identityUsed {
		return nil
	}
	st := &protocol.StructType{Fields: slices.Clone(x.schema.Fields)}
	for _, c := range x.identity {
		if c.hwm == nil {
			continue
		}
		_, i := st.Field(c.name)
		if i < 0 {
			continue
		}
		f := *st.Fields[i]
		f.Metadata = maps.Clone(f.Metadata)
		f.Metadata[MetaIdentityHighWaterMark] = json.RawMessage(strconv.FormatInt(*c.hwm, 10))
		st.Fields[i] = &f
	}
	return x.setSchema(st, x.meta.PartitionColumns)
}

// identityAlways reports whether name is a GENERATED ALWAYS identity
// column, whose values no statement may set.
func (x *Transaction) identityAlways(name string) bool {
	for _, c := range x.identity {
		if !c.allowExplicit && strings.EqualFold(c.name, name) {
			return true
		}
	}
	return false
}
