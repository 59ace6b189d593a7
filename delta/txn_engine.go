package delta

import (
	"fmt"
	"maps"

	"github.com/lakehouse-go/lakehouse/internal/protocol"
)

// Methods for engines built on transactions (compaction, streaming sinks,
// deletes): they rewrite files rather than only adding them.

// RemoveFiles stages the removal of live files of the transaction's
// snapshot. dataChange false marks a rewrite that keeps the rows
// elsewhere in this commit (compaction): change-feed readers ignore it and
// it does not conflict with concurrent readers; removing the same file as
// a concurrent commit always conflicts. Removing data (dataChange true)
// from an append-only table fails at Commit.
func (x *Transaction) RemoveFiles(files []*AddFile, dataChange bool) error {
	adds := make([]*protocol.Add, len(files))
	for i, f := range files {
		if f == nil {
			return fmt.Errorf("%w: RemoveFiles: nil file", ErrInvalidArgument)
		}
		adds[i] = f.internal()
	}
	return x.removeAdds(adds, dataChange)
}

// removeAdds is RemoveFiles for the log's own add actions.
func (x *Transaction) removeAdds(files []*protocol.Add, dataChange bool) error {
	if x.done {
		return ErrTxnDone
	}
	if x.snap == nil {
		return fmt.Errorf("%w: a transaction creating a table has no files to remove", ErrInvalidArgument)
	}
	for _, f := range files {
		if f.Path == "" {
			return fmt.Errorf("%w: RemoveFiles: file without a path", ErrInvalidArgument)
		}
		x.removeFile(f)
		x.removes[len(x.removes)-1].DataChange = dataChange
	}
	return nil
}

// SetOperation sets commitInfo.operation and operationParameters (Spark's
// names, e.g. "OPTIMIZE", "DELETE", "STREAMING UPDATE"); the default is
// "WRITE" with the write mode. Metrics for operations other than writes
// are numAddedFiles, numRemovedFiles, numAddedBytes and numRemovedBytes.
func (x *Transaction) SetOperation(name string, params map[string]string) error {
	if x.done {
		return ErrTxnDone
	}
	if name == "" {
		return fmt.Errorf("%w: empty operation name", ErrInvalidArgument)
	}
	x.operation = name
	x.opParams = make(map[string]any, len(params))
	for k, v := range params {
		x.opParams[k] = v
	}
	return nil
}

// rewriteMetrics are the metrics of non-write operations.
func (x *Transaction) rewriteMetrics() map[string]string {
	m := x.metrics
	out := map[string]string{
		"numAddedFiles":   itoa(m.numFiles),
		"numRemovedFiles": itoa(m.numRemovedFiles),
		"numAddedBytes":   itoa(m.numOutputBytes),
		"numRemovedBytes": itoa(m.numRemovedBytes),
	}
	return maps.Clone(out)
}
