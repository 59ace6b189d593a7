package expr

import (
	"context"
	"errors"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"
)

// FuzzCompileEval feeds arbitrary text through Parse, Compile and Eval on
// the semantics test table, in both modes: nothing may panic or leak, and
// every failure must carry one of the package's sentinels.
func FuzzCompileEval(f *testing.F) {
	for _, s := range []string{
		"amount > 0 AND dt IS NOT NULL", "i + l * 2 - d / 3", "s LIKE 'a%' OR s RLIKE 'b'",
		"CASE WHEN i > 0 THEN dec ELSE 1.5 END", "coalesce(st.x, i, 0) IN (1, 2, NULL)",
		"CAST(s AS DATE) BETWEEN '2020-01-01' AND dt", "ts + INTERVAL 1 DAY > current_timestamp()",
		"hash(s, i, st) % 7 = xxhash64(dt) DIV 3", "substring(s, i, 2) || upper(s)",
		"round(dec, 1) = floor(d)", "element_at(array(i, l), 2) > size(array(s))",
		"date_format(ts, 'yyyy-MM-dd') = to_date(s, 'yyyy')", "greatest(i, l, d) <=> least(dec, 1)",
	} {
		f.Add(s)
	}
	sentinels := []error{ErrSyntax, ErrUnknownColumn, ErrAmbiguousColumn, ErrType, ErrUnknownFunction, ErrArithmetic, ErrInvalidCast}
	known := func(err error) bool {
		for _, s := range sentinels {
			if errors.Is(err, s) {
				return true
			}
		}
		return false
	}
	f.Fuzz(func(t *testing.T, text string) {
		e, err := Parse(text)
		if err != nil {
			return
		}
		mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
		defer mem.AssertSize(t, 0)
		batch := testBatch(t, mem)
		defer batch.Release()
		for _, ansi := range []bool{false, true} {
			p, err := Compile(e, testSchema, &CompileOptions{ANSI: ansi, Allocator: mem})
			if err != nil {
				if !known(err) {
					t.Fatalf("Compile(%q): error without a sentinel: %v", text, err)
				}
				continue
			}
			out, err := p.Eval(context.Background(), batch)
			if err != nil {
				if !known(err) {
					t.Fatalf("Eval(%q): error without a sentinel: %v", text, err)
				}
				continue
			}
			if out.Len() != int(batch.NumRows()) {
				t.Fatalf("Eval(%q) returned %d rows for %d", text, out.Len(), batch.NumRows())
			}
			out.Release()
		}
	})
}
