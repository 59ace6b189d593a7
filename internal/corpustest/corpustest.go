// Package corpustest locates the shared conformance corpus for tests: the
// real Delta tables written by Spark, Databricks and delta-rs that live
// beside the repository in ../shared/testdata and are never copied into it.
package corpustest

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/lakehouse-go/lakehouse/internal/prereq"
)

// Env names the variable that overrides the corpus location.
const Env = "LAKEHOUSE_TESTDATA"

// Dir returns the absolute corpus directory: $LAKEHOUSE_TESTDATA, else
// shared/testdata beside the repository root (found from the working
// directory by its go.mod). When the corpus is absent the test is skipped
// with a message saying how to provide it, or fails under CI=true, where
// it must be present.
func Dir(t testing.TB) string {
	t.Helper()
	dir := os.Getenv(Env)
	if dir == "" {
		dir = besideRepo()
	}
	if _, err := os.Stat(filepath.Join(dir, "MANIFEST.md")); err != nil {
		prereq.Missing(t, "conformance corpus not found at %q: set %s to the shared/testdata directory", dir, Env)
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		t.Fatalf("corpustest: %v", err)
	}
	return abs
}

// Table returns the table root (the directory holding _delta_log) of a
// corpus table named "source/table".
func Table(t testing.TB, name string) string {
	t.Helper()
	return filepath.Join(Dir(t), filepath.FromSlash(name), "delta")
}

// besideRepo walks up from the working directory to the module root and
// returns ../shared/testdata next to it.
func besideRepo() string {
	wd, err := os.Getwd()
	if err != nil {
		return filepath.Join("..", "shared", "testdata")
	}
	for d := wd; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return filepath.Join(filepath.Dir(d), "shared", "testdata")
		}
		if filepath.Dir(d) == d {
			return filepath.Join("..", "shared", "testdata")
		}
	}
}
