package checkpoint

import (
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/lakehouse-go/lakehouse/internal/protocol"
)

// structCol gives named access to the children of one struct array.
type structCol struct {
	arr    *array.Struct
	fields map[string]arrow.Array
}

func newStructCol(a arrow.Array) (*structCol, bool) {
	s, ok := a.(*array.Struct)
	if !ok {
		return nil, false
	}
	st := s.DataType().(*arrow.StructType)
	c := &structCol{arr: s, fields: make(map[string]arrow.Array, st.NumFields())}
	for i, f := range st.Fields() {
		c.fields[f.Name] = s.Field(i)
	}
	return c, true
}

func (c *structCol) valid(i int) bool { return c.arr.IsValid(i) }

func (c *structCol) str(name string, i int) (string, bool) {
	a, ok := c.fields[name]
	if !ok || a.IsNull(i) {
		return "", false
	}
	switch v := a.(type) {
	case *array.String:
		return v.Value(i), true
	case *array.LargeString:
		return v.Value(i), true
	case *array.Binary:
		return string(v.Value(i)), true
	case *array.StringView:
		return v.Value(i), true
	}
	return "", false
}

func (c *structCol) int(name string, i int) (int64, bool) {
	a, ok := c.fields[name]
	if !ok || a.IsNull(i) {
		return 0, false
	}
	return intValue(a, i)
}

func intValue(a arrow.Array, i int) (int64, bool) {
	switch v := a.(type) {
	case *array.Int64:
		return v.Value(i), true
	case *array.Int32:
		return int64(v.Value(i)), true
	case *array.Int16:
		return int64(v.Value(i)), true
	case *array.Int8:
		return int64(v.Value(i)), true
	case *array.Uint64:
		return int64(v.Value(i)), true
	case *array.Uint32:
		return int64(v.Value(i)), true
	}
	return 0, false
}

func (c *structCol) boolean(name string, i int) (bool, bool) {
	a, ok := c.fields[name]
	if !ok || a.IsNull(i) {
		return false, false
	}
	b, ok := a.(*array.Boolean)
	if !ok {
		return false, false
	}
	return b.Value(i), true
}

func (c *structCol) child(name string) (*structCol, bool) {
	a, ok := c.fields[name]
	if !ok {
		return nil, false
	}
	return newStructCol(a)
}

// stringMap decodes a map<string,string> value. Null values stay nil
// pointers: a null partition value is meaningful.
func (c *structCol) stringMap(name string, i int) (map[string]*string, bool) {
	a, ok := c.fields[name]
	if !ok || a.IsNull(i) {
		return nil, false
	}
	m, ok := a.(*array.Map)
	if !ok {
		return nil, false
	}
	start, end := m.ValueOffsets(i)
	keys, items := m.Keys(), m.Items()
	out := make(map[string]*string, end-start)
	for j := int(start); j < int(end); j++ {
		k := stringAt(keys, j)
		if items.IsNull(j) {
			out[k] = nil
			continue
		}
		v := stringAt(items, j)
		out[k] = &v
	}
	return out, true
}

func (c *structCol) plainMap(name string, i int) map[string]string {
	m, ok := c.stringMap(name, i)
	if !ok {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		if v != nil {
			out[k] = *v
		}
	}
	return out
}

func (c *structCol) stringList(name string, i int) ([]string, bool) {
	a, ok := c.fields[name]
	if !ok || a.IsNull(i) {
		return nil, false
	}
	l, ok := a.(array.ListLike)
	if !ok {
		return nil, false
	}
	start, end := l.ValueOffsets(i)
	out := make([]string, 0, end-start)
	for j := int(start); j < int(end); j++ {
		out = append(out, stringAt(l.ListValues(), j))
	}
	return out, true
}

func stringAt(a arrow.Array, i int) string {
	switch v := a.(type) {
	case *array.String:
		return v.Value(i)
	case *array.LargeString:
		return v.Value(i)
	case *array.StringView:
		return v.Value(i)
	case *array.Binary:
		return string(v.Value(i))
	}
	return ""
}

// DecodeBatch converts one record batch of a checkpoint (or sidecar) into
// actions. Only the action columns present in the batch are decoded.
func DecodeBatch(rec arrow.RecordBatch) ([]protocol.Action, error) {
	cols := map[string]*structCol{}
	for i, f := range rec.Schema().Fields() {
		if sc, ok := newStructCol(rec.Column(i)); ok {
			cols[f.Name] = sc
		}
	}
	n := int(rec.NumRows())
	out := make([]protocol.Action, 0, n)
	for i := 0; i < n; i++ {
		var a protocol.Action
		var err error
		switch {
		case cols["add"] != nil && cols["add"].valid(i):
			a.Add, err = decodeAdd(cols["add"], i)
		case cols["remove"] != nil && cols["remove"].valid(i):
			a.Remove, err = decodeRemove(cols["remove"], i)
		case cols["metaData"] != nil && cols["metaData"].valid(i):
			a.Metadata = decodeMetadata(cols["metaData"], i)
		case cols["protocol"] != nil && cols["protocol"].valid(i):
			a.Protocol = decodeProtocol(cols["protocol"], i)
		case cols["txn"] != nil && cols["txn"].valid(i):
			c := cols["txn"]
			appID, _ := c.str("appId", i)
			v, _ := c.int("version", i)
			a.Txn = &protocol.Txn{AppID: appID, Version: v}
			if lu, ok := c.int("lastUpdated", i); ok {
				a.Txn.LastUpdated = &lu
			}
		case cols["domainMetadata"] != nil && cols["domainMetadata"].valid(i):
			c := cols["domainMetadata"]
			d := &protocol.DomainMetadata{}
			d.Domain, _ = c.str("domain", i)
			d.Configuration, _ = c.str("configuration", i)
			d.Removed, _ = c.boolean("removed", i)
			a.DomainMetadata = d
		case cols["sidecar"] != nil && cols["sidecar"].valid(i):
			c := cols["sidecar"]
			s := &protocol.Sidecar{Tags: c.plainMap("tags", i)}
			s.Path, _ = c.str("path", i)
			s.SizeInBytes, _ = c.int("sizeInBytes", i)
			s.ModificationTime, _ = c.int("modificationTime", i)
			a.Sidecar = s
		case cols["checkpointMetadata"] != nil && cols["checkpointMetadata"].valid(i):
			c := cols["checkpointMetadata"]
			m := &protocol.CheckpointMetadata{Tags: c.plainMap("tags", i)}
			m.Version, _ = c.int("version", i)
			a.CheckpointMetadata = m
		default:
			continue
		}
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, nil
}

func decodeAdd(c *structCol, i int) (*protocol.Add, error) {
	a := &protocol.Add{}
	raw, ok := c.str("path", i)
	if !ok {
		return nil, fmt.Errorf("%w: checkpoint add without path", protocol.ErrMalformed)
	}
	var err error
	if a.Path, err = protocol.DecodePath(raw); err != nil {
		return nil, err
	}
	a.PartitionValues, _ = c.stringMap("partitionValues", i)
	if a.PartitionValues == nil {
		a.PartitionValues = map[string]*string{}
	}
	a.Size, _ = c.int("size", i)
	a.ModificationTime, _ = c.int("modificationTime", i)
	a.DataChange, _ = c.boolean("dataChange", i)
	a.Stats, _ = c.str("stats", i)
	a.Tags = c.plainMap("tags", i)
	a.DeletionVector = decodeDV(c, i)
	if v, ok := c.int("baseRowId", i); ok {
		a.BaseRowID = &v
	}
	if v, ok := c.int("defaultRowCommitVersion", i); ok {
		a.DefaultRowCommitVersion = &v
	}
	a.ClusteringProvider, _ = c.str("clusteringProvider", i)
	if a.Stats == "" {
		if sp, ok := c.child("stats_parsed"); ok && sp.valid(i) {
			a.StatsParsed = decodeParsedStats(sp, i)
		}
	}
	return a, nil
}

func decodeRemove(c *structCol, i int) (*protocol.Remove, error) {
	r := &protocol.Remove{}
	raw, ok := c.str("path", i)
	if !ok {
		return nil, fmt.Errorf("%w: checkpoint remove without path", protocol.ErrMalformed)
	}
	var err error
	if r.Path, err = protocol.DecodePath(raw); err != nil {
		return nil, err
	}
	if v, ok := c.int("deletionTimestamp", i); ok {
		r.DeletionTimestamp = &v
	}
	r.DataChange, _ = c.boolean("dataChange", i)
	if v, ok := c.boolean("extendedFileMetadata", i); ok {
		r.ExtendedFileMetadata = &v
	}
	r.PartitionValues, _ = c.stringMap("partitionValues", i)
	if v, ok := c.int("size", i); ok {
		r.Size = &v
	}
	r.Tags = c.plainMap("tags", i)
	r.DeletionVector = decodeDV(c, i)
	if v, ok := c.int("baseRowId", i); ok {
		r.BaseRowID = &v
	}
	if v, ok := c.int("defaultRowCommitVersion", i); ok {
		r.DefaultRowCommitVersion = &v
	}
	return r, nil
}

func decodeDV(c *structCol, i int) *protocol.DeletionVector {
	dv, ok := c.child("deletionVector")
	if !ok || !dv.valid(i) {
		return nil
	}
	d := &protocol.DeletionVector{}
	d.StorageType, _ = dv.str("storageType", i)
	d.PathOrInlineDv, _ = dv.str("pathOrInlineDv", i)
	if off, ok := dv.int("offset", i); ok {
		o := int32(off)
		d.Offset = &o
	}
	size, _ := dv.int("sizeInBytes", i)
	d.SizeInBytes = int32(size)
	d.Cardinality, _ = dv.int("cardinality", i)
	return d
}

func decodeMetadata(c *structCol, i int) *protocol.Metadata {
	m := &protocol.Metadata{}
	m.ID, _ = c.str("id", i)
	m.Name, _ = c.str("name", i)
	m.Description, _ = c.str("description", i)
	if f, ok := c.child("format"); ok && f.valid(i) {
		m.Format.Provider, _ = f.str("provider", i)
		m.Format.Options = f.plainMap("options", i)
	}
	m.SchemaString, _ = c.str("schemaString", i)
	m.PartitionColumns, _ = c.stringList("partitionColumns", i)
	if m.PartitionColumns == nil {
		m.PartitionColumns = []string{}
	}
	if v, ok := c.int("createdTime", i); ok {
		m.CreatedTime = &v
	}
	m.Configuration = c.plainMap("configuration", i)
	if m.Configuration == nil {
		m.Configuration = map[string]string{}
	}
	return m
}

func decodeProtocol(c *structCol, i int) *protocol.Protocol {
	p := &protocol.Protocol{}
	r, _ := c.int("minReaderVersion", i)
	w, _ := c.int("minWriterVersion", i)
	p.MinReaderVersion, p.MinWriterVersion = int32(r), int32(w)
	p.ReaderFeatures, _ = c.stringList("readerFeatures", i)
	p.WriterFeatures, _ = c.stringList("writerFeatures", i)
	return p
}

// decodeParsedStats turns a stats_parsed struct into the same shape the
// JSON stats decode to, so data skipping has one input form.
func decodeParsedStats(c *structCol, i int) *protocol.Stats {
	s := &protocol.Stats{}
	if n, ok := c.int("numRecords", i); ok {
		s.NumRecords = &n
	}
	if b, ok := c.boolean("tightBounds", i); ok {
		s.TightBounds = &b
	}
	if v, ok := c.fields["minValues"]; ok {
		s.MinValues, _ = jsonFormValue(v, i).(map[string]any)
	}
	if v, ok := c.fields["maxValues"]; ok {
		s.MaxValues, _ = jsonFormValue(v, i).(map[string]any)
	}
	if v, ok := c.fields["nullCount"]; ok {
		s.NullCount, _ = jsonFormValue(v, i).(map[string]any)
	}
	return s
}

// jsonFormValue renders one Arrow value the way it would appear in JSON
// stats: numbers as json.Number, dates and timestamps as Spark's strings.
func jsonFormValue(a arrow.Array, i int) any {
	if a.IsNull(i) {
		return nil
	}
	switch v := a.(type) {
	case *array.Struct:
		st := v.DataType().(*arrow.StructType)
		m := make(map[string]any, st.NumFields())
		for j, f := range st.Fields() {
			if x := jsonFormValue(v.Field(j), i); x != nil {
				m[f.Name] = x
			}
		}
		return m
	case *array.Boolean:
		return v.Value(i)
	case *array.Float32:
		return json.Number(strconv.FormatFloat(float64(v.Value(i)), 'g', -1, 32))
	case *array.Float64:
		return json.Number(strconv.FormatFloat(v.Value(i), 'g', -1, 64))
	case *array.Date32:
		return v.Value(i).ToTime().Format("2006-01-02")
	case *array.Timestamp:
		tt := v.DataType().(*arrow.TimestampType)
		t := v.Value(i).ToTime(tt.Unit).UTC()
		if tt.TimeZone == "" {
			return t.Format("2006-01-02T15:04:05.999999")
		}
		return t.Format(time.RFC3339Nano)
	case *array.Decimal128:
		return json.Number(v.Value(i).ToString(v.DataType().(*arrow.Decimal128Type).Scale))
	case *array.String, *array.LargeString, *array.StringView:
		return stringAt(a, i)
	case *array.Binary:
		return string(v.Value(i))
	}
	if n, ok := intValue(a, i); ok {
		return json.Number(strconv.FormatInt(n, 10))
	}
	return nil
}
