// Command lakehouse reads and writes Delta tables from the shell.
//
//	lakehouse cat [--version N | --timestamp RFC3339] [--columns a,b] [--where EXPR] [--limit N] [--format jsonl|csv|table] TABLE
//	lakehouse describe [--version N] [--format json|text] TABLE
//	lakehouse history [--limit N] [--format jsonl|table] TABLE
//	lakehouse files [--version N] [--format jsonl] TABLE
//	lakehouse changes --from N [--to M] [--format jsonl|csv|table] TABLE
//	lakehouse restore --version N | --timestamp T TABLE
//	lakehouse clone [--shallow] [--version N | --timestamp T] SOURCE TARGET
//	lakehouse vacuum [--retain 168h] [--dry-run] [--lite] [--force] TABLE
//
// TABLE is a local path or a URL (file://, mem://, s3://, gs://, azblob://).
// Errors go to stderr as one line starting "lakehouse:" and the exit status
// is non-zero.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"strings"

	"github.com/lakehouse-go/lakehouse/delta"

	// Cloud drivers: the CLI is an application, so it links them; the
	// library never does.
	_ "gocloud.dev/blob/azureblob"
	_ "gocloud.dev/blob/gcsblob"
	_ "gocloud.dev/blob/s3blob"
)

// command is one subcommand.
type command struct {
	name    string
	summary string
	run     func(ctx context.Context, env *env, args []string) error
}

// env is what a command may touch: its streams and whether stdout is a
// terminal (which picks human formats by default).
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	tty            bool
}

func commands() []command {
	return append([]command{
		{"cat", "print rows of a table", runCat},
		{"describe", "print version, protocol, metadata and size of a table", runDescribe},
		{"history", "print the commit history, newest first", runHistory},
		{"files", "print the live data files (add actions)", runFiles},
		{"changes", "print the change data feed between two versions", runChanges},
	}, append(append(writeCommands(), dmlCommands()...), maintenanceCommands()...)...)
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	e := &env{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, tty: isTerminal(os.Stdout)}
	os.Exit(run(ctx, e, os.Args[1:]))
}

// run executes one command line and returns the exit status.
func run(ctx context.Context, e *env, args []string) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(e.stderr)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	for _, c := range commands() {
		if c.name == args[0] {
			err := c.run(ctx, e, args[1:])
			if err == nil {
				return 0
			}
			if errors.Is(err, flag.ErrHelp) {
				return 0
			}
			fmt.Fprintln(e.stderr, "lakehouse: "+oneLine(err.Error())+hint(err))
			return 1
		}
	}
	fmt.Fprintf(e.stderr, "lakehouse: unknown command %q; run 'lakehouse help' for the list\n", args[0])
	return 2
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: lakehouse COMMAND [flags] TABLE")
	cs := commands()
	sort.Slice(cs, func(i, j int) bool { return cs[i].name < cs[j].name })
	for _, c := range cs {
		fmt.Fprintf(w, "  %-13s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "run 'lakehouse COMMAND -h' for a command's flags")
}

// hint adds what to do next for the errors users meet most.
func hint(err error) string {
	switch {
	case errors.Is(err, delta.ErrNotATable):
		return " (check the path: a Delta table directory holds a _delta_log folder)"
	case errors.Is(err, delta.ErrVersionNotFound):
		return " (run 'lakehouse history TABLE' to see the versions that exist)"
	case errors.Is(err, delta.ErrUnsupportedFeature):
		return ""
	case errors.Is(err, delta.ErrCorruptLog):
		return " (the table's log is damaged; no rows were printed)"
	}
	return ""
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// newFlags makes a flag set that reports errors instead of exiting.
func newFlags(e *env, name, usage string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	fs.Usage = func() {
		fmt.Fprintf(e.stderr, "usage: lakehouse %s %s\n", name, usage)
		fs.PrintDefaults()
	}
	return fs
}

// parseArgs parses flags that may appear before or after the TABLE
// argument, and returns the positional arguments.
func parseArgs(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, usageErr(err)
		}
		if fs.NArg() == 0 {
			return pos, nil
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

func usageErr(err error) error {
	if errors.Is(err, flag.ErrHelp) {
		return err
	}
	return fmt.Errorf("%v (run with -h for usage)", err)
}

// tableArg parses a command's flags and returns its one TABLE argument.
func tableArg(fs *flag.FlagSet, args []string) (string, error) {
	pos, err := parseArgs(fs, args)
	if err != nil {
		return "", err
	}
	return oneTable(pos)
}

// formatOr returns the chosen --format, or the default for where stdout
// goes: a human format on a terminal, a machine one otherwise.
func formatOr(chosen, machine, human string, tty bool) string {
	switch {
	case chosen != "":
		return chosen
	case tty:
		return human
	}
	return machine
}

func oneTable(pos []string) (string, error) {
	if len(pos) != 1 {
		return "", fmt.Errorf("expected exactly one TABLE argument, got %d (run with -h for usage)", len(pos))
	}
	return pos[0], nil
}

func isTerminal(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
