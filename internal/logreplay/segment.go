package logreplay

import (
	"errors"
	"fmt"
	"slices"
)

var (
	// ErrNoCommits is returned when a listing holds no commit or checkpoint.
	ErrNoCommits = errors.New("delta: _delta_log holds no commits")
	// ErrVersionNotFound is returned when the requested version cannot be
	// reconstructed from the files present.
	ErrVersionNotFound = errors.New("delta: version not found")
	// ErrLogGap is returned when commit versions are not contiguous (R1).
	ErrLogGap = errors.New("delta: gap in commit versions")
)

// Segment is the set of log files that make up one snapshot.
type Segment struct {
	Version int64
	// Checkpoint holds the files of the checkpoint the segment starts from
	// (several for a multi-part checkpoint), or nothing.
	Checkpoint        []LogFile
	CheckpointVersion int64 // -1 without a checkpoint
	// Commits are the commit files after the checkpoint, ascending.
	Commits []LogFile
	// Deltas are what replay reads after the checkpoint, ascending.
	//
	// Log compaction files are recognised but not read: the spec makes
	// them optional for readers, and compactions written by Databricks
	// Runtime 16 list a key's remove and re-add in an order that replays
	// to a different file set than the commits they summarise (corpus
	// table compacted-log-files-table). Commits are authoritative.
	Deltas []LogFile
}

// BuildSegment chooses the files for the snapshot at version (or the latest
// when version < 0) from a listing of _delta_log. files need not be sorted.
func BuildSegment(files []LogFile, version int64) (*Segment, error) {
	var commits []LogFile
	checkpoints := map[int64][]LogFile{}
	for _, f := range files {
		switch f.Kind {
		case KindCommit:
			commits = append(commits, f)
		case KindCheckpoint, KindMultiPartCheckpoint, KindV2Checkpoint:
			checkpoints[f.Version] = append(checkpoints[f.Version], f)
		}
	}
	slices.SortFunc(commits, func(a, b LogFile) int { return cmpInt(a.Version, b.Version) })
	if len(commits) == 0 && len(checkpoints) == 0 {
		return nil, ErrNoCommits
	}
	latest := int64(-1)
	if len(commits) > 0 {
		latest = commits[len(commits)-1].Version
	}
	for v := range checkpoints {
		latest = max(latest, v)
	}
	if version < 0 {
		version = latest
	}
	if version > latest {
		return nil, fmt.Errorf("%w: version %d requested, latest is %d", ErrVersionNotFound, version, latest)
	}

	seg := &Segment{Version: version, CheckpointVersion: -1}
	// Newest complete checkpoint at or before version (R2).
	cpVersions := make([]int64, 0, len(checkpoints))
	for v := range checkpoints {
		if v <= version {
			cpVersions = append(cpVersions, v)
		}
	}
	slices.Sort(cpVersions)
	for i := len(cpVersions) - 1; i >= 0; i-- {
		if cp := completeCheckpoint(checkpoints[cpVersions[i]]); cp != nil {
			seg.Checkpoint = cp
			seg.CheckpointVersion = cpVersions[i]
			break
		}
	}

	next := seg.CheckpointVersion + 1
	for _, c := range commits {
		if c.Version < next || c.Version > version {
			continue
		}
		if c.Version != next {
			if next == 0 || (seg.CheckpointVersion < 0 && len(seg.Commits) == 0) {
				// The log starts after the version asked for: its early
				// commits were cleaned up and no checkpoint covers them.
				return nil, fmt.Errorf("%w: version %d cannot be reconstructed: commits before %d are gone and no checkpoint covers them",
					ErrVersionNotFound, version, c.Version)
			}
			return nil, fmt.Errorf("%w: expected commit %d, found %d", ErrLogGap, next, c.Version)
		}
		seg.Commits = append(seg.Commits, c)
		next++
	}
	if next <= version {
		if next == 0 || (seg.CheckpointVersion < 0 && len(seg.Commits) == 0) {
			return nil, fmt.Errorf("%w: version %d", ErrVersionNotFound, version)
		}
		return nil, fmt.Errorf("%w: commit %d is missing (snapshot version %d)", ErrLogGap, next, version)
	}
	seg.Deltas = seg.Commits
	return seg, nil
}

// completeCheckpoint returns one usable checkpoint among the files written
// for one version: a single-file checkpoint (classic or UUID-named), or a
// multi-part set with every part present.
func completeCheckpoint(files []LogFile) []LogFile {
	// Prefer single-file checkpoints: they are atomic.
	for _, kind := range []FileKind{KindV2Checkpoint, KindCheckpoint} {
		for _, f := range files {
			if f.Kind == kind {
				return []LogFile{f}
			}
		}
	}
	byCount := map[int]map[int]LogFile{}
	for _, f := range files {
		if f.Kind != KindMultiPartCheckpoint {
			continue
		}
		if byCount[f.NumParts] == nil {
			byCount[f.NumParts] = map[int]LogFile{}
		}
		byCount[f.NumParts][f.Part] = f
	}
	counts := make([]int, 0, len(byCount))
	for n := range byCount {
		counts = append(counts, n)
	}
	slices.Sort(counts)
	for _, n := range counts {
		parts := byCount[n]
		if len(parts) != n {
			continue
		}
		out := make([]LogFile, 0, n)
		for i := 1; i <= n; i++ {
			out = append(out, parts[i])
		}
		return out
	}
	return nil
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
