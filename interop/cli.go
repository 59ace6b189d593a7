package interop

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strconv"
	"strings"
)

// ErrCLI is returned when the lakehouse CLI fails; the message carries its
// stderr line ("lakehouse: …").
var ErrCLI = errors.New("interop: lakehouse CLI")

// CLI runs the lakehouse command-line tool built from ./cmd/lakehouse.
type CLI struct {
	Bin string
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
