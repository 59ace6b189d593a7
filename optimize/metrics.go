package optimize

import (
	"encoding/json"
	"slices"
	"strconv"

	"github.com/lakehouse-go/lakehouse/delta"
)

// Result is what Compact did.
type Result struct {
	// Version is the table version after OPTIMIZE: that of the last
	// commit, or the version read when there was nothing to rewrite.
	Version int64
	// Commits are the commits made, one per batch, in order; empty when
	// there was nothing to rewrite.
	Commits []*delta.CommitResult
	// Metrics are Spark's OPTIMIZE metrics for the whole run.
	Metrics Metrics
}

// Metrics are the metrics Spark's OPTIMIZE returns (OptimizeMetrics),
// with Spark's JSON names.
type Metrics struct {
	NumFilesAdded   int64           `json:"numFilesAdded"`
	NumFilesRemoved int64           `json:"numFilesRemoved"`
	FilesAdded      FileSizeMetrics `json:"filesAdded"`
	FilesRemoved    FileSizeMetrics `json:"filesRemoved"`
	// PartitionsOptimized counts partitions with files rewritten.
	PartitionsOptimized int64 `json:"partitionsOptimized"`
	// ZOrderStats is set by Z-ordering runs.
	ZOrderStats *ZOrderStats `json:"zOrderStats,omitempty"`
	// ClusteringStats is set by liquid clustering runs.
	ClusteringStats *ClusteringStats `json:"clusteringStats,omitempty"`
	NumBins         int64            `json:"numBins"`
	NumBatches      int64            `json:"numBatches"`
	// TotalConsideredFiles counts the live files in the partitions
	// Where selected; TotalFilesSkipped those not rewritten.
	TotalConsideredFiles int64 `json:"totalConsideredFiles"`
	TotalFilesSkipped    int64 `json:"totalFilesSkipped"`
	// PreserveInsertionOrder is always false: bins are packed by size.
	PreserveInsertionOrder bool `json:"preserveInsertionOrder"`
	// NumFilesSkippedToReduceWriteAmplification and its bytes count the
	// files of finished Z-cubes a ZORDER run left alone.
	NumFilesSkippedToReduceWriteAmplification int64 `json:"numFilesSkippedToReduceWriteAmplification"`
	NumBytesSkippedToReduceWriteAmplification int64 `json:"numBytesSkippedToReduceWriteAmplification"`
	StartTimeMs                               int64 `json:"startTimeMs"`
	EndTimeMs                                 int64 `json:"endTimeMs"`
	// TotalClusterParallelism is MaxConcurrency; TotalScheduledTasks the
	// number of bins.
	TotalClusterParallelism  int64                `json:"totalClusterParallelism"`
	TotalScheduledTasks      int64                `json:"totalScheduledTasks"`
	DeletionVectorStats      *DeletionVectorStats `json:"deletionVectorStats,omitempty"`
	NumTableColumns          int64                `json:"numTableColumns"`
	NumTableColumnsWithStats int64                `json:"numTableColumnsWithStats"`

	// addedSizes are the sizes of every added file, for percentiles.
	addedSizes []int64
}

// FileSizeMetrics summarise the sizes of a set of files.
type FileSizeMetrics struct {
	Min        *int64  `json:"min,omitempty"`
	Max        *int64  `json:"max,omitempty"`
	Avg        float64 `json:"avg"`
	TotalFiles int64   `json:"totalFiles"`
	TotalSize  int64   `json:"totalSize"`
}

func (m *FileSizeMetrics) add(size int64) {
	if m.TotalFiles == 0 {
		m.Min, m.Max = new(int64), new(int64)
		*m.Min, *m.Max = size, size
	}
	*m.Min = min(*m.Min, size)
	*m.Max = max(*m.Max, size)
	m.TotalFiles++
	m.TotalSize += size
	m.Avg = float64(m.TotalSize) / float64(m.TotalFiles)
}

// ZOrderStats describe what a ZORDER run merged (Spark's ZOrderStats).
type ZOrderStats struct {
	// StrategyName is "minCubeSize(N)": cubes of N bytes or more are
	// kept.
	StrategyName string `json:"strategyName"`
	// InputCubeFiles are the files of earlier, unfinished Z-cubes that
	// were merged; InputOtherFiles the files outside any Z-cube.
	InputCubeFiles  ZOrderFileStats `json:"inputCubeFiles"`
	InputOtherFiles ZOrderFileStats `json:"inputOtherFiles"`
	InputNumCubes   int64           `json:"inputNumCubes"`
	MergedFiles     ZOrderFileStats `json:"mergedFiles"`
	// NumOutputCubes is the number of Z-cubes written: one per
	// partition rewritten.
	NumOutputCubes int64  `json:"numOutputCubes"`
	MergedNumCubes *int64 `json:"mergedNumCubes,omitempty"`
}

// ZOrderFileStats count files and their bytes.
type ZOrderFileStats struct {
	Num  int64 `json:"num"`
	Size int64 `json:"size"`
}

// DeletionVectorStats count the deletion vectors a run purged.
type DeletionVectorStats struct {
	NumDeletionVectorsRemoved    int64 `json:"numDeletionVectorsRemoved"`
	NumDeletionVectorRowsRemoved int64 `json:"numDeletionVectorRowsRemoved"`
}

// sizePercentiles are the file size metrics Spark records in an OPTIMIZE
// commit (FileSizeStatsWithHistogram): entries count/4, count/2 and
// 3·count/4 of the sorted sizes.
func sizePercentiles(sizes []int64) map[string]string {
	if len(sizes) == 0 {
		return nil
	}
	s := slices.Clone(sizes)
	slices.Sort(s)
	n := len(s)
	return map[string]string{
		"minFileSize": itoa(s[0]),
		"p25FileSize": itoa(s[n/4]),
		"p50FileSize": itoa(s[n/2]),
		"p75FileSize": itoa(s[n*3/4]),
		"maxFileSize": itoa(s[n-1]),
	}
}

// Map flattens the metrics into strings, the shape of a commit's
// operationMetrics: Spark's OPTIMIZE commit metrics for the whole run
// (numAddedFiles, numRemovedFiles, numAddedBytes, numRemovedBytes, the
// added files' size percentiles minFileSize…maxFileSize,
// numDeletionVectorsRemoved) followed by the run's own (numBatches,
// totalConsideredFiles, …); nested values are JSON text.
func (m *Metrics) Map() map[string]string {
	out := map[string]string{
		"numAddedFiles":                             itoa(m.NumFilesAdded),
		"numRemovedFiles":                           itoa(m.NumFilesRemoved),
		"numAddedBytes":                             itoa(m.FilesAdded.TotalSize),
		"numRemovedBytes":                           itoa(m.FilesRemoved.TotalSize),
		"numDeletionVectorsRemoved":                 "0",
		"partitionsOptimized":                       itoa(m.PartitionsOptimized),
		"numBins":                                   itoa(m.NumBins),
		"numBatches":                                itoa(m.NumBatches),
		"totalConsideredFiles":                      itoa(m.TotalConsideredFiles),
		"totalFilesSkipped":                         itoa(m.TotalFilesSkipped),
		"preserveInsertionOrder":                    strconv.FormatBool(m.PreserveInsertionOrder),
		"numFilesSkippedToReduceWriteAmplification": itoa(m.NumFilesSkippedToReduceWriteAmplification),
		"numBytesSkippedToReduceWriteAmplification": itoa(m.NumBytesSkippedToReduceWriteAmplification),
	}
	for k, v := range sizePercentiles(m.addedSizes) {
		out[k] = v
	}
	if m.DeletionVectorStats != nil {
		out["numDeletionVectorsRemoved"] = itoa(m.DeletionVectorStats.NumDeletionVectorsRemoved)
		out["numDeletionVectorRowsRemoved"] = itoa(m.DeletionVectorStats.NumDeletionVectorRowsRemoved)
	}
	if m.ZOrderStats != nil {
		b, _ := json.Marshal(m.ZOrderStats)
		out["zOrderStats"] = string(b)
	}
	if m.ClusteringStats != nil {
		b, _ := json.Marshal(m.ClusteringStats)
		out["clusteringStats"] = string(b)
	}
	return out
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
