package main

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/lakehouse-go/lakehouse/internal/jsonlex"
)

// kind is an inferred column type; merging widens.
//
// Numbers widen int → long → double. A JSON string holding a number (a
// quoted number, "42") is a number only next to unquoted numbers in the
// same column: a column whose values are all quoted numbers stays a
// string (zip codes, ids with leading zeros), while a column mixing 7
// and "8" is numeric and "8" is read as 8. Any other mix is a string.
type kind int

const (
	kNone kind = iota
	kBool
	kInt   // whole numbers that fit in 32 bits
	kLong  // whole numbers that fit in 64 bits
	kFloat // any other number
	kQuotedInt
	kQuotedLong
	kQuotedFloat
	kDate
	kTimestamp
	kString
	kObject
	kList
)

// numericRank orders the number kinds by width (0 for a non-number) and
// reports whether the kind is a quoted number.
func (a kind) numericRank() (rank int, quoted bool) {
	switch a {
	case kInt, kLong, kFloat:
		return int(a-kInt) + 1, false
	case kQuotedInt, kQuotedLong, kQuotedFloat:
		return int(a-kQuotedInt) + 1, true
	}
	return 0, false
}

func (a kind) merge(b kind) kind {
	switch {
	case a == kNone:
		return b
	case b == kNone || a == b:
		return a
	}
	ra, qa := a.numericRank()
	rb, qb := b.numericRank()
	if ra > 0 && rb > 0 {
		k := kInt + kind(max(ra, rb)-1)
		if qa && qb {
			k += kQuotedInt - kInt
		}
		return k
	}
	return kString
}

func (a kind) arrowType() arrow.DataType {
	switch a {
	case kBool:
		return arrow.FixedWidthTypes.Boolean
	case kInt:
		return arrow.PrimitiveTypes.Int32
	case kLong:
		return arrow.PrimitiveTypes.Int64
	case kFloat:
		return arrow.PrimitiveTypes.Float64
	case kDate:
		return arrow.FixedWidthTypes.Date32
	case kTimestamp:
		return &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}
	}
	return arrow.BinaryTypes.String
}

var dateRe = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)

// jsonNumberRe is a JSON number: a quoted value must look like one to
// count as a quoted number (strconv also takes "NaN", "Inf", "0x1p4").
var jsonNumberRe = regexp.MustCompile(`^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?$`)

// classifyString infers the type of a CSV cell or JSON string.
func classifyString(s string) kind {
	if len(s) == 10 && dateRe.MatchString(s) {
		if _, err := time.Parse("2006-01-02", s); err == nil {
			return kDate
		}
	}
	if len(s) >= 20 && s[4] == '-' && (s[10] == 'T' || s[10] == ' ') {
		if _, err := time.Parse(time.RFC3339Nano, strings.Replace(s, " ", "T", 1)); err == nil {
			return kTimestamp
		}
	}
	return kString
}

// classifyQuoted classifies a JSON string: a quoted number, a date, a
// timestamp or a string.
func classifyQuoted(s string) kind {
	if s != "" && (s[0] == '-' || (s[0] >= '0' && s[0] <= '9')) && jsonNumberRe.MatchString(s) {
		return numberKind(s) + kQuotedInt - kInt
	}
	return classifyString(s)
}

// numberKind is the kind a number s is inferred as: bigint or double.
func numberKind(s string) kind {
	if _, err := strconv.ParseInt(s, 10, 64); err == nil {
		// bigint even for small values, as Spark infers JSON integers
		// (LongType): an id column inferred as int from a sample would
		// refuse the larger ids of the next write.
		return kLong
	}
	return kFloat
}

// classifyCell adds numbers and booleans, which JSON types itself.
func classifyCell(s string) kind {
	if _, err := strconv.ParseInt(s, 10, 64); err == nil {
		return numberKind(s)
	}
	if _, err := strconv.ParseFloat(s, 64); err == nil {
		return kFloat
	}
	if s == "true" || s == "false" {
		return kBool
	}
	return classifyString(s)
}

// inferrer accumulates the type of every JSON key, recursively.
type inferrer struct {
	order []string
	kinds map[string]kind
	// bare marks keys that had unquoted numbers or booleans: if such a
	// key ends up a string, the reader quotes those values.
	bare map[string]bool
	sub  map[string]*inferrer // objects
	elem map[string]*inferrer // list elements, under key ""
}

func newInferrer() *inferrer {
	return &inferrer{kinds: map[string]kind{}, bare: map[string]bool{}, sub: map[string]*inferrer{}, elem: map[string]*inferrer{}}
}

func (in *inferrer) observeObject(row *orderedObject) {
	for i, k := range row.keys {
		in.observe(k, row.vals[i])
	}
}

// orderedObject is a JSON object with its keys in document order, so the
// inferred schema follows the input's column order.
type orderedObject struct {
	keys []string
	vals []any
}

// decodeOrdered reads one JSON value, objects as *orderedObject.
func decodeOrdered(dec *json.Decoder) (any, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			obj := &orderedObject{}
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return nil, err
				}
				k, _ := kt.(string)
				v, err := decodeOrdered(dec)
				if err != nil {
					return nil, err
				}
				obj.keys = append(obj.keys, k)
				obj.vals = append(obj.vals, v)
			}
			_, err := dec.Token()
			return obj, err
		case '[':
			var list []any
			for dec.More() {
				v, err := decodeOrdered(dec)
				if err != nil {
					return nil, err
				}
				list = append(list, v)
			}
			_, err := dec.Token()
			return list, err
		}
		return nil, fmt.Errorf("unexpected %v", t)
	}
	return tok, nil
}

func (in *inferrer) observe(k string, v any) {
	if _, ok := in.kinds[k]; !ok {
		in.order = append(in.order, k)
		in.kinds[k] = kNone
	}
	var kd kind
	switch x := v.(type) {
	case nil:
		return
	case bool:
		kd = kBool
		in.bare[k] = true
	case json.Number:
		kd = numberKind(x.String())
		in.bare[k] = true
	case string:
		kd = classifyQuoted(x)
	case *orderedObject:
		kd = kObject
		if in.sub[k] == nil {
			in.sub[k] = newInferrer()
		}
		in.sub[k].observeObject(x)
	case []any:
		kd = kList
		if in.elem[k] == nil {
			in.elem[k] = newInferrer()
		}
		for _, e := range x {
			in.elem[k].observe("element", e)
		}
	}
	in.kinds[k] = in.kinds[k].merge(kd)
}

func (in *inferrer) fields() []arrow.Field {
	out := make([]arrow.Field, 0, len(in.order))
	for _, k := range in.order {
		out = append(out, arrow.Field{Name: k, Type: in.typeOf(k), Nullable: true})
	}
	return out
}

func (in *inferrer) typeOf(k string) arrow.DataType {
	switch in.kinds[k] {
	case kObject:
		if s := in.sub[k]; s != nil && len(s.order) > 0 {
			return arrow.StructOf(s.fields()...)
		}
	case kList:
		if e := in.elem[k]; e != nil && len(e.order) > 0 {
			return arrow.ListOf(e.typeOf("element"))
		}
		return arrow.ListOf(arrow.BinaryTypes.String)
	}
	return in.kinds[k].arrowType()
}

// quoted lists the top-level keys inferred as strings that also held
// unquoted numbers or booleans; their values are read as their JSON text.
func (in *inferrer) quoted() map[string]bool {
	out := map[string]bool{}
	for k := range in.bare {
		if in.kinds[k] == kString {
			out[k] = true
		}
	}
	return out
}

// observeFlat observes a line that is one JSON object of scalar values
// (the common case) without the token-by-token decoding of
// decodeOrdered, which would cost more than decoding the whole input
// does. Anything else — nested values, escaped keys, invalid JSON — is
// false, with nothing observed, and the caller decodes it the general way.
func (in *inferrer) observeFlat(ln []byte) bool {
	type member struct {
		key []byte
		val any
	}
	var buf [32]member
	members := buf[:0]
	i := jsonlex.SkipSpace(ln, 0)
	if i >= len(ln) || ln[i] != '{' {
		return false
	}
	i = jsonlex.SkipSpace(ln, i+1)
	if i < len(ln) && ln[i] == '}' {
		i++
	} else {
		for {
			if i >= len(ln) || ln[i] != '"' {
				return false
			}
			key, next, escaped, ok := jsonlex.ScanString(ln, i)
			if !ok || escaped {
				return false
			}
			i = jsonlex.SkipSpace(ln, next)
			if i >= len(ln) || ln[i] != ':' {
				return false
			}
			if i = jsonlex.SkipSpace(ln, i+1); i >= len(ln) {
				return false
			}
			var val any
			switch c := ln[i]; {
			case c == '"':
				str, next, escaped, ok := jsonlex.ScanString(ln, i)
				if !ok {
					return false
				}
				if escaped {
					if str, ok = jsonlex.Unescape(nil, str); !ok {
						return false
					}
				}
				val, i = string(str), next
			case c == '-' || (c >= '0' && c <= '9'):
				next, ok := jsonlex.ScanNumber(ln, i)
				if !ok {
					return false
				}
				val, i = json.Number(ln[i:next]), next
			case jsonlex.HasLiteral(ln, i, "true"):
				val, i = true, i+4
			case jsonlex.HasLiteral(ln, i, "false"):
				val, i = false, i+5
			case jsonlex.HasLiteral(ln, i, "null"):
				val, i = nil, i+4
			default:
				return false // nested, or not JSON
			}
			members = append(members, member{key, val})
			if i = jsonlex.SkipSpace(ln, i); i >= len(ln) {
				return false
			}
			if ln[i] == '}' {
				i++
				break
			}
			if ln[i] != ',' {
				return false
			}
			i = jsonlex.SkipSpace(ln, i+1)
		}
	}
	if jsonlex.SkipSpace(ln, i) != len(ln) {
		return false
	}
	for _, m := range members {
		in.observe(string(m.key), m.val)
	}
	return true
}
