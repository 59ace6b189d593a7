package delta

import (
	"context"
	"fmt"

	"github.com/lakehouse-go/lakehouse/internal/logreplay"
	"github.com/lakehouse-go/lakehouse/internal/storage"
)

// CommitFiles returns the add and remove actions one commit recorded, in
// log order: what a streaming reader needs to turn each new version into a
// micro-batch (the files it added) and to decide what to do with commits
// that deleted or rewrote rows (those with data-changing removes). A
// version that does not exist, or whose commit file was cleaned up, is
// ErrVersionNotFound.
func (t *Table) CommitFiles(ctx context.Context, version int64) ([]*AddFile, []*RemoveFile, error) {
	if version < 0 {
		return nil, nil, fmt.Errorf("%w: version %d", ErrInvalidArgument, version)
	}
	name := logreplay.CommitName(version)
	if _, err := t.store.Stat(ctx, logDir+name); err != nil {
		if storage.IsNotExist(err) {
			return nil, nil, fmt.Errorf("%w: commit %d", ErrVersionNotFound, version)
		}
		return nil, nil, fmt.Errorf("delta: stat %s: %w", name, err)
	}
	f := logreplay.LogFile{Path: logDir + name, Name: name, Version: version, Kind: logreplay.KindCommit}
	actions, err := t.readCommit(ctx, f)
	if err != nil {
		return nil, nil, err
	}
	var adds []*AddFile
	var removes []*RemoveFile
	for _, a := range actions {
		if a.Add != nil {
			adds = append(adds, newAddFile(a.Add))
		}
		if a.Remove != nil {
			removes = append(removes, newRemoveFile(a.Remove))
		}
	}
	return adds, removes, nil
}
