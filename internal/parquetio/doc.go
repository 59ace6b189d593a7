// Package parquetio reads and writes the Parquet data files of a Delta
// table as Arrow record batches.
//
// Reading ([NewRecordReader]) streams one row group at a time and reads only
// the leaf columns the logical schema needs. File columns are matched to
// logical fields by name, by column-mapping physical name or by Parquet field
// id, recursively through structs, lists and maps; stored types are adapted
// to the logical Arrow types (timestamp units and INT96, integer, float and
// decimal widening, dictionary and large strings); rows named by a deletion
// vector are dropped.
//
// Writing ([WriteFile], [RollingWriter]) produces Spark-compatible Parquet and
// the per-file statistics Delta records in add.stats.
//
// Limits: INT96 timestamps are decoded here only for top-level columns;
// nested INT96 values go through pqarrow, which rejects instants outside
// 1677-2262. Files are trusted to be finite: a corrupt footer gives
// ErrCorruptFile, but a corrupt page can still make the decoder slow.
//
// Invariant I1: every batch a reader returns has exactly the schema given in
// ReadOptions.Schema (same fields, order, types and metadata), followed by
// the row index column when ReadOptions.RowIndexColumn asks for one.
// Invariant I2: row indexes in ReadOptions.Deleted are positions in the whole
// file, counted from zero across all row groups, whichever row groups are read.
package parquetio
