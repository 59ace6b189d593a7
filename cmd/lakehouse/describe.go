package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/lakehouse-go/lakehouse/delta"
)

func runDescribe(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "describe", "[--version N] [--format json|text] TABLE")
	sf := snapshotFlags{}
	fs.Int64Var(&sf.version, "version", -1, "describe this table version")
	fs.StringVar(&sf.timestamp, "timestamp", "", "describe the version current at this time (RFC 3339)")
	format := fs.String("format", "", "json or text (default: text on a terminal, json otherwise)")
	url, err := tableArg(fs, args)
	if err != nil {
		return err
	}
	*format = formatOr(*format, "json", "text", e.tty)
	if *format != "json" && *format != "text" {
		return usagef("--format %q: use json or text", *format)
	}
	tbl, snap, err := sf.open(ctx, url, fs.tableOptions())
	if err != nil {
		return err
	}
	defer tbl.Close()
	d, err := describe(ctx, snap)
	if err != nil {
		return err
	}
	if *format == "json" {
		enc := json.NewEncoder(e.stdout)
		enc.SetEscapeHTML(false)
		return enc.Encode(d)
	}
	return describeText(e, d)
}

type description struct {
	Version     int64        `json:"version"`
	Protocol    protocolJSON `json:"protocol"`
	Metadata    metadataJSON `json:"metadata"`
	NumFiles    int64        `json:"numFiles"`
	SizeInBytes int64        `json:"sizeInBytes"`
	NumRecords  *int64       `json:"numRecords,omitempty"`
	// ClusteringColumns are those of a clustered table, as Spark's
	// DESCRIBE DETAIL shows them; empty otherwise.
	ClusteringColumns []string     `json:"clusteringColumns"`
	Columns           []columnJSON `json:"columns"`
	Timestamp         string       `json:"timestamp"`
}

type protocolJSON struct {
	MinReaderVersion int32    `json:"minReaderVersion"`
	MinWriterVersion int32    `json:"minWriterVersion"`
	ReaderFeatures   []string `json:"readerFeatures"`
	WriterFeatures   []string `json:"writerFeatures"`
}

type metadataJSON struct {
	ID               string            `json:"id"`
	Name             *string           `json:"name"`
	Description      *string           `json:"description"`
	Format           delta.Metadata    `json:"-"`
	Provider         string            `json:"provider"`
	PartitionColumns []string          `json:"partitionColumns"`
	Configuration    map[string]string `json:"configuration"`
	SchemaString     string            `json:"schemaString"`
	CreatedTime      *int64            `json:"createdTime"`
}

type columnJSON struct {
	Name     string `json:"name"`
	Type     string `json:"type"`
	Nullable bool   `json:"nullable"`
}

func describe(ctx context.Context, snap *delta.Snapshot) (*description, error) {
	st, err := snap.FileStats(ctx)
	if err != nil {
		return nil, err
	}
	p, m := snap.Protocol(), snap.Metadata()
	d := &description{
		Version: snap.Version(),
		Protocol: protocolJSON{
			MinReaderVersion: p.MinReaderVersion, MinWriterVersion: p.MinWriterVersion,
			ReaderFeatures: nonNil(p.ReaderFeatures), WriterFeatures: nonNil(p.WriterFeatures),
		},
		Metadata: metadataJSON{
			ID: m.ID, Provider: m.Provider, PartitionColumns: nonNil(m.PartitionColumns),
			Configuration: m.Configuration, SchemaString: m.SchemaString,
		},
		NumFiles:          st.NumFiles,
		SizeInBytes:       st.SizeInBytes,
		ClusteringColumns: nonNil(snap.ClusteringColumns()),
		Timestamp:         snap.Timestamp().UTC().Format("2006-01-02T15:04:05.000000Z"),
	}
	if !m.CreatedTime.IsZero() {
		ms := m.CreatedTime.UnixMilli()
		d.Metadata.CreatedTime = &ms
	}
	if m.Name != "" {
		d.Metadata.Name = &m.Name
	}
	if m.Description != "" {
		d.Metadata.Description = &m.Description
	}
	if d.Metadata.Configuration == nil {
		d.Metadata.Configuration = map[string]string{}
	}
	if st.NumRecords >= 0 {
		d.NumRecords = &st.NumRecords
	}
	for _, f := range snap.Schema().Fields() {
		d.Columns = append(d.Columns, columnJSON{Name: f.Name, Type: f.Type.String(), Nullable: f.Nullable})
	}
	return d, nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func describeText(e *env, d *description) error {
	w := e.stdout
	fmt.Fprintf(w, "version:     %d (%s)\n", d.Version, d.Timestamp)
	fmt.Fprintf(w, "protocol:    reader %d, writer %d", d.Protocol.MinReaderVersion, d.Protocol.MinWriterVersion)
	if len(d.Protocol.WriterFeatures) > 0 {
		fmt.Fprintf(w, " [%s]", strings.Join(d.Protocol.WriterFeatures, ", "))
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "id:          %s\n", d.Metadata.ID)
	if d.Metadata.Name != nil {
		fmt.Fprintf(w, "name:        %s\n", *d.Metadata.Name)
	}
	if d.Metadata.Description != nil {
		fmt.Fprintf(w, "description: %s\n", *d.Metadata.Description)
	}
	fmt.Fprintf(w, "files:       %d (%d bytes)\n", d.NumFiles, d.SizeInBytes)
	if d.NumRecords != nil {
		fmt.Fprintf(w, "rows:        %d\n", *d.NumRecords)
	}
	if len(d.Metadata.PartitionColumns) > 0 {
		fmt.Fprintf(w, "partitioned: %s\n", strings.Join(d.Metadata.PartitionColumns, ", "))
	}
	if len(d.ClusteringColumns) > 0 {
		fmt.Fprintf(w, "clustered:   %s\n", strings.Join(d.ClusteringColumns, ", "))
	}
	fmt.Fprintln(w, "columns:")
	for _, c := range d.Columns {
		null := ""
		if !c.Nullable {
			null = " NOT NULL"
		}
		fmt.Fprintf(w, "  %s %s%s\n", c.Name, c.Type, null)
	}
	if len(d.Metadata.Configuration) > 0 {
		fmt.Fprintln(w, "properties:")
		for _, k := range sortedKeys(d.Metadata.Configuration) {
			fmt.Fprintf(w, "  %s=%s\n", k, d.Metadata.Configuration[k])
		}
	}
	return nil
}
