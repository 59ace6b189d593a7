package storage

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestPutIfAbsentWithoutHardLinks runs the put-if-absent race on a local
// store whose file system refuses hard links (link returns EPERM, as on
// FAT or some FUSE mounts). On Linux renameat2(RENAME_NOREPLACE) must keep
// exactly one winner; elsewhere the store must refuse rather than race.
func TestPutIfAbsentWithoutHardLinks(t *testing.T) {
	ctx := context.Background()
	s, err := newLocalStore(t.TempDir(), true)
	require.NoError(t, err)
	s.link = func(string, string) error { return syscall.EPERM }

	if runtime.GOOS != "linux" {
		err := s.PutIfAbsent(ctx, "x", []byte("x"))
		require.ErrorIs(t, err, errors.ErrUnsupported)
		return
	}
	for key := range 20 {
		p := fmt.Sprintf("_delta_log/%020d.json", key)
		errs := make([]error, 16)
		var wg sync.WaitGroup
		for w := range errs {
			wg.Go(func() { errs[w] = s.PutIfAbsent(ctx, p, fmt.Appendf(nil, "writer %d", w)) })
		}
		wg.Wait()
		winners := 0
		for _, err := range errs {
			if err == nil {
				winners++
			} else {
				require.ErrorIs(t, err, ErrExist)
			}
		}
		require.Equal(t, 1, winners, "key %d", key)
	}
	var n int
	for _, err := range s.List(ctx, "") {
		require.NoError(t, err)
		n++
	}
	assert.Equal(t, 20, n, "no temporary files are left or listed")
}
