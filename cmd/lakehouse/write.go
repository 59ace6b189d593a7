package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/lakehouse-go/lakehouse/delta"
	"github.com/lakehouse-go/lakehouse/delta/expr"
)

// writeCommands are the commands that change tables.
func writeCommands() []command {
	return []command{
		{"write", "append or overwrite rows read from stdin (creates the table if absent)", runWrite},
		{"create", "create an empty table from a schema file", runCreate},
		{"set-property", "set table properties (k=v …)", runSetProperty},
		{"checkpoint", "write a checkpoint of the latest version", runCheckpoint},
	}
}

// listFlag collects a comma-separated list.
func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// propertyFlags collects repeated --property k=v.
type propertyFlags map[string]string

func (p propertyFlags) String() string { return fmt.Sprint(map[string]string(p)) }

func (p propertyFlags) Set(s string) error {
	k, v, ok := strings.Cut(s, "=")
	if !ok || strings.TrimSpace(k) == "" {
		return fmt.Errorf("property %q: want key=value", s)
	}
	p[strings.TrimSpace(k)] = v
	return nil
}

func runWrite(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "write", "[--mode append|overwrite] [--partition-by a,b] [--format jsonl|csv|parquet] [--schema DDL] [--input FILE] TABLE < data")
	mode := fs.String("mode", "append", "append or overwrite")
	partitionBy := fs.String("partition-by", "", "partition columns when the table is created (comma-separated)")
	format := fs.String("format", "jsonl", "input format: jsonl, csv or parquet")
	replaceWhere := fs.String("replace-where", "", "with --mode overwrite: replace only rows matching this SQL predicate")
	mergeSchema := fs.Bool("merge-schema", false, "add input columns the table lacks")
	overwriteSchema := fs.Bool("overwrite-schema", false, "with --mode overwrite: replace the table schema")
	appID := fs.String("app-id", "", "idempotent writes: application id")
	appVersion := fs.Int64("app-version", 0, "idempotent writes: version (skipped if already written)")
	compression := fs.String("compression", "snappy", "parquet codec: snappy, snappy-fast (standard-mode snappy: less CPU, larger files), zstd, gzip or uncompressed")
	rowGroupRows := fs.Int64("row-group-rows", 0, "rows per Parquet row group of the files written (0: 131072)")
	input := fs.String("input", "-", "read rows from this file instead of stdin (-)")
	schemaText := fs.String("schema", "", "pin the input's schema instead of inferring it: a column list such as \"id bigint NOT NULL, day date, amount decimal(10,2), tags array<string>, addr struct<city:string,zip:int>, m map<string,double>\", or Delta schema JSON (jsonl and csv)")
	props := propertyFlags{}
	fs.Var(props, "property", "table property `k=v` when the table is created (repeatable)")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	url, err := oneTable(pos)
	if err != nil {
		return err
	}
	var m delta.WriteMode
	switch *mode {
	case "append":
		m = delta.Append
	case "overwrite":
		m = delta.Overwrite
	default:
		return usagef("--mode %q: use append or overwrite", *mode)
	}
	if *replaceWhere != "" {
		// Checked before stdin is read; the table checks the columns.
		if _, err := expr.Parse(*replaceWhere); err != nil {
			return exprError("--replace-where", *replaceWhere, err)
		}
	}
	var pinned *arrow.Schema
	if *schemaText != "" {
		if pinned, err = parseSchemaFlag(*schemaText); err != nil {
			return usagef("--schema: %v", err)
		}
	}
	// Input is streamed: read batch by batch as the write consumes it.
	in := e.stdin
	if *input != "-" {
		f, err := os.Open(*input)
		if err != nil {
			return fmt.Errorf("--input: %w", err)
		}
		defer f.Close()
		in = f
	}
	// On a terminal, a bar counts the rows and bytes read as the write
	// consumes them.
	bar := newWriteProgress(e)
	defer bar.finish()
	in = bar.countBytes(in)
	mem := memory.DefaultAllocator
	// Mode stays unset: writeInto picks Table.Append or Table.Overwrite,
	// and creating a table takes no mode.
	opts := &delta.TxnOptions{
		ReplaceWhere: *replaceWhere, MergeSchema: *mergeSchema, OverwriteSchema: *overwriteSchema,
		PartitionBy: splitList(*partitionBy), AppID: *appID, AppVersion: *appVersion, Compression: *compression,
		RowGroupRows: *rowGroupRows,
	}

	tbl, err := delta.Open(ctx, url, fs.tableOptions())
	if errors.Is(err, delta.ErrNotATable) {
		rr, err := readInput(ctx, in, *format, pinned, pinned != nil, mem)
		if errors.Is(err, errNoInput) {
			return fmt.Errorf("no rows on stdin to create %s from: pipe rows in (--format %s), or make an empty table with 'lakehouse create'", url, *format)
		}
		if err != nil {
			return err
		}
		defer rr.Release()
		created, res, err := delta.CreateAsSelect(ctx, url, bar.countRows(rr), &delta.CreateOptions{
			PartitionBy: splitList(*partitionBy), Properties: props, Txn: opts,
		})
		if err != nil {
			return err
		}
		defer created.Close()
		bar.finish()
		return printResult(e, res)
	}
	if err != nil {
		return explainOpen(url, err)
	}
	defer tbl.Close()
	snap, err := tbl.Snapshot(ctx)
	if err != nil {
		return err
	}
	schema := snap.Schema()
	if *mergeSchema || *overwriteSchema {
		schema = nil // infer, so new columns come through
	}
	if pinned != nil {
		// The table checks the pinned schema against its own on write.
		schema = pinned
	}
	rr, err := readInput(ctx, in, *format, schema, pinned != nil, mem)
	if err != nil {
		return err
	}
	defer rr.Release()
	res, err := writeInto(ctx, tbl, bar.countRows(rr), m, opts)
	if err != nil {
		return err
	}
	bar.finish()
	return printResult(e, res)
}

func writeInto(ctx context.Context, tbl *delta.Table, rr array.RecordReader, m delta.WriteMode, opts *delta.TxnOptions) (*delta.CommitResult, error) {
	if m == delta.Overwrite {
		return tbl.Overwrite(ctx, rr, opts)
	}
	return tbl.Append(ctx, rr, opts)
}

// printResult writes one JSON line describing the commit, with the
// protocol versions when the commit wrote a protocol.
func printResult(e *env, res *delta.CommitResult) error {
	out := map[string]any{"version": res.Version, "operation": res.Operation}
	if res.Skipped {
		out["skipped"] = true
	}
	for k, v := range res.Metrics {
		out[k] = v
	}
	if p := res.Protocol; p != nil {
		// The commit wrote a protocol (a new table, or an upgrade): say
		// which readers and writers the table now needs.
		out["minReaderVersion"], out["minWriterVersion"] = p.MinReaderVersion, p.MinWriterVersion
		if len(p.ReaderFeatures) > 0 {
			out["readerFeatures"] = p.ReaderFeatures
		}
	}
	if res.CheckpointErr != nil {
		out["checkpointError"] = res.CheckpointErr.Error()
	}
	enc := json.NewEncoder(e.stdout)
	enc.SetEscapeHTML(false)
	return enc.Encode(out)
}
