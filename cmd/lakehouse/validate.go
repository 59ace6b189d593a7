package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"strings"

	"github.com/lakehouse-go/lakehouse/quality"
)

// runValidate runs a dataset expectation suite over a table. The exit
// status is 0 when every expectation passes, 1 when one fails (the
// report still goes to stdout) or the table cannot be read, and 2 for a
// mistake in the command line or the suite file (missing, an unknown
// expectation type, a column the table lacks).
func runValidate(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "validate", "--suite SUITE.yaml [--version N | --timestamp T] [--format text|json] TABLE")
	suitePath := fs.String("suite", "", "the expectation suite (YAML; see package quality)")
	sf := snapshotFlags{}
	fs.Int64Var(&sf.version, "version", -1, "validate this table version")
	fs.StringVar(&sf.timestamp, "timestamp", "", "validate the version current at this time (RFC 3339)")
	format := fs.String("format", "", "text or json (default: text on a terminal, json otherwise)")
	budget := fs.Int64("unique-memory", 256<<20, "bytes the unique expectations may hold (about 32 per distinct key)")
	url, err := tableArg(fs, args)
	if err != nil {
		return err
	}
	if *suitePath == "" {
		return usagef("--suite is required")
	}
	*format = formatOr(*format, "json", "text", e.tty)
	if *format != "json" && *format != "text" {
		return usagef("--format %q: use text or json", *format)
	}
	suite, err := quality.LoadSuite(*suitePath)
	if err != nil {
		return suiteError(*suitePath, err)
	}
	tbl, snap, err := sf.open(ctx, url, fs.tableOptions())
	if err != nil {
		return err
	}
	defer tbl.Close()
	rep, err := suite.Run(ctx, snap, &quality.SuiteOptions{UniqueMemoryBudget: *budget})
	if err != nil {
		return suiteError(*suitePath, err)
	}
	rep.Table = url
	if *format == "json" {
		err = rep.WriteJSON(e.stdout)
	} else {
		err = rep.WriteText(e.stdout)
	}
	if err != nil {
		return err
	}
	if !rep.Success {
		return &cliError{msg: fmt.Sprintf("validate: suite %q: %d of %d expectations failed", rep.Suite, rep.Failed, len(rep.Results))}
	}
	return nil
}

// suiteError words a suite that cannot run as a usage mistake (fix the
// file), and passes other failures on.
func suiteError(path string, err error) error {
	msg := oneLine(strings.TrimPrefix(err.Error(), "quality: "))
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return &cliError{msg: fmt.Sprintf("--suite %s: no such file", path), usage: true, err: err}
	case errors.Is(err, quality.ErrInvalidExpectation):
		return &cliError{msg: fmt.Sprintf("--suite %s: %s", path, msg), usage: true, err: err}
	case errors.Is(err, quality.ErrMemoryBudget):
		return &cliError{msg: msg, err: err}
	}
	return err
}
