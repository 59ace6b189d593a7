package delta

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type rowAddress struct {
	City string
	Zip  *string
}

type rowTag struct {
	K string `delta:"k"`
}

// everyType has a field of every Go type typed rows support.
type everyType struct {
	ID       int64 `delta:"id"`
	Flag     bool
	I8       int8
	I16      int16
	I32      int32
	I        int
	U8       uint8
	U16      uint16
	U32      uint32
	F32      float32
	F64      float64
	Name     string
	Blob     []byte
	Day      Date      `delta:"day,partition"`
	At       time.Time `delta:"at"`
	Local    time.Time `delta:"local,ntz"`
	Price    Decimal   `delta:"price,decimal(10,2)"`
	OptInt   *int64
	OptName  *string
	OptAt    *time.Time
	OptPrice *Decimal `delta:",decimal(38,6)"`
	Nums     []int64
	Maybe    []*string
	Counts   map[string]int32
	Home     rowAddress
	Work     *rowAddress
	Tags     []rowTag
	Skipped  string `delta:"-"`
	hidden   int
}

func everyTypeRows() []everyType {
	at := time.Date(2024, 3, 1, 10, 30, 0, 123456000, time.UTC)
	return []everyType{
		{
			ID: 1, Flag: true, I8: -8, I16: -16, I32: -32, I: -64, U8: 255, U16: 65535, U32: 4294967295,
			F32: 1.5, F64: -2.25, Name: "héllo", Blob: []byte{0, 1, 2},
			Day: Date{2024, time.February, 29}, At: at, Local: time.Date(2024, 3, 1, 10, 30, 0, 0, time.UTC),
			Price: MustParseDecimal("12.34"), OptInt: ptr(int64(7)), OptName: ptr("x"), OptAt: &at, OptPrice: ptr(MustParseDecimal("-0.000001")),
			Nums: []int64{1, 2, 3}, Maybe: []*string{ptr("a"), nil}, Counts: map[string]int32{"a": 1, "b": 2},
			Home: rowAddress{City: "Oslo", Zip: ptr("0150")}, Work: &rowAddress{City: "Bergen"}, Tags: []rowTag{{K: "t1"}},
		},
		{
			ID: 2, Day: Date{1969, time.December, 31}, At: time.Unix(0, 0).UTC(), Local: time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC),
			Price: MustParseDecimal("-99999999.99"), Nums: []int64{}, Counts: map[string]int32{}, Home: rowAddress{City: ""},
		},
	}
}

func TestSchemaOf(t *testing.T) {
	schema, parts, err := SchemaOf[everyType]()
	require.NoError(t, err)
	assert.Equal(t, []string{"day"}, parts)
	var got []string
	for _, f := range schema.Fields() {
		n := ""
		if f.Nullable {
			n = "?"
		}
		got = append(got, f.Name+n+": "+f.Type.String())
	}
	assert.Equal(t, []string{
		"id: int64", "Flag: bool", "I8: int8", "I16: int16", "I32: int32", "I: int64",
		"U8: int16", "U16: int32", "U32: int64", "F32: float32", "F64: float64", "Name: utf8", "Blob?: binary",
		"day: date32", "at: timestamp[us, tz=UTC]", "local: timestamp[us]", "price: decimal(10, 2)",
		"OptInt?: int64", "OptName?: utf8", "OptAt?: timestamp[us, tz=UTC]", "OptPrice?: decimal(38, 6)",
		"Nums?: list<element: int64>", "Maybe?: list<element: utf8, nullable>", "Counts?: map<utf8, int32, items_non_nullable>",
		"Home: struct<City: utf8, Zip: utf8 nullable>", "Work?: struct<City: utf8, Zip: utf8 nullable>",
		"Tags?: list<element: struct<k: utf8>>",
	}, got)
}

func TestRowsRoundTripEveryType(t *testing.T) {
	ctx := context.Background()
	mem := newCheckedAllocator(t)
	tbl, err := CreateFor[everyType](ctx, "mem://", &CreateOptions{Table: &Options{Allocator: mem}})
	require.NoError(t, err)
	defer tbl.Close()
	rows := everyTypeRows()
	res, err := AppendRows(ctx, tbl, rows, nil)
	require.NoError(t, err)
	assert.Equal(t, "2", res.Metrics["numOutputRows"])

	snap, err := tbl.Snapshot(ctx)
	require.NoError(t, err)
	assert.Equal(t, []string{"day"}, snap.Metadata().PartitionColumns)
	var got []everyType
	for r, err := range ScanRows[everyType](ctx, snap, nil) {
		require.NoError(t, err)
		got = append(got, r)
	}
	slices.SortFunc(got, func(a, b everyType) int { return int(a.ID - b.ID) })
	require.Len(t, got, 2)
	// Empty and nil slices and maps: a nil one is null, an empty one
	// stays empty.
	assert.Equal(t, rows, got)
}

func TestRowTypeErrors(t *testing.T) {
	ctx := context.Background()
	mem := newCheckedAllocator(t)
	type base struct {
		ID   int64     `delta:"id"`
		Name *string   `delta:"name"`
		At   time.Time `delta:"at"`
	}
	tbl, err := CreateFor[base](ctx, "mem://", &CreateOptions{Table: &Options{Allocator: mem}})
	require.NoError(t, err)
	defer tbl.Close()

	type extra struct {
		ID    int64 `delta:"id"`
		Color string
	}
	_, err = AppendRows(ctx, tbl, []extra{{ID: 1}}, nil)
	var rte *RowTypeError
	require.ErrorAs(t, err, &rte)
	assert.ErrorIs(t, err, ErrSchemaMismatch)
	assert.Equal(t, "Color", rte.Field)
	assert.Contains(t, err.Error(), `field Color: no column "Color" in the table (columns: id, name, at)`)

	type narrow struct {
		ID int32 `delta:"id"`
	}
	type wrongType struct {
		Name *int64 `delta:"name"`
	}
	type ntzMissing struct {
		At time.Time `delta:"at,ntz"`
	}
	_, err = AppendRows(ctx, tbl, []wrongType{{}}, nil)
	assert.ErrorIs(t, err, ErrSchemaMismatch)
	assert.EqualError(t, err, `delta: row type delta.wrongType, field Name (column "name"): Go type int64 cannot be written to a utf8 column`)
	_, err = AppendRows(ctx, tbl, []ntzMissing{{}}, nil)
	assert.EqualError(t, err, `delta: row type delta.ntzMissing, field At (column "at"): the column is a timestamp with zone: remove the ntz tag option`)

	// Reading: an int32 field cannot hold a long column.
	_, err = AppendRows(ctx, tbl, []base{{ID: 1}}, nil)
	require.NoError(t, err)
	snap, err := tbl.Snapshot(ctx)
	require.NoError(t, err)
	for _, err := range ScanRows[narrow](ctx, snap, nil) {
		assert.EqualError(t, err, `delta: row type delta.narrow, field ID (column "id"): a int64 column cannot be read into Go type int32`)
	}
	// A null into a non-pointer field names the column.
	type notNullName struct {
		Name string `delta:"name"`
	}
	for _, err := range ScanRows[notNullName](ctx, snap, nil) {
		assert.EqualError(t, err, `delta: column "name" holds a null; the field's type string cannot: make it a pointer (*string)`)
	}
	assert.Equal(t, int64(1), snap.Version(), "the failed appends committed nothing")

	// Go types with no Delta type are refused by SchemaOf.
	type unsigned struct{ N uint64 }
	_, _, err = SchemaOf[unsigned]()
	assert.ErrorIs(t, err, ErrUnsupportedType)
	assert.EqualError(t, err, "delta: row type delta.unsigned, field N: Go type uint64 has no Delta type; use int64, or Decimal with decimal(20,0) for the full range")
	type untaggedDecimal struct{ P Decimal }
	_, _, err = SchemaOf[untaggedDecimal]()
	assert.ErrorIs(t, err, ErrUnsupportedType)
	assert.Contains(t, err.Error(), "field P: a Decimal field needs a decimal(p,s) tag option")
}

func TestRowWriterStreams(t *testing.T) {
	ctx := context.Background()
	mem := newCheckedAllocator(t)
	type event struct {
		ID   int64  `delta:"id"`
		Kind string `delta:"kind,partition"`
	}
	tbl, err := CreateFor[event](ctx, "mem://", &CreateOptions{Table: &Options{Allocator: mem}})
	require.NoError(t, err)
	defer tbl.Close()

	// An aborted writer leaves the table as it was.
	w, err := NewRowWriter[event](ctx, tbl, nil)
	require.NoError(t, err)
	require.NoError(t, w.Write(ctx, event{ID: 1, Kind: "a"}))
	w.Abort()
	assert.ErrorIs(t, w.Write(ctx, event{}), ErrTxnDone)

	const n = 3*rowWriterBatch + 5
	w, err = NewRowWriter[event](ctx, tbl, nil)
	require.NoError(t, err)
	for i := range n {
		require.NoError(t, w.Write(ctx, event{ID: int64(i), Kind: []string{"a", "b"}[i%2]}))
	}
	res, err := w.Commit(ctx)
	require.NoError(t, err)
	assert.Equal(t, int64(1), res.Version)
	snap, err := tbl.Snapshot(ctx)
	require.NoError(t, err)
	var sum, count int64
	for r, err := range ScanRows[event](ctx, snap, nil) {
		require.NoError(t, err)
		sum += r.ID
		count++
	}
	assert.Equal(t, int64(n), count)
	assert.Equal(t, int64(n*(n-1)/2), sum)

	// Stopping early is fine and releases the scan (the checked allocator
	// would report a leak).
	for range ScanRows[event](ctx, snap, nil) {
		break
	}
}

func TestDecimalAndDate(t *testing.T) {
	for _, tc := range []struct {
		in, out string
		scale   int32
	}{
		{"12.34", "12.34", 2}, {"-0.001", "-0.001", 3}, {"7", "7", 0}, {"100.50", "100.50", 2},
	} {
		d, err := ParseDecimal(tc.in)
		require.NoError(t, err)
		assert.Equal(t, tc.out, d.String())
		assert.Equal(t, tc.scale, d.Scale())
	}
	assert.True(t, NewDecimal(1234, 2).Equal(MustParseDecimal("12.340")))
	_, err := ParseDecimal("1e5")
	assert.ErrorIs(t, err, ErrInvalidArgument)
	_, err = MustParseDecimal("1.234").to(10, 2)
	assert.EqualError(t, err, "1.234 has more than 2 digits after the point")
	_, err = MustParseDecimal("1000").to(3, 0)
	assert.EqualError(t, err, "1000 does not fit decimal(3,0)")

	d, err := ParseDate("1969-12-31")
	require.NoError(t, err)
	assert.Equal(t, int32(-1), d.days())
	assert.Equal(t, d, dateFromDays(-1))
	assert.Equal(t, "1969-12-31", d.String())
	_, err = ParseDate("2024-02-30")
	assert.True(t, err != nil && !errors.Is(err, ErrSchemaMismatch))
}
