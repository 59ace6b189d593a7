package optimize

import (
	"context"
	"encoding/json"
	"errors"
	"sort"
	"strconv"
	"strings"

	"github.com/lakehouse-go/lakehouse/delta"
)

// Inspect gathers the TableStats Maintain decides on, under a policy (nil
// for the defaults: the policy says what a small file and a DV-heavy file
// are, and the retention VACUUM's dry run uses). It reads the latest
// snapshot's file list, lists the log for expired files and lists the
// table for VACUUM's dry run; it writes nothing.
func Inspect(ctx context.Context, tbl *delta.Table, policy *Policy) (*TableStats, error) {
	snap, err := tbl.Snapshot(ctx)
	if err != nil {
		return nil, err
	}
	p, err := policy.resolve(snap.Properties())
	if err != nil {
		return nil, err
	}
	return inspect(ctx, tbl, snap, p)
}

func inspect(ctx context.Context, tbl *delta.Table, snap *delta.Snapshot, p *Policy) (*TableStats, error) {
	s := &TableStats{
		Version:            snap.Version(),
		ClusteringColumns:  snap.ClusteringColumns(),
		CheckpointVersion:  snap.CheckpointVersion(),
		CheckpointInterval: 10,
		RowsKnown:          true,
	}
	if v, ok := snap.Properties()["delta.checkpointInterval"]; ok {
		if n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64); err == nil && n > 0 {
			s.CheckpointInterval = n
		}
	}
	s.CommitsSinceCheckpoint = s.Version - s.CheckpointVersion
	if s.CheckpointVersion < 0 {
		s.CommitsSinceCheckpoint = s.Version + 1
	}
	parts := map[string]int{}
	zorderBytes := map[string]int64{}
	clusteredTable := len(s.ClusteringColumns) > 0
	var outsideCubes, outsideCubeBytes int64
	for f, err := range snap.Files(ctx) {
		if err != nil {
			return nil, err
		}
		key := partitionLabel(f, snap.PartitionColumns())
		i, ok := parts[key]
		if !ok {
			i = len(s.Partitions)
			parts[key] = i
			s.Partitions = append(s.Partitions, PartitionStats{Partition: key, Histogram: make([]int64, len(SizeBuckets)+1)})
		}
		ps := &s.Partitions[i]
		ps.NumFiles++
		ps.Bytes += f.Size
		ps.Histogram[sizeBucket(f.Size)]++
		s.NumFiles++
		s.Bytes += f.Size
		if f.Size < p.SmallFileSize {
			ps.SmallFiles++
			s.SmallFiles++
			s.SmallBytes += f.Size
		}
		if n, ok := numRecords(f); ok {
			s.Rows += n
		} else {
			s.RowsKnown = false
		}
		if f.DeletionVector != nil {
			s.DVFiles++
			s.DeletedRows += f.DeletionVector.Cardinality
			if tooManyDeleted(f, p.MaxDeletedRowsRatio) {
				s.DVHeavyFiles++
			}
		}
		if clusteredTable && !clustered(f) {
			s.UnclusteredFiles++
			s.UnclusteredBytes += f.Size
		}
		if by := f.Tags[TagZOrderBy]; by != "" && f.Tags[TagZCubeID] != "" {
			zorderBytes[by] += f.Size
		} else {
			outsideCubes++
			outsideCubeBytes += f.Size
		}
	}
	sort.Slice(s.Partitions, func(i, j int) bool { return s.Partitions[i].Partition < s.Partitions[j].Partition })
	for _, ps := range s.Partitions {
		s.MaxSmallFilesInPartition = max(s.MaxSmallFilesInPartition, ps.SmallFiles)
	}
	if !clusteredTable {
		s.ZOrderBy = p.ZOrderBy
		if len(s.ZOrderBy) == 0 {
			s.ZOrderBy = dominantZOrder(zorderBytes)
		}
		if len(s.ZOrderBy) > 0 {
			s.UnclusteredFiles, s.UnclusteredBytes = outsideCubes, outsideCubeBytes
		}
	}
	expired, err := tbl.ExpiredLogFiles(ctx)
	if err != nil {
		return nil, err
	}
	s.ExpiredLogFiles = int64(len(expired))
	vac, err := tbl.Vacuum(ctx, &delta.VacuumOptions{DryRun: true, Retention: p.VacuumRetention})
	switch {
	case err == nil:
		s.VacuumableFiles, s.VacuumableBytes = vac.NumFilesToDelete, vac.SizeOfDataToDelete
	case errors.Is(err, delta.ErrRetentionTooShort), errors.Is(err, delta.ErrUnsupportedFeature):
		// The policy or the table rules VACUUM out; the rest of the
		// maintenance can still run.
		s.VacuumError = err.Error()
	default:
		return nil, err
	}
	return s, nil
}

// partitionLabel renders a file's partition as "col=value/…" in
// partition column order ("" when unpartitioned; null as
// __HIVE_DEFAULT_PARTITION__, as Spark names it in paths).
func partitionLabel(f *delta.AddFile, cols []string) string {
	if len(f.PartitionValues) == 0 {
		return ""
	}
	keys := make([]string, 0, len(f.PartitionValues))
	for k := range f.PartitionValues {
		keys = append(keys, k)
	}
	// Partition values are keyed by physical name; without column
	// mapping these are the partition columns, whose order is kept.
	order := map[string]int{}
	for i, c := range cols {
		order[strings.ToLower(c)] = i + 1
	}
	sort.Slice(keys, func(i, j int) bool {
		oi, oj := order[strings.ToLower(keys[i])], order[strings.ToLower(keys[j])]
		if oi != oj {
			return oi < oj
		}
		return keys[i] < keys[j]
	})
	var b strings.Builder
	for i, k := range keys {
		if i > 0 {
			b.WriteByte('/')
		}
		b.WriteString(k)
		b.WriteByte('=')
		if v := f.PartitionValues[k]; v != nil {
			b.WriteString(*v)
		} else {
			b.WriteString("__HIVE_DEFAULT_PARTITION__")
		}
	}
	return b.String()
}

// dominantZOrder returns the Z-order columns holding the most bytes in
// the tags of the table's Z-cubes, nil when there are none.
func dominantZOrder(bytes map[string]int64) []string {
	best, bestBytes := "", int64(-1)
	for by, n := range bytes {
		if n > bestBytes || (n == bestBytes && by < best) {
			best, bestBytes = by, n
		}
	}
	if best == "" {
		return nil
	}
	var cols []string
	if json.Unmarshal([]byte(best), &cols) != nil || len(cols) == 0 {
		return nil
	}
	return cols
}
