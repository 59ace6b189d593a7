package quality

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
)

// Report is the outcome of a suite run. Success is true when every
// expectation passed.
type Report struct {
	Suite   string              `json:"suite"`
	Table   string              `json:"table,omitempty"`
	Version int64               `json:"version"`
	Rows    int64               `json:"rows"`
	Success bool                `json:"success"`
	Failed  int                 `json:"failed"`
	Results []ExpectationResult `json:"results"`
}

// ExpectationResult is one expectation's outcome. Row-level and unique
// expectations count unexpected rows (for unique: the rows repeating a
// key seen before); aggregate and schema expectations report the
// observed value.
type ExpectationResult struct {
	Name              string   `json:"name"`
	Type              string   `json:"type"`
	Success           bool     `json:"success"`
	ElementCount      int64    `json:"element_count"`
	UnexpectedCount   int64    `json:"unexpected_count"`
	UnexpectedPercent float64  `json:"unexpected_percent"`
	PartialUnexpected []string `json:"partial_unexpected_list,omitempty"`
	Observed          string   `json:"observed_value,omitempty"`
	Detail            string   `json:"detail,omitempty"`
}

func (r *runState) finish(schema *arrow.Schema) {
	k := 0
	for i, e := range r.suite.Expectations {
		res := ExpectationResult{Name: e.Name, Type: e.Type, ElementCount: r.rows}
		switch {
		case e.rowLevel():
			res.UnexpectedCount, res.PartialUnexpected = r.failed[k], r.samples[k]
			k++
		case e.Type == TypeUnique:
			res.UnexpectedCount = r.unique[i].dups
		case e.Type == TypeRowCountBetween:
			res.Observed = strconv.FormatInt(r.rows, 10)
			res.Success = inBounds(float64(r.rows), e.Min, e.Max)
		case e.Type == TypeSchemaEquals:
			res.Observed = schemaText(schema)
			res.Detail = schemaDiff(schema, e.Schema)
			res.Success = res.Detail == ""
		default: // mean, min, max
			f, _ := findField(schema, e.Column)
			a := r.aggs[f.Name]
			if a.n == 0 {
				res.Detail = "no non-NULL values"
				break
			}
			v := map[string]float64{TypeMeanBetween: a.sum / float64(a.n), TypeMinBetween: a.min, TypeMaxBetween: a.max}[e.Type]
			res.Observed = strconv.FormatFloat(v, 'g', -1, 64)
			res.Success = inBounds(v, e.Min, e.Max)
		}
		if e.rowLevel() || e.Type == TypeUnique {
			if r.rows > 0 {
				res.UnexpectedPercent = 100 * float64(res.UnexpectedCount) / float64(r.rows)
			}
			mostly := 1.0
			if e.Mostly != nil {
				mostly = *e.Mostly
			}
			res.Success = float64(res.UnexpectedCount) <= (1-mostly)*float64(r.rows)+1e-9
		}
		if !res.Success {
			r.rep.Success = false
			r.rep.Failed++
		}
		r.rep.Results = append(r.rep.Results, res)
	}
	r.rep.Rows = r.rows
}

func inBounds(v float64, lo, hi *Value) bool {
	return (lo == nil || v >= lo.Num) && (hi == nil || v <= hi.Num)
}

// sparkType names an Arrow type as Spark SQL does.
func sparkType(t arrow.DataType) string {
	switch t := t.(type) {
	case *arrow.Decimal128Type:
		return fmt.Sprintf("decimal(%d,%d)", t.Precision, t.Scale)
	case *arrow.TimestampType:
		if t.TimeZone == "" {
			return "timestamp_ntz"
		}
		return "timestamp"
	}
	switch t.ID() {
	case arrow.INT8:
		return "tinyint"
	case arrow.INT16:
		return "smallint"
	case arrow.INT32:
		return "int"
	case arrow.INT64:
		return "bigint"
	case arrow.FLOAT32:
		return "float"
	case arrow.FLOAT64:
		return "double"
	case arrow.STRING, arrow.LARGE_STRING, arrow.STRING_VIEW:
		return "string"
	case arrow.BINARY, arrow.LARGE_BINARY, arrow.BINARY_VIEW:
		return "binary"
	case arrow.BOOL:
		return "boolean"
	case arrow.DATE32:
		return "date"
	case arrow.STRUCT:
		return "struct"
	case arrow.LIST, arrow.LARGE_LIST:
		return "array"
	case arrow.MAP:
		return "map"
	}
	return strings.ToLower(t.String())
}

// typeAliases maps Delta's schema-JSON names to Spark SQL's.
var typeAliases = map[string]string{"long": "bigint", "integer": "int", "short": "smallint", "byte": "tinyint", "bool": "boolean"}

func normalType(s string) string {
	s = strings.ToLower(strings.ReplaceAll(s, " ", ""))
	if a, ok := typeAliases[s]; ok {
		return a
	}
	if i := strings.IndexAny(s, "<("); i > 0 && s[:i] != "decimal" {
		return s[:i] // struct<…>, array<…>, map<…>: the kind is compared
	}
	return s
}

func schemaText(schema *arrow.Schema) string {
	parts := make([]string, schema.NumFields())
	for i, f := range schema.Fields() {
		parts[i] = f.Name + " " + sparkType(f.Type)
		if !f.Nullable {
			parts[i] += " not null"
		}
	}
	return strings.Join(parts, ", ")
}

// schemaDiff describes the first difference between the table schema and
// the expected columns, or "" when they are equal.
func schemaDiff(schema *arrow.Schema, want []SchemaColumn) string {
	got := schema.Fields()
	for i, w := range want {
		if i >= len(got) {
			return fmt.Sprintf("column %d %q is missing", i+1, w.Name)
		}
		g := got[i]
		switch {
		case g.Name != w.Name:
			return fmt.Sprintf("column %d is %q, expected %q", i+1, g.Name, w.Name)
		case sparkType(g.Type) != normalType(w.Type):
			return fmt.Sprintf("column %q is %s, expected %s", g.Name, sparkType(g.Type), normalType(w.Type))
		case w.Nullable != nil && *w.Nullable != g.Nullable:
			return fmt.Sprintf("column %q has nullable %v, expected %v", g.Name, g.Nullable, *w.Nullable)
		}
	}
	if len(got) > len(want) {
		return fmt.Sprintf("unexpected column %q", got[len(want)].Name)
	}
	return ""
}

// WriteJSON writes the report as indented JSON.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(r)
}

// WriteText writes the report for people: a summary line, then one line
// per expectation.
func (r *Report) WriteText(w io.Writer) error {
	status := "PASSED"
	if !r.Success {
		status = "FAILED"
	}
	on := ""
	if r.Table != "" {
		on = " on " + r.Table
	}
	var b strings.Builder
	fmt.Fprintf(&b, "suite %q%s (version %d, %d rows): %s, %d of %d expectations failed\n", r.Suite, on, r.Version, r.Rows, status, r.Failed, len(r.Results))
	width := 0
	for _, res := range r.Results {
		width = max(width, len(res.Name))
	}
	for _, res := range r.Results {
		mark := "ok  "
		if !res.Success {
			mark = "FAIL"
		}
		fmt.Fprintf(&b, "  %s %-*s  ", mark, width, res.Name)
		switch {
		case res.Type == TypeSchemaEquals && res.Detail != "":
			fmt.Fprintf(&b, "%s", res.Detail)
		case res.Observed != "" || res.Detail != "":
			fmt.Fprintf(&b, "observed %s%s", res.Observed, res.Detail)
		default:
			fmt.Fprintf(&b, "%d unexpected of %d (%.2f%%)", res.UnexpectedCount, res.ElementCount, res.UnexpectedPercent)
			if len(res.PartialUnexpected) > 0 {
				fmt.Fprintf(&b, ": %s", strings.Join(res.PartialUnexpected, ", "))
			}
		}
		b.WriteByte('\n')
	}
	_, err := io.WriteString(w, b.String())
	return err
}
