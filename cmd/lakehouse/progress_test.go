package main

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/lakehouse-go/lakehouse/delta"
)

func TestRenderProgress(t *testing.T) {
	tests := []struct {
		p    delta.Progress
		want string
	}{
		{delta.Progress{Operation: "DELETE", Phase: "scan", Done: 12, Total: -1}, "delete scan: 12 files"},
		{delta.Progress{Operation: "MERGE", Phase: "join", Done: 5, Total: 10}, "merge join [#####.....] 5/10 files"},
		{delta.Progress{Operation: "UPDATE", Phase: "rewrite", Done: 10, Total: 10}, "update rewrite [##########] 10/10 files"},
	}
	for _, tc := range tests {
		assert.Equal(t, tc.want, renderProgress(tc.p, 10))
	}
}

func TestProgressOnlyOnTerminal(t *testing.T) {
	var buf bytes.Buffer
	update, finish := newProgress(&env{stderr: &buf})
	assert.Nil(t, update, "no bar when stderr is not a terminal")
	finish()
	assert.Empty(t, buf.String())

	update, finish = newProgress(&env{stderr: &buf, progressTTY: true})
	update(delta.Progress{Operation: "DELETE", Phase: "rewrite", Done: 1, Total: 1})
	finish()
	assert.Contains(t, buf.String(), "delete rewrite")
	assert.True(t, bytes.HasSuffix(buf.Bytes(), []byte("\r\033[K")), "the bar is cleared before the result prints")
}
