package expr

import (
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Expected values are the ones in Spark's function reference.
func TestFunctions(t *testing.T) {
	runSemantics(t, []semCase{
		{sql: "hash('Spark', array(123), 2)", want: row(-1321691492), typ: "INT"},
		{sql: "xxhash64('Spark', array(123), 2)", want: row(int64(5602566077635097486)), typ: "BIGINT"},
		{sql: "hash(NULL)", want: row(42)},
		{sql: "hash(i) = hash(CAST(i AS BIGINT))", want: row(false, false, true, false)},
		{sql: "hash(0.0D) = hash(-0.0D)", want: row(true)},
		{sql: "hash(d, s, dt, ts, dec, b, st) IS NOT NULL", want: row(true)},
		{sql: "xxhash64(d, s, dt, ts, dec, b, st) IS NOT NULL", want: row(true)},
		{sql: "lower('SparkSql')", want: row("sparksql")},
		{sql: "upper('SparkSql')", want: row("SPARKSQL")},
		{sql: "upper(s)", want: row("ABC", "A_C", nil, "ABC")},
		{sql: "trim('    SparkSQL   ')", want: row("SparkSQL")},
		{sql: "trim('\tx ')", want: row("\tx")},
		{sql: "ltrim('  x  ')", want: row("x  ")},
		{sql: "rtrim('  x  ')", want: row("  x")},
		{sql: "length('Spark SQL ')", want: row(10)},
		{sql: "length('é')", want: row(1)},
		{sql: "substring('Spark SQL', 5)", want: row("k SQL")},
		{sql: "substring('Spark SQL', -3)", want: row("SQL")},
		{sql: "substring('Spark SQL', 5, 1)", want: row("k")},
		{sql: "substr('Spark SQL', 0, 2)", want: row("Sp")},
		{sql: "substring('Spark SQL', 2, -1)", want: row("")},
		{sql: "concat('Spark', 'SQL')", want: row("SparkSQL")},
		{sql: "concat('a', NULL)", want: row(nil)},
		{sql: "s || '!'", want: row("abc!", "a_c!", nil, "ABC!")},
		{sql: "concat_ws(' ', 'Spark', 'SQL')", want: row("Spark SQL")},
		{sql: "concat_ws('s')", want: row("")},
		{sql: "concat_ws('-', s, NULL, 'z')", want: row("abc-z", "a_c-z", "z", "ABC-z")},
		{sql: `regexp_extract('100-200', '(\\d+)-(\\d+)', 1)`, want: row("100")},
		{sql: `regexp_extract('100-200', '(\\d+)-(\\d+)', 2)`, want: row("200")},
		{sql: `regexp_extract('foo', '(\\d+)', 1)`, want: row("")},
		{sql: `regexp_extract('100-200', '(\\d+)', 3)`, err: ErrType},
		{sql: `regexp_replace('100-200', '(\\d+)', 'num')`, want: row("num-num")},
		{sql: `regexp_replace('100-200', '(\\d+)-(\\d+)', '$2-$1')`, want: row("200-100")},
		{sql: "abs(-1)", want: row(1)},
		{sql: "abs(i)", want: row(1, 2, nil, math.MaxInt32)},
		{sql: "abs(CAST(-2147483648 AS INT))", want: row(math.MinInt32)},
		{sql: "abs(dec)", want: row("1.25", "3.50", nil, "99999999.99")},
		{sql: "round(2.5, 0)", want: row("3"), typ: "DECIMAL(2,0)"},
		{sql: "round(-2.5)", want: row("-3")},
		{sql: "round(2.5D)", want: row(3.0)},
		{sql: "round(0.125D, 2)", want: row(0.13)},
		{sql: "round(1234, -2)", want: row(1200)},
		{sql: "round(dec, 1)", want: row("1.3", "-3.5", nil, "100000000.0"), typ: "DECIMAL(10,1)"},
		{sql: "floor(-0.1)", want: row("-1"), typ: "DECIMAL(1,0)"},
		{sql: "ceil(-0.1)", want: row("0")},
		{sql: "ceil(5)", want: row(int64(5)), typ: "BIGINT"},
		{sql: "floor(5.4)", want: row("5")},
		{sql: "floor(d)", want: row(int64(1), int64(0), nil, int64(0)), typ: "BIGINT"},
		{sql: "ceil(1e20D)", want: row(int64(math.MaxInt64))},
		{sql: "greatest(10, 9, 2, 4, 3)", want: row(10)},
		{sql: "least(10, 9, 2, 4, 3)", want: row(2)},
		{sql: "greatest(i, 0)", want: row(1, 0, 0, math.MaxInt32)},
		{sql: "greatest(d, 0)", want: row(1.5, math.NaN(), 0.0, 0.0)},
		{sql: "least(NULL, NULL)", want: row(nil)},
		{sql: "isnan(CAST('NaN' AS DOUBLE))", want: row(true)},
		{sql: "isnan(d)", want: row(false, true, false, false)},
		{sql: "to_date('2009-07-30 04:17:52')", want: row("2009-07-30")},
		{sql: "to_date('2016-12-31', 'yyyy-MM-dd')", want: row("2016-12-31")},
		{sql: "to_date('31/12/2016', 'dd/MM/yyyy')", want: row("2016-12-31")},
		{sql: "to_date('2016-12-31', 'dd/MM/yyyy')", want: row(nil)},
		{sql: "to_timestamp('2016-12-31 00:12:00')", want: row("2016-12-31 00:12:00")},
		{sql: "to_timestamp('2016-12-31', 'yyyy-MM-dd')", want: row("2016-12-31 00:00:00")},
		{sql: "to_timestamp('2016-12-31 01:02:03.5', 'yyyy-MM-dd HH:mm:ss.S')", want: row("2016-12-31 01:02:03.5")},
		{sql: "to_timestamp('12/31/2016 01:02 PM', 'MM/dd/yyyy hh:mm a')", tz: "Asia/Tokyo", want: row("2016-12-31 04:02:00")},
		{sql: "date_format('2016-04-08', 'y')", want: row("2016")},
		{sql: "date_format(ts, 'yyyy-MM-dd HH:mm:ss.SSS')", want: row("2020-01-01 00:00:00.000", "2020-01-01 12:34:56.789", nil, "1970-01-01 00:00:00.000")},
		{sql: "date_format(ts, 'EEE, d MMM yyyy hh:mm a XXX')", tz: "America/Los_Angeles", want: row("Tue, 31 Dec 2019 04:00 PM -08:00", "Wed, 1 Jan 2020 04:34 AM -08:00", nil, "Wed, 31 Dec 1969 04:00 PM -08:00")},
		{sql: "year('2016-07-30')", want: row(2016)},
		{sql: "month('2016-07-30')", want: row(7)},
		{sql: "day('2009-07-30')", want: row(30)},
		{sql: "hour('2009-07-30 12:58:59')", want: row(12)},
		{sql: "hour(ts)", tz: "Asia/Kolkata", want: row(5, 18, nil, 5)},
		{sql: "minute(ts)", tz: "Asia/Kolkata", want: row(30, 4, nil, 30)},
		{sql: "year(ts)", tz: "America/Los_Angeles", want: row(2019, 2020, nil, 1969)},
		{sql: "date_trunc('YEAR', '2015-03-05T09:32:05.359')", want: row("2015-01-01 00:00:00")},
		{sql: "date_trunc('MM', '2015-03-05T09:32:05.359')", want: row("2015-03-01 00:00:00")},
		{sql: "date_trunc('DD', '2015-03-05T09:32:05.359')", want: row("2015-03-05 00:00:00")},
		{sql: "date_trunc('HOUR', '2015-03-05T09:32:05.359')", want: row("2015-03-05 09:00:00")},
		{sql: "date_trunc('MILLISECOND', '2015-03-05T09:32:05.123456')", want: row("2015-03-05 09:32:05.123")},
		{sql: "date_trunc('WEEK', '2015-03-05T09:32:05')", want: row("2015-03-02 00:00:00")},
		{sql: "date_trunc('DAY', ts)", tz: "America/Los_Angeles", want: row("2019-12-31 08:00:00", "2020-01-01 08:00:00", nil, "1969-12-31 08:00:00")},
		{sql: "date_trunc('fortnight', ts)", want: row(nil)},
		{sql: "date_add('2016-07-30', 1)", want: row("2016-07-31")},
		{sql: "date_sub('2016-07-30', 1)", want: row("2016-07-29")},
		{sql: "datediff('2009-07-31', '2009-07-30')", want: row(1)},
		{sql: "datediff(dt, DATE '2020-01-01')", want: row(0, -1, nil, 59)},
		{sql: "size(array('b', 'd', 'c', 'a'))", want: row(4)},
		{sql: "size(NULL)", want: row(-1)},
		{sql: "size(NULL)", ansi: true, want: row(nil)},
		{sql: "size(CAST(NULL AS STRING))", err: ErrType},
		{sql: "array_contains(array(1, 2, 3), 2)", want: row(true)},
		{sql: "array_contains(array(1, NULL), 2)", want: row(nil)},
		{sql: "array_contains(array(1, 2), 3)", want: row(false)},
		{sql: "array_contains(array(i, 7), 1)", want: row(true, false, nil, false)},
		{sql: "element_at(array(1, 2, 3), 2)", want: row(2)},
		{sql: "element_at(array(1, 2, 3), -1)", want: row(3)},
		{sql: "element_at(array(1, 2, 3), 5)", want: row(nil)},
		{sql: "element_at(array(1, 2, 3), 5)", ansi: true, err: ErrArithmetic},
		{sql: "element_at(array(1, 2, 3), 0)", err: ErrArithmetic},
		{sql: "current_date() = current_date()", want: row(true)},
	})
}

func TestCurrentTimeIsFixed(t *testing.T) {
	now := time.Date(2024, 2, 29, 23, 30, 0, 0, time.UTC)
	e, err := Parse("current_date() = DATE '2024-03-01' AND current_timestamp() = TIMESTAMP '2024-02-29 23:30:00Z'")
	require.NoError(t, err)
	p, err := Compile(e, testSchema, &CompileOptions{Now: func() time.Time { return now }, TimeZone: time.FixedZone("+01", 3600)})
	require.NoError(t, err)
	require.NotNil(t, p.root.konst)
	assert.Equal(t, "true", p.root.konst.String())
}
