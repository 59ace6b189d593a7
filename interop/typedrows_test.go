//go:build interop

package interop

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/lakehouse-go/lakehouse/delta"
)

type typedAddress struct {
	City string  `delta:"city"`
	Zip  *string `delta:"zip"`
}

// typedOptAddress is typedAddress with nullable fields: a NOT NULL field in
// a null struct is read fine by Spark, but the Spark peer's Arrow
// conversion (pyarrow) refuses the nulls it carries there.
type typedOptAddress struct {
	City *string `delta:"city"`
}

// typedRow has a field of every Go type typed rows support.
type typedRow struct {
	ID     int64            `delta:"id"`
	Flag   bool             `delta:"flag"`
	I8     int8             `delta:"i8"`
	I16    int16            `delta:"i16"`
	I32    int32            `delta:"i32"`
	U32    uint32           `delta:"u32"`
	F32    float32          `delta:"f32"`
	F64    float64          `delta:"f64"`
	Name   string           `delta:"name"`
	Blob   []byte           `delta:"blob"`
	Day    delta.Date       `delta:"day,partition"`
	At     time.Time        `delta:"at"`
	Local  time.Time        `delta:"local,ntz"`
	Price  delta.Decimal    `delta:"price,decimal(10,2)"`
	OptInt *int64           `delta:"opt_int"`
	Nums   []int64          `delta:"nums"`
	Counts map[string]int32 `delta:"counts"`
	Home   typedAddress     `delta:"home"`
	Work   *typedOptAddress `delta:"work"`
}

func typedRows() []typedRow {
	zip, city, seven := "0150", "Bergen", int64(7)
	at := time.Date(2024, 3, 1, 10, 30, 0, 123456000, time.UTC)
	return []typedRow{
		{ID: 1, Flag: true, I8: -8, I16: -16, I32: -32, U32: 4294967295, F32: 1.5, F64: -2.25, Name: "héllo", Blob: []byte{0, 1, 2},
			Day: delta.Date{Year: 2024, Month: time.February, Day: 29}, At: at, Local: time.Date(2024, 3, 1, 10, 30, 0, 0, time.UTC),
			Price: delta.MustParseDecimal("12.34"), OptInt: &seven, Nums: []int64{1, 2}, Counts: map[string]int32{"a": 1},
			Home: typedAddress{City: "Oslo", Zip: &zip}, Work: &typedOptAddress{City: &city}},
		{ID: 2, Day: delta.Date{Year: 1969, Month: time.December, Day: 31}, At: time.Unix(0, 0).UTC(),
			Local: time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC), Price: delta.MustParseDecimal("-99999999.99"), Nums: []int64{}},
	}
}

// case1TypedRows: a table written with delta.AppendRows (every Go field
// type typed rows support) reads back identically through ScanRows, the
// CLI, delta-rs and Spark.
func (s *suite) case1TypedRows(t *testing.T) {
	base := Result{Case: "1", Scenario: "typed_rows", Covers: "delta.AppendRows/ScanRows of every supported Go field type (ints, uint32, floats, string, []byte, Date, time.Time with and without zone, Decimal, pointers, slices, maps, nested structs)", Writer: Lakehouse}
	ctx := ctxFor(t, 10*time.Minute)
	path := filepath.Join(s.tables, Lakehouse, "typed_rows")
	_ = os.RemoveAll(path)
	want, err := s.writeTypedRows(ctx, path)
	if err != nil {
		r := withReader(base, Lakehouse)
		r.Status, r.Detail = Fail, err.Error()
		s.record(t, r)
		return
	}
	for _, rd := range []string{Lakehouse, DeltaRS, Spark} {
		r := withReader(base, rd)
		var got []string
		if rd == Lakehouse {
			got, err = s.cliReader().read(ctx, path, nil, "")
		} else {
			got, err = s.peerReader(s.peer(t, rd, r)).read(ctx, path, nil, "")
		}
		var fails []string
		switch {
		case err != nil:
			fails = append(fails, fmt.Sprintf("table %s: %s cannot read it: %v", s.rel(path), rd, err))
		case rd == Lakehouse:
			want = got // the CLI's rows are what the peers must match
		default:
			if d := CompareRows(want, got); d != nil {
				fails = append(fails, fmt.Sprintf("table %s: %s", s.rel(path), d))
			}
		}
		r.Status, r.Detail, r.Checked = statusOf(fails), summarize(fails), 1
		s.record(t, r)
	}
}

// writeTypedRows writes the rows with the library and checks ScanRows
// returns them unchanged.
func (s *suite) writeTypedRows(ctx context.Context, path string) ([]string, error) {
	tbl, err := delta.CreateFor[typedRow](ctx, path, nil)
	if err != nil {
		return nil, fmt.Errorf("creating: %w", err)
	}
	defer tbl.Close()
	rows := typedRows()
	if _, err := delta.AppendRows(ctx, tbl, rows, nil); err != nil {
		return nil, fmt.Errorf("appending: %w", err)
	}
	snap, err := tbl.Snapshot(ctx)
	if err != nil {
		return nil, err
	}
	got := map[int64]typedRow{}
	for r, err := range delta.ScanRows[typedRow](ctx, snap, nil) {
		if err != nil {
			return nil, fmt.Errorf("ScanRows: %w", err)
		}
		got[r.ID] = r
	}
	for _, w := range rows {
		if g := got[w.ID]; !reflect.DeepEqual(w, g) {
			return nil, fmt.Errorf("ScanRows: row %d read back as %+v, written %+v", w.ID, g, w)
		}
	}
	return nil, nil
}
