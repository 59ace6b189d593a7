package main

import (
	"fmt"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/lakehouse-go/lakehouse/delta"
	"github.com/lakehouse-go/lakehouse/delta/expr"
)

// parseSchemaFlag reads the value of write's --schema: a DDL column list
// ("id bigint NOT NULL, day date, amount decimal(10,2)"), each type a
// Spark SQL type name as delta/expr parses it, or a Delta schema JSON
// document (a schemaString) for nested types the DDL form lacks.
func parseSchemaFlag(text string) (*arrow.Schema, error) {
	text = strings.TrimSpace(text)
	if strings.HasPrefix(text, "{") {
		return delta.ParseSchemaJSON(text)
	}
	if text == "" {
		return nil, fmt.Errorf("no columns: want a list such as \"id bigint, day date\"")
	}
	// Commas inside parentheses (decimal(10,2)) do not split.
	cols, err := splitTopLevel(text, ',')
	if err != nil {
		return nil, err
	}
	fields := make([]arrow.Field, 0, len(cols))
	seen := map[string]bool{}
	for i, col := range cols {
		name, typ, err := splitColumn(col)
		if err != nil {
			return nil, fmt.Errorf("column %d %q: %w", i+1, col, err)
		}
		nullable := true
		if up := strings.ToUpper(typ); strings.HasSuffix(up, " NOT NULL") {
			typ, nullable = strings.TrimSpace(typ[:len(typ)-len(" NOT NULL")]), false
		}
		dt, err := expr.ParseType(typ)
		if err != nil {
			return nil, fmt.Errorf("column %q: %w", name, err)
		}
		if seen[strings.ToLower(name)] {
			return nil, fmt.Errorf("column %q appears twice", name)
		}
		seen[strings.ToLower(name)] = true
		fields = append(fields, arrow.Field{Name: name, Type: dt, Nullable: nullable})
	}
	return arrow.NewSchema(fields, nil), nil
}

// splitColumn splits "name type" (the name possibly `back quoted`).
func splitColumn(col string) (name, typ string, err error) {
	if strings.HasPrefix(col, "`") {
		end := strings.Index(col[1:], "`")
		if end < 0 {
			return "", "", fmt.Errorf("unclosed back quote")
		}
		name, typ = col[1:1+end], col[2+end:]
	} else {
		name, typ, _ = strings.Cut(col, " ")
	}
	typ = strings.TrimSpace(typ)
	if name == "" || typ == "" {
		return "", "", fmt.Errorf("want a name and a type, e.g. \"id bigint\"")
	}
	return name, typ, nil
}
