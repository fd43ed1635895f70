// Package ollamatest gives integration tests a real Ollama server: the shared one .ci/run starts
// (MEMOS_TEST_OLLAMA_URL), or private ones a test starts, kills and restarts itself
// (MEMOS_TEST_OLLAMA_BIN and MEMOS_TEST_OLLAMA_MODELS). The models are the tiny generated ones
// (internal/gguf-tiny): "tiny" generates, "tiny-embed" embeds in 64 dimensions, "tiny-embed-32" in 32.
package ollamatest

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Model names created by .ci/run.
const (
	ChatModel    = "tiny"
	EmbedModel   = "tiny-embed"
	EmbedDim     = 64
	EmbedModel32 = "tiny-embed-32"
)

// Environment variables .ci/run sets.
const (
	EnvURL    = "MEMOS_TEST_OLLAMA_URL"
	EnvBinary = "MEMOS_TEST_OLLAMA_BIN"
	EnvModels = "MEMOS_TEST_OLLAMA_MODELS"
)

var warnOnce sync.Once

// skip skips t loudly: the message goes to stderr even without -v, so a run without Ollama never
// looks like a full pass.
func skip(t testing.TB, missing string) {
	t.Helper()
	msg := fmt.Sprintf("SKIPPING Ollama integration tests: %s is not set (.ci/run sets it; see README, \"Testing with Ollama\")", missing)
	warnOnce.Do(func() { fmt.Fprintln(os.Stderr, "\n*** "+msg+" ***\n") })
	t.Skip(msg)
}

// URL returns the shared server's URL, skipping the test when there is none.
func URL(t testing.TB) string {
	t.Helper()
	u := os.Getenv(EnvURL)
	if u == "" {
		skip(t, EnvURL)
	}
	return u
}

// Server is a private Ollama server.
type Server struct {
	t      testing.TB
	bin    string
	models string
	Port   int
	URL    string
	cmd    *exec.Cmd
	done   chan struct{}
	logs   string
}

// FreePort returns a loopback port nothing listens on right now.
func FreePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// New prepares a private server on a free port without starting it (a test can then check what
// happens while Ollama is down). It skips the test when the binary is not available.
func New(t testing.TB) *Server {
	t.Helper()
	bin, models := os.Getenv(EnvBinary), os.Getenv(EnvModels)
	if bin == "" || models == "" {
		skip(t, EnvBinary+" and "+EnvModels)
	}
	port := FreePort(t)
	s := &Server{t: t, bin: bin, models: models, Port: port, URL: fmt.Sprintf("http://127.0.0.1:%d", port),
		logs: filepath.Join(t.TempDir(), "ollama.log")}
	t.Cleanup(s.Kill)
	return s
}

// Start starts the server and waits until it answers.
func (s *Server) Start() {
	s.t.Helper()
	logf, err := os.OpenFile(s.logs, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		s.t.Fatal(err)
	}
	s.cmd = exec.Command(s.bin, "serve")
	s.cmd.Env = append(os.Environ(), fmt.Sprintf("OLLAMA_HOST=127.0.0.1:%d", s.Port), "OLLAMA_MODELS="+s.models,
		"OLLAMA_KEEP_ALIVE=1h", "GIN_MODE=release")
	s.cmd.Stdout, s.cmd.Stderr = logf, logf
	// Its own process group, so Kill also takes down the model runners it spawns.
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := s.cmd.Start(); err != nil {
		s.t.Fatal(err)
	}
	s.done = make(chan struct{})
	go func() { s.cmd.Wait(); logf.Close(); close(s.done) }()
	deadline := time.Now().Add(30 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.URL+"/api/version", nil)
		resp, err := http.DefaultClient.Do(req)
		cancel()
		if err == nil {
			resp.Body.Close()
			return
		}
		select {
		case <-s.done:
			b, _ := os.ReadFile(s.logs)
			s.t.Fatalf("ollama serve exited at start:\n%s", b)
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			s.t.Fatal("ollama serve did not answer within 30 s")
		}
	}
}

// Kill stops the server and its model runners at once (SIGKILL to the process group) and waits
// for the server to exit.
func (s *Server) Kill() {
	if s.cmd == nil || s.cmd.Process == nil {
		return
	}
	syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
	<-s.done
	s.cmd = nil
}
