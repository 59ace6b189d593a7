package protocol_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/lakehouse-go/lakehouse/internal/protocol"
)

func TestTxnExpired(t *testing.T) {
	now := time.Date(2026, 1, 10, 0, 0, 0, 0, time.UTC)
	ms := func(d time.Duration) *int64 { v := now.Add(-d).UnixMilli(); return &v }
	tests := []struct {
		name   string
		config protocol.Config
		last   *int64
		want   bool
	}{
		{"no property: never", protocol.Config{}, ms(1000 * time.Hour), false},
		{"older than retention", protocol.Config{protocol.PropSetTxnRetention: "interval 2 days"}, ms(49 * time.Hour), true},
		{"within retention", protocol.Config{protocol.PropSetTxnRetention: "interval 2 days"}, ms(47 * time.Hour), false},
		{"no lastUpdated: never", protocol.Config{protocol.PropSetTxnRetention: "interval 1 hour"}, nil, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, tc.config.TxnExpired(tc.last, now))
		})
	}
}
