package features

import (
	"context"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
	"github.com/stretchr/testify/require"
)

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

// genReader yields n rows in batches from fill(i, builders).
func genReader(schema *arrow.Schema, n, batch int, fill func(i int, b *array.RecordBuilder)) array.RecordReader {
	var recs []arrow.RecordBatch
	b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
	defer b.Release()
	for i := range n {
		fill(i, b)
		if (i+1)%batch == 0 || i == n-1 {
			recs = append(recs, b.NewRecordBatch())
		}
	}
	rr, _ := array.NewRecordReader(schema, recs)
	for _, r := range recs {
		r.Release()
	}
	return rr
}

// BenchmarkPointInTimeJoin joins LAKEHOUSE_BENCH_LABELS label rows (default
// 100k) against a feature table of LAKEHOUSE_BENCH_FEATURES rows (default
// 1M) with a 64 MiB sort budget, reporting time and the peak Go heap. With
// LAKEHOUSE_BENCH_DUCKDB set to a Python with duckdb, the same ASOF JOIN
// runs in DuckDB over the table's Parquet files in the same run.
//
//	go test -run XXX -bench PointInTimeJoin -benchtime 1x ./mlflow/features/
func BenchmarkPointInTimeJoin(b *testing.B) {
	ctx := context.Background()
	nl, nf := envInt("LAKEHOUSE_BENCH_LABELS", 100_000), envInt("LAKEHOUSE_BENCH_FEATURES", 1_000_000)
	keys := max(1, nf/100)
	dir := b.TempDir()
	fschema := arrow.NewSchema([]arrow.Field{
		{Name: "id", Type: arrow.PrimitiveTypes.Int64}, {Name: "ts", Type: tsType}, {Name: "f1", Type: arrow.PrimitiveTypes.Float64},
	}, nil)
	ft, err := CreateFeatureTable(ctx, filepath.Join(dir, "f"), fschema, &FeatureTableOptions{PrimaryKeys: []string{"id"}, TimestampKey: "ts"})
	require.NoError(b, err)
	defer ft.Close()
	// Each key gets nf/keys rows, one per hour.
	fr := genReader(fschema, nf, 64<<10, func(i int, bld *array.RecordBuilder) {
		bld.Field(0).(*array.Int64Builder).Append(int64(i % keys))
		bld.Field(1).(*array.TimestampBuilder).Append(arrow.Timestamp(int64(i/keys) * 3_600_000_000))
		bld.Field(2).(*array.Float64Builder).Append(float64(i))
	})
	_, err = ft.Table().Append(ctx, fr, nil)
	fr.Release()
	require.NoError(b, err)
	lschema := arrow.NewSchema([]arrow.Field{{Name: "id", Type: arrow.PrimitiveTypes.Int64}, {Name: "event_ts", Type: tsType}}, nil)
	span := int64(nf/keys) * 3_600_000_000
	labelRows := func() array.RecordReader {
		r := rand.New(rand.NewPCG(3, 4))
		return genReader(lschema, nl, 64<<10, func(i int, bld *array.RecordBuilder) {
			bld.Field(0).(*array.Int64Builder).Append(r.Int64N(int64(keys)))
			bld.Field(1).(*array.TimestampBuilder).Append(arrow.Timestamp(r.Int64N(span)))
		})
	}
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		lr := labelRows()
		runtime.GC()
		var base runtime.MemStats
		runtime.ReadMemStats(&base)
		var peak atomic.Uint64
		stop := make(chan struct{})
		go func() {
			var ms runtime.MemStats
			for {
				select {
				case <-stop:
					return
				case <-time.After(20 * time.Millisecond):
					runtime.ReadMemStats(&ms)
					if ms.HeapInuse > peak.Load() {
						peak.Store(ms.HeapInuse)
					}
				}
			}
		}()
		b.StartTimer()
		start := time.Now()
		set, err := CreateTrainingSet(ctx, lr, []FeatureLookup{{Table: ft, TimestampLookupKey: "event_ts"}},
			&TrainingSetOptions{MaxMemory: 64 << 20, SpillDir: dir, BatchSize: 64 << 10})
		require.NoError(b, err)
		rr, err := set.Records(ctx)
		require.NoError(b, err)
		n := 0
		for rr.Next() {
			n += int(rr.RecordBatch().NumRows())
		}
		require.NoError(b, rr.Err())
		rr.Release()
		elapsed := time.Since(start)
		b.StopTimer()
		close(stop)
		lr.Release()
		require.Equal(b, nl, n)
		b.ReportMetric(float64(peak.Load())/(1<<20), "peak-heap-MiB")
		b.ReportMetric(float64(set.SpilledRuns()), "runs")
		b.Logf("lakehouse: %d labels x %d features: %s, peak heap %.0f MiB (%.0f MiB before), %d runs spilled",
			nl, nf, elapsed, float64(peak.Load())/(1<<20), float64(base.HeapInuse)/(1<<20), set.SpilledRuns())
		b.StartTimer()
	}
	b.StopTimer()
	if py := os.Getenv("LAKEHOUSE_BENCH_DUCKDB"); py != "" {
		lr := labelRows()
		f, err := os.Create(filepath.Join(dir, "labels.parquet"))
		require.NoError(b, err)
		w, err := pqarrow.NewFileWriter(lschema, f, nil, pqarrow.DefaultWriterProps())
		require.NoError(b, err)
		for lr.Next() {
			require.NoError(b, w.WriteBuffered(lr.RecordBatch()))
		}
		require.NoError(b, w.Close())
		lr.Release()
		script := `
import duckdb, resource, sys, time
con = duckdb.connect()
con.execute("SET enable_progress_bar = false")
t = time.time()
n = con.execute("""select count(*), count(f.f1) from read_parquet(?) l asof left join read_parquet(?) f
  on l.id = f.id and l.event_ts >= f.ts""", [sys.argv[1], sys.argv[2]]).fetchone()
print("duckdb: %d rows (%d matched) in %.2fs, peak RSS %.0f MiB" % (n[0], n[1], time.time() - t, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024))
`
		out, err := exec.Command(py, "-c", script, filepath.Join(dir, "labels.parquet"), filepath.Join(dir, "f", "*.parquet")).CombinedOutput()
		require.NoError(b, err, string(out))
		b.Log(string(out))
	}
}
