package main

// End-to-end tests: the real binary, built once, driven by mcp-go's client over stdio (as Claude
// Desktop and Cursor run it) and over streamable HTTP.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/client/transport"
	"github.com/mark3labs/mcp-go/mcp"

	"github.com/memos-mcp/memos-mcp/memstore"
	"github.com/memos-mcp/memos-mcp/memstore/builtin"
)

// binary is the memos-mcp executable under test, built by TestMain.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "memos-mcp-e2e")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "memos-mcp")
	build := exec.Command("go", "build", "-race", "-o", binary, ".")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building memos-mcp:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// syncBuffer collects a process's stderr while it runs.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func initialize(t *testing.T, c *client.Client) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var init mcp.InitializeRequest
	init.Params.ClientInfo = mcp.Implementation{Name: "e2e", Version: "1"}
	res, err := c.Initialize(ctx, init)
	if err != nil {
		t.Fatalf("initialize: %v", err)
	}
	if res.ServerInfo.Name != "memos-mcp" || !strings.Contains(res.Instructions, "search_memory") {
		t.Fatalf("server info %+v, instructions %q", res.ServerInfo, res.Instructions)
	}
}

// startStdio runs the binary as Claude Desktop would and returns an initialised client.
func startStdio(t *testing.T, dataDir string, extraEnv ...string) (*client.Client, *syncBuffer) {
	t.Helper()
	stderr := &syncBuffer{}
	env := append([]string{"MEMOS_DATA_DIR=" + dataDir, "MEMOS_LOG_LEVEL=debug"}, extraEnv...)
	c, err := client.NewStdioMCPClientWithOptions(binary, env, nil, transport.WithCommandStderrWriter(stderr))
	if err != nil {
		t.Fatal(err)
	}
	initialize(t, c)
	return c, stderr
}

// httpServer is the binary running with --transport http.
type httpServer struct {
	cmd    *exec.Cmd
	url    string
	stderr *syncBuffer
	done   chan error
}

var listeningRE = regexp.MustCompile(`"url":"(http://[^"]+)"`)

func startHTTP(t *testing.T, dataDir string, env ...string) *httpServer {
	t.Helper()
	s := &httpServer{stderr: &syncBuffer{}, done: make(chan error, 1)}
	s.cmd = exec.Command(binary, "--transport", "http", "--addr", "127.0.0.1:0", "--data-dir", dataDir, "--log-format", "json")
	s.cmd.Env = append(os.Environ(), env...)
	pr, pw := io.Pipe()
	s.cmd.Stderr = io.MultiWriter(s.stderr, pw)
	stdout := &syncBuffer{}
	s.cmd.Stdout = stdout
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { s.done <- s.cmd.Wait(); pw.Close() }()
	t.Cleanup(func() {
		if s.cmd.ProcessState == nil {
			s.cmd.Process.Kill()
			<-s.done
		}
		if stdout.String() != "" {
			t.Errorf("the HTTP server wrote to stdout: %q", stdout.String())
		}
	})
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			if m := listeningRE.FindStringSubmatch(sc.Text()); m != nil {
				found <- m[1]
				break
			}
		}
		io.Copy(io.Discard, pr)
	}()
	select {
	case s.url = <-found:
	case err := <-s.done:
		t.Fatalf("server exited early: %v\n%s", err, s.stderr)
	case <-time.After(20 * time.Second):
		t.Fatalf("server did not start listening:\n%s", s.stderr)
	}
	return s
}

func (s *httpServer) client(t *testing.T) *client.Client {
	t.Helper()
	c, err := client.NewStreamableHttpClient(s.url)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	initialize(t, c)
	return c
}

// stop sends SIGTERM and waits for a clean exit.
func (s *httpServer) stop(t *testing.T) {
	t.Helper()
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-s.done:
		if err != nil {
			t.Fatalf("exit after SIGTERM: %v\n%s", err, s.stderr)
		}
	case <-time.After(15 * time.Second):
		t.Fatalf("no exit 15 s after SIGTERM\n%s", s.stderr)
	}
	if !strings.Contains(s.stderr.String(), "memos-mcp stopped") {
		t.Fatalf("no clean stop in the log:\n%s", s.stderr)
	}
}

// call invokes a tool, failing the test on a protocol error or (unless wantError) a tool error,
// and decodes the structured content into out when given.
func call(t *testing.T, c *client.Client, tool string, args map[string]any, out any) *mcp.CallToolResult {
	t.Helper()
	// Generous: under a loaded CI machine the tiny model can take many seconds; the guard only
	// keeps a hung server from hanging the test run.
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	var req mcp.CallToolRequest
	req.Params.Name = tool
	req.Params.Arguments = args
	res, err := c.CallTool(ctx, req)
	if err != nil {
		t.Fatalf("%s: %v", tool, err)
	}
	if out != nil {
		if res.IsError {
			t.Fatalf("%s: tool error %s", tool, resultText(res))
		}
		b, _ := json.Marshal(res.StructuredContent)
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("%s: structured content %s: %v", tool, b, err)
		}
	}
	return res
}

func resultText(res *mcp.CallToolResult) string {
	var b strings.Builder
	for _, c := range res.Content {
		if tc, ok := mcp.AsTextContent(c); ok {
			b.WriteString(tc.Text)
		}
	}
	return b.String()
}

func msg(role, content string) map[string]any {
	return map[string]any{"role": role, "content": content}
}

// fruitTurns is the seed scenario's conversation about fruit, one add_message per turn.
var fruitTurns = [][2]string{
	{"我喜欢吃苹果,不喜欢香蕉", "好的,记住了:你喜欢苹果,不喜欢香蕉"},
	{"夏天我喜欢吃西瓜", "西瓜很解渴"},
	{"我喜欢吃苹果,尤其是红富士", "红富士很甜"},
	{"我很喜欢吃苹果,尤其是红富士", "红富士很甜啊"}, // a near-duplicate (cosine 0.945) of the turn before
	{"今天去超市买了葡萄和橙子", "不错"},
	{"我喜欢吃草莓蛋糕", "草莓蛋糕很好吃"},
	{"水果店的榴莲太贵了", "确实不便宜"},
	{"我每天早上吃一个苹果", "这是个好习惯"},
}

// seedScenario runs the release note's scenario against a connected client and returns how many
// fact memories the user has at the end.
func seedScenario(t *testing.T, c *client.Client) int {
	const userID = "memos_user_123"
	var factIDs []string // fact memories in the order they were created
	for i, turn := range fruitTurns {
		var res memstore.AddResult
		call(t, c, "add_message", map[string]any{
			"user_id": userID, "conversation_id": "fruit-chat",
			"messages": []any{msg("user", turn[0]), msg("assistant", turn[1])},
		}, &res)
		if res.Mode != "fast" {
			t.Fatalf("turn %d: mode %q", i, res.Mode)
		}
		for _, m := range res.Memories {
			if m.MemoryType != memstore.PreferenceMemory {
				factIDs = append(factIDs, m.ID)
			}
		}
	}
	if len(factIDs) < 7 {
		t.Fatalf("only %d fact memories from %d turns", len(factIDs), len(fruitTurns))
	}

	t.Run("get_memory page 2 of 3 is items 4–6 newest first", func(t *testing.T) {
		var page memstore.ListResult
		// The seed's curl example sends include_preference as the string "true".
		call(t, c, "get_memory", map[string]any{"user_id": userID, "mem_cube_id": userID, "include_preference": "true", "page": 2, "page_size": 3}, &page)
		newest := slices.Clone(factIDs)
		slices.Reverse(newest)
		got := []string{}
		for _, m := range page.Memories {
			got = append(got, m.ID)
		}
		if !slices.Equal(got, newest[3:6]) {
			t.Fatalf("page 2 = %v, want %v", got, newest[3:6])
		}
		if page.MemoriesTotal != len(factIDs) || page.PreferencesTotal < 4 || page.Page != 2 || page.PageSize != 3 ||
			len(page.Preferences) != min(3, page.PreferencesTotal-3) {
			t.Fatalf("totals: %+v", page)
		}
		for i := 1; i < len(page.Memories); i++ {
			if page.Memories[i].CreatedAt.After(page.Memories[i-1].CreatedAt) {
				t.Fatal("not newest first")
			}
		}
	})

	t.Run("search with dedup sim returns no near-duplicates", func(t *testing.T) {
		emb := builtin.Embedder{}
		maxPair := func(hits []memstore.SearchHit) float64 {
			m := -1.0
			for i := range hits {
				for j := i + 1; j < len(hits); j++ {
					m = max(m, memstore.Cosine(emb.Vector(hits[i].Content), emb.Vector(hits[j].Content)))
				}
			}
			return m
		}
		var plain, sim memstore.SearchResult
		call(t, c, "search_memory", map[string]any{"user_id": userID, "query": "我喜欢吃什么?", "top_k": 10, "dedup": "no"}, &plain)
		if maxPair(plain.Memories) <= 0.92 {
			t.Fatalf("the scenario must contain near-duplicates for this test to mean anything (max pair cosine %.3f)", maxPair(plain.Memories))
		}
		call(t, c, "search_memory", map[string]any{"user_id": userID, "query": "我喜欢吃什么?", "top_k": 10, "dedup": "sim"}, &sim)
		if len(sim.Memories) == 0 || len(sim.Preferences) == 0 {
			t.Fatalf("sim search found %d memories and %d preferences", len(sim.Memories), len(sim.Preferences))
		}
		if m := maxPair(sim.Memories); m > 0.92 {
			t.Fatalf("near-duplicates returned (cosine %.3f)", m)
		}
	})

	t.Run("delete_memory by ids needs no user", func(t *testing.T) {
		victims := factIDs[:2]
		var del memstore.DeleteResult
		call(t, c, "delete_memory", map[string]any{"memory_ids": victims}, &del)
		if del.DeletedCount != 2 || len(del.NotFoundIDs) != 0 {
			t.Fatalf("delete: %+v", del)
		}
		var page memstore.ListResult
		call(t, c, "get_memory", map[string]any{"user_id": userID, "page_size": 100}, &page)
		if page.MemoriesTotal != len(factIDs)-2 {
			t.Fatalf("total after delete %d, want %d", page.MemoriesTotal, len(factIDs)-2)
		}
		for _, m := range page.Memories {
			if slices.Contains(victims, m.ID) {
				t.Fatalf("deleted memory %s still listed", m.ID)
			}
		}
	})

	t.Run("the mangosteen feedback replaces the fruit preference", func(t *testing.T) {
		var fb memstore.FeedbackResult
		res := call(t, c, "add_feedback", map[string]any{
			"user_id": userID, "conversation_id": "0108", "feedback_content": "错啦,实际上我喜欢的是山竹",
			"feedback_time": "2025-12-02 10:10:10",
			"history":       []any{msg("user", "我喜欢什么水果,不喜欢什么水果"), msg("assistant", "你喜欢苹果,不喜欢香蕉")},
		}, &fb)
		if len(fb.Updated) == 0 || len(fb.ArchivedIDs) != len(fb.Updated) {
			t.Fatalf("feedback changed nothing: %+v", fb)
		}
		for _, u := range fb.Updated {
			if u.Memory != "用户喜欢山竹" || !strings.Contains(u.PreviousMemory, "苹果") {
				t.Fatalf("update %+v", u)
			}
		}
		if !strings.Contains(resultText(res), "now archived") {
			t.Fatalf("the readable text must say what changed: %s", resultText(res))
		}
		var page memstore.ListResult
		call(t, c, "get_memory", map[string]any{"user_id": userID, "page_size": 100, "include_archived": true}, &page)
		status := map[string]memstore.Status{}
		for _, p := range page.Preferences {
			status[p.Preference] = p.Status
		}
		if status["用户喜欢山竹"] != memstore.StatusActivated || status["用户喜欢吃苹果"] != memstore.StatusArchived || status["用户不喜欢香蕉"] != memstore.StatusActivated {
			t.Fatalf("preference statuses after feedback: %v", status)
		}
		var found memstore.SearchResult
		call(t, c, "search_memory", map[string]any{"user_id": userID, "query": "我喜欢什么水果"}, &found)
		for _, p := range found.Preferences {
			if p.Status != memstore.StatusActivated || p.Preference == "用户喜欢吃苹果" {
				t.Fatalf("search recalled a superseded preference: %+v", p)
			}
		}
	})

	t.Run("chat says how to get a model", func(t *testing.T) {
		res := call(t, c, "chat", map[string]any{"user_id": userID, "conversation_id": "memos_chat_conv", "query": "你好,给我推荐美食。"}, nil)
		if !res.IsError || !strings.Contains(resultText(res), "generation model") {
			t.Fatalf("chat without a model: %s", resultText(res))
		}
	})
	return len(factIDs) - 2
}

func TestStdioSeedScenario(t *testing.T) {
	dataDir := t.TempDir()
	c, stderr := startStdio(t, dataDir)
	facts := seedScenario(t, c)
	// Closing stdin (the client going away) stops the server cleanly: Close reports a non-zero exit.
	if err := c.Close(); err != nil {
		t.Fatalf("server exit: %v\n%s", err, stderr)
	}

	// The memories outlive the process.
	c2, _ := startStdio(t, dataDir)
	defer c2.Close()
	var page memstore.ListResult
	call(t, c2, "get_memory", map[string]any{"user_id": "memos_user_123", "page_size": 100}, &page)
	if page.MemoriesTotal != facts {
		t.Fatalf("after restart %d memories, want %d", page.MemoriesTotal, facts)
	}
}

func TestHTTPSeedScenario(t *testing.T) {
	dataDir := t.TempDir()
	s := startHTTP(t, dataDir)
	seedScenario(t, s.client(t))

	// /healthz answers on the same listener.
	resp, err := http.Get(strings.TrimSuffix(s.url, "/mcp") + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	var health struct {
		Status string `json:"status"`
		Store  struct {
			Backend  string `json:"backend"`
			Memories int    `json:"memories"`
		} `json:"store"`
		Queue struct {
			Limit int `json:"limit"`
		} `json:"queue"`
	}
	err = json.NewDecoder(resp.Body).Decode(&health)
	resp.Body.Close()
	if err != nil || resp.StatusCode != 200 || health.Status != "ok" || health.Store.Memories == 0 || health.Store.Backend != "embedded" ||
		health.Queue.Limit == 0 {
		t.Fatalf("healthz: %d %+v %v", resp.StatusCode, health, err)
	}

	// Two clients at once share the server (stdio can serve only one).
	a, b := s.client(t), s.client(t)
	var added memstore.AddResult
	call(t, a, "add_message", map[string]any{"user_id": "shared", "messages": []any{msg("user", "I like tea")}}, &added)
	var listed memstore.ListResult
	call(t, b, "get_memory", map[string]any{"user_id": "shared"}, &listed)
	if listed.MemoriesTotal != 1 || listed.PreferencesTotal != 1 {
		t.Fatalf("second client sees %+v", listed)
	}
	s.stop(t)
}

func TestDefaultUserAndStdoutIsProtocolOnly(t *testing.T) {
	dataDir := t.TempDir()
	c, _ := startStdio(t, dataDir, "MEMOS_USER_ID=carol")
	defer c.Close()
	var added memstore.AddResult
	call(t, c, "add_message", map[string]any{"messages": []any{msg("user", "I prefer window seats")}}, &added)
	var page memstore.ListResult
	call(t, c, "get_memory", map[string]any{"user_id": "carol"}, &page)
	if page.MemoriesTotal != 1 || page.PreferencesTotal != 1 {
		t.Fatalf("the configured default user did not get the memories: %+v", page)
	}
	// Deleting by user is never defaulted.
	res := call(t, c, "delete_memory", map[string]any{}, nil)
	if !res.IsError {
		t.Fatal("delete_memory without arguments must not delete the default user's memories")
	}
}

func TestSecondProcessOnSameDataDirFailsClearly(t *testing.T) {
	dataDir := t.TempDir()
	c, _ := startStdio(t, dataDir)
	defer c.Close()
	out, err := exec.Command(binary, "--data-dir", dataDir).CombinedOutput()
	if err == nil || !strings.Contains(string(out), "another process") || !strings.Contains(string(out), "--transport http") {
		t.Fatalf("second process: err %v, output %s", err, out)
	}
}

func TestStdioStopsCleanlyOnSIGTERM(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT} {
		t.Run(sig.String(), func(t *testing.T) {
			cmd := exec.Command(binary, "--data-dir", t.TempDir(), "--log-format", "json")
			stdin, err := cmd.StdinPipe() // kept open: the server is idle, waiting for a client message
			if err != nil {
				t.Fatal(err)
			}
			defer stdin.Close()
			stderr := &syncBuffer{}
			cmd.Stderr = stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			deadline := time.Now().Add(20 * time.Second)
			for !strings.Contains(stderr.String(), "memos-mcp starting") {
				if time.Now().After(deadline) {
					cmd.Process.Kill()
					t.Fatalf("server did not start:\n%s", stderr)
				}
				time.Sleep(10 * time.Millisecond)
			}
			if err := cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			select {
			case err := <-done:
				if err != nil {
					t.Fatalf("exit after %v: %v\n%s", sig, err, stderr)
				}
			case <-time.After(15 * time.Second):
				cmd.Process.Kill()
				t.Fatalf("no exit 15 s after %v", sig)
			}
			if !strings.Contains(stderr.String(), "memos-mcp stopped") {
				t.Fatalf("no clean stop in the log:\n%s", stderr)
			}
		})
	}
}

// TestHTTPShutdownWithOpenEventStream: a client holding the GET event stream open must not keep
// the server from stopping on SIGTERM.
func TestHTTPShutdownWithOpenEventStream(t *testing.T) {
	s := startHTTP(t, t.TempDir())
	init := `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"raw","version":"1"}}}`
	req, _ := http.NewRequest(http.MethodPost, s.url, strings.NewReader(init))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	session := resp.Header.Get("Mcp-Session-Id")
	if session == "" {
		t.Fatal("no session id")
	}
	stream, _ := http.NewRequest(http.MethodGet, s.url, nil)
	stream.Header.Set("Accept", "text/event-stream")
	stream.Header.Set("Mcp-Session-Id", session)
	streamResp, err := http.DefaultClient.Do(stream)
	if err != nil {
		t.Fatal(err)
	}
	defer streamResp.Body.Close()
	if streamResp.StatusCode != http.StatusOK {
		t.Fatalf("GET stream: %s", streamResp.Status)
	}
	start := time.Now()
	s.stop(t)
	if took := time.Since(start); took > 5*time.Second {
		t.Fatalf("stopping with an open stream took %s", took)
	}
}
