// Package rowkey renders the values of a row's key columns as one string,
// for deduplication and keyed merges held in Go maps.
package rowkey

import (
	"strconv"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
)

// Of returns row's key over cols. Two rows get the same key exactly when
// every column's value text is equal and their nulls agree: each value is
// length-prefixed, so no value's text can run into its neighbour's, and
// NULL has a form no value has.
func Of(cols []arrow.Array, row int) string {
	var b strings.Builder
	for _, c := range cols {
		if c.IsNull(row) {
			b.WriteString("N;")
			continue
		}
		v := c.ValueStr(row)
		b.WriteString(strconv.Itoa(len(v)))
		b.WriteByte(':')
		b.WriteString(v)
	}
	return b.String()
}
