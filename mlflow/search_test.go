package mlflow

import (
	"encoding/json"
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestPageTokens(t *testing.T) {
	items := []int{0, 1, 2, 3, 4}
	page, next, err := paginate(items, "", 2)
	require.NoError(t, err)
	assert.Equal(t, []int{0, 1}, page)
	page, next, err = paginate(items, next, 2)
	require.NoError(t, err)
	assert.Equal(t, []int{2, 3}, page)
	page, next, err = paginate(items, next, 2)
	require.NoError(t, err)
	assert.Equal(t, []int{4}, page)
	assert.Empty(t, next)
	for _, bad := range []string{"%%%", "bm90IGpzb24=", "eyJvZmZzZXQiOiAtMX0="} {
		_, _, err := paginate(items, bad, 2)
		require.ErrorIs(t, err, ErrInvalidParameter, bad)
	}
}

func FuzzPageToken(f *testing.F) {
	f.Add(encodePageToken(3))
	f.Add("eyJvZmZzZXQiOiAtMX0=")
	f.Fuzz(func(t *testing.T, tok string) {
		off, err := decodePageToken(tok)
		if err != nil {
			return
		}
		if off < 0 {
			t.Fatalf("negative offset %d", off)
		}
		page, _, err := paginate([]int{1, 2, 3}, tok, 2)
		require.NoError(t, err)
		require.LessOrEqual(t, len(page), 2)
	})
}

func TestJSONNumbers(t *testing.T) {
	var v struct {
		A jsonInt64 `json:"a"`
		B jsonInt64 `json:"b"`
		F []jsonFloat
	}
	require.NoError(t, json.Unmarshal([]byte(`{"a":"12","b":34,"F":[1.5,"NaN","Infinity","-Infinity"]}`), &v))
	assert.Equal(t, jsonInt64(12), v.A)
	assert.Equal(t, jsonInt64(34), v.B)
	assert.Equal(t, jsonFloat(1.5), v.F[0])
	assert.True(t, math.IsNaN(float64(v.F[1])))
	assert.True(t, math.IsInf(float64(v.F[2]), 1))
	assert.True(t, math.IsInf(float64(v.F[3]), -1))
}

func FuzzJSONFloat(f *testing.F) {
	for _, s := range []string{`1.5`, `"NaN"`, `"Infinity"`, `-0`, `1e308`, `"12"`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var v jsonFloat
		if json.Unmarshal([]byte(s), &v) != nil {
			return
		}
		b, err := json.Marshal(v)
		require.NoError(t, err)
		var again jsonFloat
		require.NoError(t, json.Unmarshal(b, &again))
		if !(math.IsNaN(float64(v)) && math.IsNaN(float64(again))) {
			require.Equal(t, v, again)
		}
	})
}
