package optimize

import (
	"context"
	"math"
	"strconv"
	"sync"
	"time"

	"github.com/lakehouse-go/lakehouse/delta"
)

// Compact runs OPTIMIZE on the table: it rewrites small files into files
// near the target size, drops the rows deletion vectors mark as deleted,
// and with ZOrderBy clusters each partition's rows along a Z-order curve;
// on a clustered table it clusters the unclustered files by the table's
// clustering columns along a Hilbert curve (see the package docs).
// Rows are never changed, added or lost: every commit is dataChange=false,
// so change-feed and streaming readers ignore it and concurrent appends
// never conflict with it. A concurrent commit that removes or replaces a
// file being rewritten (a DELETE, an UPDATE, another OPTIMIZE) makes the
// batch holding that file fail with a *delta.ConflictError (matching
// delta.ErrConflict) and leave the table as that commit left it.
//
// With BatchSize the work is committed in several batches; if one fails,
// the Result returned with the error lists the batches already committed,
// which stay. Nothing to rewrite is not an error: the Result then has no
// commits.
func Compact(ctx context.Context, tbl *delta.Table, opts *Options) (*Result, error) {
	res, _, err := compact(ctx, tbl, opts, nil)
	return res, err
}

// compact is Compact with a stop check made before every batch but the
// first: when it reports true, the remaining batches are left undone and
// their input files counted in deferred. Maintain uses it to keep to its
// time budget without throwing away a batch half rewritten.
func compact(ctx context.Context, tbl *delta.Table, opts *Options, stop func() bool) (res *Result, deferred int64, err error) {
	start := time.Now()
	snap, err := tbl.Snapshot(ctx)
	if err != nil {
		return nil, 0, err
	}
	c, err := resolveOptions(opts, snap)
	if err != nil {
		return nil, 0, err
	}
	var files []*delta.AddFile
	for f, err := range snap.FilesMatching(ctx, c.where) {
		if err != nil {
			return nil, 0, err
		}
		files = append(files, f)
	}
	var p *plan
	switch {
	case c.cluster:
		p = planCluster(files, c)
	case len(c.zorder) > 0:
		p = planZOrder(files, c)
	default:
		p = planCompaction(files, c)
	}
	r := &run{tbl: tbl, snap: snap, c: c, res: &Result{Version: snap.Version()}}
	for _, b := range p.bins {
		r.total += int64(len(b.files))
	}
	r.startMetrics(p, start)
	all := batches(p.bins, c.BatchSize)
	for i, batch := range all {
		if i > 0 && stop != nil && stop() {
			for _, rest := range all[i:] {
				for _, b := range rest {
					deferred += int64(len(b.files))
				}
			}
			break
		}
		if err := r.commitBatch(ctx, batch); err != nil {
			r.finishMetrics()
			return r.res, 0, err
		}
	}
	r.finishMetrics()
	return r.res, deferred, nil
}

// run is one Compact call in progress.
type run struct {
	tbl  *delta.Table
	snap *delta.Snapshot
	c    *config
	res  *Result

	mu          sync.Mutex // guards done and progress calls
	done, total int64
}

func (r *run) startMetrics(p *plan, start time.Time) {
	m := &r.res.Metrics
	m.StartTimeMs = start.UnixMilli()
	m.PartitionsOptimized = p.partitions
	m.NumBins = int64(len(p.bins))
	m.TotalScheduledTasks = int64(len(p.bins))
	m.TotalConsideredFiles = p.considered
	m.TotalFilesSkipped = p.considered - r.total
	m.NumFilesSkippedToReduceWriteAmplification = p.skippedFiles
	m.NumBytesSkippedToReduceWriteAmplification = p.skippedBytes
	m.TotalClusterParallelism = int64(r.c.MaxConcurrency)
	m.NumTableColumns = int64(r.snap.Schema().NumFields())
	indexed := int64(32)
	if v, err := strconv.ParseInt(r.snap.Properties()["delta.dataSkippingNumIndexedCols"], 10, 64); err == nil && v >= 0 {
		indexed = v
	}
	m.NumTableColumnsWithStats = min(indexed, m.NumTableColumns)
	if r.c.cluster {
		m.ClusteringStats = clusteringStats(p)
		return
	}
	if len(r.c.zorder) == 0 {
		return
	}
	z := &ZOrderStats{StrategyName: "minCubeSize(" + itoa(r.c.MinCubeSize) + ")"}
	for _, b := range p.bins {
		z.InputCubeFiles.Num += b.cubeFiles
		z.InputCubeFiles.Size += b.cubeBytes
		z.InputOtherFiles.Num += b.otherFiles
		z.InputOtherFiles.Size += b.otherBytes
		z.InputNumCubes += b.cubes
	}
	z.MergedFiles = ZOrderFileStats{Num: z.InputCubeFiles.Num + z.InputOtherFiles.Num, Size: z.InputCubeFiles.Size + z.InputOtherFiles.Size}
	z.NumOutputCubes = int64(len(p.bins))
	merged := z.InputNumCubes
	z.MergedNumCubes = &merged
	m.ZOrderStats = z
}

func (r *run) finishMetrics() {
	r.res.Metrics.EndTimeMs = time.Now().UnixMilli()
}

// params are Spark's operationParameters for OPTIMIZE.
func (r *run) params() map[string]string {
	preds := []string{}
	if r.c.where != nil {
		preds = append(preds, r.c.where.String())
	}
	if r.c.cluster {
		return map[string]string{
			"predicate": columnsJSON(preds),
			"zOrderBy":  "[]",
			"clusterBy": columnsJSON(r.c.zorder),
			"auto":      "false",
			"isFull":    strconv.FormatBool(r.c.Full),
		}
	}
	zorder := r.c.zorder
	if zorder == nil {
		zorder = []string{}
	}
	return map[string]string{
		"predicate": columnsJSON(preds),
		"zOrderBy":  columnsJSON(zorder),
		"clusterBy": "[]",
		"auto":      "false",
	}
}

// commitBatch rewrites the bins of one batch and commits them. The
// transaction reads the snapshot the plan was made from, so a concurrent
// change to any of its files, even one committed before the batch began,
// is a conflict.
func (r *run) commitBatch(ctx context.Context, bins []*bin) error {
	// A bin becomes one file (Z-order: one file per cell), as in
	// Spark; the writer starts another only if a file comes out at twice
	// the target, far larger than its input, rather than leaving a sliver
	// whenever re-encoding adds a few bytes.
	roll := r.c.TargetFileSize
	if roll < math.MaxInt64/2 {
		roll *= 2
	}
	x, err := r.tbl.BeginAt(ctx, r.snap, &delta.TxnOptions{NoDataChange: true, TargetFileSize: roll})
	if err != nil {
		return err
	}
	defer x.Rollback()
	added, err := r.rewriteBins(ctx, x, bins)
	if err != nil {
		return err
	}
	var removed []*delta.AddFile
	for _, b := range bins {
		removed = append(removed, b.files...)
	}
	if err := x.RemoveFiles(removed, false); err != nil {
		return err
	}
	if err := x.SetOperation("OPTIMIZE", r.params()); err != nil {
		return err
	}
	sizes := make([]int64, len(added))
	for i, f := range added {
		sizes[i] = f.Size
	}
	metrics := sizePercentiles(sizes)
	if metrics == nil {
		metrics = map[string]string{}
	}
	var dvs, dvRows int64
	for _, f := range removed {
		if f.DeletionVector != nil {
			dvs++
			dvRows += f.DeletionVector.Cardinality
		}
	}
	metrics["numDeletionVectorsRemoved"] = itoa(dvs)
	if err := x.SetOperationMetrics(metrics); err != nil {
		return err
	}
	res, err := x.Commit(ctx)
	if err != nil {
		return err
	}
	r.res.Version = res.Version
	r.res.Commits = append(r.res.Commits, res)
	m := &r.res.Metrics
	m.NumBatches++
	for _, f := range added {
		m.FilesAdded.add(f.Size)
		m.addedSizes = append(m.addedSizes, f.Size)
	}
	for _, f := range removed {
		m.FilesRemoved.add(f.Size)
	}
	m.NumFilesAdded = m.FilesAdded.TotalFiles
	m.NumFilesRemoved = m.FilesRemoved.TotalFiles
	if dvs > 0 {
		if m.DeletionVectorStats == nil {
			m.DeletionVectorStats = &DeletionVectorStats{}
		}
		m.DeletionVectorStats.NumDeletionVectorsRemoved += dvs
		m.DeletionVectorStats.NumDeletionVectorRowsRemoved += dvRows
	}
	return nil
}

// rewriteBins rewrites bins on up to MaxConcurrency goroutines, each
// holding one bin at a time. The first failure cancels the others.
func (r *run) rewriteBins(ctx context.Context, x *delta.Transaction, bins []*bin) ([]*delta.AddFile, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	work := make(chan *bin)
	var (
		mu       sync.Mutex
		added    []*delta.AddFile
		firstErr error
		wg       sync.WaitGroup
	)
	for range min(r.c.MaxConcurrency, len(bins)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for b := range work {
				out, err := r.rewriteBin(ctx, x, b)
				mu.Lock()
				if err != nil && firstErr == nil {
					firstErr = err
					cancel()
				}
				added = append(added, out...)
				mu.Unlock()
			}
		}()
	}
feed:
	for _, b := range bins {
		select {
		case work <- b:
		case <-ctx.Done():
			break feed
		}
	}
	close(work)
	wg.Wait()
	if firstErr != nil {
		return nil, firstErr
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return added, nil
}

// rewriteBin writes the live rows of one bin into new files: as they come
// for bin-packing, sorted by Z-value for Z-ordering.
func (r *run) rewriteBin(ctx context.Context, x *delta.Transaction, b *bin) ([]*delta.AddFile, error) {
	var out []*delta.AddFile
	var err error
	if len(r.c.zorder) > 0 {
		out, err = r.zorderBin(ctx, x, b)
	} else {
		out, err = r.copyBin(ctx, x, b)
	}
	if err != nil {
		return nil, err
	}
	r.progress(int64(len(b.files)))
	return out, nil
}

// copyBin streams the bin's rows, one batch at a time, into new files.
func (r *run) copyBin(ctx context.Context, x *delta.Transaction, b *bin) ([]*delta.AddFile, error) {
	fw, err := x.NewFileWriter(nil)
	if err != nil {
		return nil, err
	}
	// Rows of a bin may come in any order: the files are merged, not
	// concatenated in a meaning-bearing order, and decoders then never wait
	// for each other.
	rr, err := r.snap.ScanFiles(ctx, b.files, &delta.ScanOptions{AnyOrder: true})
	if err == nil {
		err = fw.Write(ctx, rr)
		rr.Release()
	}
	if err != nil {
		fw.Abort()
		return nil, err
	}
	return fw.Close(ctx)
}

// progress records n more input files rewritten.
func (r *run) progress(n int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.done += n
	if r.c.Progress != nil {
		r.c.Progress(delta.Progress{Operation: "OPTIMIZE", Phase: "rewrite", Done: r.done, Total: r.total})
	}
}
