package delta

import (
	"regexp"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/lakehouse-go/lakehouse/internal/reliabilitydoc"
)

// RELIABILITY.md at the module root holds sections the reliability tests
// generate (internal/reliabilitydoc). With LAKEHOUSE_UPDATE_RELIABILITY=1
// (scripts/test.sh sets it, so every CI run regenerates the file) a test
// rewrites its section; otherwise it checks that the committed section
// names the same cases (### headings and table rows named by operation)
// as the test's definition, so a case added without regenerating the file
// fails.

const reliabilityFile = "../RELIABILITY.md"

// reliabilityHeading matches what names the cases: headings, and table
// rows that start with a word (an operation), not a step number.
var reliabilityHeading = regexp.MustCompile(`(?m)^(### .*|\| [a-z][^|]*\|)`)

// reliabilitySection writes (or checks) the generated section name, whose
// content body was produced by the test that cmd runs.
func reliabilitySection(t *testing.T, name, cmd, body string) {
	t.Helper()
	if reliabilitydoc.Updating() {
		require.NoError(t, reliabilitydoc.Write(reliabilityFile, name, cmd, body))
		return
	}
	committed, ok, err := reliabilitydoc.Section(reliabilityFile, name)
	require.NoError(t, err)
	require.True(t, ok, "RELIABILITY.md lacks the %s section: run %s with LAKEHOUSE_UPDATE_RELIABILITY=1", name, cmd)
	require.Equal(t, reliabilityHeading.FindAllString(body, -1), reliabilityHeading.FindAllString(committed, -1),
		"RELIABILITY.md's %s section is out of date: run %s with LAKEHOUSE_UPDATE_RELIABILITY=1", name, cmd)
}
