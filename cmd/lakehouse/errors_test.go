package main

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The CLI's error contract: a failure is one "lakehouse: ..." line on
// stderr (a --where mistake adds the expression and a caret) and nothing
// on stdout; a mistake in the command line exits 2, any other failure 1;
// help goes to stdout and exits 0.

// fixtures are the tables and non-tables the contract tests point at,
// all made in a temporary directory.
type fixtures struct {
	tmp       string
	schema    string // a schema file for create
	table     string // a valid table with columns id and name
	corrupt   string // a _delta_log whose only commit is not JSON
	file      string // a regular file
	parent    string // a directory whose child "t" is a table (with an empty log)
	noCommits string // a _delta_log holding a checksum file but no commit
}

func newFixtures(t *testing.T) *fixtures {
	t.Helper()
	f := &fixtures{tmp: t.TempDir()}
	f.schema = filepath.Join(f.tmp, "schema.json")
	require.NoError(t, os.WriteFile(f.schema, []byte(`{"type":"struct","fields":[{"name":"id","type":"long","nullable":true,"metadata":{}}]}`), 0o644))
	f.table = filepath.Join(f.tmp, "table")
	code, _, stderr := lakehouseIn(t, `{"id":1,"name":"a"}`+"\n", "write", f.table)
	require.Equal(t, 0, code, stderr)
	f.corrupt = filepath.Join(f.tmp, "corrupt")
	require.NoError(t, os.MkdirAll(filepath.Join(f.corrupt, "_delta_log"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(f.corrupt, "_delta_log", "00000000000000000000.json"), []byte("not json\n"), 0o644))
	f.file = filepath.Join(f.tmp, "file.txt")
	require.NoError(t, os.WriteFile(f.file, []byte("x"), 0o644))
	f.parent = filepath.Join(f.tmp, "parent")
	require.NoError(t, os.MkdirAll(filepath.Join(f.parent, "t", "_delta_log"), 0o755))
	f.noCommits = filepath.Join(f.tmp, "nocommits")
	require.NoError(t, os.MkdirAll(filepath.Join(f.noCommits, "_delta_log"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(f.noCommits, "_delta_log", "00000000000000000000.crc"), []byte("{}"), 0o644))
	return f
}

// plainDir makes a fresh directory that exists but holds no table.
func (f *fixtures) plainDir(t *testing.T) string {
	t.Helper()
	d, err := os.MkdirTemp(f.tmp, "plain")
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(d, "notes.txt"), []byte("x"), 0o644))
	return d
}

// cmdSpec is how to call one subcommand correctly.
type cmdSpec struct {
	name    string
	args    func(f *fixtures, table string) []string // a valid call on table
	missing []string                                 // the call without its required argument
	stdin   string
	creates bool // a missing or non-table location is made into a table
}

func specs() []cmdSpec {
	plain := func(name string) cmdSpec {
		return cmdSpec{name: name, args: func(_ *fixtures, tbl string) []string { return []string{name, tbl} }, missing: []string{name}}
	}
	return []cmdSpec{
		plain("cat"),
		plain("describe"),
		plain("history"),
		plain("files"),
		{name: "changes", args: func(_ *fixtures, tbl string) []string { return []string{"changes", "--from", "0", tbl} }, missing: []string{"changes", "--from", "0"}},
		plain("checkpoint"),
		{name: "set-property", args: func(_ *fixtures, tbl string) []string { return []string{"set-property", tbl, "owner=me"} }, missing: []string{"set-property", "owner=me"}},
		{name: "write", args: func(_ *fixtures, tbl string) []string { return []string{"write", tbl} }, missing: []string{"write"}, stdin: `{"id":2}` + "\n", creates: true},
		{name: "create", args: func(f *fixtures, tbl string) []string { return []string{"create", "--schema", f.schema, tbl} }, missing: []string{"create", "--schema", "s.json"}, creates: true},
		{name: "delete", args: func(_ *fixtures, tbl string) []string { return []string{"delete", "--where", "id = 0", tbl} }, missing: []string{"delete", "--where", "id = 0"}},
		plain("purge"),
		{name: "update", args: func(_ *fixtures, tbl string) []string {
			return []string{"update", "--set", "id = id", "--where", "id = 0", tbl}
		}, missing: []string{"update", "--set", "id = id"}},
	}
}

// wantFailure checks one failed run against the contract: the exit code,
// nothing on stdout, and a stderr of exactly wantLines lines whose first
// (and only "lakehouse:") line contains want, with no package prefix
// repeated.
func wantFailure(t *testing.T, code int, stdout, stderr string, wantCode, wantLines int, want string) {
	t.Helper()
	assert.Equal(t, wantCode, code, "exit status; stderr: %q", stderr)
	assert.Empty(t, stdout, "nothing on stdout")
	require.True(t, strings.HasSuffix(stderr, "\n"), "stderr ends in a newline: %q", stderr)
	got := lines(stderr)
	require.Len(t, got, wantLines, "stderr lines: %q", stderr)
	assert.True(t, strings.HasPrefix(got[0], "lakehouse: "), "prefix: %q", got[0])
	assert.Equal(t, 1, strings.Count(stderr, "lakehouse:"), "one lakehouse: line: %q", stderr)
	assert.Contains(t, got[0], want)
	assertNoRepeatedPrefix(t, got[0])
}

// packagePrefix matches "name: " where name could be a package prefix.
var packagePrefix = regexp.MustCompile(`\b(lakehouse|delta|expr|protocol|storage|logreplay|checkpoint): `)

func assertNoRepeatedPrefix(t *testing.T, line string) {
	t.Helper()
	seen := map[string]bool{}
	for _, m := range packagePrefix.FindAllStringSubmatch(line, -1) {
		assert.False(t, seen[m[1]], "prefix %q repeated in %q", m[1], line)
		seen[m[1]] = true
	}
}

func TestContractPerCommand(t *testing.T) {
	f := newFixtures(t)
	for _, s := range specs() {
		t.Run(s.name, func(t *testing.T) {
			t.Run("help", func(t *testing.T) {
				var first string
				for _, args := range [][]string{{s.name, "--help"}, {s.name, "-h"}, {"help", s.name}, {s.name, "-h", "--bogus-after-help"}} {
					code, out, stderr := lakehouseIn(t, "", args...)
					assert.Equal(t, 0, code, args)
					assert.Empty(t, stderr, args)
					assert.True(t, strings.HasPrefix(out, "usage: lakehouse "+s.name+" "), "%v: %q", args, out)
					if first == "" {
						first = out
					}
					assert.Equal(t, first, out, "%v prints the same help", args)
				}
			})
			t.Run("bad flag", func(t *testing.T) {
				args := append([]string{s.name, "--bogus"}, s.args(f, f.table)[1:]...)
				code, out, stderr := lakehouseIn(t, s.stdin, args...)
				wantFailure(t, code, out, stderr, 2, 1, "")
				assert.Equal(t, "lakehouse: "+s.name+": flag provided but not defined: -bogus (run 'lakehouse help "+s.name+"' for usage)\n", stderr)
			})
			t.Run("bad flag value", func(t *testing.T) {
				args := append([]string{s.name}, s.args(f, f.table)[1:]...)
				args = append(args, "--format")
				code, out, stderr := lakehouseIn(t, s.stdin, args...)
				wantFailure(t, code, out, stderr, 2, 1, "lakehouse: "+s.name+": flag ")
			})
			t.Run("missing argument", func(t *testing.T) {
				code, out, stderr := lakehouseIn(t, s.stdin, s.missing...)
				wantFailure(t, code, out, stderr, 2, 1, "lakehouse: "+s.name+": ")
				assert.Contains(t, stderr, "(run 'lakehouse help "+s.name+"' for usage)")
			})
			t.Run("too many arguments", func(t *testing.T) {
				if s.name == "set-property" {
					return // every argument after TABLE is a property
				}
				args := append(s.args(f, f.table), "extra")
				code, out, stderr := lakehouseIn(t, s.stdin, args...)
				wantFailure(t, code, out, stderr, 2, 1, "lakehouse: "+s.name+": expected one TABLE argument, got 2: ")
			})
			t.Run("nonexistent path", func(t *testing.T) {
				missing := filepath.Join(f.tmp, "missing-"+s.name)
				code, out, stderr := lakehouseIn(t, s.stdin, s.args(f, missing)...)
				if s.creates {
					assert.Equal(t, 0, code, stderr)
					assert.Empty(t, stderr)
					assert.DirExists(t, filepath.Join(missing, "_delta_log"))
					return
				}
				wantFailure(t, code, out, stderr, 1, 1, "lakehouse: no such directory: "+missing+" (check the path;")
			})
			t.Run("not a table", func(t *testing.T) {
				dir := f.plainDir(t)
				code, out, stderr := lakehouseIn(t, s.stdin, s.args(f, dir)...)
				if s.creates {
					assert.Equal(t, 0, code, stderr)
					assert.DirExists(t, filepath.Join(dir, "_delta_log"))
					return
				}
				wantFailure(t, code, out, stderr, 1, 1, "lakehouse: "+dir+" is not a Delta table (no _delta_log): give the directory that holds _delta_log")
			})
			t.Run("table one level down", func(t *testing.T) {
				if s.creates {
					return // the parent directory would become a table
				}
				code, out, stderr := lakehouseIn(t, s.stdin, s.args(f, f.parent)...)
				wantFailure(t, code, out, stderr, 1, 1, "is not a Delta table (no _delta_log): did you mean "+filepath.Join(f.parent, "t")+"?")
			})
			t.Run("file", func(t *testing.T) {
				code, out, stderr := lakehouseIn(t, s.stdin, s.args(f, f.file)...)
				wantFailure(t, code, out, stderr, 1, 1, "lakehouse: "+f.file+" is a file, not a Delta table")
			})
			t.Run("corrupt table", func(t *testing.T) {
				code, out, stderr := lakehouseIn(t, s.stdin, s.args(f, f.corrupt)...)
				wantFailure(t, code, out, stderr, 1, 1, "corrupt transaction log")
				assert.Contains(t, stderr, "restore the damaged _delta_log files")
			})
		})
	}
}

func TestContractTopLevel(t *testing.T) {
	f := newFixtures(t)
	var usageText bytes.Buffer
	usage(&usageText)
	for _, args := range [][]string{{"help"}, {"--help"}, {"-h"}} {
		code, out, stderr := lakehouse(t, args...)
		assert.Equal(t, 0, code, args)
		assert.Empty(t, stderr, args)
		assert.Equal(t, usageText.String(), out, args)
	}
	for _, s := range specs() {
		assert.Contains(t, usageText.String(), "\n  "+s.name+" ", "help lists %s", s.name)
	}

	tests := []struct {
		name  string
		args  []string
		code  int
		lines int
		want  string // the whole stderr when exact, else a substring of its first line
		exact bool
	}{
		{name: "no command", args: nil, code: 2, lines: 1, exact: true,
			want: "lakehouse: no command given; run 'lakehouse help' for the list\n"},
		{name: "unknown command", args: []string{"frobnicate", "x"}, code: 2, lines: 1, exact: true,
			want: "lakehouse: unknown command \"frobnicate\"; run 'lakehouse help' for the list\n"},
		{name: "misspelt command", args: []string{"hsitory", "x"}, code: 2, lines: 1, exact: true,
			want: "lakehouse: unknown command \"hsitory\"; did you mean \"history\"? run 'lakehouse help' for the list\n"},
		{name: "help for an unknown command", args: []string{"help", "frobnicate"}, code: 2, lines: 1, want: "unknown command \"frobnicate\""},
		{name: "help with two commands", args: []string{"help", "cat", "ls"}, code: 2, lines: 1, want: "help takes at most one COMMAND"},
		{name: "empty table argument", args: []string{"cat", ""}, code: 2, lines: 1, want: "lakehouse: cat: TABLE is empty"},
		{name: "bad format", args: []string{"cat", "--format", "xml", f.table}, code: 2, lines: 1, exact: true,
			want: "lakehouse: cat: --format \"xml\": use jsonl, csv or table (run 'lakehouse help cat' for usage)\n"},
		{name: "bad describe format", args: []string{"describe", "--format", "yaml", f.table}, code: 2, lines: 1, want: "lakehouse: describe: --format \"yaml\": use json or text"},
		{name: "bad flag value", args: []string{"cat", "--version", "x", f.table}, code: 2, lines: 1, exact: true,
			want: "lakehouse: cat: invalid value \"x\" for flag -version: parse error (run 'lakehouse help cat' for usage)\n"},
		{name: "version and timestamp", args: []string{"cat", "--version", "0", "--timestamp", "2024-01-01", f.table}, code: 2, lines: 1, want: "lakehouse: cat: --version and --timestamp are mutually exclusive"},
		{name: "bad timestamp", args: []string{"describe", "--timestamp", "yesterday", f.table}, code: 2, lines: 1, want: "lakehouse: describe: --timestamp \"yesterday\" is not an RFC 3339 time"},
		{name: "bad write mode", args: []string{"write", "--mode", "upsert", f.table}, code: 2, lines: 1, want: "lakehouse: write: --mode \"upsert\": use append or overwrite"},
		{name: "bad property", args: []string{"set-property", f.table, "owner"}, code: 2, lines: 1, want: "lakehouse: set-property: property \"owner\": want key=value"},
		{name: "missing schema flag", args: []string{"create", filepath.Join(f.tmp, "new")}, code: 2, lines: 1, want: "lakehouse: create: missing --schema FILE"},
		{name: "where syntax error", args: []string{"cat", "--where", "id >", f.table}, code: 2, lines: 3, exact: true,
			want: "lakehouse: cat: --where: syntax error at column 5: unexpected end of input, expected an expression\n  id >\n      ^\n"},
		{name: "where syntax error mid-expression", args: []string{"cat", "--where", "name = 'é' AND AND id = 1", f.table}, code: 2, lines: 3, exact: true,
			want: "lakehouse: cat: --where: syntax error at column 16: unexpected keyword AND, expected an expression\n  name = 'é' AND AND id = 1\n                 ^\n"},
		{name: "where syntax error on a later line", args: []string{"cat", "--where", "id = 1\nOR )", f.table}, code: 2, lines: 3, exact: true,
			want: "lakehouse: cat: --where: syntax error at column 4: unexpected \")\", expected an expression\n  OR )\n     ^\n"},
		{name: "replace-where syntax error", args: []string{"write", "--mode", "overwrite", "--replace-where", "id IN (1,", f.table}, code: 2, lines: 3, exact: true,
			want: "lakehouse: write: --replace-where: syntax error at column 10: unexpected end of input, expected an expression\n  id IN (1,\n           ^\n"},
		{name: "where unknown column", args: []string{"cat", "--where", "id = 1 AND colour = 'red'", f.table}, code: 1, lines: 3, exact: true,
			want: "lakehouse: --where: unknown column: cannot resolve colour\n  id = 1 AND colour = 'red'\n             ^\n"},
		{name: "version not found", args: []string{"cat", "--version", "7", f.table}, code: 1, lines: 1,
			want: "version not found: version 7 requested, latest is 0 (run 'lakehouse history TABLE' to see the versions that exist)"},
		{name: "empty log", args: []string{"history", filepath.Join(f.parent, "t")}, code: 1, lines: 1, exact: true,
			want: "lakehouse: " + filepath.Join(f.parent, "t") + " is not a Delta table: its _delta_log is empty (a table starts with _delta_log/00000000000000000000.json)\n"},
		{name: "log without commits", args: []string{"history", f.noCommits}, code: 1, lines: 1,
			want: "lakehouse: delta: " + f.noCommits + ": not a Delta table: _delta_log holds no commits (a Delta table needs at least one commit"},
		{name: "unknown column", args: []string{"cat", "--columns", "nope", f.table}, code: 1, lines: 1, want: "no column \"nope\" in the table"},
		{name: "schema file missing", args: []string{"create", "--schema", filepath.Join(f.tmp, "nope.json"), filepath.Join(f.tmp, "new")}, code: 1, lines: 1, want: "lakehouse: --schema: open "},
		{name: "write nothing to a new table", args: []string{"write", filepath.Join(f.tmp, "new")}, code: 1, lines: 1,
			want: "no rows on stdin to create " + filepath.Join(f.tmp, "new") + " from: pipe rows in (--format jsonl), or make an empty table with 'lakehouse create'"},
		{name: "object store URL", args: []string{"cat", "s3:///no-bucket"}, code: 1, lines: 1, want: "storage: invalid URL: \"s3:///no-bucket\""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, out, stderr := lakehouse(t, tc.args...)
			if tc.exact {
				wantFailure(t, code, out, stderr, tc.code, tc.lines, "")
				assert.Equal(t, tc.want, stderr)
				return
			}
			wantFailure(t, code, out, stderr, tc.code, tc.lines, tc.want)
		})
	}
}

func TestCaret(t *testing.T) {
	tests := []struct {
		text string
		pos  int
		want string
		col  int
	}{
		{"a >", 3, "  a >\n     ^", 4},
		{"a > b", 0, "  a > b\n  ^", 1},
		{"x = 'é' AND", 8, "  x = 'é' AND\n         ^", 8},
		{"a\tb ?", 4, "  a\tb ?\n   \t  ^", 5},
		{"a = 1\nAND ?", 10, "  AND ?\n      ^", 5},
		{"short", 99, "  short\n       ^", 6},
		{"short", -1, "  short\n  ^", 1},
	}
	for _, tc := range tests {
		t.Run(tc.text, func(t *testing.T) {
			assert.Equal(t, tc.want, caret(tc.text, tc.pos))
			assert.Equal(t, tc.col, column(tc.text, tc.pos))
		})
	}
}

func TestReportExitStatus(t *testing.T) {
	tests := []struct {
		name string
		err  error
		code int
		out  string
	}{
		{"success", nil, 0, ""},
		{"usage", usagef("missing TABLE argument"), 2, "lakehouse: cat: missing TABLE argument (run 'lakehouse help cat' for usage)\n"},
		{"runtime", os.ErrPermission, 1, "lakehouse: permission denied\n"},
		{"multi-line cause", &cliError{msg: "a\n  b"}, 1, "lakehouse: a b\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var b bytes.Buffer
			assert.Equal(t, tc.code, report(&b, "cat", tc.err))
			assert.Equal(t, tc.out, b.String())
		})
	}
}

func TestLocalPath(t *testing.T) {
	tests := []struct {
		in    string
		want  string
		local bool
	}{
		{"tables/t", "tables/t", true},
		{"/abs/t", "/abs/t", true},
		{"file:///abs/t", filepath.FromSlash("/abs/t"), true},
		{"s3://bucket/t", "", false},
		{"mem://t", "", false},
	}
	for _, tc := range tests {
		got, local := localPath(tc.in)
		assert.Equal(t, tc.local, local, tc.in)
		assert.Equal(t, tc.want, got, tc.in)
	}
}
