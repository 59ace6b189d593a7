package storage

import (
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRedactLocations(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"/data/my table", "/data/my table"},
		{"file:///data/t", "file:///data/t"},
		{"s3://bucket/t", "s3://bucket/t"},
		{"s3://AKIA:secret@bucket/t", "s3://REDACTED@bucket/t"},
		{"https://token@host/x", "https://REDACTED@host/x"},
		{"s3://bucket/t?region=eu-west-1&awssecret=xyz", "s3://bucket/t?awssecret=REDACTED&region=eu-west-1"},
		{"azblob://c/t?sv=2022&sig=abc%2Fdef", "azblob://c/t?sig=REDACTED&sv=REDACTED"},
		{"s3://bucket/t#frag", "s3://bucket/t"},
		{"s3://u:p@bu cket/x?sig=s", "s3://REDACTED@bu cket/x?REDACTED"},
	} {
		t.Run(tc.in, func(t *testing.T) {
			assert.Equal(t, tc.want, Redact(tc.in))
		})
	}
}

func TestRedactErr(t *testing.T) {
	raw := "azblob://c/t?sig=s3cr3tvalue&sv=2022"
	sentinel := errors.New("boom")
	err := redactErr(fmt.Errorf("open %s (sig s3cr3tvalue): %w", raw, sentinel), raw)
	require.ErrorIs(t, err, sentinel)
	assert.NotContains(t, err.Error(), "s3cr3tvalue")
	assert.Contains(t, err.Error(), "azblob://c/t?sig=REDACTED")
	plain := errors.New("no secret here")
	assert.Same(t, plain, redactErr(plain, raw), "an error without secrets is returned as is")
}
