package stream_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lakehouse-go/lakehouse/stream"
)

// The crash test re-runs this test binary as a child that runs a query
// until it is killed; see TestSIGKILLExactlyOnce.
const crashChildEnv = "STREAM_CRASH_CHILD"

func TestMain(m *testing.M) {
	if mode := os.Getenv(crashChildEnv); mode != "" {
		os.Exit(crashChild(mode, os.Getenv("STREAM_CRASH_DIR"), os.Getenv("STREAM_CRASH_TRIGGER")))
	}
	os.Exit(m.Run())
}

// crashPipeline is the query both the child and the test describe.
func crashPipeline(mode, dir string) *stream.Pipeline {
	if mode == "kafka" {
		return stream.From(stream.NewKafkaSource(&stream.KafkaSourceOptions{
			Brokers: strings.Split(os.Getenv("STREAM_CRASH_BROKERS"), ","), Topics: []string{"ev"},
			StartingOffsets: "earliest", MaxOffsetsPerTrigger: 4,
			ValueSchema: arrow.NewSchema([]arrow.Field{{Name: "id", Type: arrow.PrimitiveTypes.Int64}}, nil),
		})).Select("id")
	}
	if mode == "files" {
		return stream.From(stream.NewFilesSource(filepath.Join(dir, "in"), &stream.FilesSourceOptions{Format: "json", MaxFilesPerTrigger: 1, SchemaHints: "id bigint"})).Select("id")
	}
	return stream.From(stream.NewDeltaSource(filepath.Join(dir, "src"), &stream.DeltaSourceOptions{MaxFilesPerTrigger: 1})).Select("id")
}

func crashChild(mode, dir, trigger string) int {
	trig := stream.ProcessingTime(0)
	if trigger == "drain" {
		trig = stream.AvailableNow()
	}
	sink := stream.NewDeltaSink(filepath.Join(dir, "out"), nil)
	defer sink.Close()
	q, err := crashPipeline(mode, dir).Start(context.Background(), sink, &stream.Options{
		Checkpoint: filepath.Join(dir, "ck"), Trigger: trig, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err == nil {
		err = q.AwaitTermination(context.Background())
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

// A child process runs a streaming query and is killed with SIGKILL at
// random moments (before, during and after the sink's commit and the
// checkpoint's writes) while input keeps arriving; it is restarted each
// time. In the end the sink table must hold every input row exactly once.
func TestSIGKILLExactlyOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("short mode: the kill loop starts 100 processes")
	}
	exe, err := os.Executable()
	require.NoError(t, err)
	for _, mode := range []string{"files", "delta", "kafka"} {
		t.Run(mode, func(t *testing.T) {
			dir := t.TempDir()
			var brokers []string
			if mode == "kafka" {
				// The broker lives in this process and outlives the
				// killed children, as a real one would.
				brokers = fakeKafka(t, map[string]int32{"ev": 3})
			}
			rng := rand.New(rand.NewPCG(1, uint64(len(mode))))
			next := int64(0)
			feed := func() {
				ids := []int64{next, next + 1, next + 2}
				next += 3
				if mode == "kafka" {
					var msgs []kmsg
					for _, id := range ids {
						msgs = append(msgs, kmsg{topic: "ev", part: int32(id % 3), value: fmt.Sprintf(`{"id":%d}`, id)})
					}
					produce(t, brokers, msgs...)
					return
				}
				if mode == "files" {
					body := ""
					for _, id := range ids {
						body += fmt.Sprintf(`{"id":%d}`+"\n", id)
					}
					writeFile(t, filepath.Join(dir, "in"), fmt.Sprintf("f%04d.json", ids[0]), body, time.Now())
					return
				}
				if ids[0] == 0 {
					sourceTable(t, dir, ids)
					return
				}
				appendRows(t, filepath.Join(dir, "src"), ids...)
			}
			start := func(trigger string) *exec.Cmd {
				cmd := exec.Command(exe, "-test.run=^$")
				cmd.Env = append(os.Environ(), crashChildEnv+"="+mode, "STREAM_CRASH_DIR="+dir, "STREAM_CRASH_TRIGGER="+trigger,
					"STREAM_CRASH_BROKERS="+strings.Join(brokers, ","))
				cmd.Stderr = os.Stderr
				require.NoError(t, cmd.Start())
				return cmd
			}
			feed()
			const kills = 50
			var midBatch, progressed int
			lastCommit := -1
			for range kills {
				cmd := start("run")
				feed()
				time.Sleep(time.Duration(5+rng.IntN(60)) * time.Millisecond)
				require.NoError(t, cmd.Process.Signal(syscall.SIGKILL))
				err := cmd.Wait()
				if ee, ok := err.(*exec.ExitError); ok && ee.ExitCode() != -1 {
					t.Fatalf("the query failed before it was killed: %v", err)
				}
				offs, commits := latestIn(t, filepath.Join(dir, "ck", "offsets")), latestIn(t, filepath.Join(dir, "ck", "commits"))
				if offs > commits {
					midBatch++ // killed between offsets/N and commits/N
				}
				if commits > lastCommit {
					progressed++
				}
				lastCommit = commits
			}
			t.Logf("%d kills: %d left a batch planned but uncommitted, %d came after new batches committed", kills, midBatch, progressed)
			assert.Positive(t, midBatch, "some kills must land inside a batch")
			cmd := start("drain")
			require.NoError(t, cmd.Wait(), "the final run drains the input")
			got := tableInts(t, filepath.Join(dir, "out"), "id")
			assert.Equal(t, seq(0, next-1), got, "every input row exactly once")
			commits, err := os.ReadDir(filepath.Join(dir, "ck", "commits"))
			require.NoError(t, err)
			assert.NotEmpty(t, commits)
		})
	}
}

// latestIn is the highest numeric file name in dir, -1 when none.
func latestIn(t testing.TB, dir string) int {
	entries, err := os.ReadDir(dir)
	if os.IsNotExist(err) {
		return -1
	}
	require.NoError(t, err)
	n := -1
	for _, e := range entries {
		var v int
		if _, err := fmt.Sscanf(e.Name(), "%d", &v); err == nil && fmt.Sprint(v) == e.Name() {
			n = max(n, v)
		}
	}
	return n
}
