//go:build spark

package expr

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/stretchr/testify/require"

	"github.com/lakehouse-go/lakehouse/internal/prereq"
)

// TestSparkConformance runs every semantics case against a real Spark
// (PySpark from the interop venv, non-ANSI unless the case says ANSI) and
// checks that this package returns the same values, types and failures.
//
//	go test -tags spark -run TestSparkConformance ./delta/expr/
//
// It needs .cache/venv-interop (installed by .ci/setup.d/interop.sh) or
// LAKEHOUSE_PYSPARK_PYTHON pointing at a python with pyspark; without one
// it skips locally and fails under CI=true.
func TestSparkConformance(t *testing.T) {
	python := os.Getenv("LAKEHOUSE_PYSPARK_PYTHON")
	if python == "" {
		python, _ = filepath.Abs("../../.cache/venv-interop/bin/python")
	}
	if _, err := os.Stat(python); err != nil {
		prereq.Missing(t, "no pyspark python at %s (run bash .ci/setup.d/interop.sh or set LAKEHOUSE_PYSPARK_PYTHON): %v", python, err)
	}
	var all []semCase
	for _, cs := range [][]semCase{semanticsLogicCases, semanticsInBetweenCases, semanticsLikeCases, semanticsArithmeticCases,
		semanticsDecimalCases, semanticsCastCases, semanticsDatetimeCases, semanticsMiscCases, functionsCases, sparkProbeCases} {
		all = append(all, cs...)
	}
	type result struct {
		SQL   string    `json:"sql"`
		ANSI  bool      `json:"ansi"`
		TZ    string    `json:"tz"`
		Rows  []*string `json:"rows,omitempty"`
		Type  string    `json:"type,omitempty"`
		Error string    `json:"error,omitempty"`
	}
	mem := memory.NewGoAllocator()
	batch := testBatch(t, mem)
	defer batch.Release()
	mine := make([]result, len(all))
	for k, c := range all {
		tz := c.tz
		if tz == "" {
			tz = "UTC"
		}
		r := result{SQL: c.sql, ANSI: c.ansi, TZ: tz}
		loc, err := time.LoadLocation(tz)
		require.NoError(t, err)
		e, err := Parse(c.sql)
		require.NoError(t, err)
		p, err := Compile(e, testSchema, &CompileOptions{ANSI: c.ansi, TimeZone: loc, Allocator: mem})
		if err == nil {
			out, evalErr := p.Eval(context.Background(), batch)
			err = evalErr
			if err == nil {
				for _, v := range values(out) {
					if v == nil {
						r.Rows = append(r.Rows, nil)
						continue
					}
					s := fmt.Sprint(v)
					r.Rows = append(r.Rows, &s)
				}
				r.Type = strings.ToLower(sparkTypeName(p.ResultType()))
				out.Release()
			}
		}
		if err != nil {
			r.Error = err.Error()
		}
		mine[k] = r
	}
	dir := t.TempDir()
	in := filepath.Join(dir, "cases.json")
	outPath := filepath.Join(dir, "spark.json")
	raw, err := json.Marshal(mine)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(in, raw, 0o644))
	script := filepath.Join(dir, "spark_eval.py")
	require.NoError(t, os.WriteFile(script, []byte(sparkEvalScript), 0o644))
	cmd := exec.Command(python, script, in, outPath)
	cmd.Env = append(os.Environ(), "TZ=UTC")
	if log, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("spark run failed: %v\n%s", err, tail(string(log), 4000))
	}
	raw, err = os.ReadFile(outPath)
	require.NoError(t, err)
	var spark []result
	require.NoError(t, json.Unmarshal(raw, &spark))
	require.Len(t, spark, len(mine))
	for k := range mine {
		m, s := mine[k], spark[k]
		name := fmt.Sprintf("%s [ansi=%v tz=%s]", m.SQL, m.ANSI, m.TZ)
		if (m.Error != "") != (s.Error != "") {
			t.Errorf("%s\n  lakehouse: rows=%v error=%q\n  spark:     rows=%v error=%q", name, deref(m.Rows), m.Error, deref(s.Rows), s.Error)
			continue
		}
		if m.Error != "" {
			continue
		}
		if !strings.HasPrefix(s.Type, "interval") && m.Type != s.Type {
			t.Errorf("%s: type %s, Spark says %s", name, m.Type, s.Type)
		}
		for i := range m.Rows {
			if !sameCell(m.Rows[i], s.Rows[i]) {
				t.Errorf("%s: row %d is %v, Spark says %v", name, i, deref(m.Rows), deref(s.Rows))
				break
			}
		}
	}
}

func deref(ps []*string) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		if p == nil {
			out[i] = "NULL"
		} else {
			out[i] = *p
		}
	}
	return out
}

// sameCell compares two rendered values; numbers compare numerically
// (NaN equal to NaN) and intervals as total microseconds.
func sameCell(a, b *string) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	x, y := *a, *b
	if x == y {
		return true
	}
	if strings.HasPrefix(y, "IV:") {
		var months, days, nanos int64
		if _, err := fmt.Sscanf(x, "%d %d %d", &months, &days, &nanos); err != nil {
			return false
		}
		return fmt.Sprint(days*86_400_000_000+nanos/1000) == y[3:]
	}
	fx, e1 := strconv.ParseFloat(x, 64)
	fy, e2 := strconv.ParseFloat(y, 64)
	if e1 != nil || e2 != nil {
		return false
	}
	if math.IsNaN(fx) && math.IsNaN(fy) {
		return true
	}
	return fx == fy || math.Abs(fx-fy) <= 1e-12*math.Max(math.Abs(fx), math.Abs(fy))
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

// sparkEvalScript builds the semantics table in Spark and evaluates each
// case; cases sharing a mode and zone run as one query, falling back to
// one query per case when any of them fails.
const sparkEvalScript = `
import json, sys, datetime, decimal
from pyspark.sql import SparkSession
from pyspark.sql.types import *
spark = (SparkSession.builder.master('local[1]').config('spark.ui.enabled', 'false')
         .config('spark.sql.shuffle.partitions', '1').config('spark.sql.session.timeZone', 'UTC').getOrCreate())
spark.sparkContext.setLogLevel('ERROR')
schema = StructType([StructField('rid', IntegerType()), StructField('i', IntegerType()), StructField('l', LongType()),
    StructField('d', DoubleType()), StructField('s', StringType()), StructField('b', BooleanType()),
    StructField('dt', DateType()), StructField('ts', TimestampType()), StructField('dec', DecimalType(10, 2)),
    StructField('st', StructType([StructField('x', IntegerType()), StructField('y', StringType())])),
    StructField('amount', DoubleType())])
U = datetime.timezone.utc
rows = [
 (0, 1, 10, 1.5, 'abc', True, datetime.date(2020, 1, 1), datetime.datetime(2020, 1, 1, tzinfo=U), decimal.Decimal('1.25'), (1, 'a'), 5.0),
 (1, -2, 0, float('nan'), 'a_c', False, datetime.date(2019, 12, 31), datetime.datetime(2020, 1, 1, 12, 34, 56, 789000, tzinfo=U), decimal.Decimal('-3.50'), None, 0.0),
 (2, None, None, None, None, None, None, None, None, (None, 'c'), None),
 (3, 2147483647, 9223372036854775807, -0.0, 'ABC', True, datetime.date(2020, 2, 29), datetime.datetime(1970, 1, 1, tzinfo=U), decimal.Decimal('99999999.99'), (4, None), -1.0)]
spark.createDataFrame(rows, schema).createOrReplaceTempView('t')

def fmt(v):
    if v is None: return None
    if isinstance(v, bool): return 'true' if v else 'false'
    if isinstance(v, datetime.datetime):
        s = v.strftime('%Y-%m-%d %H:%M:%S')
        if v.microsecond: s += ('.%06d' % v.microsecond).rstrip('0')
        return s
    if isinstance(v, datetime.date): return v.isoformat()
    if isinstance(v, datetime.timedelta): return 'IV:%d' % (v // datetime.timedelta(microseconds=1))
    if isinstance(v, decimal.Decimal): return format(v, 'f')
    if isinstance(v, float): return repr(v)
    return str(v)

def run(sqls):
    df = spark.sql('SELECT ' + ', '.join('%s AS c%d' % (q, k) for k, q in enumerate(sqls)) + ' FROM t ORDER BY rid')
    got = df.collect()
    return [{'type': df.schema[k + 0].dataType.simpleString(), 'rows': [fmt(r[k]) for r in got]} for k in range(len(sqls))]

cases = json.load(open(sys.argv[1]))
out = [None] * len(cases)
groups = {}
for k, c in enumerate(cases):
    groups.setdefault((c['ansi'], c['tz']), []).append(k)
def single(k):
    try:
        out[k] = run([cases[k]['sql']])[0]
    except Exception as e:
        out[k] = {'error': str(e).split('\n')[0][:300]}

for (ansi, tz), ks in groups.items():
    spark.conf.set('spark.sql.ansi.enabled', 'true' if ansi else 'false')
    spark.conf.set('spark.sql.session.timeZone', tz)
    # Cases expected to fail run alone so they cannot sink the batch.
    batch = [k for k in ks if not cases[k].get('error')]
    for k in ks:
        if cases[k].get('error'):
            single(k)
    try:
        for k, r in zip(batch, run([cases[k]['sql'] for k in batch]) if batch else []):
            out[k] = r
    except Exception:
        for k in batch:
            single(k)
for k, c in enumerate(cases):
    out[k].update({'sql': c['sql'], 'ansi': c['ansi'], 'tz': c['tz']})
json.dump(out, open(sys.argv[2], 'w'))
`
