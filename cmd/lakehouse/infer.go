package main

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
)

// kind is an inferred column type; merging widens.
type kind int

const (
	kNone kind = iota
	kBool
	kInt
	kFloat
	kDate
	kTimestamp
	kString
	kObject
	kList
)

func (a kind) merge(b kind) kind {
	switch {
	case a == kNone:
		return b
	case b == kNone || a == b:
		return a
	case (a == kInt && b == kFloat) || (a == kFloat && b == kInt):
		return kFloat
	}
	return kString
}

func (a kind) arrowType() arrow.DataType {
	switch a {
	case kBool:
		return arrow.FixedWidthTypes.Boolean
	case kInt:
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

// classifyString infers the type of a CSV cell or JSON string.
func classifyString(s string) kind {
	if dateRe.MatchString(s) {
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

// classifyCell adds numbers and booleans, which JSON types itself.
func classifyCell(s string) kind {
	if _, err := strconv.ParseInt(s, 10, 64); err == nil {
		return kInt
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
	sub   map[string]*inferrer // objects
	elem  map[string]*inferrer // list elements, under key ""
}

func newInferrer() *inferrer {
	return &inferrer{kinds: map[string]kind{}, sub: map[string]*inferrer{}, elem: map[string]*inferrer{}}
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
	case json.Number:
		if _, err := x.Int64(); err == nil {
			kd = kInt
		} else {
			kd = kFloat
		}
	case string:
		kd = classifyString(x)
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
