package delta_test

import (
	"context"
	"errors"
	"fmt"
	"log"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/lakehouse-go/lakehouse/delta"
)

// Clustering columns may be nested fields, and must have per-file
// statistics: with statistics on the first two leaf columns only, the
// third cannot be a clustering column.
func ExampleSnapshot_HasStats() {
	ctx := context.Background()
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "event", Type: arrow.StructOf(
			arrow.Field{Name: "ts", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
			arrow.Field{Name: "kind", Type: arrow.BinaryTypes.String, Nullable: true},
		), Nullable: true},
		{Name: "payload", Type: arrow.BinaryTypes.String, Nullable: true},
	}, nil)
	tbl, err := delta.Create(ctx, "mem://", schema, &delta.CreateOptions{
		ClusterBy:  []string{"event.ts"},
		Properties: map[string]string{"delta.dataSkippingNumIndexedCols": "2"},
	})
	if err != nil {
		log.Fatal(err)
	}
	defer tbl.Close()
	snap, err := tbl.Snapshot(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("clustered by", snap.ClusteringColumns())
	fmt.Println("stats on event.kind:", snap.HasStats("event.kind"), "on payload:", snap.HasStats("payload"))

	_, err = tbl.ClusterBy(ctx, []string{"payload"}, nil)
	fmt.Println(errors.Is(err, delta.ErrClusteringColumnMissingStats))
	fmt.Println(err)
	// Output:
	// clustered by [event.ts]
	// stats on event.kind: true on payload: false
	// true
	// delta: clustering columns must have statistics: "payload" is leaf column 3 of the schema, past delta.dataSkippingNumIndexedCols=2; raise that property to at least 3, list the column in delta.dataSkippingStatsColumns, or move it forward in the schema
}
