package interop

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sort"
	"sync"
)

// ErrPeer is returned when a peer process fails or answers with an error.
var ErrPeer = errors.New("interop: peer")

// PeerError is a request the peer answered with an error.
type PeerError struct {
	Engine, Op, Message, Trace string
}

func (e *PeerError) Error() string {
	return fmt.Sprintf("interop: peer %s %s: %s", e.Engine, e.Op, e.Message)
}

// Is makes PeerError match ErrPeer.
func (e *PeerError) Is(target error) bool { return target == ErrPeer }

// Peer is one long-lived peer server (interop/peers/serve.py) spoken to in
// JSON lines over its stdin and stdout. Calls are serialised.
type Peer struct {
	Engine   string
	Versions map[string]string

	mu     sync.Mutex
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	stdout *bufio.Reader
	nextID int
	waited chan error
}

// StartPeer starts `python serve.py engine` with stderr going to logPath and
// waits for its ready line (the Spark JVM takes a while: ctx bounds it).
func StartPeer(ctx context.Context, python, serveScript, engine, logPath string, env []string) (*Peer, error) {
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, fmt.Errorf("%w %s: log: %v", ErrPeer, engine, err)
	}
	cmd := exec.Command(python, serveScript, engine)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stderr = logFile
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, fmt.Errorf("%w %s: %v", ErrPeer, engine, err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, fmt.Errorf("%w %s: %v", ErrPeer, engine, err)
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("%w %s: start: %v", ErrPeer, engine, err)
	}
	p := &Peer{Engine: engine, cmd: cmd, stdin: stdin, stdout: bufio.NewReaderSize(stdout, 1<<20), waited: make(chan error, 1)}
	go func() { p.waited <- cmd.Wait(); logFile.Close() }()
	var ready struct {
		Ready    bool              `json:"ready"`
		Versions map[string]string `json:"versions"`
	}
	if err := p.readLine(ctx, &ready); err != nil {
		p.kill()
		return nil, fmt.Errorf("%w %s: no ready line (see %s): %v", ErrPeer, engine, logPath, err)
	}
	p.Versions = ready.Versions
	return p, nil
}

func (p *Peer) readLine(ctx context.Context, into any) error {
	type lineResult struct {
		line []byte
		err  error
	}
	ch := make(chan lineResult, 1)
	go func() {
		l, err := p.stdout.ReadBytes('\n')
		ch <- lineResult{l, err}
	}()
	select {
	case <-ctx.Done():
		p.kill()
		return ctx.Err()
	case r := <-ch:
		if r.err != nil {
			return fmt.Errorf("read: %v", r.err)
		}
		return json.Unmarshal(r.line, into)
	}
}

// Call sends op with args and decodes the result into out (which may be nil).
func (p *Peer) Call(ctx context.Context, op string, args map[string]any, out any) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.nextID++
	req := map[string]any{"id": p.nextID, "op": op}
	for k, v := range args {
		req[k] = v
	}
	b, err := json.Marshal(req)
	if err != nil {
		return fmt.Errorf("%w %s %s: encode: %v", ErrPeer, p.Engine, op, err)
	}
	if _, err := p.stdin.Write(append(b, '\n')); err != nil {
		return fmt.Errorf("%w %s %s: write: %v", ErrPeer, p.Engine, op, err)
	}
	var resp struct {
		ID     int             `json:"id"`
		OK     bool            `json:"ok"`
		Result json.RawMessage `json:"result"`
		Error  string          `json:"error"`
		Trace  string          `json:"trace"`
	}
	if err := p.readLine(ctx, &resp); err != nil {
		return fmt.Errorf("%w %s %s: %v", ErrPeer, p.Engine, op, err)
	}
	if resp.ID != p.nextID {
		return fmt.Errorf("%w %s %s: response id %d, want %d", ErrPeer, p.Engine, op, resp.ID, p.nextID)
	}
	if !resp.OK {
		return &PeerError{Engine: p.Engine, Op: op, Message: resp.Error, Trace: resp.Trace}
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(resp.Result, out); err != nil {
		return fmt.Errorf("%w %s %s: decode: %v", ErrPeer, p.Engine, op, err)
	}
	return nil
}

// Close asks the server to shut down and waits for it.
func (p *Peer) Close(ctx context.Context) error {
	err := p.Call(ctx, "shutdown", nil, nil)
	p.stdin.Close()
	select {
	case werr := <-p.waited:
		if err == nil && werr != nil {
			err = fmt.Errorf("%w %s: exit: %v", ErrPeer, p.Engine, werr)
		}
	case <-ctx.Done():
		p.kill()
		err = ctx.Err()
	}
	return err
}

func (p *Peer) kill() {
	if p.cmd.Process != nil {
		_ = p.cmd.Process.Kill()
	}
}

// VersionText renders the peer's package versions, e.g. "deltalake 1.6.6, pyarrow 22.0.0".
func VersionText(v map[string]string) string {
	keys := make([]string, 0, len(v))
	for k := range v {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	s := ""
	for i, k := range keys {
		if i > 0 {
			s += ", "
		}
		s += k + " " + v[k]
	}
	return s
}
