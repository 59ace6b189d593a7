package delta

import (
	"context"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/lakehouse-go/lakehouse/internal/protocol"
)

// ScanFiles returns the rows of exactly the given files, in the order
// given, as Scan returns them: logical column names, partition values
// materialised, each file's deletion vector applied. The files are live
// files of this snapshot, as Files or FilesMatching yield them; engines
// that rewrite files (compaction, clustering) read a group of files with
// it. opts selects columns and filters rows as for Scan, except that every
// given file is read: the filter drops rows, never whole files. Release
// the reader when done.
func (s *Snapshot) ScanFiles(ctx context.Context, files []*AddFile, opts *ScanOptions) (array.RecordReader, error) {
	adds := make([]*protocol.Add, len(files))
	for i, f := range files {
		if f == nil || f.Path == "" {
			return nil, fmt.Errorf("%w: ScanFiles: file %d has no path", ErrInvalidArgument, i)
		}
		adds[i] = f.internal()
	}
	plan, err := s.planScan(opts)
	if err != nil {
		return nil, err
	}
	seq := func(yield func(*protocol.Add, error) bool) {
		for _, a := range adds {
			if !yield(a, nil) {
				return
			}
		}
	}
	return s.newScanReader(ctx, plan, seq, opts.parallelism()), nil
}

// Allocator returns the allocator the table makes its Arrow data with
// (Options.Allocator), for engines that build arrays alongside its scans.
func (t *Table) Allocator() memory.Allocator { return t.opts.Allocator }
