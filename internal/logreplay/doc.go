// Package logreplay turns a listing of _delta_log into the log segment a
// snapshot needs, and reconciles actions per the spec's "Action
// Reconciliation". It does no I/O: callers list and read, this package
// decides.
//
// Invariants:
//
//   - R1: a segment's commits are contiguous from checkpoint version + 1 (or
//     0) to the snapshot version; a gap is ErrLogGap, never a silent skip.
//   - R2: a multi-part checkpoint with a missing part is never used.
//   - R3: file actions are reconciled newest first: the first action seen
//     for a (path, dv id) key wins, and a remove hides older adds.
package logreplay
