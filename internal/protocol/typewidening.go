package protocol

// AutoWidens reports whether schema evolution may change a column from
// type from to type to under the typeWidening feature without an explicit
// ALTER: the changes the spec lists (Type Widening) within one family —
// integers to wider integers, float to double, decimals to a precision
// and scale that keep every value, date to timestamp_ntz. Changes across
// families (an integer to double or decimal) are valid type changes too,
// but, as in Spark, only an explicit ALTER makes them: a batch that
// happens to carry doubles should not silently turn an id column into
// floating point.
func AutoWidens(from, to PrimitiveType) bool {
	if from == to {
		return false
	}
	rank := map[PrimitiveType]int{TypeByte: 1, TypeShort: 2, TypeInteger: 3, TypeLong: 4}
	if rf, ok := rank[from]; ok {
		rt, ok := rank[to]
		return ok && rt > rf
	}
	switch {
	case from == TypeFloat:
		return to == TypeDouble
	case from == TypeDate:
		return to == TypeTimestampNTZ
	}
	fp, fs, ok1 := from.Decimal()
	tp, ts, ok2 := to.Decimal()
	if !ok1 || !ok2 {
		return false
	}
	k1, k2 := tp-fp, ts-fs
	return k1 >= k2 && k2 >= 0
}
