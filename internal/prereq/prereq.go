// Package prereq decides what a test does when something it needs from
// outside the repository is missing: a peer engine, a service, the shared
// corpus, a built binary. Locally the test is skipped and says what is
// missing and how to provide it; under CI (CI=true) the same test fails,
// so a CI run cannot turn green by testing less.
package prereq

import (
	"fmt"
	"os"
	"testing"
)

// Env is the variable that marks a CI run; CI sets it to "true" (.ci/run
// exports it).
const Env = "CI"

// InCI reports whether this is a CI run, where every prerequisite must be
// present.
func InCI() bool { return os.Getenv(Env) == "true" }

// Missing ends the test because a prerequisite is absent: t.Fatal under
// CI, t.Skip otherwise. The message should name what is missing and how to
// provide it ("real MLflow not installed at …; run bash .ci/setup.d/…").
func Missing(t testing.TB, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...)
	if InCI() {
		t.Fatal(msg + " (a missing prerequisite fails under CI=true)")
		return
	}
	t.Skip(msg)
}
