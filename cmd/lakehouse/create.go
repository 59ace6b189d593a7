package main

import (
	"context"
	"fmt"
	"os"

	"github.com/lakehouse-go/lakehouse/delta"
)

func runCreate(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "create", "--schema FILE [--partition-by a,b | --cluster-by a,b] [--property k=v …] [--replace] TABLE")
	schemaFile := fs.String("schema", "", "file holding the schema as Delta schema JSON (a schemaString)")
	partitionBy := fs.String("partition-by", "", "partition columns (comma-separated)")
	clusterBy := fs.String("cluster-by", "", "clustering columns (comma-separated; CREATE TABLE … CLUSTER BY)")
	description := fs.String("description", "", "table description")
	replace := fs.Bool("replace", false, "replace the table if it exists (CREATE OR REPLACE)")
	props := propertyFlags{}
	fs.Var(props, "property", "table property `k=v` (repeatable)")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	url, err := oneTable(pos)
	if err != nil {
		return err
	}
	if *schemaFile == "" {
		return usagef("missing --schema FILE")
	}
	text, err := os.ReadFile(*schemaFile)
	if err != nil {
		return fmt.Errorf("--schema: %w", err)
	}
	schema, err := delta.ParseSchemaJSON(string(text))
	if err != nil {
		return fmt.Errorf("--schema %s: %w", *schemaFile, err)
	}
	opts := &delta.CreateOptions{PartitionBy: splitList(*partitionBy), ClusterBy: splitList(*clusterBy), Properties: props, Description: *description}
	create := delta.Create
	if *replace {
		create = delta.CreateOrReplace
	}
	tbl, err := create(ctx, url, schema, opts)
	if err != nil {
		return explainOpen(url, err)
	}
	defer tbl.Close()
	snap, err := tbl.Snapshot(ctx)
	if err != nil {
		return err
	}
	p := snap.Protocol()
	_, err = fmt.Fprintf(e.stdout, "{\"version\":%d,\"minReaderVersion\":%d,\"minWriterVersion\":%d}\n", snap.Version(), p.MinReaderVersion, p.MinWriterVersion)
	return err
}

func runSetProperty(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "set-property", "TABLE key=value …")
	unset := fs.Bool("unset", false, "remove the named properties instead (give keys only)")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) < 2 {
		return usagef("expected TABLE and at least one key=value")
	}
	tbl, err := openTable(ctx, pos[0], fs.tableOptions())
	if err != nil {
		return err
	}
	defer tbl.Close()
	var res *delta.CommitResult
	if *unset {
		res, err = tbl.UnsetProperties(ctx, pos[1:], nil)
	} else {
		props := propertyFlags{}
		for _, kv := range pos[1:] {
			if err := props.Set(kv); err != nil {
				return usagef("%v", err)
			}
		}
		res, err = tbl.SetProperties(ctx, props, nil)
	}
	if err != nil {
		return err
	}
	return printResult(e, res)
}

func runCheckpoint(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "checkpoint", "TABLE")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	url, err := oneTable(pos)
	if err != nil {
		return err
	}
	tbl, err := openTable(ctx, url, fs.tableOptions())
	if err != nil {
		return err
	}
	defer tbl.Close()
	info, err := tbl.Checkpoint(ctx, nil)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(e.stdout, "{\"version\":%d,\"kind\":%q,\"parts\":%d,\"actions\":%d}\n", info.Version, info.Kind, info.Parts, info.Actions)
	return err
}
