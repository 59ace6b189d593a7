// Package dv reads and writes Delta deletion vectors (DVs): the sets of row
// indexes that a logical file no longer contains.
//
// A DV is described by a [Descriptor] from an add/remove action. Its bytes
// are a "RoaringBitmapArray" payload: a little-endian magic number followed
// by a 64-bit portable RoaringBitmap. The payload is either inline in the log
// (storage type "i", Z85-encoded) or stored in a DV file (storage types "u"
// and "p") inside an envelope: a version byte at the start of the file and,
// for each DV, a big-endian size, the payload and a big-endian CRC-32.
//
// Everything here is pure except [Load], which reads one DV through a
// storage.Store.
//
// Invariant I1: every bitmap this package returns holds row indexes below
// 2^63 (the protocol requires the top bit of every bucket key to be zero).
// Invariant I2: [Load] verifies size, checksum and cardinality before
// returning a bitmap; a mismatch is an error, never a silently wrong DV.
package dv
