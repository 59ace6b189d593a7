package stream_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/lakehouse-go/lakehouse/delta"
	"github.com/lakehouse-go/lakehouse/stream"
)

// printer is a Listener printing each batch's progress.
type printer struct{}

func (printer) OnStarted(string, string)           {}
func (printer) OnTerminated(string, string, error) {}
func (printer) OnProgress(p *stream.Progress) {
	fmt.Printf("batch %d: %d rows, offsets %s -> %s\n", p.BatchID, p.NumInputRows, p.Sources[0].StartOffset, p.Sources[0].EndOffset)
}

// Ingest a directory of JSON files into a Delta table, exactly once,
// with a SQL filter and projection; a second run only takes new files.
func Example() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "stream-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	landing := filepath.Join(dir, "landing")
	if err := os.MkdirAll(landing, 0o755); err != nil {
		log.Fatal(err)
	}
	write := func(name, body string) {
		if err := os.WriteFile(filepath.Join(landing, name), []byte(body), 0o644); err != nil {
			log.Fatal(err)
		}
	}
	write("1.json", `{"id":1,"amount":2.5}`+"\n"+`{"id":2,"amount":-1}`+"\n")

	run := func() {
		src := stream.NewFilesSource(landing, &stream.FilesSourceOptions{Format: "json", SchemaHints: "id bigint, amount double"})
		sink := stream.NewDeltaSink(filepath.Join(dir, "bronze"), nil)
		defer sink.Close()
		q, err := stream.From(src).
			Filter("amount > 0").
			Select("id", "amount * 100 AS cents").
			Start(ctx, sink, &stream.Options{
				Checkpoint: filepath.Join(dir, "checkpoint"),
				Trigger:    stream.AvailableNow(),
				Listener:   printer{},
				Logger:     slog.New(slog.NewTextHandler(io.Discard, nil)),
			})
		if err != nil {
			log.Fatal(err)
		}
		if err := q.AwaitTermination(ctx); err != nil {
			log.Fatal(err)
		}
	}
	run()
	write("2.json", `{"id":3,"amount":4}`+"\n")
	run()

	tbl, err := delta.Open(ctx, filepath.Join(dir, "bronze"), nil)
	if err != nil {
		log.Fatal(err)
	}
	defer tbl.Close()
	snap, err := tbl.Snapshot(ctx)
	if err != nil {
		log.Fatal(err)
	}
	n, _ := snap.TxnVersion(readQueryID(filepath.Join(dir, "checkpoint")))
	fmt.Println("table version", snap.Version(), "last batch recorded", n)
	// Output:
	// batch 0: 2 rows, offsets  -> {"logOffset":0}
	// batch 1: 1 rows, offsets {"logOffset":0} -> {"logOffset":1}
	// table version 2 last batch recorded 1
}

func readQueryID(checkpoint string) string {
	data, err := os.ReadFile(filepath.Join(checkpoint, "metadata"))
	if err != nil {
		log.Fatal(err)
	}
	var m struct{ ID string }
	if err := json.Unmarshal(data, &m); err != nil {
		log.Fatal(err)
	}
	return m.ID
}

// A ForeachBatch sink gets each batch with the (query id, batch id) pair
// to make its own writes idempotent.
func ExampleForeachBatch() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "stream-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	src := filepath.Join(dir, "events")
	rr := ids(1, 2, 3)
	tbl, _, err := delta.CreateAsSelect(ctx, src, rr, nil)
	rr.Release()
	if err != nil {
		log.Fatal(err)
	}
	tbl.Close()

	sink := stream.ForeachBatch(func(ctx context.Context, b *stream.Batch) error {
		fmt.Printf("batch %d with %d rows; write it with delta.TxnOptions{AppID: queryID, AppVersion: %d}\n", b.ID, b.NumRows(), b.ID)
		return nil
	})
	q, err := stream.From(stream.NewDeltaSource(src, nil)).Start(ctx, sink, &stream.Options{
		Checkpoint: filepath.Join(dir, "checkpoint"),
		Trigger:    stream.Once(),
		Logger:     slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		log.Fatal(err)
	}
	if err := q.AwaitTermination(ctx); err != nil {
		log.Fatal(err)
	}
	// Output:
	// batch 0 with 3 rows; write it with delta.TxnOptions{AppID: queryID, AppVersion: 0}
}

// ids builds a one-column reader of ids.
func ids(v ...int64) array.RecordReader {
	schema := arrow.NewSchema([]arrow.Field{{Name: "id", Type: arrow.PrimitiveTypes.Int64}}, nil)
	b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
	defer b.Release()
	b.Field(0).(*array.Int64Builder).AppendValues(v, nil)
	rec := b.NewRecordBatch()
	defer rec.Release()
	rr, err := array.NewRecordReader(schema, []arrow.RecordBatch{rec})
	if err != nil {
		log.Fatal(err)
	}
	return rr
}
