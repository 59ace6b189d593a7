package optimize

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDecide(t *testing.T) {
	defaults, err := (*Policy)(nil).resolve(map[string]string{"delta.targetFileSize": "1048576"})
	require.NoError(t, err)
	require.Equal(t, int64(1<<20), defaults.TargetFileSize)
	require.Equal(t, int64(512<<10), defaults.SmallFileSize, "half the target, as Spark's autoCompact.minFileSize")
	require.Equal(t, int64(50), defaults.MinSmallFiles)

	healthy := TableStats{NumFiles: 10, Bytes: 10 << 20, CheckpointVersion: 10, Version: 15, CommitsSinceCheckpoint: 5, CheckpointInterval: 10}
	with := func(f func(s *TableStats)) TableStats {
		s := healthy
		f(&s)
		return s
	}
	noVacuum := *defaults
	noVacuum.Disable = []Action{ActionVacuum}

	tests := []struct {
		name   string
		stats  TableStats
		policy *Policy
		want   []Action // the needed actions, in order
		reason map[Action]string
	}{
		{"healthy table: nothing", healthy, defaults, nil, map[Action]string{
			ActionCompact:    "at most 0 small file(s) (< 512.0 KiB) in a partition, fewer than 50",
			ActionPurge:      "no deletion vectors",
			ActionCheckpoint: "5 commit(s) to replay on top of the last checkpoint, no more than delta.checkpointInterval=10",
			ActionCluster:    "the table has no clustering columns",
		}},
		{"many small files in one partition", with(func(s *TableStats) { s.MaxSmallFilesInPartition, s.SmallFiles = 50, 70 }), defaults,
			[]Action{ActionCompact}, map[Action]string{ActionCompact: "50 small file(s) (< 512.0 KiB) in a partition, at least 50; 70 in the table"}},
		{"small files spread thin over partitions", with(func(s *TableStats) { s.MaxSmallFilesInPartition, s.SmallFiles = 49, 490 }), defaults, nil, nil},
		{"a DV-heavy file", with(func(s *TableStats) { s.DVFiles, s.DVHeavyFiles, s.Rows, s.DeletedRows = 3, 1, 1000, 100 }), defaults,
			[]Action{ActionPurge}, map[Action]string{ActionPurge: "1 file(s) delete more than 5% of their rows (10% of the table's rows are deleted)"}},
		{"light deletion vectors", with(func(s *TableStats) { s.DVFiles, s.Rows, s.DeletedRows = 3, 1000, 3 }), defaults, nil,
			map[Action]string{ActionPurge: "3 file(s) with deletion vectors, none deleting more than 5% of its rows"}},
		{"clustered, a fifth unclustered", with(func(s *TableStats) {
			s.ClusteringColumns = []string{"id"}
			s.UnclusteredFiles, s.UnclusteredBytes = 4, 2<<20
			s.MaxSmallFilesInPartition = 60
		}), defaults, []Action{ActionCluster}, map[Action]string{
			ActionCluster: "20% of the bytes unclustered (4 file(s)), more than 10%",
			ActionCompact: "the table is clustered; clustering packs its files",
		}},
		{"clustered, a little new data", with(func(s *TableStats) {
			s.ClusteringColumns = []string{"id"}
			s.UnclusteredFiles, s.UnclusteredBytes = 1, 1<<20
		}), defaults, nil, map[Action]string{ActionCluster: "1 file(s), 10% of the bytes unclustered: under 50 files and 10%"}},
		{"clustered, many new files", with(func(s *TableStats) {
			s.ClusteringColumns = []string{"id"}
			s.UnclusteredFiles, s.UnclusteredBytes = 50, 1
		}), defaults, []Action{ActionCluster}, nil},
		{"Z-ordered, new files outside cubes", with(func(s *TableStats) {
			s.ZOrderBy = []string{"a", "b"}
			s.UnclusteredFiles, s.UnclusteredBytes = 5, 5<<20
		}), defaults, []Action{ActionZOrder}, map[Action]string{ActionZOrder: "50% of the bytes outside Z-cubes (5 file(s)), more than 10%"}},
		{"checkpoint overdue", with(func(s *TableStats) { s.CommitsSinceCheckpoint = 11 }), defaults, []Action{ActionCheckpoint}, nil},
		{"no checkpoint, version 9", with(func(s *TableStats) { s.CheckpointVersion, s.Version, s.CommitsSinceCheckpoint = -1, 9, 10 }), defaults, nil, nil},
		{"expired log", with(func(s *TableStats) { s.ExpiredLogFiles = 3 }), defaults, []Action{ActionLogCleanup}, nil},
		{"vacuumable files", with(func(s *TableStats) { s.VacuumableFiles, s.VacuumableBytes = 2, 3<<20 }), defaults,
			[]Action{ActionVacuum}, map[Action]string{ActionVacuum: "2 file(s), 3.0 MiB unreferenced past the retention"}},
		{"vacuum disabled", with(func(s *TableStats) { s.VacuumableFiles, s.VacuumableBytes = 2, 3<<20 }), &noVacuum,
			nil, map[Action]string{ActionVacuum: "2 file(s), 3.0 MiB unreferenced past the retention; disabled by the policy"}},
		{"vacuum impossible", with(func(s *TableStats) { s.VacuumError = "retention too short" }), defaults,
			nil, map[Action]string{ActionVacuum: "cannot tell what VACUUM would delete: retention too short"}},
		{"everything at once, in order", with(func(s *TableStats) {
			s.DVFiles, s.DVHeavyFiles = 1, 1
			s.MaxSmallFilesInPartition = 80
			s.CommitsSinceCheckpoint = 30
			s.ExpiredLogFiles = 1
			s.VacuumableFiles, s.VacuumableBytes = 1, 1
		}), defaults, []Action{ActionPurge, ActionCompact, ActionCheckpoint, ActionLogCleanup, ActionVacuum}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := Decide(&tc.stats, tc.policy)
			require.Len(t, got, len(Actions), "one decision per action")
			var needed []Action
			for i, d := range got {
				assert.Equal(t, Actions[i], d.Action)
				assert.NotEmpty(t, d.Reason, "every decision says why")
				if d.Needed {
					needed = append(needed, d.Action)
					assert.Equal(t, StatusPlanned, d.Status)
				} else {
					assert.Equal(t, StatusSkipped, d.Status)
				}
				if want, ok := tc.reason[d.Action]; ok {
					assert.Equal(t, want, d.Reason, d.Action)
				}
			}
			assert.Equal(t, tc.want, needed)
		})
	}
}

func TestPolicyRejectsNegatives(t *testing.T) {
	for _, p := range []*Policy{{SmallFileSize: -1}, {Budget: -1}, {MinSmallFiles: -2}} {
		_, err := p.resolve(nil)
		require.ErrorIs(t, err, ErrInvalidOptions)
	}
}

func TestSizeHistogramBuckets(t *testing.T) {
	tests := []struct {
		size   int64
		bucket int
		label  string
	}{
		{0, 0, "<1MiB"},
		{1<<20 - 1, 0, "<1MiB"},
		{1 << 20, 1, "1MiB-8MiB"},
		{100 << 20, 3, "32MiB-128MiB"},
		{1 << 30, 6, ">=1GiB"},
	}
	for _, tc := range tests {
		assert.Equal(t, tc.bucket, sizeBucket(tc.size), tc.size)
		assert.Equal(t, tc.label, BucketLabel(tc.bucket))
	}
}
