package checkpoint

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/lakehouse-go/lakehouse/internal/protocol"
	"github.com/lakehouse-go/lakehouse/internal/storage"
)

// LineTooLongError is returned by ReadJSON when one line is longer than the
// caller's limit. The line is never held whole: reading stops at the limit.
type LineTooLongError struct {
	Line  int   // 1-based line number
	Limit int64 // bytes
}

func (e *LineTooLongError) Error() string {
	return fmt.Sprintf("line %d is longer than %d bytes", e.Line, e.Limit)
}

// FooterTooLargeError is returned by CheckFooter when a parquet file
// declares a footer larger than the caller's limit.
type FooterTooLargeError struct {
	Size  int64 // declared footer length
	Limit int64
}

func (e *FooterTooLargeError) Error() string {
	return fmt.Sprintf("parquet footer of %d bytes is larger than %d bytes", e.Size, e.Limit)
}

// ReadJSON decodes newline-delimited JSON actions from r, as ParseJSON
// does, holding at most one line of at most maxLine bytes (0: no limit)
// at a time. A longer line fails with *LineTooLongError before more than
// maxLine bytes of it are buffered, so a hostile commit cannot make the
// reader allocate without bound.
func ReadJSON(r io.Reader, maxLine int64) ([]protocol.Action, error) {
	br := bufio.NewReaderSize(r, 64*1024)
	var out []protocol.Action
	var buf []byte
	for line := 1; ; line++ {
		buf = buf[:0]
		var err error
		for {
			var chunk []byte
			chunk, err = br.ReadSlice('\n')
			if maxLine > 0 && int64(len(buf)+len(chunk)) > maxLine+1 {
				// +1: the newline itself does not count.
				return nil, &LineTooLongError{Line: line, Limit: maxLine}
			}
			buf = appendBounded(buf, chunk, maxLine+1)
			if !errors.Is(err, bufio.ErrBufferFull) {
				break
			}
		}
		if err != nil && err != io.EOF {
			return nil, err
		}
		if len(buf) > 0 {
			if maxLine > 0 && buf[len(buf)-1] != '\n' && int64(len(buf)) > maxLine {
				return nil, &LineTooLongError{Line: line, Limit: maxLine}
			}
			a, perr := protocol.ParseAction(buf)
			if perr != nil {
				return nil, fmt.Errorf("line %d: %w", line, perr)
			}
			out = append(out, a)
		}
		if err == io.EOF {
			return out, nil
		}
	}
}

// CheckFooter reads the 8-byte trailer of a parquet file and fails with
// *FooterTooLargeError when the footer it declares is larger than
// maxFooter (0: no limit), before any parquet reader allocates it. A
// malformed trailer (no PAR1 magic, or a footer longer than the file) is
// corruption, not size, and is left for the parquet reader to report.
func CheckFooter(r storage.ReaderAt, maxFooter int64) error {
	if maxFooter <= 0 || r.Size() < 8 {
		return nil
	}
	var tail [8]byte
	if _, err := r.ReadAt(tail[:], r.Size()-8); err != nil && err != io.EOF {
		return err
	}
	if string(tail[4:]) != "PAR1" {
		return nil
	}
	if n := int64(binary.LittleEndian.Uint32(tail[:4])); n > maxFooter && n <= r.Size()-12 {
		return &FooterTooLargeError{Size: n, Limit: maxFooter}
	}
	return nil
}

// appendBounded appends chunk to buf, doubling its capacity but never past
// ceil (when ceil > 1), so the line buffer of ReadJSON costs at most about
// twice the line limit in allocations however long the line is.
func appendBounded(buf, chunk []byte, ceil int64) []byte {
	need := len(buf) + len(chunk)
	if need > cap(buf) && ceil > 1 {
		c := max(2*cap(buf), 64*1024, need)
		if int64(2*c) > ceil {
			// The next doubling would pass the ceiling: go there now.
			c = max(int(ceil), need)
		}
		grown := make([]byte, len(buf), c)
		copy(grown, buf)
		buf = grown
	}
	return append(buf, chunk...)
}
