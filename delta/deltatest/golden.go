package deltatest

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lakehouse-go/lakehouse/delta"
)

// UpdateGoldenEnv names the environment variable that makes RequireGolden
// write its files instead of comparing: DELTATEST_UPDATE=1 go test ./...
const UpdateGoldenEnv = "DELTATEST_UPDATE"

// RequireGolden compares a snapshot with a golden file: its version,
// schema and rows (sorted, so the order files were written in does not
// matter) as text. With DELTATEST_UPDATE=1 in the environment it writes
// the file instead; review the change like any other code.
func RequireGolden(t testing.TB, snap *delta.Snapshot, path string) {
	t.Helper()
	got, err := goldenText(snap)
	if err != nil {
		t.Fatalf("deltatest: reading the table: %v", err)
	}
	if os.Getenv(UpdateGoldenEnv) != "" {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatalf("deltatest: %v", err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatalf("deltatest: %v", err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("deltatest: golden file %s does not exist; run with %s=1 to write it", path, UpdateGoldenEnv)
	}
	if err != nil {
		t.Fatalf("deltatest: %v", err)
	}
	if string(want) != got {
		t.Fatalf("deltatest: table differs from %s (run with %s=1 to accept):\n%s", path, UpdateGoldenEnv, lineDiff(string(want), got))
	}
}

// goldenText renders a snapshot for a golden file.
func goldenText(snap *delta.Snapshot) (string, error) {
	tb, err := readTable(snap)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "version %d\n\nschema:\n", snap.Version())
	names := make([]string, tb.schema.NumFields())
	for i, f := range tb.schema.Fields() {
		names[i] = f.Name
		null := ""
		if !f.Nullable {
			null = " NOT NULL"
		}
		fmt.Fprintf(&b, "  %s: %s%s\n", f.Name, f.Type, null)
	}
	if p := snap.Metadata().PartitionColumns; len(p) > 0 {
		fmt.Fprintf(&b, "partitioned by: %s\n", strings.Join(p, ", "))
	}
	fmt.Fprintf(&b, "\n%d rows:\n", len(tb.rows))
	sortRows(tb.rows)
	for _, r := range tb.rows {
		fmt.Fprintf(&b, "  %s\n", rowString(names, r))
	}
	return b.String(), nil
}

// lineDiff lists the lines only in want (-) and only in got (+), in order.
func lineDiff(want, got string) string {
	wl, gl := strings.Split(want, "\n"), strings.Split(got, "\n")
	inGot, inWant := map[string]int{}, map[string]int{}
	for _, l := range gl {
		inGot[l]++
	}
	for _, l := range wl {
		inWant[l]++
	}
	var b strings.Builder
	for _, l := range wl {
		if inGot[l] > 0 {
			inGot[l]--
			continue
		}
		fmt.Fprintf(&b, "- %s\n", l)
	}
	for _, l := range gl {
		if inWant[l] > 0 {
			inWant[l]--
			continue
		}
		fmt.Fprintf(&b, "+ %s\n", l)
	}
	return b.String()
}
