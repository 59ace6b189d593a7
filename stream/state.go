package stream

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/lakehouse-go/lakehouse/internal/storage"
)

// statefulRef is a stateful step and its place in the pipeline.
type statefulRef struct {
	index int // in Pipeline.steps
	step  statefulStep
}

// collectStateful lists the pipeline's stateful steps and checks what
// they need from the query.
func (q *Query) collectStateful() error {
	for i, s := range q.p.steps {
		sp, ok := s.(statefulStep)
		if !ok {
			continue
		}
		switch st := sp.(type) {
		case *dedupStep:
			if st.within && q.p.watermark == nil {
				return fmt.Errorf("%w: DropDuplicatesWithinWatermark needs WithWatermark", ErrInvalidArgument)
			}
		case *windowStep:
			if q.opts.OutputMode == Append && q.p.watermark == nil {
				return fmt.Errorf("%w: a windowed aggregation in Append mode needs WithWatermark", ErrInvalidArgument)
			}
		}
		q.stateful = append(q.stateful, statefulRef{index: i, step: sp})
	}
	return nil
}

func statePath(op int, batch int64) string {
	return "state/" + strconv.Itoa(op) + "/" + strconv.FormatInt(batch, 10)
}

// loadState restores each stateful step from the state the last committed
// batch left, refusing a checkpoint whose state belongs to other operators.
func (q *Query) loadState(ctx context.Context, lastCommit int64) error {
	incompatible := func(format string, args ...any) error {
		return &IncompatibleCheckpointError{Checkpoint: q.ck.where, Reason: fmt.Sprintf(format, args...)}
	}
	ops := map[int]bool{}
	for fi, err := range q.ck.store.List(ctx, "state/") {
		if err != nil {
			return fmt.Errorf("stream: list state: %w", err)
		}
		op, _, _ := strings.Cut(strings.TrimPrefix(fi.Path, "state/"), "/")
		if n, err := strconv.Atoi(op); err == nil {
			ops[n] = true
		}
	}
	for n := range ops {
		if n >= len(q.stateful) {
			return incompatible("it has state for %d stateful operators, the query has %d", len(ops), len(q.stateful))
		}
	}
	for i, sp := range q.stateful {
		var data []byte
		if lastCommit >= 0 {
			d, err := q.ck.store.Get(ctx, statePath(i, lastCommit))
			if err != nil && !storage.IsNotExist(err) {
				return fmt.Errorf("stream: read state: %w", err)
			}
			if err != nil {
				return incompatible("no state for stateful operator %d (%s) at batch %d: the query gained a stateful operator", i, sp.step.descriptor(), lastCommit)
			}
			var head struct {
				Operator string `json:"operator"`
			}
			if err := json.Unmarshal(d, &head); err != nil {
				return fmt.Errorf("%w: %s: %v", ErrCorruptCheckpoint, statePath(i, lastCommit), err)
			}
			if head.Operator != sp.step.descriptor() {
				return incompatible("stateful operator %d was %s, the query has %s", i, head.Operator, sp.step.descriptor())
			}
			data = d
		}
		if err := sp.step.unmarshal(data); err != nil {
			return err
		}
	}
	return nil
}

// saveState writes each stateful step's state after batch id. It replaces
// what an earlier, uncommitted run of the batch wrote.
func (q *Query) saveState(ctx context.Context, id int64) error {
	for i, sp := range q.stateful {
		data, err := sp.step.marshal()
		if err != nil {
			return err
		}
		if err := q.ck.store.Put(ctx, statePath(i, id), bytes.TrimSpace(data)); err != nil {
			return fmt.Errorf("stream: write state: %w", err)
		}
	}
	return nil
}
