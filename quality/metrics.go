package quality

import "sync"

// ExpectationMetrics counts the records one expectation saw. A record for
// which the condition is NULL counts as passed. A record failing several
// expectations counts once against each.
type ExpectationMetrics struct {
	Name          string `json:"name"`
	Dataset       string `json:"dataset"`
	Action        Action `json:"action"`
	PassedRecords int64  `json:"passed_records"`
	FailedRecords int64  `json:"failed_records"`
}

// Metrics are the data-quality counts of one batch, of several merged, or
// of a whole update. The zero value is empty; Merge adds two together, so
// per-batch metrics computed concurrently can be summed in any order.
type Metrics struct {
	// InputRecords is how many records were checked.
	InputRecords int64 `json:"input_records"`
	// OutputRecords is how many records were kept (not dropped).
	OutputRecords int64 `json:"output_records"`
	// DroppedRecords is how many records failed at least one Drop
	// expectation (each is counted once however many it failed).
	DroppedRecords int64 `json:"dropped_records"`
	// Expectations has one entry per expectation, in definition order.
	Expectations []ExpectationMetrics `json:"expectations"`
}

// Merge returns m plus o. Expectations are matched by dataset and name;
// those only in o are appended in o's order.
func (m Metrics) Merge(o Metrics) Metrics {
	out := Metrics{
		InputRecords:   m.InputRecords + o.InputRecords,
		OutputRecords:  m.OutputRecords + o.OutputRecords,
		DroppedRecords: m.DroppedRecords + o.DroppedRecords,
		Expectations:   append([]ExpectationMetrics(nil), m.Expectations...),
	}
	for _, e := range o.Expectations {
		found := false
		for i := range out.Expectations {
			if out.Expectations[i].Name == e.Name && out.Expectations[i].Dataset == e.Dataset {
				out.Expectations[i].PassedRecords += e.PassedRecords
				out.Expectations[i].FailedRecords += e.FailedRecords
				found = true
				break
			}
		}
		if !found {
			out.Expectations = append(out.Expectations, e)
		}
	}
	return out
}

// Expectation returns the counts of the named expectation.
func (m Metrics) Expectation(name string) (ExpectationMetrics, bool) {
	for _, e := range m.Expectations {
		if e.Name == name {
			return e, true
		}
	}
	return ExpectationMetrics{}, false
}

// Collector accumulates Metrics from concurrent batches. The zero value
// is ready to use.
type Collector struct {
	mu    sync.Mutex
	total Metrics
}

// Add merges m into the collector's total.
func (c *Collector) Add(m Metrics) {
	c.mu.Lock()
	c.total = c.total.Merge(m)
	c.mu.Unlock()
}

// Metrics returns the total so far.
func (c *Collector) Metrics() Metrics {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.total.Merge(Metrics{})
}

// Take returns the total so far and starts again from zero: call it at
// the end of an update to get that update's metrics.
func (c *Collector) Take() Metrics {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := c.total
	c.total = Metrics{}
	return t
}
