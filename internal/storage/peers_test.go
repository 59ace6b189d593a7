package storage_test

import (
	"crypto/rand"
	"os"
	"strings"
	"testing"

	"github.com/lakehouse-go/lakehouse/internal/prereq"
)

// requirePeer returns the value of env, the address of an external test
// service. Locally a missing service skips the test; under CI (CI=true) it
// fails it, so CI cannot go green without the service.
func requirePeer(t *testing.T, env, installHint string) string {
	t.Helper()
	v := os.Getenv(env)
	if v == "" {
		prereq.Missing(t, "%s is not set; %s", env, installHint)
	}
	return v
}

// uniqueName returns a lower-case name usable as a bucket, container or
// key prefix that no other test run shares.
func uniqueName(base string) string {
	return base + "-" + strings.ToLower(rand.Text()[:12])
}
