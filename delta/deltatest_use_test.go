package delta_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/lakehouse-go/lakehouse/delta"
	"github.com/lakehouse-go/lakehouse/delta/deltatest"
	"github.com/lakehouse-go/lakehouse/delta/expr"
)

type account struct {
	ID      int64         `delta:"id"`
	Region  string        `delta:"region,partition"`
	Balance delta.Decimal `delta:"balance,decimal(12,2)"`
	Closed  *bool         `delta:"closed"`
}

// TestTypedRowsThroughDML writes typed rows, runs DELETE and UPDATE, and
// checks each version with the deltatest kit.
func TestTypedRowsThroughDML(t *testing.T) {
	ctx := context.Background()
	yes := true
	tbl := deltatest.NewTableFromRows(t, []account{
		{ID: 1, Region: "eu", Balance: delta.MustParseDecimal("10.00")},
		{ID: 2, Region: "eu", Balance: delta.MustParseDecimal("0.00"), Closed: &yes},
		{ID: 3, Region: "us", Balance: delta.MustParseDecimal("-5.50")},
	}, &deltatest.Options{Memory: true})
	v1 := deltatest.Latest(t, tbl)

	// More typed rows in a second commit.
	_, err := delta.AppendRows(ctx, tbl, []account{{ID: 4, Region: "us", Balance: delta.MustParseDecimal("1.25")}}, nil)
	require.NoError(t, err)
	deltatest.RequireTableRows(t, deltatest.Latest(t, tbl), `[
		{"id":1,"region":"eu","balance":"10.00","closed":null},
		{"id":2,"region":"eu","balance":"0.00","closed":true},
		{"id":3,"region":"us","balance":"-5.50","closed":null},
		{"id":4,"region":"us","balance":"1.25","closed":null}]`, nil)

	where, err := expr.Parse("closed")
	require.NoError(t, err)
	_, err = tbl.Delete(ctx, where, nil)
	require.NoError(t, err)
	neg, err := expr.Parse("balance < 0")
	require.NoError(t, err)
	zero, err := expr.Parse("CAST(0 AS DECIMAL(12,2))")
	require.NoError(t, err)
	_, err = tbl.Update(ctx, map[string]expr.Expr{"balance": zero}, neg, nil)
	require.NoError(t, err)
	deltatest.RequireTableRows(t, deltatest.Latest(t, tbl), `[
		{"id":1,"region":"eu","balance":"10.00","closed":null},
		{"id":3,"region":"us","balance":"0.00","closed":null},
		{"id":4,"region":"us","balance":"1.25","closed":null}]`, nil)

	// Version 1 is still what NewTableFromRows wrote.
	then, err := tbl.SnapshotAt(ctx, 1)
	require.NoError(t, err)
	deltatest.RequireTableEqual(t, v1, then, nil)
}
