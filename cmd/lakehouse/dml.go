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
		return "", nil, usageErr(fmt.Errorf("--set %q: want 'column = expression'", s))
	}
	e, err := expr.Parse(val)
	if err != nil {
		return "", nil, usageErr(fmt.Errorf("--set %q: %w", s, err))
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
		return nil, usageErr(fmt.Errorf("--where: %w", err))
	}
	return e, nil
}

func runDelete(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "delete", "[--where EXPR] TABLE")
	where := fs.String("where", "", "Spark SQL predicate; rows for which it is TRUE are deleted (default: all rows)")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	url, err := oneTable(pos)
	if err != nil {
		return err
	}
	pred, err := parseWhere(*where)
	if err != nil {
		return err
	}
	tbl, err := delta.Open(ctx, url, nil)
	if err != nil {
		return err
	}
	defer tbl.Close()
	res, err := tbl.Delete(ctx, pred, nil)
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
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	url, err := oneTable(pos)
	if err != nil {
		return err
	}
	if len(sets) == 0 {
		return usageErr(fmt.Errorf("update needs at least one --set 'column = expression'"))
	}
	assign := map[string]expr.Expr{}
	for _, s := range sets {
		col, val, err := parseAssignment(s)
		if err != nil {
			return err
		}
		assign[col] = val
	}
	pred, err := parseWhere(*where)
	if err != nil {
		return err
	}
	tbl, err := delta.Open(ctx, url, nil)
	if err != nil {
		return err
	}
	defer tbl.Close()
	res, err := tbl.Update(ctx, assign, pred, nil)
	if err != nil {
		return err
	}
	return printResult(e, res)
}
