package tools_test

// Memory intelligence through the MCP tools: feedback (by rule and by model), conflicts on add,
// filters, expiry and durable async work.

import (
	"strings"
	"testing"
	"time"

	"github.com/memos-mcp/memos-mcp/internal/llmtest"
	"github.com/memos-mcp/memos-mcp/memstore"
)

func msg(role, content string) map[string]any {
	return map[string]any{"role": role, "content": content}
}

// statuses maps each of the user's preference sentences to its status.
func statuses(t *testing.T, h harness, userID string) map[string]memstore.Status {
	t.Helper()
	var page memstore.ListResult
	structured(t, h.call(t, "get_memory", map[string]any{"user_id": userID, "include_archived": true, "page_size": 100}), &page)
	out := map[string]memstore.Status{}
	for _, p := range page.Preferences {
		out[p.Preference] = p.Status
	}
	return out
}

func TestMangosteenThroughMCP(t *testing.T) {
	history := []any{msg("user", "我喜欢什么水果,不喜欢什么水果"), msg("assistant", "你喜欢苹果,不喜欢香蕉")}
	t.Run("by rule", func(t *testing.T) {
		h := newHarness(t)
		h.call(t, "add_message", map[string]any{"user_id": "memos_user_123", "messages": []any{msg("user", "我喜欢吃苹果,不喜欢香蕉")}})
		var fb memstore.FeedbackResult
		res := h.call(t, "add_feedback", map[string]any{"user_id": "memos_user_123", "feedback_content": "错啦,实际上我喜欢的是山竹", "history": history})
		structured(t, res, &fb)
		if len(fb.Updated) != 1 || fb.Updated[0].PreviousMemory != "用户喜欢吃苹果" || fb.Updated[0].Memory != "用户喜欢山竹" {
			t.Fatalf("feedback %+v", fb)
		}
		if !strings.Contains(text(res), "用户喜欢山竹") || !strings.Contains(text(res), "用户喜欢吃苹果") {
			t.Fatalf("the text must show old and new: %s", text(res))
		}
		st := statuses(t, h, "memos_user_123")
		if st["用户喜欢吃苹果"] != memstore.StatusArchived || st["用户喜欢山竹"] != memstore.StatusActivated || st["用户不喜欢香蕉"] != memstore.StatusActivated {
			t.Fatalf("statuses %v", st)
		}
	})
	t.Run("by model", func(t *testing.T) {
		llm := &llmtest.Scripted{
			Judge: `{"items":[{"validity":true,"user_attitude":"dissatisfied","corrected_info":"用户喜欢山竹","key":"水果","tags":[],"is_preference":true}]}`,
			Ops:   `{"operations":[{"operation":"UPDATE","id":"m1","text":"用户喜欢吃山竹","old_memory":"用户喜欢吃苹果"}]}`,
		}
		h := newHarnessWith(t, llm)
		h.call(t, "add_message", map[string]any{"user_id": "memos_user_123", "mode": "fast", "messages": []any{msg("user", "我喜欢吃苹果")}})
		var fb memstore.FeedbackResult
		structured(t, h.call(t, "add_feedback", map[string]any{"user_id": "memos_user_123", "feedback_content": "错啦,实际上我喜欢的是山竹", "history": history}), &fb)
		if len(fb.Updated) != 1 || fb.Updated[0].PreviousMemory != "用户喜欢吃苹果" || fb.Updated[0].Memory != "用户喜欢吃山竹" {
			t.Fatalf("feedback %+v (model asked %d times)", fb, len(llm.Judgements))
		}
		st := statuses(t, h, "memos_user_123")
		if st["用户喜欢吃苹果"] != memstore.StatusArchived || st["用户喜欢吃山竹"] != memstore.StatusActivated {
			t.Fatalf("statuses %v", st)
		}
	})
}

func TestConflictsOnAddThroughMCP(t *testing.T) {
	h := newHarness(t)
	h.call(t, "add_message", map[string]any{"user_id": "u", "messages": []any{msg("user", "I like apples")}})
	var res memstore.AddResult
	r := h.call(t, "add_message", map[string]any{"user_id": "u", "messages": []any{msg("user", "I don't like apples anymore")}})
	structured(t, r, &res)
	if len(res.Updated) != 1 || res.Updated[0].PreviousMemory != "The user likes apples" || !strings.Contains(text(r), "Supersedes") {
		t.Fatalf("add: %+v\n%s", res, text(r))
	}
	if st := statuses(t, h, "u"); st["The user likes apples"] != memstore.StatusArchived {
		t.Fatalf("statuses %v", st)
	}
}

func TestFiltersTTLAndExpiredOnlyThroughMCP(t *testing.T) {
	h := newHarness(t)
	h.call(t, "add_message", map[string]any{"user_id": "u", "tags": []any{"work"}, "info": map[string]any{"date": "2025-03-01"},
		"messages": []any{msg("user", "Met the design team in Berlin")}})
	h.call(t, "add_message", map[string]any{"user_id": "u", "tags": []any{"travel"}, "info": map[string]any{"date": "2025-07-15"},
		"messages": []any{msg("user", "Flew to Berlin for a holiday")}})
	r := h.call(t, "add_message", map[string]any{"user_id": "u", "ttl": "1s", "messages": []any{msg("user", "Berlin hotel room 512")}})
	var short memstore.AddResult
	structured(t, r, &short)

	var found memstore.SearchResult
	structured(t, h.call(t, "search_memory", map[string]any{"user_id": "u", "query": "Berlin",
		"filter": map[string]any{"and": []any{map[string]any{"tags": map[string]any{"contains": "travel"}}, map[string]any{"info.date": map[string]any{"gte": "2025-06-01"}}}}}), &found)
	if len(found.Memories) != 1 || !strings.Contains(found.Memories[0].Content, "holiday") {
		t.Fatalf("filtered search: %+v", found.Memories)
	}
	var page memstore.ListResult
	structured(t, h.call(t, "get_memory", map[string]any{"user_id": "u", "filter": map[string]any{"tags": "work"}}), &page)
	if page.MemoriesTotal != 1 {
		t.Fatalf("filtered listing: %+v", page)
	}
	if res := h.call(t, "search_memory", map[string]any{"user_id": "u", "query": "x", "filter": map[string]any{"colour": "red"}}); !res.IsError ||
		!strings.Contains(text(res), "filter.colour") {
		t.Fatalf("a bad filter must name the spot: %s", text(res))
	}

	// The ttl memory expires: no longer recalled, listed with include_expired and marked, then
	// removed with one call.
	time.Sleep(1100 * time.Millisecond)
	structured(t, h.call(t, "search_memory", map[string]any{"user_id": "u", "query": "hotel room 512"}), &found)
	for _, m := range found.Memories {
		if strings.Contains(m.Content, "512") {
			t.Fatal("an expired memory was recalled")
		}
	}
	structured(t, h.call(t, "get_memory", map[string]any{"user_id": "u", "include_expired": true}), &page)
	expired := 0
	for _, m := range page.Memories {
		if m.Expired {
			expired++
		}
	}
	if expired != 1 || !strings.Contains(text(h.call(t, "get_memory", map[string]any{"user_id": "u", "include_expired": true})), "expired") {
		t.Fatalf("expired memories listed: %d", expired)
	}
	var del memstore.DeleteResult
	structured(t, h.call(t, "delete_memory", map[string]any{"user_id": "u", "expired_only": true}), &del)
	if del.DeletedCount != len(short.Memories) {
		t.Fatalf("expired_only deleted %+v, want the %d expired", del, len(short.Memories))
	}
	structured(t, h.call(t, "delete_memory", map[string]any{"user_id": "u", "filter": map[string]any{"tags": "travel"}}), &del)
	if del.DeletedCount != 1 {
		t.Fatalf("delete by filter: %+v", del)
	}
	structured(t, h.call(t, "get_memory", map[string]any{"user_id": "u", "include_expired": true}), &page)
	if page.MemoriesTotal != 1 {
		t.Fatalf("left: %+v", page.Memories)
	}
}

func TestAsyncAndTaskStatusThroughMCP(t *testing.T) {
	llm := &llmtest.Scripted{Extraction: `{"memory_list":[{"key":"home","memory_type":"UserMemory","value":"The user lives in Berlin.","tags":["home"]}],"explicit_preferences":[],"implicit_preferences":[],"summary":"s"}`}
	h := newHarnessWith(t, llm)
	var res memstore.AddResult
	r := h.call(t, "add_message", map[string]any{"user_id": "u", "async_mode": "async", "messages": []any{msg("user", "I live in Berlin"), msg("assistant", "Nice")}})
	structured(t, r, &res)
	if res.TaskID == "" || len(res.Memories) == 0 || !strings.Contains(text(r), res.TaskID) {
		t.Fatalf("async add: %+v", res)
	}
	var task memstore.Task
	deadline := time.Now().Add(10 * time.Second)
	for {
		structured(t, h.call(t, "get_task_status", map[string]any{"task_id": res.TaskID}), &task)
		if task.Status == memstore.TaskDone || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if task.Status != memstore.TaskDone || len(task.MemoryIDs) != 1 || task.Kind != memstore.TaskRefine {
		t.Fatalf("task %+v", task)
	}
	var page memstore.ListResult
	structured(t, h.call(t, "get_memory", map[string]any{"user_id": "u"}), &page)
	if page.MemoriesTotal != 1 || page.Memories[0].Content != "The user lives in Berlin." {
		t.Fatalf("after refinement: %+v", page.Memories)
	}
	for args, want := range map[string]string{"nope": "task_id", "6b23b583-f4c4-4a8f-b345-58d0c48fea04": "no task"} {
		if res := h.call(t, "get_task_status", map[string]any{"task_id": args}); !res.IsError || !strings.Contains(text(res), want) {
			t.Errorf("get_task_status(%s): %s", args, text(res))
		}
	}
	// A query rewritten by the model (search mode fine).
	llm.Mu.Lock()
	llm.Rewrite = `{"query":"where the user lives"}`
	llm.Mu.Unlock()
	var found memstore.SearchResult
	structured(t, h.call(t, "search_memory", map[string]any{"user_id": "u", "query": "and where was that again?", "mode": "fine"}), &found)
	if len(found.Memories) != 1 || len(found.Notes) != 0 {
		t.Fatalf("fine search: %+v", found)
	}
}
