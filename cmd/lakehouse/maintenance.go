package main

import (
	"context"
	"encoding/json"
	"flag"
	"time"

	"github.com/lakehouse-go/lakehouse/delta"
)

// maintenanceCommands are the table maintenance operations.
func maintenanceCommands() []command {
	return []command{
		{"restore", "return the table to an earlier version (--version N or --timestamp T)", runRestore},
		{"clone", "copy a table (or point at its files with --shallow) to a new location", runClone},
		{"vacuum", "delete files the table no longer references (--dry-run lists them)", runVacuum},
	}
}

func runRestore(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "restore", "--version N | --timestamp RFC3339 [--ignore-missing-files] TABLE")
	version := fs.Int64("version", -1, "restore to this version")
	timestamp := fs.String("timestamp", "", "restore to the version current at this time (RFC 3339)")
	ignoreMissing := fs.Bool("ignore-missing-files", false, "leave out restored files that were vacuumed instead of failing")
	url, err := tableArg(fs, args)
	if err != nil {
		return err
	}
	var target delta.RestoreTarget
	switch {
	case *version >= 0 && *timestamp != "":
		return usagef("--version and --timestamp are mutually exclusive")
	case *version >= 0:
		target.Version = *version
	case *timestamp != "":
		if target.Timestamp, err = parseTime(*timestamp); err != nil {
			return usagef("--timestamp %q: %v", *timestamp, err)
		}
	default:
		return usagef("restore needs --version N or --timestamp T")
	}
	tbl, err := openTable(ctx, url, fs.tableOptions())
	if err != nil {
		return err
	}
	defer tbl.Close()
	res, err := tbl.Restore(ctx, target, &delta.RestoreOptions{IgnoreMissingFiles: *ignoreMissing})
	if err != nil {
		return err
	}
	return printResult(e, res)
}

func runClone(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "clone", "[--shallow] [--version N | --timestamp RFC3339] SOURCE TARGET")
	shallow := fs.Bool("shallow", false, "point at the source's files instead of copying them")
	var sf snapshotFlags
	fs.Int64Var(&sf.version, "version", -1, "clone this version of the source")
	fs.StringVar(&sf.timestamp, "timestamp", "", "clone the version of the source current at this time (RFC 3339)")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 2 {
		return usagef("expected SOURCE and TARGET, got %d arguments", len(pos))
	}
	src, snap, err := sf.open(ctx, pos[0], fs.tableOptions())
	if err != nil {
		return err
	}
	defer src.Close()
	progress, done := newProgress(e)
	tbl, res, err := delta.Clone(ctx, snap, pos[1], &delta.CloneOptions{Shallow: *shallow, Progress: progress})
	done()
	if err != nil {
		return err
	}
	defer tbl.Close()
	return printResult(e, res)
}

func runVacuum(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "vacuum", "[--retain DURATION] [--dry-run] [--lite] [--force] TABLE")
	retain := fs.Duration("retain", 0, "keep files removed within this long, e.g. 168h (default: the table's delta.deletedFileRetentionDuration, 7 days unless set)")
	dryRun := fs.Bool("dry-run", false, "list the files that would be deleted; delete nothing")
	lite := fs.Bool("lite", false, "find the files in the log instead of listing the table (VACUUM LITE)")
	force := fs.Bool("force", false, "allow --retain shorter than the table's retention (only if nothing else is using the table)")
	url, err := tableArg(fs, args)
	if err != nil {
		return err
	}
	progress, done := newProgress(e)
	opts := &delta.VacuumOptions{DryRun: *dryRun, Lite: *lite, DisableRetentionCheck: *force, Progress: progress}
	if flagGiven(fs, "retain") {
		opts.Retention = retain
	}
	tbl, err := openTable(ctx, url, fs.tableOptions())
	if err != nil {
		return err
	}
	defer tbl.Close()
	res, err := tbl.Vacuum(ctx, opts)
	done()
	if err != nil {
		return err
	}
	out := map[string]any{
		"operation":              "VACUUM",
		"dryRun":                 *dryRun,
		"numFilesToDelete":       res.NumFilesToDelete,
		"sizeOfDataToDelete":     res.SizeOfDataToDelete,
		"numDeletedFiles":        res.NumDeletedFiles,
		"numVacuumedDirectories": res.NumVacuumedDirectories,
		"cutoff":                 res.Cutoff.UTC().Format(time.RFC3339Nano),
	}
	if *dryRun {
		files := res.Files
		if files == nil {
			files = []string{}
		}
		out["files"] = files
	} else {
		out["version"] = res.EndVersion
	}
	enc := json.NewEncoder(e.stdout)
	enc.SetEscapeHTML(false)
	return enc.Encode(out)
}

// flagGiven reports whether the command line set the named flag.
func flagGiven(fs *flagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}
