package protocol

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Table property names used by the reader and writer.
const (
	PropCheckpointInterval         = "delta.checkpointInterval"
	PropCheckpointPolicy           = "delta.checkpointPolicy"
	PropAppendOnly                 = "delta.appendOnly"
	PropEnableCDF                  = "delta.enableChangeDataFeed"
	PropEnableDeletionVectors      = "delta.enableDeletionVectors"
	PropEnableICT                  = "delta.enableInCommitTimestamps"
	PropICTEnablementVersion       = "delta.inCommitTimestampEnablementVersion"
	PropICTEnablementTimestamp     = "delta.inCommitTimestampEnablementTimestamp"
	PropDataSkippingNumIndexedCols = "delta.dataSkippingNumIndexedCols"
	PropDataSkippingStatsColumns   = "delta.dataSkippingStatsColumns"
	PropLogRetentionDuration       = "delta.logRetentionDuration"
	PropEnableExpiredLogCleanup    = "delta.enableExpiredLogCleanup"
	PropDeletedFileRetention       = "delta.deletedFileRetentionDuration"
	PropSetTxnRetention            = "delta.setTransactionRetentionDuration"
	PropColumnMappingMode          = "delta.columnMapping.mode"
	PropColumnMappingMaxID         = "delta.columnMapping.maxColumnId"
	PropWriteStatsAsJSON           = "delta.checkpoint.writeStatsAsJson"
	PropWriteStatsAsStruct         = "delta.checkpoint.writeStatsAsStruct"
	PropTargetFileSize             = "delta.targetFileSize"
	PropIsolationLevel             = "delta.isolationLevel"
)

// Config gives typed access to table properties with the spec's defaults.
type Config map[string]string

// Bool reads a boolean property.
func (c Config) Bool(key string, def bool) bool {
	v, ok := c[key]
	if !ok {
		return def
	}
	b, err := strconv.ParseBool(strings.TrimSpace(v))
	if err != nil {
		return def
	}
	return b
}

// Int reads an integer property.
func (c Config) Int(key string, def int64) int64 {
	v, ok := c[key]
	if !ok {
		return def
	}
	n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
	if err != nil {
		return def
	}
	return n
}

// CheckpointInterval is delta.checkpointInterval (default 10).
func (c Config) CheckpointInterval() int64 {
	n := c.Int(PropCheckpointInterval, 10)
	if n <= 0 {
		return 10
	}
	return n
}

// Duration reads an interval property such as "interval 30 days".
func (c Config) Duration(key string, def time.Duration) time.Duration {
	v, ok := c[key]
	if !ok {
		return def
	}
	d, err := ParseInterval(v)
	if err != nil {
		return def
	}
	return d
}

// LogRetention is delta.logRetentionDuration (default 30 days).
func (c Config) LogRetention() time.Duration {
	return c.Duration(PropLogRetentionDuration, 30*24*time.Hour)
}

// TxnExpired reports whether an application transaction identifier last
// updated at lastUpdated (Unix ms; nil when not recorded) has expired at
// now under delta.setTransactionRetentionDuration. Without the property
// identifiers never expire; one without lastUpdated never does either.
func (c Config) TxnExpired(lastUpdated *int64, now time.Time) bool {
	if _, ok := c[PropSetTxnRetention]; !ok || lastUpdated == nil {
		return false
	}
	return *lastUpdated < now.Add(-c.Duration(PropSetTxnRetention, 0)).UnixMilli()
}

// DeletedFileRetention is delta.deletedFileRetentionDuration (default 1 week).
func (c Config) DeletedFileRetention() time.Duration {
	return c.Duration(PropDeletedFileRetention, 7*24*time.Hour)
}

var intervalPart = regexp.MustCompile(`(?i)(-?\d+(?:\.\d+)?)\s*(nanoseconds?|microseconds?|milliseconds?|seconds?|minutes?|hours?|days?|weeks?|ns|us|ms|s|m|h|d)\b`)

var intervalUnits = map[string]time.Duration{
	"nanosecond": time.Nanosecond, "ns": time.Nanosecond,
	"microsecond": time.Microsecond, "us": time.Microsecond,
	"millisecond": time.Millisecond, "ms": time.Millisecond,
	"second": time.Second, "s": time.Second,
	"minute": time.Minute, "m": time.Minute,
	"hour": time.Hour, "h": time.Hour,
	"day": 24 * time.Hour, "d": 24 * time.Hour,
	"week": 7 * 24 * time.Hour,
}

// ParseInterval parses Spark's calendar-interval strings as used by the
// retention properties: "interval 7 days", "1 week", "interval 2 days 3 hours".
func ParseInterval(s string) (time.Duration, error) {
	t := strings.TrimSpace(strings.ToLower(s))
	t = strings.TrimPrefix(t, "interval")
	parts := intervalPart.FindAllStringSubmatch(t, -1)
	if len(parts) == 0 {
		return 0, fmt.Errorf("%w: interval %q", ErrMalformed, s)
	}
	rest := intervalPart.ReplaceAllString(t, "")
	if strings.TrimSpace(rest) != "" {
		return 0, fmt.Errorf("%w: interval %q", ErrMalformed, s)
	}
	var total time.Duration
	for _, p := range parts {
		n, err := strconv.ParseFloat(p[1], 64)
		if err != nil {
			return 0, fmt.Errorf("%w: interval %q", ErrMalformed, s)
		}
		unit := p[2]
		if len(unit) > 2 {
			unit = strings.TrimSuffix(unit, "s")
		}
		d, ok := intervalUnits[unit]
		if !ok {
			return 0, fmt.Errorf("%w: interval unit %q", ErrMalformed, p[2])
		}
		total += time.Duration(n * float64(d))
	}
	return total, nil
}
