package parquetio

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/metadata"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
	"github.com/apache/arrow-go/v18/parquet/schema"
)

// A schema whose columns are all flat (no structs, lists or maps) is
// written through the Parquet library's column writers directly rather
// than through its Arrow file writer, so that string and binary columns
// can be dictionary-encoded here (write_dictionary.go). Every other
// column is handed to the same function the Arrow file writer calls per
// leaf, with the definition levels it would compute for a flat column, so
// its pages are the bytes the Arrow file writer produces.

// flatPlan is what a flat schema's row groups share.
type flatPlan struct {
	schema   *schema.Schema
	meta     metadata.KeyValueMetadata
	nullable []bool // per column
	dict     []bool // per column: dictionary-encoded here
}

// newFlatPlan returns the plan of a flat physical schema, or nil when a
// column is nested or of a type the direct path leaves to the Arrow file
// writer.
func newFlatPlan(physical *arrow.Schema, cfg *writeConfig) (*flatPlan, error) {
	p := &flatPlan{}
	for _, f := range physical.Fields() {
		switch f.Type.ID() {
		case arrow.STRUCT, arrow.LIST, arrow.LARGE_LIST, arrow.FIXED_SIZE_LIST, arrow.MAP,
			arrow.LIST_VIEW, arrow.LARGE_LIST_VIEW, arrow.DICTIONARY, arrow.EXTENSION,
			arrow.RUN_END_ENCODED, arrow.SPARSE_UNION, arrow.DENSE_UNION:
			return nil, nil
		}
		p.nullable = append(p.nullable, f.Nullable)
		id := f.Type.ID()
		p.dict = append(p.dict, id == arrow.STRING || id == arrow.BINARY)
	}
	sc, err := pqarrow.ToParquet(physical, cfg.props, cfg.arrProps)
	if err != nil {
		return nil, fmt.Errorf("parquetio: schema: %w", err)
	}
	if sc.NumColumns() != len(p.nullable) {
		return nil, nil
	}
	p.schema = sc
	// An empty list rather than none, as pqarrow's file writer writes it.
	p.meta = make(metadata.KeyValueMetadata, 0)
	md := physical.Metadata()
	for i, k := range md.Keys() {
		p.meta.Append(k, md.Values()[i])
	}
	return p, nil
}

// flatGroup writes one row group of a flat schema as a Parquet file. The
// batches are held until the row group ends and then written a column at
// a time, each column's pages going straight to the file: with a writer
// per column open at once, the library keeps every column's pages in a
// buffer of its own, grown as they come, and copies them all into the
// file at the end.
type flatGroup struct {
	cfg   *writeConfig
	plan  *flatPlan
	ctx   context.Context
	pw    *file.Writer
	held  []arrow.RecordBatch
	dicts []*dictColumn // per column; nil where written directly
	def   []int16       // scratch definition levels
}

func newFlatGroup(cfg *writeConfig, w io.Writer) (*flatGroup, error) {
	plan := cfg.flat
	pw, err := file.NewParquetWriterWithError(w, plan.schema.Root(), file.WithWriterProps(cfg.props), file.WithWriteMetadata(plan.meta))
	if err != nil {
		return nil, fmt.Errorf("parquetio: start row group: %w", err)
	}
	g := &flatGroup{cfg: cfg, plan: plan, pw: pw, dicts: make([]*dictColumn, len(plan.dict))}
	g.ctx = pqarrow.NewArrowWriteContext(context.Background(), &cfg.arrProps)
	for i, d := range plan.dict {
		if d {
			g.dicts[i] = newDictColumn(cfg.props.DictionaryPageSizeLimit())
		}
	}
	return g, nil
}

// write adds a batch's rows to the row group; it keeps a reference to the
// batch until the row group is written.
func (g *flatGroup) write(rec arrow.RecordBatch) {
	rec.Retain()
	g.held = append(g.held, rec)
	for i, d := range g.dicts {
		// A dictionary that outgrows its page leaves the column to plain
		// pages for the whole row group.
		if d != nil && !d.dense && !d.add(rec.Column(i)) {
			d.dense = true
		}
	}
}

// writeHeld hands column i of every held batch to its column writer.
func (g *flatGroup) writeHeld(cw file.ColumnChunkWriter, i int) error {
	for _, rec := range g.held {
		arr := rec.Column(i)
		if err := pqarrow.WriteArrowToColumn(g.ctx, cw, arr, g.levels(cw, arr, 0, arr.Len()), nil, g.plan.nullable[i]); err != nil {
			return fmt.Errorf("parquetio: column %s: %w", cw.Descr().Name(), err)
		}
	}
	return nil
}

// levels are the definition levels of rows [from, to) of a flat column:
// nil for a required one, else 1 where a value is present and 0 where
// null.
func (g *flatGroup) levels(cw file.ColumnChunkWriter, arr arrow.Array, from, to int) []int16 {
	if cw.Descr().MaxDefinitionLevel() == 0 {
		return nil
	}
	n := to - from
	if cap(g.def) < n {
		g.def = make([]int16, n)
	}
	def := g.def[:n]
	if arr.NullN() == 0 || arr.NullN() == arr.Len() {
		// No bitmap to read: all present, or all null (a null-typed
		// column has no bitmap at all).
		level := int16(0)
		if arr.NullN() == 0 {
			level = 1
		}
		for j := range def {
			def[j] = level
		}
		return def
	}
	bits, off := arr.NullBitmapBytes(), arr.Data().Offset()+from
	for j := 0; j < n; {
		pos := off + j
		if pos%8 == 0 && j+8 <= n {
			// A whole byte of the bitmap at once when it is all one way.
			if b := bits[pos/8]; b == 0xFF || b == 0 {
				level := int16(b & 1)
				for k := j; k < j+8; k++ {
					def[k] = level
				}
				j += 8
				continue
			}
		}
		def[j] = int16(bits[pos/8] >> (pos % 8) & 1)
		j++
	}
	return def
}

// close writes the row group, a column at a time, and ends the file.
func (g *flatGroup) close() error {
	defer g.release()
	rgw, err := g.pw.AppendRowGroupChecked()
	if err != nil {
		return fmt.Errorf("parquetio: start row group: %w", err)
	}
	for i, d := range g.dicts {
		cw, err := rgw.NextColumn()
		if err != nil {
			return fmt.Errorf("parquetio: column %d: %w", i, err)
		}
		if d != nil && !d.dense && !g.plainIsSmaller(cw, d) {
			err := d.writePages(g, cw, g.cfg.physical.Field(i).Type)
			if err == nil {
				continue
			}
			if !errors.Is(err, errNotDictionary) {
				return fmt.Errorf("parquetio: column %s: %w", cw.Descr().Name(), err)
			}
		}
		if err := g.writeHeld(cw, i); err != nil {
			return err
		}
	}
	if err := rgw.Close(); err != nil {
		return fmt.Errorf("parquetio: finish row group: %w", err)
	}
	if err := g.pw.Close(); err != nil {
		return fmt.Errorf("parquetio: finish row group: %w", err)
	}
	return nil
}

// release lets go of the held batches.
func (g *flatGroup) release() {
	for _, rec := range g.held {
		rec.Release()
	}
	g.held = nil
}

// plainIsSmaller applies the library's check of whether a dictionary
// saves space, which it makes only for pages stored uncompressed (with a
// codec, dictionary indices routinely lose to plain pages before
// compression and win after): the dictionary goes when it and the indices
// take as many bytes as the values themselves. The library weighs the
// first page; the whole row group is weighed here. snappy-fast pages are
// compressed after the library is done, so they are not stored
// uncompressed.
func (g *flatGroup) plainIsSmaller(cw file.ColumnChunkWriter, d *dictColumn) bool {
	path := cw.Descr().Path()
	if g.cfg.snappyPages || cw.Properties().CompressionFor(path) != compress.Codecs.Uncompressed || !cw.Properties().DictionaryCostFallbackEnabledFor(path) {
		return false
	}
	return d.size+d.indexBytes() >= d.rawBytes()
}
