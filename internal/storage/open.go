package storage

import (
	"context"
	"fmt"
	"net/url"
	"path/filepath"
	"strings"

	"gocloud.dev/blob"
	"gocloud.dev/blob/memblob"
)

// OpenOptions tunes Open. A nil *OpenOptions, like the zero value, means
// the defaults.
type OpenOptions struct {
	// URLMux resolves URLs whose scheme is neither file nor mem. Nil means
	// blob.DefaultURLMux(), where driver packages register themselves when
	// imported.
	URLMux *blob.URLMux
	// TailCacheSize is how many bytes at the end of an object a blob
	// ReaderAt fetches, in one request, on the first read that touches
	// them. Zero means DefaultTailCacheSize; negative disables the cache.
	TailCacheSize int64
	// NoSync skips fsync in the local store. Writes stay atomic for readers,
	// but a machine crash may lose or truncate recent objects, commits
	// included: for tests and scratch tables only. Ignored by blob stores.
	NoSync bool
}

// Open returns the Store for a location URL. See the package doc for the
// schemes; in short:
//
//	/data/t1, ./t1, file:///data/t1   local disk
//	mem://, mem://label/prefix         a new in-memory bucket
//	s3://bucket/prefix?region=…        blob.OpenBucket (driver imported by the caller)
//
// Close the Store when done; for blob URLs that closes the bucket Open
// opened.
func Open(ctx context.Context, rawURL string, opts *OpenOptions) (Store, error) {
	if opts == nil {
		opts = &OpenOptions{}
	}
	loc, err := parseLocation(rawURL)
	if err != nil {
		return nil, err
	}
	tail := opts.TailCacheSize
	if tail == 0 {
		tail = DefaultTailCacheSize
	}
	if WrapForTest != nil {
		s, err := open(ctx, rawURL, loc, tail, opts)
		if err != nil {
			return nil, err
		}
		return WrapForTest(s), nil
	}
	return open(ctx, rawURL, loc, tail, opts)
}

// WrapForTest, when set, wraps every Store Open returns. Tests of packages
// that reach storage only through delta (the crash matrix of optimize)
// set it in a child process to count and interrupt storage steps; it is
// never set outside tests.
var WrapForTest func(Store) Store

func open(ctx context.Context, rawURL string, loc location, tail int64, opts *OpenOptions) (Store, error) {
	switch loc.kind {
	case locLocal:
		return newLocalStore(loc.localPath, opts.NoSync)
	case locMem:
		return newBlobStore(memblob.OpenBucket(&memblob.Options{NoMD5: loc.noMD5}), loc.prefix, true, tail), nil
	default:
		mux := opts.URLMux
		if mux == nil {
			mux = blob.DefaultURLMux()
		}
		bucket, err := mux.OpenBucket(ctx, loc.bucketURL)
		if scheme, _, _ := strings.Cut(loc.bucketURL, "://"); err != nil && !mux.ValidBucketScheme(scheme) {
			// No driver for the scheme: the URL, not the store, is wrong.
			return nil, fmt.Errorf("%w %q: %w", ErrInvalidURL, Redact(rawURL), redactErr(err, rawURL))
		}
		if err != nil {
			return nil, fmt.Errorf("storage: open %q: %w", Redact(rawURL), redactErr(err, rawURL))
		}
		return newBlobStore(bucket, loc.prefix, true, tail), nil
	}
}

type locationKind int

const (
	locLocal locationKind = iota
	locMem
	locBlob
)

// location is a parsed Open URL.
type location struct {
	kind      locationKind
	localPath string // locLocal: an OS path
	bucketURL string // locBlob: the URL without its path, for the mux
	prefix    string // locMem, locBlob: key prefix, "" or ending in "/"
	noMD5     bool   // locMem: ?nomd5
}

// parseLocation splits an Open URL. Anything without "://" and not starting
// with "file:" is a local path, so relative paths and Windows paths work.
func parseLocation(raw string) (location, error) {
	if raw == "" {
		return location{}, fmt.Errorf("%w: empty location", ErrInvalidURL)
	}
	if !strings.Contains(raw, "://") && !strings.HasPrefix(raw, "file:") {
		return location{kind: locLocal, localPath: filepath.Clean(raw)}, nil
	}
	u, err := url.Parse(raw)
	if err != nil {
		return location{}, fmt.Errorf("%w: parse %q: %w", ErrInvalidURL, Redact(raw), urlErrCause(err))
	}
	bad := func(why string) (location, error) {
		return location{}, fmt.Errorf("%w: %q: %s", ErrInvalidURL, Redact(raw), why)
	}
	if u.Scheme == "" {
		return bad("missing scheme")
	}
	if u.Fragment != "" || strings.Contains(raw, "#") {
		return bad("fragments are not allowed")
	}
	switch strings.ToLower(u.Scheme) {
	case "file":
		if u.Opaque != "" {
			return bad(`file URLs must be absolute ("file:///path")`)
		}
		if u.Host != "" && u.Host != "localhost" {
			return bad("file URLs cannot name a remote host")
		}
		if u.RawQuery != "" {
			return bad("file URLs take no query parameters")
		}
		if u.Path == "" || u.Path[0] != '/' {
			return bad("file URL has no path")
		}
		return location{kind: locLocal, localPath: filepath.Clean(filepath.FromSlash(u.Path))}, nil
	case "mem":
		if u.Opaque != "" {
			return bad(`use "mem://label/prefix"`)
		}
		loc := location{kind: locMem}
		for k := range u.Query() {
			if k != "nomd5" {
				return bad(fmt.Sprintf("unknown mem:// query parameter %q", k))
			}
			loc.noMD5 = true
		}
		prefix, err := cleanPrefix(u.Path)
		if err != nil {
			return bad(err.Error())
		}
		loc.prefix = prefix
		return loc, nil
	default:
		if u.Opaque != "" || u.Host == "" {
			return bad(`blob URLs look like "scheme://bucket/prefix"`)
		}
		prefix, err := cleanPrefix(u.Path)
		if err != nil {
			return bad(err.Error())
		}
		bucketURL := *u
		bucketURL.Path, bucketURL.RawPath = "", ""
		return location{kind: locBlob, bucketURL: bucketURL.String(), prefix: prefix}, nil
	}
}

// cleanPrefix turns a URL path into a key prefix: "" or a valid path plus
// "/". "..", "." and empty elements are refused rather than cleaned, since
// they would silently point somewhere else.
func cleanPrefix(urlPath string) (string, error) {
	p := strings.TrimSuffix(strings.TrimPrefix(urlPath, "/"), "/")
	if p == "" {
		return "", nil
	}
	if err := checkPath("open", p); err != nil {
		return "", fmt.Errorf("bad path %q in URL", urlPath)
	}
	return p + "/", nil
}
