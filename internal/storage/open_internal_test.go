package storage

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseLocation(t *testing.T) {
	cases := []struct {
		raw  string
		want location
	}{
		{"/data/t1", location{kind: locLocal, localPath: "/data/t1"}},
		{"/data/t1/", location{kind: locLocal, localPath: "/data/t1"}},
		{"rel/t1", location{kind: locLocal, localPath: "rel/t1"}},
		{"./t1", location{kind: locLocal, localPath: "t1"}},
		{"file:///data/t1", location{kind: locLocal, localPath: "/data/t1"}},
		{"file://localhost/data/t1", location{kind: locLocal, localPath: "/data/t1"}},
		{"file:///data/a%20b", location{kind: locLocal, localPath: "/data/a b"}},
		{"file:/data/t1", location{kind: locLocal, localPath: "/data/t1"}},
		{"mem://", location{kind: locMem}},
		{"mem://t1", location{kind: locMem}},
		{"mem://t1/", location{kind: locMem}},
		{"mem://label/warehouse/t1", location{kind: locMem, prefix: "warehouse/t1/"}},
		{"mem:///warehouse/t1/", location{kind: locMem, prefix: "warehouse/t1/"}},
		{"mem://?nomd5", location{kind: locMem, noMD5: true}},
		{"s3://bucket", location{kind: locBlob, bucketURL: "s3://bucket"}},
		{"s3://bucket/", location{kind: locBlob, bucketURL: "s3://bucket"}},
		{"s3://bucket/warehouse/t1?region=eu-west-1", location{kind: locBlob, bucketURL: "s3://bucket?region=eu-west-1", prefix: "warehouse/t1/"}},
		{"gs://bucket/t%201", location{kind: locBlob, bucketURL: "gs://bucket", prefix: "t 1/"}},
		{"azblob://container/tables/t1/", location{kind: locBlob, bucketURL: "azblob://container", prefix: "tables/t1/"}},
	}
	for _, tc := range cases {
		t.Run(tc.raw, func(t *testing.T) {
			if tc.want.kind == locLocal {
				tc.want.localPath = filepath.FromSlash(tc.want.localPath)
			}
			got, err := parseLocation(tc.raw)
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
}

func TestParseLocationErrors(t *testing.T) {
	for _, raw := range []string{
		"",
		"file://remote/data",
		"file:rel/path",
		"file:///data?x=1",
		"file://",
		"mem://x/../y",
		"mem://x/a//b",
		"mem://?unknown=1",
		"s3://",
		"s3:///path-without-bucket",
		"s3://bucket/a/../b",
		"s3://bucket/t1#frag",
		"://nothing",
		"s3://bu cket/x",
	} {
		t.Run(raw, func(t *testing.T) {
			_, err := parseLocation(raw)
			require.Error(t, err)
			assert.ErrorIs(t, err, ErrInvalidURL)
			assert.True(t, strings.HasPrefix(err.Error(), "storage: "), err.Error())
		})
	}
}

func TestRedact(t *testing.T) {
	_, err := parseLocation("s3://user:secret@bucket/a/../b")
	require.Error(t, err)
	assert.NotContains(t, err.Error(), "secret")
}

// FuzzParseLocation: parsing never panics, and what it accepts is
// well-formed: prefixes are valid paths plus "/", blob URLs re-parse to the
// same bucket with no path, local paths are clean.
func FuzzParseLocation(f *testing.F) {
	for _, seed := range []string{
		"/data/t1", "rel", "file:///data/t1", "file://localhost/x", "mem://", "mem://a/b/c?nomd5",
		"s3://bucket/warehouse/t1?region=x", "gs://b/%2e%2e/x", "azblob://c/a%2Fb", "s3://u:p@b/x", "file:", "::",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		loc, err := parseLocation(raw)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "storage: ") {
				t.Fatalf("error without package prefix: %v", err)
			}
			return
		}
		if loc.prefix != "" {
			if !strings.HasSuffix(loc.prefix, "/") || checkPath("open", strings.TrimSuffix(loc.prefix, "/")) != nil {
				t.Fatalf("%q: bad prefix %q", raw, loc.prefix)
			}
		}
		switch loc.kind {
		case locLocal:
			if loc.localPath != filepath.Clean(loc.localPath) {
				t.Fatalf("%q: unclean local path %q", raw, loc.localPath)
			}
		case locBlob:
			again, err := parseLocation(loc.bucketURL)
			if err != nil || again.kind != locBlob || again.bucketURL != loc.bucketURL || again.prefix != "" {
				t.Fatalf("%q: bucket URL %q does not re-parse to itself: %+v %v", raw, loc.bucketURL, again, err)
			}
		case locMem:
		default:
			t.Fatalf("%q: unknown kind %d", raw, loc.kind)
		}
	})
}
