package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/lakehouse-go/lakehouse/delta"
	"github.com/lakehouse-go/lakehouse/delta/expr"
)

const mergeSynopsis = "--source FILE|TABLE|- --on COND [--source-format parquet|jsonl|csv] [--source-version N] " +
	"[--target-alias t] [--source-alias s] CLAUSE… [--merge-schema] [--max-memory BYTES] TABLE\n" +
	"CLAUSE is one of (repeatable; clauses of one kind apply in the order given, the first whose condition holds wins):\n" +
	"  --matched-update '[AND cond] SET col = expr, …'\n" +
	"  --matched-update-all[='AND cond']\n" +
	"  --matched-delete[='AND cond']\n" +
	"  --not-matched-insert '[AND cond] (col, …) VALUES (expr, …)'\n" +
	"  --not-matched-insert-all[='AND cond']\n" +
	"  --not-matched-by-source-update '[AND cond] SET col = expr, …'\n" +
	"  --not-matched-by-source-delete[='AND cond']\n" +
	"example: lakehouse merge --source changes.jsonl --on 't.id = s.id' --matched-delete=\"AND s.op = 'd'\" " +
	"--matched-update-all --not-matched-insert-all --target-alias t --source-alias s TABLE"

// mergeUsage is a mistake in the merge command line.
func mergeUsage(format string, args ...any) error {
	return usagef(format, args...)
}

func runMerge(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "merge", mergeSynopsis)
	source := fs.String("source", "", "`FILE|TABLE|-`: the rows to merge, a Parquet, JSON-lines or CSV file, a Delta table (path or URL), or - for stdin")
	sourceFormat := fs.String("source-format", "", "`FORMAT` of a file or stdin source, parquet, jsonl or csv (default: from the file extension; jsonl for stdin)")
	sourceVersion := fs.Int64("source-version", -1, "with a Delta table source: read its version `N`")
	on := fs.String("on", "", "`COND`: the condition joining source rows to target rows, e.g. 'target.id = source.id' (required)")
	targetAlias := fs.String("target-alias", "target", "`NAME` that qualifies target columns in expressions")
	sourceAlias := fs.String("source-alias", "source", "`NAME` that qualifies source columns in expressions")
	mergeSchema := fs.Bool("merge-schema", false, "let --matched-update-all and --not-matched-insert-all add the source's extra columns to the table")
	maxMemory := fs.String("max-memory", "", "`BYTES`: source rows held in memory before spilling to disk, e.g. 268435456 or 256MiB (default 256MiB)")
	clauses := &clauseList{}
	for _, spec := range clauseFlagSpecs {
		fs.Var(&clauseFlag{list: clauses, name: spec.name, kind: spec.kind, isBool: spec.isSwitch}, spec.name, spec.usage)
	}
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	for _, p := range pos {
		if _, ok := cutLeadingWord(strings.TrimSpace(p), "AND"); ok {
			return mergeUsage("%q looks like a clause condition: attach it to its flag with '=', e.g. --matched-delete='%s'", p, p)
		}
	}
	url, err := oneTable(pos)
	if err != nil {
		return err
	}
	if *source == "" {
		return mergeUsage("--source is required")
	}
	if strings.TrimSpace(*on) == "" {
		return mergeUsage("--on is required")
	}
	cond, err := expr.Parse(*on)
	if err != nil {
		return mergeUsage("--on: %w", err)
	}
	if len(clauses.clauses) == 0 {
		return mergeUsage("give at least one clause flag (--matched-update, --not-matched-insert-all, …)")
	}
	opts := &delta.MergeOptions{TargetAlias: *targetAlias, SourceAlias: *sourceAlias, MergeSchema: *mergeSchema}
	if *maxMemory != "" {
		n, err := parseBytes(*maxMemory)
		if err != nil {
			return mergeUsage("--max-memory: %w", err)
		}
		opts.MaxMemory = n
	}
	if err := clauses.mergeClauses(*targetAlias, opts); err != nil {
		return err
	}
	src, err := classifySource(*source, *sourceFormat, *sourceVersion)
	if src != nil {
		src.opts = fs.tableOptions()
	}
	if err != nil {
		return err
	}

	tbl, err := openTable(ctx, url, fs.tableOptions())
	if err != nil {
		return err
	}
	defer tbl.Close()
	snap, err := tbl.Snapshot(ctx)
	if err != nil {
		return err
	}
	rr, closeSrc, err := src.open(ctx, e, snap.Schema(), memory.DefaultAllocator)
	if err != nil {
		return err
	}
	defer closeSrc()
	progress, done := newProgress(e)
	opts.Progress = progress
	res, err := tbl.Merge(ctx, rr, cond, opts)
	done()
	if err != nil {
		return err
	}
	return printResult(e, res)
}

// mergeSource is where the source rows come from.
type mergeSource struct {
	arg     string
	table   bool           // a Delta table (path or URL)
	format  string         // file or stdin format
	version int64          // table version; -1 for the latest
	opts    *delta.Options // for a table: --allow-root
}

// classifySource decides what --source names: "-" is stdin; a URL or a
// directory holding _delta_log is a Delta table; any other path is a data
// file whose format is --source-format or its extension.
func classifySource(arg, format string, version int64) (*mergeSource, error) {
	src := &mergeSource{arg: arg, format: format, version: version}
	switch {
	case arg == "-":
	case strings.Contains(arg, "://"):
		src.table = true
	default:
		st, err := os.Stat(arg)
		if err != nil {
			return nil, fmt.Errorf("--source: %w", err)
		}
		if st.IsDir() {
			if _, err := os.Stat(filepath.Join(arg, "_delta_log")); err != nil {
				return nil, mergeUsage("--source %s is a directory without _delta_log: give a Delta table or a data file", arg)
			}
			src.table = true
		}
	}
	if src.table {
		if format != "" {
			return nil, mergeUsage("--source-format applies to a file or stdin source; %s is a Delta table", arg)
		}
		return src, nil
	}
	if version >= 0 {
		return nil, mergeUsage("--source-version applies to a Delta table source; %s is a data file", arg)
	}
	if src.format == "" {
		src.format = formatOfPath(arg)
		if src.format == "" {
			return nil, mergeUsage("--source %s: cannot tell its format from the extension; give --source-format parquet, jsonl or csv", arg)
		}
	}
	switch src.format {
	case "parquet", "jsonl", "json", "ndjson", "csv":
	default:
		return nil, mergeUsage("--source-format %q: use parquet, jsonl or csv", src.format)
	}
	return src, nil
}

// formatOfPath guesses a data file's format from its extension; stdin
// defaults to JSON lines as `lakehouse write` does.
func formatOfPath(p string) string {
	if p == "-" {
		return "jsonl"
	}
	switch strings.ToLower(filepath.Ext(p)) {
	case ".parquet":
		return "parquet"
	case ".jsonl", ".json", ".ndjson":
		return "jsonl"
	case ".csv":
		return "csv"
	}
	return ""
}

// open returns the source rows and what to call when done with them.
func (s *mergeSource) open(ctx context.Context, e *env, target *arrow.Schema, mem memory.Allocator) (array.RecordReader, func(), error) {
	if s.table {
		tbl, err := delta.Open(ctx, s.arg, s.opts)
		if err != nil {
			return nil, nil, fmt.Errorf("--source: %w", err)
		}
		var snap *delta.Snapshot
		if s.version >= 0 {
			snap, err = tbl.SnapshotAt(ctx, s.version)
		} else {
			snap, err = tbl.Snapshot(ctx)
		}
		if err == nil {
			var rr array.RecordReader
			if rr, err = snap.Scan(ctx, nil); err == nil {
				return rr, func() { rr.Release(); _ = tbl.Close() }, nil
			}
		}
		_ = tbl.Close()
		return nil, nil, fmt.Errorf("--source: %w", err)
	}
	var data []byte
	var err error
	if s.arg == "-" {
		data, err = io.ReadAll(e.stdin)
	} else {
		data, err = os.ReadFile(s.arg)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("--source: %w", err)
	}
	schema, err := sourceSchema(ctx, data, s.format, target, mem)
	if err != nil {
		return nil, nil, err
	}
	rr, err := readInput(ctx, bytes.NewReader(data), s.format, schema, false, mem)
	if err != nil {
		return nil, nil, err
	}
	return rr, rr.Release, nil
}

// sourceSchema is the schema a JSON-lines or CSV source is read with: the
// inferred one, with the target's type for every column the target also
// has, so `t.x = s.x` compares like types and a number read as a long can
// land in an int column. Parquet carries its own types (nil).
func sourceSchema(ctx context.Context, data []byte, format string, target *arrow.Schema, mem memory.Allocator) (*arrow.Schema, error) {
	if format == "parquet" {
		return nil, nil
	}
	rr, err := readInput(ctx, bytes.NewReader(data), format, nil, false, mem)
	if err != nil {
		return nil, err
	}
	inferred := rr.Schema()
	rr.Release()
	fields := make([]arrow.Field, inferred.NumFields())
	for i, f := range inferred.Fields() {
		fields[i] = f
		for _, tf := range target.Fields() {
			if strings.EqualFold(tf.Name, f.Name) {
				fields[i].Type = tf.Type
			}
		}
	}
	return arrow.NewSchema(fields, nil), nil
}

// parseBytes reads a byte count: digits with an optional K, M or G
// suffix (powers of 1024; KiB, MB and the like are accepted too).
func parseBytes(s string) (int64, error) {
	t := strings.ToUpper(strings.TrimSpace(s))
	mult := int64(1)
	for _, u := range []struct {
		suffix string
		mult   int64
	}{{"G", 1 << 30}, {"M", 1 << 20}, {"K", 1 << 10}} {
		for _, form := range []string{u.suffix + "IB", u.suffix + "B", u.suffix} {
			if strings.HasSuffix(t, form) {
				t, mult = strings.TrimSpace(strings.TrimSuffix(t, form)), u.mult
				break
			}
		}
		if mult != 1 {
			break
		}
	}
	t = strings.TrimSuffix(t, "B")
	n, err := strconv.ParseInt(t, 10, 64)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("%q is not a positive byte count (e.g. 268435456 or 256MiB)", s)
	}
	if n > (1<<62)/mult {
		return 0, errors.New("byte count too large")
	}
	return n * mult, nil
}
