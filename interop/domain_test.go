//go:build interop

package interop

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/lakehouse-go/lakehouse/delta"
)

// case1DomainMetadata: a table whose commits carry user-controlled domain
// metadata (set with data, replaced, removed, through the Go API) reads
// the same in delta-rs and Spark; Spark then inserts into it and lakehouse
// reads Spark's commit with the domain still live. delta-rs 1.6.6 cannot
// write such a table (it does not support the domainMetadata writer
// feature), so only Spark writes back.
func (s *suite) case1DomainMetadata(t *testing.T) {
	base := Result{Case: "1", Scenario: "lh_domain_metadata", Covers: "Transaction.SetDomainMetadata with data, replaced, RemoveDomainMetadata; domainMetadata writer feature; then a Spark INSERT read back with the domain kept", Writer: Lakehouse}
	ctx := ctxFor(t, 10*time.Minute)
	path := filepath.Join(s.tables, Lakehouse, "domain_metadata")
	_ = os.RemoveAll(path)
	if err := writeDomainTable(ctx, path); err != nil {
		r := withReader(base, Lakehouse)
		r.Status, r.Detail = Fail, err.Error()
		s.record(t, r)
		return
	}
	want, err := s.cliReader().read(ctx, path, nil, "")
	r := withReader(base, Lakehouse)
	if err != nil {
		r.Status, r.Detail = Fail, err.Error()
		s.record(t, r)
		return
	}
	if len(want) != 3 {
		r.Status, r.Detail = Fail, fmt.Sprintf("lakehouse reads %d rows, wrote 3", len(want))
	} else {
		r.Status, r.Checked = Pass, 1
	}
	s.record(t, r)
	for _, rd := range []string{DeltaRS, Spark} {
		r := withReader(base, rd)
		p := s.peer(t, rd, r)
		var fails []string
		got, err := s.peerReader(p).read(ctx, path, nil, "")
		switch {
		case err != nil:
			fails = append(fails, fmt.Sprintf("table %s: %s cannot read it: %v", s.rel(path), rd, err))
		default:
			if d := CompareRows(want, got); d != nil {
				fails = append(fails, fmt.Sprintf("table %s: %s", s.rel(path), d))
			}
		}
		checked := 1
		if rd == Spark && len(fails) == 0 {
			checked++
			if err := p.Call(ctx, "sql", map[string]any{"statements": []string{"INSERT INTO delta.`" + path + "` VALUES (4, 'spark')"}}, nil); err != nil {
				fails = append(fails, "Spark cannot insert into the table: "+err.Error())
			} else if err := checkDomainKept(ctx, path); err != nil {
				fails = append(fails, err.Error())
			}
		}
		r.Status, r.Detail, r.Checked = statusOf(fails), summarize(fails), checked
		s.record(t, r)
	}
}

var domainSchema = arrow.NewSchema([]arrow.Field{
	{Name: "id", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	{Name: "who", Type: arrow.BinaryTypes.String, Nullable: true},
}, nil)

// writeDomainTable commits three versions after the create: rows with
// domain a, a row replacing a and adding b, and the removal of b.
func writeDomainTable(ctx context.Context, path string) error {
	tbl, err := delta.Create(ctx, path, domainSchema, nil)
	if err != nil {
		return err
	}
	defer tbl.Close()
	steps := []struct {
		ids    []int64
		change func(x *delta.Transaction) error
	}{
		{[]int64{1, 2}, func(x *delta.Transaction) error { return x.SetDomainMetadata("com.example.a", `{"watermark":1}`) }},
		{[]int64{3}, func(x *delta.Transaction) error {
			if err := x.SetDomainMetadata("com.example.a", `{"watermark":2}`); err != nil {
				return err
			}
			return x.SetDomainMetadata("com.example.b", `{}`)
		}},
		{nil, func(x *delta.Transaction) error { return x.RemoveDomainMetadata("com.example.b") }},
	}
	for _, st := range steps {
		x, err := tbl.Begin(ctx, nil)
		if err != nil {
			return err
		}
		if len(st.ids) > 0 {
			b := array.NewRecordBuilder(memory.DefaultAllocator, domainSchema)
			b.Field(0).(*array.Int64Builder).AppendValues(st.ids, nil)
			for range st.ids {
				b.Field(1).(*array.StringBuilder).Append("lakehouse")
			}
			rec := b.NewRecordBatch()
			b.Release()
			rr, err := array.NewRecordReader(domainSchema, []arrow.RecordBatch{rec})
			rec.Release()
			if err != nil {
				return err
			}
			err = x.Write(ctx, rr)
			rr.Release()
			if err != nil {
				_ = x.Rollback()
				return err
			}
		}
		if err := st.change(x); err != nil {
			_ = x.Rollback()
			return err
		}
		if _, err := x.Commit(ctx); err != nil {
			return err
		}
	}
	return checkDomains(ctx, tbl, 3)
}

// checkDomainKept opens the table after Spark's insert: four rows, domain
// a still at watermark 2.
func checkDomainKept(ctx context.Context, path string) error {
	tbl, err := delta.Open(ctx, path, nil)
	if err != nil {
		return fmt.Errorf("lakehouse cannot open the table after Spark's insert: %w", err)
	}
	defer tbl.Close()
	return checkDomains(ctx, tbl, 4)
}

func checkDomains(ctx context.Context, tbl *delta.Table, rows int64) error {
	snap, err := tbl.Snapshot(ctx)
	if err != nil {
		return err
	}
	got := snap.DomainMetadata()
	if len(got) != 1 || got["com.example.a"].Configuration != `{"watermark":2}` {
		return fmt.Errorf("version %d: live domains %v, want only com.example.a = {\"watermark\":2}", snap.Version(), got)
	}
	rr, err := snap.Scan(ctx, nil)
	if err != nil {
		return err
	}
	defer rr.Release()
	var n int64
	for rr.Next() {
		n += rr.RecordBatch().NumRows()
	}
	if err := rr.Err(); err != nil {
		return err
	}
	if n != rows {
		return fmt.Errorf("version %d: reads %d rows, want %d", snap.Version(), n, rows)
	}
	return nil
}
