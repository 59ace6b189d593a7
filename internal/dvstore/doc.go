// Package dvstore reads deletion vectors through a storage.Store. It is
// the I/O half of package dv, which stays pure so that the protocol core
// (internal/protocol and what imports it) never reaches storage.
//
// Invariant I1: [Load] verifies size, checksum and cardinality before
// returning a bitmap; a mismatch is an error, never a silently wrong DV.
package dvstore
