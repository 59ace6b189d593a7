package stream

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/lakehouse-go/lakehouse/internal/storage"
)

// MetaDir is a directory of small objects inside a checkpoint: a
// source's sources/<index>/ directory. Paths are relative to it and
// slash-separated.
type MetaDir struct {
	store  storage.Store
	prefix string // "" or ending in "/"
	owned  bool   // opened by OpenMetaDir: Close closes the store
}

// Get reads an object; a missing one is an error matching fs.ErrNotExist.
func (d *MetaDir) Get(ctx context.Context, name string) ([]byte, error) {
	return d.store.Get(ctx, d.prefix+name)
}

// PutIfAbsent writes an object only if it does not exist yet; otherwise
// the error matches fs.ErrExist.
func (d *MetaDir) PutIfAbsent(ctx context.Context, name string, data []byte) error {
	return d.store.PutIfAbsent(ctx, d.prefix+name, data)
}

// Put writes or replaces an object.
func (d *MetaDir) Put(ctx context.Context, name string, data []byte) error {
	return d.store.Put(ctx, d.prefix+name, data)
}

// List returns the names (relative to the directory) of the objects whose
// name starts with prefix, sorted.
func (d *MetaDir) List(ctx context.Context, prefix string) ([]string, error) {
	var out []string
	for fi, err := range d.store.List(ctx, d.prefix+prefix) {
		if err != nil {
			return nil, err
		}
		out = append(out, strings.TrimPrefix(fi.Path, d.prefix))
	}
	return out, nil
}

// Sub returns a subdirectory.
func (d *MetaDir) Sub(name string) *MetaDir {
	return &MetaDir{store: d.store, prefix: d.prefix + strings.Trim(name, "/") + "/"}
}

// checkpoint reads and writes a query's checkpoint in Spark's layout:
//
//	metadata               {"id":"<query id>"}
//	offsets/<batchId>      v1, the batch metadata line, one offset per source
//	commits/<batchId>      v1, {"nextBatchWatermarkMs":…}
//	sources/<i>/…          each source's own files
//
// offsets/N is written (put-if-absent) before batch N runs and commits/N
// after its sink committed, so a checkpoint with offsets/N and no
// commits/N names a batch to re-run with exactly those offsets.
type checkpoint struct {
	store storage.Store
	where string
}

// checkpointMetadata is the metadata file. Spark writes only "id"; the
// lakehouse object records what the query read and wrote so an
// incompatible restart can be refused (Spark ignores unknown fields).
type checkpointMetadata struct {
	ID        string       `json:"id"`
	Lakehouse *queryShapes `json:"lakehouse,omitempty"`
}

type queryShapes struct {
	Sources []string `json:"sources"`
	Sink    string   `json:"sink"`
}

// offsetSeqMetadata is the second line of an offsets file.
type offsetSeqMetadata struct {
	BatchWatermarkMs int64             `json:"batchWatermarkMs"`
	BatchTimestampMs int64             `json:"batchTimestampMs"`
	Conf             map[string]string `json:"conf"`
}

type offsetSeq struct {
	meta    offsetSeqMetadata
	offsets []Offset
}

type commitMetadata struct {
	NextBatchWatermarkMs int64 `json:"nextBatchWatermarkMs"`
}

const formatVersion = "v1"

func (c *checkpoint) readMetadata(ctx context.Context) (*checkpointMetadata, error) {
	data, err := c.store.Get(ctx, "metadata")
	if err != nil {
		if storage.IsNotExist(err) {
			return nil, nil
		}
		return nil, fmt.Errorf("stream: read checkpoint metadata: %w", err)
	}
	var m checkpointMetadata
	if err := json.Unmarshal(bytes.TrimSpace(data), &m); err != nil || m.ID == "" {
		return nil, fmt.Errorf("%w: %s/metadata is not a query id", ErrCorruptCheckpoint, c.where)
	}
	return &m, nil
}

// createMetadata writes the metadata file; if another run created it
// first, its content wins.
func (c *checkpoint) createMetadata(ctx context.Context, m *checkpointMetadata) (*checkpointMetadata, error) {
	data, err := json.Marshal(m)
	if err != nil {
		return nil, err
	}
	if err := c.store.PutIfAbsent(ctx, "metadata", append(data, '\n')); err != nil {
		if errors.Is(err, storage.ErrExist) {
			return c.readMetadata(ctx)
		}
		return nil, fmt.Errorf("stream: write checkpoint metadata: %w", err)
	}
	return m, nil
}

// latest returns the highest batch id in dir ("offsets" or "commits"),
// -1 when there is none.
func (c *checkpoint) latest(ctx context.Context, dir string) (int64, error) {
	var ids []int64
	for fi, err := range c.store.List(ctx, dir+"/") {
		if err != nil {
			return 0, fmt.Errorf("stream: list %s: %w", dir, err)
		}
		name := strings.TrimPrefix(fi.Path, dir+"/")
		id, err := strconv.ParseInt(name, 10, 64)
		if err != nil || strings.Contains(name, "/") {
			continue // Spark's .crc and temp files, anything foreign
		}
		ids = append(ids, id)
	}
	if len(ids) == 0 {
		return -1, nil
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	return ids[len(ids)-1], nil
}

func (c *checkpoint) readOffsets(ctx context.Context, batch int64) (*offsetSeq, error) {
	name := "offsets/" + strconv.FormatInt(batch, 10)
	data, err := c.store.Get(ctx, name)
	if err != nil {
		return nil, fmt.Errorf("stream: read %s: %w", name, err)
	}
	bad := func(why string) error {
		return fmt.Errorf("%w: %s/%s: %s", ErrCorruptCheckpoint, c.where, name, why)
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, 64<<20)
	var lines []string
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	if err := sc.Err(); err != nil {
		return nil, bad(err.Error())
	}
	if len(lines) < 2 || lines[0] != formatVersion {
		return nil, bad("expected a v1 header and a metadata line")
	}
	var seq offsetSeq
	if err := json.Unmarshal([]byte(lines[1]), &seq.meta); err != nil {
		return nil, bad("metadata line: " + err.Error())
	}
	for _, l := range lines[2:] {
		if l == "-" || l == "" {
			seq.offsets = append(seq.offsets, nil) // Spark writes "-" for a source without an offset
			continue
		}
		if !json.Valid([]byte(l)) {
			return nil, bad("offset line is not JSON")
		}
		seq.offsets = append(seq.offsets, Offset(l))
	}
	return &seq, nil
}

// writeOffsets records batch's offsets before it runs. The write is
// put-if-absent: two runs of one query cannot both plan a batch.
func (c *checkpoint) writeOffsets(ctx context.Context, batch int64, seq *offsetSeq) error {
	var b bytes.Buffer
	b.WriteString(formatVersion + "\n")
	meta, err := json.Marshal(seq.meta)
	if err != nil {
		return err
	}
	b.Write(meta)
	for _, o := range seq.offsets {
		b.WriteByte('\n')
		if o == nil {
			b.WriteString("-")
			continue
		}
		if err := json.Compact(&b, o); err != nil {
			return fmt.Errorf("%w: source offset is not JSON: %v", ErrInvalidArgument, err)
		}
	}
	name := "offsets/" + strconv.FormatInt(batch, 10)
	if err := c.store.PutIfAbsent(ctx, name, b.Bytes()); err != nil {
		return fmt.Errorf("stream: write %s: %w", name, err)
	}
	return nil
}

func (c *checkpoint) readCommit(ctx context.Context, batch int64) (*commitMetadata, error) {
	name := "commits/" + strconv.FormatInt(batch, 10)
	data, err := c.store.Get(ctx, name)
	if err != nil {
		return nil, fmt.Errorf("stream: read %s: %w", name, err)
	}
	first, rest, _ := bytes.Cut(data, []byte("\n"))
	var m commitMetadata
	if string(first) != formatVersion || json.Unmarshal(bytes.TrimSpace(rest), &m) != nil {
		return nil, fmt.Errorf("%w: %s/%s", ErrCorruptCheckpoint, c.where, name)
	}
	return &m, nil
}

func (c *checkpoint) writeCommit(ctx context.Context, batch int64, m commitMetadata) error {
	data, err := json.Marshal(m)
	if err != nil {
		return err
	}
	name := "commits/" + strconv.FormatInt(batch, 10)
	if err := c.store.PutIfAbsent(ctx, name, append([]byte(formatVersion+"\n"), data...)); err != nil {
		return fmt.Errorf("stream: write %s: %w", name, err)
	}
	return nil
}

func (c *checkpoint) sourceDir(i int) *MetaDir {
	return &MetaDir{store: c.store, prefix: "sources/" + strconv.Itoa(i) + "/"}
}
