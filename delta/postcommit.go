package delta

import (
	"context"

	"github.com/lakehouse-go/lakehouse/internal/protocol"
)

// postCommit runs the table maintenance a commit triggers: a checkpoint
// every delta.checkpointInterval versions, then log cleanup, then auto
// compaction. Failures do not undo the commit; they are reported in
// CommitResult.CheckpointErr and AutoCompactErr.
func (x *Transaction) postCommit(ctx context.Context, res *CommitResult) {
	interval := protocol.Config(x.meta.Configuration).CheckpointInterval()
	if res.Version != 0 && res.Version%interval == 0 {
		res.CheckpointErr = x.table.checkpointAfterCommit(ctx, res.Version)
	}
	x.autoCompactAfter(ctx, res)
}
