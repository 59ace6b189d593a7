package stepstore_test

import (
	"context"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/lakehouse-go/lakehouse/internal/storage"
	"github.com/lakehouse-go/lakehouse/internal/storage/stepstore"
)

func TestSteps(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts *stepstore.Options
		want []string
	}{
		{"defaults", nil, []string{
			"1 put a", "2 put-if-absent b", "3 get a", "4 stat b", "5 create c", "6 close c",
			"7 open c", "8 list ", "9 delete a",
		}},
		{"first write", &stepstore.Options{FirstWrite: true}, []string{
			"1 put a", "2 put-if-absent b", "3 get a", "4 stat b", "5 create c", "6 write c", "7 close c",
			"8 open c", "9 list ", "10 delete a",
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			inner, err := storage.Open(ctx, "mem://", nil)
			require.NoError(t, err)
			var got []string
			wrap := stepstore.Wrapper(func(n int64, what string) {
				got = append(got, fmtStep(n, what))
			}, tc.opts)
			s := wrap(inner)
			defer s.Close()

			require.NoError(t, s.Put(ctx, "a", []byte("1")))
			require.NoError(t, s.PutIfAbsent(ctx, "b", []byte("2")))
			data, err := s.Get(ctx, "a")
			require.NoError(t, err)
			require.Equal(t, []byte("1"), data)
			_, err = s.Stat(ctx, "b")
			require.NoError(t, err)
			w, err := s.Create(ctx, "c")
			require.NoError(t, err)
			_, err = w.Write([]byte("x"))
			require.NoError(t, err)
			_, err = w.Write([]byte("y")) // only the first write is a step
			require.NoError(t, err)
			require.NoError(t, w.Close())
			r, err := s.Open(ctx, "c")
			require.NoError(t, err)
			require.Equal(t, int64(2), r.Size())
			require.NoError(t, r.Close())
			n := 0
			for _, err := range s.List(ctx, "") {
				require.NoError(t, err)
				n++
			}
			require.Equal(t, 3, n)
			require.NoError(t, s.Delete(ctx, "a"))
			require.Equal(t, tc.want, got)
		})
	}
}

// Stores made by one Wrapper share one count: the second continues where
// the first stopped.
func TestWrapperSharesCount(t *testing.T) {
	ctx := context.Background()
	var steps []int64
	wrap := stepstore.Wrapper(func(n int64, _ string) { steps = append(steps, n) }, nil)
	for range 2 {
		inner, err := storage.Open(ctx, "mem://", nil)
		require.NoError(t, err)
		s := wrap(inner)
		require.NoError(t, s.Put(ctx, "a", nil))
		require.NoError(t, s.Close())
	}
	require.Equal(t, []int64{1, 2}, steps)
}

func fmtStep(n int64, what string) string {
	return strconv.FormatInt(n, 10) + " " + what
}
