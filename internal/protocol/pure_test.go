package protocol_test

import (
	"os/exec"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The protocol core — internal/protocol, internal/logreplay and
// internal/conflict — decides what the log means and never touches
// storage: callers do the I/O and hand it bytes and actions (the Engine
// split of delta-kernel-rs). TestPureCore checks that rule against the
// import graph, so a convenience import cannot quietly break it.
//
// "Does I/O" means, for this test:
//
//   - No package anywhere in the core's (non-test) dependency closure may be
//     one whose job is storage, network or process access: the cloud and
//     RPC SDKs, net itself and the network protocols above it, os/exec,
//     database/sql, and this module's own storage layers. net/url and
//     net/netip parse strings and are allowed.
//   - The module's own packages in that closure (the core itself and what
//     it imports from this module, such as internal/dv) may not import the
//     packages that reach the file system or the OS directly: os, io/fs,
//     io/ioutil, path/filepath, syscall. Nor context: protocol logic takes
//     no ctx because it has nothing to cancel.
//
// The second rule is about direct imports only, because the standard
// library itself imports os (fmt does, for Printf); what matters is that
// no code of ours in the core calls it. io stays allowed: its interfaces
// let a caller hand the core a reader or writer it owns.
const module = "github.com/lakehouse-go/lakehouse/"

// forbiddenAnywhere are import paths, each forbidding itself and every
// package below it.
var forbiddenAnywhere = []string{
	"gocloud.dev",
	"cloud.google.com",
	"github.com/aws",
	"github.com/Azure",
	"google.golang.org/api",
	"google.golang.org/grpc",
	"net",
	"os/exec",
	"os/signal",
	"database/sql",
	"plugin",
	"log/syslog",
	module + "internal/storage",
	module + "internal/dvstore",
	module + "internal/checkpoint",
	module + "internal/parquetio",
}

// allowedAnywhere are exceptions to forbiddenAnywhere: pure parsers.
var allowedAnywhere = []string{"net/url", "net/netip"}

// forbiddenDirect may not be imported by this module's packages in the core.
var forbiddenDirect = []string{"os", "io/fs", "io/ioutil", "path/filepath", "syscall", "context"}

func under(path, prefix string) bool {
	return path == prefix || strings.HasPrefix(path, prefix+"/")
}

// ioViolations lists, for the packages pkgs and their dependencies, every
// import that breaks the rules above, as "importer -> imported" (or just
// the package, for the first rule).
func ioViolations(t *testing.T, pkgs ...string) []string {
	t.Helper()
	args := append([]string{"list", "-deps", "-f", "{{.ImportPath}} {{join .Imports \" \"}}"}, pkgs...)
	out, err := exec.Command("go", args...).Output()
	if ee, ok := err.(*exec.ExitError); ok {
		t.Fatalf("go list: %v\n%s", err, ee.Stderr)
	}
	require.NoError(t, err, "go list")
	var bad []string
	for line := range strings.Lines(strings.TrimSpace(string(out))) {
		fields := strings.Fields(line)
		pkg, imports := fields[0], fields[1:]
		if !slices.Contains(allowedAnywhere, pkg) && slices.ContainsFunc(forbiddenAnywhere, func(f string) bool { return under(pkg, f) }) {
			bad = append(bad, pkg)
		}
		if !strings.HasPrefix(pkg, module) {
			continue
		}
		for _, imp := range imports {
			if slices.Contains(forbiddenDirect, imp) {
				bad = append(bad, pkg+" -> "+imp)
			}
		}
	}
	return bad
}

func TestPureCore(t *testing.T) {
	tests := []struct {
		pkg  string
		pure bool
	}{
		{"internal/protocol", true},
		{"internal/logreplay", true},
		{"internal/conflict", true},
		{"internal/dv", true},
		// Packages that do I/O, so that a checker that always passes fails here.
		{"internal/dvstore", false},
		{"internal/storage", false},
	}
	for _, tc := range tests {
		t.Run(tc.pkg, func(t *testing.T) {
			bad := ioViolations(t, module+tc.pkg)
			if tc.pure {
				assert.Empty(t, bad, "%s must do no I/O (see the rules at the top of this file)", tc.pkg)
			} else {
				assert.NotEmpty(t, bad, "%s reads storage; the checker should see it", tc.pkg)
			}
		})
	}
}
