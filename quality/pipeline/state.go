package pipeline

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"strconv"
	"strings"

	"github.com/lakehouse-go/lakehouse/internal/storage"
	"github.com/lakehouse-go/lakehouse/stream"
)

// The pipeline's state lives in <warehouse>/_pipelines/<name>/:
//
//	updates/<seq>.json           one per update, written when it starts
//	flows/<table>/<seq>.json     what update seq read for the table,
//	                             written just before the table's commit
//	sources/<table>/…            the table's stream source's own files
//	                             (a files source's log of files seen)
//
// Whether a table's part of update seq committed is recorded in the table
// itself, atomically with its rows: the commit carries the transaction id
// (appId "lakehouse-pipeline/<pipeline>/<table>", version seq). So a flow
// file newer than the table's transaction version names a commit that
// did not happen, and the next update re-runs it with exactly its offsets.

// flowState is flows/<table>/<seq>.json.
type flowState struct {
	Seq int64 `json:"seq"`
	// Start and End are the stream source's offsets (a streaming table).
	Start stream.Offset `json:"start,omitempty"`
	End   stream.Offset `json:"end,omitempty"`
	// Inputs are the versions of the tables a materialized view read.
	Inputs map[string]int64 `json:"inputs,omitempty"`
	// FullRefresh records that the commit replaced the table.
	FullRefresh bool `json:"fullRefresh,omitempty"`
	// Generation is the seq of the table's last full refresh: its source
	// keeps its files under sources/<table>/<generation>/, so a refresh
	// starts the source afresh without deleting what a failed refresh
	// would still need.
	Generation int64 `json:"generation"`
}

// updateRecord is updates/<seq>.json.
type updateRecord struct {
	Seq       int64    `json:"seq"`
	ID        string   `json:"id"`
	StartedAt string   `json:"startedAt"`
	Refresh   []string `json:"fullRefresh,omitempty"`
}

type state struct {
	store storage.Store
	url   string
}

func openState(ctx context.Context, url string, opts *storage.OpenOptions) (*state, error) {
	st, err := storage.Open(ctx, url, opts)
	if err != nil {
		return nil, fmt.Errorf("pipeline: open state %s: %w", url, err)
	}
	return &state{store: st, url: url}, nil
}

func (s *state) close() error { return s.store.Close() }

func seqName(seq int64) string { return fmt.Sprintf("%020d.json", seq) }

// lastSeq returns the highest seq under prefix, -1 when none.
func (s *state) lastSeq(ctx context.Context, prefix string) (int64, error) {
	last := int64(-1)
	for fi, err := range s.store.List(ctx, prefix) {
		if err != nil {
			return 0, fmt.Errorf("pipeline: list state %s: %w", prefix, err)
		}
		base := strings.TrimSuffix(strings.TrimPrefix(fi.Path, prefix), ".json")
		if n, err := strconv.ParseInt(base, 10, 64); err == nil && n > last {
			last = n
		}
	}
	return last, nil
}

// beginUpdate claims the next update number.
func (s *state) beginUpdate(ctx context.Context, rec updateRecord) (int64, error) {
	for range 100 {
		last, err := s.lastSeq(ctx, "updates/")
		if err != nil {
			return 0, err
		}
		rec.Seq = last + 1
		b, _ := json.Marshal(rec)
		err = s.store.PutIfAbsent(ctx, "updates/"+seqName(rec.Seq), b)
		if errors.Is(err, fs.ErrExist) {
			continue // another run of the pipeline took it
		}
		if err != nil {
			return 0, fmt.Errorf("pipeline: record update: %w", err)
		}
		return rec.Seq, nil
	}
	return 0, fmt.Errorf("pipeline: could not claim an update number: too many concurrent runs")
}

func flowPrefix(table tableName) string { return "flows/" + table.String() + "/" }

// flow reads the flow file of update seq; nil when it does not exist.
func (s *state) flow(ctx context.Context, table tableName, seq int64) (*flowState, error) {
	b, err := s.store.Get(ctx, flowPrefix(table)+seqName(seq))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("pipeline: read state of %s: %w", table, err)
	}
	var f flowState
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("pipeline: state of %s update %d is corrupt: %w", table, seq, err)
	}
	return &f, nil
}

// pendingFlow returns the newest flow file after the committed seq: a
// commit that was prepared and may not have happened.
func (s *state) pendingFlow(ctx context.Context, table tableName, committed int64) (*flowState, error) {
	last, err := s.lastSeq(ctx, flowPrefix(table))
	if err != nil || last <= committed {
		return nil, err
	}
	return s.flow(ctx, table, last)
}

func (s *state) putFlow(ctx context.Context, table tableName, f *flowState) error {
	b, err := json.Marshal(f)
	if err != nil {
		return err
	}
	if err := s.store.Put(ctx, flowPrefix(table)+seqName(f.Seq), b); err != nil {
		return fmt.Errorf("pipeline: record state of %s: %w", table, err)
	}
	return nil
}

// sourceDir is where a table's stream source of a generation keeps its
// files.
func sourceDir(table tableName, generation int64) string {
	return "sources/" + table.String() + "/" + strconv.FormatInt(generation, 10) + "/"
}
