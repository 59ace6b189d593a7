package interop

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// The suite checks what VACUUM, CLONE and RESTORE did to a table's files
// against the log, replayed here in a few lines of plain Go (commit JSON
// only: the tables the suite writes keep every commit), so the check never
// rests on lakehouse's own log replay.

// ErrBadLog is returned when a commit file cannot be parsed.
var ErrBadLog = errors.New("interop: unreadable commit")

// LogFile is a data file live in one version: its path as the log writes
// it (relative and URL-encoded, or an absolute URI) and its deletion
// vector, if any.
type LogFile struct {
	Path string `json:"path"`
	DV   *LogDV `json:"deletionVector"`
}

// LogDV is an add or remove action's deletion vector descriptor.
type LogDV struct {
	StorageType    string `json:"storageType"`
	PathOrInlineDv string `json:"pathOrInlineDv"`
	Offset         *int64 `json:"offset"`
}

// LogVersion is one commit replayed: its operation and the files live
// after it, keyed by path.
type LogVersion struct {
	Version   int64
	Operation string
	Live      map[string]LogFile
	// Removed are the files (and their deletion vectors) the commit's
	// remove actions name.
	Removed []LogFile
}

// ReplayLog reads the commits 0, 1, … of the table at root until one is
// missing and returns every version's live files.
func ReplayLog(root string) ([]LogVersion, error) {
	var out []LogVersion
	live := map[string]LogFile{}
	for v := int64(0); ; v++ {
		f, err := os.Open(filepath.Join(root, "_delta_log", fmt.Sprintf("%020d.json", v)))
		if errors.Is(err, os.ErrNotExist) {
			if v == 0 {
				return nil, fmt.Errorf("%w: %s has no commit 0", ErrBadLog, root)
			}
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		lv, err := replayCommit(f, v, live)
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("%w %d of %s: %v", ErrBadLog, v, root, err)
		}
		out = append(out, lv)
	}
}

func replayCommit(f *os.File, v int64, live map[string]LogFile) (LogVersion, error) {
	lv := LogVersion{Version: v}
	var adds []LogFile
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for sc.Scan() {
		var a struct {
			Add        *LogFile `json:"add"`
			Remove     *LogFile `json:"remove"`
			CommitInfo *struct {
				Operation string `json:"operation"`
			} `json:"commitInfo"`
		}
		if err := json.Unmarshal(sc.Bytes(), &a); err != nil {
			return lv, err
		}
		switch {
		case a.Add != nil:
			adds = append(adds, *a.Add)
		case a.Remove != nil:
			lv.Removed = append(lv.Removed, *a.Remove)
		case a.CommitInfo != nil:
			lv.Operation = a.CommitInfo.Operation
		}
	}
	if err := sc.Err(); err != nil {
		return lv, err
	}
	// Removes first: a commit that gives a file a new deletion vector
	// removes it with the old one and adds it with the new, in either
	// order, and the add is what stays.
	for _, r := range lv.Removed {
		delete(live, r.Path)
	}
	for _, a := range adds {
		live[a.Path] = a
	}
	lv.Live = make(map[string]LogFile, len(live))
	for k, f := range live {
		lv.Live[k] = f
	}
	return lv, nil
}

// Files returns the files on disk a set of log files needs, data files
// and deletion-vector files, as absolute local paths (a shallow clone's
// files live under another table's root), sorted.
func Files(root string, files []LogFile) ([]string, error) {
	set := map[string]bool{}
	for _, f := range files {
		p, err := localPath(root, f.Path)
		if err != nil {
			return nil, err
		}
		set[p] = true
		if f.DV == nil {
			continue
		}
		switch f.DV.StorageType {
		case "u":
			rel, err := DVFileName(f.DV.PathOrInlineDv)
			if err != nil {
				return nil, err
			}
			set[filepath.Join(root, filepath.FromSlash(rel))] = true
		case "p":
			p, err := localPath(root, f.DV.PathOrInlineDv)
			if err != nil {
				return nil, err
			}
			set[p] = true
		}
	}
	out := make([]string, 0, len(set))
	for p := range set {
		out = append(out, p)
	}
	sort.Strings(out)
	return out, nil
}

// LiveFiles lists a version's live files.
func (v LogVersion) LiveFiles() []LogFile {
	out := make([]LogFile, 0, len(v.Live))
	for _, f := range v.Live {
		out = append(out, f)
	}
	return out
}

// localPath turns an add path into a local file path: relative paths are
// URL-encoded under root; absolute ones are file: URIs or plain paths.
func localPath(root, p string) (string, error) {
	if strings.HasPrefix(p, "file:") {
		u, err := url.Parse(p)
		if err != nil {
			return "", fmt.Errorf("%w: path %q: %v", ErrBadLog, p, err)
		}
		return filepath.FromSlash(u.Path), nil
	}
	if strings.HasPrefix(p, "/") {
		return filepath.FromSlash(p), nil
	}
	if strings.Contains(p, "://") {
		return "", fmt.Errorf("%w: path %q is not on the local disk", ErrBadLog, p)
	}
	dec, err := url.PathUnescape(p)
	if err != nil {
		return "", fmt.Errorf("%w: path %q: %v", ErrBadLog, p, err)
	}
	return filepath.Join(root, filepath.FromSlash(dec)), nil
}

// IsAbsolutePath reports whether an add path names its file absolutely
// (a shallow clone's), not relative to the table root.
func IsAbsolutePath(p string) bool {
	return strings.HasPrefix(p, "/") || strings.Contains(p, ":")
}

const z85Chars = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#"

// DVFileName is the path, relative to the table root, of the deletion
// vector file a storage type 'u' descriptor names: an optional random
// prefix directory, then deletion_vector_<uuid>.bin, the uuid being the
// last 20 characters in Z85 (protocol, "Deletion Vector Descriptor").
func DVFileName(pathOrInline string) (string, error) {
	if len(pathOrInline) < 20 {
		return "", fmt.Errorf("%w: deletion vector %q is shorter than a Z85 uuid", ErrBadLog, pathOrInline)
	}
	prefix, enc := pathOrInline[:len(pathOrInline)-20], pathOrInline[len(pathOrInline)-20:]
	var b [16]byte
	for i := 0; i < 4; i++ {
		var n uint32
		for _, c := range enc[i*5 : i*5+5] {
			d := strings.IndexRune(z85Chars, c)
			if d < 0 {
				return "", fmt.Errorf("%w: deletion vector %q: %q is not Z85", ErrBadLog, pathOrInline, c)
			}
			n = n*85 + uint32(d)
		}
		b[i*4], b[i*4+1], b[i*4+2], b[i*4+3] = byte(n>>24), byte(n>>16), byte(n>>8), byte(n)
	}
	name := fmt.Sprintf("deletion_vector_%x-%x-%x-%x-%x.bin", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
	if prefix == "" {
		return name, nil
	}
	return prefix + "/" + name, nil
}

// ListDataFiles lists the files under a table root that are not hidden
// (names starting with "_" or ".", _delta_log among them, except
// partition directories, whose names hold "="), as sorted absolute paths:
// what a full VACUUM considers.
func ListDataFiles(root string) ([]string, error) {
	var out []string
	err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p == root {
			return nil
		}
		name := d.Name()
		if (strings.HasPrefix(name, "_") || strings.HasPrefix(name, ".")) && !(d.IsDir() && strings.Contains(name, "=")) {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if !d.IsDir() {
			out = append(out, p)
		}
		return nil
	})
	sort.Strings(out)
	return out, err
}
