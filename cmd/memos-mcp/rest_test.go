package main

// The REST surface, run as the real binary: the release note's examples verbatim (host and port
// aside), the auth matrix over every route and tool, limits and metrics.

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/client/transport"
	"github.com/mark3labs/mcp-go/mcp"

	"github.com/memos-mcp/memos-mcp/memstore"
)

// restResponse is a REST reply: the status and the decoded envelope.
type restResponse struct {
	Status  int             `json:"-"`
	Code    int             `json:"code"`
	Message string          `json:"message"`
	Data    json.RawMessage `json:"data"`
	TaskID  string          `json:"task_id"`
	Raw     string
}

// base is the server's root URL.
func (s *httpServer) base() string { return strings.TrimSuffix(s.url, "/mcp") }

// rest sends a request the way the release note's Python and curl examples do: a JSON body and,
// when key is set, Authorization: Token <key>.
func rest(t *testing.T, method, url, key, body string) restResponse {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if key != "" {
		req.Header.Set("Authorization", "Token "+key)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	resp, err := http.DefaultClient.Do(req.WithContext(ctx))
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	r := restResponse{Status: resp.StatusCode, Raw: string(raw)}
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		if err := json.Unmarshal(raw, &r); err != nil {
			t.Fatalf("%s %s: body %q: %v", method, url, raw, err)
		}
	}
	return r
}

func (r restResponse) ok(t *testing.T, what string) restResponse {
	t.Helper()
	if r.Status != 200 || r.Code != 200 {
		t.Fatalf("%s: HTTP %d, %s", what, r.Status, r.Raw)
	}
	return r
}

func (r restResponse) into(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Data, v); err != nil {
		t.Fatalf("data %s: %v", r.Data, err)
	}
}

// seedFruit stores the release note's fruit conversation for memos_user_123 through /product/add.
func seedFruit(t *testing.T, s *httpServer, key string) {
	t.Helper()
	for _, turn := range fruitTurns {
		body, _ := json.Marshal(map[string]any{"user_id": "memos_user_123", "session_id": "fruit-chat", "async_mode": "sync",
			"messages": []any{msg("user", turn[0]), msg("assistant", turn[1])}})
		rest(t, "POST", s.base()+"/product/add", key, string(body)).ok(t, "product/add")
	}
}

type cloudPage struct {
	Memories []struct {
		ID          string `json:"id"`
		MemoryValue string `json:"memory_value"`
		CreateTime  string `json:"create_time"`
	} `json:"memory_detail_list"`
	Preferences []struct {
		ID         string `json:"id"`
		Preference string `json:"preference"`
		Status     string `json:"status"`
	} `json:"preference_detail_list"`
	Total, Size, Current, Pages int
}

// TestReleaseNoteCloudExamples runs the release note's cloud (OpenMem) examples: base URL
// .../api/openmem/v1, Authorization: Token YOUR_API_KEY, bodies verbatim.
func TestReleaseNoteCloudExamples(t *testing.T) {
	s := startHTTP(t, t.TempDir(), "MEMOS_API_KEYS=YOUR_API_KEY=*")
	base := s.base() + "/api/openmem/v1"
	seedFruit(t, s, "YOUR_API_KEY")

	// 1.1 get/memory, page 2 of 3.
	var page cloudPage
	rest(t, "POST", base+"/get/memory", "YOUR_API_KEY",
		`{ "user_id": "memos_user_123", "page": 2, "size": 3, "include_preference": "true" }`).ok(t, "get/memory").into(t, &page)
	if len(page.Memories) != 3 || page.Current != 2 || page.Size != 3 || page.Total < 7 || page.Pages != (max(page.Total, 4)+2)/3 ||
		len(page.Preferences) == 0 {
		t.Fatalf("get/memory page 2: %+v", page)
	}

	// 2. chat: without a generation model the server says how to get one (503), with the envelope.
	r := rest(t, "POST", base+"/chat", "YOUR_API_KEY", `{ "user_id": "memos_user_123", "conversation_id": "memos_chat_conv", "query": "你好,给我推荐美食。" }`)
	if r.Status != 503 || r.Code != 503 || !strings.Contains(r.Message, "generation model") {
		t.Fatalf("chat without a model: %d %s", r.Status, r.Raw)
	}

	// 3.1 delete/memory with an id that does not exist: success, reported as not found.
	var del struct {
		Success     bool     `json:"success"`
		NotFoundIDs []string `json:"not_found_ids"`
	}
	rest(t, "POST", base+"/delete/memory", "YOUR_API_KEY", `{ "memory_ids": ["6b23b583-f4c4-4a8f-b345-58d0c48fea04"] }`).ok(t, "delete/memory").into(t, &del)
	if !del.Success || len(del.NotFoundIDs) != 1 {
		t.Fatalf("delete/memory: %+v", del)
	}

	// 3.2 add/feedback: queued (the cloud's default), then applied in the background.
	fb := rest(t, "POST", base+"/add/feedback", "YOUR_API_KEY", `{ "user_id": "memos_user_123", "conversation_id": "0108", "feedback_content": "错啦,实际上我喜欢的是山竹", "feedback_time": "2025-12-02 10:10:10", "allow_knowledgebase_ids": [ "basebXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX" ] }`).ok(t, "add/feedback")
	if fb.TaskID == "" {
		t.Fatalf("add/feedback returned no task: %s", fb.Raw)
	}
	waitREST(t, base+"/get/status", "YOUR_API_KEY", fb.TaskID)
	var all cloudPage
	rest(t, "POST", base+"/get/memory", "YOUR_API_KEY", `{"user_id": "memos_user_123", "size": 50}`).ok(t, "get/memory").into(t, &all)
	if len(all.Preferences) == 0 {
		t.Fatal("no preferences listed")
	}
	prefs := map[string]bool{}
	for _, p := range all.Preferences {
		prefs[p.Preference] = true
	}
	// Without the corrected turn (the example sends no history), a correction replaces the latest
	// statement on its topic: the last apple preference.
	if !prefs["用户喜欢山竹"] || prefs["用户很喜欢吃苹果"] {
		t.Fatalf("after the feedback the active preferences are %v", prefs)
	}
}

// waitREST polls get/status until the task finishes.
func waitREST(t *testing.T, url, key, taskID string) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		var task memstore.Task
		rest(t, "POST", url, key, `{"task_id": "`+taskID+`"}`).ok(t, "get/status").into(t, &task)
		if task.Status == memstore.TaskDone {
			return
		}
		if task.Status == memstore.TaskFailed || time.Now().After(deadline) {
			t.Fatalf("task %s: %+v", taskID, task)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

type productGroups []struct {
	CubeID   string `json:"cube_id"`
	Total    *int   `json:"total_nodes"`
	Memories []struct {
		ID       string         `json:"id"`
		Memory   string         `json:"memory"`
		RefID    string         `json:"ref_id"`
		Metadata map[string]any `json:"metadata"`
	} `json:"memories"`
}

// TestReleaseNoteOpenSourceExamples runs the open-source examples against /product (no key: the
// server listens on loopback without keys, as the examples assume).
func TestReleaseNoteOpenSourceExamples(t *testing.T) {
	s := startHTTP(t, t.TempDir())
	seedFruit(t, s, "")
	// The curl example's user test_1 gets memories of its own.
	for i := range 7 {
		rest(t, "POST", s.base()+"/product/add", "", fmt.Sprintf(`{"user_id": "test_1", "async_mode": "sync", "messages": "fact number %d: I visited city %d"}`, i, i)).ok(t, "add")
	}

	// 1.2 get_memory page 2 of 3, newest first.
	var got struct {
		TextMem productGroups `json:"text_mem"`
		PrefMem productGroups `json:"pref_mem"`
	}
	rest(t, "POST", s.base()+"/product/get_memory", "", `{ "user_id": "test_1", "mem_cube_id": "test_1", "include_preference": "true", "page":2, "page_size":3 }`).
		ok(t, "get_memory").into(t, &got)
	if len(got.TextMem) != 1 || got.TextMem[0].CubeID != "test_1" || *got.TextMem[0].Total != 7 || len(got.TextMem[0].Memories) != 3 {
		t.Fatalf("get_memory page 2: %+v", got.TextMem)
	}
	if m := got.TextMem[0].Memories; !strings.Contains(m[0].Memory, "number 3") || !strings.Contains(m[2].Memory, "number 1") ||
		m[0].RefID != "["+strings.Split(m[0].ID, "-")[0]+"]" || m[0].Metadata["status"] != "activated" {
		t.Fatalf("page 2 is not items 4–6 newest first: %+v", m)
	}

	// 5. search with dedup sim.
	var found struct {
		TextMem    productGroups `json:"text_mem"`
		PrefMem    productGroups `json:"pref_mem"`
		PrefString string        `json:"pref_string"`
	}
	rest(t, "POST", s.base()+"/product/search", "", `{ "user_id": "memos_user_123", "query": "我喜欢吃什么?", "top_k": 10, "dedup": "sim" }`).
		ok(t, "search").into(t, &found)
	if len(found.TextMem[0].Memories) == 0 || len(found.PrefMem[0].Memories) == 0 || !strings.Contains(found.PrefString, "Explicit Preference:") {
		t.Fatalf("search: %+v", found)
	}
	if _, ok := found.TextMem[0].Memories[0].Metadata["relativity"].(float64); !ok {
		t.Fatalf("a search hit has no relativity: %+v", found.TextMem[0].Memories[0].Metadata)
	}

	// 3.2 feedback curl: queued by default (MemOS's async), then applied.
	fb := rest(t, "POST", s.base()+"/product/feedback", "", `{ "user_id": "memos_user_123", "writable_cube_ids": [ "memos_user_123" ], "history": [ {"role": "user", "content": "我喜欢什么水果,不喜欢什么水果"}, {"role": "assistant", "content": "你喜欢苹果,不喜欢香蕉"} ], "feedback_content": "错了,实际上我喜欢的是山竹" }`).
		ok(t, "feedback")
	if fb.TaskID == "" {
		t.Fatalf("feedback: %s", fb.Raw)
	}
	waitREST(t, s.base()+"/product/get_status", "", fb.TaskID)
	rest(t, "POST", s.base()+"/product/search", "", `{ "user_id": "memos_user_123", "query": "我喜欢什么水果", "search_memory_type": "PreferenceMemory" }`).
		ok(t, "search").into(t, &found)
	prefs := map[string]bool{}
	for _, m := range found.PrefMem[0].Memories {
		prefs[m.Metadata["preference"].(string)] = true
	}
	if !prefs["用户喜欢山竹"] || prefs["用户喜欢吃苹果"] || len(found.TextMem[0].Memories) != 0 {
		t.Fatalf("after feedback: preferences %v, %d facts", prefs, len(found.TextMem[0].Memories))
	}

	// One memory by id; then delete it and it is gone.
	id := got.TextMem[0].Memories[0].ID
	var one struct {
		ID string `json:"id"`
	}
	rest(t, "GET", s.base()+"/product/get_memory/"+id, "", "").ok(t, "get_memory/{id}").into(t, &one)
	if one.ID != id {
		t.Fatalf("get_memory/%s returned %s", id, one.ID)
	}
	rest(t, "POST", s.base()+"/product/delete_memory", "", `{"memory_ids": ["`+id+`"]}`).ok(t, "delete_memory")
	if r := rest(t, "GET", s.base()+"/product/get_memory/"+id, "", ""); r.Status != 404 || !strings.Contains(r.Message, "not found") {
		t.Fatalf("a deleted memory: %d %s", r.Status, r.Raw)
	}

	// Mistakes name the field and the fix.
	for _, tc := range []struct{ path, body, want string }{
		{"/product/search", `{"user_id": "u", "qurey": "tea"}`, `did you mean \"query\"`},
		{"/product/search", `{"user_id": "u", "query": "tea", "dedup": "fuzzy"}`, "dedup"},
		{"/product/add", `{"user_id": "u", "messages": [{"role": "bot", "content": "x"}]}`, "messages[0].role"},
		{"/product/get_memory", `{"user_id": "u", "page": "two"}`, "page"},
		{"/product/delete_memory", `{}`, "memory_ids"},
		{"/product/add", `not json`, "send an object"},
	} {
		r := rest(t, "POST", s.base()+tc.path, "", tc.body)
		if r.Status != 400 || r.Code != 400 || !strings.Contains(r.Raw, tc.want) {
			t.Errorf("%s %s: %d %s; want 400 mentioning %q", tc.path, tc.body, r.Status, r.Raw, tc.want)
		}
	}
	// A body over the limit is refused with 413, and nothing is stored.
	big := `{"user_id": "big", "messages": "` + strings.Repeat("a", 5<<20) + `"}`
	if r := rest(t, "POST", s.base()+"/product/add", "", big); r.Status != 413 || !strings.Contains(r.Message, "larger than") {
		t.Fatalf("a 5 MiB body: %d %.200s", r.Status, r.Raw)
	}
}

// authCase is one route or tool called as someone.
type authCase struct {
	name string
	call func(key string) int // the HTTP status, or for tools 200/401/403 derived from the result
}

// TestAuthMatrix: no key, a wrong key, another user's key and the admin key, on every route and
// every tool.
func TestAuthMatrix(t *testing.T) {
	const (
		aliceKey = "alice-key-0123456789"
		bobKey   = "bob-key-0123456789ab"
		adminKey = "admin-key-0123456789"
	)
	s := startHTTP(t, t.TempDir(), "MEMOS_API_KEYS="+aliceKey+"=alice;"+bobKey+"=bob;"+adminKey+"=*")
	base := s.base()
	// bob's memories and task, made with bob's key.
	var added struct {
		Data []struct {
			MemoryID string `json:"memory_id"`
		} `json:"data"`
	}
	r := rest(t, "POST", base+"/product/add", bobKey, `{"user_id": "bob", "messages": "I like black coffee", "async_mode": "async"}`).ok(t, "bob's add")
	if err := json.Unmarshal([]byte(r.Raw), &added); err != nil || len(added.Data) == 0 || r.TaskID == "" {
		t.Fatalf("bob's add: %s", r.Raw)
	}
	bobMemory, bobTask := added.Data[0].MemoryID, r.TaskID

	post := func(path, body string) func(string) int {
		return func(key string) int { return rest(t, "POST", base+path, key, body).Status }
	}
	get := func(path string) func(string) int {
		return func(key string) int { return rest(t, "GET", base+path, key, "").Status }
	}
	cases := []authCase{
		{"product/add", post("/product/add", `{"user_id": "bob", "messages": "hello", "async_mode": "sync"}`)},
		{"product/search", post("/product/search", `{"user_id": "bob", "query": "coffee"}`)},
		{"product/get_memory", post("/product/get_memory", `{"user_id": "bob", "mem_cube_id": "bob"}`)},
		{"product/get_memory/{id}", get("/product/get_memory/" + bobMemory)},
		{"product/delete_memory by user", post("/product/delete_memory", `{"user_id": "bob", "expired_only": true}`)},
		{"product/delete_memory by id", post("/product/delete_memory", `{"memory_ids": ["`+bobMemory+`"]}`)},
		{"product/feedback", post("/product/feedback", `{"user_id": "bob", "feedback_content": "I like tea now", "async_mode": "sync"}`)},
		{"product/chat/complete", post("/product/chat/complete", `{"user_id": "bob", "query": "hi"}`)},
		{"product/chat/stream", post("/product/chat/stream", `{"user_id": "bob", "query": "hi"}`)},
		{"product/get_status", post("/product/get_status", `{"task_id": "`+bobTask+`"}`)},
		{"add/message", post("/add/message", `{"user_id": "bob", "messages": "hello", "async_mode": false}`)},
		{"search/memory", post("/search/memory", `{"user_id": "bob", "query": "coffee"}`)},
		{"get/memory", post("/get/memory", `{"user_id": "bob"}`)},
		{"delete/memory by user", post("/delete/memory", `{"user_id": "bob", "expired_only": true}`)},
		{"delete/memory by id", post("/api/openmem/v1/delete/memory", `{"memory_ids": ["`+bobMemory+`"]}`)},
		{"add/feedback", post("/add/feedback", `{"user_id": "bob", "feedback_content": "I like tea now", "async_mode": false}`)},
		{"get/status", post("/get/status", `{"task_id": "`+bobTask+`"}`)},
		{"chat", post("/chat", `{"user_id": "bob", "query": "hi"}`)},
	}
	for _, tool := range []struct {
		name string
		args map[string]any
	}{
		{"add_message", map[string]any{"user_id": "bob", "messages": []any{msg("user", "hello")}}},
		{"search_memory", map[string]any{"user_id": "bob", "query": "coffee"}},
		{"get_memory", map[string]any{"user_id": "bob"}},
		{"delete_memory", map[string]any{"memory_ids": []string{bobMemory}}},
		{"add_feedback", map[string]any{"user_id": "bob", "feedback_content": "I like tea now"}},
		{"chat", map[string]any{"user_id": "bob", "query": "hi"}},
		{"get_task_status", map[string]any{"task_id": bobTask}},
	} {
		cases = append(cases, authCase{"tool " + tool.name, func(key string) int { return mcpStatus(t, s.url, key, tool.name, tool.args) }})
	}

	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := c.call(""); got != 401 {
				t.Errorf("no key: %d, want 401", got)
			}
			if got := c.call("wrong-key-0123456789"); got != 401 {
				t.Errorf("a wrong key: %d, want 401", got)
			}
			if got := c.call(aliceKey); got != 403 {
				t.Errorf("alice's key on bob's memories: %d, want 403", got)
			}
		})
	}
	// Nothing of bob's was touched by the refused calls.
	var bobPage struct {
		TextMem productGroups `json:"text_mem"`
		PrefMem productGroups `json:"pref_mem"`
	}
	rest(t, "POST", base+"/product/get_memory", bobKey, `{"user_id": "bob"}`).ok(t, "bob's list").into(t, &bobPage)
	if *bobPage.TextMem[0].Total+*bobPage.PrefMem[0].Total == 0 || rest(t, "GET", base+"/product/get_memory/"+bobMemory, bobKey, "").Status != 200 {
		t.Fatalf("bob's memories changed under refused calls: %+v", bobPage)
	}
	// The admin key and bob's own key pass every case (a model-less chat is 503, not 401/403).
	for _, key := range []string{adminKey, bobKey} {
		for _, c := range cases {
			if got := c.call(key); got == 401 || got == 403 {
				t.Errorf("%s with %s: %d", c.name, key[:5], got)
			}
		}
	}

	// A single-user key names its user when a call names none.
	var who struct {
		Data struct {
			Auth  bool     `json:"auth"`
			Users []string `json:"users"`
		} `json:"data"`
	}
	_ = json.Unmarshal([]byte(rest(t, "GET", base+"/api/whoami", aliceKey, "").ok(t, "whoami").Raw), &who)
	if !who.Data.Auth || len(who.Data.Users) != 1 || who.Data.Users[0] != "alice" {
		t.Fatalf("whoami: %+v", who)
	}
	rest(t, "POST", base+"/product/add", aliceKey, `{"messages": "I like green tea", "async_mode": "sync"}`).ok(t, "alice's add without user_id")
	var alicePage struct {
		TextMem productGroups `json:"text_mem"`
	}
	rest(t, "POST", base+"/product/get_memory", aliceKey, `{}`).ok(t, "alice's list").into(t, &alicePage)
	if alicePage.TextMem[0].CubeID != "alice" || *alicePage.TextMem[0].Total != 1 {
		t.Fatalf("alice's memories: %+v", alicePage.TextMem)
	}

	// Public and admin-only routes.
	if r := rest(t, "GET", base+"/healthz", "", ""); r.Status != 200 {
		t.Fatalf("healthz without a key: %d", r.Status)
	}
	if r := rest(t, "GET", base+"/playground/", "", ""); r.Status != 200 || !strings.Contains(r.Raw, "<html") {
		t.Fatalf("the playground page without a key: %d", r.Status)
	}
	if got := rest(t, "GET", base+"/metrics", aliceKey, "").Status; got != 403 {
		t.Fatalf("metrics with a user key: %d", got)
	}
	metrics := rest(t, "GET", base+"/metrics", adminKey, "")
	for _, want := range []string{
		`memos_tool_call_duration_seconds_count{tool="search_memory",outcome="error"}`,
		`memos_http_request_duration_seconds_count{route="/product/add",code="200"}`,
		`memos_http_request_duration_seconds_count{route="/product/search",code="403"}`,
		"memos_memories ", "memos_queue_depth ",
	} {
		if metrics.Status != 200 || !strings.Contains(metrics.Raw, want) {
			t.Errorf("metrics lack %q:\n%.3000s", want, metrics.Raw)
		}
	}
}

// mcpStatus calls a tool over MCP with a key and maps the outcome to a status: 401 when the
// connection is refused, 403 for a Forbidden tool error, else 200.
func mcpStatus(t *testing.T, url, key, tool string, args map[string]any) int {
	t.Helper()
	var opts []transport.StreamableHTTPCOption
	if key != "" {
		opts = append(opts, transport.WithHTTPHeaders(map[string]string{"Authorization": "Bearer " + key}))
	}
	c, err := client.NewStreamableHttpClient(url, opts...)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := c.Start(ctx); err != nil {
		t.Fatal(err)
	}
	var init mcp.InitializeRequest
	init.Params.ClientInfo = mcp.Implementation{Name: "auth-test", Version: "1"}
	if _, err := c.Initialize(ctx, init); err != nil {
		if strings.Contains(err.Error(), "401") || strings.Contains(err.Error(), "authorization required") || strings.Contains(err.Error(), "nauthorized") {
			return 401
		}
		t.Fatalf("initialize: %v", err)
	}
	var req mcp.CallToolRequest
	req.Params.Name, req.Params.Arguments = tool, args
	res, err := c.CallTool(ctx, req)
	if err != nil {
		t.Fatalf("%s: %v", tool, err)
	}
	if res.IsError && strings.HasPrefix(resultText(res), "Forbidden:") {
		return 403
	}
	return 200
}

// TestChatStreamWithoutModel: /product/chat/stream without a model fails before any event is
// sent, so the failure is a plain 503 envelope rather than a broken stream.
func TestChatStreamWithoutModel(t *testing.T) {
	s := startHTTP(t, t.TempDir())
	r := rest(t, "POST", s.base()+"/product/chat/stream", "", `{"user_id": "u", "query": "hi"}`)
	if r.Status != 503 || !strings.Contains(r.Message, "generation model") {
		t.Fatalf("chat/stream without a model: %d %s", r.Status, r.Raw)
	}
}

// sseEvents reads a server-sent event stream into its data payloads.
func sseEvents(t *testing.T, body io.Reader) []map[string]any {
	t.Helper()
	var events []map[string]any
	sc := bufio.NewScanner(body)
	for sc.Scan() {
		line, ok := strings.CutPrefix(sc.Text(), "data: ")
		if !ok {
			continue
		}
		var e map[string]any
		if err := json.Unmarshal([]byte(line), &e); err != nil {
			t.Fatalf("event %q: %v", line, err)
		}
		events = append(events, e)
	}
	return events
}
