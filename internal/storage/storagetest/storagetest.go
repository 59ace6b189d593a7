package storagetest

import (
	"testing"

	"github.com/lakehouse-go/lakehouse/internal/storage"
)

// Options tunes the suite for slow backends. A nil *Options means the
// defaults.
type Options struct {
	// RaceKeys is how many keys the PutIfAbsent race is repeated over
	// (each with RaceWriters goroutines). Default 25.
	RaceKeys int
	// RaceWriters is how many goroutines race for each key. Default 32.
	RaceWriters int
}

func (o *Options) withDefaults() Options {
	var out Options
	if o != nil {
		out = *o
	}
	if out.RaceKeys <= 0 {
		out.RaceKeys = 25
	}
	if out.RaceWriters <= 0 {
		out.RaceWriters = 32
	}
	return out
}

// Run runs the whole suite with default options.
func Run(t *testing.T, newStore func(t *testing.T) storage.Store) {
	t.Helper()
	RunWithOptions(t, newStore, nil)
}

// RunWithOptions runs the whole suite; each check is a subtest named after
// the rule it checks.
func RunWithOptions(t *testing.T, newStore func(t *testing.T) storage.Store, opts *Options) {
	t.Helper()
	o := opts.withDefaults()
	fresh := func(t *testing.T) storage.Store {
		t.Helper()
		s := newStore(t)
		t.Cleanup(func() { _ = s.Close() })
		return s
	}
	checks := []struct {
		name string
		fn   func(t *testing.T, s storage.Store)
	}{
		{"NotExist", testNotExist},
		{"PutGet", testPutGet},
		{"PutOverwrite", testPutOverwrite},
		{"PutIfAbsentExisting", testPutIfAbsentExisting},
		{"PutIfAbsentRace", func(t *testing.T, s storage.Store) { testPutIfAbsentRace(t, s, o) }},
		{"ListSorted", testListSorted},
		{"ListPrefixes", testListPrefixes},
		{"ListFrom", testListFrom},
		{"ListStopEarly", testListStopEarly},
		{"ListAfterDelete", testListAfterDelete},
		{"Stat", testStat},
		{"ReadAt", testReadAt},
		{"ReadAtConcurrent", testReadAtConcurrent},
		{"SeekRead", testSeekRead},
		{"DeleteIdempotent", testDeleteIdempotent},
		{"CreateClose", testCreateClose},
		{"CreateAbort", testCreateAbort},
		{"CreateAbortKeepsOld", testCreateAbortKeepsOld},
		{"CreateEmpty", testCreateEmpty},
		{"InvalidPaths", testInvalidPaths},
		{"Closed", testClosed},
	}
	for _, c := range checks {
		t.Run(c.name, func(t *testing.T) { c.fn(t, fresh(t)) })
	}
}
