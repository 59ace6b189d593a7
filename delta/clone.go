package delta

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"path"
	"strings"
	"sync"

	"github.com/RoaringBitmap/roaring/v2/roaring64"
	"github.com/google/uuid"
	"golang.org/x/sync/errgroup"

	"github.com/lakehouse-go/lakehouse/internal/dv"
	"github.com/lakehouse-go/lakehouse/internal/dvstore"
	"github.com/lakehouse-go/lakehouse/internal/protocol"
)

// CloneOptions configure Clone. A nil *CloneOptions makes a deep clone
// with the defaults.
type CloneOptions struct {
	// Shallow makes the clone's add actions point at the source's data
	// and deletion-vector files by absolute URI instead of copying them.
	// The source must live where other handles can reach it (a local
	// path, file://, s3://, …; not mem:// or a caller-opened bucket).
	Shallow bool
	// Table configures the returned *Table.
	Table *Options
	// Properties override source table properties in the clone (Spark's
	// CLONE … TBLPROPERTIES); features they enable upgrade the protocol.
	// The column mapping mode cannot change.
	Properties map[string]string
	// Progress, when set, is called as a deep clone copies each file.
	Progress func(Progress)
	// Parallelism bounds the files a deep clone copies at once; default
	// 16.
	Parallelism int
	// UserMetadata is recorded in commitInfo.userMetadata.
	UserMetadata string
}

// Clone creates a new table at targetURL holding exactly the rows of
// source, in one commit (Spark's CREATE TABLE … [SHALLOW] CLONE). The
// clone gets the source's schema, partitioning, properties and protocol,
// a new table id, and none of its history. A deep clone copies every data
// and deletion-vector file, with bounded parallelism, to any store the
// URL names; a shallow clone copies nothing and names the source's files
// by absolute URI, as Spark writes them ("file:/data/src/part-….parquet",
// deletion vectors of storage type "p"), so Spark, delta-rs and this
// package read it. A shallow clone depends on the source's files: VACUUM
// on the source does not know about the clone and deletes files it needs
// once the source no longer references them. Reading a shallow clone
// (through the returned handle or a later Open) needs the source's root in
// Options.AllowedRoots; without it the reads fail with ErrOutsideRoot.
//
// The commit records operation "CLONE" with Spark's parameters (source,
// sourceVersion, plus isShallow) and metrics (sourceTableSize,
// sourceNumOfFiles, numCopiedFiles, copiedFilesSize, numRemovedFiles,
// removedFilesSize). It fails with ErrTableExists when targetURL already
// holds a table. On any error the target is left without a table and the
// files a deep clone copied are deleted.
func Clone(ctx context.Context, source *Snapshot, targetURL string, opts *CloneOptions) (*Table, *CommitResult, error) {
	if source == nil {
		return nil, nil, fmt.Errorf("%w: clone needs a source snapshot", ErrInvalidArgument)
	}
	var o CloneOptions
	if opts != nil {
		o = *opts
	}
	if o.Parallelism <= 0 {
		o.Parallelism = defaultMaintParallelism
	}
	srcRoot, addressable := source.table.qualifiedRoot()
	if o.Shallow && !addressable {
		return nil, nil, fmt.Errorf("%w: a shallow clone needs a source other table handles can reach; %s is private to its handle (make a deep clone)", ErrInvalidArgument, source.table.name())
	}
	if !addressable {
		srcRoot = source.table.url
	}
	t, err := openLocation(ctx, targetURL, o.Table)
	if err != nil {
		return nil, nil, err
	}
	res, err := t.clone(ctx, source, srcRoot, o)
	if err != nil {
		_ = t.Close()
		return nil, nil, err
	}
	return t, res, nil
}

// clone commits the clone into the opened target location.
func (t *Table) clone(ctx context.Context, src *Snapshot, srcRoot string, o CloneOptions) (*CommitResult, error) {
	if normalizeLocation(t.rootURL()) == normalizeLocation(src.table.rootURL()) && !strings.HasPrefix(t.rootURL(), "mem:") {
		return nil, fmt.Errorf("%w: clone target %s is the source table", ErrInvalidArgument, t.name())
	}
	switch snap, err := t.Snapshot(ctx); {
	case err == nil:
		return nil, fmt.Errorf("%w: %s (version %d)", ErrTableExists, t.name(), snap.Version())
	case !errors.Is(err, ErrNotATable):
		return nil, err
	}
	meta, proto, err := cloneMetadata(src, o.Properties)
	if err != nil {
		return nil, err
	}
	to := (&TxnOptions{UserMetadata: o.UserMetadata}).withDefaults()
	x := &Transaction{
		table:        t,
		readVersion:  -1,
		opts:         to,
		meta:         meta,
		proto:        proto,
		metaChanged:  true,
		protoChanged: true,
		schema:       src.schema,
		mapping:      src.mapping,
		operation:    "CLONE",
	}
	defer x.Rollback()

	c := &cloner{src: src, srcRoot: srcRoot, dst: x, parallelism: o.Parallelism, progress: o.Progress}
	if err := c.collect(ctx, o.Shallow); err != nil {
		return nil, err
	}
	if !o.Shallow {
		if err := c.copyAll(ctx); err != nil {
			return nil, err
		}
	}
	x.adds = c.adds
	x.opParams = map[string]any{
		"source":        "delta.`" + srcRoot + "`",
		"sourceVersion": src.Version(),
		"isShallow":     o.Shallow,
	}
	x.maint = &maintInfo{metrics: map[string]string{
		"sourceTableSize":  itoa(c.sourceBytes),
		"sourceNumOfFiles": itoa(int64(len(c.adds))),
		"numCopiedFiles":   itoa(c.copiedFiles),
		"copiedFilesSize":  itoa(c.copiedBytes),
		"numRemovedFiles":  "0",
		"removedFilesSize": "0",
	}}
	return x.Commit(ctx)
}

// cloneMetadata is the source's metadata with a new id (and no name or
// description, as Spark gives a new path-based table), property overrides
// applied, and the protocol those need.
func cloneMetadata(src *Snapshot, overrides map[string]string) (*protocol.Metadata, *protocol.Protocol, error) {
	meta := *src.state.Metadata
	meta.ID = uuid.NewString()
	meta.Name, meta.Description = "", ""
	if meta.Configuration == nil {
		meta.Configuration = map[string]string{}
	}
	// The clone has in-commit timestamps from its first commit on, if at
	// all: the source's enablement point means nothing here.
	delete(meta.Configuration, protocol.PropICTEnablementVersion)
	delete(meta.Configuration, protocol.PropICTEnablementTimestamp)
	proto := *src.state.Protocol
	if len(overrides) == 0 {
		return &meta, &proto, nil
	}
	props := maps.Clone(overrides)
	before := protocol.Config(meta.Configuration)[protocol.PropColumnMappingMode]
	if after, ok := props[protocol.PropColumnMappingMode]; ok && !strings.EqualFold(after, before) && !(before == "" && strings.EqualFold(after, "none")) {
		return nil, nil, fmt.Errorf("%w: a clone cannot change the column mapping mode (%q to %q)", ErrInvalidArgument, before, after)
	}
	all := maps.Clone(meta.Configuration)
	maps.Copy(all, props)
	feats, err := featuresInUse(src.schema, all)
	if err != nil {
		return nil, nil, err
	}
	need, err := minimalProtocol(feats, all)
	if err != nil {
		return nil, nil, err
	}
	if err := checkWritableFeatures(feats); err != nil {
		return nil, nil, err
	}
	meta.Configuration = all
	return &meta, mergeProtocols(&proto, need), nil
}

// cloner builds a clone's add actions and, for a deep clone, copies the
// files they name.
type cloner struct {
	src         *Snapshot
	srcRoot     string
	dst         *Transaction
	parallelism int
	progress    func(Progress)

	adds   []*protocol.Add
	copies []fileCopy
	// dvCopies maps a source deletion-vector file to its copy, so a file
	// shared by many vectors is copied once.
	dvCopies map[string]string
	// taken are the target paths in use, to keep copies apart.
	taken map[string]bool

	sourceBytes              int64
	copiedFiles, copiedBytes int64
}

// fileCopy is one file a deep clone copies.
type fileCopy struct {
	from string // as the source log names it
	to   string // relative to the target root
	data bool   // a data file (counted in the metrics), not a vector
	size int64
}

// collect reads the source's files and builds the clone's add actions.
func (c *cloner) collect(ctx context.Context, shallow bool) error {
	c.dvCopies = map[string]string{}
	c.taken = map[string]bool{}
	for f, err := range c.src.addFiles(ctx) {
		if err != nil {
			return err
		}
		c.sourceBytes += f.Size
		add := *f
		add.DataChange = true
		add.Stats = withStats(f)
		add.StatsParsed = nil
		// Like Spark, a clone does not carry row ids over.
		add.BaseRowID, add.DefaultRowCommitVersion = nil, nil
		var err error
		if shallow {
			err = c.shallowAdd(&add)
		} else {
			err = c.deepAdd(&add)
		}
		if err != nil {
			return err
		}
		c.adds = append(c.adds, &add)
	}
	return nil
}

// shallowAdd points add at the source's files by absolute URI.
func (c *cloner) shallowAdd(add *protocol.Add) error {
	if !isAbsolutePath(add.Path) {
		add.Path = c.srcRoot + "/" + add.Path
	}
	d := add.DeletionVector
	if d == nil || d.StorageType != dv.StorageUUID {
		return nil // inline, or already absolute
	}
	rel, err := d.RelativePath()
	if err != nil {
		return corrupt("deletion vector of %s: %v", add.Path, err)
	}
	abs := *d
	abs.StorageType = dv.StorageAbsolute
	abs.PathOrInlineDv = protocol.EncodePath(c.srcRoot + "/" + rel)
	add.DeletionVector = &abs
	return nil
}

// deepAdd plans the copy of add's files and points it at the copies.
func (c *cloner) deepAdd(add *protocol.Add) error {
	to, ok := c.src.table.relativeToRoot(add.Path)
	if !ok {
		// A file outside the source (it is a shallow clone itself): keep
		// its name, unique by construction, under its partition
		// directories, the last path elements.
		elems := strings.Split(add.Path, "/")
		to = strings.Join(elems[max(len(elems)-1-len(add.PartitionValues), 1):], "/")
	}
	to = c.claim(to)
	c.copies = append(c.copies, fileCopy{from: add.Path, to: to, data: true, size: add.Size})
	add.Path = to
	d := add.DeletionVector
	if d == nil || d.IsInline() {
		return nil
	}
	from, _, err := dvFilePath(d)
	if err != nil {
		return err
	}
	if d.StorageType == dv.StorageUUID {
		// Copied to the same relative path, the descriptor stays valid.
		if _, done := c.dvCopies[from]; !done {
			c.dvCopies[from] = from
			c.taken[from] = true
			c.copies = append(c.copies, fileCopy{from: from, to: from})
		}
		return nil
	}
	// An absolute vector becomes a "u" one under the target root, named
	// after the UUID of its file when it has one.
	to, done := c.dvCopies[from]
	if !done {
		id, err := uuid.Parse(strings.TrimSuffix(strings.TrimPrefix(path.Base(from), "deletion_vector_"), ".bin"))
		if err != nil || c.taken[dv.FileName(id)] {
			id = uuid.New()
		}
		to = dv.FileName(id)
		c.dvCopies[from] = to
		c.taken[to] = true
		c.copies = append(c.copies, fileCopy{from: from, to: to})
	}
	id, err := uuid.Parse(strings.TrimSuffix(strings.TrimPrefix(to, "deletion_vector_"), ".bin"))
	if err != nil {
		return fmt.Errorf("delta: clone: deletion vector copy %s: %w", to, err)
	}
	u := *d
	u.StorageType = dv.StorageUUID
	u.PathOrInlineDv = dv.UUIDPathOrInlineDv("", id)
	add.DeletionVector = &u
	return nil
}

// claim returns p, or a variant of it no other copy uses.
func (c *cloner) claim(p string) string {
	for c.taken[p] {
		dir, base := path.Split(p)
		p = dir + uuid.NewString()[:8] + "-" + base
	}
	c.taken[p] = true
	return p
}

// copyAll copies the planned files, a bounded number at a time. Every
// target is staged in the transaction first, so a failure (or ctx
// cancellation) deletes whatever was copied.
func (c *cloner) copyAll(ctx context.Context) error {
	var mu sync.Mutex
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(c.parallelism)
	counter := newFileCounter(c.progress, "CLONE", "copy", len(c.copies))
	for _, fc := range c.copies {
		c.dst.staged = append(c.dst.staged, fc.to)
		g.Go(func() error {
			n, err := copyFile(gctx, c.src.table, fc.from, c.dst.table, fc.to)
			if err != nil {
				return err
			}
			if fc.data {
				mu.Lock()
				c.copiedFiles++
				c.copiedBytes += n
				mu.Unlock()
			}
			counter.add()
			return nil
		})
	}
	return g.Wait()
}

// copyFile streams one file from the source table's storage (or outside
// it) to the target's.
func copyFile(ctx context.Context, src *Table, from string, dst *Table, to string) (int64, error) {
	r, err := src.openDataFile(ctx, from)
	if err != nil {
		return 0, err
	}
	defer r.Close()
	w, err := dst.store.Create(ctx, to)
	if err != nil {
		return 0, fmt.Errorf("delta: clone: create %s: %w", to, err)
	}
	n, err := io.Copy(w, ctxReader{ctx: ctx, r: r})
	if err != nil {
		_ = w.Abort()
		return 0, fmt.Errorf("delta: clone: copy %s to %s: %w", from, to, err)
	}
	if err := w.Close(); err != nil {
		return 0, fmt.Errorf("delta: clone: write %s: %w", to, err)
	}
	return n, nil
}

// ctxReader stops a copy once ctx is done.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// loadDV returns the rows a deletion vector deletes. Its file is
// confined like data files (see openDataFile): vectors under an allowed
// root outside the table (a shallow clone's) are read from a store opened
// at their directory.
func (t *Table) loadDV(ctx context.Context, d *protocol.DeletionVector) (*roaring64.Bitmap, error) {
	if err := t.checkDVSize(d); err != nil {
		return nil, err
	}
	var p string
	switch d.StorageType {
	case dv.StorageUUID:
		rel, err := d.RelativePath()
		if err != nil {
			return nil, err
		}
		p = rel
	case dv.StorageAbsolute:
		abs, err := protocol.DecodePath(d.PathOrInlineDv)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", dv.ErrDescriptor, err)
		}
		p = abs
	default: // inline, or a storage type Load rejects
		return dvstore.Load(ctx, t.store, t.rootURL(), *d)
	}
	loc, err := t.locate(p)
	if err != nil {
		return nil, err
	}
	if !loc.outside {
		return dvstore.LoadAt(ctx, t.store, loc.rel, *d)
	}
	st, base, err := t.openOutside(ctx, p)
	if err != nil {
		return nil, err
	}
	defer st.Close()
	return dvstore.LoadAt(ctx, st, base, *d)
}

// checkDVSize enforces Limits.MaxDeletionVectorBytes before a deletion
// vector is read or decoded: on its declared size and, for an inline one,
// on the size its Z85 text decodes to (4 bytes per 5 characters).
func (t *Table) checkDVSize(d *protocol.DeletionVector) error {
	limit := t.opts.Limits.MaxDeletionVectorBytes
	size := int64(d.SizeInBytes)
	if d.StorageType == dv.StorageInline {
		size = max(size, int64(len(d.PathOrInlineDv))/5*4)
	}
	if !exceeds(size, limit) {
		return nil
	}
	file := d.PathOrInlineDv
	if d.StorageType == dv.StorageInline {
		file = "inline deletion vector"
	} else if rel, err := d.RelativePath(); err == nil && d.StorageType == dv.StorageUUID {
		file = rel
	}
	return &LimitError{File: file, What: "deletion vector", Size: size, Limit: limit, Option: "MaxDeletionVectorBytes"}
}
