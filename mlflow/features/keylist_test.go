package features

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestParseKeyList(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{`["id","ts"]`, []string{"id", "ts"}},
		{"id", []string{"id"}},
		{" id , region ", []string{"id", "region"}},
		{"", nil},
		{" , ", nil},
	}
	for _, tc := range tests {
		assert.Equal(t, tc.want, parseKeyList(tc.in), "%q", tc.in)
	}
}
