package parquetio

import "errors"

var (
	// ErrSchemaMismatch is returned when a file cannot provide a logical
	// field: a non-nullable field is absent, or the stored type cannot be
	// converted to the logical type.
	ErrSchemaMismatch = errors.New("parquetio: schema mismatch")
	// ErrInvalidOptions is returned for options that make no sense, such as a
	// nil schema or an unknown codec.
	ErrInvalidOptions = errors.New("parquetio: invalid options")
	// ErrCorruptFile is returned when a file is not valid Parquet or its
	// pages do not decode.
	ErrCorruptFile = errors.New("parquetio: corrupt parquet file")
	// ErrValueOutOfRange is returned when a stored value does not fit the
	// logical type (a decimal that overflows its precision after rescaling).
	ErrValueOutOfRange = errors.New("parquetio: value out of range")
	// ErrDeletedRowOutOfRange is returned when ReadOptions.Deleted names a
	// row index at or beyond the file's row count: the deletion vector does
	// not belong to this file, and dropping "some" rows would be a guess.
	ErrDeletedRowOutOfRange = errors.New("parquetio: deleted row index beyond the end of the file")
)
