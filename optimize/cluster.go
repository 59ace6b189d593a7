package optimize

import (
	"errors"

	"github.com/lakehouse-go/lakehouse/delta"
)

// Liquid clustering: on a table with clustering columns (the
// delta.clustering domain), Compact clusters instead of bin-packing. The
// files no clustering run wrote yet (clusteringProvider unset, or set by
// another implementation) are read together, ordered along a Hilbert
// curve over the clustering columns' range ids (computed as for
// Z-ordering), and written as files, one per cell (cells.go), marked
// clusteringProvider "liquid". Files already clustered are left alone,
// which keeps each run proportional to the data written since the last
// one; Options.Full reclusters every file (Spark's OPTIMIZE … FULL, for
// instance after the clustering columns changed).

// ErrZOrderClustered is returned for ZOrderBy on a clustered table, which
// Spark refuses too: the table's clustering columns decide the order. It
// also matches ErrInvalidOptions and delta.ErrInvalidArgument.
var ErrZOrderClustered error = zorderClustered{}

type zorderClustered struct{}

func (zorderClustered) Error() string {
	return "optimize: ZORDER BY is not allowed on a clustered table; OPTIMIZE clusters it by its clustering columns"
}

func (zorderClustered) Is(target error) bool {
	return target == ErrInvalidOptions || target == delta.ErrInvalidArgument
}

// errFullUnclustered is wrapped for Full on a table without clustering
// columns.
var errFullUnclustered = errors.New("FULL applies to clustered tables only")

// ClusteringStats describe what a clustering run merged (Spark's
// ClusteringStats).
type ClusteringStats struct {
	// InputZCubeFiles are files already clustered that were rewritten
	// (Full); InputOtherFiles the unclustered ones.
	InputZCubeFiles ZOrderFileStats `json:"inputZCubeFiles"`
	InputOtherFiles ZOrderFileStats `json:"inputOtherFiles"`
	InputNumZCubes  int64           `json:"inputNumZCubes"`
	MergedFiles     ZOrderFileStats `json:"mergedFiles"`
	// NumOutputZCubes is the number of clustered groups of files
	// written: one per run.
	NumOutputZCubes int64 `json:"numOutputZCubes"`
}

// resolveClustering turns the table's clustering columns into the
// ordering columns of the run.
func (c *config) resolveClustering(snap *delta.Snapshot) error {
	cols := snap.ClusteringColumns()
	if len(cols) == 0 {
		if c.Full {
			return invalidf("%v", errFullUnclustered)
		}
		return nil
	}
	if len(c.Options.ZOrderBy) > 0 {
		return ErrZOrderClustered
	}
	if c.where != nil {
		return invalidf("WHERE on a clustered table: OPTIMIZE clusters the whole table")
	}
	if err := c.resolveOrderColumns(snap, "CLUSTER BY", cols); err != nil {
		return err
	}
	c.cluster = true
	return nil
}

// clustered reports whether a file was written by liquid clustering.
func clustered(f *delta.AddFile) bool {
	return f.ClusteringProvider == delta.ClusteringProviderLiquid
}

// planCluster makes one bin of the files to cluster: the unclustered
// ones, or every file with Full.
func planCluster(files []*delta.AddFile, c *config) *plan {
	p := &plan{considered: int64(len(files))}
	b := &bin{}
	for _, f := range files {
		switch {
		case !clustered(f):
			b.otherFiles++
			b.otherBytes += f.Size
		case c.Full:
			b.cubeFiles++
			b.cubeBytes += f.Size
		default:
			p.skip([]*delta.AddFile{f})
			continue
		}
		b.files = append(b.files, f)
		b.size += f.Size
	}
	if b.cubeFiles > 0 {
		b.cubes = 1
	}
	if len(b.files) > 0 {
		p.bins = append(p.bins, b)
		p.partitions = 1
	}
	return p
}

// clusteringStats summarise a clustering plan.
func clusteringStats(p *plan) *ClusteringStats {
	s := &ClusteringStats{}
	for _, b := range p.bins {
		s.InputZCubeFiles.Num += b.cubeFiles
		s.InputZCubeFiles.Size += b.cubeBytes
		s.InputOtherFiles.Num += b.otherFiles
		s.InputOtherFiles.Size += b.otherBytes
		s.InputNumZCubes += b.cubes
		s.NumOutputZCubes++
	}
	s.MergedFiles = ZOrderFileStats{Num: s.InputZCubeFiles.Num + s.InputOtherFiles.Num, Size: s.InputZCubeFiles.Size + s.InputOtherFiles.Size}
	return s
}
