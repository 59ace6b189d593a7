package interop

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"sync"
)

// Status is the outcome of one case for one writer→reader pair.
type Status string

// The three outcomes. A case that cannot run is a skip with its reason, never a pass.
const (
	Pass Status = "pass"
	Fail Status = "fail"
	Skip Status = "skip"
)

// Engine names as they appear in results and INTEROP.md.
const (
	Lakehouse = "lakehouse"
	DeltaRS   = "delta-rs"
	Spark     = "spark"
)

// Result is one recorded outcome: case Case on table Scenario written by
// Writer and read (or checked) by Reader.
type Result struct {
	Case     string `json:"case"`     // "2", "3", …
	Scenario string `json:"scenario"` // e.g. "spark_dml_dv"
	Covers   string `json:"covers"`   // what the scenario exercises
	Writer   string `json:"writer"`
	Reader   string `json:"reader"`
	Status   Status `json:"status"`
	Detail   string `json:"detail,omitempty"` // failure (table, version, first differing row) or skip reason
	Checked  int    `json:"checked,omitempty"`
}

// Recorder appends results to a JSON-lines file; safe for concurrent use.
type Recorder struct {
	mu  sync.Mutex
	f   *os.File
	all []Result
}

// NewRecorder truncates path and records into it.
func NewRecorder(path string) (*Recorder, error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("interop: results file: %w", err)
	}
	return &Recorder{f: f}, nil
}

// Record appends r.
func (r *Recorder) Record(res Result) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.all = append(r.all, res)
	b, err := json.Marshal(res)
	if err != nil {
		return fmt.Errorf("interop: encode result: %w", err)
	}
	if _, err := r.f.Write(append(b, '\n')); err != nil {
		return fmt.Errorf("interop: write result: %w", err)
	}
	return nil
}

// Results returns a copy of everything recorded so far.
func (r *Recorder) Results() []Result {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Result(nil), r.all...)
}

// Close closes the results file.
func (r *Recorder) Close() error { return r.f.Close() }

// ReadResults parses a results file written by a Recorder.
func ReadResults(rd io.Reader) ([]Result, error) {
	var out []Result
	sc := bufio.NewScanner(rd)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		if strings.TrimSpace(sc.Text()) == "" {
			continue
		}
		var r Result
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			return nil, fmt.Errorf("interop: results line: %w", err)
		}
		out = append(out, r)
	}
	return out, sc.Err()
}

// Report is what INTEROP.md is rendered from.
type Report struct {
	Versions map[string]string // engine -> version text, e.g. "deltalake 1.6.6, pyarrow 22.0.0"
	Command  string            // the command that regenerates the file
	Runtime  string            // wall time of the run
	Cases    map[string]string // case id -> title
	Method   []string          // how the cases check what they check, one bullet each
	Results  []Result
}

// ErrNoResults is returned when there is nothing to render.
var ErrNoResults = errors.New("interop: no results to render")

var engineOrder = []string{Lakehouse, Spark, DeltaRS}

func engineRank(e string) int {
	for i, x := range engineOrder {
		if x == e {
			return i
		}
	}
	return len(engineOrder)
}

type pair struct{ writer, reader string }

// cell folds every result of one (case, scenario, pair): any fail wins, then
// any pass (a pair with both passes and skips is a pass with a note), else skip.
type cell struct {
	status  Status
	details []string
	checked int
}

// RenderMarkdown renders the results table: rows = cases (one per scenario),
// columns = writer→reader pairs, cells = pass/fail/skip; details below.
func RenderMarkdown(rep Report) (string, error) {
	if len(rep.Results) == 0 {
		return "", ErrNoResults
	}
	type rowKey struct{ cas, scenario string }
	cells := map[rowKey]map[pair]*cell{}
	covers := map[rowKey]string{}
	pairs := map[pair]bool{}
	var rows []rowKey
	for _, r := range rep.Results {
		k := rowKey{r.Case, r.Scenario}
		if cells[k] == nil {
			cells[k] = map[pair]*cell{}
			rows = append(rows, k)
		}
		if r.Covers != "" {
			covers[k] = r.Covers
		}
		p := pair{r.Writer, r.Reader}
		pairs[p] = true
		c := cells[k][p]
		if c == nil {
			c = &cell{status: Skip}
			cells[k][p] = c
		}
		switch {
		case r.Status == Fail:
			c.status = Fail
		case r.Status == Pass && c.status != Fail:
			c.status = Pass
		}
		c.checked += r.Checked
		if r.Detail != "" {
			c.details = append(c.details, string(r.Status)+": "+r.Detail)
		}
	}
	sort.SliceStable(rows, func(i, j int) bool {
		if rows[i].cas != rows[j].cas {
			return rows[i].cas < rows[j].cas
		}
		return rows[i].scenario < rows[j].scenario
	})
	var cols []pair
	for p := range pairs {
		cols = append(cols, p)
	}
	sort.Slice(cols, func(i, j int) bool {
		if a, b := engineRank(cols[i].writer), engineRank(cols[j].writer); a != b {
			return a < b
		}
		return engineRank(cols[i].reader) < engineRank(cols[j].reader)
	})

	var b strings.Builder
	b.WriteString("# Interop results\n\n")
	b.WriteString("Generated by the interop suite (`" + rep.Command + "`); do not edit by hand.\n\n")
	b.WriteString("Peers:\n")
	for _, e := range engineOrder {
		if v, ok := rep.Versions[e]; ok {
			fmt.Fprintf(&b, "- **%s**: %s\n", e, v)
		}
	}
	if rep.Runtime != "" {
		fmt.Fprintf(&b, "\nSuite wall time: %s.\n", rep.Runtime)
	}
	b.WriteString("\nColumns are *writer → reader*. A cell is `pass` only when every checked version agreed; " +
		"`skip` cells could not run (reason below). Numbers in brackets count the comparisons made.\n\n")
	b.WriteString("| case | table | covers |")
	for _, p := range cols {
		fmt.Fprintf(&b, " %s → %s |", p.writer, p.reader)
	}
	b.WriteString("\n|---|---|---|")
	for range cols {
		b.WriteString("---|")
	}
	b.WriteString("\n")
	var notes []string
	for _, k := range rows {
		fmt.Fprintf(&b, "| %s %s | `%s` | %s |", k.cas, rep.Cases[k.cas], k.scenario, escapeCell(covers[k]))
		for _, p := range cols {
			c := cells[k][p]
			if c == nil {
				b.WriteString(" — |")
				continue
			}
			switch c.status {
			case Pass:
				if len(c.details) > 0 {
					fmt.Fprintf(&b, " pass (%d) [%d] |", c.checked, len(notes)+1)
				} else {
					fmt.Fprintf(&b, " pass (%d) |", c.checked)
				}
			case Fail:
				fmt.Fprintf(&b, " **FAIL** [%d] |", len(notes)+1)
			default:
				fmt.Fprintf(&b, " skip [%d] |", len(notes)+1)
			}
			if len(c.details) > 0 {
				notes = append(notes, fmt.Sprintf("%s `%s` %s → %s: %s", k.cas, k.scenario, p.writer, p.reader,
					strings.Join(uniq(c.details), "; ")))
			} else if c.status != Pass {
				notes = append(notes, fmt.Sprintf("%s `%s` %s → %s: (no detail)", k.cas, k.scenario, p.writer, p.reader))
			}
		}
		b.WriteString("\n")
	}
	if len(rep.Method) > 0 {
		b.WriteString("\n## How the cases check\n\n")
		for _, m := range rep.Method {
			b.WriteString("- " + m + "\n")
		}
	}
	if len(notes) > 0 {
		b.WriteString("\n## Failures, skips and notes\n\n")
		for i, n := range notes {
			fmt.Fprintf(&b, "%d. %s\n", i+1, escapeNote(n))
		}
	}
	return b.String(), nil
}

func uniq(in []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range in {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	if len(out) > 5 {
		out = append(out[:5], fmt.Sprintf("… and %d more", len(out)-5))
	}
	return out
}

func escapeCell(s string) string { return strings.ReplaceAll(s, "|", "\\|") }

func escapeNote(s string) string { return strings.ReplaceAll(s, "\n", " ") }
