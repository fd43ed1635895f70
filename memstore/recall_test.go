package memstore_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/memos-mcp/memos-mcp/internal/llmtest"
	"github.com/memos-mcp/memos-mcp/memstore"
	"github.com/memos-mcp/memos-mcp/memstore/builtin"
)

// fruitConversation is the seed scenario's conversation, one turn per add as an agent would send it.
var fruitConversation = [][]memstore.Message{
	{user("我喜欢吃苹果"), assistant("苹果很健康")},
	{user("我不喜欢香蕉"), assistant("好的,记住了")},
	{user("我喜欢吃苹果,尤其是红富士"), assistant("红富士很甜")},
	{user("我喜欢吃苹果,尤其是红富士苹果"), assistant("红富士很甜")},
	{user("夏天我喜欢吃西瓜"), assistant("西瓜很解渴")},
	{user("我喜欢吃草莓蛋糕"), assistant("草莓蛋糕很好吃")},
	{user("今天去了超市买水果"), assistant("买了什么?")},
	{user("买了葡萄和橙子"), assistant("不错")},
}

func seedFruit(t *testing.T, e env, userID string) {
	t.Helper()
	for _, turn := range fruitConversation {
		e.add(t, memstore.AddRequest{UserID: userID, ConversationID: "fruit", Messages: turn})
	}
}

func (e env) search(t *testing.T, req memstore.SearchRequest) memstore.SearchResult {
	t.Helper()
	res, err := e.core.Search(context.Background(), req)
	if err != nil {
		t.Fatalf("Search: %v", err)
	}
	return res
}

func maxPairCosine(hits []memstore.SearchHit) float64 {
	emb := builtin.Embedder{}
	best := -1.0
	for i := range hits {
		for j := i + 1; j < len(hits); j++ {
			c := memstore.Cosine(emb.Vector(hits[i].Content), emb.Vector(hits[j].Content))
			best = max(best, c)
		}
	}
	return best
}

func TestSearchRanksAndScores(t *testing.T) {
	e := newEnv(t, nil)
	seedFruit(t, e, "memos_user_123")
	e.add(t, memstore.AddRequest{UserID: "someone_else", Messages: []memstore.Message{user("我喜欢吃苹果")}})

	res := e.search(t, memstore.SearchRequest{UserID: "memos_user_123", Query: "我喜欢吃什么?"})
	if len(res.Memories) == 0 || len(res.Preferences) == 0 {
		t.Fatalf("nothing recalled: %+v", res)
	}
	for i, h := range res.Memories {
		if h.UserID != "memos_user_123" {
			t.Fatalf("recalled another user's memory %+v", h)
		}
		// Results are ranked by fusing vector and keyword (BM25) ranks; the reported score is the cosine.
		if h.Score <= 0 || h.Score > 1.0001 {
			t.Fatalf("result %d: score %v not in (0,1]: %v", i, h.Score, scores(res.Memories))
		}
	}
	if !strings.Contains(res.Memories[0].Content, "喜欢吃") {
		t.Fatalf("best fact %q does not match the query", res.Memories[0].Content)
	}
	top := e.search(t, memstore.SearchRequest{UserID: "memos_user_123", Query: "我喜欢吃什么?", TopK: ptr(2), PrefTopK: ptr(1)})
	if len(top.Memories) != 2 || len(top.Preferences) != 1 {
		t.Fatalf("top_k 2 / pref_top_k 1 gave %d / %d", len(top.Memories), len(top.Preferences))
	}
	noPref := e.search(t, memstore.SearchRequest{UserID: "memos_user_123", Query: "我喜欢吃什么?", IncludePreference: ptr(false)})
	if len(noPref.Preferences) != 0 {
		t.Fatal("include_preference false still returned preferences")
	}
	high := e.search(t, memstore.SearchRequest{UserID: "memos_user_123", Query: "我喜欢吃什么?", Relativity: ptr(0.5)})
	for _, h := range append(high.Memories, high.Preferences...) {
		if h.Score < 0.5 {
			t.Fatalf("relativity 0.5 let through score %v", h.Score)
		}
	}
	if len(high.Memories) >= len(res.Memories) {
		t.Fatalf("relativity 0.5 dropped nothing (%d vs %d); the test data should have weak matches", len(high.Memories), len(res.Memories))
	}
	none := e.search(t, memstore.SearchRequest{UserID: "memos_user_123", Query: "quantum chromodynamics"})
	if len(none.Memories) != 0 {
		t.Fatalf("a query sharing nothing returned %d memories", len(none.Memories))
	}
}

func scores(hits []memstore.SearchHit) []float64 {
	out := make([]float64, len(hits))
	for i, h := range hits {
		out[i] = h.Score
	}
	return out
}

func TestSearchDedupStrategies(t *testing.T) {
	e := newEnv(t, nil)
	seedFruit(t, e, "memos_user_123")
	// The same text in two cubes is stored twice (cubes are separate namespaces); a search over all
	// cubes sees an exact duplicate.
	e.add(t, memstore.AddRequest{UserID: "memos_user_123", CubeID: "work", Messages: []memstore.Message{user("我喜欢吃苹果"), assistant("苹果很健康")}})
	q := "我喜欢吃什么?"

	noDedup := e.search(t, memstore.SearchRequest{UserID: "memos_user_123", Query: q, Dedup: "no"})
	exact := e.search(t, memstore.SearchRequest{UserID: "memos_user_123", Query: q})
	if countText(noDedup.Memories, "user: 我喜欢吃苹果\nassistant: 苹果很健康") != 2 {
		t.Fatalf("dedup no should keep both copies: %v", texts(noDedup.Memories))
	}
	if countText(exact.Memories, "user: 我喜欢吃苹果\nassistant: 苹果很健康") != 1 {
		t.Fatalf("default dedup should keep one copy: %v", texts(exact.Memories))
	}
	if maxPairCosine(noDedup.Memories) <= 0.92 {
		t.Fatalf("test data must contain near-duplicates, max pair cosine %.3f", maxPairCosine(noDedup.Memories))
	}
	sim := e.search(t, memstore.SearchRequest{UserID: "memos_user_123", Query: q, Dedup: "sim"})
	if len(sim.Memories) == 0 {
		t.Fatal("sim returned nothing")
	}
	if c := maxPairCosine(sim.Memories); c > 0.92 {
		t.Fatalf("sim returned near-duplicates (cosine %.3f): %v", c, texts(sim.Memories))
	}
	// More relevant wins: sim's first result is the overall best result.
	if sim.Memories[0].ID != exact.Memories[0].ID {
		t.Fatalf("sim dropped the most relevant memory: %q vs %q", sim.Memories[0].Content, exact.Memories[0].Content)
	}
	mmr := e.search(t, memstore.SearchRequest{UserID: "memos_user_123", Query: q, Dedup: "mmr", TopK: ptr(4)})
	if len(mmr.Memories) == 0 || len(mmr.Memories) > 4 || countText(mmr.Memories, "user: 我喜欢吃苹果\nassistant: 苹果很健康") > 1 {
		t.Fatalf("mmr: %v", texts(mmr.Memories))
	}
	for i := 1; i < len(mmr.Memories); i++ {
		if mmr.Memories[i].Score > mmr.Memories[i-1].Score {
			t.Fatalf("mmr results must come back sorted by relevance: %v", scores(mmr.Memories))
		}
	}
	_, err := e.core.Search(context.Background(), memstore.SearchRequest{UserID: "memos_user_123", Query: q, Dedup: "fuzzy"})
	var fe *memstore.FieldError
	if !errors.As(err, &fe) || fe.Field != "dedup" {
		t.Fatalf("unknown dedup: %v", err)
	}
}

func countText(hits []memstore.SearchHit, text string) int {
	n := 0
	for _, h := range hits {
		if h.Content == text {
			n++
		}
	}
	return n
}

func texts(hits []memstore.SearchHit) []string {
	out := make([]string, len(hits))
	for i, h := range hits {
		out[i] = h.Text()
	}
	return out
}

func TestSearchValidation(t *testing.T) {
	e := newEnv(t, nil)
	tests := []struct {
		name  string
		req   memstore.SearchRequest
		field string
	}{
		{"missing query", memstore.SearchRequest{UserID: "u"}, "query"},
		{"blank query", memstore.SearchRequest{UserID: "u", Query: "   "}, "query"},
		{"top_k 0", memstore.SearchRequest{UserID: "u", Query: "x", TopK: ptr(0)}, "top_k"},
		{"top_k too big", memstore.SearchRequest{UserID: "u", Query: "x", TopK: ptr(1000)}, "top_k"},
		{"negative pref_top_k", memstore.SearchRequest{UserID: "u", Query: "x", PrefTopK: ptr(-1)}, "pref_top_k"},
		{"relativity above 1", memstore.SearchRequest{UserID: "u", Query: "x", Relativity: ptr(1.5)}, "relativity"},
		{"bad cube", memstore.SearchRequest{UserID: "u", Query: "x", CubeIDs: []string{""}}, "mem_cube_ids[0]"},
		{"bad mode", memstore.SearchRequest{UserID: "u", Query: "x", Mode: "mixture"}, "mode"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e.core.Search(context.Background(), tt.req)
			var fe *memstore.FieldError
			if !errors.As(err, &fe) || fe.Field != tt.field {
				t.Fatalf("err = %v, want FieldError on %s", err, tt.field)
			}
		})
	}
}

func TestFeedbackReplacesPreference(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	e.add(t, memstore.AddRequest{UserID: "memos_user_123", Messages: []memstore.Message{user("我喜欢吃苹果,不喜欢香蕉")}})
	before := e.list(t, memstore.ListRequest{UserID: "memos_user_123"})
	var apple, banana memstore.ListedMemory
	for _, p := range before.Preferences {
		switch p.Key {
		case "苹果":
			apple = p
		case "香蕉":
			banana = p
		}
	}
	if apple.ID == "" || banana.ID == "" {
		t.Fatalf("preferences before feedback: %+v", before.Preferences)
	}

	res, err := e.core.Feedback(ctx, memstore.FeedbackRequest{
		UserID: "memos_user_123", ConversationID: "0108", FeedbackContent: "错啦,实际上我喜欢的是山竹",
		History: []memstore.Message{user("我喜欢什么水果,不喜欢什么水果"), assistant("你喜欢苹果,不喜欢香蕉")},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Updated) != 1 || len(res.Added) != 1 || !slices.Equal(res.ArchivedIDs, []string{apple.ID}) {
		t.Fatalf("feedback result %+v", res)
	}
	u := res.Updated[0]
	if u.PreviousID != apple.ID || u.PreviousMemory != "用户喜欢吃苹果" || u.Memory != "用户喜欢山竹" || u.ID != res.Added[0].ID {
		t.Fatalf("update %+v", u)
	}

	after := e.list(t, memstore.ListRequest{UserID: "memos_user_123"})
	active := map[string]bool{}
	for _, p := range after.Preferences {
		active[p.Preference] = true
	}
	if !active["用户喜欢山竹"] || active["用户喜欢吃苹果"] || !active["用户不喜欢香蕉"] {
		t.Fatalf("active preferences after feedback: %v", active)
	}
	archived := e.list(t, memstore.ListRequest{UserID: "memos_user_123", IncludeArchived: true})
	var old, replacement *memstore.ListedMemory
	for i, p := range archived.Preferences {
		switch p.ID {
		case apple.ID:
			old = &archived.Preferences[i]
		case u.ID:
			replacement = &archived.Preferences[i]
		}
	}
	if old == nil || old.Status != memstore.StatusArchived {
		t.Fatalf("the apple preference must stay, archived: %+v", old)
	}
	if replacement == nil || len(replacement.History) != 1 || replacement.History[0].ArchivedMemoryID != apple.ID ||
		replacement.History[0].Preference != "用户喜欢吃苹果" || replacement.History[0].UpdateType != memstore.UpdateFeedback ||
		replacement.Sources[0].Type != "feedback" || replacement.ConversationID != "0108" {
		t.Fatalf("replacement memory %+v", replacement)
	}
	// Search no longer recalls the archived preference.
	found := e.search(t, memstore.SearchRequest{UserID: "memos_user_123", Query: "喜欢吃苹果"})
	for _, p := range found.Preferences {
		if p.ID == apple.ID {
			t.Fatal("search recalled an archived preference")
		}
	}

	// Repeating the same correction changes nothing.
	again, err := e.core.Feedback(ctx, memstore.FeedbackRequest{UserID: "memos_user_123", FeedbackContent: "错啦,实际上我喜欢的是山竹"})
	if err != nil || len(again.Added)+len(again.Updated) != 0 || len(again.Notes) == 0 {
		t.Fatalf("repeated feedback: %+v %v", again, err)
	}
}

func TestFeedbackWithoutHistoryUsesTopic(t *testing.T) {
	e := newEnv(t, nil)
	e.add(t, memstore.AddRequest{UserID: "u", Messages: []memstore.Message{user("I like apples. I love jazz.")}})
	res, err := e.core.Feedback(context.Background(), memstore.FeedbackRequest{UserID: "u", FeedbackContent: "Wrong, actually I like mangosteen"})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Updated) != 1 || res.Updated[0].PreviousMemory != "The user likes apples" || res.Updated[0].Memory != "The user likes mangosteen" {
		t.Fatalf("feedback %+v", res)
	}
	// A change of mind about the same thing needs no correction marker.
	res, err = e.core.Feedback(context.Background(), memstore.FeedbackRequest{UserID: "u", FeedbackContent: "I don't like jazz"})
	if err != nil || len(res.Updated) != 1 || res.Updated[0].PreviousMemory != "The user loves jazz" {
		t.Fatalf("change of mind: %+v %v", res, err)
	}
	// A new preference on an unrelated topic is simply added.
	res, err = e.core.Feedback(context.Background(), memstore.FeedbackRequest{UserID: "u", FeedbackContent: "I prefer window seats"})
	if err != nil || len(res.Added) != 1 || len(res.Updated) != 0 || len(res.ArchivedIDs) != 0 {
		t.Fatalf("unrelated preference: %+v %v", res, err)
	}
}

func TestFeedbackFactAndValidation(t *testing.T) {
	e := newEnv(t, nil)
	res, err := e.core.Feedback(context.Background(), memstore.FeedbackRequest{UserID: "u", FeedbackContent: "My daughter's name is Lina",
		AllowKnowledgebaseIDs: []string{"kb1"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Added) != 1 || res.Added[0].MemoryType != memstore.UserMemory || len(res.Notes) == 0 {
		t.Fatalf("fact feedback %+v", res)
	}
	stored, _ := e.store.Get(context.Background(), []string{res.Added[0].ID})
	if len(stored) != 1 || stored[0].Info["source"] != "feedback" || stored[0].Sources[0].Type != "feedback" {
		t.Fatalf("stored feedback fact %+v", stored)
	}
	for _, tt := range []struct {
		req   memstore.FeedbackRequest
		field string
	}{
		{memstore.FeedbackRequest{UserID: "u"}, "feedback_content"},
		{memstore.FeedbackRequest{UserID: "u", FeedbackContent: "x", History: []memstore.Message{{Role: "robot", Content: "x"}}}, "history[0].role"},
		{memstore.FeedbackRequest{UserID: "u", FeedbackContent: "x", RetrievedMemoryIDs: []string{"nope"}}, "retrieved_memory_ids[0]"},
	} {
		_, err := e.core.Feedback(context.Background(), tt.req)
		var fe *memstore.FieldError
		if !errors.As(err, &fe) || fe.Field != tt.field {
			t.Errorf("Feedback(%+v) = %v, want FieldError on %s", tt.req, err, tt.field)
		}
	}
}

// scriptedLLM is the scripted model of internal/llmtest.
type scriptedLLM = llmtest.Scripted

func TestChat(t *testing.T) {
	ctx := context.Background()
	t.Run("without a model", func(t *testing.T) {
		e := newEnv(t, nil)
		_, err := e.core.Chat(ctx, memstore.ChatRequest{UserID: "u", Query: "你好"})
		if !errors.Is(err, memstore.ErrUnavailable) || !strings.Contains(err.Error(), "search_memory") {
			t.Fatalf("err = %v", err)
		}
		_, err = e.core.Chat(ctx, memstore.ChatRequest{UserID: "u"})
		if !errors.Is(err, memstore.ErrInvalid) {
			t.Fatalf("bad input must be reported before the missing model: %v", err)
		}
	})
	t.Run("with a model", func(t *testing.T) {
		llm := &scriptedLLM{Answer: "<think>用户喜欢苹果</think>推荐你试试苹果派。"}
		e := newEnv(t, llm)
		for _, turn := range fruitConversation {
			e.add(t, memstore.AddRequest{UserID: "memos_user_123", Mode: "fast", Messages: turn})
		}
		res, err := e.core.Chat(ctx, memstore.ChatRequest{UserID: "memos_user_123", ConversationID: "memos_chat_conv", Query: "你好,给我推荐美食。",
			History: []memstore.Message{user("早上好"), assistant("早上好!")}})
		if err != nil {
			t.Fatal(err)
		}
		if res.Response != "推荐你试试苹果派。" || res.Reasoning != "用户喜欢苹果" || res.ConversationID != "memos_chat_conv" || len(res.MemoriesUsed) == 0 {
			t.Fatalf("chat result %+v", res)
		}
		sent := llm.Chats[0].Messages
		if sent[0].Role != "system" || !strings.Contains(sent[0].Content, "<memories>") || !strings.Contains(sent[0].Content, "当前时间") ||
			!strings.Contains(sent[0].Content, "Preferences:") || sent[1].Content != "早上好" || sent[len(sent)-1].Content != "你好,给我推荐美食。" {
			t.Fatalf("prompt sent to the model: %+v", sent)
		}
		// The turn was remembered.
		found := e.search(t, memstore.SearchRequest{UserID: "memos_user_123", Query: "苹果派"})
		if !slices.ContainsFunc(found.Memories, func(h memstore.SearchHit) bool { return strings.Contains(h.Content, "苹果派") }) {
			t.Fatalf("the answer was not written back: %v", texts(found.Memories))
		}
		custom, err := e.core.Chat(ctx, memstore.ChatRequest{UserID: "memos_user_123", Query: "水果", SystemPrompt: "Known: {memories}", AddMessageOnAnswer: ptr(false)})
		if err != nil || !strings.HasPrefix(llm.Chats[1].Messages[0].Content, "Known: Facts:") || !strings.HasPrefix(custom.ConversationID, "conv-") {
			t.Fatalf("custom prompt: %q %+v %v", llm.Chats[1].Messages[0].Content, custom, err)
		}
	})
}

func TestCorrectionWithoutContextTargetsTheLatestOnItsTopic(t *testing.T) {
	e := newEnv(t, nil)
	e.add(t, memstore.AddRequest{UserID: "u", Messages: []memstore.Message{user("I like apples")}})
	e.add(t, memstore.AddRequest{UserID: "u", Messages: []memstore.Message{user("I also like bananas")}})
	res, err := e.core.Feedback(context.Background(), memstore.FeedbackRequest{UserID: "u", FeedbackContent: "Wrong, actually I like mangosteen"})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Updated) != 1 || res.Updated[0].PreviousMemory != "The user also likes bananas" {
		t.Fatalf("feedback archived %+v; want only the latest fruit preference", res.Updated)
	}
}
