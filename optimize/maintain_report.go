package optimize

import (
	"fmt"
	"strings"
)

// Summary renders the report on one screen: what the inspection found,
// then one line per action with what was decided, why, and what came of
// it. The partition histogram is folded into the table's (the partitions
// with the most small files are named), so the summary stays short
// whatever the table.
func (r *Report) Summary() string {
	var b strings.Builder
	s := &r.Stats
	fmt.Fprintf(&b, "table version %d: %d file(s), %s in %d partition(s)\n", s.Version, s.NumFiles, humanSize(s.Bytes), len(s.Partitions))
	hist := make([]int64, len(SizeBuckets)+1)
	for _, ps := range s.Partitions {
		for i, n := range ps.Histogram {
			hist[i] += n
		}
	}
	var cells []string
	for i, n := range hist {
		if n > 0 {
			cells = append(cells, fmt.Sprintf("%s: %d", BucketLabel(i), n))
		}
	}
	if len(cells) > 0 {
		fmt.Fprintf(&b, "  file sizes     %s\n", strings.Join(cells, ", "))
	}
	fmt.Fprintf(&b, "  small files    %d (< %s), at most %d in one partition\n", s.SmallFiles, humanSize(r.Policy.SmallFileSize), s.MaxSmallFilesInPartition)
	switch {
	case len(s.ClusteringColumns) > 0:
		fmt.Fprintf(&b, "  clustering     by %s: %d file(s), %s unclustered\n", strings.Join(s.ClusteringColumns, ", "), s.UnclusteredFiles, humanSize(s.UnclusteredBytes))
	case len(s.ZOrderBy) > 0:
		fmt.Fprintf(&b, "  z-order        by %s: %d file(s), %s outside Z-cubes\n", strings.Join(s.ZOrderBy, ", "), s.UnclusteredFiles, humanSize(s.UnclusteredBytes))
	}
	fmt.Fprintf(&b, "  deleted rows   %d of %d (%s), %d file(s) with deletion vectors\n", s.DeletedRows, s.Rows, pct(s.DeletedRatio()), s.DVFiles)
	cp := "none"
	if s.CheckpointVersion >= 0 {
		cp = fmt.Sprintf("version %d", s.CheckpointVersion)
	}
	fmt.Fprintf(&b, "  checkpoint     %s, %d commit(s) after it\n", cp, s.CommitsSinceCheckpoint)
	fmt.Fprintf(&b, "  vacuumable     %d file(s), %s\n", s.VacuumableFiles, humanSize(s.VacuumableBytes))
	b.WriteString("actions:\n")
	for _, d := range r.Decisions {
		fmt.Fprintf(&b, "  %-11s %-8s %s\n", d.Action, d.Status, d.Reason)
		if d.Result != "" {
			fmt.Fprintf(&b, "  %-11s %-8s → %s\n", "", "", d.Result)
		}
	}
	if r.BudgetExceeded {
		fmt.Fprintf(&b, "budget of %s used up: deferred work is left for the next run\n", r.Policy.Budget)
	}
	healthy := true
	for _, d := range r.Decisions {
		healthy = healthy && !d.Needed
	}
	if healthy {
		b.WriteString("nothing to do: the table is healthy\n")
	}
	return b.String()
}
