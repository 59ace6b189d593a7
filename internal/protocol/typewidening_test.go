package protocol_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/lakehouse-go/lakehouse/internal/protocol"
)

func TestAutoWidens(t *testing.T) {
	tests := []struct {
		from, to protocol.PrimitiveType
		want     bool
	}{
		{protocol.TypeByte, protocol.TypeShort, true},
		{protocol.TypeShort, protocol.TypeLong, true},
		{protocol.TypeInteger, protocol.TypeLong, true},
		{protocol.TypeLong, protocol.TypeInteger, false},
		{protocol.TypeInteger, protocol.TypeInteger, false},
		{protocol.TypeFloat, protocol.TypeDouble, true},
		{protocol.TypeDouble, protocol.TypeFloat, false},
		{protocol.TypeDate, protocol.TypeTimestampNTZ, true},
		{protocol.TypeDate, protocol.TypeTimestamp, false},
		{protocol.DecimalType(10, 2), protocol.DecimalType(12, 2), true},
		{protocol.DecimalType(10, 2), protocol.DecimalType(12, 4), true},
		{protocol.DecimalType(10, 2), protocol.DecimalType(12, 5), false}, // integer digits shrink
		{protocol.DecimalType(10, 2), protocol.DecimalType(10, 1), false},
		{protocol.TypeInteger, protocol.TypeDouble, false}, // across families: ALTER only
		{protocol.TypeInteger, protocol.DecimalType(10, 0), false},
		{protocol.TypeString, protocol.TypeLong, false},
	}
	for _, tc := range tests {
		t.Run(string(tc.from)+"->"+string(tc.to), func(t *testing.T) {
			assert.Equal(t, tc.want, protocol.AutoWidens(tc.from, tc.to))
		})
	}
}
