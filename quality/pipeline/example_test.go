package pipeline_test

import (
	"context"
	"fmt"
	"io"
	"log"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/lakehouse-go/lakehouse/quality"
	"github.com/lakehouse-go/lakehouse/quality/pipeline"
	"github.com/lakehouse-go/lakehouse/stream"
)

// A bronze table ingests JSON files as they land; a silver table drops
// rows with a negative amount and keeps one row per order id.
func Example() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "pipeline-example-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	landing := filepath.Join(dir, "landing")
	if err := os.MkdirAll(landing, 0o755); err != nil {
		log.Fatal(err)
	}
	lines := `{"order_id":1,"amount":12}` + "\n" + `{"order_id":2,"amount":-3}` + "\n" + `{"order_id":1,"amount":12}` + "\n"
	if err := os.WriteFile(filepath.Join(landing, "orders-1.json"), []byte(lines), 0o644); err != nil {
		log.Fatal(err)
	}

	p, err := pipeline.New("sales", &pipeline.Options{
		Warehouse: filepath.Join(dir, "warehouse"),
		Logger:    slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		log.Fatal(err)
	}
	err = p.StreamingTable(pipeline.Table{Name: "bronze.orders"}, func(r *pipeline.Reader) (*stream.Pipeline, error) {
		return stream.From(stream.NewFilesSource(landing, &stream.FilesSourceOptions{Format: "json", SchemaHints: "order_id bigint, amount bigint"})), nil
	})
	if err != nil {
		log.Fatal(err)
	}
	err = p.StreamingTable(pipeline.Table{
		Name:         "silver.orders",
		Expectations: []quality.Expectation{quality.Drop("valid_amount", "amount >= 0")},
		Keys:         []string{"order_id"},
	}, func(r *pipeline.Reader) (*stream.Pipeline, error) {
		return stream.From(r.ReadStream("bronze.orders")).Select("order_id", "amount"), nil
	})
	if err != nil {
		log.Fatal(err)
	}
	update, err := p.Run(ctx, nil)
	if err != nil {
		log.Fatal(err)
	}
	for _, t := range update.Tables {
		fmt.Printf("%s: read %d, wrote %d, dropped %d, duplicates %d\n", t.Name, t.InputRows, t.OutputRows, t.DroppedRows, t.Duplicates)
		for _, e := range t.Expectations {
			fmt.Printf("  %s: passed %d, failed %d\n", e.Name, e.PassedRecords, e.FailedRecords)
		}
	}
	// Output:
	// main.bronze.orders: read 3, wrote 3, dropped 0, duplicates 0
	// main.silver.orders: read 3, wrote 1, dropped 1, duplicates 1
	//   valid_amount: passed 2, failed 1
}
