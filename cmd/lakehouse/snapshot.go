package main

import (
	"context"
	"time"

	"github.com/lakehouse-go/lakehouse/delta"
)

// snapshotFlags are the time-travel flags shared by the read commands.
type snapshotFlags struct {
	version   int64
	timestamp string
}

// open opens the table and the snapshot the flags select. The caller
// closes the table.
func (f *snapshotFlags) open(ctx context.Context, url string, opts *delta.Options) (*delta.Table, *delta.Snapshot, error) {
	if f.version >= 0 && f.timestamp != "" {
		return nil, nil, usagef("--version and --timestamp are mutually exclusive: give one")
	}
	tbl, err := openTable(ctx, url, opts)
	if err != nil {
		return nil, nil, err
	}
	var snap *delta.Snapshot
	switch {
	case f.version >= 0:
		snap, err = tbl.SnapshotAt(ctx, f.version)
	case f.timestamp != "":
		ts, perr := parseTime(f.timestamp)
		if perr != nil {
			_ = tbl.Close()
			return nil, nil, perr
		}
		snap, err = tbl.SnapshotAsOf(ctx, ts)
	default:
		snap, err = tbl.Snapshot(ctx)
	}
	if err != nil {
		_ = tbl.Close()
		return nil, nil, err
	}
	return tbl, snap, nil
}

func parseTime(s string) (time.Time, error) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02 15:04:05", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, usagef("--timestamp %q is not an RFC 3339 time (for example 2024-05-01T12:00:00Z)", s)
}

// openTable opens the table at url, telling a missing directory apart
// from one that holds no table.
func openTable(ctx context.Context, url string, opts *delta.Options) (*delta.Table, error) {
	tbl, err := delta.Open(ctx, url, opts)
	if err != nil {
		return nil, explainOpen(url, err)
	}
	return tbl, nil
}
