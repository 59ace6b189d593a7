package dv

import "errors"

var (
	// ErrZ85 is returned when a Z85 string or input has a bad length or a
	// character outside the Z85 alphabet.
	ErrZ85 = errors.New("dv: invalid z85")
	// ErrDescriptor is returned for a descriptor that cannot be resolved: an
	// unknown storage type, a malformed UUID, a negative size or offset, or an
	// absolute path outside the table root.
	ErrDescriptor = errors.New("dv: invalid deletion vector descriptor")
	// ErrCorrupt is returned when DV bytes do not decode: wrong magic number,
	// malformed bitmap, size or checksum mismatch, or a cardinality that
	// differs from the descriptor's.
	ErrCorrupt = errors.New("dv: corrupt deletion vector")
)
