package main

import (
	"fmt"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/lakehouse-go/lakehouse/delta/expr"
)

// The DDL form of --schema: a column list as Spark writes one,
//
//	columns := column {"," column}
//	column  := name [":"] type ["NOT" "NULL"]
//	type    := ARRAY "<" type ">"
//	         | MAP "<" type "," type ">"
//	         | STRUCT "<" [column {"," column}] ">"
//	         | name ["(" int {"," int} ")"]     (a Spark SQL type: bigint, decimal(10,2), …)
//	name    := letters, digits and "_" | `back quoted` (`` for a back quote)
//
// Keywords are case-insensitive. Array elements and map values may be
// null, as Spark's DDL has no way to say otherwise; map keys never are.
// Nested types are built as the table's own schema builds them (list
// element "element", map "key"/"value"), so a pinned schema compares
// equal to a table's.

// ddlToken is one token of a DDL column list.
type ddlToken struct {
	kind ddlKind
	text string // identifier (unquoted), number digits or punctuation
	pos  int    // byte offset, for messages
}

type ddlKind uint8

const (
	ddlEOF ddlKind = iota
	ddlIdent
	ddlQuoted // a `back quoted` name: never a keyword
	ddlNumber
	ddlPunct // one of < > ( ) , :
)

func lexDDL(s string) ([]ddlToken, error) {
	var toks []ddlToken
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case strings.IndexByte("<>(),:", c) >= 0:
			toks = append(toks, ddlToken{ddlPunct, s[i : i+1], i})
			i++
		case c == '`':
			var b strings.Builder
			j := i + 1
			for {
				k := strings.IndexByte(s[j:], '`')
				if k < 0 {
					return nil, fmt.Errorf("unclosed back quote at offset %d", i)
				}
				b.WriteString(s[j : j+k])
				j += k + 1
				if j < len(s) && s[j] == '`' { // `` is a back quote
					b.WriteByte('`')
					j++
					continue
				}
				break
			}
			toks = append(toks, ddlToken{ddlQuoted, b.String(), i})
			i = j
		case c >= '0' && c <= '9':
			j := i
			for j < len(s) && s[j] >= '0' && s[j] <= '9' {
				j++
			}
			if j < len(s) && isIdentByte(s[j]) {
				for j < len(s) && isIdentByte(s[j]) {
					j++
				}
				toks = append(toks, ddlToken{ddlIdent, s[i:j], i})
			} else {
				toks = append(toks, ddlToken{ddlNumber, s[i:j], i})
			}
			i = j
		case isIdentByte(c):
			j := i
			for j < len(s) && isIdentByte(s[j]) {
				j++
			}
			toks = append(toks, ddlToken{ddlIdent, s[i:j], i})
			i = j
		default:
			return nil, fmt.Errorf("unexpected %q at offset %d", c, i)
		}
	}
	return append(toks, ddlToken{kind: ddlEOF, pos: len(s)}), nil
}

func isIdentByte(c byte) bool {
	return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
}

// maxDDLDepth bounds type nesting, so hostile input cannot exhaust the
// stack.
const maxDDLDepth = 100

type ddlParser struct {
	toks  []ddlToken
	i     int
	depth int
}

func (p *ddlParser) peek() ddlToken { return p.toks[p.i] }
func (p *ddlParser) next() ddlToken {
	t := p.toks[p.i]
	if t.kind != ddlEOF {
		p.i++
	}
	return t
}

func (p *ddlParser) isPunct(s string) bool {
	t := p.peek()
	return t.kind == ddlPunct && t.text == s
}

func (p *ddlParser) isWord(w string) bool {
	t := p.peek()
	return t.kind == ddlIdent && strings.EqualFold(t.text, w)
}

func (p *ddlParser) expect(s string) error {
	if !p.isPunct(s) {
		return fmt.Errorf("expected %q, found %s", s, describeDDL(p.peek()))
	}
	p.next()
	return nil
}

func describeDDL(t ddlToken) string {
	if t.kind == ddlEOF {
		return "the end"
	}
	return fmt.Sprintf("%q at offset %d", t.text, t.pos)
}

// parseDDLColumns parses a whole column list.
func parseDDLColumns(s string) ([]arrow.Field, error) {
	toks, err := lexDDL(s)
	if err != nil {
		return nil, err
	}
	p := &ddlParser{toks: toks}
	if p.peek().kind == ddlEOF {
		return nil, fmt.Errorf("no columns: want a list such as \"id bigint, day date\"")
	}
	fields, err := p.columns(ddlEOF, "")
	if err != nil {
		return nil, err
	}
	return fields, nil
}

// columns reads columns separated by commas up to the closing token (EOF
// or ">" for a struct), which it does not consume.
func (p *ddlParser) columns(end ddlKind, endPunct string) ([]arrow.Field, error) {
	atEnd := func() bool {
		t := p.peek()
		return t.kind == end && (end != ddlPunct || t.text == endPunct)
	}
	var fields []arrow.Field
	seen := map[string]bool{}
	if end == ddlPunct && atEnd() {
		return fields, nil // STRUCT<>
	}
	for {
		if p.isPunct(",") || atEnd() {
			return nil, fmt.Errorf("empty item in the column list at %s", describeDDL(p.peek()))
		}
		f, err := p.column()
		if err != nil {
			return nil, err
		}
		if seen[strings.ToLower(f.Name)] {
			return nil, fmt.Errorf("column %q appears twice", f.Name)
		}
		seen[strings.ToLower(f.Name)] = true
		fields = append(fields, f)
		if atEnd() {
			return fields, nil
		}
		if !p.isPunct(",") {
			want := `","`
			if end == ddlPunct {
				want = `"," or "` + endPunct + `"`
			}
			return nil, fmt.Errorf("after column %q: expected %s, found %s", f.Name, want, describeDDL(p.peek()))
		}
		p.next()
	}
}

// column reads `name [:] type [NOT NULL]`.
func (p *ddlParser) column() (arrow.Field, error) {
	t := p.next()
	if t.kind != ddlIdent && t.kind != ddlQuoted {
		return arrow.Field{}, fmt.Errorf("expected a column name, found %s", describeDDL(t))
	}
	if t.kind == ddlQuoted && t.text == "" {
		return arrow.Field{}, fmt.Errorf("empty column name at offset %d", t.pos)
	}
	name := t.text
	if p.isPunct(":") {
		p.next()
	}
	if k := p.peek(); k.kind == ddlEOF || (k.kind == ddlPunct && k.text != "(") {
		return arrow.Field{}, fmt.Errorf("column %q: want a name and a type, e.g. \"id bigint\"", name)
	}
	dt, err := p.dataType()
	if err != nil {
		return arrow.Field{}, fmt.Errorf("column %q: %w", name, err)
	}
	f := arrow.Field{Name: name, Type: dt, Nullable: true}
	if p.isWord("not") {
		p.next()
		if !p.isWord("null") {
			return arrow.Field{}, fmt.Errorf("column %q: expected NULL after NOT, found %s", name, describeDDL(p.peek()))
		}
		p.next()
		f.Nullable = false
	}
	return f, nil
}

// dataType reads one type, nested or not.
func (p *ddlParser) dataType() (arrow.DataType, error) {
	if p.depth >= maxDDLDepth {
		return nil, fmt.Errorf("types nested deeper than %d", maxDDLDepth)
	}
	p.depth++
	defer func() { p.depth-- }()
	t := p.next()
	if t.kind != ddlIdent {
		return nil, fmt.Errorf("expected a type, found %s", describeDDL(t))
	}
	switch strings.ToLower(t.text) {
	case "array":
		if err := p.expect("<"); err != nil {
			return nil, fmt.Errorf("ARRAY: %w", err)
		}
		el, err := p.dataType()
		if err != nil {
			return nil, err
		}
		if err := p.expect(">"); err != nil {
			return nil, fmt.Errorf("ARRAY: %w", err)
		}
		return arrow.ListOfField(arrow.Field{Name: "element", Type: el, Nullable: true}), nil
	case "map":
		if err := p.expect("<"); err != nil {
			return nil, fmt.Errorf("MAP: %w", err)
		}
		k, err := p.dataType()
		if err != nil {
			return nil, err
		}
		if err := p.expect(","); err != nil {
			return nil, fmt.Errorf("MAP: %w", err)
		}
		v, err := p.dataType()
		if err != nil {
			return nil, err
		}
		if err := p.expect(">"); err != nil {
			return nil, fmt.Errorf("MAP: %w", err)
		}
		return arrow.MapOfFields(arrow.Field{Name: "key", Type: k}, arrow.Field{Name: "value", Type: v, Nullable: true}), nil
	case "struct":
		if err := p.expect("<"); err != nil {
			return nil, fmt.Errorf("STRUCT: %w", err)
		}
		fields, err := p.columns(ddlPunct, ">")
		if err != nil {
			return nil, fmt.Errorf("STRUCT: %w", err)
		}
		p.next() // ">"
		return arrow.StructOf(fields...), nil
	}
	// A Spark SQL type name with optional integer parameters, which
	// delta/expr knows.
	text := t.text
	if p.isPunct("(") {
		p.next()
		var params []string
		for {
			n := p.next()
			if n.kind != ddlNumber {
				return nil, fmt.Errorf("%s: expected an integer parameter, found %s", t.text, describeDDL(n))
			}
			params = append(params, n.text)
			if !p.isPunct(",") {
				break
			}
			p.next()
		}
		if err := p.expect(")"); err != nil {
			return nil, fmt.Errorf("%s: %w", t.text, err)
		}
		text += "(" + strings.Join(params, ",") + ")"
	}
	return expr.ParseType(text)
}

// formatDDL writes fields as a column list parseDDLColumns reads back to
// the same fields. Types it has no DDL for (a list whose elements may not
// be null, unsigned integers, …) are an error.
func formatDDL(fields []arrow.Field) (string, error) {
	var b strings.Builder
	if err := writeDDLColumns(&b, fields, " "); err != nil {
		return "", err
	}
	return b.String(), nil
}

func writeDDLColumns(b *strings.Builder, fields []arrow.Field, sep string) error {
	for i, f := range fields {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(ddlName(f.Name))
		b.WriteString(sep)
		if err := writeDDLType(b, f.Type); err != nil {
			return fmt.Errorf("column %q: %w", f.Name, err)
		}
		if !f.Nullable {
			b.WriteString(" NOT NULL")
		}
	}
	return nil
}

func writeDDLType(b *strings.Builder, dt arrow.DataType) error {
	switch t := dt.(type) {
	case *arrow.BooleanType:
		b.WriteString("BOOLEAN")
	case *arrow.Int8Type:
		b.WriteString("TINYINT")
	case *arrow.Int16Type:
		b.WriteString("SMALLINT")
	case *arrow.Int32Type:
		b.WriteString("INT")
	case *arrow.Int64Type:
		b.WriteString("BIGINT")
	case *arrow.Float32Type:
		b.WriteString("FLOAT")
	case *arrow.Float64Type:
		b.WriteString("DOUBLE")
	case *arrow.StringType:
		b.WriteString("STRING")
	case *arrow.BinaryType:
		b.WriteString("BINARY")
	case *arrow.Date32Type:
		b.WriteString("DATE")
	case *arrow.TimestampType:
		switch {
		case t.Unit != arrow.Microsecond:
			return fmt.Errorf("no DDL for %s: Delta timestamps are microseconds", dt)
		case t.TimeZone == "":
			b.WriteString("TIMESTAMP_NTZ")
		case t.TimeZone == "UTC":
			b.WriteString("TIMESTAMP")
		default:
			return fmt.Errorf("no DDL for %s: TIMESTAMP is UTC", dt)
		}
	case *arrow.Decimal128Type:
		fmt.Fprintf(b, "DECIMAL(%d,%d)", t.Precision, t.Scale)
	case *arrow.ListType:
		if el := t.ElemField(); !el.Nullable || el.Name != "element" {
			return fmt.Errorf("no DDL for %s: array elements are nullable and named element", dt)
		}
		b.WriteString("ARRAY<")
		if err := writeDDLType(b, t.Elem()); err != nil {
			return err
		}
		b.WriteByte('>')
	case *arrow.MapType:
		if !t.ItemField().Nullable || t.KeysSorted {
			return fmt.Errorf("no DDL for %s: map values are nullable and keys unsorted", dt)
		}
		b.WriteString("MAP<")
		if err := writeDDLType(b, t.KeyType()); err != nil {
			return err
		}
		b.WriteString(", ")
		if err := writeDDLType(b, t.ItemType()); err != nil {
			return err
		}
		b.WriteByte('>')
	case *arrow.StructType:
		b.WriteString("STRUCT<")
		if err := writeDDLColumns(b, t.Fields(), ": "); err != nil {
			return err
		}
		b.WriteByte('>')
	default:
		return fmt.Errorf("no DDL for %s", dt)
	}
	return nil
}

// ddlName back quotes a name unless it is plain letters, digits and "_"
// starting with a letter or "_".
func ddlName(name string) string {
	plain := name != "" && !(name[0] >= '0' && name[0] <= '9')
	for i := 0; i < len(name) && plain; i++ {
		plain = isIdentByte(name[i])
	}
	if plain {
		return name
	}
	return "`" + strings.ReplaceAll(name, "`", "``") + "`"
}
