package main

import (
	"context"
	"encoding/json"

	"github.com/lakehouse-go/lakehouse/delta"
)

func runFiles(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "files", "[--version N] [--format jsonl] TABLE")
	sf := snapshotFlags{}
	fs.Int64Var(&sf.version, "version", -1, "list the files of this table version")
	fs.StringVar(&sf.timestamp, "timestamp", "", "list the files of the version current at this time (RFC 3339)")
	format := fs.String("format", "jsonl", "jsonl")
	url, err := tableArg(fs, args)
	if err != nil {
		return err
	}
	if *format != "jsonl" {
		return usagef("--format %q: use jsonl", *format)
	}
	tbl, snap, err := sf.open(ctx, url, fs.tableOptions())
	if err != nil {
		return err
	}
	defer tbl.Close()
	enc := json.NewEncoder(e.stdout)
	enc.SetEscapeHTML(false)
	for f, err := range snap.Files(ctx) {
		if err != nil {
			return err
		}
		if err := enc.Encode(newAddJSON(f)); err != nil {
			return err
		}
	}
	return nil
}

// addJSON is a live file printed as the log's add action spells it, so
// listings compare directly with the log and with other engines' output.
type addJSON struct {
	Path                    string             `json:"path"`
	PartitionValues         map[string]*string `json:"partitionValues"`
	Size                    int64              `json:"size"`
	ModificationTime        int64              `json:"modificationTime"`
	DataChange              bool               `json:"dataChange"`
	Stats                   string             `json:"stats,omitempty"`
	Tags                    map[string]string  `json:"tags,omitempty"`
	DeletionVector          *dvJSON            `json:"deletionVector,omitempty"`
	BaseRowID               *int64             `json:"baseRowId,omitempty"`
	DefaultRowCommitVersion *int64             `json:"defaultRowCommitVersion,omitempty"`
	ClusteringProvider      string             `json:"clusteringProvider,omitempty"`
}

type dvJSON struct {
	StorageType    string `json:"storageType"`
	PathOrInlineDv string `json:"pathOrInlineDv"`
	Offset         *int32 `json:"offset,omitempty"`
	SizeInBytes    int32  `json:"sizeInBytes"`
	Cardinality    int64  `json:"cardinality"`
}

func newAddJSON(f *delta.AddFile) addJSON {
	out := addJSON{
		Path:                    f.Path,
		PartitionValues:         f.PartitionValues,
		Size:                    f.Size,
		ModificationTime:        f.ModificationTime.UnixMilli(),
		DataChange:              f.DataChange,
		Stats:                   f.Stats,
		Tags:                    f.Tags,
		BaseRowID:               f.BaseRowID,
		DefaultRowCommitVersion: f.DefaultRowCommitVersion,
		ClusteringProvider:      f.ClusteringProvider,
	}
	if out.PartitionValues == nil {
		out.PartitionValues = map[string]*string{}
	}
	if d := f.DeletionVector; d != nil {
		out.DeletionVector = &dvJSON{StorageType: d.StorageType, PathOrInlineDv: d.PathOrInlineDv, Offset: d.Offset, SizeInBytes: d.SizeInBytes, Cardinality: d.Cardinality}
	}
	return out
}
