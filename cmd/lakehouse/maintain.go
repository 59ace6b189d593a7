package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/lakehouse-go/lakehouse/delta"
	"github.com/lakehouse-go/lakehouse/optimize"
)

func runMaintain(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "maintain", "[--dry-run] [--budget 5m] [--format text|json] TABLE")
	dryRun := fs.Bool("dry-run", false, "inspect and explain what the table needs; change nothing")
	budget := fs.Duration("budget", 0, "stop starting new actions and compaction batches after this long, e.g. 5m (default: no limit)")
	minSmall := fs.Int64("min-small-files", 0, "compact a partition once it holds this many small files (default 50)")
	format := fs.String("format", "", "text or json (default: text on a terminal, json otherwise)")
	url, err := tableArg(fs, args)
	if err != nil {
		return err
	}
	*format = formatOr(*format, "json", "text", e.tty)
	if *format != "json" && *format != "text" {
		return usagef("--format %q: use json or text", *format)
	}
	if *budget < 0 {
		return usagef("--budget %s is negative", *budget)
	}
	if *minSmall < 0 {
		return usagef("--min-small-files %d is negative", *minSmall)
	}
	tbl, err := openTable(ctx, url, fs.tableOptions())
	if err != nil {
		return err
	}
	defer tbl.Close()
	progress, done := newProgress(e)
	rep, err := optimize.Maintain(ctx, tbl, &optimize.Policy{DryRun: *dryRun, Budget: *budget, MinSmallFiles: *minSmall, Progress: progress})
	done()
	if err != nil {
		if rep == nil {
			return err
		}
		// Say what was done before the failure, then why it stopped.
		_ = printMaintain(e.stdout, *format, rep)
		return &cliError{err: err, msg: oneLine(err.Error()) + hint(err) +
			"; the actions listed as done before it are committed: fix the cause and run 'lakehouse maintain' again (--dry-run shows the plan)"}
	}
	return printMaintain(e.stdout, *format, rep)
}

func printMaintain(w io.Writer, format string, rep *optimize.Report) error {
	if format == "text" {
		_, err := io.WriteString(w, rep.Summary())
		return err
	}
	type decision struct {
		Action     string `json:"action"`
		Needed     bool   `json:"needed"`
		Status     string `json:"status"`
		Reason     string `json:"reason"`
		Result     string `json:"result,omitempty"`
		DurationMs int64  `json:"durationMs"`
	}
	out := struct {
		Version        int64               `json:"version"`
		DryRun         bool                `json:"dryRun"`
		BudgetExceeded bool                `json:"budgetExceeded"`
		ElapsedMs      int64               `json:"elapsedMs"`
		Stats          optimize.TableStats `json:"stats"`
		Decisions      []decision          `json:"decisions"`
	}{Version: rep.Version, DryRun: rep.Policy.DryRun, BudgetExceeded: rep.BudgetExceeded, ElapsedMs: rep.Elapsed.Milliseconds(), Stats: rep.Stats}
	for _, d := range rep.Decisions {
		out.Decisions = append(out.Decisions, decision{string(d.Action), d.Needed, string(d.Status), d.Reason, d.Result, d.Duration.Milliseconds()})
	}
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc.Encode(out)
}

// optimizeSummary is optimize's one-screen text result.
func optimizeSummary(w io.Writer, res *optimize.Result, opts *optimize.Options, clusterBy []string) error {
	m := res.Metrics
	var b strings.Builder
	mode := "bin-packing"
	switch {
	case len(clusterBy) > 0:
		mode = "clustering by " + strings.Join(clusterBy, ", ")
		if opts.Full {
			mode += " (FULL)"
		}
	case len(opts.ZOrderBy) > 0:
		mode = "Z-order by " + strings.Join(opts.ZOrderBy, ", ")
	}
	if len(res.Commits) == 0 {
		fmt.Fprintf(&b, "OPTIMIZE (%s): nothing to rewrite at version %d\n", mode, res.Version)
		fmt.Fprintf(&b, "  considered %d file(s); %d skipped (already compacted or clustered)\n", m.TotalConsideredFiles, m.TotalFilesSkipped)
		_, err := io.WriteString(w, b.String())
		return err
	}
	fmt.Fprintf(&b, "OPTIMIZE (%s): version %d, %d commit(s)\n", mode, res.Version, len(res.Commits))
	fmt.Fprintf(&b, "  removed     %d file(s), %s\n", m.NumFilesRemoved, sizeText(m.FilesRemoved.TotalSize))
	fmt.Fprintf(&b, "  added       %d file(s), %s (%s to %s each)\n", m.NumFilesAdded, sizeText(m.FilesAdded.TotalSize), sizePtr(m.FilesAdded.Min), sizePtr(m.FilesAdded.Max))
	fmt.Fprintf(&b, "  partitions  %d optimized; %d file(s) considered, %d left alone\n", m.PartitionsOptimized, m.TotalConsideredFiles, m.TotalFilesSkipped)
	if dv := m.DeletionVectorStats; dv != nil {
		fmt.Fprintf(&b, "  purged      %d deleted row(s) from %d deletion vector(s)\n", dv.NumDeletionVectorRowsRemoved, dv.NumDeletionVectorsRemoved)
	}
	if z := m.ZOrderStats; z != nil {
		fmt.Fprintf(&b, "  z-cubes     %d new file(s) and %d cube(s) merged into %d cube(s)\n", z.InputOtherFiles.Num, z.InputNumCubes, z.NumOutputCubes)
	}
	if c := m.ClusteringStats; c != nil {
		fmt.Fprintf(&b, "  clustered   %d unclustered and %d clustered file(s) rewritten\n", c.InputOtherFiles.Num, c.InputZCubeFiles.Num)
	}
	fmt.Fprintf(&b, "  took        %s\n", time.Duration(m.EndTimeMs-m.StartTimeMs)*time.Millisecond)
	_, err := io.WriteString(w, b.String())
	return err
}

func sizeText(n int64) string { return humanBytes(float64(n)) }

func sizePtr(n *int64) string {
	if n == nil {
		return "-"
	}
	return sizeText(*n)
}

// clusterBySummary is cluster-by's one-screen text result, with the next
// step: existing files are clustered by the next OPTIMIZE.
func clusterBySummary(w io.Writer, res *delta.CommitResult, old, cols []string, table string) error {
	oldText := "none"
	if len(old) > 0 {
		oldText = strings.Join(old, ", ")
	}
	if len(cols) == 0 {
		_, err := fmt.Fprintf(w, "CLUSTER BY NONE: version %d; clustering columns were %s\n  files stay as they are; new files are no longer clustered\n", res.Version, oldText)
		return err
	}
	_, err := fmt.Fprintf(w, "CLUSTER BY %s: version %d; clustering columns were %s\n  existing files are not rewritten: run 'lakehouse optimize %s' to cluster them (--full reclusters every file)\n",
		strings.Join(cols, ", "), res.Version, oldText, table)
	return err
}

// conflictHint words a lost race for the optimize commands.
func conflictHint(err error) error {
	if !errors.Is(err, delta.ErrConflict) {
		return err
	}
	return &cliError{err: err, msg: oneLine(err.Error()) + "; another writer changed the same files first and this run committed nothing more: run it again"}
}
