package delta

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestTombstoneExpired(t *testing.T) {
	ms := func(v int64) *int64 { return &v }
	for _, tc := range []struct {
		name    string
		deleted *int64
		want    bool
	}{
		{"older than the cutoff", ms(999), true},
		{"in the cutoff's millisecond", ms(1000), true},
		{"newer than the cutoff", ms(1001), false},
		{"no deletion time", nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, tombstoneExpired(tc.deleted, 1000))
		})
	}
}
