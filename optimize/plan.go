package optimize

import (
	"cmp"
	"encoding/json"
	"slices"
	"sort"
	"strings"

	"github.com/lakehouse-go/lakehouse/delta"
)

// Planning is pure: it turns the live files of the chosen partitions into
// bins (groups of files rewritten together, all of one partition) and
// batches (groups of bins committed together), the way Spark's
// OptimizeExecutor does.
//
// Bin-packing: the candidates are files smaller than MinFileSize and
// files whose deletion vector deletes more than MaxDeletedRowsRatio of
// their rows (or whose row count is unknown). Each partition's candidates,
// smallest first, fill bins of up to TargetFileSize bytes. A bin of one
// file is left alone, since rewriting it would change nothing, unless the
// file has a deletion vector: then rewriting purges its deleted rows.
// (Spark leaves every one-file bin alone.)
//
// Z-ordering: every file of a partition is a candidate and a partition is
// one bin, whose output is one new Z-cube (tagged ZCUBE_ID and
// ZCUBE_ZORDER_BY). Files of an earlier Z-cube over the same columns are
// skipped when the cube has reached MinCubeSize, and so is a partition
// that holds nothing but one Z-cube: it is already clustered. Spark
// applies these rules (ZCube.filterOutLargeZCubes and
// filterOutSingleZCubes) to clustered tables.

// Tag keys of a Z-cube's files, as Spark names them (AddFile.Tags).
const (
	TagZCubeID     = "ZCUBE_ID"
	TagZOrderBy    = "ZCUBE_ZORDER_BY"
	TagZOrderCurve = "ZCUBE_ZORDER_CURVE"
)

// bin is a group of files of one partition rewritten together.
type bin struct {
	files []*delta.AddFile
	size  int64
	// Z-order only: what the bin merges, for zOrderStats.
	cubeFiles, cubeBytes   int64
	otherFiles, otherBytes int64
	cubes                  int64
}

// plan is the work of one OPTIMIZE run.
type plan struct {
	bins       []*bin
	considered int64
	partitions int64 // partitions with at least one bin
	// Z-order: files left in place because their cube is large, or is the
	// partition's only one.
	skippedFiles, skippedBytes int64
}

// partitionKey identifies a partition by its values (nil distinct from "").
func partitionKey(f *delta.AddFile) string {
	keys := make([]string, 0, len(f.PartitionValues))
	for k := range f.PartitionValues {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		b.WriteString(k)
		if v := f.PartitionValues[k]; v != nil {
			b.WriteByte('=')
			b.WriteString(*v)
		}
		b.WriteByte(0)
	}
	return b.String()
}

// groupByPartition groups files by partition, in first-seen order.
func groupByPartition(files []*delta.AddFile) [][]*delta.AddFile {
	idx := map[string]int{}
	var out [][]*delta.AddFile
	for _, f := range files {
		k := partitionKey(f)
		i, ok := idx[k]
		if !ok {
			i = len(out)
			idx[k] = i
			out = append(out, nil)
		}
		out[i] = append(out[i], f)
	}
	return out
}

// numRecords reads numRecords from a file's statistics.
func numRecords(f *delta.AddFile) (int64, bool) {
	if f.Stats == "" {
		return 0, false
	}
	var st struct {
		NumRecords *int64 `json:"numRecords"`
	}
	if json.Unmarshal([]byte(f.Stats), &st) != nil || st.NumRecords == nil {
		return 0, false
	}
	return *st.NumRecords, true
}

// tooManyDeleted reports whether f's deletion vector deletes more than
// ratio of its rows; a file with a vector but no row count always does.
func tooManyDeleted(f *delta.AddFile, ratio float64) bool {
	if f.DeletionVector == nil {
		return false
	}
	n, ok := numRecords(f)
	if !ok || n <= 0 {
		return true
	}
	return float64(f.DeletionVector.Cardinality)/float64(n) > ratio
}

// planCompaction bins the candidates of bin-packing.
func planCompaction(files []*delta.AddFile, c *config) *plan {
	p := &plan{considered: int64(len(files))}
	var candidates []*delta.AddFile
	for _, f := range files {
		if f.Size < c.MinFileSize || tooManyDeleted(f, c.MaxDeletedRowsRatio) {
			candidates = append(candidates, f)
		}
	}
	for _, part := range groupByPartition(candidates) {
		slices.SortStableFunc(part, func(a, b *delta.AddFile) int {
			return cmp.Or(cmp.Compare(a.Size, b.Size), strings.Compare(a.Path, b.Path))
		})
		added := false
		var cur *bin
		flush := func() {
			if cur != nil && (len(cur.files) > 1 || len(cur.files) == 1 && cur.files[0].DeletionVector != nil) {
				p.bins = append(p.bins, cur)
				added = true
			}
			cur = nil
		}
		for _, f := range part {
			if cur != nil && cur.size+f.Size > c.TargetFileSize {
				flush()
			}
			if cur == nil {
				cur = &bin{}
			}
			cur.files = append(cur.files, f)
			cur.size += f.Size
		}
		flush()
		if added {
			p.partitions++
		}
	}
	return p
}

// zcube is the Z-cube a file belongs to, when it was written by a ZORDER
// run over the same columns.
func zcube(f *delta.AddFile, columnsJSON string) string {
	id := f.Tags[TagZCubeID]
	if id == "" || !sameColumns(f.Tags[TagZOrderBy], columnsJSON) {
		return ""
	}
	return id
}

// sameColumns compares two JSON arrays of column names, ignoring case
// (column names resolve case-insensitively).
func sameColumns(a, b string) bool {
	var x, y []string
	if json.Unmarshal([]byte(a), &x) != nil || json.Unmarshal([]byte(b), &y) != nil {
		return false
	}
	return slices.EqualFunc(x, y, strings.EqualFold)
}

// planZOrder makes one bin per partition of the files not already in a
// finished Z-cube.
func planZOrder(files []*delta.AddFile, c *config) *plan {
	p := &plan{considered: int64(len(files))}
	cols := columnsJSON(c.zorder)
	for _, part := range groupByPartition(files) {
		// Files outside any cube first, then cube by cube.
		slices.SortStableFunc(part, func(a, b *delta.AddFile) int {
			return cmp.Or(strings.Compare(zcube(a, cols), zcube(b, cols)), strings.Compare(a.Path, b.Path))
		})
		cubes := map[string][]*delta.AddFile{}
		var order []string
		b := &bin{}
		for _, f := range part {
			id := zcube(f, cols)
			if id == "" {
				b.files = append(b.files, f)
				b.size += f.Size
				b.otherFiles++
				b.otherBytes += f.Size
				continue
			}
			if _, ok := cubes[id]; !ok {
				order = append(order, id)
			}
			cubes[id] = append(cubes[id], f)
		}
		var small []string
		for _, id := range order {
			var size int64
			for _, f := range cubes[id] {
				size += f.Size
			}
			if size >= c.MinCubeSize {
				p.skip(cubes[id])
				continue
			}
			small = append(small, id)
		}
		if b.otherFiles == 0 && len(small) == 1 {
			// The partition is one cube already.
			p.skip(cubes[small[0]])
			small = nil
		}
		for _, id := range small {
			b.cubes++
			for _, f := range cubes[id] {
				b.files = append(b.files, f)
				b.size += f.Size
				b.cubeFiles++
				b.cubeBytes += f.Size
			}
		}
		if len(b.files) > 0 {
			p.bins = append(p.bins, b)
			p.partitions++
		}
	}
	return p
}

func (p *plan) skip(files []*delta.AddFile) {
	for _, f := range files {
		p.skippedFiles++
		p.skippedBytes += f.Size
	}
}

func columnsJSON(cols []string) string {
	b, _ := json.Marshal(cols)
	return string(b)
}

// batches groups bins into batches of at most size input bytes, smallest
// bins first, as Spark's BinPackingUtils.binPackBySize does; size 0 makes
// one batch.
func batches(bins []*bin, size int64) [][]*bin {
	if len(bins) == 0 {
		return nil
	}
	if size <= 0 {
		return [][]*bin{bins}
	}
	sorted := slices.Clone(bins)
	slices.SortStableFunc(sorted, func(a, b *bin) int { return cmp.Compare(a.size, b.size) })
	var out [][]*bin
	var cur []*bin
	var curSize int64
	for _, b := range sorted {
		if len(cur) > 0 && (curSize >= size || curSize+b.size > size) {
			out = append(out, cur)
			cur, curSize = nil, 0
		}
		cur = append(cur, b)
		curSize += b.size
	}
	return append(out, cur)
}
