package delta

import (
	"bytes"
	"context"
	"fmt"
	"runtime"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/arrow/scalar"
	"github.com/google/uuid"
	"golang.org/x/sync/errgroup"

	"github.com/lakehouse-go/lakehouse/internal/parquetio"
	"github.com/lakehouse-go/lakehouse/internal/protocol"
	"github.com/lakehouse-go/lakehouse/internal/rowruns"
	"github.com/lakehouse-go/lakehouse/internal/storage"
)

// defaultTargetFileSize is the size at which a data file is rolled over
// when neither TxnOptions nor delta.targetFileSize says otherwise.
const defaultTargetFileSize = 128 << 20

// dataRowGroupRows caps the rows of one row group in the data files we
// write. Filtered scans prune and skip whole row groups, so groups much
// smaller than a file let a selective filter decode a small part of it;
// 128Ki rows still keeps pages and dictionaries large enough to compress
// well. A variable so tests can make many small groups.
var dataRowGroupRows int64 = 128 << 10

// dataPageBytes is the data page size of the files we write; 0 means
// parquetio's default. A variable so tests can make many small pages.
var dataPageBytes int64

// dataWriter splits batches by partition and streams each partition into
// rolling parquet files.
type dataWriter struct {
	store       storage.Store
	mem         memory.Allocator
	tableSchema *arrow.Schema // logical, all columns, table order
	fileSchema  *arrow.Schema // logical, data columns only
	dataIdx     []int         // table column index of each file column
	parts       []partColumn
	mapping     protocol.ColumnMappingMode
	checks      *batchChecks
	targetSize  int64
	// memBudget, when positive, bounds the bytes all open partition
	// files buffer: past it, the largest buffered row group is flushed
	// early.
	memBudget int64
	codec     string
	cfg       protocol.Config
	// rowGroupRows caps the rows of a row group (TxnOptions.RowGroupRows).
	rowGroupRows int64
	// buffers are the encoding buffers every partition's writer shares:
	// a write of many partitions grows a row group's buffer once, not
	// once per partition.
	buffers *parquetio.EncodeBuffers

	open   map[string]*partitionFile
	order  []string // partition keys in first-seen order, for stable output
	adds   []*protocol.Add
	staged []string
	seq    int
	taskID string

	// changeData makes this a writer of change data files: names
	// "cdc-…" under _change_data/, with the _change_type column.
	changeData bool
}

type partColumn struct {
	name     string // logical name
	physical string // key in partitionValues and directory names
	idx      int    // column index in the table schema
}

type partitionFile struct {
	values map[string]*string
	dir    string // "" or "a=1/b=x/"
	rw     *parquetio.RollingWriter
	paths  []string // files opened by rw, in order
}

func (x *Transaction) newDataWriter() (*dataWriter, error) {
	table, err := x.tableArrowSchema()
	if err != nil {
		return nil, err
	}
	w := &dataWriter{
		store:       x.table.store,
		mem:         x.table.opts.Allocator,
		tableSchema: table,
		mapping:     x.mapping,
		codec:       strings.ToLower(x.opts.Compression),
		cfg:         protocol.Config(x.meta.Configuration),
		open:        map[string]*partitionFile{},
		taskID:      uuid.NewString(),
	}
	w.memBudget = writeMemory
	w.buffers = parquetio.NewEncodeBuffers(2*runtime.GOMAXPROCS(0) + 1)
	w.rowGroupRows = x.opts.RowGroupRows
	if w.rowGroupRows <= 0 {
		w.rowGroupRows = dataRowGroupRows
	}
	w.targetSize = x.opts.TargetFileSize
	if w.targetSize <= 0 {
		def := int64(defaultTargetFileSize)
		if optimizeWrite(&x.opts, w.cfg) {
			def = OptimizeWriteBinSize
		}
		w.targetSize = w.cfg.Int(protocol.PropTargetFileSize, def)
	}
	for _, pc := range x.meta.PartitionColumns {
		f, _ := x.schema.Field(pc)
		i := fieldIndexFold(table, pc)
		if f == nil || i < 0 {
			return nil, corrupt("partition column %q is not in the schema", pc)
		}
		w.parts = append(w.parts, partColumn{name: f.Name, physical: f.PhysicalName(x.mapping), idx: i})
	}
	var fields []arrow.Field
	for i, f := range table.Fields() {
		if !containsFold(x.meta.PartitionColumns, f.Name) {
			fields = append(fields, f)
			w.dataIdx = append(w.dataIdx, i)
		}
	}
	w.fileSchema = arrow.NewSchema(fields, nil)
	if w.checks, err = x.newBatchChecks(table); err != nil {
		return nil, err
	}
	return w, nil
}

// write routes the rows of one conformed, checked batch to partition files.
func (w *dataWriter) write(ctx context.Context, rec arrow.RecordBatch) error {
	if len(w.parts) == 0 {
		return w.writeTo(ctx, "", nil, rec)
	}
	runs, order, values, err := w.partitionRuns(rec)
	if err != nil {
		return err
	}
	nruns := 0
	for _, rs := range runs {
		nruns += len(rs)
	}
	for _, k := range order {
		rs := runs[k]
		vals := values[k]
		if nruns <= 2*len(order)+8 {
			// Rows arrive clustered by partition (the usual case): slices
			// share the batch's buffers, no copy.
			for _, r := range rs {
				part := rec.NewSlice(int64(r.Start), int64(r.End))
				err := w.writeTo(ctx, k, vals, part)
				part.Release()
				if err != nil {
					return err
				}
			}
			continue
		}
		part, err := takeRows(ctx, rec, rs, w.mem)
		if err != nil {
			return err
		}
		err = w.writeTo(ctx, k, vals, part)
		part.Release()
		if err != nil {
			return err
		}
	}
	return nil
}

// takeRows gathers the rows of one partition, runs of consecutive rows.
func takeRows(ctx context.Context, rec arrow.RecordBatch, runs []rowruns.Run, mem memory.Allocator) (arrow.RecordBatch, error) {
	out, err := rowruns.Batch(ctx, mem, rec, runs, rowruns.Rows(runs))
	if err != nil {
		return nil, fmt.Errorf("delta: split partitions: %w", err)
	}
	return out, nil
}

// writeTo appends rows of one partition to its rolling file writer, which
// starts a new file at the target size.
func (w *dataWriter) writeTo(ctx context.Context, key string, values map[string]*string, rec arrow.RecordBatch) error {
	pf, err := w.partition(key, values)
	if err != nil {
		return err
	}
	cols := make([]arrow.Array, len(w.dataIdx))
	for i, j := range w.dataIdx {
		cols[i] = rec.Column(j)
	}
	data := array.NewRecordBatch(w.fileSchema, cols, rec.NumRows())
	defer data.Release()
	if err := pf.rw.Write(ctx, data); err != nil {
		return fmt.Errorf("delta: write data files under %q: %w", pf.dir, err)
	}
	return w.boundMemory()
}

// partition returns the open files of the partition with key and values,
// starting its rolling writer if it has none.
func (w *dataWriter) partition(key string, values map[string]*string) (*partitionFile, error) {
	pf := w.open[key]
	if pf == nil {
		pf = &partitionFile{values: values, dir: w.partitionDir(values)}
		w.open[key] = pf
		w.order = append(w.order, key)
	}
	if pf.rw != nil {
		return pf, nil
	}
	rw, err := parquetio.NewRollingWriter(w.fileSchema, func(ctx context.Context) (parquetio.Sink, error) {
		prefix, dir := "part", pf.dir
		if w.changeData {
			prefix, dir = "cdc", changeDataDir+pf.dir
		}
		name := fmt.Sprintf("%s-%05d-%s-c000%s.parquet", prefix, w.seq, w.taskID, codecExtension(w.codec))
		w.seq++
		p := dir + name
		out, err := w.store.Create(ctx, p)
		if err != nil {
			return nil, err
		}
		pf.paths = append(pf.paths, p)
		w.staged = append(w.staged, p)
		return out, nil // a storage.Writer: parquetio aborts it when writing fails
	}, w.writeOptions())
	if err != nil {
		return nil, fmt.Errorf("delta: data files: %w", err)
	}
	pf.rw = rw
	return pf, nil
}

// copyRowGroup copies row group g of src into the partition's file as it
// is (see dml_copy.go).
func (w *dataWriter) copyRowGroup(ctx context.Context, pf *partitionFile, src *parquetio.CopySource, g int) error {
	if err := pf.rw.CopyRowGroup(ctx, src, g); err != nil {
		return fmt.Errorf("delta: copy a row group into %q: %w", pf.dir, err)
	}
	return w.boundMemory()
}

// copyRowGroupReplacing copies row group g of src with the columns in
// cols (by file column index) replaced (see dml_update_columns.go).
func (w *dataWriter) copyRowGroupReplacing(ctx context.Context, pf *partitionFile, src *parquetio.CopySource, g int, cols map[int][]arrow.Array) error {
	if err := pf.rw.CopyRowGroupReplacing(ctx, src, g, cols); err != nil {
		return fmt.Errorf("delta: copy a row group into %q: %w", pf.dir, err)
	}
	return w.boundMemory()
}

// boundMemory flushes the largest buffered row groups while the open
// partition files together buffer more than memBudget: with many
// partitions open at once, memory stays bounded and each partition still
// gets one file.
func (w *dataWriter) boundMemory() error {
	if w.memBudget <= 0 || len(w.open) < 2 {
		return nil
	}
	for {
		var total int64
		var largest *partitionFile
		for _, pf := range w.open {
			if pf.rw == nil {
				continue
			}
			b := pf.rw.Buffered()
			total += b
			if largest == nil || b > largest.rw.Buffered() {
				largest = pf
			}
		}
		if total <= w.memBudget || largest == nil || largest.rw.Buffered() == 0 {
			return nil
		}
		if err := largest.rw.FlushRowGroup(); err != nil {
			return fmt.Errorf("delta: write data files under %q: %w", largest.dir, err)
		}
	}
}

// writeOptions translate the table's properties into parquet writer
// options.
func (w *dataWriter) writeOptions() *parquetio.WriteOptions {
	o := &parquetio.WriteOptions{
		Codec:          w.codec,
		TargetFileSize: w.targetSize,
		RowGroupSize:   w.rowGroupRows,
		Buffers:        w.buffers,
		DataPageSize:   dataPageBytes,
		Allocator:      w.mem,
	}
	switch {
	case w.mapping != protocol.ColumnMappingNone && w.changeData:
		// _change_type is not a table column and has no field id:
		// change data files match columns by physical name.
		o.ColumnMapping = parquetio.ColumnMappingName
	case w.mapping != protocol.ColumnMappingNone:
		// Spark writes physical names and Parquet field ids in both
		// mapping modes, and delta-rs matches columns by field id: write
		// what id mode writes.
		o.ColumnMapping = parquetio.ColumnMappingID
	}
	if _, ok := w.cfg[protocol.PropDataSkippingNumIndexedCols]; ok {
		n := int(w.cfg.Int(protocol.PropDataSkippingNumIndexedCols, parquetio.DefaultNumIndexedCols))
		o.NumIndexedCols = &n
	}
	if cols := strings.TrimSpace(w.cfg[protocol.PropDataSkippingStatsColumns]); cols != "" {
		for _, c := range strings.Split(cols, ",") {
			if c = strings.Trim(strings.TrimSpace(c), "`"); c != "" {
				o.StatsColumns = append(o.StatsColumns, c)
			}
		}
	}
	return o
}

// close finishes every open file and returns the add actions.
func (w *dataWriter) close(ctx context.Context) ([]*protocol.Add, error) {
	// Each partition's last row group is still gathering rows. Ended one
	// file at a time, they would encode one after another, each while
	// the caller waits for it; ended all first, they encode side by side.
	for _, k := range w.order {
		if pf := w.open[k]; pf.rw != nil {
			if err := pf.rw.EndRowGroup(); err != nil {
				w.abort()
				return nil, fmt.Errorf("delta: finish data files under %q: %w", pf.dir, err)
			}
		}
	}
	// Closing a file waits for its last row groups and, on local disk,
	// syncs it: the partitions' files close side by side.
	written := make([][]parquetio.WrittenFile, len(w.order))
	var g errgroup.Group
	g.SetLimit(closeConcurrency)
	for i, k := range w.order {
		pf := w.open[k]
		if pf.rw == nil {
			continue
		}
		rw := pf.rw
		pf.rw = nil
		g.Go(func() error {
			files, err := rw.Close()
			written[i] = files
			if err != nil {
				return fmt.Errorf("delta: finish data files under %q: %w", pf.dir, err)
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		w.abort()
		return nil, err
	}
	for i, k := range w.order {
		pf, files := w.open[k], written[i]
		if len(files) > len(pf.paths) {
			return nil, fmt.Errorf("delta: finish data files under %q: %d files for %d paths", pf.dir, len(files), len(pf.paths))
		}
		for i, f := range files {
			stats, err := f.Stats.JSON()
			if err != nil {
				return nil, fmt.Errorf("delta: statistics of %s: %w", pf.paths[i], err)
			}
			pv := make(map[string]*string, len(pf.values))
			for k, v := range pf.values {
				pv[k] = v
			}
			w.adds = append(w.adds, &protocol.Add{
				Path:             pf.paths[i],
				PartitionValues:  pv,
				Size:             f.Size,
				ModificationTime: time.Now().UnixMilli(),
				DataChange:       true,
				Stats:            string(stats),
			})
		}
	}
	return w.adds, nil
}

// closeConcurrency bounds the partition files a write closes at once.
const closeConcurrency = 16

// abort discards the files in progress (finished ones are staged and
// deleted by the transaction's cleanup).
func (w *dataWriter) abort() {
	for _, pf := range w.open {
		if pf.rw != nil {
			pf.rw.Abort()
			pf.rw = nil
		}
	}
}

func codecExtension(codec string) string {
	switch codec {
	case "snappy", "snappy-fast":
		return ".snappy"
	case "zstd":
		return ".zstd"
	case "gzip":
		return ".gz"
	}
	return ""
}

// partitionDir is the Hive-style directory of a partition, escaped the way
// Spark escapes partition paths.
func (w *dataWriter) partitionDir(values map[string]*string) string {
	var b strings.Builder
	for _, pc := range w.parts {
		b.WriteString(escapePartitionName(pc.physical))
		b.WriteByte('=')
		v := values[pc.physical]
		if v == nil {
			b.WriteString("__HIVE_DEFAULT_PARTITION__")
		} else {
			b.WriteString(escapePartitionName(*v))
		}
		b.WriteByte('/')
	}
	return b.String()
}

// escapePartitionName percent-encodes the characters Hive and Spark escape
// in partition directory names.
func escapePartitionName(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c == 0x7f || strings.IndexByte("\"#%'*/:=?\\{[]^", c) >= 0 {
			fmt.Fprintf(&b, "%%%02X", c)
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

// partitionRuns splits a batch into runs of consecutive rows with equal
// partition values, grouped by partition key (in first-seen order), with
// each partition's partitionValues map. Rows are compared in their Arrow
// form; values are formatted once per run, so clustered input (the usual
// case) costs one comparison per row.
func (w *dataWriter) partitionRuns(rec arrow.RecordBatch) (map[string][]rowruns.Run, []string, map[string]map[string]*string, error) {
	n := int(rec.NumRows())
	cols := make([]arrow.Array, len(w.parts))
	for p, pc := range w.parts {
		cols[p] = rec.Column(pc.idx)
	}
	runs := map[string][]rowruns.Run{}
	values := map[string]map[string]*string{}
	var order []string
	for start := 0; start < n; {
		end := runEnd(cols, start, n)
		m := make(map[string]*string, len(w.parts))
		for p, pc := range w.parts {
			v, err := formatPartitionValue(cols[p], start)
			if err != nil {
				return nil, nil, nil, fmt.Errorf("delta: partition column %q: %w", pc.name, err)
			}
			m[pc.physical] = v
		}
		k := writerPartitionKey(w.parts, m)
		if _, ok := runs[k]; !ok {
			order = append(order, k)
			values[k] = m
		}
		runs[k] = append(runs[k], rowruns.Run{Start: start, End: end})
		start = end
	}
	return runs, order, values, nil
}

// writerPartitionKey identifies the partition with these values (by physical
// name) among a writer's open partitions.
func writerPartitionKey(parts []partColumn, values map[string]*string) string {
	var b strings.Builder
	for _, pc := range parts {
		if v := values[pc.physical]; v == nil {
			b.WriteByte(1)
		} else {
			b.WriteByte(0)
			b.WriteString(*v)
		}
		b.WriteByte(0xff)
	}
	return b.String()
}

// runEnd returns the end of the run of rows from start (below n) whose
// values equal row start's in every column. Each column narrows the run in
// a loop typed for its array, so the usual partition columns cost a few
// nanoseconds a row rather than an interface call per value.
func runEnd(cols []arrow.Array, start, n int) int {
	end := n
	for _, c := range cols {
		end = columnRunEnd(c, start, end)
		if end == start+1 {
			break
		}
	}
	return end
}

// columnRunEnd returns the first row in (start, end) whose value in c
// differs from its predecessor's, or end.
func columnRunEnd(c arrow.Array, start, end int) int {
	if c.NullN() > 0 {
		// Null runs break at the first change of validity; within valid
		// rows the typed loops below compare values.
		for j := start + 1; j < end; j++ {
			if c.IsNull(j) != c.IsNull(start) {
				end = j
				break
			}
		}
		if c.IsNull(start) {
			return end
		}
	}
	switch a := c.(type) {
	case *array.String:
		return stringRunEnd(a, start, end)
	case *array.Int64:
		return valueRunEnd(a.Int64Values(), start, end)
	case *array.Int32:
		return valueRunEnd(a.Int32Values(), start, end)
	case *array.Date32:
		return valueRunEnd(a.Date32Values(), start, end)
	case *array.Int16:
		return valueRunEnd(a.Int16Values(), start, end)
	case *array.Int8:
		return valueRunEnd(a.Int8Values(), start, end)
	case *array.Timestamp:
		return valueRunEnd(a.TimestampValues(), start, end)
	}
	for j := start + 1; j < end; j++ {
		if !array.SliceEqual(c, int64(j-1), int64(j), c, int64(j), int64(j+1)) {
			return j
		}
	}
	return end
}

func valueRunEnd[T comparable](vs []T, start, end int) int {
	v := vs[start]
	for j := start + 1; j < end; j++ {
		if vs[j] != v {
			return j
		}
	}
	return end
}

// stringRunEnd compares row by row, after a check that settles the usual
// case at once: a partition column a scan filled with one value (a DML
// rewriting one file) has offsets a fixed step apart and bytes that repeat
// with that period, which one comparison of the bytes with themselves
// shifted by a value proves. The check is made for a batch's first run
// only, where the last row's value is the first's: made for every run of
// a batch of many runs it would cost the rest of the batch each time.
func stringRunEnd(a *array.String, start, end int) int {
	if start == 0 && end > 0 && a.Value(end-1) == a.Value(0) && sameStrings(a, start, end) {
		return end
	}
	v := a.Value(start)
	for j := start + 1; j < end; j++ {
		if a.Value(j) != v {
			return j
		}
	}
	return end
}

// sameStrings reports whether rows [start, end) of a hold one value,
// checked by the shape of the buffers only: false means "compare them".
func sameStrings(a *array.String, start, end int) bool {
	if end-start < 64 {
		return false
	}
	offs := a.ValueOffsets()
	step := offs[start+1] - offs[start]
	for j := start + 1; j <= end; j++ {
		if offs[j]-offs[j-1] != step {
			return false
		}
	}
	data := a.ValueBytes()
	base := offs[0]
	run := data[offs[start]-base : offs[end]-base]
	return step == 0 || bytes.Equal(run[step:], run[:len(run)-int(step)])
}

// formatPartitionValue renders row i as the log stores it (nil for null;
// an empty string is null too, as in Spark).
func formatPartitionValue(col arrow.Array, i int) (*string, error) {
	if col.IsNull(i) {
		return nil, nil
	}
	sc, err := scalar.GetScalar(col, i)
	if err != nil {
		return nil, err
	}
	v, err := protocol.FormatPartitionValue(sc)
	if r, ok := sc.(scalar.Releasable); ok {
		r.Release()
	}
	if err != nil || v == nil || *v == "" {
		return nil, err
	}
	return v, nil
}
