package main

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lakehouse-go/lakehouse/mlflow"
)

func TestRunEmbedded(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	var out strings.Builder
	require.NoError(t, run(ctx, dir, &out))
	text := out.String()
	assert.Contains(t, text, "registered demo.examples.linear_regression version 1")
	assert.Contains(t, text, "alias production -> version 1")
	assert.Contains(t, text, "signature inputs [x1 x2]")
	assert.Regexp(t, `trained: w=\[(2\.9\d|3\.0\d) -(1\.9\d|2\.0\d)\] b=0\.5`, text, "recovers y = 3·x1 − 2·x2 + 0.5")

	c, err := mlflow.NewClient(ctx, dir, nil)
	require.NoError(t, err)
	exp, err := c.GetExperimentByName(ctx, "go-linear-regression")
	require.NoError(t, err)
	page, err := c.SearchRuns(ctx, &mlflow.SearchRunsOptions{ExperimentIDs: []string{exp.ID}})
	require.NoError(t, err)
	require.Len(t, page.Runs, 1)
	r := page.Runs[0]
	assert.Equal(t, mlflow.StatusFinished, r.Info.Status)
	assert.Equal(t, "150", r.Data.Params["epochs"])
	hist, err := c.GetMetricHistory(ctx, r.Info.RunID, "test_rmse")
	require.NoError(t, err)
	require.Len(t, hist, 150)
	assert.Less(t, hist[149].Value, hist[0].Value, "the model learned")
	assert.Less(t, hist[149].Value, 0.1)
}
