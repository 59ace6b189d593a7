package delta

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/RoaringBitmap/roaring/v2/roaring64"
	"github.com/google/uuid"

	"github.com/lakehouse-go/lakehouse/internal/dv"
)

// maxInlineDVBytes bounds the serialized bitmaps kept inline in the log:
// a handful of rows. Larger vectors go to a deletion vector file, as Spark
// writes them; inline ones save a file read per data file, but every
// checkpoint carries them.
const maxInlineDVBytes = 64

// stageDeletionVectors writes the operation's new vectors (one file for
// all of them, plus inline ones) and stages, per file, the remove of the
// old entry and the add of the same data file with its new vector.
func (d *dml) stageDeletionVectors(ctx context.Context) error {
	if len(d.newDVs) == 0 {
		return nil
	}
	x := d.x
	descs := make([]dv.Descriptor, len(d.newDVs))
	var inFile []*roaring64.Bitmap
	var inFileIdx []int
	for i, p := range d.newDVs {
		c := p.rows.Clone()
		c.RunOptimize()
		if 4+c.GetSerializedSizeInBytes() <= maxInlineDVBytes {
			desc, err := dv.EncodeInline(p.rows)
			if err != nil {
				return err
			}
			descs[i] = desc
			continue
		}
		inFile = append(inFile, p.rows)
		inFileIdx = append(inFileIdx, i)
	}
	if len(inFile) > 0 {
		id := uuid.New()
		name := dv.FileName(id)
		w, err := x.table.store.Create(ctx, name)
		if err != nil {
			return fmt.Errorf("delta: create deletion vector file: %w", err)
		}
		x.staged = append(x.staged, name)
		written, err := dv.WriteFile(w, "", id, inFile)
		if err != nil {
			_ = w.Abort()
			return fmt.Errorf("delta: write deletion vector file: %w", err)
		}
		if err := w.Close(); err != nil {
			return fmt.Errorf("delta: write deletion vector file %s: %w", name, err)
		}
		for k, i := range inFileIdx {
			descs[i] = written[k]
		}
	}
	for i, p := range d.newDVs {
		x.removeFile(p.file)
		add := *p.file
		desc := descs[i]
		add.DeletionVector = &desc
		add.DataChange = true
		add.Stats = looseBounds(p.file.Stats)
		add.StatsParsed = nil
		x.adds = append(x.adds, &add)
	}
	d.newDVs = nil
	return nil
}

// looseBounds marks stats as no longer tight: with rows deleted by a
// vector, min and max may name values no live row has (spec: Per-file
// Statistics, tightBounds).
func looseBounds(stats string) string {
	if stats == "" {
		return ""
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal([]byte(stats), &m); err != nil {
		return stats
	}
	m["tightBounds"] = json.RawMessage("false")
	b, err := json.Marshal(m)
	if err != nil {
		return stats
	}
	return string(b)
}

// dvMetrics are the deletion-vector metrics Spark records for DML.
func (d *dml) dvMetrics(out map[string]string) {
	out["numDeletionVectorsAdded"] = itoa(d.dvAdded + d.dvUpdated)
	out["numDeletionVectorsRemoved"] = itoa(d.dvRemoved + d.dvUpdated)
	out["numDeletionVectorsUpdated"] = itoa(d.dvUpdated)
}
