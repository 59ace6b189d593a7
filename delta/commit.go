package delta

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/google/uuid"

	"github.com/lakehouse-go/lakehouse/internal/checkpoint"
	"github.com/lakehouse-go/lakehouse/internal/conflict"
	"github.com/lakehouse-go/lakehouse/internal/logreplay"
	"github.com/lakehouse-go/lakehouse/internal/protocol"
	"github.com/lakehouse-go/lakehouse/internal/storage"
)

// EngineInfo is recorded as commitInfo.engineInfo in every commit this
// library writes.
const EngineInfo = "lakehouse-go/0.1.0"

// CommitResult describes a committed transaction.
type CommitResult struct {
	// Version is the table version the commit created (for a skipped
	// idempotent transaction, the version it read).
	Version int64
	// ReadVersion is the version the transaction read (-1 for a create).
	ReadVersion int64
	// Attempts is how many times the commit file was written: more than 1
	// when concurrent commits forced a rebase.
	Attempts int
	// Skipped is set when the transaction's AppID had already recorded
	// AppVersion or later: nothing was committed.
	Skipped bool
	// Timestamp is the commit time recorded in commitInfo.
	Timestamp time.Time
	// Operation and Metrics are commitInfo.operation and
	// commitInfo.operationMetrics.
	Operation string
	Metrics   map[string]string
	// CheckpointErr is set when the commit succeeded but the checkpoint it
	// triggered failed. The table is fine; the next checkpoint retries.
	CheckpointErr error
	// AutoCompaction is the OPTIMIZE commit this commit triggered on a
	// table with delta.autoOptimize.autoCompact on (see
	// AutoCompactOptions); nil when no partition it wrote needed one.
	// AutoCompactErr is set when that compaction failed or lost a race:
	// the commit itself stands, and the next one tries again.
	AutoCompaction *CommitResult
	AutoCompactErr error
	// Protocol is the table's protocol after the commit when the commit
	// wrote one (a new table, or an upgrade a write needed), nil when the
	// protocol is unchanged. An upgrade happens only for a feature the
	// caller asked for: a timestamp column without a time zone, for
	// example, needs reader 3 / writer 7 with timestampNtz, and readers
	// older than that can no longer read the table.
	Protocol *Protocol
}

// errAlreadyApplied signals, inside the commit loop, that a concurrent
// commit recorded this transaction's AppID at AppVersion or later.
var errAlreadyApplied = errors.New("delta: idempotent transaction already applied")

// Commit writes the transaction's commit file. Concurrent commits that do
// not conflict are rebased over automatically; a conflicting one gives a
// *ConflictError (matching ErrConflict). On any failure the staged data
// files are deleted and the table is unchanged, except with
// ErrCommitStateUnknown, where the files are kept because the commit may
// have happened.
func (x *Transaction) Commit(ctx context.Context) (*CommitResult, error) {
	if x.done {
		return nil, ErrTxnDone
	}
	x.done = true
	if err := x.finishWrites(ctx); err != nil {
		_ = x.cleanup(context.WithoutCancel(ctx))
		return nil, err
	}
	if x.skipped {
		_ = x.cleanup(context.WithoutCancel(ctx))
		return &CommitResult{Version: x.readVersion, ReadVersion: x.readVersion, Skipped: true, Operation: x.operation}, nil
	}
	if err := x.recordIdentityMarks(); err != nil {
		_ = x.cleanup(context.WithoutCancel(ctx))
		return nil, err
	}
	if err := x.prepareCommit(); err != nil {
		_ = x.cleanup(context.WithoutCancel(ctx))
		return nil, err
	}
	res, err := x.commitLoop(ctx)
	if errors.Is(err, errAlreadyApplied) {
		_ = x.cleanup(context.WithoutCancel(ctx))
		return &CommitResult{Version: x.readVersion, ReadVersion: x.readVersion, Skipped: true, Operation: x.operation}, nil
	}
	if err != nil {
		if !errors.Is(err, ErrCommitStateUnknown) {
			_ = x.cleanup(context.WithoutCancel(ctx))
		}
		return nil, err
	}
	x.postCommit(ctx, res)
	return res, nil
}

// prepareCommit runs the checks that need the whole transaction.
func (x *Transaction) prepareCommit() error {
	if x.snap != nil && protocol.Config(x.meta.Configuration).Bool(protocol.PropAppendOnly, false) {
		for _, r := range x.removes {
			if r.DataChange {
				return fmt.Errorf("%w: %s has delta.appendOnly=true; the transaction removes %s", ErrAppendOnly, x.table.name(), r.Path)
			}
		}
	}
	if err := checkWritable(x.proto, x.meta); err != nil {
		return err
	}
	return nil
}

// commitLoop writes the commit file at the next free version, rebasing
// over non-conflicting concurrent commits.
func (x *Transaction) commitLoop(ctx context.Context) (*CommitResult, error) {
	version := x.readVersion + 1
	prevICT := x.previousInCommitTimestamp()
	txnID := uuid.NewString()
	for attempt := 1; ; attempt++ {
		now := time.Now().UTC().Truncate(time.Millisecond)
		if x.inCommitTimestamps() && !now.After(prevICT) {
			now = prevICT.Add(time.Millisecond)
		}
		info := x.commitInfo(now, txnID)
		data, err := x.encodeCommit(info, now, version)
		if err != nil {
			return nil, err
		}
		name := logDir + logreplay.CommitName(version)
		err = x.table.store.PutIfAbsent(ctx, name, data)
		if err == nil {
			return x.result(version, attempt, now, info), nil
		}
		if !storage.IsExist(err) {
			return x.resolveFailedPut(ctx, name, data, version, attempt, now, info, err)
		}
		if x.readVersion < 0 {
			return nil, fmt.Errorf("%w: %s (version 0 was written concurrently)", ErrTableExists, x.table.name())
		}
		if attempt >= x.opts.MaxAttempts {
			return nil, fmt.Errorf("%w: gave up after %d commit attempts at %s", ErrConflict, attempt, x.table.name())
		}
		next, ict, err := x.checkWinners(ctx, version, txnID)
		if errors.Is(err, errOwnCommit) {
			// A retry below us (an SDK's, a proxy's) re-sent a write
			// that had landed: the object that "already exists" is this
			// attempt's own commit, not a concurrent winner. Committing
			// again at the next version would apply the change twice.
			x.table.opts.Logger.Warn("delta: commit acknowledgement lost; the existing commit is this transaction's own",
				"table", x.table.name(), "version", version, "txnId", txnID, "attempt", attempt)
			return x.result(version, attempt, now, info), nil
		}
		if err != nil {
			return nil, err
		}
		x.table.opts.Logger.Info("delta: commit version taken by a concurrent writer; retrying",
			"table", x.table.name(), "version", version, "next", next, "attempt", attempt)
		if ict.After(prevICT) {
			prevICT = ict
		}
		version = next
	}
}

// resolveFailedPut decides what a failed commit write means. Local and
// in-memory stores fail atomically, but a remote store can time out after
// the object was written, so the commit file is read back: the same bytes
// mean it committed; no object means it did not; anything else is unknown.
func (x *Transaction) resolveFailedPut(ctx context.Context, name string, data []byte, version int64, attempt int, now time.Time, info protocol.CommitInfo, putErr error) (*CommitResult, error) {
	got, err := x.table.store.Get(context.WithoutCancel(ctx), name)
	switch {
	case err == nil && bytes.Equal(got, data):
		x.table.opts.Logger.Warn("delta: commit write failed but the commit landed; read back and confirmed",
			"table", x.table.name(), "version", version, "attempt", attempt, "error", putErr)
		return x.result(version, attempt, now, info), nil
	case err == nil || storage.IsNotExist(err):
		return nil, fmt.Errorf("delta: write commit %d of %s: %w", version, x.table.name(), putErr)
	}
	return nil, fmt.Errorf("%w: write commit %d of %s: %w (read-back: %v)", ErrCommitStateUnknown, version, x.table.name(), putErr, err)
}

// checkWinners reads the commits that took versions from `from` on and
// applies the conflict rules to each. It returns the next free version and
// the latest in-commit timestamp seen.
// A commit whose commitInfo carries this transaction's txnId is its own
// (errOwnCommit): the first one checked can be, when the store reported
// "exists" for a write of ours that had landed.
func (x *Transaction) checkWinners(ctx context.Context, from int64, txnID string) (int64, time.Time, error) {
	ct := x.conflictTxn()
	var ict time.Time
	for v := from; ; v++ {
		data, err := x.table.store.Get(ctx, logDir+logreplay.CommitName(v))
		if storage.IsNotExist(err) {
			return v, ict, nil
		}
		if err != nil {
			return 0, ict, fmt.Errorf("delta: read concurrent commit %d of %s: %w", v, x.table.name(), err)
		}
		actions, err := checkpoint.ParseJSON(data)
		if err != nil {
			return 0, ict, corrupt("concurrent commit %d: %v", v, err)
		}
		if v == from && ownCommit(actions, txnID) {
			return v, ict, errOwnCommit
		}
		if c := conflict.Check(ct, conflict.Commit{Version: v, Actions: actions}); c != nil {
			if c.Kind == conflict.ConcurrentTransaction && x.appAlreadyApplied(actions) {
				return 0, ict, errAlreadyApplied
			}
			return 0, ict, &ConflictError{Version: v, ReadVersion: x.readVersion, Kind: newConflictKind(c.Kind), Path: c.Path, Detail: c.Reason()}
		}
		for _, a := range actions {
			if a.CommitInfo != nil {
				if t, ok := a.CommitInfo.InCommitTimestamp(); ok && t.After(ict) {
					ict = t
				}
			}
		}
	}
}

// errOwnCommit tells commitLoop that the version it found taken holds its
// own commit.
var errOwnCommit = errors.New("delta: own commit")

func ownCommit(actions []protocol.Action, txnID string) bool {
	for _, a := range actions {
		if a.CommitInfo != nil {
			id, _ := a.CommitInfo["txnId"].(string)
			return id == txnID
		}
	}
	return false
}

func (x *Transaction) appAlreadyApplied(actions []protocol.Action) bool {
	for _, a := range actions {
		if a.Txn != nil && a.Txn.AppID == x.opts.AppID && a.Txn.Version >= x.opts.AppVersion {
			return true
		}
	}
	return false
}

func (x *Transaction) inCommitTimestamps() bool {
	return x.proto.SupportsFeature("inCommitTimestamp") && protocol.Config(x.meta.Configuration).Bool(protocol.PropEnableICT, false)
}

func (x *Transaction) previousInCommitTimestamp() time.Time {
	if x.snap == nil {
		return time.Time{}
	}
	if t, ok := x.snap.commitInfo.InCommitTimestamp(); ok {
		return t
	}
	return time.Time{}
}

// commitInfo builds the commitInfo action the way Spark records it.
func (x *Transaction) commitInfo(now time.Time, txnID string) protocol.CommitInfo {
	info := protocol.CommitInfo{}
	if x.inCommitTimestamps() {
		info["inCommitTimestamp"] = now.UnixMilli()
	}
	info["timestamp"] = now.UnixMilli()
	info["operation"] = x.operation
	params := x.opParams
	if params == nil {
		params = map[string]any{}
	}
	info["operationParameters"] = params
	if x.readVersion >= 0 {
		info["readVersion"] = x.readVersion
	}
	blind := x.isBlindAppend()
	// The level the conflict check ran at, blind appends included: they
	// read nothing, so the level changes nothing for them, and recording
	// another than the one used would misreport the default.
	info["isolationLevel"] = x.opts.Isolation.String()
	if x.maint != nil && x.maint.isolation != "" {
		info["isolationLevel"] = x.maint.isolation
	}
	info["isBlindAppend"] = blind
	if m := x.withOperationMetrics(x.operationMetrics()); len(m) > 0 {
		info["operationMetrics"] = m
	}
	if x.opts.UserMetadata != "" {
		info["userMetadata"] = x.opts.UserMetadata
	}
	info["engineInfo"] = EngineInfo
	info["txnId"] = txnID
	return info
}

// operationMetrics are the metrics Spark records for the operation, as
// strings like Spark writes them.
func (x *Transaction) operationMetrics() map[string]string {
	if x.maint != nil {
		return x.maint.metrics
	}
	m := x.metrics
	switch x.operation {
	case "WRITE", "CREATE TABLE AS SELECT", "CREATE OR REPLACE TABLE AS SELECT", "REPLACE TABLE AS SELECT", "STREAMING UPDATE":
		out := map[string]string{
			"numFiles":       itoa(m.numFiles),
			"numOutputRows":  itoa(m.numOutputRows),
			"numOutputBytes": itoa(m.numOutputBytes),
		}
		if x.opts.Mode == Overwrite || m.numRemovedFiles > 0 {
			out["numRemovedFiles"] = itoa(m.numRemovedFiles)
			out["numRemovedBytes"] = itoa(m.numRemovedBytes)
			if m.numDeletedRowsKnown {
				out["numDeletedRows"] = itoa(m.numDeletedRows - m.numCopiedRows)
			}
			if m.numCopiedRows > 0 {
				out["numCopiedRows"] = itoa(m.numCopiedRows)
			}
		}
		return out
	case "DELETE", "UPDATE":
		if x.dml != nil {
			return x.dmlMetrics()
		}
	case "MERGE":
		if x.mergeRun != nil {
			return x.mergeMetrics()
		}
	case "CREATE TABLE", "CREATE OR REPLACE TABLE", "SET TBLPROPERTIES", "UNSET TBLPROPERTIES", "ADD CONSTRAINT",
		"DROP CONSTRAINT", "ADD COLUMNS", "RENAME COLUMN", "DROP COLUMNS", "CHANGE COLUMN":
		return nil
	}
	return x.rewriteMetrics()
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// encodeCommit renders the commit file: commitInfo first (the spec
// requires it first when it carries an in-commit timestamp), then
// protocol, metadata, txn, domain metadata, removes and adds.
func (x *Transaction) encodeCommit(info protocol.CommitInfo, now time.Time, version int64) ([]byte, error) {
	if x.ictEnablement {
		x.meta.Configuration[protocol.PropICTEnablementVersion] = strconv.FormatInt(version, 10)
		x.meta.Configuration[protocol.PropICTEnablementTimestamp] = strconv.FormatInt(now.UnixMilli(), 10)
	}
	var buf bytes.Buffer
	put := func(a protocol.Action) error {
		line, err := a.MarshalLine()
		if err != nil {
			return err
		}
		buf.Write(line)
		buf.WriteByte('\n')
		return nil
	}
	if err := put(protocol.Action{CommitInfo: info}); err != nil {
		return nil, err
	}
	if x.protoChanged {
		if err := put(protocol.Action{Protocol: x.proto}); err != nil {
			return nil, err
		}
	}
	if x.metaChanged {
		if err := put(protocol.Action{Metadata: x.meta}); err != nil {
			return nil, err
		}
	}
	if x.opts.AppID != "" {
		ms := now.UnixMilli()
		if err := put(protocol.Action{Txn: &protocol.Txn{AppID: x.opts.AppID, Version: x.opts.AppVersion, LastUpdated: &ms}}); err != nil {
			return nil, err
		}
	}
	for i := range x.domains {
		if err := put(protocol.Action{DomainMetadata: &x.domains[i]}); err != nil {
			return nil, err
		}
	}
	for _, r := range x.removes {
		ts := now.UnixMilli()
		r.DeletionTimestamp = &ts
		enc := *r
		enc.Path = protocol.EncodePath(r.Path)
		if err := put(protocol.Action{Remove: &enc}); err != nil {
			return nil, err
		}
	}
	for _, a := range x.adds {
		enc := *a
		enc.Path = protocol.EncodePath(a.Path)
		if err := put(protocol.Action{Add: &enc}); err != nil {
			return nil, err
		}
	}
	for _, c := range x.cdcs {
		enc := *c
		enc.Path = protocol.EncodePath(c.Path)
		if err := put(protocol.Action{CDC: &enc}); err != nil {
			return nil, err
		}
	}
	return buf.Bytes(), nil
}

func (x *Transaction) result(version int64, attempt int, now time.Time, info protocol.CommitInfo) *CommitResult {
	m, _ := info["operationMetrics"].(map[string]string)
	res := &CommitResult{
		Version:     version,
		ReadVersion: x.readVersion,
		Attempts:    attempt,
		Timestamp:   now,
		Operation:   x.operation,
		Metrics:     m,
	}
	if x.protoChanged && x.proto != nil {
		p := newProtocol(x.proto)
		res.Protocol = &p
	}
	return res
}

// jsonString renders v as the JSON text Spark stores inside
// operationParameters (which are strings holding JSON).
func jsonString(v any) string {
	if s, ok := v.([]string); ok && s == nil {
		v = []string{}
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

func isNotExist(err error) bool { return storage.IsNotExist(err) }
