package stream

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
)

// pollDelay is how long a query with a zero trigger interval waits after
// finding no new data before asking again.
const pollDelay = 100 * time.Millisecond

// engineState is what the loop carries from batch to batch.
type engineState struct {
	nextBatch   int64
	end         Offset // the last planned batch's end offset
	watermarkMs int64
	prevStart   time.Time
	// lastBatchWM is the watermark the previous batch ran with: when the
	// watermark moved past it, a stateful query runs a batch without new
	// data so that windows close and state is evicted (Spark's no-data
	// batches).
	lastBatchWM int64
	// ranBatch and ranWM are the last batch this run executed and the
	// watermark it ran with: the next batch drops late rows against it.
	ranBatch int64
	ranWM    int64
}

func (q *Query) run(ctx context.Context) {
	err := q.loop(ctx)
	if cerr := q.p.src.Close(); err == nil && cerr != nil {
		err = cerr
	}
	_ = q.closeStore()
	if err == nil {
		err = ErrStopped
	}
	q.err = err
	if errors.Is(err, ErrStopped) {
		q.setStatus("Stopped", false, false)
		q.log.Info("stream: query stopped", "id", q.id, "runId", q.runID)
	} else {
		q.setStatus("Terminated with error", false, false)
		q.log.Error("stream: query failed", "id", q.id, "runId", q.runID, "err", err)
	}
	if q.opts.Listener != nil {
		q.opts.Listener.OnTerminated(q.id, q.runID, q.termErr())
	}
	close(q.done)
}

func (q *Query) stopping() bool {
	select {
	case <-q.stopCh:
		return true
	default:
		return false
	}
}

func (q *Query) loop(ctx context.Context) error {
	src := q.p.src
	env := &SourceEnv{QueryID: q.id, RunID: q.runID, Meta: q.ck.sourceDir(0), Allocator: q.opts.Allocator, Logger: q.log}
	if err := src.Open(ctx, env); err != nil {
		return err
	}
	if q.opts.Listener != nil {
		q.opts.Listener.OnStarted(q.id, q.runID)
	}
	st := &engineState{ranBatch: -1}
	lastOff, err := q.ck.latest(ctx, "offsets")
	if err != nil {
		return err
	}
	lastCommit, err := q.ck.latest(ctx, "commits")
	if err != nil {
		return err
	}
	if lastCommit >= 0 {
		c, err := q.ck.readCommit(ctx, lastCommit)
		if err != nil {
			return err
		}
		st.watermarkMs = c.NextBatchWatermarkMs
	}
	st.nextBatch = lastOff + 1
	st.lastBatchWM = st.watermarkMs
	if err := q.loadState(ctx, lastCommit); err != nil {
		return err
	}
	trig := q.opts.Trigger
	if lastOff >= 0 {
		seq, err := q.ck.readOffsets(ctx, lastOff)
		if err != nil {
			return err
		}
		st.end = seq.offsets[0]
		if lastOff > lastCommit {
			// Planned but not committed: re-run with the very same offsets.
			var start Offset
			if lastOff > 0 {
				prev, err := q.ck.readOffsets(ctx, lastOff-1)
				if err != nil {
					return err
				}
				start = prev.offsets[0]
			}
			if err := q.runBatch(ctx, st, lastOff, start, seq, true, 0); err != nil {
				return err
			}
			if trig.kind == triggerOnce {
				return nil
			}
		}
	}
	if trig.kind == triggerAvailableNow {
		if an, ok := src.(AvailableNowSource); ok {
			if err := an.PrepareAvailableNow(ctx); err != nil {
				return err
			}
		}
	}
	for {
		if q.stopping() {
			return nil
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		tick := time.Now()
		q.setStatus("Getting offsets from "+src.Kind(), false, true)
		limit := LimitDefault
		if trig.kind == triggerOnce {
			limit = LimitAll
		}
		end, err := src.LatestOffset(ctx, st.end, limit)
		if err != nil {
			return err
		}
		latestMs := time.Since(tick).Milliseconds()
		if SameOffset(end, st.end) || end == nil {
			if len(q.stateful) > 0 && st.watermarkMs > st.lastBatchWM && trig.kind != triggerOnce && st.end != nil {
				seq := &offsetSeq{meta: offsetSeqMetadata{BatchWatermarkMs: st.watermarkMs, BatchTimestampMs: time.Now().UnixMilli(), Conf: confOf(q.opts.Conf)}, offsets: []Offset{st.end}}
				if err := q.runBatch(ctx, st, st.nextBatch, st.end, seq, false, latestMs); err != nil {
					return err
				}
				st.nextBatch++
				continue
			}
			if trig.kind != triggerProcessingTime {
				return nil
			}
			wait := trig.interval
			if wait <= 0 {
				wait = pollDelay
			}
			q.setStatus("Waiting for data to arrive", false, false)
			if !q.sleep(ctx, wait) {
				return ctx.Err()
			}
			continue
		}
		seq := &offsetSeq{meta: offsetSeqMetadata{BatchWatermarkMs: st.watermarkMs, BatchTimestampMs: time.Now().UnixMilli(), Conf: confOf(q.opts.Conf)}, offsets: []Offset{end}}
		if err := q.runBatch(ctx, st, st.nextBatch, st.end, seq, false, latestMs); err != nil {
			return err
		}
		st.nextBatch++
		if trig.kind == triggerOnce {
			return nil
		}
		if trig.kind == triggerProcessingTime && trig.interval > 0 {
			if rest := trig.interval - time.Since(tick); rest > 0 {
				q.setStatus("Waiting for next trigger", true, false)
				if !q.sleep(ctx, rest) {
					return ctx.Err()
				}
			}
		}
	}
}

func confOf(conf map[string]string) map[string]string {
	if conf == nil {
		return map[string]string{}
	}
	return maps.Clone(conf)
}

// sleep waits d, or until Stop (true: the loop notices) or ctx ends (false).
func (q *Query) sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-q.stopCh:
		return true
	case <-ctx.Done():
		return false
	}
}

// runBatch plans (unless rerun: the offsets file exists), reads,
// transforms and writes one batch, then commits it in the checkpoint.
func (q *Query) runBatch(ctx context.Context, st *engineState, id int64, start Offset, seq *offsetSeq, rerun bool, latestMs int64) error {
	began := time.Now()
	dur := map[string]int64{"latestOffset": latestMs}
	end := seq.offsets[0]
	if !rerun {
		t := time.Now()
		if err := q.ck.writeOffsets(ctx, id, seq); err != nil {
			return err
		}
		dur["walCommit"] = time.Since(t).Milliseconds()
	}
	q.setStatus("Processing new data", true, true)
	lateWM, err := q.lateWatermark(ctx, st, id)
	if err != nil {
		return err
	}
	for _, sp := range q.stateful {
		sp.step.begin(seq.meta.BatchWatermarkMs, lateWM, q.opts.OutputMode)
	}
	t := time.Now()
	rr, err := q.p.src.Read(ctx, start, end)
	if err != nil {
		return batchErr(id, err, "")
	}
	defer rr.Release()
	var out []arrow.RecordBatch
	defer func() {
		for _, r := range out {
			r.Release()
		}
	}()
	var inRows int64
	ev := eventRange{min: math.MaxInt64, max: math.MinInt64}
	for rr.Next() {
		rec := rr.RecordBatch()
		inRows += rec.NumRows()
		if q.p.watermark != nil {
			if err := ev.observe(rec, q.p.watermark.column); err != nil {
				return err
			}
		}
		rec.Retain()
		o, err := q.p.run(ctx, rec, q.opts.Allocator)
		if err != nil {
			return batchErr(id, err, "")
		}
		if o != nil {
			out = append(out, o)
		}
	}
	if err := rr.Err(); err != nil {
		return batchErr(id, err, "")
	}
	for _, sp := range q.stateful {
		emitted, err := sp.step.finish(ctx, q.opts.Allocator)
		if err != nil {
			return batchErr(id, err, "")
		}
		if emitted == nil {
			continue
		}
		o, err := q.p.runFrom(ctx, emitted, q.opts.Allocator, sp.index+1)
		if err != nil {
			return batchErr(id, err, "")
		}
		if o != nil {
			out = append(out, o)
		}
	}
	dur["getBatch"] = time.Since(t).Milliseconds()
	if err := q.saveState(ctx, id); err != nil {
		return err
	}
	schema := rr.Schema()
	if len(out) > 0 {
		schema = out[0].Schema()
	} else if len(q.p.steps) > 0 {
		schema = nil // transformed schema unknown without a batch to run
		if empty, err := q.emptyOutput(ctx, rr.Schema()); err == nil && empty != nil {
			schema = empty.Schema()
			empty.Release()
		}
	}
	t = time.Now()
	b := &Batch{ID: id, QueryID: q.id, Mode: q.opts.OutputMode, Schema: schema, Records: out}
	if err := q.sink.AddBatch(ctx, b); err != nil {
		return batchErr(id, err, "sink")
	}
	dur["addBatch"] = time.Since(t).Milliseconds()
	next := st.watermarkMs
	if q.p.watermark != nil && ev.max != math.MinInt64 {
		if w := ev.max - q.p.watermark.delay.Milliseconds(); w > next {
			next = w
		}
	}
	t = time.Now()
	if err := q.ck.writeCommit(ctx, id, commitMetadata{NextBatchWatermarkMs: next}); err != nil {
		return err
	}
	dur["commitOffsets"] = time.Since(t).Milliseconds()
	elapsed := time.Since(began)
	dur["triggerExecution"] = elapsed.Milliseconds()
	st.end = end
	st.watermarkMs = next
	st.lastBatchWM = seq.meta.BatchWatermarkMs
	st.ranBatch, st.ranWM = id, seq.meta.BatchWatermarkMs

	p := &Progress{ID: q.id, RunID: q.runID, Name: q.name, Timestamp: began.UTC(), BatchID: id,
		BatchDuration: elapsed.Milliseconds(), NumInputRows: inRows, DurationMs: dur, Rerun: rerun,
		NumOutputRows: b.NumRows()}
	if !st.prevStart.IsZero() {
		if s := began.Sub(st.prevStart).Seconds(); s > 0 {
			p.InputRowsPerSecond = float64(inRows) / s
		}
	}
	if s := elapsed.Seconds(); s > 0 {
		p.ProcessedRowsPerSecond = float64(inRows) / s
	}
	st.prevStart = began
	if q.p.watermark != nil {
		p.EventTime = map[string]string{"watermark": time.UnixMilli(seq.meta.BatchWatermarkMs).UTC().Format(time.RFC3339Nano)}
		if ev.max != math.MinInt64 {
			p.EventTime["max"] = time.UnixMilli(ev.max).UTC().Format(time.RFC3339Nano)
			p.EventTime["min"] = time.UnixMilli(ev.min).UTC().Format(time.RFC3339Nano)
		}
	}
	p.Sources = []SourceProgress{{Description: describe(q.p.src), StartOffset: start, EndOffset: end,
		NumInputRows: inRows, InputRowsPerSecond: p.InputRowsPerSecond, ProcessedRowsPerSecond: p.ProcessedRowsPerSecond}}
	p.Sink = SinkProgress{Description: describe(q.sink), NumOutputRows: p.NumOutputRows}
	for _, sp := range q.stateful {
		p.StateOperators = append(p.StateOperators, StateOperatorProgress{OperatorName: sp.step.descriptor(), NumRowsTotal: sp.step.rows()})
	}
	q.record(p)
	return nil
}

// lateWatermark is the watermark batch id drops late rows against: the one
// the batch before it ran with (0 for the first batch), as Spark does since
// it supports chains of stateful operators. Rows are evicted and windows
// closed with the batch's own watermark, so a row behind it but not behind
// the previous one still counts (in a window still open at the start of
// the batch, and emitted by the same batch).
func (q *Query) lateWatermark(ctx context.Context, st *engineState, id int64) (int64, error) {
	if id == 0 || q.p.watermark == nil {
		return 0, nil
	}
	if st.ranBatch == id-1 {
		return st.ranWM, nil
	}
	prev, err := q.ck.readOffsets(ctx, id-1)
	if err != nil {
		return 0, err
	}
	return prev.meta.BatchWatermarkMs, nil
}

// emptyOutput runs the transformations over an empty batch of the source
// schema, to learn the output schema of a batch without rows.
func (q *Query) emptyOutput(ctx context.Context, schema *arrow.Schema) (arrow.RecordBatch, error) {
	b := array.NewRecordBuilder(q.opts.Allocator, schema)
	defer b.Release()
	return q.p.run(ctx, b.NewRecordBatch(), q.opts.Allocator)
}

func describe(v any) string {
	if s, ok := v.(fmt.Stringer); ok {
		return s.String()
	}
	if s, ok := v.(interface{ Kind() string }); ok {
		return s.Kind()
	}
	return fmt.Sprintf("%T", v)
}

// eventRange tracks the minimum and maximum event time (ms) of a batch.
type eventRange struct{ min, max int64 }

func (e *eventRange) observe(rec arrow.RecordBatch, column string) error {
	idx := rec.Schema().FieldIndices(column)
	if len(idx) == 0 {
		return fmt.Errorf("%w: watermark column %q is not in the source's schema", ErrInvalidArgument, column)
	}
	col, ok := rec.Column(idx[0]).(*array.Timestamp)
	if !ok {
		return fmt.Errorf("%w: watermark column %q is %s, not a timestamp", ErrInvalidArgument, column, rec.Column(idx[0]).DataType())
	}
	unit := col.DataType().(*arrow.TimestampType).Unit
	for i := 0; i < col.Len(); i++ {
		if col.IsNull(i) {
			continue
		}
		ms := col.Value(i).ToTime(unit).UnixMilli()
		e.min = min(e.min, ms)
		e.max = max(e.max, ms)
	}
	return nil
}

// batchErr adds the batch (and the part that failed) to an error, after
// its message: the error already names its package.
func batchErr(id int64, err error, part string) error {
	if part != "" {
		return fmt.Errorf("%w (batch %d, %s)", err, id, part)
	}
	return fmt.Errorf("%w (batch %d)", err, id)
}
