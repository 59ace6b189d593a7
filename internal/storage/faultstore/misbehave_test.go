package faultstore_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lakehouse-go/lakehouse/internal/storage"
	"github.com/lakehouse-go/lakehouse/internal/storage/faultstore"
)

// TestExistsAfterEffect: the write lands and the caller hears "already
// exists", as after a transport retry of a landed conditional put.
func TestExistsAfterEffect(t *testing.T) {
	ctx := context.Background()
	inner := newMem(t)
	s := faultstore.New(inner, faultstore.Plan{FailOn: faultstore.OpPutIfAbsent, N: 1, AfterEffect: true, ExistsAfterEffect: true})
	err := s.PutIfAbsent(ctx, "a", []byte("x"))
	assert.True(t, storage.IsExist(err), "%v", err)
	assert.False(t, errors.Is(err, faultstore.ErrInjected))
	got, err := inner.Get(ctx, "a")
	require.NoError(t, err)
	assert.Equal(t, []byte("x"), got)
	assert.Equal(t, 1, s.Injected())
}

// TestSlow: a matched call waits, and fails with ctx's error when ctx
// ends first, having done nothing.
func TestSlow(t *testing.T) {
	tests := []struct {
		name    string
		slow    time.Duration
		timeout time.Duration
		wantErr error
	}{
		{"within deadline", time.Millisecond, time.Second, nil},
		{"past deadline", 10 * time.Second, 20 * time.Millisecond, context.DeadlineExceeded},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			inner := newMem(t)
			s := faultstore.New(inner, faultstore.Plan{FailOn: faultstore.OpPutIfAbsent, Slow: tc.slow})
			ctx, cancel := context.WithTimeout(context.Background(), tc.timeout)
			defer cancel()
			err := s.PutIfAbsent(ctx, "a", []byte("x"))
			if tc.wantErr == nil {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, tc.wantErr)
			_, err = inner.Get(context.Background(), "a")
			assert.True(t, storage.IsNotExist(err), "%v", err)
		})
	}
}

// TestStaleList: listings under PathPrefix miss the newest entries.
func TestStaleList(t *testing.T) {
	ctx := context.Background()
	inner := newMem(t)
	for _, p := range []string{"log/1", "log/2", "log/3", "other/1"} {
		require.NoError(t, inner.Put(ctx, p, []byte(p)))
	}
	s := faultstore.New(inner, faultstore.Plan{StaleList: 2, PathPrefix: "log/"})
	list := func(prefix string) []string {
		var out []string
		for fi, err := range s.List(ctx, prefix) {
			require.NoError(t, err)
			out = append(out, fi.Path)
		}
		return out
	}
	assert.Equal(t, []string{"log/1"}, list("log/"))
	assert.Equal(t, []string{"other/1"}, list("other/"))
}
