package delta_test

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lakehouse-go/lakehouse/delta"
	"github.com/lakehouse-go/lakehouse/delta/deltatest"
)

type sentinelOrder struct {
	ID     int64   `delta:"id"`
	Amount float64 `delta:"amount"`
}

// sentinelOther does not fit a sentinelOrder table: amount is a string.
type sentinelOther struct {
	ID     int64  `delta:"id"`
	Amount string `delta:"amount"`
}

// TestErrorSentinels provokes each error a caller can act on and checks
// it matches its exported sentinel (and not the others) with errors.Is,
// and reads "delta: ..." once.
func TestErrorSentinels(t *testing.T) {
	ctx := context.Background()
	all := []error{
		delta.ErrInvalidPath, delta.ErrMissingDataFile, delta.ErrCorruptDataFile,
		delta.ErrConstraintViolation, delta.ErrSchemaMismatch, delta.ErrConflict,
	}
	// scanFirstFile breaks the only data file of a one-commit table, then
	// scans it.
	scanBroken := func(t *testing.T, breakFile func(path string)) error {
		tbl := deltatest.NewTableFromRows(t, []sentinelOrder{{1, 10}, {2, 20}}, nil)
		files, err := filepath.Glob(filepath.Join(tbl.URL(), "*.parquet"))
		require.NoError(t, err)
		require.Len(t, files, 1)
		breakFile(files[0])
		var scanErr error
		for _, err := range delta.ScanRows[sentinelOrder](ctx, deltatest.Latest(t, tbl), nil) {
			if err != nil {
				scanErr = err
				break
			}
		}
		return scanErr
	}
	tests := []struct {
		name string
		run  func(t *testing.T) error
		want []error // sentinels the error must match; the rest of all must not
		also []error // further errors it matches outside all
	}{
		{"empty path", func(t *testing.T) error {
			_, err := delta.Open(ctx, "", nil)
			return err
		}, []error{delta.ErrInvalidPath}, []error{delta.ErrInvalidArgument}},
		{"scheme without a driver", func(t *testing.T) error {
			_, err := delta.CreateFor[sentinelOrder](ctx, "nosuchscheme://bucket/t", nil)
			return err
		}, []error{delta.ErrInvalidPath}, []error{delta.ErrInvalidArgument}},
		{"file URL with a host", func(t *testing.T) error {
			_, err := delta.Open(ctx, "file://host/t", nil)
			return err
		}, []error{delta.ErrInvalidPath}, nil},
		{"missing data file", func(t *testing.T) error {
			return scanBroken(t, func(p string) { require.NoError(t, os.Remove(p)) })
		}, []error{delta.ErrMissingDataFile}, []error{fs.ErrNotExist}},
		{"data file not parquet", func(t *testing.T) error {
			return scanBroken(t, func(p string) { require.NoError(t, os.WriteFile(p, []byte("not parquet at all"), 0o644)) })
		}, []error{delta.ErrCorruptDataFile}, nil},
		{"truncated data file", func(t *testing.T) error {
			return scanBroken(t, func(p string) {
				b, err := os.ReadFile(p)
				require.NoError(t, err)
				require.NoError(t, os.WriteFile(p, b[:len(b)/2], 0o644))
			})
		}, []error{delta.ErrCorruptDataFile}, nil},
		{"check constraint", func(t *testing.T) error {
			tbl := deltatest.NewTableFromRows(t, []sentinelOrder{{1, 10}}, nil)
			_, err := tbl.AddConstraint(ctx, "positive", "amount > 0", nil)
			require.NoError(t, err)
			_, err = delta.AppendRows(ctx, tbl, []sentinelOrder{{2, -5}}, nil)
			return err
		}, []error{delta.ErrConstraintViolation}, nil},
		{"rows of another shape", func(t *testing.T) error {
			tbl := deltatest.NewTableFromRows(t, []sentinelOrder{{1, 10}}, nil)
			_, err := delta.AppendRows(ctx, tbl, []sentinelOther{{2, "x"}}, nil)
			return err
		}, []error{delta.ErrSchemaMismatch}, nil},
		{"concurrent overwrite", func(t *testing.T) error {
			tbl := deltatest.NewTableFromRows(t, []sentinelOrder{{1, 10}}, &deltatest.Options{Memory: true})
			a, err := tbl.Begin(ctx, &delta.TxnOptions{Mode: delta.Overwrite})
			require.NoError(t, err)
			defer a.Rollback()
			b, err := tbl.Begin(ctx, &delta.TxnOptions{Mode: delta.Overwrite})
			require.NoError(t, err)
			defer b.Rollback()
			_, err = a.Commit(ctx)
			require.NoError(t, err)
			_, err = b.Commit(ctx)
			return err
		}, []error{delta.ErrConflict}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.run(t)
			require.Error(t, err)
			for _, s := range all {
				want := false
				for _, w := range tc.want {
					want = want || w == s
				}
				assert.Equal(t, want, errors.Is(err, s), "errors.Is(%q, %q)", err, s)
			}
			for _, s := range tc.also {
				assert.ErrorIs(t, err, s)
			}
			assert.Regexp(t, `^delta: `, err.Error())
			assert.NotContains(t, err.Error()[len("delta: "):], "delta: ", "one prefix")
		})
	}
}
