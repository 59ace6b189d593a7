package logreplay

import (
	"strconv"
	"strings"
)

// FileKind classifies a file in _delta_log.
type FileKind int

// Kinds of log files. Anything else in _delta_log (.crc files, Hadoop
// checksums, _last_checkpoint, temp files) is KindOther and ignored.
const (
	KindOther FileKind = iota
	KindCommit
	KindCheckpoint          // classic: n.checkpoint.parquet
	KindMultiPartCheckpoint // n.checkpoint.o.p.parquet
	KindV2Checkpoint        // n.checkpoint.<uuid>.json|parquet
	KindCompaction          // x.y.compacted.json
	KindChecksum            // n.crc
)

// LogFile is a parsed _delta_log file name.
type LogFile struct {
	Path       string // full store path
	Name       string // base name
	Kind       FileKind
	Version    int64
	EndVersion int64 // compaction end version
	Part       int   // multi-part index (1-based)
	NumParts   int   // multi-part count
	Size       int64
	ModTime    int64 // unix millis, for timestamp-based time travel
}

// IsCheckpoint reports whether the file is part of a checkpoint.
func (f LogFile) IsCheckpoint() bool {
	return f.Kind == KindCheckpoint || f.Kind == KindMultiPartCheckpoint || f.Kind == KindV2Checkpoint
}

func parseVersion(s string) (int64, bool) {
	if len(s) != 20 {
		return 0, false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
	}
	v, err := strconv.ParseInt(s, 10, 64)
	return v, err == nil
}

// ParseFileName classifies one base name from _delta_log.
func ParseFileName(name string) LogFile {
	f := LogFile{Name: name, Kind: KindOther}
	if len(name) < 20 {
		return f
	}
	v, ok := parseVersion(name[:20])
	if !ok {
		return f
	}
	f.Version = v
	rest := name[20:]
	switch {
	case rest == ".json":
		f.Kind = KindCommit
	case rest == ".crc":
		f.Kind = KindChecksum
	case rest == ".checkpoint.parquet":
		f.Kind = KindCheckpoint
	case strings.HasPrefix(rest, ".checkpoint."):
		mid := strings.TrimPrefix(rest, ".checkpoint.")
		parts := strings.Split(mid, ".")
		if len(parts) == 3 && parts[2] == "parquet" && len(parts[0]) == 10 && len(parts[1]) == 10 {
			o, err1 := strconv.Atoi(parts[0])
			p, err2 := strconv.Atoi(parts[1])
			if err1 == nil && err2 == nil && o >= 1 && o <= p {
				f.Kind, f.Part, f.NumParts = KindMultiPartCheckpoint, o, p
			}
		} else if len(parts) == 2 && (parts[1] == "json" || parts[1] == "parquet") && len(parts[0]) > 0 {
			f.Kind = KindV2Checkpoint
		}
	case strings.HasSuffix(rest, ".compacted.json") && len(rest) == len(".")+20+len(".compacted.json"):
		if end, ok := parseVersion(rest[1:21]); ok && end > v {
			f.Kind, f.EndVersion = KindCompaction, end
		}
	}
	return f
}

// CommitName is the base name of the commit file for version v.
func CommitName(v int64) string { return pad20(v) + ".json" }

// CheckpointName is the base name of the classic checkpoint for version v.
func CheckpointName(v int64) string { return pad20(v) + ".checkpoint.parquet" }

// MultiPartCheckpointName is the base name of part o of p at version v.
func MultiPartCheckpointName(v int64, o, p int) string {
	return pad20(v) + ".checkpoint." + pad(int64(o), 10) + "." + pad(int64(p), 10) + ".parquet"
}

// V2CheckpointName is the base name of a UUID-named checkpoint.
func V2CheckpointName(v int64, uuid, ext string) string {
	return pad20(v) + ".checkpoint." + uuid + "." + ext
}

func pad20(v int64) string { return pad(v, 20) }

func pad(v int64, n int) string {
	s := strconv.FormatInt(v, 10)
	if len(s) >= n {
		return s
	}
	return strings.Repeat("0", n-len(s)) + s
}

// VersionPrefix returns the first n digits of the padded version, for
// narrowing listings.
func VersionPrefix(v int64, n int) string { return pad20(v)[:n] }
