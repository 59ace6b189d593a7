package stream

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// Offset is a source position, as JSON: it is written verbatim, one line
// per source, into the checkpoint's offsets/<batchId> file, as Spark
// writes its sources' offsets. Nil means "before the first record".
type Offset = json.RawMessage

// Limit tells LatestOffset how much to admit into one batch.
type Limit int

const (
	// LimitDefault applies the source's rate limits (maxFilesPerTrigger,
	// maxBytesPerTrigger, maxOffsetsPerTrigger).
	LimitDefault Limit = iota
	// LimitAll admits everything available, as Spark's Trigger.Once does.
	LimitAll
)

// Source produces the data of a streaming query. Its positions are
// Offsets; a batch is the data in (start, end]. The engine calls Open
// once, then LatestOffset and Read for each batch, then Close. Read must
// return the same rows for the same (start, end) pair every time it is
// called, including after a restart: that is what makes a re-run batch
// identical to the one that failed.
type Source interface {
	// Kind names the kind of source ("delta", "files", …). It is recorded
	// in the checkpoint, and a restart with another kind is refused.
	Kind() string
	// Open prepares the source. env gives it the query id, a
	// directory of its own in the checkpoint, an allocator and a logger.
	Open(ctx context.Context, env *SourceEnv) error
	// LatestOffset returns the end of the next batch starting after
	// start (nil: from the beginning), honouring the source's rate limits
	// unless limit is LimitAll. An end equal to start means no new data.
	LatestOffset(ctx context.Context, start Offset, limit Limit) (Offset, error)
	// Read returns the rows after start up to and including end.
	Read(ctx context.Context, start, end Offset) (array.RecordReader, error)
	// Close releases the source's resources.
	Close() error
}

// AvailableNowSource is implemented by sources that can fix the end of
// the data a Trigger AvailableNow query drains: Prepare is called once
// before the first batch, and later LatestOffset calls never go past what
// was available then.
type AvailableNowSource interface {
	Source
	PrepareAvailableNow(ctx context.Context) error
}

// SourceEnv is what a Source is given when the query opens it.
type SourceEnv struct {
	// QueryID is the checkpoint's query id; RunID identifies this run.
	QueryID, RunID string
	// Meta is the source's own directory in the checkpoint
	// (sources/<index>/), for logs that must survive restarts.
	Meta *MetaDir
	// Allocator backs the batches the source returns.
	Allocator memory.Allocator
	// Logger is the query's logger.
	Logger *slog.Logger
}

// SameOffset reports whether two offsets are the same JSON value (spacing
// aside), which is how a query decides that a source has nothing new.
func SameOffset(a, b Offset) bool {
	if len(a) == 0 || len(b) == 0 {
		return len(a) == len(b)
	}
	var ca, cb bytes.Buffer
	if json.Compact(&ca, a) != nil || json.Compact(&cb, b) != nil {
		return bytes.Equal(a, b)
	}
	return bytes.Equal(ca.Bytes(), cb.Bytes())
}
