package pipeline

import (
	"context"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/lakehouse-go/lakehouse/quality"
)

// tableChecks applies a table's expectations. A streaming table's rows
// get their schema from the definition's transformations, so the
// expectations are bound to the first batch's schema (and, in a dry run,
// to the existing table's).
type tableChecks struct {
	d   *definition
	mem memory.Allocator
	c   *quality.Checker
}

func newTableChecks(d *definition, mem memory.Allocator) *tableChecks {
	return &tableChecks{d: d, mem: mem}
}

// bindExpectations checks a table's expectations against a schema.
func bindExpectations(d *definition, schema *arrow.Schema, mem memory.Allocator) (*quality.Checker, error) {
	c, err := quality.Bind(schema, d.Expectations, &quality.Options{Dataset: d.name.table, Allocator: mem})
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrInvalidDefinition, d.name, err)
	}
	return c, nil
}

// apply checks one batch: the rows kept, and the rows dropped with the
// names of the expectations each failed (nil when none was dropped). A
// failed quality.Fail expectation is an error.
func (t *tableChecks) apply(ctx context.Context, rec arrow.RecordBatch) (kept, dropped arrow.RecordBatch, err error) {
	if len(t.d.Expectations) == 0 {
		rec.Retain()
		return rec, nil, nil
	}
	if t.c == nil {
		if t.c, err = bindExpectations(t.d, rec.Schema(), t.mem); err != nil {
			return nil, nil, err
		}
	}
	res, err := t.c.Check(ctx, rec)
	if err != nil {
		return nil, nil, err
	}
	return res.Kept, res.Dropped, nil
}

// metrics returns the counts so far.
func (t *tableChecks) metrics() quality.Metrics {
	if t.c == nil {
		m := quality.Metrics{}
		for _, e := range t.d.Expectations {
			m.Expectations = append(m.Expectations, quality.ExpectationMetrics{Name: e.Name, Dataset: t.d.name.table, Action: e.Action})
		}
		return m
	}
	return t.c.Metrics()
}
