package stream

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/lakehouse-go/lakehouse/delta"
	"github.com/lakehouse-go/lakehouse/internal/protocol"
)

// statefulStep is a transformation with state that outlives a batch. The
// engine gives it the batch's watermark before the batch (begin), asks it
// for what the batch emits after every record went through apply (finish),
// and checkpoints its state (state/<i>/<batchId>) with every batch. A
// re-run batch starts from the state of the batch before it.
type statefulStep interface {
	step
	// descriptor identifies the operator and its shape; a checkpoint whose
	// state has another descriptor is refused.
	descriptor() string
	// begin gives the batch's watermark (for eviction and closing windows)
	// and the late-rows watermark (the previous batch's, see lateWatermark).
	begin(watermarkMs, lateMs int64, mode OutputMode)
	finish(ctx context.Context, mem memory.Allocator) (arrow.RecordBatch, error)
	marshal() ([]byte, error)
	unmarshal(data []byte) error
	// rows is the number of rows of state held (Progress.StateOperators).
	rows() int64
}

// StateOperatorProgress is a stateful operator's part of a Progress.
type StateOperatorProgress struct {
	OperatorName string `json:"operatorName"`
	NumRowsTotal int64  `json:"numRowsTotal"`
}

func schemaJSON(schema *arrow.Schema) (string, error) {
	st, err := protocol.FromArrowSchema(schema)
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrInvalidArgument, err)
	}
	return protocol.MarshalSchema(st)
}

func parseSchemaJSON(text string) (*arrow.Schema, error) { return delta.ParseSchemaJSON(text) }

// eventTimes returns a batch's event times in ms (MinInt64 for nulls).
func eventTimes(rec arrow.RecordBatch, column string) ([]int64, error) {
	idx := rec.Schema().FieldIndices(column)
	if len(idx) == 0 {
		return nil, fmt.Errorf("%w: event-time column %q is not in the batch", ErrInvalidArgument, column)
	}
	col, ok := rec.Column(idx[0]).(*array.Timestamp)
	if !ok {
		return nil, fmt.Errorf("%w: event-time column %q is %s, not a timestamp", ErrInvalidArgument, column, rec.Column(idx[0]).DataType())
	}
	unit := col.DataType().(*arrow.TimestampType).Unit
	out := make([]int64, col.Len())
	for i := range out {
		if col.IsNull(i) {
			out[i] = math.MinInt64
			continue
		}
		out[i] = col.Value(i).ToTime(unit).UnixMilli()
	}
	return out, nil
}

// keyText renders a value of a grouping or deduplication column so that
// appendValue can rebuild it.
func keyText(a arrow.Array, i int) (string, bool) {
	if a.IsNull(i) {
		return "", false
	}
	switch c := a.(type) {
	case *array.String:
		return c.Value(i), true
	case *array.Timestamp:
		unit := c.DataType().(*arrow.TimestampType).Unit
		return c.Value(i).ToTime(unit).UTC().Format(time.RFC3339Nano), true
	case *array.Date32:
		return c.Value(i).ToTime().Format("2006-01-02"), true
	}
	return a.ValueStr(i), true
}

func columnIndices(schema *arrow.Schema, names []string) ([]int, error) {
	out := make([]int, len(names))
	for i, n := range names {
		idx := schema.FieldIndices(n)
		if len(idx) == 0 {
			return nil, fmt.Errorf("%w: column %q is not in the batch", ErrInvalidArgument, n)
		}
		out[i] = idx[0]
	}
	return out, nil
}

// rowKey joins a row's key texts (with a null marker) into one map key.
func rowKey(rec arrow.RecordBatch, cols []int, i int) (string, []*string) {
	var b strings.Builder
	vals := make([]*string, len(cols))
	for j, c := range cols {
		if v, ok := keyText(rec.Column(c), i); ok {
			vals[j] = &v
			b.WriteString(strconv.Quote(v))
		} else {
			b.WriteString("null")
		}
		b.WriteByte(0)
	}
	return b.String(), vals
}

// dedupStep is DropDuplicates and DropDuplicatesWithinWatermark.
type dedupStep struct {
	columns []string
	within  bool
	pipe    *Pipeline // its watermark (nil: state is never evicted)

	batchWM int64
	lateWM  int64
	seen    map[string]int64 // key -> expiry in ms (event time, + delay within watermark)
}

func (d *dedupStep) descriptor() string {
	kind := "dropDuplicates"
	if d.within {
		kind = "dropDuplicatesWithinWatermark"
	}
	return kind + "(" + strings.Join(d.columns, ",") + ")"
}

func (d *dedupStep) begin(wm, late int64, _ OutputMode) { d.batchWM, d.lateWM = wm, late }
func (d *dedupStep) rows() int64                        { return int64(len(d.seen)) }

func (d *dedupStep) apply(ctx context.Context, in arrow.RecordBatch, mem memory.Allocator) (arrow.RecordBatch, error) {
	cols, err := columnIndices(in.Schema(), d.columns)
	if err != nil {
		return nil, err
	}
	var times []int64
	wm := d.pipe.watermark
	if wm != nil {
		if times, err = eventTimes(in, wm.column); err != nil {
			return nil, err
		}
	}
	keep := array.NewBooleanBuilder(mem)
	defer keep.Release()
	for i := 0; i < int(in.NumRows()); i++ {
		if times != nil && times[i] != math.MinInt64 && times[i] <= d.lateWM {
			keep.Append(false) // late: dropped by the watermark
			continue
		}
		k, _ := rowKey(in, cols, i)
		if _, dup := d.seen[k]; dup {
			keep.Append(false)
			continue
		}
		exp := int64(math.MaxInt64)
		// dropDuplicates evicts a key by its event time only when the
		// event time is part of the key, as Spark does: otherwise the key
		// is kept for ever and a later row with it is still a duplicate.
		if times != nil && times[i] != math.MinInt64 && (d.within || d.keyHasEventTime()) {
			exp = times[i]
			if d.within {
				exp += wm.delay.Milliseconds()
			}
		}
		d.seen[k] = exp
		keep.Append(true)
	}
	mask := keep.NewBooleanArray()
	defer mask.Release()
	return filterRecord(ctx, in, mask, mem)
}

func (d *dedupStep) keyHasEventTime() bool {
	return d.pipe.watermark != nil && slices.Contains(d.columns, d.pipe.watermark.column)
}

func (d *dedupStep) finish(context.Context, memory.Allocator) (arrow.RecordBatch, error) {
	if d.pipe.watermark != nil {
		for k, exp := range d.seen {
			if exp <= d.batchWM {
				delete(d.seen, k)
			}
		}
	}
	return nil, nil
}

type dedupState struct {
	Operator string           `json:"operator"`
	Keys     map[string]int64 `json:"keys"`
}

func (d *dedupStep) marshal() ([]byte, error) {
	return json.Marshal(dedupState{Operator: d.descriptor(), Keys: d.seen})
}

func (d *dedupStep) unmarshal(data []byte) error {
	var st dedupState
	if data != nil {
		if err := json.Unmarshal(data, &st); err != nil {
			return fmt.Errorf("%w: dedup state: %v", ErrCorruptCheckpoint, err)
		}
	}
	d.seen = st.Keys
	if d.seen == nil {
		d.seen = map[string]int64{}
	}
	return nil
}

// filterRecord keeps the rows where mask is true: runs of kept rows are
// sliced and concatenated, which works for every type.
func filterRecord(_ context.Context, in arrow.RecordBatch, mask *array.Boolean, mem memory.Allocator) (arrow.RecordBatch, error) {
	type run struct{ lo, hi int64 }
	var runs []run
	var kept int64
	for i := 0; i < mask.Len(); i++ {
		if !mask.Value(i) {
			continue
		}
		kept++
		if n := len(runs); n > 0 && runs[n-1].hi == int64(i) {
			runs[n-1].hi++
			continue
		}
		runs = append(runs, run{int64(i), int64(i) + 1})
	}
	if kept == in.NumRows() {
		in.Retain()
		return in, nil
	}
	cols := make([]arrow.Array, in.NumCols())
	defer func() {
		for _, c := range cols {
			if c != nil {
				c.Release()
			}
		}
	}()
	for j := range cols {
		if len(runs) == 0 {
			b := array.NewBuilder(mem, in.Column(j).DataType())
			cols[j] = b.NewArray()
			b.Release()
			continue
		}
		parts := make([]arrow.Array, len(runs))
		for k, r := range runs {
			parts[k] = array.NewSlice(in.Column(j), r.lo, r.hi)
		}
		c, err := array.Concatenate(parts, mem)
		for _, p := range parts {
			p.Release()
		}
		if err != nil {
			return nil, err
		}
		cols[j] = c
	}
	return array.NewRecordBatch(in.Schema(), cols, kept), nil
}

// sortedKeys returns a map's keys in order, for deterministic output.
func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
