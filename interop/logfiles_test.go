package interop

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDVFileName(t *testing.T) {
	cases := []struct {
		in, want, err string
	}{
		// The protocol's own example (Deletion Vector Descriptor).
		{in: "ab^-aqEH.-t@S}K{vb[*k^", want: "ab/deletion_vector_d2c639aa-8816-431a-aaf6-d3fe2512ff61.bin"},
		{in: "^-aqEH.-t@S}K{vb[*k^", want: "deletion_vector_d2c639aa-8816-431a-aaf6-d3fe2512ff61.bin"},
		{in: "00000000000000000000", want: "deletion_vector_00000000-0000-0000-0000-000000000000.bin"},
		{in: "short", err: "shorter than a Z85 uuid"},
		{in: "ab~-aqEH.-t@S}K{vb[*k^", err: "is not Z85"},
	}
	for _, c := range cases {
		t.Run(c.in, func(t *testing.T) {
			got, err := DVFileName(c.in)
			if c.err != "" {
				require.ErrorIs(t, err, ErrBadLog)
				assert.Contains(t, err.Error(), c.err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, c.want, got)
		})
	}
}

func TestReplayLogAndFiles(t *testing.T) {
	root := t.TempDir()
	dv := func(p string) string {
		return `,"deletionVector":{"storageType":"u","pathOrInlineDv":"` + p + `","sizeInBytes":40,"cardinality":2}`
	}
	commits := []string{
		`{"commitInfo":{"operation":"CREATE TABLE"}}` + "\n" + `{"metaData":{"id":"x"}}`,
		`{"commitInfo":{"operation":"WRITE"}}` + "\n" + `{"add":{"path":"a.parquet"}}` + "\n" + `{"add":{"path":"p%3D1/b%20c.parquet"}}`,
		// A new vector for a.parquet, its add before its remove.
		`{"commitInfo":{"operation":"DELETE"}}` + "\n" + `{"add":{"path":"a.parquet"` + dv("ab^-aqEH.-t@S}K{vb[*k^") + `}}` + "\n" + `{"remove":{"path":"a.parquet"}}`,
		// An inline vector replacing it, remove first; b gone.
		`{"commitInfo":{"operation":"DELETE"}}` + "\n" + `{"remove":{"path":"a.parquet"` + dv("ab^-aqEH.-t@S}K{vb[*k^") + `}}` + "\n" +
			`{"add":{"path":"a.parquet","deletionVector":{"storageType":"i","pathOrInlineDv":"wi5b=000010000siXQKl0rr91000f55c8Xg0@@D72lkbi5=-{L"}}}` + "\n" +
			`{"remove":{"path":"p%3D1/b%20c.parquet"}}`,
		`{"commitInfo":{"operation":"CLONE"}}` + "\n" + `{"add":{"path":"file:/elsewhere/d.parquet","deletionVector":{"storageType":"p","pathOrInlineDv":"file:/elsewhere/dv.bin"}}}`,
	}
	require.NoError(t, os.MkdirAll(filepath.Join(root, "_delta_log"), 0o755))
	for i, c := range commits {
		require.NoError(t, os.WriteFile(filepath.Join(root, "_delta_log", strings.Repeat("0", 19)+string(rune('0'+i))+".json"), []byte(c+"\n"), 0o644))
	}
	vs, err := ReplayLog(root)
	require.NoError(t, err)
	require.Len(t, vs, len(commits))

	want := []struct {
		op    string
		files []string
	}{
		{"CREATE TABLE", nil},
		{"WRITE", []string{"a.parquet", "p=1/b c.parquet"}},
		{"DELETE", []string{"a.parquet", "ab/deletion_vector_d2c639aa-8816-431a-aaf6-d3fe2512ff61.bin", "p=1/b c.parquet"}},
		{"DELETE", []string{"a.parquet"}},
		{"CLONE", []string{"/elsewhere/d.parquet", "/elsewhere/dv.bin", "a.parquet"}},
	}
	for i, w := range want {
		assert.Equal(t, int64(i), vs[i].Version)
		assert.Equal(t, w.op, vs[i].Operation, "version %d", i)
		got, err := Files(root, vs[i].LiveFiles())
		require.NoError(t, err)
		var exp []string
		for _, f := range w.files {
			if strings.HasPrefix(f, "/") {
				exp = append(exp, filepath.FromSlash(f))
			} else {
				exp = append(exp, filepath.Join(root, filepath.FromSlash(f)))
			}
		}
		if exp == nil {
			exp = []string{}
		}
		assert.Equal(t, exp, got, "version %d", i)
	}
	removed, err := Files(root, vs[3].Removed)
	require.NoError(t, err)
	assert.Equal(t, []string{filepath.Join(root, "a.parquet"), filepath.Join(root, "ab", "deletion_vector_d2c639aa-8816-431a-aaf6-d3fe2512ff61.bin"),
		filepath.Join(root, "p=1", "b c.parquet")}, removed)
	assert.True(t, IsAbsolutePath(vs[4].Live["file:/elsewhere/d.parquet"].Path))
	assert.False(t, IsAbsolutePath("p%3D1/b%20c.parquet"))
}

func TestReplayLogErrors(t *testing.T) {
	root := t.TempDir()
	_, err := ReplayLog(root)
	require.ErrorIs(t, err, ErrBadLog)
	require.NoError(t, os.MkdirAll(filepath.Join(root, "_delta_log"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(root, "_delta_log", strings.Repeat("0", 20)+".json"), []byte("{not json\n"), 0o644))
	_, err = ReplayLog(root)
	require.ErrorIs(t, err, ErrBadLog)
	_, err = Files(root, []LogFile{{Path: "s3://bucket/x.parquet"}})
	require.ErrorIs(t, err, ErrBadLog)
}

func TestListDataFiles(t *testing.T) {
	root := t.TempDir()
	for _, f := range []string{"a.parquet", "_delta_log/0.json", ".a.parquet.crc", "_tmp/x", "p=1/b.parquet", "_p=__HIVE_DEFAULT_PARTITION__/c.parquet", "ab/deletion_vector_1.bin", "_change_data/x.parquet"} {
		p := filepath.Join(root, filepath.FromSlash(f))
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, nil, 0o644))
	}
	got, err := ListDataFiles(root)
	require.NoError(t, err)
	assert.Equal(t, []string{
		filepath.Join(root, "_p=__HIVE_DEFAULT_PARTITION__", "c.parquet"),
		filepath.Join(root, "a.parquet"),
		filepath.Join(root, "ab", "deletion_vector_1.bin"),
		filepath.Join(root, "p=1", "b.parquet"),
	}, got)
}
