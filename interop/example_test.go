package interop_test

import (
	"fmt"

	"github.com/lakehouse-go/lakehouse/interop"
)

// Rows from two engines agree when they hold the same values, whatever the
// key order or float spelling; a difference names the first differing row.
func ExampleCompareRows() {
	spark, _ := interop.NormalizeRows([]string{`{"id":2,"amount":2.50}`, `{"id":1,"amount":1.0}`})
	lakehouse, _ := interop.NormalizeRows([]string{`{"amount":1,"id":1}`, `{"amount":2.5,"id":2}`})
	fmt.Println(interop.CompareRows(spark, lakehouse) == nil)

	deltaRS, _ := interop.NormalizeRows([]string{`{"amount":1,"id":1}`})
	fmt.Println(interop.CompareRows(spark, deltaRS))
	// Output:
	// true
	// 2 rows expected, 1 read; first differing row: expected {"amount":2.5,"id":2}, got none
}
