package main

import (
	"fmt"

	"github.com/lakehouse-go/lakehouse/bench/internal/dmlwork"
)

// Engines. lakehouse is always first: the others' ratios are against it.
const (
	engLakehouse   = "lakehouse"
	engFloor       = "parquet floor" // plain Parquet through the same encoder and reader
	engDuckDB      = "duckdb"        // read_parquet over the same data files
	engDeltaRS     = "delta-rs"
	engLakehouseDV = "lakehouse, deletion vectors" // DML on the same table with delta.enableDeletionVectors
)

// Workload kinds: what a child does.
const (
	kindAppend   = "append"
	kindScan     = "scan"
	kindSnapshot = "snapshot"
	kindCommit   = "commit"
	kindCDF      = "cdf"
	kindDML      = "dml"
	kindCompact  = "compact"
)

// sizes are the data sizes of a run.
type sizes struct {
	Rows        int64 // issue 16's table: append and scans
	CDFRows     int64 // the change-feed table
	SnapCommits int   // the snapshot-load table's commits before its checkpoint
	SnapFiles   int   // files in its checkpoint
	DMLRows     int64 // the DML table (MERGE's source is 1 % of it)
	SmallFiles  int   // the compaction table's files
	SmallRows   int64 // and rows
}

// compactTarget is bench/optimize's target file size.
const compactTarget = 128 << 20

var (
	fullSizes  = sizes{Rows: 10_000_000, CDFRows: 1_000_000, SnapCommits: 100_000, SnapFiles: 1_000_000, DMLRows: 10_000_000, SmallFiles: 10_000, SmallRows: 5_000_000}
	quickSizes = sizes{Rows: 200_000, CDFRows: 50_000, SnapCommits: 1_000, SnapFiles: 10_000, DMLRows: 50_000, SmallFiles: 200, SmallRows: 20_000}
)

// workload is one row of issue 16's list.
type workload struct {
	Name    string // for -workloads
	Kind    string
	Filter  string // SQL predicate of a scan; empty for a full scan
	DML     string // the dmlwork workload of a DML one
	Title   string
	Engines []string
	// Uncounted engines do other work than the rest (the snapshot floor
	// reads the checkpoint, not the table), so their rows are not compared.
	Uncounted []string
}

// workloads lists every workload at the given sizes, in report order.
func workloads(s sizes) []workload {
	scanEngines := []string{engLakehouse, engFloor, engDuckDB, engDeltaRS}
	lo := s.Rows / 2
	ws := []workload{
		{Name: "append", Kind: kindAppend, Title: fmt.Sprintf("append %s rows in one commit (10 partitions)", thousands(s.Rows)),
			Engines: []string{engLakehouse, engFloor, engDeltaRS}},
		{Name: "scan-full", Kind: kindScan, Title: fmt.Sprintf("full scan of %s rows", thousands(s.Rows)), Engines: scanEngines},
		{Name: "scan-range", Kind: kindScan, Filter: fmt.Sprintf("id BETWEEN %d AND %d", lo, lo+100),
			Title: fmt.Sprintf("range on the sorted id: id BETWEEN %d AND %d", lo, lo+100), Engines: scanEngines},
		{Name: "scan-equality", Kind: kindScan, Filter: "label = 'label-0007' AND value > 0.5",
			Title: "equality on the dictionary label: label = 'label-0007' AND value > 0.5", Engines: scanEngines},
		{Name: "scan-unprunable", Kind: kindScan, Filter: "value * 2 > 1.999",
			Title: "a predicate no statistic prunes: value * 2 > 1.999", Engines: scanEngines},
		{Name: "snapshot", Kind: kindSnapshot,
			Title:   fmt.Sprintf("snapshot load and one pass over the files: %s commits, checkpoint of %s files", thousands(int64(s.SnapCommits)+10), thousands(int64(s.SnapFiles))),
			Engines: []string{engLakehouse, engFloor, engDeltaRS}, Uncounted: []string{engFloor}},
		{Name: "commit", Kind: kindCommit, Title: "commit latency: one blind append of one row to the snapshot table (loaded beforehand)",
			Engines: []string{engLakehouse, engDeltaRS}},
		{Name: "cdf", Kind: kindCDF, Title: fmt.Sprintf("change-data-feed read from version 0 (%s inserted rows)", thousands(s.CDFRows)),
			Engines: []string{engLakehouse, engDeltaRS}},
	}
	for _, d := range dmlwork.Workloads(s.DMLRows, s.DMLRows/100) {
		ws = append(ws, workload{Name: "dml-" + d.Name, Kind: kindDML, DML: d.Name,
			Title:   fmt.Sprintf("%s on %s rows (bench/dml's table; each run on a fresh copy)", d.What, thousands(s.DMLRows)),
			Engines: []string{engLakehouse, engLakehouseDV, engDeltaRS}})
	}
	ws = append(ws, workload{Name: "compact", Kind: kindCompact,
		Title: fmt.Sprintf("compaction of %s small files (%s rows) into 128 MiB files (bench/optimize's; each run on a fresh copy, no fsync)",
			thousands(int64(s.SmallFiles)), thousands(s.SmallRows)),
		Engines: []string{engLakehouse, engFloor, engDeltaRS}})
	return ws
}

// thousands prints n with comma separators.
func thousands(n int64) string {
	s := fmt.Sprint(n)
	if n < 0 {
		return "-" + thousands(-n)
	}
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
