//go:build race

package parquetio_test

// raceEnabled is true under -race, where the corpus tests skip their few
// large files: they only repeat single-goroutine decoding at 10x the cost.
const raceEnabled = true
