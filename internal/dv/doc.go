// Package dv encodes and decodes Delta deletion vectors (DVs): the sets of
// row indexes that a logical file no longer contains.
//
// A DV is described by a [Descriptor] from an add/remove action. Its bytes
// are a "RoaringBitmapArray" payload: a little-endian magic number followed
// by a 64-bit portable RoaringBitmap. The payload is either inline in the log
// (storage type "i", Z85-encoded) or stored in a DV file (storage types "u"
// and "p") inside an envelope: a version byte at the start of the file and,
// for each DV, a big-endian size, the payload and a big-endian CRC-32.
//
// Everything here is pure: it works on bytes and descriptors and does no
// I/O of its own ([WriteFile] writes to the io.Writer it is given),
// because internal/protocol imports it and the protocol core must not
// reach storage. Reading a stored DV is [Descriptor.Locate] (which bytes
// to read), the read itself (package dvstore), then [DecodeFileEntry].
//
// Invariant I1: every bitmap this package returns holds row indexes below
// 2^63 (the protocol requires the top bit of every bucket key to be zero).
// Invariant I2: [DecodeInline] and [DecodeFileEntry] verify size, checksum
// (file entries) and cardinality before returning a bitmap; a mismatch is
// an error, never a silently wrong DV.
package dv
