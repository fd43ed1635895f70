package main

// End-to-end tests of the server with a real Ollama: the shared server .ci/run starts, and private
// ones started, killed and restarted by the tests. See internal/ollamatest.

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/mcp"

	"github.com/memos-mcp/memos-mcp/internal/ollamatest"
	"github.com/memos-mcp/memos-mcp/memstore"
)

// ollamaEnv configures the server for Ollama at url with the tiny models.
func ollamaEnv(url string, extra ...string) []string {
	return append([]string{
		"MEMOS_EMBEDDER=ollama", "MEMOS_EMBED_MODEL=" + ollamatest.EmbedModel,
		"MEMOS_LLM=ollama", "MEMOS_LLM_MODEL=" + ollamatest.ChatModel,
		"MEMOS_OLLAMA_URL=" + url, "MEMOS_LLM_MAX_TOKENS=256", "MEMOS_OLLAMA_TIMEOUT=30s",
	}, extra...)
}

// toolError calls a tool that must fail and returns its message and how long it took.
func toolError(t *testing.T, c *client.Client, tool string, args map[string]any) (string, time.Duration) {
	t.Helper()
	start := time.Now()
	res := call(t, c, tool, args, nil)
	if !res.IsError {
		t.Fatalf("%s succeeded, want an error: %s", tool, resultText(res))
	}
	return resultText(res), time.Since(start)
}

func TestOllamaEndToEnd(t *testing.T) {
	url := ollamatest.URL(t)
	c, stderr := startStdio(t, t.TempDir(), ollamaEnv(url)...)
	defer c.Close()

	var added memstore.AddResult
	call(t, c, "add_message", map[string]any{"user_id": "u", "conversation_id": "trip",
		"messages": []any{msg("user", "I live in Berlin and I like apples"), msg("assistant", "Noted!")}}, &added)
	if added.Mode != "fine" || len(added.Memories) == 0 {
		t.Fatalf("add: %+v\n%s", added, stderr)
	}
	// The tiny model's weights are random: extraction either yields schema-valid memories or is
	// refused as unusable, and then the conversation is kept in fast mode and the result says so.
	for _, n := range added.Notes {
		if !strings.Contains(n, "fast mode") && !strings.Contains(n, "unusable") && !strings.Contains(n, "nothing worth") {
			t.Fatalf("unexpected note %q", n)
		}
	}
	var page memstore.ListResult
	call(t, c, "get_memory", map[string]any{"user_id": "u", "page_size": 100}, &page)
	all := append(page.Memories, page.Preferences...)
	if len(all) != len(added.Memories) {
		t.Fatalf("listed %d memories, added %d", len(all), len(added.Memories))
	}
	for _, m := range all {
		okType := m.MemoryType == memstore.UserMemory || m.MemoryType == memstore.LongTermMemory || m.MemoryType == memstore.PreferenceMemory
		if m.ID == "" || strings.TrimSpace(m.Content) == "" || !okType || m.Status != memstore.StatusActivated || len(m.Sources) == 0 {
			t.Fatalf("stored memory is not valid: %+v", m)
		}
	}

	var found memstore.SearchResult
	call(t, c, "search_memory", map[string]any{"user_id": "u", "query": "Where does the user live?"}, &found)
	if len(found.Memories)+len(found.Preferences) == 0 {
		t.Fatalf("search found nothing with semantic embeddings")
	}

	// chat with only the conversation id and the query: the server supplies the conversation.
	var chat memstore.ChatResult
	call(t, c, "chat", map[string]any{"user_id": "u", "conversation_id": "trip", "query": "Where do I live?", "max_tokens": 32}, &chat)
	if chat.Response == "" || chat.ConversationID != "trip" || len(chat.MemoriesUsed) == 0 {
		t.Fatalf("chat: %+v", chat)
	}
	// add_message_on_answer (default true) wrote the turn back.
	call(t, c, "get_memory", map[string]any{"user_id": "u", "page_size": 100}, &page)
	remembered := false
	for _, m := range page.Memories {
		remembered = remembered || strings.Contains(m.Content, "Where do I live?")
	}
	if !remembered {
		t.Fatalf("the chat turn was not remembered")
	}
}

func TestOllamaDownAtStartupThenRecovers(t *testing.T) {
	srv := ollamatest.New(t) // not started yet
	c, stderr := startStdio(t, t.TempDir(), ollamaEnv(srv.URL, "MEMOS_OLLAMA_TIMEOUT=5s")...)
	defer c.Close()
	if !strings.Contains(stderr.String(), "not reachable") {
		t.Fatalf("start-up did not warn that Ollama is down:\n%s", stderr)
	}
	// Tools that need no model work.
	var page memstore.ListResult
	call(t, c, "get_memory", map[string]any{"user_id": "u"}, &page)
	// Tools that need it fail clearly and within the timeout.
	for _, tool := range []struct {
		name string
		args map[string]any
	}{
		{"add_message", map[string]any{"user_id": "u", "messages": []any{msg("user", "I like tea")}}},
		{"search_memory", map[string]any{"user_id": "u", "query": "tea"}},
		{"chat", map[string]any{"user_id": "u", "query": "hi"}},
	} {
		text, took := toolError(t, c, tool.name, tool.args)
		if !strings.Contains(text, "not reachable at "+srv.URL) || !strings.Contains(text, "ollama serve") {
			t.Errorf("%s: %q", tool.name, text)
		}
		if took > 6*time.Second {
			t.Errorf("%s took %s to fail", tool.name, took)
		}
	}
	// Ollama comes back: no restart needed.
	srv.Start()
	var added memstore.AddResult
	call(t, c, "add_message", map[string]any{"user_id": "u", "messages": []any{msg("user", "I like tea")}}, &added)
	if len(added.Memories) == 0 {
		t.Fatalf("nothing stored after Ollama came back: %+v", added)
	}
	var found memstore.SearchResult
	call(t, c, "search_memory", map[string]any{"user_id": "u", "query": "tea"}, &found)
	if len(found.Memories)+len(found.Preferences) == 0 {
		t.Fatal("search found nothing after Ollama came back")
	}
}

func TestOllamaTooSlow(t *testing.T) {
	url := ollamatest.URL(t)
	c, _ := startStdio(t, t.TempDir(), ollamaEnv(url, "MEMOS_OLLAMA_TIMEOUT=300ms", "MEMOS_LLM_MAX_TOKENS=30000")...)
	defer c.Close()
	text, took := toolError(t, c, "chat", map[string]any{"user_id": "u", "query": "write forever"})
	if !strings.Contains(text, "did not finish") || !strings.Contains(text, "--ollama-timeout") {
		t.Fatalf("chat: %q", text)
	}
	if took > 5*time.Second {
		t.Fatalf("a 300 ms timeout took %s", took)
	}
	var page memstore.ListResult
	call(t, c, "get_memory", map[string]any{"user_id": "u"}, &page)
}

func TestOllamaModelNotFound(t *testing.T) {
	url := ollamatest.URL(t)
	c, stderr := startStdio(t, t.TempDir(), ollamaEnv(url, "MEMOS_EMBED_MODEL=no-such-embedder", "MEMOS_LLM_MODEL=no-such-llm")...)
	defer c.Close()
	if !strings.Contains(stderr.String(), "ollama pull no-such-embedder:latest") {
		t.Fatalf("start-up did not say how to get the model:\n%s", stderr)
	}
	text, _ := toolError(t, c, "add_message", map[string]any{"user_id": "u", "messages": []any{msg("user", "hello")}})
	if !strings.Contains(text, "ollama pull no-such-embedder:latest") {
		t.Fatalf("add_message: %q", text)
	}
	var page memstore.ListResult
	call(t, c, "get_memory", map[string]any{"user_id": "u"}, &page)
}

func TestOllamaKilledMidChatThenRecovers(t *testing.T) {
	srv := ollamatest.New(t)
	srv.Start()
	c, _ := startStdio(t, t.TempDir(), ollamaEnv(srv.URL, "MEMOS_LLM_MAX_TOKENS=30000", "MEMOS_OLLAMA_TIMEOUT=60s")...)
	defer c.Close()
	type outcome struct {
		text string
		err  bool
	}
	done := make(chan outcome, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		res, err := c.CallTool(ctx, chatRequest("write forever"))
		if err != nil {
			done <- outcome{err.Error(), true}
			return
		}
		done <- outcome{resultText(res), res.IsError}
	}()
	time.Sleep(1500 * time.Millisecond) // generation is under way
	killed := time.Now()
	srv.Kill()
	select {
	case o := <-done:
		if !o.err || !strings.Contains(o.text, srv.URL) {
			t.Fatalf("chat after the kill: %+v", o)
		}
		if took := time.Since(killed); took > 5*time.Second {
			t.Fatalf("the error came %s after the kill", took)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("chat did not return after Ollama was killed")
	}
	var page memstore.ListResult
	call(t, c, "get_memory", map[string]any{"user_id": "u"}, &page) // the server is still up
	srv.Start()
	var chat memstore.ChatResult
	call(t, c, "chat", map[string]any{"user_id": "u", "query": "are you back?", "max_tokens": 16}, &chat)
	if chat.Response == "" {
		t.Fatal("no answer after Ollama came back")
	}
}

func chatRequest(query string) (req mcp.CallToolRequest) {
	req.Params.Name = "chat"
	req.Params.Arguments = map[string]any{"user_id": "u", "query": query}
	return req
}

// createModel makes (or replaces) model on a server as a copy of from, through Ollama's API.
func createModel(t *testing.T, url, model, from string) {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"model": model, "from": from, "stream": false})
	resp, err := http.Post(url+"/api/create", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		var b bytes.Buffer
		b.ReadFrom(resp.Body)
		t.Fatalf("create %s from %s: %s %s", model, from, resp.Status, b.String())
	}
}

// TestEmbeddingModelChangeIsCaughtAndReindexed: a store built with one embedding model refuses to
// serve another (a different model, or the same name now with another dimension), and
// `memos-mcp reindex` moves it to the new model without losing a memory.
func TestEmbeddingModelChangeIsCaughtAndReindexed(t *testing.T) {
	srv := ollamatest.New(t)
	srv.Start()
	createModel(t, srv.URL, "swap-embed", ollamatest.EmbedModel) // 64 dimensions
	dataDir := t.TempDir()
	env := ollamaEnv(srv.URL, "MEMOS_EMBED_MODEL=swap-embed", "MEMOS_LLM=none")

	c, _ := startStdio(t, dataDir, env...)
	for _, text := range []string{"I like apples", "I live in Berlin", "My sister is called Ana"} {
		call(t, c, "add_message", map[string]any{"user_id": "u", "messages": []any{msg("user", text)}}, &memstore.AddResult{})
	}
	var before memstore.ListResult
	call(t, c, "get_memory", map[string]any{"user_id": "u", "page_size": 100}, &before)
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}

	// Another model: refused at start-up, with the way out.
	run := func(args []string, env ...string) (string, error) {
		cmd := exec.Command(binary, args...)
		cmd.Env = append(cmd.Environ(), append([]string{"MEMOS_DATA_DIR=" + dataDir, "MEMOS_LOG_FORMAT=json"}, env...)...)
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	other := ollamaEnv(srv.URL, "MEMOS_EMBED_MODEL="+ollamatest.EmbedModel32, "MEMOS_LLM=none")
	out, err := run(nil, other...)
	if err == nil || !strings.Contains(out, "swap-embed:latest (64 dimensions)") || !strings.Contains(out, "memos-mcp reindex") {
		t.Fatalf("serving with another model: %v\n%s", err, out)
	}
	// The same name, now another dimension (the model was replaced under its name).
	createModel(t, srv.URL, "swap-embed", ollamatest.EmbedModel32)
	out, err = run(nil, env...)
	if err == nil || !strings.Contains(out, "reindex") || !strings.Contains(out, "32") {
		t.Fatalf("serving after the model changed dimension: %v\n%s", err, out)
	}
	// Reindex with the new model, then serve.
	if out, err := run([]string{"reindex"}, env...); err != nil || !strings.Contains(out, "reindex complete") {
		t.Fatalf("reindex: %v\n%s", err, out)
	}
	c2, _ := startStdio(t, dataDir, env...)
	defer c2.Close()
	var after memstore.ListResult
	call(t, c2, "get_memory", map[string]any{"user_id": "u", "page_size": 100}, &after)
	if after.MemoriesTotal != before.MemoriesTotal || after.PreferencesTotal != before.PreferencesTotal {
		t.Fatalf("reindex lost memories: %d/%d before, %d/%d after", before.MemoriesTotal, before.PreferencesTotal, after.MemoriesTotal, after.PreferencesTotal)
	}
	for i := range before.Memories {
		if before.Memories[i].ID != after.Memories[i].ID || before.Memories[i].Content != after.Memories[i].Content {
			t.Fatalf("reindex altered memory %d: %+v vs %+v", i, before.Memories[i], after.Memories[i])
		}
	}
	var found memstore.SearchResult
	call(t, c2, "search_memory", map[string]any{"user_id": "u", "query": "apples"}, &found)
	if len(found.Memories) == 0 {
		t.Fatal("search found nothing after reindex")
	}
}

// TestOllamaFeedbackAndAsyncEndToEnd runs the model paths of feedback and async add against the
// real server. The tiny model's weights are random, so this checks plumbing: whatever the model
// answers, only schema-valid operations are applied (or the rules take over, and the result says
// so), and background work finishes.
func TestOllamaFeedbackAndAsyncEndToEnd(t *testing.T) {
	url := ollamatest.URL(t)
	c, stderr := startStdio(t, t.TempDir(), ollamaEnv(url, "MEMOS_LLM_MAX_TOKENS=512")...)
	defer c.Close()
	const u = "memos_user_123"
	call(t, c, "add_message", map[string]any{"user_id": u, "mode": "fast", "messages": []any{msg("user", "我喜欢吃苹果,不喜欢香蕉")}}, &memstore.AddResult{})

	var fb memstore.FeedbackResult
	call(t, c, "add_feedback", map[string]any{"user_id": u, "feedback_content": "错啦,实际上我喜欢的是山竹",
		"history": []any{msg("user", "我喜欢什么水果,不喜欢什么水果"), msg("assistant", "你喜欢苹果,不喜欢香蕉")}}, &fb)
	var page memstore.ListResult
	call(t, c, "get_memory", map[string]any{"user_id": u, "include_archived": true, "page_size": 100}, &page)
	status := map[string]memstore.Status{}
	for _, m := range append(page.Memories, page.Preferences...) {
		status[m.ID] = m.Status
	}
	for _, up := range fb.Updated {
		if status[up.PreviousID] != memstore.StatusArchived || status[up.ID] != memstore.StatusActivated || up.Memory == "" {
			t.Fatalf("update %+v not applied as archive-old + insert-new (statuses %v)\n%s", up, status, stderr)
		}
	}
	for _, a := range fb.Added {
		if status[a.ID] != memstore.StatusActivated {
			t.Fatalf("added %+v is not stored", a)
		}
	}
	if len(fb.Updated)+len(fb.Added) == 0 && len(fb.Notes) == 0 {
		t.Fatalf("no change and no note saying why: %+v", fb)
	}

	var added memstore.AddResult
	call(t, c, "add_message", map[string]any{"user_id": u, "async_mode": "async", "messages": []any{msg("user", "I live in Berlin"), msg("assistant", "Nice")}}, &added)
	if added.TaskID == "" || len(added.Memories) == 0 {
		t.Fatalf("async add: %+v", added)
	}
	task := waitTask(t, c, added.TaskID, 120*time.Second)
	if task.Status != memstore.TaskDone || len(task.MemoryIDs) == 0 {
		t.Fatalf("task %+v", task)
	}
}

// waitTask polls get_task_status until the task is done or failed.
func waitTask(t *testing.T, c *client.Client, id string, limit time.Duration) memstore.Task {
	t.Helper()
	deadline := time.Now().Add(limit)
	for {
		var task memstore.Task
		call(t, c, "get_task_status", map[string]any{"task_id": id}, &task)
		if task.Status == memstore.TaskDone || task.Status == memstore.TaskFailed || time.Now().After(deadline) {
			return task
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestQueuedWorkSurvivesSIGKILL: background refinements queued while the model is down survive the
// server being killed, and finish after a restart once the model is back.
func TestQueuedWorkSurvivesSIGKILL(t *testing.T) {
	srv := ollamatest.New(t) // down for now
	dataDir := t.TempDir()
	env := ollamaEnv(srv.URL, "MEMOS_EMBEDDER=builtin")
	s := startHTTP(t, dataDir, env...)
	c := s.client(t)
	var ids []string
	for _, text := range []string{"I live in Berlin", "I work as a nurse", "My dog is called Biscuit"} {
		var res memstore.AddResult
		call(t, c, "add_message", map[string]any{"user_id": "u", "async_mode": "async", "messages": []any{msg("user", text)}}, &res)
		if res.TaskID == "" || res.TaskStatus != memstore.TaskQueued {
			t.Fatalf("async add: %+v", res)
		}
		ids = append(ids, res.TaskID)
	}
	if err := s.cmd.Process.Kill(); err != nil { // SIGKILL: no chance to clean up
		t.Fatal(err)
	}
	<-s.done
	srv.Start()
	s2 := startHTTP(t, dataDir, env...)
	c2 := s2.client(t)
	for _, id := range ids {
		task := waitTask(t, c2, id, 120*time.Second)
		if task.Status != memstore.TaskDone {
			t.Fatalf("task %s after restart: %+v\n%s", id, task, s2.stderr)
		}
	}
	var page memstore.ListResult
	call(t, c2, "get_memory", map[string]any{"user_id": "u"}, &page)
	if page.MemoriesTotal < 3 {
		t.Fatalf("memories after restart: %+v", page)
	}
	s2.stop(t)
}

// TestRESTChatWithOllama: /product/chat/complete answers, and /product/chat/stream streams the
// memories used, the answer in pieces and an end event, over the real model server.
func TestRESTChatWithOllama(t *testing.T) {
	url := ollamatest.URL(t)
	s := startHTTP(t, t.TempDir(), ollamaEnv(url, "MEMOS_LLM_MAX_TOKENS=48")...)
	rest(t, "POST", s.base()+"/product/add", "", `{"user_id": "u", "messages": "I like green tea", "async_mode": "sync", "mode": "fast"}`).ok(t, "add")

	var done struct {
		Response       string `json:"response"`
		ConversationID string `json:"conversation_id"`
	}
	r := rest(t, "POST", s.base()+"/product/chat/complete", "", `{"user_id": "u", "query": "What do I like to drink?", "add_message_on_answer": false}`).ok(t, "chat/complete")
	r.into(t, &done)
	if r.Message != "Chat completed successfully" || done.ConversationID == "" {
		t.Fatalf("chat/complete: %s", r.Raw)
	}

	req, _ := http.NewRequest("POST", s.base()+"/product/chat/stream", strings.NewReader(`{"user_id": "u", "query": "What do I like to drink?", "add_message_on_answer": false}`))
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		t.Fatalf("chat/stream: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	events := sseEvents(t, resp.Body)
	if len(events) < 2 || events[0]["type"] != "reference" || events[len(events)-1]["type"] != "end" {
		t.Fatalf("events %v", events)
	}
	refs, _ := events[0]["data"].([]any)
	if len(refs) == 0 {
		t.Fatalf("the reference event lists no memories: %v", events[0])
	}
	pieces := 0
	for _, e := range events[1 : len(events)-1] {
		if e["type"] != "text" && e["type"] != "reasoning" {
			t.Fatalf("unexpected event %v", e)
		}
		pieces++
	}
	if pieces < 2 {
		t.Fatalf("the answer came in %d pieces; a stream sends it as it is generated", pieces)
	}
}
