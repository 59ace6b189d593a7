package prereq_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/lakehouse-go/lakehouse/internal/prereq"
)

// fakeT records how a test ended instead of ending it. Only the methods
// Missing calls are implemented; the embedded nil TB panics on any other.
type fakeT struct {
	testing.TB
	fatal, skip string
}

func (f *fakeT) Helper()           {}
func (f *fakeT) Fatal(args ...any) { f.fatal = args[0].(string) }
func (f *fakeT) Skip(args ...any)  { f.skip = args[0].(string) }

func TestMissing(t *testing.T) {
	for _, tc := range []struct {
		ci    string
		inCI  bool
		fatal string
		skip  string
	}{
		{ci: "true", inCI: true, fatal: "spark peer not available: no venv at /x (a missing prerequisite fails under CI=true)"},
		{ci: "", skip: "spark peer not available: no venv at /x"},
		{ci: "false", skip: "spark peer not available: no venv at /x"},
		{ci: "1", skip: "spark peer not available: no venv at /x"}, // only CI=true marks CI, as .ci/run sets it
	} {
		t.Run("CI="+tc.ci, func(t *testing.T) {
			t.Setenv(prereq.Env, tc.ci)
			assert.Equal(t, tc.inCI, prereq.InCI())
			f := &fakeT{}
			prereq.Missing(f, "%s peer not available: no venv at %s", "spark", "/x")
			assert.Equal(t, tc.fatal, f.fatal)
			assert.Equal(t, tc.skip, f.skip)
		})
	}
}
