package main

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var idValueSchema = arrow.NewSchema([]arrow.Field{
	{Name: "id", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	{Name: "v", Type: arrow.BinaryTypes.String, Nullable: true},
}, nil)

// TestParallelDecodeKeepsOrderAndFirstError: batches decoded by several
// workers come out in input order, and of two bad lines in different
// chunks the error names the first, whichever worker finished first.
func TestParallelDecodeKeepsOrderAndFirstError(t *testing.T) {
	lines := func(n int, bad ...int) string {
		var b strings.Builder
		isBad := map[int]bool{}
		for _, l := range bad {
			isBad[l] = true
		}
		for i := 1; i <= n; i++ {
			if isBad[i] {
				fmt.Fprintf(&b, `{"id":%d,"v":`+"\n", i)
				continue
			}
			fmt.Fprintf(&b, `{"id":%d,"v":"x%d"}`+"\n", i, i)
		}
		return b.String()
	}
	tests := []struct {
		name    string
		n       int
		bad     []int
		wantErr string
	}{
		{"order across chunks", 3*inputBatchRows + 17, nil, ""},
		{"first of two bad lines", 4 * inputBatchRows, []int{inputBatchRows + 5, 3*inputBatchRows + 9}, fmt.Sprintf("line %d:", inputBatchRows+5)},
		{"bad last line", inputBatchRows + 3, []int{inputBatchRows + 3}, fmt.Sprintf("line %d:", inputBatchRows+3)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			goroutines := runtime.NumGoroutine()
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			defer mem.AssertSize(t, 0)
			// A pinned schema: no inference sample, so every line goes
			// through the parallel decoders.
			rr, err := readInput(context.Background(), strings.NewReader(lines(tc.n, tc.bad...)), "jsonl", idValueSchema, true, mem)
			require.NoError(t, err)
			next := int64(1)
			for rr.Next() {
				ids := rr.RecordBatch().Column(0)
				for i := range ids.Len() {
					require.Equal(t, fmt.Sprint(next), ids.ValueStr(i), "rows in input order")
					next++
				}
			}
			if tc.wantErr == "" {
				require.NoError(t, rr.Err())
				assert.Equal(t, int64(tc.n)+1, next)
			} else {
				require.Error(t, rr.Err())
				assert.Contains(t, rr.Err().Error(), tc.wantErr)
			}
			rr.Release()
			// Polled here, not with require.Eventually, whose own
			// goroutines would be counted.
			deadline := time.Now().Add(5 * time.Second)
			for runtime.NumGoroutine() > goroutines && time.Now().Before(deadline) {
				time.Sleep(10 * time.Millisecond)
			}
			assert.LessOrEqual(t, runtime.NumGoroutine(), goroutines, "the decoders stop when the reader is released")
		})
	}
}
