package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync/atomic"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// jsonlReader decodes JSON lines into batches as they are asked for. Each
// line is one object; a line that is not a complete object, or that has a
// key the schema lacks, stops the reader with an error naming the line.
type jsonlReader struct {
	refs   atomic.Int64
	src    *bufio.Reader
	schema *arrow.Schema
	// names are the schema's column names; inferred marks a schema
	// inferred from the first sampled records (which changes the advice
	// when a later record has a new key).
	names    map[string]bool
	inferred int
	// quote holds the string columns whose unquoted numbers and booleans
	// are quoted before decoding (the string builder refuses them).
	quote    map[string]bool
	pinned   bool     // the schema came from --schema
	pending  [][]byte // sampled lines not yet decoded
	pendLine []int    // their line numbers
	line     int      // number of the last line read from src
	eof      bool
	cur      arrow.RecordBatch
	err      error
	mem      memory.Allocator
	dec      *decoders // started by the first Next
	// chunkBytes is the size of the last chunk read, to size the next.
	chunkBytes int
}

// readJSONL starts reading JSON lines from r. With no schema it reads a
// sample of records first and infers the schema from them; pinned says
// the schema is the user's --schema rather than the table's.
func readJSONL(r io.Reader, schema *arrow.Schema, pinned bool, mem memory.Allocator) (array.RecordReader, error) {
	jr := &jsonlReader{src: bufio.NewReaderSize(r, 1<<20), pinned: pinned}
	if schema == nil {
		inf := newInferrer()
		size := 0
		for len(jr.pending) < inferSampleRows && size < inferSampleBytes {
			ln, err := jr.nextLine()
			if err != nil {
				return nil, err
			}
			if ln == nil {
				break
			}
			if !inf.observeFlat(ln) {
				if err := validObject(ln); err != nil {
					return nil, fmt.Errorf("jsonl input, line %d: %w", jr.line, err)
				}
				dec := json.NewDecoder(bytes.NewReader(ln))
				dec.UseNumber()
				row, err := decodeOrdered(dec)
				if err != nil {
					return nil, fmt.Errorf("jsonl input, line %d: %w", jr.line, err)
				}
				inf.observeObject(row.(*orderedObject))
			}
			jr.pending = append(jr.pending, ln)
			jr.pendLine = append(jr.pendLine, jr.line)
			size += len(ln)
		}
		if len(jr.pending) == 0 {
			return nil, errNoInput
		}
		if len(inf.order) == 0 {
			return nil, fmt.Errorf("jsonl input has no fields to infer a schema from")
		}
		schema = arrow.NewSchema(inf.fields(), nil)
		jr.inferred = len(jr.pending)
		jr.quote = inf.quoted()
	}
	jr.schema = schema
	jr.names = make(map[string]bool, schema.NumFields())
	for _, f := range schema.Fields() {
		jr.names[f.Name] = true
	}
	jr.mem = mem
	jr.refs.Store(1)
	return jr, nil
}

// nextLine returns the next line that is not blank, or nil at the end.
func (jr *jsonlReader) nextLine() ([]byte, error) {
	ln, ok, err := jr.appendLine(nil)
	if !ok {
		return nil, err
	}
	return ln, nil
}

// appendLine appends the next line that is not blank to dst; ok is false
// at the end of the input. Reading into one buffer per chunk, rather than
// a new slice per line, keeps the collector out of the way.
func (jr *jsonlReader) appendLine(dst []byte) (out []byte, ok bool, err error) {
	for !jr.eof {
		start := len(dst)
		for {
			frag, err := jr.src.ReadSlice('\n')
			dst = append(dst, frag...)
			if err == bufio.ErrBufferFull {
				continue // a line longer than the buffer
			}
			if err == io.EOF {
				jr.eof = true
			} else if err != nil {
				return dst[:start], false, fmt.Errorf("jsonl input, after line %d: %w", jr.line, err)
			}
			break
		}
		if len(dst) == start {
			break
		}
		jr.line++
		if len(bytes.TrimSpace(dst[start:])) > 0 {
			return dst, true, nil
		}
		dst = dst[:start]
	}
	return dst, false, nil
}

// validObject checks that ln is exactly one complete JSON object: a line
// cut off mid-record fails here.
func validObject(ln []byte) error {
	t := bytes.TrimSpace(ln)
	if len(t) == 0 || t[0] != '{' {
		return fmt.Errorf("not a JSON object")
	}
	if !json.Valid(t) {
		// Unmarshal says where and why (e.g. "unexpected end of JSON input").
		var v any
		if err := json.Unmarshal(t, &v); err != nil {
			return err
		}
		return fmt.Errorf("not valid JSON")
	}
	return nil
}

// checkKeys refuses keys the schema lacks: the builder would drop them.
// The common case (every key a column) costs one pass over the bytes;
// anything else is parsed in full for a precise error. ln is valid JSON.
func (jr *jsonlReader) checkKeys(ln []byte, line int) error {
	if topKeysKnown(ln, jr.names) {
		return nil
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(ln, &top); err != nil {
		return fmt.Errorf("jsonl input, line %d: %w", line, err)
	}
	var unknown []string
	for k := range top {
		if !jr.names[k] {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) == 0 {
		return nil // keys with escapes, which the scan leaves to Unmarshal
	}
	sort.Strings(unknown)
	for _, k := range unknown {
		for n := range jr.names {
			if strings.EqualFold(n, k) {
				return fmt.Errorf("jsonl input, line %d: key %q differs from column %q only in case; keys must match column names exactly", line, k, n)
			}
		}
	}
	if jr.inferred > 0 {
		return fmt.Errorf("jsonl input, line %d: key %s is not in the first %d records the schema was inferred from; put a record with it among them",
			line, strings.Join(unknown, ", "), jr.inferred)
	}
	if jr.pinned {
		return fmt.Errorf("jsonl input, line %d: key %s is not in --schema", line, strings.Join(unknown, ", "))
	}
	return fmt.Errorf("jsonl input, line %d: input has columns the table lacks: %s (add --merge-schema to add them)", line, strings.Join(unknown, ", "))
}

// topKeysKnown scans one JSON object and reports whether it is complete,
// followed by nothing but white space, and every top-level key (without
// escapes) is in names. It does not validate values: the decoder does.
// False means "look closer", not "invalid".
func topKeysKnown(ln []byte, names map[string]bool) bool {
	depth := 0
	for i := 0; i < len(ln); i++ {
		switch c := ln[i]; c {
		case '"':
			j := i + 1
			escaped := false
			for ; j < len(ln) && ln[j] != '"'; j++ {
				if ln[j] == '\\' {
					escaped = true
					j++
				}
			}
			if j >= len(ln) {
				return false // unterminated string
			}
			if depth == 1 {
				// A top-level string followed by ':' is a key.
				k := j + 1
				for k < len(ln) && (ln[k] == ' ' || ln[k] == '\t') {
					k++
				}
				if k < len(ln) && ln[k] == ':' && (escaped || !names[string(ln[i+1:j])]) {
					return false
				}
			}
			i = j
		case '{', '[':
			depth++
		case '}', ']':
			depth--
			if depth == 0 {
				return len(bytes.TrimSpace(ln[i+1:])) == 0
			}
		}
	}
	return false // cut off before the object closed
}

// decodeLineInto appends the row of one line to a builder. It only reads
// the reader's schema, names and quote maps, so workers share them.
func (jr *jsonlReader) decodeLineInto(b *array.RecordBuilder, ln []byte, line int) error {
	// The line must be valid JSON before the builder sees it: the builder
	// panics on some malformed input and ignores anything after the
	// object.
	if err := validObject(ln); err != nil {
		return fmt.Errorf("jsonl input, line %d: %w", line, err)
	}
	if err := jr.checkKeys(ln, line); err != nil {
		return err
	}
	if len(jr.quote) > 0 {
		var err error
		if ln, err = quoteBare(ln, jr.quote); err != nil {
			return fmt.Errorf("jsonl input, line %d: %w", line, err)
		}
	}
	if err := b.UnmarshalJSON(ln); err != nil {
		return fmt.Errorf("jsonl input, line %d: %w", line, err)
	}
	return nil
}

// Next returns the next decoded batch of up to inputBatchRows lines.
func (jr *jsonlReader) Next() bool {
	if jr.cur != nil {
		jr.cur.Release()
		jr.cur = nil
	}
	if jr.err != nil {
		return false
	}
	if jr.dec == nil {
		jr.startDecoders(jr.mem)
	}
	c, ok := <-jr.dec.order
	if !ok {
		return false
	}
	<-c.done
	if c.err != nil {
		jr.err = c.err
		jr.stopDecoders()
		return false
	}
	jr.cur = c.rec
	return true
}

func (jr *jsonlReader) Schema() *arrow.Schema          { return jr.schema }
func (jr *jsonlReader) RecordBatch() arrow.RecordBatch { return jr.cur }

// Record is RecordBatch, for the deprecated name in array.RecordReader.
func (jr *jsonlReader) Record() arrow.RecordBatch { return jr.cur }
func (jr *jsonlReader) Err() error                { return jr.err }
func (jr *jsonlReader) Retain()                   { jr.refs.Add(1) }

func (jr *jsonlReader) Release() {
	if jr.refs.Add(-1) != 0 {
		return
	}
	jr.stopDecoders()
	if jr.cur != nil {
		jr.cur.Release()
		jr.cur = nil
	}
	jr.pending = nil
}

// quoteBare rewrites the values of keys in quote that are numbers or
// booleans as JSON strings of their text, so 7 in a string column reads
// as "7". Only lines that need it are re-encoded.
func quoteBare(ln []byte, quote map[string]bool) ([]byte, error) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(ln, &top); err != nil {
		return nil, err
	}
	changed := false
	for k, v := range top {
		if !quote[k] || len(v) == 0 || v[0] == '"' || v[0] == 'n' || v[0] == '{' || v[0] == '[' {
			continue
		}
		q, err := json.Marshal(string(v))
		if err != nil {
			return nil, err
		}
		top[k] = q
		changed = true
	}
	if !changed {
		return ln, nil
	}
	return json.Marshal(top)
}
