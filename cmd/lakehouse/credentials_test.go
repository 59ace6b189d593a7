package main

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestCanarySecretsNeverPrinted runs the CLI's failing opens with canary
// credentials in the URL (userinfo, an Azure SAS signature, a token
// parameter, a URL that does not even parse) and in the environment, and
// checks no canary reaches stdout, stderr or the default slog logger.
func TestCanarySecretsNeverPrinted(t *testing.T) {
	const canary = "CANARYc4n4ry5ecret"
	// Credentials in the environment are what the S3 driver signs with;
	// no endpoint listens, so every request fails.
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIA"+canary)
	t.Setenv("AWS_SECRET_ACCESS_KEY", canary)
	t.Setenv("AWS_SESSION_TOKEN", canary+"session")
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv("AWS_MAX_ATTEMPTS", "1")
	t.Setenv("AZURE_STORAGE_ACCOUNT", "devstoreaccount1")
	t.Setenv("AZURE_STORAGE_KEY", canary)
	t.Setenv("AZURE_STORAGE_SAS_TOKEN", "sig="+canary)
	var logged bytes.Buffer
	prev := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(&logged, &slog.HandlerOptions{Level: slog.LevelDebug})))
	t.Cleanup(func() { slog.SetDefault(prev) })

	dead := "endpoint=http%3A%2F%2F127.0.0.1%3A1&region=us-east-1&use_path_style=true"
	for _, tc := range []struct {
		name string
		url  string
	}{
		{"secret in S3 userinfo", "s3://AKIAID:" + canary + "@bucket/t?" + dead},
		{"token as user name", "s3://" + canary + "@bucket/t?" + dead},
		{"credentials from the environment", "s3://bucket/t?" + dead},
		{"unknown S3 parameter holding a secret", "s3://bucket/t?" + dead + "&aws_secret_access_key=" + canary},
		{"Azure SAS token in the query", "azblob://container/t?sv=2022-11-02&ss=b&srt=co&sp=rl&sig=" + canary + "&protocol=http&domain=127.0.0.1:1"},
		{"GCS access token parameter", "gs://bucket/t?access_token=" + canary},
		{"unparsable URL", "s3://user:" + canary + "@bu cket/%zz?sig=" + canary},
		{"secret in a fragment", "s3://bucket/t?" + dead + "#" + canary},
	} {
		t.Run(tc.name, func(t *testing.T) {
			logged.Reset()
			start := time.Now()
			code, stdout, stderr := lakehouse(t, "describe", tc.url)
			require.NotEqual(t, 0, code, "the open must fail: %s", stderr)
			require.True(t, strings.HasPrefix(stderr, "lakehouse: "), stderr)
			for name, out := range map[string]string{"stdout": stdout, "stderr": stderr, "slog": logged.String()} {
				assert.NotContains(t, out, canary, "%s leaks the canary", name)
			}
			t.Logf("%s (%v): %s", tc.name, time.Since(start).Round(time.Millisecond), strings.TrimSpace(stderr))
		})
	}
}
