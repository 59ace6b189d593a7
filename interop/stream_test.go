//go:build interop

package interop

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lakehouse-go/lakehouse/stream"
)

// errStreamCrash simulates a process dying after the sink committed a
// batch and before the checkpoint recorded it.
var errStreamCrash = errors.New("interop: simulated crash")

type crashAfter struct {
	stream.Sink
	batch int64
}

func (c *crashAfter) AddBatch(ctx context.Context, b *stream.Batch) error {
	if err := c.Sink.AddBatch(ctx, b); err != nil {
		return err
	}
	if b.ID == c.batch {
		return errStreamCrash
	}
	return nil
}

// TestCase6StreamSink: a streaming query (package stream, in process)
// ingests JSON files into a Delta table with the exactly-once sink, is
// "killed" after the sink's commit of batch 1 and restarted; delta-rs and
// Spark must read every input row exactly once, and see one STREAMING
// UPDATE commit per batch (the re-run batch skipped by its txn).
func TestCase6StreamSink(t *testing.T) {
	base := Result{Case: "6", Scenario: "lh_stream_files_to_delta",
		Covers: "files source (JSON, 1 file per batch) → Delta sink, crash after batch 1's table commit, restart: txn (appId=query id, version=batch id) skips the re-run",
		Writer: Lakehouse}
	dir := filepath.Join(s.tables, Lakehouse, "stream")
	in, out, ck := filepath.Join(dir, "landing"), filepath.Join(dir, "bronze"), filepath.Join(dir, "checkpoint")
	if err := os.MkdirAll(in, 0o755); err != nil {
		t.Fatal(err)
	}
	var want []string
	mtime := time.Now().Add(-time.Hour)
	for f := range 4 {
		var b strings.Builder
		for i := range 3 {
			id := f*3 + i
			row := fmt.Sprintf(`{"id":%d,"name":"n%d","_rescued_data":null}`, id, id)
			fmt.Fprintf(&b, `{"id":%d,"name":"n%d"}`+"\n", id, id)
			want = append(want, row)
		}
		p := filepath.Join(in, fmt.Sprintf("part-%d.json", f))
		if err := os.WriteFile(p, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(p, mtime.Add(time.Duration(f)*time.Second), mtime.Add(time.Duration(f)*time.Second)); err != nil {
			t.Fatal(err)
		}
	}
	ctx := ctxFor(t, 5*time.Minute)
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	run := func(sink stream.Sink) error {
		src := stream.NewFilesSource(in, &stream.FilesSourceOptions{Format: "json", MaxFilesPerTrigger: 1, SchemaHints: "id bigint"})
		q, err := stream.From(src).Start(ctx, sink, &stream.Options{Checkpoint: ck, Trigger: stream.AvailableNow(), Logger: quiet})
		if err != nil {
			return err
		}
		return q.AwaitTermination(ctx)
	}
	sink := stream.NewDeltaSink(out, nil)
	defer sink.Close()
	fail := func(reader, detail string) {
		r := withReader(base, reader)
		r.Status, r.Detail = Fail, detail
		s.record(t, r)
	}
	if err := run(&crashAfter{Sink: sink, batch: 1}); !errors.Is(err, errStreamCrash) {
		fail(Lakehouse, fmt.Sprintf("first run: want the simulated crash, got %v", err))
		return
	}
	if err := run(sink); err != nil {
		fail(Lakehouse, "restart: "+err.Error())
		return
	}
	wantRows, _ := NormalizeRows(want)
	for _, engine := range []string{DeltaRS, Spark} {
		r := withReader(base, engine)
		p := s.peer(t, engine, r)
		if p == nil {
			continue
		}
		rows, err := s.peerReader(p).read(ctx, out, nil, "")
		if err != nil {
			fail(engine, "read: "+err.Error())
			continue
		}
		if d := CompareRows(wantRows, rows); d != nil {
			fail(engine, fmt.Sprintf("table %s: %s", s.rel(out), d))
			continue
		}
		var hist []struct {
			Version   int64  `json:"version"`
			Operation string `json:"operation"`
		}
		if err := p.Call(ctx, "history", map[string]any{"path": out}, &hist); err != nil {
			fail(engine, "history: "+err.Error())
			continue
		}
		streaming := 0
		for _, h := range hist {
			if h.Operation == "STREAMING UPDATE" {
				streaming++
			}
		}
		if streaming != 4 {
			fail(engine, fmt.Sprintf("table %s: %d STREAMING UPDATE commits in the history, want 4 (one per batch, the re-run skipped)", s.rel(out), streaming))
			continue
		}
		r.Status, r.Checked = Pass, len(wantRows)+1
		s.record(t, r)
	}
}
