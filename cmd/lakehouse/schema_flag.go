package main

import (
	"strings"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/lakehouse-go/lakehouse/delta"
)

// parseSchemaFlag reads the value of write's --schema: a DDL column list
// ("id bigint NOT NULL, day date, tags array<string>, addr struct<city:
// string, zip: int>", see schema_ddl.go), or a Delta schema JSON document
// (a schemaString).
func parseSchemaFlag(text string) (*arrow.Schema, error) {
	text = strings.TrimSpace(text)
	if strings.HasPrefix(text, "{") {
		return delta.ParseSchemaJSON(text)
	}
	fields, err := parseDDLColumns(text)
	if err != nil {
		return nil, err
	}
	return arrow.NewSchema(fields, nil), nil
}
