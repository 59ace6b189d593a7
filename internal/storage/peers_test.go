package storage_test

import (
	"crypto/rand"
	"os"
	"strings"
	"testing"
)

// requirePeer returns the value of env, the address of an external test
// service. Locally a missing service skips the test; under CI (CI=true) it
// fails it, so CI cannot go green without the service.
func requirePeer(t *testing.T, env, installHint string) string {
	t.Helper()
	v := os.Getenv(env)
	if v != "" {
		return v
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s is not set under CI=true; %s", env, installHint)
	}
	t.Skipf("%s is not set; %s", env, installHint)
	return ""
}

// uniqueName returns a lower-case name usable as a bucket, container or
// key prefix that no other test run shares.
func uniqueName(base string) string {
	return base + "-" + strings.ToLower(rand.Text()[:12])
}
