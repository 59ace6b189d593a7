package checkpoint

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lakehouse-go/lakehouse/internal/corpustest"
	"github.com/lakehouse-go/lakehouse/internal/protocol"
)

// bytesReader is a storage.ReaderAt over memory.
type bytesReader struct{ *bytes.Reader }

func (bytesReader) Close() error { return nil }

func corpusFile(t testing.TB, rel string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(corpustest.Dir(t), filepath.FromSlash(rel)))
	require.NoError(t, err)
	return b
}

func TestReadParquetCheckpoint(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	data := corpusFile(t, "dat/with_checkpoint/delta/_delta_log/00000000000000000002.checkpoint.parquet")
	var adds, removes int
	var proto *protocol.Protocol
	var meta *protocol.Metadata
	err := ReadParquet(context.Background(), bytesReader{bytes.NewReader(data)}, append(FileColumns, StateColumns...), mem, func(actions []protocol.Action) error {
		for _, a := range actions {
			switch {
			case a.Add != nil:
				adds++
				assert.NotEmpty(t, a.Add.Path)
				assert.Positive(t, a.Add.Size)
			case a.Remove != nil:
				removes++
			case a.Protocol != nil:
				proto = a.Protocol
			case a.Metadata != nil:
				meta = a.Metadata
			}
		}
		return nil
	})
	require.NoError(t, err)
	require.NotNil(t, proto)
	require.NotNil(t, meta)
	assert.Positive(t, adds)
	assert.NotEmpty(t, meta.SchemaString)
	assert.Equal(t, "2", meta.Configuration["delta.checkpointInterval"])
}

func TestReadParquetStatsParsedOnly(t *testing.T) {
	data := corpusFile(t, "delta-kernel-rs/v1-single-part-struct-stats-only/delta/_delta_log/00000000000000000005.checkpoint.parquet")
	var withStats int
	err := ReadParquet(context.Background(), bytesReader{bytes.NewReader(data)}, AddColumns, nil, func(actions []protocol.Action) error {
		for _, a := range actions {
			if a.Add != nil && a.Add.StatsParsed != nil && a.Add.StatsParsed.NumRecords != nil {
				withStats++
				assert.Equal(t, int64(1), *a.Add.StatsParsed.NumRecords)
				_, ok := protocol.Lookup(a.Add.StatsParsed.MinValues, []string{"id"})
				assert.True(t, ok, "min id from stats_parsed")
			}
		}
		return nil
	})
	require.NoError(t, err)
	assert.Equal(t, 5, withStats)
}

func TestParseLastCheckpoint(t *testing.T) {
	lc, err := ParseLastCheckpoint([]byte(`{"version":10,"size":13,"parts":2,"sizeInBytes":100}`))
	require.NoError(t, err)
	assert.Equal(t, int64(10), lc.Version)
	assert.Equal(t, 2, *lc.Parts)
	for _, bad := range []string{``, `{`, `{"version":-1}`, `[1]`} {
		_, err := ParseLastCheckpoint([]byte(bad))
		assert.True(t, errors.Is(err, protocol.ErrMalformed), bad)
	}
}

func FuzzReadParquet(f *testing.F) {
	dir := os.Getenv(corpustest.Env)
	if dir == "" {
		dir = filepath.Join("..", "..", "..", "shared", "testdata")
	}
	seeds, _ := filepath.Glob(filepath.Join(dir, "*", "*", "delta", "_delta_log", "*.checkpoint*.parquet"))
	for i, s := range seeds {
		if i >= 8 {
			break
		}
		if b, err := os.ReadFile(s); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte("PAR1\x00\x00\x00\x00PAR1"))
	f.Fuzz(func(t *testing.T, data []byte) {
		_ = ReadParquet(context.Background(), bytesReader{bytes.NewReader(data)}, append(FileColumns, StateColumns...), nil, func([]protocol.Action) error { return nil })
	})
}

func FuzzParseJSON(f *testing.F) {
	f.Add([]byte("{\"add\":{\"path\":\"a\"}}\n{\"commitInfo\":{}}\n"))
	f.Add([]byte(`{"checkpointMetadata":{"version":3}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		// The whole-file and the streaming decoder agree, the latter under
		// any line limit it does not report exceeding.
		want, werr := ParseJSON(data)
		for _, limit := range []int64{0, 16, int64(len(data))} {
			got, err := ReadJSON(bytes.NewReader(data), limit)
			var tooLong *LineTooLongError
			if errors.As(err, &tooLong) {
				if limit == 0 || limit >= int64(len(data)) {
					t.Fatalf("line too long under limit %d for %d bytes", limit, len(data))
				}
				continue
			}
			if (err == nil) != (werr == nil) {
				t.Fatalf("limit %d: ReadJSON error %v, ParseJSON error %v", limit, err, werr)
			}
			if err == nil && !reflect.DeepEqual(want, got) {
				t.Fatalf("limit %d: decoders disagree:\n%#v\n%#v", limit, want, got)
			}
		}
		if lc, err := ParseLastCheckpoint(data); err == nil && lc.Version < 0 {
			t.Fatalf("negative version %d accepted", lc.Version)
		}
	})
}
