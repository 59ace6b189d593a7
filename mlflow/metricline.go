package mlflow

import (
	"math"
	"strconv"
	"strings"
)

// formatMetricLine renders one point the way MLflow's FileStore appends it:
// "<timestamp ms> <value> <step>\n". Non-finite values use Python's spelling
// (nan, inf, -inf) so float() on the Python side reads them back.
func formatMetricLine(m Metric) string {
	var v string
	switch {
	case math.IsNaN(m.Value):
		v = "nan"
	case math.IsInf(m.Value, 1):
		v = "inf"
	case math.IsInf(m.Value, -1):
		v = "-inf"
	default:
		v = strconv.FormatFloat(m.Value, 'g', -1, 64)
	}
	return strconv.FormatInt(millis(m.Timestamp), 10) + " " + v + " " + strconv.FormatInt(m.Step, 10) + "\n"
}

// parseMetricLine reads one line of a FileStore metric file. Two fields
// (timestamp value) mean step 0; more than three are the 3.x logged-model
// extension (run id, dataset) and are ignored here.
func parseMetricLine(key, line string) (Metric, error) {
	f := strings.Fields(line)
	if len(f) < 2 {
		return Metric{}, invalidParam("metric %q: malformed line %q", key, line)
	}
	ts, err := strconv.ParseInt(f[0], 10, 64)
	if err != nil {
		return Metric{}, invalidParam("metric %q: bad timestamp in %q", key, line)
	}
	v, err := parsePythonFloat(f[1])
	if err != nil {
		return Metric{}, invalidParam("metric %q: bad value in %q", key, line)
	}
	m := Metric{Key: key, Value: v, Timestamp: fromMillis(ts)}
	if len(f) >= 3 {
		if m.Step, err = strconv.ParseInt(f[2], 10, 64); err != nil {
			return Metric{}, invalidParam("metric %q: bad step in %q", key, line)
		}
	}
	return m, nil
}

// parsePythonFloat accepts what Python's float() accepts for the values
// MLflow writes: decimal and exponent forms, nan, inf, infinity (any case,
// optional sign).
func parsePythonFloat(s string) (float64, error) {
	t := strings.ToLower(strings.TrimLeft(s, "+-"))
	neg := strings.HasPrefix(s, "-")
	switch t {
	case "nan":
		return math.NaN(), nil
	case "inf", "infinity":
		if neg {
			return math.Inf(-1), nil
		}
		return math.Inf(1), nil
	}
	if strings.ContainsAny(s, "xXpP_") { // Go accepts hex floats and underscores; Python's float() does not
		return 0, strconv.ErrSyntax
	}
	return strconv.ParseFloat(s, 64)
}

// latestMetric applies MLflow's rule for the "latest" value of a metric: the
// point with the greatest (step, timestamp, value).
func latestMetric(points []Metric) Metric {
	best := points[0]
	for _, p := range points[1:] {
		if metricLess(best, p) {
			best = p
		}
	}
	return best
}

func metricLess(a, b Metric) bool {
	if a.Step != b.Step {
		return a.Step < b.Step
	}
	if !a.Timestamp.Equal(b.Timestamp) {
		return a.Timestamp.Before(b.Timestamp)
	}
	av, bv := a.Value, b.Value
	if math.IsNaN(av) {
		return !math.IsNaN(bv)
	}
	return av < bv
}
