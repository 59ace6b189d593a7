package interop

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
)

// recordingT is a TB that keeps what the suite reported instead of
// reporting it, so a test can see whether a result would fail the run.
type recordingT struct {
	errors, logs []string
}

func (r *recordingT) Helper() {}
func (r *recordingT) Errorf(format string, args ...any) {
	r.errors = append(r.errors, fmt.Sprintf(format, args...))
}
func (r *recordingT) Logf(format string, args ...any) {
	r.logs = append(r.logs, fmt.Sprintf(format, args...))
}

func TestJudge(t *testing.T) {
	lhSpark := Result{Case: "2", Scenario: "spark_dml", Writer: Spark, Reader: Lakehouse}
	peers := Result{Case: "2", Scenario: "spark_dml", Writer: Spark, Reader: DeltaRS}
	with := func(r Result, st Status, detail string) Result {
		r.Status, r.Detail = st, detail
		return r
	}
	for _, tc := range []struct {
		name string
		r    Result
		inCI bool
		want Verdict
		msg  string
	}{
		{"pass", with(lhSpark, Pass, ""), true, Passes, ""},
		{"pass with a note", with(lhSpark, Pass, "lakehouse planned 1 of 8 files"), false, Passes, ""},
		{"lakehouse failure", with(lhSpark, Fail, "table t, version 3: 2 rows expected"), false, Fails,
			"case 2 spark_dml spark→lakehouse: table t, version 3: 2 rows expected"},
		{"failure between peers", with(peers, Fail, "version 1 differs"), true, Noted,
			"case 2 spark_dml spark→delta-rs FAILED between peers: version 1 differs"},
		{"skip locally", with(lhSpark, Skip, "lakehouse CLI not available"), false, Noted,
			"case 2 spark_dml spark→lakehouse skipped: lakehouse CLI not available"},
		{"skip under CI", with(lhSpark, Skip, "lakehouse CLI not available"), true, Fails,
			"case 2 spark_dml spark→lakehouse skipped under CI=true, where every peer and the CLI must be present: lakehouse CLI not available"},
		{"skip between peers under CI", with(peers, Skip, "delta-rs peer not available: no venv"), true, Fails,
			"case 2 spark_dml spark→delta-rs skipped under CI=true, where every peer and the CLI must be present: delta-rs peer not available: no venv"},
		{"skip without a reason", with(lhSpark, Skip, ""), false, Fails,
			"case 2 spark_dml spark→lakehouse skipped without a reason"},
		{"reviewed peer bug", with(Result{Case: "1", Scenario: "lh_dml_partitioned_special_cdf (change feed)", Writer: Lakehouse, Reader: DeltaRS}, Fail, "Object at location p_str=a%252Fb/x.parquet not found"), true, Noted,
			"case 1 lh_dml_partitioned_special_cdf (change feed) lakehouse→delta-rs FAILED by a reviewed delta-rs bug (" + peerBugs[0].reason + "): Object at location p_str=a%252Fb/x.parquet not found"},
		{"same table, another failure", with(Result{Case: "1", Scenario: "lh_dml_partitioned_special_cdf (change feed)", Writer: Lakehouse, Reader: DeltaRS}, Fail, "3 rows expected, 2 read"), true, Fails,
			"case 1 lh_dml_partitioned_special_cdf (change feed) lakehouse→delta-rs: 3 rows expected, 2 read"},
		{"unknown status", with(lhSpark, "maybe", "x"), false, Fails,
			`case 2 spark_dml spark→lakehouse: unknown status "maybe": x`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v, msg := Judge(tc.r, tc.inCI)
			assert.Equal(t, tc.want, v)
			assert.Equal(t, tc.msg, msg)

			var rt recordingT
			Enforce(&rt, tc.r, tc.inCI)
			switch tc.want {
			case Fails:
				assert.Equal(t, []string{tc.msg}, rt.errors)
				assert.Empty(t, rt.logs)
			case Noted:
				assert.Empty(t, rt.errors)
				assert.Equal(t, []string{tc.msg}, rt.logs)
			default:
				assert.Empty(t, rt.errors)
				assert.Empty(t, rt.logs)
			}
		})
	}
}

func TestUnavailable(t *testing.T) {
	r := Unavailable(Result{Case: "1", Scenario: "lh_types", Writer: Lakehouse, Reader: Spark, Status: Pass, Checked: 4}, "spark peer not available: boom")
	assert.Equal(t, Result{Case: "1", Scenario: "lh_types", Writer: Lakehouse, Reader: Spark, Status: Skip, Detail: "spark peer not available: boom"}, r)
}
