package checkpoint

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"

	"github.com/lakehouse-go/lakehouse/internal/protocol"
	"github.com/lakehouse-go/lakehouse/internal/storage"
)

// Column sets callers pass to ReadParquet.
var (
	// FileColumns are the file actions of a checkpoint or sidecar.
	FileColumns = []string{"add", "remove"}
	// AddColumns is just the live files.
	AddColumns = []string{"add"}
	// StateColumns are everything except file actions.
	StateColumns = []string{"protocol", "metaData", "txn", "domainMetadata", "sidecar", "checkpointMetadata"}
)

// batchRows is how many checkpoint rows are decoded at a time; it bounds
// memory for checkpoints of any size.
const batchRows = 8192

// ReadParquet streams the actions of a parquet checkpoint part or sidecar,
// decoding only the named top-level columns (absent ones are skipped). fn
// receives each batch of actions; its slice is not reused.
func ReadParquet(ctx context.Context, r storage.ReaderAt, columns []string, mem memory.Allocator, fn func([]protocol.Action) error) (err error) {
	// The parquet decoder can panic on corrupt input; a damaged checkpoint
	// must be an error, not a crash.
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("%w: checkpoint parquet: %v", protocol.ErrMalformed, p)
		}
	}()
	if mem == nil {
		mem = memory.DefaultAllocator
	}
	pf, err := file.NewParquetReader(r, file.WithReadProps(parquet.NewReaderProperties(mem)))
	if err != nil {
		return fmt.Errorf("%w: checkpoint parquet: %v", protocol.ErrMalformed, err)
	}
	defer pf.Close()
	fr, err := pqarrow.NewFileReader(pf, pqarrow.ArrowReadProperties{BatchSize: batchRows}, mem)
	if err != nil {
		return fmt.Errorf("%w: checkpoint parquet: %v", protocol.ErrMalformed, err)
	}
	var leaves []int
	var present []string
	for i := range fr.Manifest.Fields {
		f := &fr.Manifest.Fields[i]
		if slices.Contains(columns, f.Field.Name) {
			leaves = collectLeaves(f, leaves)
			present = append(present, f.Field.Name)
		}
	}
	if len(leaves) == 0 || pf.NumRows() == 0 {
		return nil
	}
	rowGroups := rowGroupsWithActions(pf, present)
	if len(rowGroups) == 0 {
		return nil
	}
	rr, err := fr.GetRecordReader(ctx, leaves, rowGroups)
	if err != nil {
		return fmt.Errorf("%w: checkpoint parquet: %v", protocol.ErrMalformed, err)
	}
	defer rr.Release()
	for rr.Next() {
		actions, err := DecodeBatch(rr.RecordBatch())
		if err != nil {
			return err
		}
		if err := fn(actions); err != nil {
			return err
		}
	}
	if err := rr.Err(); err != nil {
		return fmt.Errorf("%w: checkpoint parquet: %v", protocol.ErrMalformed, err)
	}
	return nil
}

// keyLeaves name, per action column, a field that is set whenever the
// action is: if its column chunk in a row group is all null, the row group
// holds no such action.
var keyLeaves = map[string]string{
	"add": "add.path", "remove": "remove.path", "protocol": "protocol.minReaderVersion",
	"metaData": "metaData.id", "txn": "txn.appId", "domainMetadata": "domainMetadata.domain",
	"sidecar": "sidecar.path", "checkpointMetadata": "checkpointMetadata.version",
}

// rowGroupsWithActions returns the row groups that may hold one of the
// wanted actions, judged from column-chunk null counts. Reading the
// protocol and metadata of a checkpoint with a million files then touches
// only the row groups that hold them. Without statistics a row group is
// kept.
func rowGroupsWithActions(pf *file.Reader, columns []string) []int {
	md := pf.MetaData()
	keyCols := map[int]bool{}
	for i := 0; i < md.Schema.NumColumns(); i++ {
		path := md.Schema.Column(i).Path()
		for _, c := range columns {
			if keyLeaves[c] == path {
				keyCols[i] = true
			}
		}
	}
	var out []int
	for rg := 0; rg < md.NumRowGroups(); rg++ {
		meta := md.RowGroup(rg)
		keep := len(keyCols) < len(columns) // a present action column without its key leaf: read everything
		for col := range keyCols {
			if keep {
				break
			}
			cc, err := meta.ColumnChunk(col)
			if err != nil {
				keep = true
				break
			}
			set, err := cc.StatsSet()
			if err != nil || !set {
				keep = true
				break
			}
			st, err := cc.Statistics()
			if err != nil || st == nil || !st.HasNullCount() || st.NullCount() < meta.NumRows() {
				keep = true
			}
		}
		if keep {
			out = append(out, rg)
		}
	}
	return out
}

func collectLeaves(f *pqarrow.SchemaField, acc []int) []int {
	if f.IsLeaf() {
		return append(acc, f.ColIndex)
	}
	for i := range f.Children {
		acc = collectLeaves(&f.Children[i], acc)
	}
	return acc
}

// ParseJSON decodes newline-delimited JSON actions (a commit, a log
// compaction, or a V2 JSON checkpoint).
func ParseJSON(data []byte) ([]protocol.Action, error) {
	var out []protocol.Action
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64*1024), len(data)+1)
	line := 0
	for sc.Scan() {
		line++
		a, err := protocol.ParseAction(sc.Bytes())
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", line, err)
		}
		out = append(out, a)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%w: %v", protocol.ErrMalformed, err)
	}
	return out, nil
}

// LastCheckpoint is the content of _delta_log/_last_checkpoint.
type LastCheckpoint struct {
	Version       int64           `json:"version"`
	Size          int64           `json:"size"`
	Parts         *int            `json:"parts,omitempty"`
	SizeInBytes   *int64          `json:"sizeInBytes,omitempty"`
	NumOfAddFiles *int64          `json:"numOfAddFiles,omitempty"`
	V2Checkpoint  json.RawMessage `json:"v2Checkpoint,omitempty"`
	Checksum      string          `json:"checksum,omitempty"`
}

// ParseLastCheckpoint decodes _last_checkpoint. Callers treat any error as
// "no hint": the file is only an optimisation.
func ParseLastCheckpoint(data []byte) (*LastCheckpoint, error) {
	var lc LastCheckpoint
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&lc); err != nil {
		return nil, fmt.Errorf("%w: _last_checkpoint: %v", protocol.ErrMalformed, err)
	}
	if lc.Version < 0 {
		return nil, fmt.Errorf("%w: _last_checkpoint version %d", protocol.ErrMalformed, lc.Version)
	}
	return &lc, nil
}
