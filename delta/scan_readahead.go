package delta

import (
	"context"
	"errors"
	"sort"
	"sync"

	"github.com/RoaringBitmap/roaring/v2/roaring64"

	"github.com/lakehouse-go/lakehouse/internal/parquetio"
	"github.com/lakehouse-go/lakehouse/internal/protocol"
	"github.com/lakehouse-go/lakehouse/internal/storage"
)

// readAheadBytes sizes the column-chunk bytes a scan holds fetched ahead
// of decoding: each file read ahead may hold readAheadBytes /
// IOConcurrency. At most IOConcurrency+1 files wait ahead and
// ScanOptions.Parallelism more are being decoded, so a scan holds about
// readAheadBytes × (1 + (Parallelism+1)/IOConcurrency) at most. Chunks
// past a file's share are read when the decoder reaches them, as without
// read-ahead.
const readAheadBytes = 64 << 20

// wholeFileBytes is the size up to which a file read ahead is fetched
// whole, with one request, rather than footer first and then its column
// chunks: on an object store a request for 1 MiB takes little longer than
// one for 64 KiB, and the footer's round trip is saved. A scan of a few
// columns of such a file reads bytes it does not need.
// (A variable so tests can turn it off and read small files chunk by
// chunk.)
var wholeFileBytes int64 = 1 << 20

// readAhead opens the files of a scan ahead of the decoder, on an object
// store where each request costs a round trip: it fetches each file's
// footer and then the column chunks the scan will decode (and its
// deletion vector), at most n
// requests at once across files and at most n files ahead, while earlier
// files are decoded. The decoder takes each file's reader in file order
// (next, then take); what it never takes is closed by stop, which the
// scan reader calls when it is released.
type readAhead struct {
	t      *Table
	plan   *scanPlan
	ctx    context.Context
	cancel context.CancelFunc
	slots  chan struct{} // one per request in flight
	share  int64         // chunk bytes one file may hold
	order  chan *aheadFile
	wg     sync.WaitGroup

	mu      sync.Mutex
	waiting map[string][]*aheadFile // handed out by next, not yet taken
	stopped bool
}

// aheadFile is one file being read ahead.
type aheadFile struct {
	add   *protocol.Add
	err   error         // from the file iterator
	ready chan struct{} // closed when r or openErr is set
	r     *aheadReader
	// openErr is a failure to open the file or read its footer; the
	// decoder then opens the file itself, so errors read as without
	// read-ahead.
	openErr error
	// The file's deletion vector, loaded beside the file when it has
	// one; dvDone closes when deleted and dvErr are set.
	deleted *roaring64.Bitmap
	dvErr   error
	dvDone  chan struct{}
}

// useReadAhead reports whether scans of t read files ahead: on stores
// where a read is a request (not local disk), with IOConcurrency above 1.
func (t *Table) useReadAhead() bool {
	return t.opts.ioConcurrency() > 1 && !storage.IsLocal(t.store)
}

// startReadAhead starts reading the files next yields ahead; its next
// replaces next for the scan reader, and its stop calls stop.
func (s *Snapshot) startReadAhead(ctx context.Context, p *scanPlan, next func() (*protocol.Add, error, bool), stop func()) *readAhead {
	n := s.table.opts.ioConcurrency()
	ctx, cancel := context.WithCancel(ctx)
	ra := &readAhead{t: s.table, plan: p, ctx: ctx, cancel: cancel, slots: make(chan struct{}, n),
		share: readAheadBytes / int64(n), order: make(chan *aheadFile, n), waiting: map[string][]*aheadFile{}}
	ra.wg.Add(1)
	go func() {
		defer ra.wg.Done()
		defer close(ra.order)
		defer stop()
		for ctx.Err() == nil {
			f, err, ok := next()
			if !ok {
				return
			}
			af := &aheadFile{add: f, err: err, ready: make(chan struct{}), dvDone: make(chan struct{})}
			if err != nil || f.DeletionVector == nil {
				close(af.dvDone)
			} else {
				ra.wg.Add(1)
				go func() {
					defer ra.wg.Done()
					defer close(af.dvDone)
					if !ra.request(func() { af.deleted, af.dvErr = s.table.deletedRows(ctx, f.Path, f.DeletionVector) }) {
						af.dvErr = ctx.Err()
					}
				}()
			}
			if err != nil {
				close(af.ready)
			} else {
				ra.wg.Add(1)
				go func() {
					defer ra.wg.Done()
					s.fetchAhead(ra, af)
				}()
			}
			select {
			case ra.order <- af:
			case <-ctx.Done():
				ra.discard(af)
				return
			}
			if err != nil {
				return
			}
		}
	}()
	return ra
}

// request runs one storage request in a slot; false when the scan ended.
func (ra *readAhead) request(fn func()) bool {
	select {
	case ra.slots <- struct{}{}:
	case <-ra.ctx.Done():
		return false
	}
	defer func() { <-ra.slots }()
	fn()
	return true
}

// fetchAhead opens af's file, reads its footer and starts the fetches of
// its column chunks; af is ready once the footer is read.
func (s *Snapshot) fetchAhead(ra *readAhead, af *aheadFile) {
	var (
		r   storage.ReaderAt
		pf  *parquetio.File
		err error
	)
	ok := ra.request(func() { r, err = ra.t.openDataFileSized(ra.ctx, af.add.Path, af.add.Size) })
	if ok && err == nil && r.Size() <= min(wholeFileBytes, ra.share) {
		if ar := ra.fetchWhole(r); ar != nil {
			af.r = ar
			close(af.ready)
			return
		}
	}
	if ok && err == nil {
		// The footer read goes through the store's tail cache, which the
		// decoder's own footer read then hits.
		ok = ra.request(func() { pf, err = parquetio.OpenFile(r, ra.plan.mem) })
	}
	if !ok || err != nil {
		if r != nil {
			_ = r.Close()
		}
		if err == nil {
			err = ra.ctx.Err()
		}
		af.openErr = err
		close(af.ready)
		return
	}
	ar := &aheadReader{ReaderAt: r}
	if ranges, err := pf.ChunkRanges(&parquetio.ReadOptions{Schema: ra.plan.dataRead, ColumnMapping: s.mapping}); err == nil {
		var held int64
		for _, br := range ranges {
			if br.Len <= 0 || held+br.Len > ra.share {
				break
			}
			held += br.Len
			ar.ranges = append(ar.ranges, &aheadRange{off: br.Off, n: br.Len, data: make([]byte, br.Len), done: make(chan struct{})})
		}
		sort.Slice(ar.ranges, func(i, j int) bool { return ar.ranges[i].off < ar.ranges[j].off })
	}
	af.r = ar
	close(af.ready)
	var wg sync.WaitGroup
	for _, rg := range ar.ranges {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer close(rg.done)
			if !ra.request(func() { _, rg.err = r.ReadAt(rg.data, rg.off) }) {
				rg.err = ra.ctx.Err()
			}
			if rg.err != nil {
				rg.data = nil
			}
		}()
	}
	wg.Wait()
}

// fetchWhole reads all of a small file with one request, footer
// included, and checks that it parses; nil if not, and the caller reads
// it the usual way.
func (ra *readAhead) fetchWhole(r storage.ReaderAt) *aheadReader {
	whole := &aheadRange{n: r.Size(), data: make([]byte, r.Size()), done: make(chan struct{})}
	var err error
	ok := ra.request(func() { _, err = r.ReadAt(whole.data, 0) })
	close(whole.done)
	if !ok || err != nil {
		return nil
	}
	ar := &aheadReader{ReaderAt: r, ranges: []*aheadRange{whole}}
	if _, err := parquetio.OpenFile(ar, ra.plan.mem); err != nil {
		return nil
	}
	return ar
}

// next hands the decoder the next file in order and keeps its read-ahead
// for take.
func (ra *readAhead) next() (*protocol.Add, error, bool) {
	af, ok := <-ra.order
	if !ok {
		return nil, nil, false
	}
	if af.err != nil {
		return nil, af.err, true
	}
	ra.mu.Lock()
	if ra.stopped {
		ra.mu.Unlock()
		ra.discard(af)
		return nil, ra.ctx.Err(), true
	}
	ra.waiting[af.add.Path] = append(ra.waiting[af.add.Path], af)
	ra.mu.Unlock()
	return af.add, nil, true
}

// take returns the reader read ahead for path, or ok false when there is
// none (or it could not be opened): the caller opens the file itself.
func (ra *readAhead) take(path string) (storage.ReaderAt, bool) {
	ra.mu.Lock()
	q := ra.waiting[path]
	if len(q) == 0 {
		ra.mu.Unlock()
		return nil, false
	}
	af := q[0]
	if len(q) == 1 {
		delete(ra.waiting, path)
	} else {
		ra.waiting[path] = q[1:]
	}
	ra.mu.Unlock()
	<-af.ready
	if af.openErr != nil {
		return nil, false
	}
	return af.r, true
}

// deletedRows returns the deletion vector loaded ahead for f, the next
// file to be taken for its path, or ok false when there is none: the
// caller loads it itself.
func (ra *readAhead) deletedRows(f *protocol.Add) (_ *roaring64.Bitmap, _ error, ok bool) {
	ra.mu.Lock()
	q := ra.waiting[f.Path]
	ra.mu.Unlock()
	if len(q) == 0 || q[0].add != f {
		return nil, nil, false
	}
	af := q[0]
	<-af.dvDone
	if errors.Is(af.dvErr, context.Canceled) {
		return nil, nil, false
	}
	return af.deleted, af.dvErr, true
}

// discard closes a file that will never be taken, once its fetches end.
func (ra *readAhead) discard(af *aheadFile) {
	<-af.dvDone
	<-af.ready
	if af.r != nil {
		for _, rg := range af.r.ranges {
			<-rg.done
		}
		_ = af.r.Close()
	}
}

// stop ends the read-ahead: running requests are cancelled, and files the
// decoder did not take are closed.
func (ra *readAhead) stop() {
	ra.cancel()
	ra.mu.Lock()
	ra.stopped = true
	left := ra.waiting
	ra.waiting = nil
	ra.mu.Unlock()
	for af := range ra.order { // unblocks the feeding goroutine
		ra.discard(af)
	}
	ra.wg.Wait()
	for _, q := range left {
		for _, af := range q {
			ra.discard(af)
		}
	}
}

// aheadReader serves reads of the column chunks fetched ahead from
// memory and passes every other read to the file's own reader.
type aheadReader struct {
	storage.ReaderAt
	ranges []*aheadRange // sorted by off, disjoint
}

// aheadRange is one chunk being fetched; data and err are set before
// done closes.
type aheadRange struct {
	off  int64
	n    int64  // bytes asked for
	data []byte // nil if the fetch failed
	err  error
	done chan struct{}
}

func (r *aheadReader) ReadAt(p []byte, off int64) (int, error) {
	i := sort.Search(len(r.ranges), func(i int) bool { return r.ranges[i].off > off }) - 1
	if i < 0 {
		return r.ReaderAt.ReadAt(p, off)
	}
	rg := r.ranges[i]
	if off >= rg.off+rg.n {
		return r.ReaderAt.ReadAt(p, off) // between or after the chunks: the footer
	}
	<-rg.done
	if rg.data == nil {
		return r.ReaderAt.ReadAt(p, off) // not fetched ahead, or the fetch failed: read (and fail) as usual
	}
	n := copy(p, rg.data[off-rg.off:])
	if n == len(p) {
		return n, nil
	}
	m, err := r.ReaderAt.ReadAt(p[n:], off+int64(n))
	return n + m, err
}

// scanDeletedRows loads the rows f's deletion vector removes, as
// Table.deletedRows does: from the read-ahead when the scan has one.
func (p *scanPlan) scanDeletedRows(ctx context.Context, t *Table, f *protocol.Add) (*roaring64.Bitmap, error) {
	if p.ahead != nil && f.DeletionVector != nil {
		if bm, err, ok := p.ahead.deletedRows(f); ok {
			return bm, err
		}
	}
	return t.deletedRows(ctx, f.Path, f.DeletionVector)
}

// openScanFile opens a data file for a scan: the read-ahead's reader when
// the scan has one for it.
func (p *scanPlan) openScanFile(ctx context.Context, t *Table, path string) (storage.ReaderAt, error) {
	if p.ahead != nil {
		if r, ok := p.ahead.take(path); ok {
			return r, nil
		}
	}
	return t.openDataFile(ctx, path)
}

// openDataFileSized is openDataFile for a file of the table whose size
// the log records: the read-ahead opens it without a request for its
// size. A wrong size fails the footer read, and the decoder then opens
// the file itself (see aheadFile.openErr).
func (t *Table) openDataFileSized(ctx context.Context, p string, size int64) (storage.ReaderAt, error) {
	loc, err := t.locate(p)
	if err != nil || loc.outside {
		return t.openDataFile(ctx, p)
	}
	r, err := storage.OpenSized(ctx, t.store, loc.rel, size)
	if err != nil {
		return nil, dataFileErr(p, err)
	}
	return r, nil
}
