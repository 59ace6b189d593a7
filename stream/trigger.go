package stream

import "time"

// Trigger decides when batches run.
type Trigger struct {
	kind     triggerKind
	interval time.Duration
}

type triggerKind int

const (
	triggerProcessingTime triggerKind = iota
	triggerOnce
	triggerAvailableNow
)

// ProcessingTime runs a batch every interval (zero: as soon as the
// previous one ends), for as long as the query runs. A batch that takes
// longer than the interval is followed at once by the next. This is the
// default trigger, with a zero interval.
func ProcessingTime(interval time.Duration) Trigger {
	return Trigger{kind: triggerProcessingTime, interval: interval}
}

// Once runs a single batch with everything available, ignoring rate
// limits, then stops (Spark's Trigger.Once).
func Once() Trigger { return Trigger{kind: triggerOnce} }

// AvailableNow drains what is available when the query starts, in
// batches that respect the rate limits, then stops.
func AvailableNow() Trigger { return Trigger{kind: triggerAvailableNow} }

// String names the trigger.
func (t Trigger) String() string {
	switch t.kind {
	case triggerOnce:
		return "Once"
	case triggerAvailableNow:
		return "AvailableNow"
	}
	return "ProcessingTime(" + t.interval.String() + ")"
}
