package dv

import (
	"encoding/hex"
	"fmt"
	"net/url"
	"path"
	"strconv"
	"strings"
)

// Storage types of a deletion vector descriptor.
const (
	StorageUUID     = "u" // file under the table root named after a UUID
	StorageInline   = "i" // Z85-encoded payload inside the log
	StorageAbsolute = "p" // file at an absolute path or URI
)

// uuidZ85Len is the length of a Z85-encoded 16-byte UUID; any characters
// before it in PathOrInlineDv are the random directory prefix.
const uuidZ85Len = 20

// Descriptor is the deletionVector struct of an add or remove action.
type Descriptor struct {
	StorageType    string `json:"storageType"`
	PathOrInlineDv string `json:"pathOrInlineDv"`
	// Offset is the position of the DV in its file; nil for inline DVs and
	// read as 0 when absent for the other storage types.
	Offset      *int32 `json:"offset,omitempty"`
	SizeInBytes int32  `json:"sizeInBytes"`
	Cardinality int64  `json:"cardinality"`
}

// UniqueID identifies the DV of a logical file, as the protocol derives it:
// storage type and path, plus "@offset" when an offset is present.
func (d Descriptor) UniqueID() string {
	id := d.StorageType + d.PathOrInlineDv
	if d.Offset != nil {
		id += "@" + strconv.FormatInt(int64(*d.Offset), 10)
	}
	return id
}

// IsInline reports whether the DV is stored in the log itself.
func (d Descriptor) IsInline() bool { return d.StorageType == StorageInline }

// Validate checks the fields that do not need any decoding.
func (d Descriptor) Validate() error {
	switch d.StorageType {
	case StorageUUID, StorageInline, StorageAbsolute:
	default:
		return fmt.Errorf("%w: unknown storage type %q", ErrDescriptor, d.StorageType)
	}
	if d.SizeInBytes < 0 {
		return fmt.Errorf("%w: negative sizeInBytes %d", ErrDescriptor, d.SizeInBytes)
	}
	if d.Cardinality < 0 {
		return fmt.Errorf("%w: negative cardinality %d", ErrDescriptor, d.Cardinality)
	}
	if d.Offset != nil && *d.Offset < 0 {
		return fmt.Errorf("%w: negative offset %d", ErrDescriptor, *d.Offset)
	}
	if d.StorageType == StorageInline && d.Offset != nil {
		return fmt.Errorf("%w: inline deletion vector has an offset", ErrDescriptor)
	}
	return nil
}

// offset returns the DV's offset in its file, 0 when absent.
func (d Descriptor) offset() int64 {
	if d.Offset == nil {
		return 0
	}
	return int64(*d.Offset)
}

// RelativePath returns, for storage type "u", the DV file's path relative to
// the table root: "<prefix>/deletion_vector_<uuid>.bin".
func (d Descriptor) RelativePath() (string, error) {
	if d.StorageType != StorageUUID {
		return "", fmt.Errorf("%w: storage type %q has no table-relative path", ErrDescriptor, d.StorageType)
	}
	p := d.PathOrInlineDv
	if len(p) < uuidZ85Len {
		return "", fmt.Errorf("%w: %q is shorter than a z85 uuid", ErrDescriptor, p)
	}
	prefix, encoded := p[:len(p)-uuidZ85Len], p[len(p)-uuidZ85Len:]
	raw, err := Z85Decode(encoded)
	if err != nil {
		return "", fmt.Errorf("%w: uuid %q: %w", ErrDescriptor, encoded, err)
	}
	// Z85 turns 20 characters into exactly 16 bytes.
	return path.Join(prefix, FileName([16]byte(raw))), nil
}

// FileName is the name of the DV file for id: "deletion_vector_<uuid>.bin".
//
// UUIDs are taken as [16]byte (a uuid.UUID converts implicitly) rather than
// through github.com/google/uuid, which imports net: this package is part
// of the protocol core, whose dependencies must not reach the network.
func FileName(id [16]byte) string { return "deletion_vector_" + uuidString(id) + ".bin" }

// uuidString formats id in the canonical 8-4-4-4-12 hex form.
func uuidString(id [16]byte) string {
	h := hex.EncodeToString(id[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// AbsolutePath returns the DV file's location: tableRoot joined with the
// relative path for storage type "u", the stored path for "p". Inline DVs
// have no path.
func (d Descriptor) AbsolutePath(tableRoot string) (string, error) {
	switch d.StorageType {
	case StorageUUID:
		rel, err := d.RelativePath()
		if err != nil {
			return "", err
		}
		return strings.TrimSuffix(tableRoot, "/") + "/" + rel, nil
	case StorageAbsolute:
		if d.PathOrInlineDv == "" {
			return "", fmt.Errorf("%w: empty absolute path", ErrDescriptor)
		}
		return d.PathOrInlineDv, nil
	case StorageInline:
		return "", fmt.Errorf("%w: an inline deletion vector has no path", ErrDescriptor)
	default:
		return "", fmt.Errorf("%w: unknown storage type %q", ErrDescriptor, d.StorageType)
	}
}

// storePath returns the path of the DV file relative to tableRoot, which is
// what a store rooted at the table root needs. An absolute ("p") path must
// lie under tableRoot.
func (d Descriptor) storePath(tableRoot string) (string, error) {
	switch d.StorageType {
	case StorageUUID:
		return d.RelativePath()
	case StorageAbsolute:
		return relativeTo(tableRoot, d.PathOrInlineDv)
	default:
		return "", fmt.Errorf("%w: storage type %q has no file", ErrDescriptor, d.StorageType)
	}
}

// location is a parsed URI or local path reduced to what decides containment.
type location struct {
	scheme, host, path string
}

func parseLocation(s string) (location, error) {
	u, err := url.Parse(s)
	if err != nil {
		return location{}, err
	}
	loc := location{scheme: strings.ToLower(u.Scheme), host: u.Host, path: u.Path}
	// A bare path and "file:" URIs ("file:/x", "file:///x",
	// "file://localhost/x") all name the local file system.
	if loc.scheme == "" || loc.scheme == "file" {
		if u.Opaque != "" {
			return location{}, fmt.Errorf("opaque uri %q", s)
		}
		loc.scheme = "file"
		if loc.host == "localhost" {
			loc.host = ""
		}
	}
	return loc, nil
}

// relativeTo returns target relative to root when target lies inside root.
func relativeTo(root, target string) (string, error) {
	r, err := parseLocation(root)
	if err != nil {
		return "", fmt.Errorf("%w: table root %q: %w", ErrDescriptor, root, err)
	}
	t, err := parseLocation(target)
	if err != nil {
		return "", fmt.Errorf("%w: path %q: %w", ErrDescriptor, target, err)
	}
	rootPath := strings.TrimSuffix(path.Clean("/"+r.path), "/") + "/"
	targetPath := path.Clean("/" + t.path)
	if r.scheme != t.scheme || r.host != t.host || !strings.HasPrefix(targetPath, rootPath) {
		return "", fmt.Errorf("%w: absolute path %q is outside the table root %q", ErrDescriptor, target, root)
	}
	return strings.TrimPrefix(targetPath, rootPath), nil
}
