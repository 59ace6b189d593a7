package parquetio

import (
	"context"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
)

// ReadRows reads only the given rows of row group rg: rows are indexes
// within the group, ascending and distinct. A filtered scan whose filter
// keeps a few rows of each row group reads its other columns this way:
// values between the chosen rows are skipped by the decoder (a pointer
// bump for plain pages, a run walk for dictionary indexes) and never
// become Arrow arrays, where reading the group and filtering it builds
// every value first, strings included.
//
// Only flat columns whose values the decoder hands over as they are stored
// (integers, floating point, booleans, dates, times, timestamps, strings,
// binary) take this path; ok is false when some field of opts.Schema needs
// the general reader (nested, decimal, INT96, dictionary-typed output),
// and the caller then reads the group with Read and filters it. opts may
// set Schema, ColumnMapping and Allocator only: deleted rows, row ranges
// and row indexes are the caller's to apply to rows. PageBuffers may be
// set too.
func (f *File) ReadRows(ctx context.Context, rg int, rows []int32, opts *ReadOptions) (rec arrow.RecordBatch, ok bool, err error) {
	defer recoverCorrupt(&err)
	if err := checkReadOptions(opts); err != nil {
		return nil, false, err
	}
	if opts.Deleted != nil || opts.RowGroups != nil || opts.RowRanges != nil || opts.RowIndexColumn != "" {
		return nil, false, fmt.Errorf("%w: ReadRows takes no deleted rows, row groups, row ranges or row index column", ErrInvalidOptions)
	}
	md := f.pf.MetaData()
	if rg < 0 || rg >= md.NumRowGroups() {
		return nil, false, fmt.Errorf("%w: row group %d of %d", ErrInvalidOptions, rg, md.NumRowGroups())
	}
	groupRows := md.RowGroup(rg).NumRows()
	for i, r := range rows {
		if r < 0 || int64(r) >= groupRows || (i > 0 && r <= rows[i-1]) {
			return nil, false, fmt.Errorf("%w: rows must be ascending, distinct and below the group's %d rows", ErrInvalidOptions, groupRows)
		}
	}
	dense, dict := denseSchema(opts.Schema)
	if len(dict) > 0 {
		return nil, false, nil
	}
	manifest, err := pqarrow.NewSchemaManifest(md.Schema, md.KeyValueMetadata(), &pqarrow.ArrowReadProperties{})
	if err != nil {
		return nil, false, fmt.Errorf("parquetio: read schema: %w", err)
	}
	p := &planner{mode: opts.ColumnMapping, pf: f.pf, leaves: map[int]bool{}}
	plans, err := p.plan(dense, manifest)
	if err != nil {
		return nil, false, err
	}
	for _, pl := range plans {
		if pl.file != nil && !selectable(f.pf, pl) {
			return nil, false, nil
		}
	}
	mem := opts.Allocator
	if mem == nil {
		mem = f.mem
	}
	a := &adapter{ctx: ctx, mem: mem}
	runs := rowRuns(rows)
	cols := make([]arrow.Array, 0, len(plans))
	defer func() { releaseAll(cols) }()
	rgr := f.pf.RowGroup(rg)
	bufs := opts.PageBuffers
	if bufs == nil {
		bufs = NewPageBuffers(mem)
		defer bufs.Release()
	}
	for _, pl := range plans {
		if err := ctx.Err(); err != nil {
			return nil, false, err
		}
		if pl.file == nil {
			cols = append(cols, array.MakeArrayOfNull(mem, pl.logical.Type, len(rows)))
			continue
		}
		raw, err := f.readColumnRows(rgr, rg, pl, runs, len(rows), mem, bufs)
		if err != nil {
			return nil, false, err
		}
		col, err := a.adapt(pl, raw)
		raw.Release()
		if err != nil {
			return nil, false, err
		}
		cols = append(cols, col)
	}
	return array.NewRecordBatch(opts.Schema, cols, int64(len(rows))), true, nil
}

// readColumnRows reads the rows of runs of one column: from its pages
// where their shape allows (read_select_pages.go), else through parquet's
// column reader, skipping between the runs.
func (f *File) readColumnRows(rgr *file.RowGroupReader, rg int, pl *fieldPlan, runs []rowRun, n int, mem memory.Allocator, bufs *PageBuffers) (arrow.Array, error) {
	name := pl.file.Field.Name
	arr, ok, err := f.readPagesSelected(rg, pl.file.ColIndex, runs, n, pl.file.Field.Type, bufs)
	if err != nil {
		return nil, fmt.Errorf("parquetio: read row group %d column %q: %w", rg, name, err)
	}
	if ok {
		f.pageReads++
		return arr, nil
	}
	cr, err := rgr.Column(pl.file.ColIndex)
	if err != nil {
		return nil, fmt.Errorf("parquetio: open row group %d column %q: %w", rg, name, err)
	}
	arr, err = readSelected(cr, pl.file.Field.Type, runs, n, mem)
	if c, ok := cr.(interface{ Close() error }); ok {
		_ = c.Close() // releases the page reader's buffers
	}
	if err != nil {
		return nil, fmt.Errorf("parquetio: read row group %d column %q: %w", rg, name, err)
	}
	return arr, nil
}

func releaseAll(as []arrow.Array) {
	for _, a := range as {
		if a != nil {
			a.Release()
		}
	}
}

// selectable reports whether plan pl's column can be read row by row: a
// top-level leaf, optional or required, whose Arrow type pqarrow would give
// has the layout its Parquet physical type decodes to.
func selectable(pf *file.Reader, pl *fieldPlan) bool {
	if pl.int96 || len(pl.children) > 0 || !pl.file.IsLeaf() {
		return false
	}
	d := pf.MetaData().Schema.Column(pl.file.ColIndex)
	if d.MaxRepetitionLevel() != 0 || d.MaxDefinitionLevel() > 1 {
		return false
	}
	id := pl.file.Field.Type.ID()
	switch d.PhysicalType() {
	case parquet.Types.Int32:
		return id == arrow.INT32 || id == arrow.DATE32 || id == arrow.TIME32
	case parquet.Types.Int64:
		return id == arrow.INT64 || id == arrow.TIMESTAMP || id == arrow.TIME64
	case parquet.Types.Float:
		return id == arrow.FLOAT32
	case parquet.Types.Double:
		return id == arrow.FLOAT64
	case parquet.Types.Boolean:
		return id == arrow.BOOL
	case parquet.Types.ByteArray:
		return id == arrow.STRING || id == arrow.BINARY
	}
	return false
}

// rowRun is n consecutive rows from start.
type rowRun struct{ start, n int64 }

func rowRuns(rows []int32) []rowRun {
	var runs []rowRun
	for _, r := range rows {
		if k := len(runs) - 1; k >= 0 && runs[k].start+runs[k].n == int64(r) {
			runs[k].n++
			continue
		}
		runs = append(runs, rowRun{int64(r), 1})
	}
	return runs
}

// batchReader is what the typed column chunk readers of arrow-go share.
type batchReader[T any] interface {
	ReadBatch(batchSize int64, values []T, defLvls, repLvls []int16) (int64, int, error)
	Skip(nvalues int64) (int64, error)
	SeekToRow(rowIdx int64) error
}

// seekGapRows is the gap between chosen rows past which the reader seeks
// (through the page index, straight to the page holding the next chosen
// row) instead of skipping: a skip still decompresses every page it
// passes, a seek reads none of them but costs a fresh read of the chunk's
// bytes, so it pays only across several pages. (A variable so tests can
// seek across pages of a few rows.)
var seekGapRows int64 = 32 << 10

// readSelected reads the rows of runs from cr and returns them as an array
// of type dt (the Arrow type pqarrow gives the column).
func readSelected(cr file.ColumnChunkReader, dt arrow.DataType, runs []rowRun, n int, mem memory.Allocator) (arrow.Array, error) {
	nullable := cr.Descriptor().MaxDefinitionLevel() > 0
	switch r := cr.(type) {
	case *file.Int32ColumnChunkReader:
		return fixedSelected(r, runs, n, nullable, array.NewInt32Builder(mem), dt)
	case *file.Int64ColumnChunkReader:
		return fixedSelected(r, runs, n, nullable, array.NewInt64Builder(mem), dt)
	case *file.Float32ColumnChunkReader:
		return fixedSelected(r, runs, n, nullable, array.NewFloat32Builder(mem), dt)
	case *file.Float64ColumnChunkReader:
		return fixedSelected(r, runs, n, nullable, array.NewFloat64Builder(mem), dt)
	case *file.BooleanColumnChunkReader:
		return fixedSelected(r, runs, n, nullable, array.NewBooleanBuilder(mem), dt)
	case *file.ByteArrayColumnChunkReader:
		b := array.NewBinaryBuilder(mem, dt.(arrow.BinaryDataType))
		defer b.Release()
		b.Reserve(n)
		// Values point into the decoded page: copied as they come.
		err := eachSelected(r, runs, nullable, func(v parquet.ByteArray, ok bool) {
			if ok {
				b.Append(v)
			} else {
				b.AppendNull()
			}
		})
		if err != nil {
			return nil, err
		}
		return retype(b.NewArray(), dt), nil
	}
	return nil, fmt.Errorf("%w: column reader %T", ErrInvalidOptions, cr)
}

// valuesBuilder is an Arrow builder of fixed-width values.
type valuesBuilder[T any] interface {
	array.Builder
	AppendValues(v []T, valid []bool)
}

// fixedSelected reads fixed-width values into b and returns them typed dt.
func fixedSelected[T any](r batchReader[T], runs []rowRun, n int, nullable bool, b valuesBuilder[T], dt arrow.DataType) (arrow.Array, error) {
	defer b.Release()
	vals := make([]T, 0, n)
	var valid []bool
	if nullable {
		valid = make([]bool, 0, n)
	}
	var zero T
	err := eachSelected(r, runs, nullable, func(v T, ok bool) {
		if !ok {
			v = zero
		}
		vals = append(vals, v)
		if nullable {
			valid = append(valid, ok)
		}
	})
	if err != nil {
		return nil, err
	}
	b.AppendValues(vals, valid)
	return retype(b.NewArray(), dt), nil
}

// retype returns a's data as an array of type dt (the same layout: date32
// from int32 values, timestamps from int64, strings from binary).
func retype(a arrow.Array, dt arrow.DataType) arrow.Array {
	if arrow.TypeEqual(a.DataType(), dt) {
		if _, plain := a.(*array.Binary); !plain || dt.ID() == arrow.BINARY {
			return a
		}
	}
	defer a.Release()
	d := a.Data()
	nd := array.NewData(dt, d.Len(), d.Buffers(), nil, d.NullN(), d.Offset())
	defer nd.Release()
	return array.MakeFromData(nd)
}

// eachSelected walks runs through r, skipping the rows between them, and
// calls emit for each selected row in order: its value and true, or the
// zero value and false for a null.
func eachSelected[T any](r batchReader[T], runs []rowRun, nullable bool, emit func(v T, ok bool)) error {
	var pos int64
	const chunk = 1024
	vals := make([]T, chunk)
	var defs []int16
	if nullable {
		defs = make([]int16, chunk)
	}
	var zero T
	for _, run := range runs {
		switch gap := run.start - pos; {
		case gap >= seekGapRows:
			if err := r.SeekToRow(run.start); err != nil {
				return err
			}
		case gap > 0:
			if _, err := r.Skip(gap); err != nil {
				return err
			}
		}
		for left := run.n; left > 0; {
			levels, nvals, err := r.ReadBatch(min(left, chunk), vals, defs, nil)
			if err != nil {
				return err
			}
			if levels == 0 {
				return fmt.Errorf("%w: column ends before row %d", ErrCorruptFile, run.start+run.n)
			}
			if !nullable {
				for _, v := range vals[:nvals] {
					emit(v, true)
				}
			} else {
				j := 0
				for _, d := range defs[:levels] {
					if d > 0 {
						emit(vals[j], true)
						j++
					} else {
						emit(zero, false)
					}
				}
			}
			left -= levels
		}
		pos = run.start + run.n
	}
	return nil
}
