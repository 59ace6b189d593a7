package pipeline

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/lakehouse-go/lakehouse/delta"
	"github.com/lakehouse-go/lakehouse/quality"
	"github.com/lakehouse-go/lakehouse/stream"
)

// Options configure a pipeline. Warehouse is required; a nil *Options is
// not valid.
type Options struct {
	// Warehouse is the root under which every table lives, as
	// <catalog>/<schema>/<table>: a local directory or a bucket URL
	// (s3://bucket/prefix, with the driver imported by the program).
	// The pipeline's own state (stream offsets, file logs) lives in
	// <root>/_pipelines/<name>.
	Warehouse string
	// Catalog and Schema complete one- and two-part table names; default
	// "main" and "default".
	Catalog, Schema string
	// EventLog names the event log table; default
	// "<catalog>.<schema>.<pipeline name>_event_log".
	EventLog string
	// Table configures every table the pipeline opens (allocator, URL mux).
	Table *delta.Options
	// Allocator backs the batches the pipeline processes; default
	// memory.DefaultAllocator.
	Allocator memory.Allocator
	// Logger receives one record per table update; default slog.Default().
	Logger *slog.Logger
	// SpillDir holds each update's staged rows until it commits; default
	// os.TempDir().
	SpillDir string
}

// Table declares a dataset of the pipeline: its name and what the Delta
// table is created with, and the expectations its rows must meet.
type Table struct {
	// Name is "table", "schema.table" or "catalog.schema.table".
	Name string
	// Comment becomes the table's description.
	Comment string
	// Properties are table properties, such as "quality": "silver" or
	// Delta's own (delta.*).
	Properties map[string]string
	// PartitionBy names the partition columns.
	PartitionBy []string
	// ClusterBy names liquid clustering columns (instead of partitions):
	// the table is created CLUSTER BY them, and package optimize keeps it
	// clustered.
	ClusterBy []string
	// Expectations are checked on every row the definition produces, in
	// order; see package quality for the actions.
	Expectations []quality.Expectation
	// Quarantine, when set, names a table that receives the rows dropped
	// by Expectations, each with the names of the expectations it failed.
	Quarantine string
	// Keys, for a streaming table, deduplicate it on these columns: a row
	// whose key is already in the table, or earlier in the same update,
	// is dropped (as dropDuplicates does, without a watermark). The keys
	// of one update are held in memory.
	Keys []string
}

// Query computes a materialized view's rows when an update runs.
type Query func(ctx context.Context) (array.RecordReader, error)

type datasetKind int

const (
	streamingTable datasetKind = iota
	materializedView
)

func (k datasetKind) String() string {
	if k == streamingTable {
		return "streaming table"
	}
	return "materialized view"
}

// definition is one declared dataset.
type definition struct {
	Table
	name       tableName
	quarantine *tableName
	kind       datasetKind
	streamDef  func(r *Reader) (*stream.Pipeline, error)
	viewDef    func(r *Reader) (Query, error)
}

// Pipeline is a set of tables declared as Go functions reading each
// other. Declare the tables, then Run it; the order of declaration does
// not matter. A Pipeline is not safe for concurrent Runs.
type Pipeline struct {
	name  string
	o     Options
	defs  []*definition
	names map[string]*definition
	// testHook, set by tests only, is called at points of an update's
	// commit phase; an error it returns stops the update there, as a crash
	// would.
	testHook func(point, table string) error
}

func (p *Pipeline) hook(point, table string) error {
	if p.testHook == nil {
		return nil
	}
	return p.testHook(point, table)
}

// New returns an empty pipeline. The name identifies its state and event
// log: two pipelines of the same name and warehouse share them.
func New(name string, opts *Options) (*Pipeline, error) {
	if !namePart.MatchString(name) {
		return nil, fmt.Errorf("%w: pipeline name %q is not an identifier", ErrInvalidDefinition, name)
	}
	if opts == nil || opts.Warehouse == "" {
		return nil, fmt.Errorf("%w: Options.Warehouse is required", ErrInvalidDefinition)
	}
	o := *opts
	if o.Catalog == "" {
		o.Catalog = "main"
	}
	if o.Schema == "" {
		o.Schema = "default"
	}
	if o.EventLog == "" {
		o.EventLog = name + "_event_log"
	}
	if o.Allocator == nil {
		o.Allocator = memory.DefaultAllocator
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if _, err := parseName(o.EventLog, o.Catalog, o.Schema); err != nil {
		return nil, err
	}
	return &Pipeline{name: name, o: o, names: map[string]*definition{}}, nil
}

// StreamingTable declares a table fed incrementally: each update appends
// what define's stream produces from the input that arrived since the
// last update (files not seen yet, rows other pipeline tables appended).
// define is called when an update plans the graph; it reads its inputs
// with r.ReadStream or builds any stream.Source (stream.NewFilesSource for
// files landing in a directory).
func (p *Pipeline) StreamingTable(t Table, define func(r *Reader) (*stream.Pipeline, error)) error {
	if define == nil {
		return fmt.Errorf("%w: %s has no definition function", ErrInvalidDefinition, t.Name)
	}
	return p.add(&definition{Table: t, kind: streamingTable, streamDef: define})
}

// MaterializedView declares a table recomputed by each update in which
// one of its inputs changed (or when it does not exist yet). define reads
// its inputs with r.Read and returns the query computing its rows.
func (p *Pipeline) MaterializedView(t Table, define func(r *Reader) (Query, error)) error {
	if define == nil {
		return fmt.Errorf("%w: %s has no definition function", ErrInvalidDefinition, t.Name)
	}
	if len(t.Keys) > 0 {
		return fmt.Errorf("%w: %s: Keys apply to streaming tables; a materialized view's query decides its rows", ErrInvalidDefinition, t.Name)
	}
	return p.add(&definition{Table: t, kind: materializedView, viewDef: define})
}

func (p *Pipeline) add(d *definition) error {
	n, err := parseName(d.Name, p.o.Catalog, p.o.Schema)
	if err != nil {
		return err
	}
	d.name = n
	if len(d.PartitionBy) > 0 && len(d.ClusterBy) > 0 {
		return fmt.Errorf("%w: %s: a table is partitioned or clustered, not both", ErrInvalidDefinition, n)
	}
	if d.Quarantine != "" {
		q, err := parseName(d.Quarantine, p.o.Catalog, p.o.Schema)
		if err != nil {
			return err
		}
		d.quarantine = &q
	}
	for _, e := range d.Expectations {
		if e.Name == "" || e.Condition == "" {
			return fmt.Errorf("%w: %s has an expectation without a name or condition", ErrInvalidDefinition, n)
		}
	}
	if _, dup := p.names[n.String()]; dup {
		return fmt.Errorf("%w: %s is declared twice", ErrInvalidDefinition, n)
	}
	p.names[n.String()] = d
	p.defs = append(p.defs, d)
	return nil
}

// Tables returns the declared tables' full names in the order an update
// processes them (each after the tables it reads), or the graph's error.
func (p *Pipeline) Tables() ([]string, error) {
	g, err := p.plan(nil)
	if err != nil {
		return nil, err
	}
	out := make([]string, len(g.order))
	for i, n := range g.order {
		out[i] = n.def.name.String()
	}
	return out, nil
}

// node is a definition planned for one update: its function was called,
// and what it reads is known.
type node struct {
	def   *definition
	reads []*node
	pipe  *stream.Pipeline // streaming table
	query Query            // materialized view
	// upstream sources the definition created with ReadStream.
	upstreams []*tableSource
	// inputs the definition created with Read.
	inputs []*Input
}

// graph is an update's plan: the nodes in dependency order.
type graph struct {
	order []*node
	nodes map[string]*node
}

// plan calls every definition function and orders the tables so that
// each comes after those it reads. u, when not nil, is the update the
// sources and inputs will serve.
func (p *Pipeline) plan(u *update) (*graph, error) {
	g := &graph{nodes: map[string]*node{}}
	for _, d := range p.defs {
		g.nodes[d.name.String()] = &node{def: d}
	}
	deps := map[*node][]string{}
	for _, d := range p.defs {
		n := g.nodes[d.name.String()]
		r := &Reader{p: p, g: g, self: n, u: u}
		switch d.kind {
		case streamingTable:
			pipe, err := d.streamDef(r)
			if err == nil && pipe == nil {
				err = fmt.Errorf("%w: the definition returned no stream", ErrInvalidDefinition)
			}
			if err != nil {
				return nil, fmt.Errorf("pipeline: define %s: %w", d.name, err)
			}
			n.pipe = pipe
		case materializedView:
			q, err := d.viewDef(r)
			if err == nil && q == nil {
				err = fmt.Errorf("%w: the definition returned no query", ErrInvalidDefinition)
			}
			if err != nil {
				return nil, fmt.Errorf("pipeline: define %s: %w", d.name, err)
			}
			n.query = q
		}
		if r.err != nil {
			return nil, r.err
		}
		deps[n] = r.reads
	}
	// Depth-first topological order; declaration order breaks ties so
	// that updates are reproducible.
	const (
		unvisited = iota
		visiting
		done
	)
	state := map[*node]int{}
	var visit func(n *node, path []string) error
	visit = func(n *node, path []string) error {
		switch state[n] {
		case done:
			return nil
		case visiting:
			return fmt.Errorf("%w: tables read each other in a cycle: %s", ErrGraph, strings.Join(append(path, n.def.name.String()), " -> "))
		}
		state[n] = visiting
		for _, dep := range deps[n] {
			m := g.nodes[dep]
			if !slices.Contains(n.reads, m) {
				n.reads = append(n.reads, m)
			}
			if err := visit(m, append(path, n.def.name.String())); err != nil {
				return err
			}
		}
		state[n] = done
		g.order = append(g.order, n)
		return nil
	}
	for _, d := range p.defs {
		if err := visit(g.nodes[d.name.String()], nil); err != nil {
			return nil, err
		}
	}
	return g, nil
}

// Reader is given to a definition function: the tables it reads through
// it are its dependencies.
type Reader struct {
	p     *Pipeline
	g     *graph
	self  *node
	u     *update
	reads []string
	err   error
}

func (r *Reader) resolve(name string) (*node, bool) {
	n, err := parseName(name, r.p.o.Catalog, r.p.o.Schema)
	if err != nil {
		r.fail(err)
		return nil, false
	}
	m, ok := r.g.nodes[n.String()]
	if !ok {
		r.fail(fmt.Errorf("%w: %s reads %s, which the pipeline does not define", ErrGraph, r.self.def.name, n))
		return nil, false
	}
	if m == r.self {
		r.fail(fmt.Errorf("%w: %s reads itself", ErrGraph, n))
		return nil, false
	}
	if !slices.Contains(r.reads, n.String()) {
		r.reads = append(r.reads, n.String())
	}
	return m, true
}

func (r *Reader) fail(err error) {
	if r.err == nil {
		r.err = err
	}
}

// ReadStream returns a source of the rows another pipeline table appends:
// each update reads those appended since the reading table's last update,
// including the ones appended earlier in the same update. It is for
// streaming tables; the table read must be a streaming table too.
func (r *Reader) ReadStream(name string) stream.Source {
	src := &tableSource{r: r}
	m, ok := r.resolve(name)
	if ok && m.def.kind != streamingTable {
		r.fail(fmt.Errorf("%w: %s streams from %s, a materialized view (read it with Read)", ErrGraph, r.self.def.name, m.def.name))
	}
	if ok {
		src.up = m
		r.self.upstreams = append(r.self.upstreams, src)
	}
	return src
}

// Self returns the view's own table as its previous update left it, for
// a materialized view that updates its result incrementally from
// Input.Changes. Scan it only when Changes reported ok.
func (r *Reader) Self() *Input {
	return &Input{r: r, up: r.self, self: true}
}

// Read returns the current contents of another pipeline table for a
// materialized view's query: at run time Input.Scan reads the table as
// this update leaves it.
func (r *Reader) Read(name string) *Input {
	in := &Input{r: r}
	if m, ok := r.resolve(name); ok {
		in.up = m
		r.self.inputs = append(r.self.inputs, in)
	}
	return in
}
