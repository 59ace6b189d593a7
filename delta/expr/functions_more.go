package expr

import "strings"

// moreFunctions is the second half of the function table (see
// lookupFunction): string, math, date/time, collection and hash functions.
func moreFunctions(name string) (funcSpec, bool) {
	switch strings.ToLower(name) {
	case "lower", "lcase":
		return funcSpec{1, 1, buildCaseMap(strings.ToLower)}, true
	case "upper", "ucase":
		return funcSpec{1, 1, buildCaseMap(javaUpper)}, true
	case "trim":
		return funcSpec{1, 1, buildTrim(true, true)}, true
	case "ltrim":
		return funcSpec{1, 1, buildTrim(true, false)}, true
	case "rtrim":
		return funcSpec{1, 1, buildTrim(false, true)}, true
	case "btrim":
		return funcSpec{1, 2, buildTrim(true, true)}, true
	case "length", "char_length", "character_length", "len":
		return funcSpec{1, 1, buildLength}, true
	case "substring", "substr":
		return funcSpec{2, 3, buildSubstring}, true
	case "concat":
		return funcSpec{0, -1, buildConcat}, true
	case "concat_ws":
		return funcSpec{1, -1, buildConcatWS}, true
	case "regexp_extract":
		return funcSpec{2, 3, buildRegexpExtract}, true
	case "regexp_replace":
		return funcSpec{3, 3, buildRegexpReplace}, true
	case "startswith":
		return funcSpec{2, 2, buildStringTest(strings.HasPrefix)}, true
	case "endswith":
		return funcSpec{2, 2, buildStringTest(strings.HasSuffix)}, true
	case "contains":
		return funcSpec{2, 2, buildStringTest(strings.Contains)}, true
	case "abs":
		return funcSpec{1, 1, buildAbs}, true
	case "round":
		return funcSpec{1, 2, buildRound}, true
	case "floor":
		return funcSpec{1, 1, buildFloorCeil(true)}, true
	case "ceil", "ceiling":
		return funcSpec{1, 1, buildFloorCeil(false)}, true
	case "greatest":
		return funcSpec{2, -1, buildExtremum(true)}, true
	case "least":
		return funcSpec{2, -1, buildExtremum(false)}, true
	case "isnan":
		return funcSpec{1, 1, buildIsNaN}, true
	case "to_date":
		return funcSpec{1, 2, buildToDate}, true
	case "to_timestamp":
		return funcSpec{1, 2, buildToTimestamp}, true
	case "date_format":
		return funcSpec{2, 2, buildDateFormat}, true
	case "year":
		return funcSpec{1, 1, buildDatePart("year")}, true
	case "month":
		return funcSpec{1, 1, buildDatePart("month")}, true
	case "day", "dayofmonth":
		return funcSpec{1, 1, buildDatePart("day")}, true
	case "hour":
		return funcSpec{1, 1, buildDatePart("hour")}, true
	case "minute":
		return funcSpec{1, 1, buildDatePart("minute")}, true
	case "second":
		return funcSpec{1, 1, buildDatePart("second")}, true
	case "date_trunc":
		return funcSpec{2, 2, buildDateTrunc}, true
	case "datediff":
		return funcSpec{2, 2, buildDateDiff}, true
	case "current_date", "curdate":
		return funcSpec{0, 0, buildCurrentDate}, true
	case "current_timestamp", "now":
		return funcSpec{0, 0, buildCurrentTimestamp}, true
	case "size", "cardinality":
		return funcSpec{1, 1, buildSize}, true
	case "array_contains":
		return funcSpec{2, 2, buildArrayContains}, true
	case "array":
		return funcSpec{0, -1, buildArray}, true
	case "element_at":
		return funcSpec{2, 2, buildElementAt}, true
	case "hash":
		return funcSpec{1, -1, buildHash(false)}, true
	case "xxhash64":
		return funcSpec{1, -1, buildHash(true)}, true
	}
	return extraFunctions(name)
}

// javaUpper is Java's String.toUpperCase (used by Spark's upper), which
// applies the full mapping ß → SS that Go's simple case mapping lacks.
func javaUpper(s string) string {
	return strings.ReplaceAll(strings.ToUpper(s), "ß", "SS")
}
