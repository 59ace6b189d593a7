package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lakehouse-go/lakehouse/mlflow"
)

// TestRun runs the example twice on one directory (the second run
// replaces the first) and checks what it claims: a model better than the
// majority class, registered and aliased, carrying its feature spec, and
// every customer scored with a probability.
func TestRun(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "ml")
	for range 2 {
		var out strings.Builder
		res, err := run(ctx, dir, &out)
		require.NoError(t, err)
		assert.Equal(t, customers, res.trainRows)
		assert.Greater(t, res.accuracy, res.baseline, "the features carry signal the model uses")
		assert.Equal(t, customers, res.scored)
		assert.GreaterOrEqual(t, res.minP, 0.0)
		assert.LessOrEqual(t, res.maxP, 1.0)
		assert.Less(t, res.minP, res.maxP)
		assert.Equal(t, int64(1), res.modelVersion, "a fresh directory each run")
		assert.Contains(t, out.String(), "models:/main.ml.churn@production")
	}

	client, err := mlflow.NewClient(ctx, filepath.Join(dir, "mlruns"), nil)
	require.NoError(t, err)
	defer client.Close()
	mv, err := client.GetModelVersionByAlias(ctx, modelName, "production")
	require.NoError(t, err)
	assert.Equal(t, int64(1), mv.Version)
	m, err := client.LoadModel(ctx, "models:/"+modelName+"@production", t.TempDir())
	require.NoError(t, err)
	f, err := m.Open("feature_spec.yaml")
	require.NoError(t, err)
	defer f.Close()
	spec := make([]byte, 64<<10)
	n, _ := f.Read(spec)
	assert.Contains(t, string(spec[:n]), "customer_activity")
	assert.Contains(t, string(spec[:n]), "days_since_last")
}

func TestRunRefusesAForeignDirectory(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("mine"), 0o644))
	_, err := run(context.Background(), dir, &strings.Builder{})
	require.ErrorIs(t, err, errNotOurs)
	b, err := os.ReadFile(filepath.Join(dir, "notes.txt"))
	require.NoError(t, err)
	assert.Equal(t, "mine", string(b))
}
