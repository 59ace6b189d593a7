package main

import (
	"bytes"
	"context"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"
)

// FuzzReadInput feeds arbitrary bytes to the jsonl and csv input readers:
// they must return rows or an error, never panic, and release what they
// allocate.
func FuzzReadInput(f *testing.F) {
	f.Add([]byte(`{"a":1,"b":"x","c":{"d":[1,2]}}`+"\n"+`{"a":2.5,"b":null}`), true)
	f.Add([]byte("a,b\n1,2024-01-01\n,x\n"), false)
	f.Add([]byte(`{"t":"2024-01-01T00:00:00Z"}`), true)
	f.Add([]byte(`[1,2]`), true)
	f.Fuzz(func(t *testing.T, data []byte, jsonl bool) {
		mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
		defer mem.AssertSize(t, 0)
		format := "csv"
		if jsonl {
			format = "jsonl"
		}
		rr, err := readInput(context.Background(), bytes.NewReader(data), format, nil, false, mem)
		if err != nil {
			return
		}
		defer rr.Release()
		for rr.Next() {
			_ = rr.RecordBatch().NumRows()
		}
	})
}
