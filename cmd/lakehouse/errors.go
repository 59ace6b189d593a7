package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"unicode/utf8"

	"github.com/lakehouse-go/lakehouse/delta"
	"github.com/lakehouse-go/lakehouse/delta/expr"
)

// Exit statuses: a mistake in the command line is told apart from a
// failure while doing the work, so scripts can tell "fix the call" from
// "the table or the storage failed".
const (
	exitOK      = 0
	exitFailure = 1
	exitUsage   = 2
)

// cliError is an error worded by the CLI itself: a usage mistake, or a
// failure that needs lines of its own under the message (a caret under
// an expression).
type cliError struct {
	msg    string
	usage  bool   // a mistake in the command line: exit status 2
	detail string // printed as is on the lines after the message
	err    error  // the cause, still matchable with errors.Is; may be nil
}

func (e *cliError) Error() string { return e.msg }
func (e *cliError) Unwrap() error { return e.err }

// usagef reports a mistake in the command line (exit status 2).
func usagef(format string, args ...any) error {
	err := fmt.Errorf(format, args...)
	return &cliError{msg: err.Error(), usage: true, err: errors.Unwrap(err)}
}

// report prints err as one "lakehouse: ..." line on w (plus the detail
// lines of a *cliError) and returns the exit status for it.
func report(w io.Writer, cmd string, err error) int {
	if err == nil || errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	var ce *cliError
	worded := errors.As(err, &ce)
	code, msg := exitFailure, oneLine(err.Error())
	if worded && ce.usage {
		code, msg = exitUsage, cmd+": "+msg
		if ce.detail == "" {
			msg += fmt.Sprintf(" (run 'lakehouse help %s' for usage)", cmd)
		}
	} else if !worded {
		msg += hint(err)
	}
	fmt.Fprintln(w, "lakehouse: "+msg)
	if worded && ce.detail != "" {
		fmt.Fprintln(w, ce.detail)
	}
	return code
}

// hint adds what to do next for the runtime errors users meet most.
func hint(err error) string {
	switch {
	case errors.Is(err, delta.ErrNotATable):
		return " (a Delta table needs at least one commit in _delta_log, such as 00000000000000000000.json)"
	case errors.Is(err, delta.ErrVersionNotFound):
		return " (run 'lakehouse history TABLE' to see the versions that exist)"
	case errors.Is(err, delta.ErrOutsideRoot):
		return " (nothing was read from there; if the table may read that location, as a shallow clone reads its source, pass --allow-root LOCATION)"
	case errors.Is(err, delta.ErrCorruptLog):
		return " (nothing was printed; restore the damaged _delta_log files or repair the table with the engine that wrote it)"
	}
	return ""
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// explainOpen words a failure to open url. For a local path it tells a
// missing directory, a file and a directory without _delta_log apart,
// which the library reports alike as delta.ErrNotATable.
func explainOpen(loc string, err error) error {
	p, local := localPath(loc)
	if local {
		if st, serr := os.Stat(p); serr == nil && !st.IsDir() {
			return &cliError{err: err, msg: fmt.Sprintf("%s is a file, not a Delta table: give the directory that holds _delta_log", loc)}
		}
	}
	if !errors.Is(err, delta.ErrNotATable) {
		return err
	}
	if !local {
		return &cliError{err: err, msg: fmt.Sprintf("%s is not a Delta table (no _delta_log under it): check the URL names the table root", loc)}
	}
	if _, serr := os.Stat(p); errors.Is(serr, os.ErrNotExist) {
		return &cliError{err: err, msg: fmt.Sprintf("no such directory: %s (check the path; 'lakehouse write' or 'lakehouse create' makes a new table)", loc)}
	}
	if _, serr := os.Stat(filepath.Join(p, "_delta_log")); serr == nil {
		return &cliError{err: err, msg: fmt.Sprintf("%s is not a Delta table: its _delta_log is empty (a table starts with _delta_log/00000000000000000000.json)", loc)}
	}
	msg := fmt.Sprintf("%s is not a Delta table (no _delta_log): ", loc)
	if sub := tableBelow(p); sub != "" {
		msg += fmt.Sprintf("did you mean %s/%s?", strings.TrimRight(loc, "/"), sub)
	} else {
		msg += "give the directory that holds _delta_log"
	}
	return &cliError{err: err, msg: msg}
}

// localPath returns the file system path of loc when it names one.
func localPath(loc string) (string, bool) {
	if !strings.Contains(loc, "://") {
		return loc, true
	}
	u, err := url.Parse(loc)
	if err != nil || u.Scheme != "file" {
		return "", false
	}
	return filepath.FromSlash(u.Path), true
}

// tableBelow returns the name of a subdirectory of dir that is a Delta
// table, the usual slip being one level too high.
func tableBelow(dir string) string {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return ""
	}
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		if st, err := os.Stat(filepath.Join(dir, e.Name(), "_delta_log")); err == nil && st.IsDir() {
			return e.Name()
		}
	}
	return ""
}

// exprError words an error of the expression text given to flag (such
// as --where), with the expression and a caret under the offending
// position on the next lines. A syntax error is a usage mistake; an
// unknown column or a type error is only found against the table, so it
// is a runtime failure.
func exprError(flag, text string, err error) error {
	var se *expr.SyntaxError
	if errors.As(err, &se) {
		return &cliError{
			msg:    fmt.Sprintf("%s: syntax error at column %d: %s", flag, column(se.Text, se.Pos), se.Msg),
			usage:  true,
			detail: caret(se.Text, se.Pos),
			err:    err,
		}
	}
	var ce *expr.CompileError
	if errors.As(err, &ce) && ce.Pos >= 0 && ce.Pos <= len(text) {
		kind := strings.TrimPrefix(ce.Kind.Error(), "expr: ")
		return &cliError{
			msg:    fmt.Sprintf("%s: %s: %s", flag, kind, ce.Msg),
			detail: caret(text, ce.Pos),
			err:    err,
		}
	}
	return err
}

// lineAt returns the start of the line of text holding byte offset pos,
// and pos clamped into text.
func lineAt(text string, pos int) (start, p int) {
	p = max(0, min(pos, len(text)))
	return strings.LastIndexByte(text[:p], '\n') + 1, p
}

// column is the 1-based character column of byte offset pos in its line.
func column(text string, pos int) int {
	start, p := lineAt(text, pos)
	return utf8.RuneCountInString(text[start:p]) + 1
}

// caret renders the line of text holding byte offset pos, indented, with a
// ^ under the character at pos.
func caret(text string, pos int) string {
	start, p := lineAt(text, pos)
	end := strings.IndexByte(text[p:], '\n')
	if end < 0 {
		end = len(text)
	} else {
		end += p
	}
	var pad strings.Builder
	for _, r := range text[start:p] {
		if r == '\t' {
			pad.WriteByte('\t')
		} else {
			pad.WriteByte(' ')
		}
	}
	return "  " + text[start:end] + "\n  " + pad.String() + "^"
}

// closest returns the command name nearest to name (at most two edits
// away), or "".
func closest(name string, cs []command) string {
	best, bestD := "", 3
	for _, c := range cs {
		if d := editDistance(name, c.name); d < bestD {
			best, bestD = c.name, d
		}
	}
	return best
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}
