package memstore_test

import (
	"context"
	"strings"
	"testing"

	"github.com/memos-mcp/memos-mcp/memstore"
	"github.com/memos-mcp/memos-mcp/memstore/builtin"
)

func activePreferences(t *testing.T, e env, userID string) map[string]memstore.Status {
	t.Helper()
	all := e.list(t, memstore.ListRequest{UserID: userID, IncludeArchived: true, PageSize: ptr(100)})
	out := map[string]memstore.Status{}
	for _, p := range all.Preferences {
		out[p.Preference] = p.Status
	}
	return out
}

func TestConflictsOnAddByRule(t *testing.T) {
	e := newEnv(t, nil)
	e.add(t, memstore.AddRequest{UserID: "u", Messages: []memstore.Message{user("I like apples. My favorite color is blue.")}})
	e.add(t, memstore.AddRequest{UserID: "u", Messages: []memstore.Message{user("I like bananas")}})
	res := e.add(t, memstore.AddRequest{UserID: "u", Messages: []memstore.Message{user("I don't like apples anymore. My favorite color is green.")}})
	if len(res.Updated) != 2 {
		t.Fatalf("updated %+v", res.Updated)
	}
	got := activePreferences(t, e, "u")
	want := map[string]memstore.Status{
		"The user likes apples": memstore.StatusArchived, "The user does not like apples": memstore.StatusActivated,
		"The user's favorite color is blue": memstore.StatusArchived, "The user's favorite color is green": memstore.StatusActivated,
		"The user likes bananas": memstore.StatusActivated, // liking one fruit does not undo liking another
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%q is %q, want %q (all: %v)", k, got[k], v, got)
		}
	}
	// Nothing is deleted: the archived preference keeps its text and is in the new one's history.
	all := e.list(t, memstore.ListRequest{UserID: "u", IncludeArchived: true})
	for _, p := range all.Preferences {
		if p.Preference == "The user's favorite color is green" && (len(p.History) != 1 || p.History[0].UpdateType != memstore.UpdateConflict) {
			t.Fatalf("history %+v", p.History)
		}
	}
}

func TestConflictsOnAddByModel(t *testing.T) {
	llm := &scriptedLLM{Extraction: `{"memory_list":[{"key":"home","memory_type":"UserMemory","value":"The user lives in Berlin with two cats and a dog in a small flat near the old park.","tags":[]}],"explicit_preferences":[],"implicit_preferences":[],"summary":""}`}
	e := newEnv(t, llm)
	e.add(t, memstore.AddRequest{UserID: "u", Messages: []memstore.Message{user("I live in Berlin with two cats")}})
	old := builtin.Embedder{}.Vector("The user lives in Berlin with two cats and a dog in a small flat near the old park.")
	newer := builtin.Embedder{}.Vector("The user lives in Munich with two cats and a dog in a small flat near the old park.")
	if sim := memstore.Cosine(old, newer); sim < memstore.DefaultConflictSimilarity {
		t.Fatalf("test data: similarity %.3f is below the conflict threshold", sim)
	}
	llm.Extraction = `{"memory_list":[{"key":"home","memory_type":"UserMemory","value":"The user lives in Munich with two cats and a dog in a small flat near the old park.","tags":[]}],"explicit_preferences":[],"implicit_preferences":[],"summary":""}`
	llm.Ops = `{"operations":[{"operation":"UPDATE","id":"m1","text":"The user lives in Munich with two cats and a dog in a small flat near the old park.","old_memory":"The user lives in Berlin with two cats and a dog in a small flat near the old park."}]}`
	res := e.add(t, memstore.AddRequest{UserID: "u", Messages: []memstore.Message{user("I moved to Munich, still with my two cats")}})
	if len(res.Updated) != 1 || res.Updated[0].PreviousMemory != "The user lives in Berlin with two cats and a dog in a small flat near the old park." {
		t.Fatalf("updated %+v", res)
	}
	page := e.list(t, memstore.ListRequest{UserID: "u", IncludeArchived: true})
	statuses := map[string]memstore.Status{}
	for _, m := range page.Memories {
		statuses[m.Content] = m.Status
	}
	if statuses["The user lives in Berlin with two cats and a dog in a small flat near the old park."] != memstore.StatusArchived || statuses["The user lives in Munich with two cats and a dog in a small flat near the old park."] != memstore.StatusActivated {
		t.Fatalf("statuses %v", statuses)
	}
	// NONE: the model finds nothing new, so nothing is stored.
	llm.Extraction = `{"memory_list":[{"key":"home","memory_type":"UserMemory","value":"The user lives in Munich with 2 cats and a dog in a small flat near the old park.","tags":[]}],"explicit_preferences":[],"implicit_preferences":[],"summary":""}`
	llm.Ops = `{"operations":[]}`
	res = e.add(t, memstore.AddRequest{UserID: "u", Messages: []memstore.Message{user("Munich, two cats, yes")}})
	if len(res.Memories) != 0 {
		t.Fatalf("NONE stored %+v", res.Memories)
	}
	// An unusable answer: the memory is kept (nothing is lost), conflicts checked by rule.
	llm.Extraction = `{"memory_list":[{"key":"home","memory_type":"UserMemory","value":"The user lives in Munich with three cats.","tags":[]}],"explicit_preferences":[],"implicit_preferences":[],"summary":""}`
	llm.Ops = `garbage`
	res = e.add(t, memstore.AddRequest{UserID: "u", Messages: []memstore.Message{user("Now three cats")}})
	if len(res.Memories) != 1 || !strings.Contains(res.Memories[0].Memory, "three cats") {
		t.Fatalf("unusable answer: %+v", res)
	}
	_ = context.Background()
}
