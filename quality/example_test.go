package quality_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/lakehouse-go/lakehouse/delta"
	"github.com/lakehouse-go/lakehouse/quality"
)

var schema = arrow.NewSchema([]arrow.Field{
	{Name: "id", Type: arrow.PrimitiveTypes.Int64},
	{Name: "amount", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
}, nil)

func batch(ids []int64, amounts []float64, valid []bool) arrow.RecordBatch {
	b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
	defer b.Release()
	b.Field(0).(*array.Int64Builder).AppendValues(ids, nil)
	b.Field(1).(*array.Float64Builder).AppendValues(amounts, valid)
	return b.NewRecordBatch()
}

// Decorate a transformation with expectations: rows with a negative
// amount are dropped, a NULL amount only counted, and the metrics
// returned to the caller.
func ExampleExpect() {
	ctx := context.Background()
	exps := []quality.Expectation{
		quality.Warn("has_amount", "amount IS NOT NULL"),
		quality.Drop("positive", "amount > 0"), // NULL > 0 is NULL: not a failure
	}
	c, err := quality.Bind(schema, exps, &quality.Options{Dataset: "silver"})
	if err != nil {
		log.Fatal(err)
	}
	identity := func(_ context.Context, b arrow.RecordBatch) (arrow.RecordBatch, error) {
		b.Retain()
		return b, nil
	}
	clean := quality.Expect(c)(identity)

	in := batch([]int64{1, 2, 3, 4}, []float64{10, -5, 0, 7}, []bool{true, true, false, true})
	defer in.Release()
	out, err := clean(ctx, in)
	if err != nil {
		log.Fatal(err)
	}
	defer out.Release()
	fmt.Println("kept ids:", out.Column(0))
	m := c.TakeMetrics()
	fmt.Println("input", m.InputRecords, "output", m.OutputRecords, "dropped", m.DroppedRecords)
	for _, e := range m.Expectations {
		fmt.Printf("%s (%s): passed %d, failed %d\n", e.Name, e.Action, e.PassedRecords, e.FailedRecords)
	}
	// Output:
	// kept ids: [1 3 4]
	// input 4 output 3 dropped 1
	// has_amount (allow): passed 3, failed 1
	// positive (drop): passed 3, failed 1
}

// A Fail expectation stops with an error naming it and the offending row;
// an unknown column is an error when binding.
func ExampleFail() {
	_, err := quality.Bind(schema, []quality.Expectation{quality.Fail("x", "amout > 0")}, nil)
	fmt.Println(err != nil)

	c, _ := quality.Bind(schema, []quality.Expectation{quality.Fail("positive", "amount > 0")}, nil)
	in := batch([]int64{1, 2}, []float64{3, -1}, nil)
	defer in.Release()
	_, err = c.Check(context.Background(), in)
	fmt.Println(err)
	// Output:
	// true
	// quality: expectation "positive" (amount > 0) failed; offending row {id: 2, amount: -1}
}

// Validate a Delta table with a suite of dataset expectations.
func ExampleSuite_Run() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "quality-example")
	defer os.RemoveAll(dir)
	in := batch([]int64{1, 2, 2}, []float64{10, 20, -3}, nil)
	defer in.Release()
	rr, _ := array.NewRecordReader(schema, []arrow.RecordBatch{in})
	defer rr.Release()
	tbl, _, err := delta.CreateAsSelect(ctx, filepath.Join(dir, "tx"), rr, nil)
	if err != nil {
		log.Fatal(err)
	}
	defer tbl.Close()
	snap, err := tbl.Snapshot(ctx)
	if err != nil {
		log.Fatal(err)
	}
	suite, err := quality.ParseSuite([]byte(`
name: transactions
expectations:
  - type: unique
    column: id
  - type: between
    column: amount
    min: 0
  - type: row_count_between
    min: 1
`))
	if err != nil {
		log.Fatal(err)
	}
	rep, err := suite.Run(ctx, snap, nil)
	if err != nil {
		log.Fatal(err)
	}
	_ = rep.WriteText(os.Stdout)
	// Output:
	// suite "transactions" (version 0, 3 rows): FAILED, 2 of 3 expectations failed
	//   FAIL unique(id)         1 unexpected of 3 (33.33%)
	//   FAIL between(amount)    1 unexpected of 3 (33.33%): -3
	//   ok   row_count_between  observed 3
}

// Record an update's expectation metrics in an event log table.
func ExampleEventLog() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "quality-example")
	defer os.RemoveAll(dir)
	elog, err := quality.OpenEventLog(ctx, filepath.Join(dir, "event_log"), nil)
	if err != nil {
		log.Fatal(err)
	}
	defer elog.Close()
	o := quality.Origin{PipelineName: "transactions", UpdateID: "u1"}
	flow := o
	flow.FlowName, flow.DatasetName = "silver", "silver"
	m := quality.Metrics{InputRecords: 4, OutputRecords: 3, DroppedRecords: 1, Expectations: []quality.ExpectationMetrics{
		{Name: "positive", Action: quality.ActionDrop, PassedRecords: 3, FailedRecords: 1}}}
	err = elog.Append(ctx,
		quality.CreateUpdateEvent(o, false),
		quality.FlowProgressEvent(flow, "COMPLETED", m),
		quality.UpdateProgressEvent(o, "COMPLETED"))
	if err != nil {
		log.Fatal(err)
	}
	events, err := elog.Events(ctx)
	if err != nil {
		log.Fatal(err)
	}
	for _, e := range events {
		fmt.Println(e.Sequence, e.EventType, e.Details)
	}
	// Output:
	// 1 create_update {"create_update":{"cause":"API_CALL","full_refresh":false}}
	// 2 flow_progress {"flow_progress":{"data_quality":{"dropped_records":1,"expectations":[{"name":"positive","dataset":"silver","passed_records":3,"failed_records":1}]},"metrics":{"num_output_rows":3},"status":"COMPLETED"}}
	// 3 update_progress {"update_progress":{"state":"COMPLETED"}}
}

// Write checked rows to a table and the dropped ones, with the names of
// the expectations they failed, to a quarantine table.
func ExampleWrite() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "quality-example")
	defer os.RemoveAll(dir)
	silver, err := delta.Create(ctx, filepath.Join(dir, "silver"), schema, nil)
	if err != nil {
		log.Fatal(err)
	}
	defer silver.Close()
	quarantine, err := quality.CreateQuarantineTable(ctx, filepath.Join(dir, "silver_quarantine"), schema, nil)
	if err != nil {
		log.Fatal(err)
	}
	defer quarantine.Close()
	c, err := quality.Bind(schema, quality.ExpectAllOrDrop(map[string]string{
		"positive": "amount > 0",
		"small":    "amount < 100",
	}), &quality.Options{Dataset: "silver"})
	if err != nil {
		log.Fatal(err)
	}
	in := batch([]int64{1, 2, 3}, []float64{10, -5, 500}, nil)
	defer in.Release()
	rr, _ := array.NewRecordReader(schema, []arrow.RecordBatch{in})
	defer rr.Release()
	res, err := quality.Write(ctx, silver, rr, c, &quality.WriteOptions{Quarantine: quarantine})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("silver version", res.Target.Version, "kept", res.Metrics.OutputRecords, "dropped", res.Metrics.DroppedRecords)
	snap, _ := quarantine.Snapshot(ctx)
	qr, _ := snap.Scan(ctx, nil)
	defer qr.Release()
	for qr.Next() {
		b := qr.RecordBatch()
		for i := range int(b.NumRows()) {
			fmt.Println("quarantined", b.Column(0).ValueStr(i), b.Column(2).ValueStr(i))
		}
	}
	// Unordered output:
	// silver version 1 kept 1 dropped 2
	// quarantined 2 ["positive"]
	// quarantined 3 ["small"]
}
