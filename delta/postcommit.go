package delta

import (
	"context"
)

// postCommit runs the table maintenance a commit triggers.
func (x *Transaction) postCommit(ctx context.Context, res *CommitResult) {}
