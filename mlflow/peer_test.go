package mlflow_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/lakehouse-go/lakehouse/internal/prereq"
)

// The real MLflow comes from the venv .ci/setup.d/mlflow.sh installs.
// LAKEHOUSE_MLFLOW_VENV overrides its location. Without it the test skips
// locally and fails under CI=true.
func mlflowVenv(t *testing.T) string {
	t.Helper()
	venv, err := findMLflowVenv()
	if err != nil {
		prereq.Missing(t, "%v", err)
	}
	return venv
}

// findMLflowVenv returns the venv holding the real MLflow, or why there is none.
func findMLflowVenv() (string, error) {
	venv := os.Getenv("LAKEHOUSE_MLFLOW_VENV")
	if venv == "" {
		abs, err := filepath.Abs(filepath.Join("..", ".cache", "venv-mlflow"))
		if err != nil {
			return "", err
		}
		venv = abs
	}
	if _, err := os.Stat(filepath.Join(venv, "bin", "mlflow")); err != nil {
		return "", fmt.Errorf("real MLflow not installed at %s (run bash .ci/setup.d/mlflow.sh, or set LAKEHOUSE_MLFLOW_VENV)", venv)
	}
	return venv, nil
}

// mlflowServer is a real `mlflow server` on a loopback port with a sqlite
// backend and a proxied artifact root, both in a temp dir.
type mlflowServer struct {
	URL   string
	ready chan error
}

// startMLflowServer launches the server and returns at once; wait() blocks
// until it answers /health. The process is killed in t.Cleanup and in any
// case after 15 minutes. backendURI "" means a fresh sqlite database.
func startMLflowServer(t *testing.T, backendURI string) *mlflowServer {
	t.Helper()
	venv := mlflowVenv(t)
	dir := t.TempDir()
	if backendURI == "" {
		backendURI = "sqlite:///" + filepath.Join(dir, "mlflow.db")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	cmd := exec.CommandContext(ctx, filepath.Join(venv, "bin", "mlflow"), "server",
		"--host", "127.0.0.1", "--port", fmt.Sprint(port), "--workers", "1",
		"--backend-store-uri", backendURI,
		"--artifacts-destination", filepath.Join(dir, "artifacts"))
	cmd.Dir = dir
	// Job execution (GenAI background jobs) is off: it only slows the boot.
	// The FileStore opt-in is needed when backendURI is a FileStore.
	cmd.Env = append(os.Environ(), "MLFLOW_SERVER_ENABLE_JOB_EXECUTION=false", "MLFLOW_ALLOW_FILE_STORE=true")
	logf, err := os.Create(filepath.Join(dir, "server.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-exited
		}
		cancel()
		logf.Close()
	})
	s := &mlflowServer{URL: fmt.Sprintf("http://127.0.0.1:%d", port), ready: make(chan error, 1)}
	go func() {
		deadline := time.Now().Add(4 * time.Minute)
		for time.Now().Before(deadline) {
			select {
			case <-exited:
				b, _ := os.ReadFile(filepath.Join(dir, "server.log"))
				s.ready <- fmt.Errorf("mlflow server exited early:\n%s", tail(string(b), 3000))
				return
			case <-time.After(300 * time.Millisecond):
			}
			resp, err := http.Get(s.URL + "/health")
			if err == nil {
				resp.Body.Close()
				if resp.StatusCode == http.StatusOK {
					s.ready <- nil
					return
				}
			}
		}
		s.ready <- fmt.Errorf("mlflow server did not answer /health within 4 minutes")
	}()
	return s
}

func (s *mlflowServer) wait(t *testing.T) {
	t.Helper()
	if err := <-s.ready; err != nil {
		t.Fatal(err)
	}
	s.ready <- nil // later waiters pass at once
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[len(s)-n:]
}

// runPython runs a Python script file with the venv's interpreter and
// returns its stdout. The FileStore opt-in MLflow 3.13+ asks for is set.
func runPython(t *testing.T, venv, script string, args ...string) string {
	t.Helper()
	cmd := exec.Command(filepath.Join(venv, "bin", "python"), append([]string{script}, args...)...)
	cmd.Env = append(os.Environ(), "MLFLOW_ALLOW_FILE_STORE=true", "PYTHONWARNINGS=ignore")
	var out, errb strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("python failed: %v\nstdout:\n%s\nstderr:\n%s", err, out.String(), tail(errb.String(), 4000))
	}
	return out.String()
}
