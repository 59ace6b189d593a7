//go:build !race

package parquetio_test

const raceEnabled = false
