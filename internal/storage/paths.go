package storage

import (
	"io/fs"
	"path"
	"strings"
)

// checkPath validates an object path (see the package doc).
func checkPath(op, p string) error {
	if p == "." || !fs.ValidPath(p) {
		return pathErr(op, p, ErrInvalidPath)
	}
	return nil
}

// checkPrefix validates a List prefix: empty, or a valid path optionally
// followed by one "/".
func checkPrefix(prefix string) error {
	if prefix == "" {
		return nil
	}
	p := strings.TrimSuffix(prefix, "/")
	if p == "." || !fs.ValidPath(p) {
		return pathErr("list", prefix, ErrInvalidPath)
	}
	return nil
}

// contentTypeFor names the media type blob uploads carry. gocloud's Upload
// requires one, and an explicit type also stops gocloud from buffering the
// first 512 bytes to sniff it.
func contentTypeFor(p string) string {
	switch path.Ext(p) {
	case ".json", ".crc":
		// Delta commits, checkpoints' sidecars and version checksums are JSON.
		return "application/json"
	case ".parquet":
		return "application/vnd.apache.parquet"
	default:
		return "application/octet-stream"
	}
}
