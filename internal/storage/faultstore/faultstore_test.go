package faultstore_test

import (
	"context"
	"errors"
	"io"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lakehouse-go/lakehouse/internal/storage"
	"github.com/lakehouse-go/lakehouse/internal/storage/faultstore"
	"github.com/lakehouse-go/lakehouse/internal/storage/storagetest"
)

func newMem(t *testing.T) storage.Store {
	t.Helper()
	s, err := storage.Open(context.Background(), "mem://", nil)
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// TestTransparent: with a zero Plan the wrapper is a conforming Store.
func TestTransparent(t *testing.T) {
	storagetest.Run(t, func(t *testing.T) storage.Store {
		return faultstore.New(newMem(t), faultstore.Plan{})
	})
}

// do runs one operation of kind op on path and returns its error.
func do(ctx context.Context, s storage.Store, op faultstore.Op, path string) error {
	switch op {
	case faultstore.OpGet:
		_, err := s.Get(ctx, path)
		return err
	case faultstore.OpOpen:
		r, err := s.Open(ctx, path)
		if err == nil {
			_ = r.Close()
		}
		return err
	case faultstore.OpRead:
		r, err := s.Open(ctx, path)
		if err != nil {
			return err
		}
		defer r.Close()
		_, err = r.ReadAt(make([]byte, 1), 0)
		return err
	case faultstore.OpStat:
		_, err := s.Stat(ctx, path)
		return err
	case faultstore.OpList:
		for _, err := range s.List(ctx, path) {
			if err != nil {
				return err
			}
		}
		return nil
	case faultstore.OpPut:
		return s.Put(ctx, path, []byte("put"))
	case faultstore.OpPutIfAbsent:
		err := s.PutIfAbsent(ctx, path, []byte("pia"))
		if storage.IsExist(err) {
			return nil // losing the race is not a fault
		}
		return err
	case faultstore.OpCreate, faultstore.OpWrite, faultstore.OpCommit:
		w, err := s.Create(ctx, path)
		if err != nil {
			return err
		}
		defer w.Abort()
		if _, err := w.Write([]byte("created")); err != nil {
			return err
		}
		return w.Close()
	case faultstore.OpDelete:
		return s.Delete(ctx, path)
	}
	panic("unknown op " + op.String())
}

func TestFailsNth(t *testing.T) {
	ctx := context.Background()
	kinds := []faultstore.Op{
		faultstore.OpGet, faultstore.OpOpen, faultstore.OpRead, faultstore.OpStat, faultstore.OpList,
		faultstore.OpPut, faultstore.OpPutIfAbsent, faultstore.OpCreate, faultstore.OpWrite,
		faultstore.OpCommit, faultstore.OpDelete,
	}
	for _, op := range kinds {
		t.Run(op.String(), func(t *testing.T) {
			inner := newMem(t)
			require.NoError(t, inner.Put(ctx, "obj", []byte("x")))
			fs := faultstore.New(inner, faultstore.Plan{FailOn: op, N: 3})
			for i := 1; i <= 5; i++ {
				err := do(ctx, fs, op, "obj")
				if i != 3 {
					require.NoError(t, err, "op #%d", i)
					continue
				}
				require.ErrorIs(t, err, faultstore.ErrInjected, "op #%d", i)
				var f *faultstore.Fault
				require.ErrorAs(t, err, &f)
				assert.Equal(t, op, f.Op)
				assert.Equal(t, "obj", f.Path)
				assert.Equal(t, 3, f.N)
				assert.False(t, storage.IsExist(err) || storage.IsNotExist(err), "a fault is never a lost race or a missing object")
				assert.Contains(t, err.Error(), "faultstore: injected fault on "+op.String())
			}
			assert.Equal(t, 1, fs.Injected())
			assert.Equal(t, int64(5), fs.Count(op))
		})
	}
}

func TestNoEffectWithoutAfterEffect(t *testing.T) {
	ctx := context.Background()
	for _, op := range []faultstore.Op{faultstore.OpPut, faultstore.OpPutIfAbsent, faultstore.OpCommit, faultstore.OpWrite} {
		t.Run(op.String(), func(t *testing.T) {
			inner := newMem(t)
			fs := faultstore.New(inner, faultstore.Plan{FailOn: op, N: 1})
			require.ErrorIs(t, do(ctx, fs, op, "new"), faultstore.ErrInjected)
			_, err := inner.Get(ctx, "new")
			assert.True(t, storage.IsNotExist(err), "the failed write left nothing: %v", err)
		})
	}
	inner := newMem(t)
	require.NoError(t, inner.Put(ctx, "keep", []byte("x")))
	fs := faultstore.New(inner, faultstore.Plan{FailOn: faultstore.OpDelete, N: 1})
	require.ErrorIs(t, fs.Delete(ctx, "keep"), faultstore.ErrInjected)
	_, err := inner.Get(ctx, "keep")
	assert.NoError(t, err, "the failed delete removed nothing")
}

// TestAfterEffect models a lost acknowledgement: the write lands, the
// caller still sees a fault.
func TestAfterEffect(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		op       faultstore.Op
		wantData string // "" means the object must be gone
	}{
		{faultstore.OpPut, "put"},
		{faultstore.OpPutIfAbsent, "pia"},
		{faultstore.OpCommit, "created"},
		{faultstore.OpDelete, ""},
	}
	for _, tc := range cases {
		t.Run(tc.op.String(), func(t *testing.T) {
			inner := newMem(t)
			if tc.op == faultstore.OpDelete {
				require.NoError(t, inner.Put(ctx, "obj", []byte("x")))
			}
			fs := faultstore.New(inner, faultstore.Plan{FailOn: tc.op, N: 1, AfterEffect: true})
			err := do(ctx, fs, tc.op, "obj")
			require.ErrorIs(t, err, faultstore.ErrInjected)
			var f *faultstore.Fault
			require.ErrorAs(t, err, &f)
			assert.True(t, f.AfterEffect)
			assert.Contains(t, err.Error(), "after it took effect")
			got, err := inner.Get(ctx, "obj")
			if tc.wantData == "" {
				assert.True(t, storage.IsNotExist(err))
			} else {
				require.NoError(t, err)
				assert.Equal(t, tc.wantData, string(got))
			}
		})
	}
	// A real failure is reported as itself, not hidden behind the fault.
	inner := newMem(t)
	require.NoError(t, inner.Put(ctx, "taken", []byte("x")))
	fs := faultstore.New(inner, faultstore.Plan{FailOn: faultstore.OpPutIfAbsent, N: 1, AfterEffect: true})
	err := fs.PutIfAbsent(ctx, "taken", []byte("y"))
	assert.ErrorIs(t, err, storage.ErrExist)
	assert.NotErrorIs(t, err, faultstore.ErrInjected)
}

func TestListFaults(t *testing.T) {
	ctx := context.Background()
	inner := newMem(t)
	for _, p := range []string{"a", "b", "c"} {
		require.NoError(t, inner.Put(ctx, p, nil))
	}
	fs := faultstore.New(inner, faultstore.Plan{FailOn: faultstore.OpList, N: 1, AfterEffect: true})
	var got []string
	var lastErr error
	for fi, err := range fs.List(ctx, "") {
		if err != nil {
			lastErr = err
			continue
		}
		got = append(got, fi.Path)
	}
	assert.Equal(t, []string{"a", "b", "c"}, got, "entries before the fault")
	assert.ErrorIs(t, lastErr, faultstore.ErrInjected, "the fault ends the listing")
}

func TestRepeatPrefixAndSetPlan(t *testing.T) {
	ctx := context.Background()
	custom := errors.New("disk on fire")
	fs := faultstore.New(newMem(t), faultstore.Plan{
		FailOn: faultstore.OpPut | faultstore.OpCommit, N: 2, Repeat: true, PathPrefix: "data/", Err: custom,
	})
	require.NoError(t, fs.Put(ctx, "_delta_log/0.json", nil), "outside the prefix: not counted")
	require.NoError(t, fs.Put(ctx, "data/1", nil), "first matching op")
	for i := range 3 {
		err := fs.Put(ctx, "data/x", nil)
		require.ErrorIs(t, err, faultstore.ErrInjected, "Repeat: op %d after N", i)
		require.ErrorIs(t, err, custom)
		assert.Contains(t, err.Error(), "disk on fire")
	}
	require.ErrorIs(t, do(ctx, fs, faultstore.OpCommit, "data/w"), faultstore.ErrInjected, "commits count too")
	require.NoError(t, do(ctx, fs, faultstore.OpCommit, "other/w"))
	assert.Equal(t, 4, fs.Injected())
	assert.Equal(t, int64(5), fs.Count(faultstore.OpPut))
	assert.Equal(t, int64(2), fs.Count(faultstore.OpCommit))
	assert.Equal(t, int64(11), fs.Count(faultstore.OpWrites), "5 puts + 2 × (create, write, commit)")

	fs.SetPlan(faultstore.Plan{FailOn: faultstore.OpGet, N: 1})
	require.NoError(t, fs.Put(ctx, "data/y", nil), "the new plan does not fault puts")
	_, err := fs.Get(ctx, "data/y")
	require.ErrorIs(t, err, faultstore.ErrInjected)
	_, err = fs.Get(ctx, "data/y")
	require.NoError(t, err)
	assert.Equal(t, int64(6), fs.Count(faultstore.OpPut), "counts survive SetPlan")
}

func TestReadFaults(t *testing.T) {
	ctx := context.Background()
	inner := newMem(t)
	require.NoError(t, inner.Put(ctx, "f", []byte("hello")))
	fs := faultstore.New(inner, faultstore.Plan{FailOn: faultstore.OpRead, N: 2})
	r, err := fs.Open(ctx, "f")
	require.NoError(t, err)
	defer r.Close()
	buf := make([]byte, 2)
	_, err = r.Read(buf)
	require.NoError(t, err)
	_, err = r.Read(buf)
	require.ErrorIs(t, err, faultstore.ErrInjected)
	rest, err := io.ReadAll(r)
	require.NoError(t, err)
	assert.Equal(t, "llo", string(rest), "a failed Read consumed nothing")
	assert.Equal(t, int64(5), r.Size())
}

func TestOpString(t *testing.T) {
	assert.Equal(t, "none", faultstore.Op(0).String())
	assert.Equal(t, "put-if-absent", faultstore.OpPutIfAbsent.String())
	assert.Equal(t, "put|commit", (faultstore.OpPut | faultstore.OpCommit).String())
	assert.Equal(t, "get|Op(0x8000)", (faultstore.OpGet | faultstore.Op(0x8000)).String())
}
