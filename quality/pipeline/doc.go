// Package pipeline runs declarative bronze → silver → gold pipelines on
// Delta tables, as Delta Live Tables does on Databricks: tables are
// declared as Go functions that read other tables of the pipeline, the
// dependency graph comes from those reads, and one Run updates every table
// in order, checking each table's expectations (package quality).
//
//	p, _ := pipeline.New("sales", &pipeline.Options{Warehouse: "./warehouse"})
//	p.StreamingTable(pipeline.Table{Name: "bronze.orders"}, func(r *pipeline.Reader) (*stream.Pipeline, error) {
//		return stream.From(stream.NewFilesSource("./landing", &stream.FilesSourceOptions{Format: "json"})), nil
//	})
//	p.StreamingTable(pipeline.Table{
//		Name:         "silver.orders",
//		Expectations: []quality.Expectation{quality.Drop("valid_amount", "amount >= 0")},
//		Keys:         []string{"order_id"},
//	}, func(r *pipeline.Reader) (*stream.Pipeline, error) {
//		return stream.From(r.ReadStream("bronze.orders")).Select("order_id", "amount"), nil
//	})
//	update, err := p.Run(ctx, nil)
//
// # Datasets
//
// A streaming table (StreamingTable) is fed incrementally: its definition
// returns a stream.Pipeline whose source is any stream.Source — files
// landing in a directory (stream.NewFilesSource, Auto Loader's behaviour),
// a Delta table, or another pipeline table through Reader.ReadStream — and
// each update appends what arrived since the last one. Keys deduplicate
// it. A materialized view (MaterializedView) is recomputed by a query
// over Reader.Read inputs in each update where an input changed; where the
// inputs only appended since its last update, Input.Changes gives just
// the new rows (from the change data feed and the update's staged rows)
// and Reader.Self the previous result, so the query can update its result
// instead of reading every input row again (TableUpdate.Incremental).
//
// Names are catalog.schema.table (one- and two-part names take
// Options.Catalog and Options.Schema), and each table lives at
// <Warehouse>/<catalog>/<schema>/<table>, a local directory or a bucket
// URL. Comments, properties (such as "quality": "silver") and partition
// columns go to the Delta tables; streaming tables have the change data
// feed on, since the tables downstream read their appends through it.
//
// # Updates
//
// An update computes every table's new rows first, staged in spill files
// under Options.SpillDir, and commits only when every table's rows are
// known: a quality.Fail expectation that trips, or any error before the
// commits, leaves every table as it was and adds only an error event to
// the event log. Then the tables commit in dependency order, each in one
// Delta commit that carries the pipeline's transaction id (appId
// "lakehouse-pipeline/<pipeline>/<table>", version the update's number),
// after recording under <Warehouse>/_pipelines/<name> what it read. A
// crash between commits leaves each table either with its whole batch or
// without it; the next Run commits the missing ones with exactly the input
// they had read, and Delta's idempotent transactions make a repeated
// commit a no-op.
//
// Each update appends create_update, flow_progress (with
// data_quality.expectations: name, dataset, passed_records,
// failed_records) and update_progress events to the event log, a Delta
// table with the columns of DLT's event log (quality.EventLog). Rows a
// Drop expectation removes go, when Table.Quarantine names a table, to
// that table with the names of the expectations each failed.
//
// RunOptions.FullRefresh rebuilds tables from scratch: a streaming
// table's source starts over (a files source lists every file again).
// RunOptions.DryRun plans the graph, calls every definition and binds the
// expectations to the existing tables' schemas without writing anything.
package pipeline
