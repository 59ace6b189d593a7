// Package protocol holds the Delta transaction-log model: actions, the
// table schema and its Arrow form, table features, partition values and
// per-file statistics. It does no I/O; everything here is a pure function
// of bytes or values, so it is tested without storage.
//
// Invariants:
//
//   - P1: parsing never panics on any input; malformed input is an error
//     matching ErrMalformed.
//   - P2: unknown JSON fields and unknown action kinds are ignored, as the
//     spec requires of readers ("Protocol Evolution").
//   - P3: a logical file is identified by (path, deletion-vector unique id);
//     FileKey computes exactly that pair.
package protocol
