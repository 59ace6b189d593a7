package stream

import (
	"context"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"gocloud.dev/blob"

	"github.com/lakehouse-go/lakehouse/internal/storage"
)

// The functions in this file let a program drive a Pipeline's source and
// transformations itself, with its own commit protocol, instead of
// through Start and a Sink: package quality/pipeline stages every table's
// batch of an update before committing any of them.

// Source returns the source the pipeline reads.
func (p *Pipeline) Source() Source { return p.src }

// Err returns the first mistake made while building the pipeline (a
// Select or Filter text that does not parse), or nil.
func (p *Pipeline) Err() error { return p.err }

// Apply runs the pipeline's transformations on one batch. in is not
// released; the result, nil when every row was dropped, is the caller's.
// A pipeline with stateful steps (DropDuplicates, windows) keeps state
// between batches that only a Query checkpoints, so Apply refuses it.
func (p *Pipeline) Apply(ctx context.Context, in arrow.RecordBatch, mem memory.Allocator) (arrow.RecordBatch, error) {
	if p.err != nil {
		return nil, p.err
	}
	for _, s := range p.steps {
		if _, ok := s.(statefulStep); ok {
			return nil, fmt.Errorf("%w: Apply runs stateless transformations only; run a pipeline with stateful steps as a Query", ErrInvalidArgument)
		}
	}
	if mem == nil {
		mem = memory.DefaultAllocator
	}
	in.Retain()
	return p.run(ctx, in, mem)
}

// MetaDirOptions configure OpenMetaDir. A nil *MetaDirOptions opens local
// paths, mem:// and the URLs of drivers registered with the default mux.
type MetaDirOptions struct {
	// Bucket, when set, holds the directory under the key prefix given
	// as the URL. The caller keeps ownership.
	Bucket *blob.Bucket
	// URLMux resolves bucket URLs; default blob.DefaultURLMux().
	URLMux *blob.URLMux
}

// OpenMetaDir opens a directory for a source's own files outside a
// Query's checkpoint, for programs that open sources themselves (a
// Source's Open needs one in SourceEnv.Meta). Close it when done.
func OpenMetaDir(ctx context.Context, url string, opts *MetaDirOptions) (*MetaDir, error) {
	var o MetaDirOptions
	if opts != nil {
		o = *opts
	}
	if o.Bucket != nil {
		return &MetaDir{store: storage.NewBlobStore(o.Bucket, url)}, nil
	}
	st, err := storage.Open(ctx, url, &storage.OpenOptions{URLMux: o.URLMux})
	if err != nil {
		return nil, fmt.Errorf("stream: open %s: %w", url, err)
	}
	return &MetaDir{store: st, owned: true}, nil
}

// Close releases the store of a MetaDir that OpenMetaDir opened; on other
// MetaDirs it does nothing.
func (d *MetaDir) Close() error {
	if d.owned {
		d.owned = false
		return d.store.Close()
	}
	return nil
}
