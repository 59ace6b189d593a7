package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/lakehouse-go/lakehouse/delta"
	"github.com/lakehouse-go/lakehouse/delta/expr"
)

// dmlCommands are the row-level operations.
func dmlCommands() []command {
	return []command{
		{"delete", "delete the rows matching --where (every row without it)", runDelete},
		{"update", "set columns (--set 'col = expr', repeatable) of the rows matching --where", runUpdate},
		{"merge", "upsert rows of a file, stdin or another table: --source … --on COND with WHEN clause flags", runMerge},
		{"purge", "rewrite files with deletion vectors without their deleted rows (REORG … APPLY (PURGE))", runPurge},
	}
}

// setFlags collects repeated --set 'col = expr' assignments.
type setFlags []string

func (s *setFlags) String() string { return strings.Join(*s, ", ") }
func (s *setFlags) Set(v string) error {
	*s = append(*s, v)
	return nil
}

// parseAssignment splits "col = expr" at the first '=' that is not part
// of a comparison operator on the left side (column names hold none).
func parseAssignment(s string) (string, expr.Expr, error) {
	col, val, ok := strings.Cut(s, "=")
	col = strings.Trim(strings.TrimSpace(col), "`")
	if !ok || col == "" || strings.TrimSpace(val) == "" {
		return "", nil, usagef("--set %q: want 'column = expression'", s)
	}
	e, err := expr.Parse(val)
	if err != nil {
		return "", nil, exprError("--set "+col, strings.TrimSpace(val), err)
	}
	return col, e, nil
}

// parseWhere parses --where; empty means every row.
func parseWhere(s string) (expr.Expr, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	e, err := expr.Parse(s)
	if err != nil {
		return nil, exprError("--where", s, err)
	}
	return e, nil
}

// rowCommand is what delete, update and purge share: flags parsed, the
// TABLE argument, --where parsed, and the table opened.
type rowCommand struct {
	tbl   *delta.Table
	where expr.Expr
}

// openRowCommand parses args (after the caller declared its own flags on
// fs, with --where at *where) and opens the table; validate runs on the
// parsed flags before any I/O.
func openRowCommand(ctx context.Context, fs *flagSet, args []string, where *string, validate func() error) (*rowCommand, error) {
	pos, err := parseArgs(fs, args)
	if err != nil {
		return nil, err
	}
	url, err := oneTable(pos)
	if err != nil {
		return nil, err
	}
	if validate != nil {
		if err := validate(); err != nil {
			return nil, err
		}
	}
	pred, err := parseWhere(*where)
	if err != nil {
		return nil, err
	}
	tbl, err := openTable(ctx, url, fs.tableOptions())
	if err != nil {
		return nil, err
	}
	return &rowCommand{tbl: tbl, where: pred}, nil
}

func runDelete(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "delete", "[--where EXPR] TABLE")
	where := fs.String("where", "", "Spark SQL predicate; rows for which it is TRUE are deleted (default: all rows)")
	rc, err := openRowCommand(ctx, fs, args, where, nil)
	if err != nil {
		return err
	}
	defer rc.tbl.Close()
	progress, done := newProgress(e)
	res, err := rc.tbl.Delete(ctx, rc.where, &delta.DMLOptions{Progress: progress})
	done()
	if err != nil {
		return err
	}
	return printResult(e, res)
}

func runUpdate(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "update", "--set 'col = expr' [--set …] [--where EXPR] TABLE")
	var sets setFlags
	fs.Var(&sets, "set", "assignment 'column = Spark SQL expression' (repeatable)")
	where := fs.String("where", "", "Spark SQL predicate; rows for which it is TRUE are updated (default: all rows)")
	assign := map[string]expr.Expr{}
	rc, err := openRowCommand(ctx, fs, args, where, func() error {
		if len(sets) == 0 {
			return usagef("update needs at least one --set 'column = expression'")
		}
		for _, s := range sets {
			col, val, err := parseAssignment(s)
			if err != nil {
				return err
			}
			assign[col] = val
		}
		return nil
	})
	if err != nil {
		return err
	}
	defer rc.tbl.Close()
	progress, done := newProgress(e)
	res, err := rc.tbl.Update(ctx, assign, rc.where, &delta.DMLOptions{Progress: progress})
	done()
	if err != nil {
		return err
	}
	return printResult(e, res)
}

func runPurge(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "purge", "[--where PARTITION-PREDICATE] TABLE")
	where := fs.String("where", "", "Spark SQL predicate on partition columns: only files of matching partitions are rewritten")
	rc, err := openRowCommand(ctx, fs, args, where, nil)
	if err != nil {
		return err
	}
	defer rc.tbl.Close()
	res, err := rc.tbl.Purge(ctx, rc.where, nil)
	if err != nil {
		return err
	}
	if res == nil {
		_, err = fmt.Fprintln(e.stdout, `{"operation":"REORG","numRemovedFiles":"0","note":"no file has a deletion vector"}`)
		return err
	}
	return printResult(e, res)
}
