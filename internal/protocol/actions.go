package protocol

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/lakehouse-go/lakehouse/internal/dv"
)

// ErrMalformed is returned for log content that does not follow the spec.
var (
	ErrMalformed = errors.New("protocol: malformed log content")
	// ErrUnsupportedType is returned for an Arrow type with no Delta equivalent.
	ErrUnsupportedType = errors.New("protocol: unsupported type")
)

// Protocol is the `protocol` action.
type Protocol struct {
	MinReaderVersion int32    `json:"minReaderVersion"`
	MinWriterVersion int32    `json:"minWriterVersion"`
	ReaderFeatures   []string `json:"readerFeatures,omitempty"`
	WriterFeatures   []string `json:"writerFeatures,omitempty"`
}

// Format is the `format` field of a metaData action.
type Format struct {
	Provider string            `json:"provider"`
	Options  map[string]string `json:"options"`
}

// Metadata is the `metaData` action.
type Metadata struct {
	ID               string            `json:"id"`
	Name             string            `json:"name,omitempty"`
	Description      string            `json:"description,omitempty"`
	Format           Format            `json:"format"`
	SchemaString     string            `json:"schemaString"`
	PartitionColumns []string          `json:"partitionColumns"`
	CreatedTime      *int64            `json:"createdTime,omitempty"`
	Configuration    map[string]string `json:"configuration"`
}

// DeletionVector is the DeletionVectorDescriptor struct of add/remove
// actions; package dv owns its encoding rules.
type DeletionVector = dv.Descriptor

func dvID(d *DeletionVector) string {
	if d == nil {
		return ""
	}
	return d.UniqueID()
}

// Add is the `add` action.
type Add struct {
	Path                    string             `json:"path"`
	PartitionValues         map[string]*string `json:"partitionValues"`
	Size                    int64              `json:"size"`
	ModificationTime        int64              `json:"modificationTime"`
	DataChange              bool               `json:"dataChange"`
	Stats                   string             `json:"stats,omitempty"`
	Tags                    map[string]string  `json:"tags,omitempty"`
	DeletionVector          *DeletionVector    `json:"deletionVector,omitempty"`
	BaseRowID               *int64             `json:"baseRowId,omitempty"`
	DefaultRowCommitVersion *int64             `json:"defaultRowCommitVersion,omitempty"`
	ClusteringProvider      string             `json:"clusteringProvider,omitempty"`

	// StatsParsed holds statistics decoded from a checkpoint's
	// stats_parsed column when the JSON string is absent. Not serialised.
	StatsParsed *Stats `json:"-"`
}

// Remove is the `remove` action.
type Remove struct {
	Path                    string             `json:"path"`
	DeletionTimestamp       *int64             `json:"deletionTimestamp,omitempty"`
	DataChange              bool               `json:"dataChange"`
	ExtendedFileMetadata    *bool              `json:"extendedFileMetadata,omitempty"`
	PartitionValues         map[string]*string `json:"partitionValues,omitempty"`
	Size                    *int64             `json:"size,omitempty"`
	Stats                   string             `json:"stats,omitempty"`
	Tags                    map[string]string  `json:"tags,omitempty"`
	DeletionVector          *DeletionVector    `json:"deletionVector,omitempty"`
	BaseRowID               *int64             `json:"baseRowId,omitempty"`
	DefaultRowCommitVersion *int64             `json:"defaultRowCommitVersion,omitempty"`
}

// CDC is the `cdc` action.
type CDC struct {
	Path            string             `json:"path"`
	PartitionValues map[string]*string `json:"partitionValues"`
	Size            int64              `json:"size"`
	DataChange      bool               `json:"dataChange"`
	Tags            map[string]string  `json:"tags,omitempty"`
}

// Txn is the `txn` (transaction identifier) action.
type Txn struct {
	AppID       string `json:"appId"`
	Version     int64  `json:"version"`
	LastUpdated *int64 `json:"lastUpdated,omitempty"`
}

// DomainMetadata is the `domainMetadata` action.
type DomainMetadata struct {
	Domain        string `json:"domain"`
	Configuration string `json:"configuration"`
	Removed       bool   `json:"removed"`
}

// Sidecar is the `sidecar` action of V2 checkpoints.
type Sidecar struct {
	Path             string            `json:"path"`
	SizeInBytes      int64             `json:"sizeInBytes"`
	ModificationTime int64             `json:"modificationTime"`
	Tags             map[string]string `json:"tags,omitempty"`
}

// CheckpointMetadata is the `checkpointMetadata` action of V2 checkpoints.
type CheckpointMetadata struct {
	Version int64             `json:"version"`
	Tags    map[string]string `json:"tags,omitempty"`
}

// CommitInfo is the free-form `commitInfo` action. Every field is kept so
// history shows exactly what the writer recorded.
type CommitInfo map[string]any

// InCommitTimestamp returns the inCommitTimestamp field, if present.
func (c CommitInfo) InCommitTimestamp() (time.Time, bool) {
	v, ok := c["inCommitTimestamp"]
	if !ok {
		return time.Time{}, false
	}
	ms, ok := jsonInt(v)
	if !ok {
		return time.Time{}, false
	}
	return time.UnixMilli(ms).UTC(), true
}

// Timestamp returns the commitInfo timestamp field, if present.
func (c CommitInfo) Timestamp() (time.Time, bool) {
	ms, ok := jsonInt(c["timestamp"])
	if !ok {
		return time.Time{}, false
	}
	return time.UnixMilli(ms).UTC(), true
}

// Operation returns the operation name, or "".
func (c CommitInfo) Operation() string {
	s, _ := c["operation"].(string)
	return s
}

func jsonInt(v any) (int64, bool) {
	switch n := v.(type) {
	case json.Number:
		i, err := n.Int64()
		if err != nil {
			f, ferr := n.Float64()
			if ferr != nil {
				return 0, false
			}
			return int64(f), true
		}
		return i, true
	case float64:
		return int64(n), true
	case int64:
		return n, true
	case int:
		return int64(n), true
	}
	return 0, false
}

// Action is one line of a commit: exactly one of the pointers is set.
// Unknown action kinds leave all of them nil (P2).
type Action struct {
	Add                *Add                `json:"add,omitempty"`
	Remove             *Remove             `json:"remove,omitempty"`
	Metadata           *Metadata           `json:"metaData,omitempty"`
	Protocol           *Protocol           `json:"protocol,omitempty"`
	Txn                *Txn                `json:"txn,omitempty"`
	CDC                *CDC                `json:"cdc,omitempty"`
	CommitInfo         CommitInfo          `json:"commitInfo,omitempty"`
	DomainMetadata     *DomainMetadata     `json:"domainMetadata,omitempty"`
	Sidecar            *Sidecar            `json:"sidecar,omitempty"`
	CheckpointMetadata *CheckpointMetadata `json:"checkpointMetadata,omitempty"`
}

// ParseAction decodes one commit line. Blank lines decode to an empty
// Action. Paths in add/remove/cdc actions are URI-decoded, as the spec
// stores them as RFC 2396 URIs.
func ParseAction(line []byte) (Action, error) {
	var a Action
	line = bytes.TrimSpace(line)
	if len(line) == 0 {
		return a, nil
	}
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.UseNumber()
	if err := dec.Decode(&a); err != nil {
		return Action{}, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if err := a.validate(); err != nil {
		return Action{}, err
	}
	return a, nil
}

func (a *Action) validate() error {
	var err error
	switch {
	case a.Add != nil:
		if a.Add.Path == "" {
			return fmt.Errorf("%w: add action without path", ErrMalformed)
		}
		a.Add.Path, err = DecodePath(a.Add.Path)
	case a.Remove != nil:
		if a.Remove.Path == "" {
			return fmt.Errorf("%w: remove action without path", ErrMalformed)
		}
		a.Remove.Path, err = DecodePath(a.Remove.Path)
	case a.CDC != nil:
		if a.CDC.Path == "" {
			return fmt.Errorf("%w: cdc action without path", ErrMalformed)
		}
		a.CDC.Path, err = DecodePath(a.CDC.Path)
	case a.Txn != nil:
		if a.Txn.AppID == "" {
			return fmt.Errorf("%w: txn action without appId", ErrMalformed)
		}
	}
	return err
}

// DecodePath turns a log path (an RFC 2396 URI reference) into the storage
// path it names. Relative paths are relative to the table root.
func DecodePath(p string) (string, error) {
	u, err := url.PathUnescape(p)
	if err != nil {
		return "", fmt.Errorf("%w: path %q: %v", ErrMalformed, p, err)
	}
	return u, nil
}

// EncodePath turns a storage path into the URI form stored in the log,
// escaping what Spark escapes (everything outside the unreserved and
// path-safe set).
func EncodePath(p string) string {
	return (&url.URL{Path: p}).EscapedPath()
}

// FileKey is the identity of a logical file (P3).
type FileKey struct {
	Path string
	DV   string // DeletionVector.UniqueID(), "" without a DV
}

// canonicalPath gives absolute local paths one spelling, so that
// "/x", "file:/x" and "file:///x" name the same logical file, as Spark
// treats them. Relative paths and other schemes are already canonical.
func canonicalPath(p string) string {
	switch {
	case strings.HasPrefix(p, "file:///"):
		return p
	case strings.HasPrefix(p, "file://localhost/"):
		return "file://" + strings.TrimPrefix(p, "file://localhost")
	case strings.HasPrefix(p, "file:/"):
		return "file://" + strings.TrimPrefix(p, "file:")
	case strings.HasPrefix(p, "/"):
		return "file://" + p
	}
	return p
}

// Key returns the logical-file key of an add action.
func (a *Add) Key() FileKey { return FileKey{Path: canonicalPath(a.Path), DV: dvID(a.DeletionVector)} }

// Key returns the logical-file key of a remove action.
func (r *Remove) Key() FileKey {
	return FileKey{Path: canonicalPath(r.Path), DV: dvID(r.DeletionVector)}
}

// MarshalLine encodes an action as one commit line (no trailing newline).
func (a Action) MarshalLine() ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(a); err != nil {
		return nil, fmt.Errorf("protocol: encode action: %w", err)
	}
	return bytes.TrimRight(buf.Bytes(), "\n"), nil
}
