package mlflow_test

import (
	"context"
	"testing"
	"time"

	"github.com/lakehouse-go/lakehouse/mlflow"
)

// Logging 1000 metric points to the embedded store one call each (the
// baseline) versus one LogBatch: the batch appends each metric file once.
func benchClientRun(b *testing.B) (*mlflow.Client, string) {
	b.Helper()
	c, err := mlflow.NewClient(context.Background(), b.TempDir(), nil)
	if err != nil {
		b.Fatal(err)
	}
	r, err := c.CreateRun(context.Background(), nil)
	if err != nil {
		b.Fatal(err)
	}
	return c, r.Info.RunID
}

func BenchmarkEmbeddedLogMetric1000(b *testing.B) {
	ctx := context.Background()
	c, id := benchClientRun(b)
	for b.Loop() {
		for i := range 1000 {
			if err := c.LogMetric(ctx, id, "loss", float64(i), int64(i)); err != nil {
				b.Fatal(err)
			}
		}
	}
}

func BenchmarkEmbeddedLogBatch1000(b *testing.B) {
	ctx := context.Background()
	c, id := benchClientRun(b)
	now := time.Now()
	var batch mlflow.Batch
	for i := range 1000 {
		batch.Metrics = append(batch.Metrics, mlflow.Metric{Key: "loss", Value: float64(i), Step: int64(i), Timestamp: now})
	}
	for b.Loop() {
		if err := c.LogBatch(ctx, id, batch); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEmbeddedGetRun(b *testing.B) {
	ctx := context.Background()
	c, id := benchClientRun(b)
	var batch mlflow.Batch
	for i := range 50 {
		batch.Params = append(batch.Params, mlflow.Param{Key: "p" + string(rune('a'+i%26)) + string(rune('a'+i/26)), Value: "v"})
		batch.Metrics = append(batch.Metrics, mlflow.Metric{Key: "m", Value: float64(i), Step: int64(i)})
	}
	if err := c.LogBatch(ctx, id, batch); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := c.GetRun(ctx, id); err != nil {
			b.Fatal(err)
		}
	}
}
