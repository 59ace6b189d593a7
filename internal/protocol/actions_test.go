package protocol

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseAction(t *testing.T) {
	tests := []struct {
		name  string
		line  string
		check func(t *testing.T, a Action)
		err   error
	}{
		{
			name: "add with escaped path, null partition and DV",
			line: `{"add":{"path":"letter=a%20b/part-0.parquet","partitionValues":{"letter":"a b","n":null},"size":10,"modificationTime":5,"dataChange":true,"stats":"{\"numRecords\":3}","deletionVector":{"storageType":"u","pathOrInlineDv":"ab^-aqEH.-t@S}K{vb[*k^","offset":4,"sizeInBytes":40,"cardinality":2}}}`,
			check: func(t *testing.T, a Action) {
				require.NotNil(t, a.Add)
				assert.Equal(t, "letter=a b/part-0.parquet", a.Add.Path)
				require.Contains(t, a.Add.PartitionValues, "n")
				assert.Nil(t, a.Add.PartitionValues["n"])
				assert.Equal(t, "a b", *a.Add.PartitionValues["letter"])
				assert.Equal(t, FileKey{Path: "letter=a b/part-0.parquet", DV: "uab^-aqEH.-t@S}K{vb[*k^@4"}, a.Add.Key())
			},
		},
		{
			name: "remove keyed like an absolute add",
			line: `{"remove":{"path":"file:/tmp/t/x.parquet","dataChange":true,"deletionTimestamp":7}}`,
			check: func(t *testing.T, a Action) {
				require.NotNil(t, a.Remove)
				assert.Equal(t, FileKey{Path: "file:///tmp/t/x.parquet"}, a.Remove.Key())
				assert.Equal(t, (&Add{Path: "/tmp/t/x.parquet"}).Key(), a.Remove.Key())
			},
		},
		{
			name: "protocol with features",
			line: `{"protocol":{"minReaderVersion":3,"minWriterVersion":7,"readerFeatures":["deletionVectors"],"writerFeatures":["deletionVectors"]}}`,
			check: func(t *testing.T, a Action) {
				require.NotNil(t, a.Protocol)
				assert.Equal(t, int32(3), a.Protocol.MinReaderVersion)
				assert.Equal(t, []string{"deletionVectors"}, a.Protocol.ReaderFeatures)
			},
		},
		{
			name: "commitInfo keeps every field and in-commit timestamp",
			line: `{"commitInfo":{"timestamp":1700000000123,"inCommitTimestamp":1700000000456,"operation":"WRITE","operationParameters":{"mode":"Append"},"isBlindAppend":true}}`,
			check: func(t *testing.T, a Action) {
				ts, ok := a.CommitInfo.InCommitTimestamp()
				require.True(t, ok)
				assert.Equal(t, int64(1700000000456), ts.UnixMilli())
				assert.Equal(t, "WRITE", a.CommitInfo.Operation())
				assert.Equal(t, true, a.CommitInfo["isBlindAppend"])
			},
		},
		{
			name:  "unknown action is ignored",
			line:  `{"futureAction":{"x":1}}`,
			check: func(t *testing.T, a Action) { assert.Equal(t, Action{}, a) },
		},
		{name: "add without path", line: `{"add":{"size":1}}`, err: ErrMalformed},
		{name: "not json", line: `{"add":`, err: ErrMalformed},
		{name: "bad escape in path", line: `{"add":{"path":"a%zz"}}`, err: ErrMalformed},
		{name: "blank line", line: "  ", check: func(t *testing.T, a Action) { assert.Equal(t, Action{}, a) }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a, err := ParseAction([]byte(tc.line))
			if tc.err != nil {
				require.Error(t, err)
				assert.True(t, errors.Is(err, tc.err), "got %v", err)
				return
			}
			require.NoError(t, err)
			tc.check(t, a)
		})
	}
}

func TestMarshalLineRoundTrip(t *testing.T) {
	v := "x&y<z>"
	in := Action{Add: &Add{Path: "p=1/f.parquet", PartitionValues: map[string]*string{"p": &v}, Size: 3, DataChange: true}}
	line, err := in.MarshalLine()
	require.NoError(t, err)
	assert.Contains(t, string(line), `"x&y<z>"`, "no HTML escaping in the log")
	out, err := ParseAction(line)
	require.NoError(t, err)
	assert.Equal(t, in.Add.Path, out.Add.Path)
	assert.Equal(t, v, *out.Add.PartitionValues["p"])
}

func FuzzParseAction(f *testing.F) {
	for _, seed := range []string{
		`{"add":{"path":"a","partitionValues":{},"size":1,"modificationTime":1,"dataChange":true}}`,
		`{"remove":{"path":"a","deletionTimestamp":1,"dataChange":true}}`,
		`{"metaData":{"id":"x","format":{"provider":"parquet","options":{}},"schemaString":"{\"type\":\"struct\",\"fields\":[]}","partitionColumns":[],"configuration":{}}}`,
		`{"protocol":{"minReaderVersion":1,"minWriterVersion":2}}`,
		`{"txn":{"appId":"a","version":3}}`,
		`{"commitInfo":{"timestamp":1}}`,
		`{"domainMetadata":{"domain":"d","configuration":"{}","removed":false}}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		a, err := ParseAction(line)
		if err != nil {
			require.ErrorIs(t, err, ErrMalformed)
			return
		}
		// Whatever parses must encode as a commit writes it (paths
		// URI-encoded, then MarshalLine) and parse back to the same
		// action: parse → serialize → parse is the identity.
		out, err := encodedForLog(a).MarshalLine()
		require.NoError(t, err)
		require.NotContains(t, string(out), "\n", "one line")
		b, err := ParseAction(out)
		require.NoError(t, err, "re-parse of %s", out)
		require.Equal(t, normalAction(a), normalAction(b), "round trip through %s", out)
		if a.Add != nil {
			require.Equal(t, a.Add.Key(), b.Add.Key())
		}
	})
}

// normalAction maps spellings of one action that JSON cannot tell apart
// to one: an empty commitInfo object is dropped by omitempty.
func normalAction(a Action) Action {
	if len(a.CommitInfo) == 0 {
		a.CommitInfo = nil
	}
	return a
}

// encodedForLog is a with its file paths in log (URI) form, as the commit
// writer stores them.
func encodedForLog(a Action) Action {
	switch {
	case a.Add != nil:
		c := *a.Add
		c.Path = EncodePath(c.Path)
		a.Add = &c
	case a.Remove != nil:
		c := *a.Remove
		c.Path = EncodePath(c.Path)
		a.Remove = &c
	case a.CDC != nil:
		c := *a.CDC
		c.Path = EncodePath(c.Path)
		a.CDC = &c
	}
	return a
}

func TestStatsNumRecords(t *testing.T) {
	tests := []struct {
		in   string
		want int64
		ok   bool
	}{
		{`{"numRecords":42,"minValues":{"a":1}}`, 42, true},
		{`{"minValues":{"numRecords":7},"numRecords": 3}`, 3, true},
		{`{"minValues":{"s":"\"numRecords\":9"},"numRecords":5}`, 5, true},
		{`{"minValues":{"a":1}}`, 0, false},
		{``, 0, false},
		{`{"numRecords":`, 0, false},
	}
	for _, tc := range tests {
		n, ok := StatsNumRecords(tc.in)
		assert.Equal(t, tc.ok, ok, tc.in)
		assert.Equal(t, tc.want, n, tc.in)
	}
}

func FuzzStatsNumRecords(f *testing.F) {
	f.Add(`{"numRecords":42,"minValues":{"a":1}}`)
	f.Fuzz(func(t *testing.T, s string) {
		n, ok := StatsNumRecords(s)
		st, err := ParseStats(s)
		if err == nil && st != nil && st.NumRecords != nil && ok {
			require.Equal(t, *st.NumRecords, n)
		}
	})
}
