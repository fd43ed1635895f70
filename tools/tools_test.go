package tools_test

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/mcp"

	"github.com/memos-mcp/memos-mcp/memstore"
	"github.com/memos-mcp/memos-mcp/memstore/builtin"
	"github.com/memos-mcp/memos-mcp/memstore/embedded"
	"github.com/memos-mcp/memos-mcp/memstore/qdrant"
	"github.com/memos-mcp/memos-mcp/memstore/qdrant/qdranttest"
	"github.com/memos-mcp/memos-mcp/tools"
)

var update = flag.Bool("update", false, "rewrite the golden tool schemas in testdata/tools")

type harness struct {
	client *client.Client
	store  memstore.Scanner // to count what calls wrote
	core   *memstore.Core
}

// testStore is the backend the tool tests run on: embedded, or with MEMOS_TEST_STORE=qdrant the
// Qdrant backend against the in-process Qdrant double (through the real go-client over gRPC).
type testStore interface {
	memstore.Store
	memstore.MessageLog
	memstore.TaskQueue
	memstore.Scanner
}

func openTestStore(t testing.TB, id memstore.EmbedderIdentity) testStore {
	t.Helper()
	switch backend := os.Getenv("MEMOS_TEST_STORE"); backend {
	case "", "embedded":
		store, err := embedded.Open(t.TempDir(), id, embedded.Options{})
		if err != nil {
			t.Fatal(err)
		}
		return store
	case "qdrant":
		srv := qdranttest.Start(t)
		store, err := qdrant.Open(t.Context(), qdrant.Config{URL: fmt.Sprintf("%s:%d", srv.Host(), srv.Port())}, id)
		if err != nil {
			t.Fatal(err)
		}
		return store
	default:
		t.Fatalf("MEMOS_TEST_STORE=%q: use embedded or qdrant", backend)
		return nil
	}
}

// newHarness serves the tools over a fresh store to an in-process MCP client, with output schema
// validation on, so every result is checked against the schema the tool publishes.
func newHarness(t *testing.T) harness { return newHarnessWith(t, nil) }

// newHarnessWith is newHarness with a generation model (nil: none), a task queue and running workers.
func newHarnessWith(t *testing.T, llm memstore.LLM) harness { return startHarness(t, llm, true) }

// newBenchHarness is a harness as production runs it: no output validation, no model.
func newBenchHarness(b *testing.B) harness { return startHarness(b, nil, false) }

func startHarness(t testing.TB, llm memstore.LLM, validate bool) harness {
	t.Helper()
	emb := builtin.Embedder{}
	store := openTestStore(t, emb.Identity())
	core, err := memstore.New(memstore.Config{Store: store, Messages: store, Tasks: store, TaskPoll: 5 * time.Millisecond,
		Embedder: emb, Rules: builtin.Rules{}, LLM: llm})
	if err != nil {
		t.Fatal(err)
	}
	workCtx, stopWork := context.WithCancel(context.Background())
	wait := core.StartWorkers(workCtx, 2)
	t.Cleanup(func() { stopWork(); wait(); store.Close() })
	srv := tools.NewServer(core, tools.Options{Version: "test", DefaultUserID: "alice", ValidateOutput: validate})
	c, err := client.NewInProcessClient(srv)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	ctx := context.Background()
	if err := c.Start(ctx); err != nil {
		t.Fatal(err)
	}
	var init mcp.InitializeRequest
	init.Params.ClientInfo = mcp.Implementation{Name: "tools-test", Version: "1"}
	if _, err := c.Initialize(ctx, init); err != nil {
		t.Fatal(err)
	}
	return harness{client: c, store: store, core: core}
}

// call invokes a tool and returns its result; a protocol error fails the test.
func (h harness) call(t *testing.T, name string, args map[string]any) *mcp.CallToolResult {
	t.Helper()
	var req mcp.CallToolRequest
	req.Params.Name = name
	req.Params.Arguments = args
	res, err := h.client.CallTool(context.Background(), req)
	if err != nil {
		t.Fatalf("%s: protocol error %v", name, err)
	}
	return res
}

func text(res *mcp.CallToolResult) string {
	var b strings.Builder
	for _, c := range res.Content {
		if tc, ok := mcp.AsTextContent(c); ok {
			b.WriteString(tc.Text)
		}
	}
	return b.String()
}

// structured decodes a successful result's structured content into out.
func structured(t *testing.T, res *mcp.CallToolResult, out any) {
	t.Helper()
	if res.IsError {
		t.Fatalf("tool error: %s", text(res))
	}
	b, err := json.Marshal(res.StructuredContent)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, out); err != nil {
		t.Fatalf("structured content %s: %v", b, err)
	}
}

func TestToolSchemasMatchGoldenFiles(t *testing.T) {
	h := newHarness(t)
	list, err := h.client.ListTools(context.Background(), mcp.ListToolsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, tool := range list.Tools {
		names = append(names, tool.Name)
		got, err := json.MarshalIndent(tool, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, '\n')
		path := filepath.Join("..", "testdata", "tools", tool.Name+".golden")
		if *update {
			if err := os.WriteFile(path, got, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (run go test ./tools -update to create it)", err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("schema of %s changed; if that is intended, run go test ./tools -update and review the diff.\ngot:\n%s", tool.Name, got)
		}
	}
	want := []string{"add_feedback", "add_message", "chat", "delete_memory", "get_memory", "get_task_status", "search_memory"}
	if strings.Join(names, ",") != strings.Join(want, ",") {
		t.Fatalf("tools %v, want %v", names, want)
	}
}

func TestEveryToolStatesAllFourHintsTruthfully(t *testing.T) {
	h := newHarness(t)
	list, err := h.client.ListTools(context.Background(), mcp.ListToolsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	type hints struct{ readOnly, destructive, idempotent, openWorld bool }
	want := map[string]hints{
		"add_message":     {false, false, false, false},
		"search_memory":   {true, false, true, false},
		"get_memory":      {true, false, true, false},
		"delete_memory":   {false, true, true, false},
		"add_feedback":    {false, true, false, false},
		"chat":            {false, false, false, false},
		"get_task_status": {true, false, true, false},
	}
	for _, tool := range list.Tools {
		a := tool.Annotations
		if a.ReadOnlyHint == nil || a.DestructiveHint == nil || a.IdempotentHint == nil || a.OpenWorldHint == nil || a.Title == "" {
			t.Fatalf("%s does not set every annotation: %+v", tool.Name, a)
		}
		got := hints{*a.ReadOnlyHint, *a.DestructiveHint, *a.IdempotentHint, *a.OpenWorldHint}
		if got != want[tool.Name] {
			t.Errorf("%s hints %+v, want %+v", tool.Name, got, want[tool.Name])
		}
		if tool.InputSchema.Type != "object" || len(tool.InputSchema.Properties) == 0 {
			t.Errorf("%s input schema is empty or not an object: %+v", tool.Name, tool.InputSchema)
		}
		if tool.OutputSchema.Type != "object" || len(tool.OutputSchema.Properties) == 0 {
			t.Errorf("%s has no output schema", tool.Name)
		}
	}
}

// TestBadInputIsAToolErrorNamingTheField drives every tool with arguments a client can get wrong.
// Each call must fail as a tool error (not a protocol error) whose text names the field, and must
// leave the store untouched.
func TestBadInputIsAToolErrorNamingTheField(t *testing.T) {
	h := newHarness(t)
	ok := []any{map[string]any{"role": "user", "content": "I like apples"}}
	uuid := "6b23b583-f4c4-4a8f-b345-58d0c48fea04"
	tests := []struct {
		tool string
		args map[string]any
		want []string // substrings of the error text
	}{
		{"add_message", map[string]any{}, []string{"messages", "is empty"}},
		{"add_message", map[string]any{"messages": []any{}}, []string{"messages", "is empty"}},
		{"add_message", map[string]any{"messages": "I like apples"}, []string{"messages", "expected a list"}},
		{"add_message", map[string]any{"messages": []any{map[string]any{"role": "bot", "content": "x"}}}, []string{"messages[0].role", `unknown role "bot"`, "user, assistant, system"}},
		{"add_message", map[string]any{"messages": []any{map[string]any{"role": "user", "content": ""}}}, []string{"messages[0].content", "is empty"}},
		{"add_message", map[string]any{"messages": []any{map[string]any{"role": "user", "content": "x", "chat_time": "yesterday"}}}, []string{"messages[0].chat_time", "RFC 3339"}},
		{"add_message", map[string]any{"messages": []any{map[string]any{"role": "user", "content": "x", "time": "now"}}}, []string{"messages[0].time", "not a parameter", "chat_time"}},
		{"add_message", map[string]any{"messages": ok, "expires_at": "soon"}, []string{"expires_at", "not a time"}},
		{"add_message", map[string]any{"messages": ok, "expires_at": "2020-01-01T00:00:00Z"}, []string{"expires_at", "not in the future"}},
		{"add_message", map[string]any{"messages": ok, "mode": "turbo"}, []string{"mode", "fast", "fine"}},
		{"add_message", map[string]any{"messages": ok, "userid": "bob"}, []string{"userid", `did you mean "user_id"`}},
		{"add_message", map[string]any{"messages": ok, "tags": []any{"a", 3.5}}, []string{}},
		{"add_message", map[string]any{"messages": ok, "info": []any{"x"}}, []string{"info", "expected an object"}},
		{"search_memory", map[string]any{}, []string{"query", "is empty"}},
		{"search_memory", map[string]any{"query": "x", "top_k": 0}, []string{"top_k", "out of range"}},
		{"search_memory", map[string]any{"query": "x", "top_k": 2.5}, []string{"top_k", "whole number"}},
		{"search_memory", map[string]any{"query": "x", "top_k": "ten"}, []string{"top_k", "whole number"}},
		{"search_memory", map[string]any{"query": "x", "dedup": "fuzzy"}, []string{"dedup", `"sim"`}},
		{"search_memory", map[string]any{"query": "x", "relativity": 2}, []string{"relativity", "between 0 and 1"}},
		{"search_memory", map[string]any{"query": "x", "include_preference": "maybe"}, []string{"include_preference", "true or false"}},
		{"get_memory", map[string]any{"page": 0}, []string{"page", "out of range"}},
		{"get_memory", map[string]any{"page_size": 10000}, []string{"page_size", "1 to 100"}},
		{"get_memory", map[string]any{"page_size": 5, "size": 6}, []string{"same parameter"}},
		{"delete_memory", map[string]any{}, []string{"memory_ids", "user_id"}},
		{"delete_memory", map[string]any{"memory_ids": []any{uuid}, "user_id": "alice"}, []string{"memory_ids", "cannot be combined"}},
		{"delete_memory", map[string]any{"memory_ids": []any{"not-a-uuid"}}, []string{"memory_ids[0]", "not a memory id"}},
		{"delete_memory", map[string]any{"conversation_id": "c1"}, []string{"user_id", "conversation_id"}},
		// An empty or null id list is never read as "no list": with user_id it would delete everything.
		{"delete_memory", map[string]any{"memory_ids": []any{}, "user_id": "alice"}, []string{"memory_ids", "cannot be combined"}},
		{"delete_memory", map[string]any{"memory_ids": nil, "user_id": "alice"}, []string{"memory_ids", "cannot be combined"}},
		{"delete_memory", map[string]any{"memory_ids": []any{}}, []string{"memory_ids", "is empty"}},
		{"delete_memory", map[string]any{"memory_ids": []any{nil}}, []string{"memory_ids[0]", "is empty"}},
		{"search_memory", map[string]any{"query": "x", "top_k": 1e308}, []string{"top_k", "out of range"}},
		{"add_message", map[string]any{"messages": []any{map[string]any{"role": "user", "content": "x", "chat_time": "3000-01-01 00:00:00"}}}, []string{"messages[0].chat_time", "not a plausible time"}},
		{"add_message", map[string]any{"messages": []any{map[string]any{"role": "user", "content": "I like tea", "message_id": "m1", "name": "Ann"}}, "mode": "FAST", "expires_at": "  "}, []string{}},
		{"add_feedback", map[string]any{}, []string{"feedback_content", "is empty"}},
		{"add_feedback", map[string]any{"feedback_content": "x", "feedback_time": "later"}, []string{"feedback_time"}},
		{"add_feedback", map[string]any{"feedback_content": "x", "retrieved_memory_ids": []any{"m1"}}, []string{"retrieved_memory_ids[0]"}},
		{"chat", map[string]any{}, []string{"query", "is empty"}},
		{"chat", map[string]any{"query": "hi", "temperature": 5}, []string{"temperature", "0 to 2"}},
		{"chat", map[string]any{"query": "hi"}, []string{"generation model", "search_memory"}},
	}
	for _, tt := range tests {
		args, _ := json.Marshal(tt.args)
		t.Run(tt.tool+" "+string(args), func(t *testing.T) {
			res := h.call(t, tt.tool, tt.args)
			msg := text(res)
			if len(tt.want) == 0 { // cases that must succeed despite a loose form
				if res.IsError {
					t.Fatalf("unexpected error: %s", msg)
				}
				return
			}
			if !res.IsError {
				t.Fatalf("accepted bad input; result: %s", msg)
			}
			for _, w := range tt.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q does not mention %q", msg, w)
				}
			}
		})
	}
	// Only the two accepted adds wrote anything.
	if n, err := h.store.Total(context.Background()); err != nil || n != 4 {
		t.Fatalf("the store holds %d memories; rejected calls must write nothing", n)
	}
}

func TestLenientFormsAndDefaults(t *testing.T) {
	h := newHarness(t)
	// user_id omitted: the configured default user (alice) is used.
	res := h.call(t, "add_message", map[string]any{"messages": []any{map[string]any{"role": "User", "content": "I like apples", "chat_time": "2025-12-02 10:10:10"}}})
	var added memstore.AddResult
	structured(t, res, &added)
	if len(added.Memories) != 2 || added.Memories[0].CubeID != "alice" {
		t.Fatalf("add: %+v", added)
	}
	if !strings.Contains(text(res), added.Memories[0].ID) {
		t.Fatalf("the readable text must carry the ids: %s", text(res))
	}
	// The seed's get/memory example sends booleans as strings and uses size for page_size.
	res = h.call(t, "get_memory", map[string]any{"user_id": "alice", "include_preference": "true", "page": "1", "size": 1})
	var listed memstore.ListResult
	structured(t, res, &listed)
	if listed.PageSize != 1 || len(listed.Memories) != 1 || len(listed.Preferences) != 1 || listed.MemoriesTotal != 1 {
		t.Fatalf("get_memory: %+v", listed)
	}
	// A lone id where a list is expected is a list of one.
	res = h.call(t, "delete_memory", map[string]any{"memory_ids": added.Memories[0].ID})
	var deleted memstore.DeleteResult
	structured(t, res, &deleted)
	if deleted.DeletedCount != 1 {
		t.Fatalf("delete: %+v", deleted)
	}
	// Numbers are accepted as ids.
	res = h.call(t, "search_memory", map[string]any{"user_id": 42, "query": "apples"})
	var found memstore.SearchResult
	structured(t, res, &found)
	if len(found.Memories) != 0 {
		t.Fatalf("user 42 has no memories, got %+v", found)
	}
	if text(res) != "No memories match this query." {
		t.Fatalf("empty search text: %q", text(res))
	}
}
