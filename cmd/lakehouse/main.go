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
//	lakehouse optimize [--where EXPR] [--zorder-by a,b | --full] [--format text|json] TABLE
//	lakehouse cluster-by [--format text|json] TABLE a,b|NONE
//	lakehouse maintain [--dry-run] [--budget 5m] [--format text|json] TABLE
//	lakehouse validate --suite SUITE.yaml [--format text|json] TABLE
//
// TABLE is a local path or a URL (file://, mem://, s3://, gs://, azblob://).
// Errors go to stderr as one line starting "lakehouse:" (an expression
// error in --where or --replace-where adds the expression and a caret
// under the mistake on the next two lines). The
// exit status is 2 for a mistake in the command line and 1 for any other
// failure; help (-h, --help, "lakehouse help COMMAND") goes to stdout.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"sort"
	"strings"

	// Cloud drivers: the CLI is an application, so it links them; the
	// library never does.
	_ "gocloud.dev/blob/azureblob"
	_ "gocloud.dev/blob/gcsblob"
	_ "gocloud.dev/blob/s3blob"

	"github.com/lakehouse-go/lakehouse/delta"
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
	// progressTTY: stderr is a terminal, where long operations draw a
	// progress bar.
	progressTTY bool
}

func commands() []command {
	return append([]command{
		{"cat", "print rows of a table", runCat},
		{"describe", "print version, protocol, metadata and size of a table", runDescribe},
		{"history", "print the commit history, newest first", runHistory},
		{"files", "print the live data files (add actions)", runFiles},
		{"changes", "print the change data feed between two versions", runChanges},
		{"validate", "check a table against an expectation suite (exit 1 if one fails)", runValidate},
	}, slices.Concat(writeCommands(), dmlCommands(), maintenanceCommands(), optimizeCommands())...)
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	e := &env{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, tty: isTerminal(os.Stdout), progressTTY: isTerminal(os.Stderr)}
	os.Exit(run(ctx, e, os.Args[1:]))
}

// run executes one command line and returns the exit status: 0 on
// success, 2 for a mistake in the command line, 1 for any other failure.
// Help goes to stdout; an error is one "lakehouse: ..." line on stderr.
func run(ctx context.Context, e *env, args []string) int {
	if len(args) == 0 {
		fmt.Fprintln(e.stderr, "lakehouse: no command given; run 'lakehouse help' for the list")
		return exitUsage
	}
	name, rest := args[0], args[1:]
	switch name {
	case "help", "-h", "-help", "--help":
		if len(rest) == 0 {
			usage(e.stdout)
			return exitOK
		}
		if len(rest) > 1 {
			fmt.Fprintln(e.stderr, "lakehouse: help takes at most one COMMAND; run 'lakehouse help' for the list")
			return exitUsage
		}
		// "lakehouse help CMD" is "lakehouse CMD -h".
		name, rest = rest[0], []string{"-h"}
	}
	cs := commands()
	for _, c := range cs {
		if c.name == name {
			return report(e.stderr, c.name, c.run(ctx, e, rest))
		}
	}
	msg := fmt.Sprintf("lakehouse: unknown command %q; ", name)
	if near := closest(name, cs); near != "" {
		msg += fmt.Sprintf("did you mean %q? ", near)
	}
	fmt.Fprintln(e.stderr, msg+"run 'lakehouse help' for the list")
	return exitUsage
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: lakehouse COMMAND [flags] TABLE")
	cs := commands()
	sort.Slice(cs, func(i, j int) bool { return cs[i].name < cs[j].name })
	for _, c := range cs {
		fmt.Fprintf(w, "  %-13s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "run 'lakehouse help COMMAND' for a command's flags")
	fmt.Fprintln(w, "exit status: 0 ok, 1 failure, 2 bad command line")
}

// flagSet is a command's flags. It never prints: parse errors come back
// as usage errors for run to word as one line, and -h prints the
// command's usage to stdout.
type flagSet struct {
	*flag.FlagSet
	stdout   io.Writer
	synopsis string
	roots    rootList // --allow-root, which every command takes
}

// newFlags makes the flag set of command name; synopsis is its usage line
// after "lakehouse NAME".
func newFlags(e *env, name, synopsis string) *flagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	f := &flagSet{FlagSet: fs, stdout: e.stdout, synopsis: synopsis}
	fs.Var(&f.roots, "allow-root", "also read data and deletion-vector files under this location (repeatable; a shallow clone needs its source's root)")
	return f
}

// rootList collects repeated --allow-root flags.
type rootList []string

func (r *rootList) String() string { return strings.Join(*r, ", ") }
func (r *rootList) Set(v string) error {
	if v == "" {
		return errors.New("--allow-root needs a path or URL")
	}
	*r = append(*r, v)
	return nil
}

// tableOptions are the delta.Options the flags ask for; nil means the
// defaults.
func (f *flagSet) tableOptions() *delta.Options {
	if len(f.roots) == 0 {
		return nil
	}
	return &delta.Options{AllowedRoots: f.roots}
}

// printHelp writes the command's usage and flags to stdout.
func (f *flagSet) printHelp() {
	w := f.stdout
	fmt.Fprintf(w, "usage: lakehouse %s %s\n", f.Name(), f.synopsis)
	for _, c := range commands() {
		if c.name == f.Name() {
			fmt.Fprintf(w, "%s\n", c.summary)
		}
	}
	f.VisitAll(func(fl *flag.Flag) {
		typ, text := flag.UnquoteUsage(fl)
		fmt.Fprintf(w, "  --%s", fl.Name)
		if typ != "" {
			fmt.Fprintf(w, " %s", typ)
		}
		fmt.Fprintf(w, "\n    \t%s", text)
		if fl.DefValue != "" && fl.DefValue != "false" && fl.DefValue != "0" && fl.DefValue != "-1" && fl.DefValue != "map[]" {
			fmt.Fprintf(w, " (default %s)", fl.DefValue)
		}
		fmt.Fprintln(w)
	})
}

// parseArgs parses flags that may appear before or after the TABLE
// argument, and returns the positional arguments. -h prints the usage
// and returns flag.ErrHelp.
func parseArgs(fs *flagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				fs.printHelp()
				return nil, err
			}
			return nil, usagef("%v", err)
		}
		if fs.NArg() == 0 {
			return pos, nil
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

// tableArg parses a command's flags and returns its one TABLE argument.
func tableArg(fs *flagSet, args []string) (string, error) {
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
	switch len(pos) {
	case 0:
		return "", usagef("missing TABLE argument")
	case 1:
		if pos[0] == "" {
			return "", usagef("TABLE is empty")
		}
		return pos[0], nil
	}
	return "", usagef("expected one TABLE argument, got %d: %s", len(pos), strings.Join(pos, " "))
}

func isTerminal(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
