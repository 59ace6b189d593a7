package interop

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lakehouse-go/lakehouse/internal/prereq"
)

// brokenModule writes a one-package module whose main.go is src and
// returns its directory.
func brokenModule(t *testing.T, src string) string {
	t.Helper()
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module example.com/cli\n\ngo 1.22\n"), 0o644))
	if src != "" {
		require.NoError(t, os.MkdirAll(filepath.Join(dir, "cmd", "lakehouse"), 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(dir, "cmd", "lakehouse", "main.go"), []byte(src), 0o644))
	}
	return dir
}

// TestBrokenCLIBuildFailsUnderCI: when the CLI does not build, the suite
// records the cases that need it as skips with the build's reason; under
// CI=true every such result fails the run, locally it is a logged skip.
// This is the path suite_test.go takes (BuildCLI, Unavailable, Enforce),
// pointed at deliberately broken packages instead of ./cmd/lakehouse.
func TestBrokenCLIBuildFailsUnderCI(t *testing.T) {
	for _, tc := range []struct {
		name, src string
		reason    string // the whole error, or its start when detail is set
		detail    string // compiler text, whose layout varies across Go versions
	}{
		{"compile error", "package main\n\nfunc main() { notDefined() }\n",
			"interop: lakehouse CLI not available: ./cmd/lakehouse does not build: # example.com/cli/cmd/lakehouse / ", "main.go:3:15: undefined: notDefined"},
		{"excluded by build constraints", "//go:build never\n\npackage main\n\nfunc main() {}\n",
			"interop: lakehouse CLI not available: ./cmd/lakehouse is excluded by its build constraints", ""},
		{"no package", "",
			"interop: lakehouse CLI not available: ./cmd/lakehouse does not exist", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			bin := filepath.Join(t.TempDir(), "lakehouse")
			cli, err := BuildCLI(ctx, BuildOptions{Dir: brokenModule(t, tc.src), Bin: bin})
			require.ErrorIs(t, err, ErrNoCLI)
			assert.Nil(t, cli)
			if tc.detail == "" {
				assert.Equal(t, tc.reason, err.Error())
			} else {
				assert.True(t, strings.HasPrefix(err.Error(), tc.reason), err.Error())
				assert.Contains(t, err.Error(), tc.detail)
			}
			assert.NoFileExists(t, bin)
			reason := err.Error()

			// Case 1 needs the CLI for every reader. The suite reads CI=true
			// from the environment, as here.
			for _, ciEnv := range []string{"true", ""} {
				t.Setenv(prereq.Env, ciEnv)
				for _, reader := range []string{Lakehouse, DeltaRS, Spark} {
					r := Unavailable(Result{Case: "1", Scenario: "lh_types", Writer: Lakehouse, Reader: reader}, reason)
					var rt recordingT
					Enforce(&rt, r, prereq.InCI())
					name := "case 1 lh_types lakehouse→" + reader
					if ciEnv == "true" {
						assert.Equal(t, []string{name + " skipped under CI=true, where every peer and the CLI must be present: " + reason}, rt.errors, "CI must fail")
						assert.Empty(t, rt.logs)
					} else {
						assert.Empty(t, rt.errors, "locally a skip with its reason passes")
						assert.Equal(t, []string{name + " skipped: " + reason}, rt.logs)
					}
				}
			}
		})
	}

	// The same build of a sound package gives a CLI that runs, so the
	// failures above come from the broken sources, not from the harness.
	t.Run("sound package", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		dir := brokenModule(t, "package main\n\nimport \"fmt\"\n\nfunc main() { fmt.Println(\"lakehouse ok\") }\n")
		cli, err := BuildCLI(ctx, BuildOptions{Dir: dir, Bin: filepath.Join(t.TempDir(), "lakehouse")})
		require.NoError(t, err)
		out, err := cli.Run(ctx, nil, "version")
		require.NoError(t, err)
		assert.Equal(t, "lakehouse ok\n", string(out))
	})
}
