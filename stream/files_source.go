package stream

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"sort"
	"strconv"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"gocloud.dev/blob"

	"github.com/lakehouse-go/lakehouse/internal/storage"
)

// Schema evolution modes of the files source (Auto Loader's
// cloudFiles.schemaEvolutionMode).
const (
	// EvolveAddNewColumns: a batch that meets new columns fails once with
	// ErrSchemaEvolved after recording the wider schema; the restarted
	// query reads the batch with it. The default when no Schema is given.
	EvolveAddNewColumns = "addNewColumns"
	// EvolveRescue: the schema never changes; values of new columns go to
	// the rescued data column.
	EvolveRescue = "rescue"
	// EvolveFailOnNewColumns: a new column fails the query (ErrNewColumns)
	// until the schema is changed by hand or the file removed.
	EvolveFailOnNewColumns = "failOnNewColumns"
	// EvolveNone: new columns are ignored and nothing is rescued unless
	// RescuedDataColumn is set. The default when a Schema is given.
	EvolveNone = "none"
)

// DefaultRescuedDataColumn is the rescued data column's name.
const DefaultRescuedDataColumn = "_rescued_data"

// FilesSourceOptions configure a FilesSource. Format is required.
type FilesSourceOptions struct {
	// Format is "json" (JSON lines), "csv" (with a header line) or
	// "parquet".
	Format string
	// Bucket, when set, holds the directory under the key prefix given
	// as the source's URL. The caller keeps ownership.
	Bucket *blob.Bucket
	// PathGlobFilter keeps only files whose base name matches this
	// path.Match pattern ("*.json"). Names starting with "_" or "." are
	// always skipped, as Spark does.
	PathGlobFilter string
	// MaxFilesPerTrigger caps the files per batch (default 1000);
	// MaxBytesPerTrigger caps their bytes, softly (a batch has at least one
	// file). Trigger Once ignores both.
	MaxFilesPerTrigger int
	MaxBytesPerTrigger int64
	// Schema fixes the schema; nil means infer it from the first files
	// and keep it in the schema location.
	Schema *arrow.Schema
	// SchemaLocation is where inferred schemas are versioned
	// (_schemas/<n>, Auto Loader's layout): a URL, or "" for the source's
	// directory in the checkpoint.
	SchemaLocation string
	// SchemaHints overrides inferred types, in Auto Loader's form:
	// "id bigint, ts timestamp".
	SchemaHints string
	// InferColumnTypes infers long, double and boolean from JSON and CSV;
	// otherwise every column is a string, as Auto Loader does by default.
	InferColumnTypes bool
	// SchemaEvolutionMode is one of the Evolve constants.
	SchemaEvolutionMode string
	// RescuedDataColumn names the column that collects, as a JSON object,
	// the values that did not fit the schema (and "_file_path"). Default
	// "_rescued_data"; it is absent in mode none unless set.
	RescuedDataColumn string
}

// FilesSource incrementally reads new files of a directory on any store,
// as Auto Loader does: every file is read exactly once, however late or
// out of order it arrives, because the files each batch takes are
// recorded in a log in the checkpoint (sources/<i>/<n>, one entry per
// batch) before the batch is planned, and a file already in the log is
// never taken again. Offsets are {"logOffset":n}.
type FilesSource struct {
	url  string
	opts FilesSourceOptions

	store      storage.Store
	closeStore func() error
	meta       *MetaDir
	mem        memory.Allocator
	seen       map[string]bool
	lastLog    int64
	allowed    map[string]bool // AvailableNow: the files present at start
	schemas    *schemaLog
	schema     *arrow.Schema // data columns, without the rescue column
	rescueCol  string
}

// NewFilesSource returns a source over the directory at url.
func NewFilesSource(url string, opts *FilesSourceOptions) *FilesSource {
	s := &FilesSource{url: url}
	if opts != nil {
		s.opts = *opts
	}
	if s.opts.MaxFilesPerTrigger <= 0 {
		s.opts.MaxFilesPerTrigger = DefaultMaxFilesPerTrigger
	}
	return s
}

// Kind implements Source.
func (s *FilesSource) Kind() string { return "files-" + s.opts.Format }

// String describes the source in Progress.Sources.
func (s *FilesSource) String() string { return "FilesSource[" + s.url + "]" }

type fileEntry struct {
	Path             string `json:"path"`
	Size             int64  `json:"size"`
	ModificationTime int64  `json:"modificationTime"`
	BatchID          int64  `json:"batchId"`
}

type filesOffset struct {
	LogOffset int64 `json:"logOffset"`
}

// Open implements Source: it loads the file log and the schema.
func (s *FilesSource) Open(ctx context.Context, env *SourceEnv) error {
	switch s.opts.Format {
	case "json", "csv", "parquet":
	default:
		return fmt.Errorf("%w: files source format %q (use json, csv or parquet)", ErrInvalidArgument, s.opts.Format)
	}
	mode := s.opts.SchemaEvolutionMode
	if mode == "" {
		mode = EvolveAddNewColumns
		if s.opts.Schema != nil {
			mode = EvolveNone
		}
		s.opts.SchemaEvolutionMode = mode
	}
	switch mode {
	case EvolveAddNewColumns, EvolveRescue, EvolveFailOnNewColumns, EvolveNone:
	default:
		return fmt.Errorf("%w: schema evolution mode %q", ErrInvalidArgument, mode)
	}
	if s.opts.Schema != nil && mode == EvolveAddNewColumns {
		return fmt.Errorf("%w: addNewColumns needs an inferred schema, not a given one", ErrInvalidArgument)
	}
	s.rescueCol = s.opts.RescuedDataColumn
	if s.rescueCol == "" && mode != EvolveNone {
		s.rescueCol = DefaultRescuedDataColumn
	}
	s.mem, s.meta = env.Allocator, env.Meta
	if s.opts.Bucket != nil {
		s.store, s.closeStore = storage.NewBlobStore(s.opts.Bucket, s.url), func() error { return nil }
	} else {
		st, err := storage.Open(ctx, s.url, nil)
		if err != nil {
			return fmt.Errorf("stream: open files source: %w", err)
		}
		s.store, s.closeStore = st, st.Close
	}
	if err := s.loadLog(ctx); err != nil {
		return err
	}
	return s.loadSchema(ctx)
}

// Close implements Source.
func (s *FilesSource) Close() error {
	var err error
	if s.schemas != nil {
		err = s.schemas.close()
	}
	if s.closeStore != nil {
		err = errors.Join(err, s.closeStore())
	}
	return err
}

// PrepareAvailableNow implements AvailableNowSource.
func (s *FilesSource) PrepareAvailableNow(ctx context.Context) error {
	files, err := s.list(ctx)
	if err != nil {
		return err
	}
	s.allowed = map[string]bool{}
	for _, f := range files {
		s.allowed[f.Path] = true
	}
	return nil
}

func (s *FilesSource) loadLog(ctx context.Context) error {
	s.seen, s.lastLog = map[string]bool{}, -1
	names, err := s.meta.List(ctx, "")
	if err != nil {
		return err
	}
	for _, n := range names {
		id, err := strconv.ParseInt(n, 10, 64)
		if err != nil {
			continue
		}
		entries, err := s.readLog(ctx, id)
		if err != nil {
			return err
		}
		for _, e := range entries {
			s.seen[e.Path] = true
		}
		s.lastLog = max(s.lastLog, id)
	}
	return nil
}

func (s *FilesSource) readLog(ctx context.Context, id int64) ([]fileEntry, error) {
	data, err := s.meta.Get(ctx, strconv.FormatInt(id, 10))
	if err != nil {
		return nil, err
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, 16<<20)
	var out []fileEntry
	first := true
	for sc.Scan() {
		if first {
			first = false
			if sc.Text() != formatVersion {
				return nil, fmt.Errorf("%w: file log %d has no v1 header", ErrCorruptCheckpoint, id)
			}
			continue
		}
		var e fileEntry
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			return nil, fmt.Errorf("%w: file log %d: %v", ErrCorruptCheckpoint, id, err)
		}
		out = append(out, e)
	}
	return out, sc.Err()
}

// list returns the directory's data files, oldest first.
func (s *FilesSource) list(ctx context.Context) ([]storage.FileInfo, error) {
	var out []storage.FileInfo
	for fi, err := range s.store.List(ctx, "") {
		if err != nil {
			return nil, fmt.Errorf("stream: list %s: %w", s.url, err)
		}
		if hiddenPath(fi.Path) {
			continue
		}
		if g := s.opts.PathGlobFilter; g != "" {
			if ok, _ := path.Match(g, path.Base(fi.Path)); !ok {
				continue
			}
		}
		out = append(out, fi)
	}
	sort.SliceStable(out, func(i, j int) bool {
		if !out[i].ModTime.Equal(out[j].ModTime) {
			return out[i].ModTime.Before(out[j].ModTime)
		}
		return out[i].Path < out[j].Path
	})
	return out, nil
}

func hiddenPath(p string) bool {
	for _, el := range strings.Split(p, "/") {
		if strings.HasPrefix(el, "_") || strings.HasPrefix(el, ".") {
			return true
		}
	}
	return false
}

func (s *FilesSource) parseOffset(o Offset) (int64, error) {
	if o == nil {
		return -1, nil
	}
	var f filesOffset
	if err := json.Unmarshal(o, &f); err != nil {
		return 0, &IncompatibleCheckpointError{Reason: "files source offset: " + err.Error()}
	}
	return f.LogOffset, nil
}

// LatestOffset implements Source: it takes the next new files and records
// them as log entry start+1 (or returns that entry if an earlier run
// already recorded it).
func (s *FilesSource) LatestOffset(ctx context.Context, start Offset, limit Limit) (Offset, error) {
	from, err := s.parseOffset(start)
	if err != nil {
		return nil, err
	}
	next := from + 1
	if next <= s.lastLog {
		return json.Marshal(filesOffset{LogOffset: next})
	}
	files, err := s.list(ctx)
	if err != nil {
		return nil, err
	}
	var take []fileEntry
	var nBytes int64
	for _, f := range files {
		if s.seen[f.Path] || (s.allowed != nil && !s.allowed[f.Path]) {
			continue
		}
		if limit != LimitAll && len(take) > 0 && (len(take) >= s.opts.MaxFilesPerTrigger || (s.opts.MaxBytesPerTrigger > 0 && nBytes >= s.opts.MaxBytesPerTrigger)) {
			break
		}
		take = append(take, fileEntry{Path: f.Path, Size: f.Size, ModificationTime: f.ModTime.UnixMilli(), BatchID: next})
		nBytes += f.Size
	}
	if len(take) == 0 {
		return start, nil
	}
	var b bytes.Buffer
	b.WriteString(formatVersion)
	for _, e := range take {
		line, err := json.Marshal(e)
		if err != nil {
			return nil, err
		}
		b.WriteByte('\n')
		b.Write(line)
	}
	if err := s.meta.PutIfAbsent(ctx, strconv.FormatInt(next, 10), b.Bytes()); err != nil {
		if !errors.Is(err, storage.ErrExist) {
			return nil, fmt.Errorf("stream: write file log %d: %w", next, err)
		}
		// Another run wrote it: its files are the batch's.
		if take, err = s.readLog(ctx, next); err != nil {
			return nil, err
		}
	}
	for _, e := range take {
		s.seen[e.Path] = true
	}
	s.lastLog = next
	return json.Marshal(filesOffset{LogOffset: next})
}

// Read implements Source.
func (s *FilesSource) Read(ctx context.Context, start, end Offset) (array.RecordReader, error) {
	from, err := s.parseOffset(start)
	if err != nil {
		return nil, err
	}
	to, err := s.parseOffset(end)
	if err != nil {
		return nil, err
	}
	var files []fileEntry
	for id := from + 1; id <= to; id++ {
		entries, err := s.readLog(ctx, id)
		if err != nil {
			return nil, err
		}
		files = append(files, entries...)
	}
	// Decode everything first: a new column must be detected before any
	// row of the batch reaches the sink.
	var recs []arrow.RecordBatch
	release := func() {
		for _, r := range recs {
			r.Release()
		}
	}
	var newCols []arrow.Field
	for _, f := range files {
		data, err := s.store.Get(ctx, f.Path)
		if err != nil {
			release()
			return nil, fmt.Errorf("stream: read %s: %w", f.Path, err)
		}
		rec, extra, err := s.decode(ctx, f.Path, data)
		if err != nil {
			release()
			return nil, err
		}
		newCols = mergeNew(newCols, extra)
		if rec != nil {
			recs = append(recs, rec)
		}
	}
	if len(newCols) > 0 {
		switch s.opts.SchemaEvolutionMode {
		case EvolveAddNewColumns:
			release()
			wider := arrow.NewSchema(append(append([]arrow.Field(nil), s.schema.Fields()...), newCols...), nil)
			if err := s.schemas.write(ctx, wider); err != nil {
				return nil, err
			}
			return nil, fmt.Errorf("%w: %s", ErrSchemaEvolved, fieldNames(newCols))
		case EvolveFailOnNewColumns:
			release()
			return nil, fmt.Errorf("%w: %s", ErrNewColumns, fieldNames(newCols))
		}
	}
	defer release()
	return array.NewRecordReader(s.outSchema(), recs)
}

func fieldNames(fs []arrow.Field) string {
	names := make([]string, len(fs))
	for i, f := range fs {
		names[i] = f.Name
	}
	return strings.Join(names, ", ")
}

func mergeNew(acc, more []arrow.Field) []arrow.Field {
	for _, f := range more {
		found := false
		for _, a := range acc {
			found = found || strings.EqualFold(a.Name, f.Name)
		}
		if !found {
			acc = append(acc, f)
		}
	}
	return acc
}

// outSchema is the data schema plus the rescue column.
func (s *FilesSource) outSchema() *arrow.Schema {
	fields := append([]arrow.Field(nil), s.schema.Fields()...)
	if s.rescueCol != "" {
		fields = append(fields, arrow.Field{Name: s.rescueCol, Type: arrow.BinaryTypes.String, Nullable: true})
	}
	return arrow.NewSchema(fields, nil)
}
