package storage_test

import (
	"context"
	"fmt"
	"testing"

	"gocloud.dev/blob"
	"gocloud.dev/blob/fileblob"

	"github.com/lakehouse-go/lakehouse/internal/storage"
)

// Benchmarks compare our stores with gocloud baselines measured in the same
// run (see BENCHMARKS.md):
//
//	go test -run XXX -bench . -benchtime 2000x ./internal/storage/
//
// fileblob is only a baseline: its IfNotExist is not atomic.

func openBench(b *testing.B, kind string) storage.Store {
	b.Helper()
	ctx := context.Background()
	var (
		s   storage.Store
		err error
	)
	switch kind {
	case "local":
		s, err = storage.Open(ctx, b.TempDir(), nil)
	case "local-nosync":
		s, err = storage.Open(ctx, b.TempDir(), &storage.OpenOptions{NoSync: true})
	case "mem":
		s, err = storage.Open(ctx, "mem://", nil)
	case "fileblob-baseline":
		var bucket *blob.Bucket
		bucket, err = fileblob.OpenBucket(b.TempDir(), &fileblob.Options{NoTempDir: true, Metadata: fileblob.MetadataDontWrite})
		if err == nil {
			b.Cleanup(func() { _ = bucket.Close() })
			s = storage.NewBlobStore(bucket, "")
		}
	}
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = s.Close() })
	return s
}

// BenchmarkPutIfAbsent writes one small commit file per iteration.
func BenchmarkPutIfAbsent(b *testing.B) {
	commit := []byte(`{"commitInfo":{"timestamp":1700000000000,"operation":"WRITE"}}` + "\n" +
		`{"add":{"path":"part-00000.parquet","size":1234,"modificationTime":1700000000000,"dataChange":true}}` + "\n")
	for _, kind := range []string{"local", "local-nosync", "fileblob-baseline", "mem"} {
		b.Run(kind, func(b *testing.B) {
			s := openBench(b, kind)
			ctx := context.Background()
			v := 0
			for b.Loop() {
				if err := s.PutIfAbsent(ctx, fmt.Sprintf("_delta_log/%020d.json", v), commit); err != nil {
					b.Fatal(err)
				}
				v++
			}
		})
	}
}

// BenchmarkList lists a 1000-commit log with a version-range prefix, the
// query snapshot loading makes.
func BenchmarkList(b *testing.B) {
	for _, kind := range []string{"local-nosync", "fileblob-baseline", "mem"} {
		b.Run(kind, func(b *testing.B) {
			s := openBench(b, kind)
			ctx := context.Background()
			for v := range 1000 {
				if err := s.Put(ctx, fmt.Sprintf("_delta_log/%020d.json", v), []byte("{}\n")); err != nil {
					b.Fatal(err)
				}
			}
			for b.Loop() {
				n := 0
				for _, err := range s.List(ctx, "_delta_log/") {
					if err != nil {
						b.Fatal(err)
					}
					n++
				}
				if n != 1000 {
					b.Fatalf("listed %d", n)
				}
			}
		})
	}
}
