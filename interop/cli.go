package interop

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
)

// ErrCLI is returned when the lakehouse CLI fails; the message carries its
// stderr line ("lakehouse: …").
var ErrCLI = errors.New("interop: lakehouse CLI")

// ErrNoCLI is returned by BuildCLI when there is no CLI to run: its package
// is absent, excluded by build constraints, or does not compile. The suite
// records every case that needs the CLI as a skip with this reason, which
// fails the run under CI=true (see Judge).
var ErrNoCLI = errors.New("interop: lakehouse CLI not available")

// BuildOptions says what BuildCLI builds.
type BuildOptions struct {
	Dir     string // module directory the build runs in
	Package string // package to build, relative to Dir; "" means ./cmd/lakehouse
	Bin     string // path of the binary to write
	Tags    string // build tags, comma-separated; "" for none
}

// BuildCLI builds the lakehouse CLI with `go build` and returns it, or an
// error wrapping ErrNoCLI that says why there is none.
func BuildCLI(ctx context.Context, o BuildOptions) (*CLI, error) {
	pkg := o.Package
	if pkg == "" {
		pkg = "./cmd/lakehouse"
	}
	if _, err := os.Stat(filepath.Join(o.Dir, pkg)); err != nil {
		return nil, fmt.Errorf("%w: %s does not exist", ErrNoCLI, pkg)
	}
	cmd := exec.CommandContext(ctx, "go", "build", "-tags", o.Tags, "-o", o.Bin, pkg)
	cmd.Dir = o.Dir
	out, err := cmd.CombinedOutput()
	if err == nil {
		return &CLI{Bin: o.Bin}, nil
	}
	text := strings.TrimSpace(string(out))
	if strings.Contains(text, "build constraints exclude all Go files") {
		return nil, fmt.Errorf("%w: %s is excluded by its build constraints", ErrNoCLI, pkg)
	}
	if text == "" {
		text = err.Error()
	}
	// The first lines name the package and the first compile error.
	lines := strings.SplitN(text, "\n", 3)
	if len(lines) > 2 {
		lines = lines[:2]
	}
	return nil, fmt.Errorf("%w: %s does not build: %s", ErrNoCLI, pkg, truncate(strings.Join(lines, " / "), 400))
}

// CLI runs the lakehouse command-line tool built from ./cmd/lakehouse.
type CLI struct {
	Bin string
	// AllowRoots are passed as --allow-root to every command: the suite's
	// own tables directory, where shallow clones point into their
	// sources (reads outside a table's root are refused otherwise).
	AllowRoots []string
}

// CatOptions selects what `lakehouse cat` reads; zero values mean "latest, all columns".
type CatOptions struct {
	Version   *int64
	Timestamp string // RFC 3339
	Columns   []string
	Where     string
}

// Run runs the CLI with args and stdin, returning stdout.
func (c *CLI) Run(ctx context.Context, stdin io.Reader, args ...string) ([]byte, error) {
	if len(args) > 0 {
		for _, r := range c.AllowRoots {
			args = append(args, "--allow-root", r)
		}
	}
	cmd := exec.CommandContext(ctx, c.Bin, args...)
	var out, errb bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &errb
	cmd.Stdin = stdin
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(errb.String())
		if i := strings.IndexByte(msg, '\n'); i >= 0 {
			msg = msg[:i]
		}
		if msg == "" {
			msg = err.Error()
		}
		return out.Bytes(), fmt.Errorf("%w: %s: %s", ErrCLI, strings.Join(args, " "), truncate(msg, 400))
	}
	return out.Bytes(), nil
}

// Cat returns the rows `lakehouse cat --format jsonl` prints.
func (c *CLI) Cat(ctx context.Context, table string, o CatOptions) ([]string, error) {
	args := []string{"cat", "--format", "jsonl"}
	if o.Version != nil {
		args = append(args, "--version", strconv.FormatInt(*o.Version, 10))
	}
	if o.Timestamp != "" {
		args = append(args, "--timestamp", o.Timestamp)
	}
	if len(o.Columns) > 0 {
		args = append(args, "--columns", strings.Join(o.Columns, ","))
	}
	if o.Where != "" {
		args = append(args, "--where", o.Where)
	}
	out, err := c.Run(ctx, nil, append(args, table)...)
	if err != nil {
		return nil, err
	}
	return splitLines(out), nil
}

// Changes returns the change-feed rows `lakehouse changes --format jsonl` prints.
func (c *CLI) Changes(ctx context.Context, table string, from, to int64) ([]string, error) {
	out, err := c.Run(ctx, nil, "changes", "--from", strconv.FormatInt(from, 10), "--to", strconv.FormatInt(to, 10), "--format", "jsonl", table)
	if err != nil {
		return nil, err
	}
	return splitLines(out), nil
}

// WriteOptions are the flags of `lakehouse write`.
type WriteOptions struct {
	Mode        string // append (default) or overwrite
	PartitionBy []string
	Format      string // jsonl, csv or parquet
	Compression string // the parquet codec; empty: the CLI's default
	// RowGroupRows caps a Parquet row group's rows; 0: the CLI's default.
	RowGroupRows int
}

// Write runs `lakehouse write` with data on stdin.
func (c *CLI) Write(ctx context.Context, table string, data []byte, o WriteOptions) error {
	args := []string{"write"}
	if o.Mode != "" {
		args = append(args, "--mode", o.Mode)
	}
	if len(o.PartitionBy) > 0 {
		args = append(args, "--partition-by", strings.Join(o.PartitionBy, ","))
	}
	if o.Format != "" {
		args = append(args, "--format", o.Format)
	}
	if o.Compression != "" {
		args = append(args, "--compression", o.Compression)
	}
	if o.RowGroupRows > 0 {
		args = append(args, "--row-group-rows", fmt.Sprint(o.RowGroupRows))
	}
	_, err := c.Run(ctx, bytes.NewReader(data), append(args, table)...)
	return err
}

func splitLines(b []byte) []string {
	var out []string
	for _, l := range strings.Split(string(b), "\n") {
		if strings.TrimSpace(l) != "" {
			out = append(out, l)
		}
	}
	return out
}
