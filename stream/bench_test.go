package stream_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lakehouse-go/lakehouse/delta"
	"github.com/lakehouse-go/lakehouse/stream"
)

// BenchmarkJSONFilesToDelta measures end-to-end ingestion: 20 JSON-lines
// files of 10,000 events each into a Delta table, exactly once (txn per
// batch), 5 files per batch. It reports events/s and ms per batch.
func BenchmarkJSONFilesToDelta(b *testing.B) {
	const files, perFile = 20, 10_000
	dir := b.TempDir()
	in := filepath.Join(dir, "in")
	if err := os.MkdirAll(in, 0o755); err != nil {
		b.Fatal(err)
	}
	for f := range files {
		var sb strings.Builder
		for i := range perFile {
			id := f*perFile + i
			fmt.Fprintf(&sb, `{"id":%d,"user":"u%d","amount":%d.5,"ts":"2026-01-01T10:%02d:%02dZ"}`+"\n", id, id%1000, id%97, (id/60)%60, id%60)
		}
		if err := os.WriteFile(filepath.Join(in, fmt.Sprintf("f%03d.json", f)), []byte(sb.String()), 0o644); err != nil {
			b.Fatal(err)
		}
	}
	var batches int
	var batchMs int64
	b.ResetTimer()
	for n := range b.N {
		run := filepath.Join(dir, fmt.Sprint(n))
		rec := &recorder{}
		src := stream.NewFilesSource(in, &stream.FilesSourceOptions{Format: "json", MaxFilesPerTrigger: 5, SchemaHints: "id bigint, user string, amount double, ts timestamp"})
		sink := stream.NewDeltaSink(filepath.Join(run, "out"), &stream.DeltaSinkOptions{Table: &delta.Options{NoSync: true}})
		if err := runToEnd(b, stream.From(src), sink, &stream.Options{Checkpoint: filepath.Join(run, "ck"), Trigger: stream.AvailableNow(), Logger: quiet, Listener: rec}); err != nil {
			b.Fatal(err)
		}
		sink.Close()
		for _, p := range rec.progress {
			batches++
			batchMs += p.BatchDuration
		}
	}
	elapsed := b.Elapsed()
	b.ReportMetric(float64(files*perFile*b.N)/elapsed.Seconds(), "events/s")
	b.ReportMetric(float64(batchMs)/float64(batches), "ms/batch")
	_ = time.Second
}
