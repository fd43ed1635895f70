package memstore_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/memos-mcp/memos-mcp/memstore"
)

const goodExtraction = `{"memory_list":[
 {"key":"Lives in Berlin","memory_type":"UserMemory","value":"The user lives in Berlin.","tags":["home","city"]},
 {"key":"Trip","memory_type":"LongTermMemory","value":"The user will fly to Paris on 2026-01-09.","tags":["travel"]},
 {"key":"empty","memory_type":"UserMemory","value":"  ","tags":[]}],
 "explicit_preferences":[{"preference":"The user prefers window seats.","context_summary":"The user asked for a window seat.","reasoning":"stated","topic":"seats"}],
 "implicit_preferences":[{"preference":"","context_summary":"x","reasoning":"x","topic":"x"}],
 "summary":"The user talked about travel."}`

func TestFineModeExtractsWithTheModel(t *testing.T) {
	llm := &scriptedLLM{Extraction: goodExtraction}
	e := newEnv(t, llm)
	res := e.add(t, memstore.AddRequest{UserID: "u", ConversationID: "c", Tags: []string{"trip"}, Messages: []memstore.Message{
		user("I live in Berlin and fly to Paris tomorrow; I prefer window seats."), assistant("Noted!")}})
	if res.Mode != memstore.ModeFine || len(llm.Extractions) != 1 {
		t.Fatalf("mode %q, %d extraction calls", res.Mode, len(llm.Extractions))
	}
	prompt := llm.Extractions[0].Messages[0].Content
	if !strings.Contains(prompt, "user [2026-01-08 09:00 UTC]: I live in Berlin") || !strings.Contains(prompt, "trip") || !strings.Contains(prompt, "third person") {
		t.Fatalf("extraction prompt:\n%s", prompt)
	}
	if len(res.Memories) != 3 {
		t.Fatalf("stored %+v", res.Memories)
	}
	got := map[string]memstore.AddedMemory{}
	for _, m := range res.Memories {
		got[m.Memory+m.Preference] = m
	}
	if m := got["The user lives in Berlin."]; m.MemoryType != memstore.UserMemory {
		t.Fatalf("fact: %+v", got)
	}
	if m := got["The user will fly to Paris on 2026-01-09."]; m.MemoryType != memstore.LongTermMemory {
		t.Fatalf("fact: %+v", got)
	}
	var pref memstore.AddedMemory
	for _, m := range res.Memories {
		if m.PreferenceType == memstore.ExplicitPreference {
			pref = m
		}
	}
	if pref.Preference != "The user prefers window seats." || pref.Memory != "The user asked for a window seat." {
		t.Fatalf("preference %+v", pref)
	}
	stored, _ := e.store.Get(context.Background(), []string{pref.ID, got["The user lives in Berlin."].ID})
	if len(stored) != 2 || stored[0].Reasoning != "stated" || stored[0].Topic != "seats" || stored[1].Background != "The user talked about travel." ||
		strings.Join(stored[1].Tags, ",") != "home,city,trip" || len(stored[1].Sources) != 2 {
		t.Fatalf("stored memories %+v", stored)
	}
	if len(res.Notes) != 1 || !strings.Contains(res.Notes[0], "2 extracted entries were unusable") {
		t.Fatalf("notes %q", res.Notes)
	}
}

func TestFineModeFallsBackAndSaysWhy(t *testing.T) {
	tests := []struct {
		name string
		llm  *scriptedLLM
		note string
	}{
		{"not JSON", &scriptedLLM{Extraction: "F@hbAMQ3g;|O(:^$ garbage"}, "no JSON object"},
		{"broken JSON", &scriptedLLM{Extraction: `{"memory_list": [{"key": "a", "value": "b"`}, "no JSON object"},
		{"wrong shape", &scriptedLLM{Extraction: `{"memory_list": "nothing"}`}, "not a list"},
		{"model down", &scriptedLLM{Err: memstore.Unavailable("Ollama is not reachable at http://127.0.0.1:1")}, "not reachable"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, tt.llm)
			res := e.add(t, memstore.AddRequest{UserID: "u", Messages: []memstore.Message{user("I like apples"), assistant("ok")}})
			if res.Mode != memstore.ModeFine || len(res.Notes) != 1 || !strings.Contains(res.Notes[0], "fast mode") || !strings.Contains(res.Notes[0], tt.note) {
				t.Fatalf("result %+v", res)
			}
			// The conversation is kept verbatim, and its preference found by rule.
			if len(res.Memories) != 2 || res.Memories[0].Memory != "user: I like apples\nassistant: ok" || res.Memories[1].Preference != "The user likes apples" {
				t.Fatalf("fallback stored %+v", res.Memories)
			}
		})
	}
}

func TestFineModeNothingWorthRemembering(t *testing.T) {
	e := newEnv(t, &scriptedLLM{})
	res := e.add(t, memstore.AddRequest{UserID: "u", ConversationID: "c", Messages: []memstore.Message{user("hi"), assistant("hello")}})
	if len(res.Memories) != 0 || len(res.Notes) != 1 || !strings.Contains(res.Notes[0], "nothing worth remembering") {
		t.Fatalf("result %+v", res)
	}
	// The words are not lost: the conversation's transcript has them.
	msgs, err := e.store.RecentMessages(context.Background(), "u", "c", 10)
	if err != nil || len(msgs) != 2 || msgs[0].Content != "hi" {
		t.Fatalf("transcript %+v %v", msgs, err)
	}
}

func TestChatContinuesAConversationFromItsTranscript(t *testing.T) {
	llm := &scriptedLLM{Answer: "Paris is lovely in spring."}
	e := newEnv(t, llm)
	ctx := context.Background()
	e.add(t, memstore.AddRequest{UserID: "u", ConversationID: "trip", Mode: "fast", Messages: []memstore.Message{user("I am planning a trip"), assistant("Where to?")}})
	if _, err := e.core.Chat(ctx, memstore.ChatRequest{UserID: "u", ConversationID: "trip", Query: "To Paris"}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.core.Chat(ctx, memstore.ChatRequest{UserID: "u", ConversationID: "trip", Query: "When should I go?", AddMessageOnAnswer: ptr(false)}); err != nil {
		t.Fatal(err)
	}
	second := llm.Chats[1].Messages
	var roles, contents []string
	for _, m := range second[1:] {
		roles = append(roles, m.Role)
		contents = append(contents, m.Content)
	}
	want := []string{"I am planning a trip", "Where to?", "To Paris", "Paris is lovely in spring.", "When should I go?"}
	if strings.Join(contents, "|") != strings.Join(want, "|") || strings.Join(roles, ",") != "user,assistant,user,assistant,user" {
		t.Fatalf("second chat sent %q (%v)", contents, roles)
	}
	// Not remembered as memories, but the transcript continues.
	msgs, _ := e.store.RecentMessages(ctx, "u", "trip", 100)
	if len(msgs) != 6 {
		t.Fatalf("transcript has %d messages, want 6", len(msgs))
	}
	// Deleting the conversation forgets its transcript too.
	if _, err := e.core.Delete(ctx, memstore.DeleteRequest{UserID: "u", ConversationID: "trip"}); err != nil {
		t.Fatal(err)
	}
	if msgs, _ := e.store.RecentMessages(ctx, "u", "trip", 100); len(msgs) != 0 {
		t.Fatalf("transcript survived the delete: %+v", msgs)
	}
	if _, err := e.core.Chat(ctx, memstore.ChatRequest{UserID: "u", Query: "x", Threshold: ptr(2.0)}); !errors.Is(err, memstore.ErrInvalid) {
		t.Fatalf("threshold 2: %v", err)
	}
}

// TestFeedbackWithTheModel runs the seed's correction through the model path with a scripted model:
// the judgement yields the corrected preference, the model is shown the candidates and updates the
// apple preference, which is archived and replaced.
func TestFeedbackWithTheModel(t *testing.T) {
	llm := &scriptedLLM{
		Judge: `{"items":[{"validity":true,"user_attitude":"dissatisfied","corrected_info":"用户喜欢山竹","key":"喜欢的水果","tags":["水果"],"is_preference":true}]}`,
	}
	e := newEnv(t, llm)
	e.add(t, memstore.AddRequest{UserID: "memos_user_123", Mode: "fast", Messages: []memstore.Message{user("我喜欢吃苹果,不喜欢香蕉")}})
	// The operation names the candidate the model was shown as the apple preference.
	llm.Ops = `{"operations":[]}` // decided below, once the candidate order is known
	ctx := context.Background()
	req := memstore.FeedbackRequest{UserID: "memos_user_123", FeedbackContent: "错啦,实际上我喜欢的是山竹",
		History: []memstore.Message{user("我喜欢什么水果,不喜欢什么水果"), assistant("你喜欢苹果,不喜欢香蕉")}}
	// First call: no operations → nothing changes, and the model was shown numbered candidates.
	res, err := e.core.Feedback(ctx, req)
	if err != nil || len(res.Updated)+len(res.Added) != 0 {
		t.Fatalf("no operations: %+v %v", res, err)
	}
	prompt := llm.Judgements[len(llm.Judgements)-1].Messages[0].Content
	var appleRef string
	for _, line := range strings.Split(prompt, "\n") {
		if strings.Contains(line, "用户喜欢吃苹果") && strings.HasPrefix(line, "m") {
			appleRef = line[:strings.Index(line, ":")]
		}
	}
	if appleRef == "" || !strings.Contains(string(llm.Judgements[len(llm.Judgements)-1].Format), `"`+appleRef+`"`) {
		t.Fatalf("the apple preference was not offered as a candidate:\n%s", prompt)
	}
	llm.Ops = `{"operations":[{"operation":"UPDATE","id":"` + appleRef + `","text":"用户喜欢吃山竹","old_memory":"用户喜欢吃苹果"},{"operation":"ADD","id":"","text":"x","old_memory":""}]}`
	res, err = e.core.Feedback(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Updated) != 1 || res.Updated[0].PreviousMemory != "用户喜欢吃苹果" || res.Updated[0].Memory != "用户喜欢吃山竹" || len(res.Added) != 0 {
		t.Fatalf("feedback result %+v (an ADD next to an UPDATE must be dropped)", res)
	}
	all := e.list(t, memstore.ListRequest{UserID: "memos_user_123", IncludeArchived: true})
	status := map[string]memstore.Status{}
	for _, p := range all.Preferences {
		status[p.Preference] = p.Status
		if p.Preference == "用户喜欢吃山竹" && (len(p.History) != 1 || p.History[0].Preference != "用户喜欢吃苹果") {
			t.Fatalf("replacement history %+v", p.History)
		}
	}
	if status["用户喜欢吃苹果"] != memstore.StatusArchived || status["用户喜欢吃山竹"] != memstore.StatusActivated || status["用户不喜欢香蕉"] != memstore.StatusActivated {
		t.Fatalf("statuses %v", status)
	}

	// Operations naming no shown candidate are not applied; an unusable answer falls back to the rules.
	llm.Ops = `{"operations":[{"operation":"UPDATE","id":"m99","text":"x","old_memory":"y"}]}`
	res, err = e.core.Feedback(ctx, memstore.FeedbackRequest{UserID: "memos_user_123", FeedbackContent: "I like durian"})
	if err != nil || len(res.Updated) != 0 {
		t.Fatalf("hallucinated id: %+v %v", res, err)
	}
	llm.Judge = "F@hbAMQ3g;|O(:^$"
	res, err = e.core.Feedback(ctx, memstore.FeedbackRequest{UserID: "memos_user_123", FeedbackContent: "I like durian a lot"})
	if err != nil || len(res.Notes) == 0 || !strings.Contains(res.Notes[0], "applied by rule") {
		t.Fatalf("unusable judgement: %+v %v", res, err)
	}
}
