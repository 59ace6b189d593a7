// Package dmlwork holds the DML benchmark's table, workloads, their
// lakehouse and delta-rs sides and the checks of their results, shared by
// bench/dml and the bench harness.
package dmlwork

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"sync/atomic"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/lakehouse-go/lakehouse/delta"
)

// schema is the shape of issue 16's workloads. Every column is nullable
// so that a pyarrow source (nullable by default) has the same schema.
var schema = arrow.NewSchema([]arrow.Field{
	{Name: "id", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	{Name: "value", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
	{Name: "label", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "ts", Type: arrow.FixedWidthTypes.Timestamp_us, Nullable: true},
	{Name: "day", Type: arrow.BinaryTypes.String, Nullable: true},
}, nil)

const baseTS = 1_700_000_000_000_000 // µs

// dayOf is the partition of row i of n: ten runs of equal size.
func dayOf(i, n int64) string { return fmt.Sprintf("2024-01-%02d", 1+i*10/n) }

// genReader streams the base table's rows in 64Ki-row batches, so the
// generator never holds the whole table.
type genReader struct {
	refs    atomic.Int64
	mem     memory.Allocator
	n, next int64
	rec     arrow.RecordBatch
}

func newGenReader(mem memory.Allocator, n int64) *genReader {
	r := &genReader{mem: mem, n: n}
	r.refs.Store(1)
	return r
}

func (r *genReader) Retain() { r.refs.Add(1) }
func (r *genReader) Release() {
	if r.refs.Add(-1) == 0 && r.rec != nil {
		r.rec.Release()
		r.rec = nil
	}
}
func (r *genReader) Schema() *arrow.Schema          { return schema }
func (r *genReader) RecordBatch() arrow.RecordBatch { return r.rec }
func (r *genReader) Record() arrow.RecordBatch      { return r.rec }
func (r *genReader) Err() error                     { return nil }
func (r *genReader) Next() bool {
	if r.rec != nil {
		r.rec.Release()
		r.rec = nil
	}
	if r.next >= r.n {
		return false
	}
	end := min(r.next+64*1024, r.n)
	b := array.NewRecordBuilder(r.mem, schema)
	defer b.Release()
	for i := r.next; i < end; i++ {
		b.Field(0).(*array.Int64Builder).Append(i)
		b.Field(1).(*array.Float64Builder).Append(float64(i) * 1.5)
		b.Field(2).(*array.StringBuilder).Append("label-" + strconv.FormatInt(i%1000, 10))
		b.Field(3).(*array.TimestampBuilder).Append(arrow.Timestamp(baseTS + i*1000))
		b.Field(4).(*array.StringBuilder).Append(dayOf(i, r.n))
	}
	r.rec = b.NewRecordBatch()
	r.next = end
	return true
}

// EnsureTables writes, unless a complete pair is there, the base table
// (partitioned by day, deletion vectors off) under dir/cow and a copy of
// it with delta.enableDeletionVectors set by one SET TBLPROPERTIES commit
// under dir/dv: the same data files, so both start from the same bytes.
func EnsureTables(ctx context.Context, dir string, rows int64) (cow, dv string, err error) {
	cow, dv = filepath.Join(dir, "cow"), filepath.Join(dir, "dv")
	marker := filepath.Join(dir, fmt.Sprintf(".complete-v1-%d", rows))
	if _, err := os.Stat(marker); err == nil {
		return cow, dv, nil
	}
	if err := os.RemoveAll(dir); err != nil {
		return "", "", err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", "", err
	}
	fmt.Fprintf(os.Stderr, "generating a %d-row table in %s …\n", rows, dir)
	rr := newGenReader(memory.DefaultAllocator, rows)
	defer rr.Release()
	tbl, _, err := delta.CreateAsSelect(ctx, cow, rr, &delta.CreateOptions{PartitionBy: []string{"day"}})
	if err != nil {
		return "", "", err
	}
	if err := tbl.Close(); err != nil {
		return "", "", err
	}
	if err := CopyTree(cow, dv); err != nil {
		return "", "", err
	}
	tdv, err := delta.Open(ctx, dv, nil)
	if err != nil {
		return "", "", err
	}
	defer tdv.Close()
	if _, err := tdv.SetProperties(ctx, map[string]string{"delta.enableDeletionVectors": "true"}, nil); err != nil {
		return "", "", err
	}
	return cow, dv, os.WriteFile(marker, nil, 0o644)
}

// CopyTree copies every regular file under src to dst. A real copy, not
// hard links: each measured operation starts from its own files.
func CopyTree(src, dst string) error {
	return filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		to := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(to, 0o755)
		}
		in, err := os.Open(path)
		if err != nil {
			return err
		}
		defer in.Close()
		out, err := os.Create(to)
		if err != nil {
			return err
		}
		if _, err := io.Copy(out, in); err != nil {
			_ = out.Close()
			return err
		}
		return out.Close()
	})
}

// MergeSource is the MERGE source: upserts rows, the first half with ids
// spread evenly over the table (each matches one target row, in every
// partition), the second half new ids. Values are negative so that the
// validation can count the rows the MERGE wrote.
func MergeSource(mem memory.Allocator, rows, upserts int64) array.RecordReader {
	half := upserts / 2
	step := rows / half
	b := array.NewRecordBuilder(mem, schema)
	defer b.Release()
	for k := int64(0); k < upserts; k++ {
		var id int64
		var day string
		if k < half {
			id = k*step + 7
			day = dayOf(id, rows)
		} else {
			id = rows + k - half
			day = fmt.Sprintf("2024-01-%02d", 1+(k-half)%10)
		}
		b.Field(0).(*array.Int64Builder).Append(id)
		b.Field(1).(*array.Float64Builder).Append(-float64(k + 1))
		b.Field(2).(*array.StringBuilder).Append("merged-" + strconv.FormatInt(k%1000, 10))
		b.Field(3).(*array.TimestampBuilder).Append(arrow.Timestamp(baseTS + k))
		b.Field(4).(*array.StringBuilder).Append(day)
	}
	rec := b.NewRecordBatch()
	defer rec.Release()
	rr, err := array.NewRecordReader(schema, []arrow.RecordBatch{rec})
	if err != nil {
		panic(err) // the schema is the record's own
	}
	return rr
}
