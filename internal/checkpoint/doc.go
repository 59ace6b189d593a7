// Package checkpoint reads and writes Delta checkpoints: classic and
// multi-part parquet checkpoints, UUID-named V2 checkpoints (JSON or
// parquet) with their sidecars, and the _last_checkpoint hint.
//
// Decoding from Arrow (decode.go) is pure; reading files (read.go) takes a
// storage.ReaderAt and streams one record batch at a time, so a checkpoint
// with millions of files is never held in memory whole.
package checkpoint
