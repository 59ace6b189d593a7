package quality

import (
	"bytes"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Dataset expectation types, as a suite file names them (after Great
// Expectations' expect_column_values_to_… family).
const (
	TypeNotNull         = "not_null"
	TypeBetween         = "between"
	TypeInSet           = "in_set"
	TypeMatchesRegex    = "matches_regex"
	TypeUnique          = "unique"
	TypeRowCountBetween = "row_count_between"
	TypeMeanBetween     = "mean_between"
	TypeMinBetween      = "min_between"
	TypeMaxBetween      = "max_between"
	TypeSchemaEquals    = "schema_equals"
)

// Suite is a named list of dataset expectations, validated over a whole
// table snapshot (batch validation, outside pipelines).
type Suite struct {
	Name         string               `yaml:"name" json:"name"`
	Expectations []DatasetExpectation `yaml:"expectations" json:"expectations"`
}

// DatasetExpectation is one check of a suite. Which fields apply depends
// on Type:
//
//	not_null, between, in_set, matches_regex   Column (+ Min/Max, Values, Regex); Mostly
//	unique                                     Column or Columns (compound)
//	row_count_between                          Min, Max
//	mean_between, min_between, max_between     Column, Min, Max (numeric columns)
//	schema_equals                              Schema
//
// Min and Max are inclusive and either may be omitted. For the row-level
// types a NULL value passes (not_null aside), as in Great Expectations;
// Mostly (0..1, default 1) is the fraction of rows that must pass.
type DatasetExpectation struct {
	Name    string         `yaml:"name,omitempty" json:"name,omitempty"`
	Type    string         `yaml:"type" json:"type"`
	Column  string         `yaml:"column,omitempty" json:"column,omitempty"`
	Columns []string       `yaml:"columns,omitempty" json:"columns,omitempty"`
	Min     *Value         `yaml:"min,omitempty" json:"min,omitempty"`
	Max     *Value         `yaml:"max,omitempty" json:"max,omitempty"`
	Values  []Value        `yaml:"values,omitempty" json:"values,omitempty"`
	Regex   string         `yaml:"regex,omitempty" json:"regex,omitempty"`
	Mostly  *float64       `yaml:"mostly,omitempty" json:"mostly,omitempty"`
	Schema  []SchemaColumn `yaml:"schema,omitempty" json:"schema,omitempty"`
}

// SchemaColumn is one expected column of schema_equals. Type is a Spark
// SQL type name (bigint, int, string, double, decimal(10,2), timestamp,
// …; struct, array and map match any nested type of that kind).
type SchemaColumn struct {
	Name     string `yaml:"name" json:"name"`
	Type     string `yaml:"type" json:"type"`
	Nullable *bool  `yaml:"nullable,omitempty" json:"nullable,omitempty"`
}

// Value is a literal of a suite file: a number or a string (dates and
// timestamps are written as strings and compared as Spark does).
type Value struct {
	Num   float64
	Str   string
	IsNum bool
}

// UnmarshalYAML reads a scalar: numbers stay numbers, the rest is text.
func (v *Value) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return fmt.Errorf("%w: line %d: expected a number or a string", ErrInvalidExpectation, n.Line)
	}
	if n.Tag == "!!int" || n.Tag == "!!float" {
		f, err := strconv.ParseFloat(n.Value, 64)
		if err != nil {
			return fmt.Errorf("%w: line %d: %v", ErrInvalidExpectation, n.Line, err)
		}
		*v = Value{Num: f, IsNum: true}
		return nil
	}
	*v = Value{Str: n.Value}
	return nil
}

// MarshalJSON writes a number or a string.
func (v Value) MarshalJSON() ([]byte, error) {
	if v.IsNum {
		return []byte(strconv.FormatFloat(v.Num, 'g', -1, 64)), nil
	}
	return []byte(strconv.Quote(v.Str)), nil
}

func (v Value) String() string {
	if v.IsNum {
		return strconv.FormatFloat(v.Num, 'g', -1, 64)
	}
	return v.Str
}

// sql renders v as a Spark SQL literal.
func (v Value) sql() string {
	if v.IsNum {
		return strconv.FormatFloat(v.Num, 'g', -1, 64)
	}
	return sqlString(v.Str)
}

func sqlString(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'"
}

func quoteIdent(name string) string { return "`" + strings.ReplaceAll(name, "`", "``") + "`" }

// LoadSuite reads a suite from a YAML file.
func LoadSuite(path string) (*Suite, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("quality: suite: %w", err)
	}
	return ParseSuite(b)
}

// ParseSuite reads a suite from YAML text and checks it (types known,
// required fields present, bounds ordered). Unknown keys are errors, so a
// misspelt field is not silently ignored. Columns are checked against a
// table only when the suite runs.
func ParseSuite(text []byte) (*Suite, error) {
	dec := yaml.NewDecoder(bytes.NewReader(text))
	dec.KnownFields(true)
	var s Suite
	if err := dec.Decode(&s); err != nil && err != io.EOF {
		if strings.HasPrefix(err.Error(), "quality:") {
			return nil, err
		}
		return nil, fmt.Errorf("%w: suite: %v", ErrInvalidExpectation, err)
	}
	if err := s.Validate(); err != nil {
		return nil, err
	}
	return &s, nil
}

// Validate checks every expectation and fills in default names
// ("type(column)").
func (s *Suite) Validate() error {
	if len(s.Expectations) == 0 {
		return fmt.Errorf("%w: suite %q has no expectations", ErrInvalidExpectation, s.Name)
	}
	seen := map[string]bool{}
	for i := range s.Expectations {
		e := &s.Expectations[i]
		if err := e.validate(); err != nil {
			return fmt.Errorf("%w: expectation %d (%s): %s", ErrInvalidExpectation, i+1, e.Type, err)
		}
		if e.Name == "" {
			e.Name = e.defaultName()
		}
		if seen[e.Name] {
			return fmt.Errorf("%w: two expectations are named %q (give one a name)", ErrInvalidExpectation, e.Name)
		}
		seen[e.Name] = true
	}
	return nil
}

func (e *DatasetExpectation) defaultName() string {
	switch e.Type {
	case TypeRowCountBetween, TypeSchemaEquals:
		return e.Type
	case TypeUnique:
		return e.Type + "(" + strings.Join(e.keyColumns(), ", ") + ")"
	}
	return e.Type + "(" + e.Column + ")"
}

func (e *DatasetExpectation) keyColumns() []string {
	if len(e.Columns) > 0 {
		return e.Columns
	}
	return []string{e.Column}
}

func (e *DatasetExpectation) validate() error {
	needColumn := func() error {
		if e.Column == "" {
			return fmt.Errorf("needs column")
		}
		return nil
	}
	needBound := func() error {
		if e.Min == nil && e.Max == nil {
			return fmt.Errorf("needs min or max")
		}
		if e.Min != nil && e.Max != nil && e.Min.IsNum && e.Max.IsNum && e.Min.Num > e.Max.Num {
			return fmt.Errorf("min %s is above max %s", e.Min, e.Max)
		}
		return nil
	}
	needNumericBound := func() error {
		for _, v := range []*Value{e.Min, e.Max} {
			if v != nil && !v.IsNum {
				return fmt.Errorf("bound %q is not a number", v.Str)
			}
		}
		return needBound()
	}
	if e.Mostly != nil && (*e.Mostly < 0 || *e.Mostly > 1 || math.IsNaN(*e.Mostly)) {
		return fmt.Errorf("mostly %v is not between 0 and 1", *e.Mostly)
	}
	switch e.Type {
	case TypeNotNull:
		return needColumn()
	case TypeBetween:
		if err := needColumn(); err != nil {
			return err
		}
		return needBound()
	case TypeInSet:
		if len(e.Values) == 0 {
			return fmt.Errorf("needs values")
		}
		return needColumn()
	case TypeMatchesRegex:
		if e.Regex == "" {
			return fmt.Errorf("needs regex")
		}
		return needColumn()
	case TypeUnique:
		if e.Column == "" && len(e.Columns) == 0 {
			return fmt.Errorf("needs column or columns")
		}
		if e.Column != "" && len(e.Columns) > 0 {
			return fmt.Errorf("give column or columns, not both")
		}
		return nil
	case TypeRowCountBetween:
		return needNumericBound()
	case TypeMeanBetween, TypeMinBetween, TypeMaxBetween:
		if err := needColumn(); err != nil {
			return err
		}
		return needNumericBound()
	case TypeSchemaEquals:
		if len(e.Schema) == 0 {
			return fmt.Errorf("needs schema")
		}
		return nil
	case "":
		return fmt.Errorf("needs type")
	}
	return fmt.Errorf("unknown type %q (use not_null, between, in_set, matches_regex, unique, row_count_between, mean_between, min_between, max_between or schema_equals)", e.Type)
}

// condition is the Spark SQL condition of a row-level expectation.
func (e *DatasetExpectation) condition() string {
	c := quoteIdent(e.Column)
	switch e.Type {
	case TypeNotNull:
		return c + " IS NOT NULL"
	case TypeBetween:
		var parts []string
		if e.Min != nil {
			parts = append(parts, c+" >= "+e.Min.sql())
		}
		if e.Max != nil {
			parts = append(parts, c+" <= "+e.Max.sql())
		}
		return strings.Join(parts, " AND ")
	case TypeInSet:
		vals := make([]string, len(e.Values))
		for i, v := range e.Values {
			vals[i] = v.sql()
		}
		return c + " IN (" + strings.Join(vals, ", ") + ")"
	case TypeMatchesRegex:
		return c + " RLIKE " + sqlString(e.Regex)
	}
	return ""
}

func (e *DatasetExpectation) rowLevel() bool { return e.condition() != "" }
