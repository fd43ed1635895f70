package memstore_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/memos-mcp/memos-mcp/memstore"
)

func parse(t *testing.T, s string) *memstore.Expr {
	t.Helper()
	var raw map[string]any
	if err := json.Unmarshal([]byte(s), &raw); err != nil {
		t.Fatal(err)
	}
	e, err := memstore.ParseFilter("filter", raw)
	if err != nil {
		t.Fatalf("ParseFilter(%s): %v", s, err)
	}
	return e
}

func TestFilterMatches(t *testing.T) {
	exp := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	m := &memstore.Memory{
		ID: "6b23b583-f4c4-4a8f-b345-58d0c48fea04", CubeID: "u", ConversationID: "c1", Kind: memstore.KindFact,
		MemoryType: memstore.UserMemory, Content: "The user likes Jazz records", Key: "music", Tags: []string{"music", "hobby"},
		Info: map[string]string{"date": "2025-06-14", "source": "chat"}, Confidence: 0.9, Status: memstore.StatusActivated,
		CreatedAt: time.Date(2026, 1, 10, 12, 0, 0, 0, time.UTC), UpdatedAt: time.Date(2026, 1, 11, 0, 0, 0, 0, time.UTC), ExpiresAt: &exp,
	}
	tests := []struct {
		filter string
		want   bool
	}{
		{`{"memory_type": "UserMemory"}`, true},
		{`{"memory_type": "LongTermMemory"}`, false},
		{`{"tags": {"contains": "music"}}`, true},
		{`{"tags": "hobby"}`, true},
		{`{"tags": {"in": ["x", "hobby"]}}`, true},
		{`{"tags": {"like": "hob"}}`, true},
		{`{"tags": {"contains": "work"}}`, false},
		{`{"created_at": {"gt": "2026-01-01"}}`, true},
		{`{"created_at": {"gte": "2026-01-10T12:00:00Z", "lt": "2026-01-11"}}`, true},
		{`{"created_at": {"lt": "2026-01-10"}}`, false},
		{`{"updated_at": {"gte": "2026-01-11 00:00:00"}}`, true},
		{`{"expires_at": {"lte": "2026-03-01"}}`, true},
		{`{"info.date": {"gte": "2025-06-01"}}`, true},
		{`{"info.date": {"gte": "2025-07-01"}}`, false},
		{`{"info.source": "chat"}`, true},
		{`{"info.missing": "x"}`, false},
		{`{"memory": {"like": "%jazz%"}}`, true},
		{`{"memory": {"contains": "jazz"}}`, false},
		{`{"confidence": {"gte": 0.8}}`, true},
		{`{"session_id": "c1"}`, true},
		{`{"and": [{"tags": {"contains": "music"}}, {"info.source": "feedback"}]}`, false},
		{`{"or": [{"tags": {"contains": "work"}}, {"info.source": "chat"}]}`, true},
		{`{"or": [{"and": [{"key": "music"}, {"kind": "fact"}]}, {"id": "x"}]}`, true},
		{`{"memory_type": "UserMemory", "info.source": "feedback"}`, false},
	}
	for _, tt := range tests {
		if got := parse(t, tt.filter).Match(m); got != tt.want {
			t.Errorf("%s: match = %v, want %v", tt.filter, got, tt.want)
		}
	}
	noExpiry := *m
	noExpiry.ExpiresAt = nil
	if parse(t, `{"expires_at": {"lte": "2030-01-01"}}`).Match(&noExpiry) {
		t.Error("a memory that never expires matched an expiry bound")
	}
}

func TestFilterErrorsNameTheSpot(t *testing.T) {
	tests := []struct {
		filter, field, says string
	}{
		{`{"memroy_type": "UserMemory"}`, "filter.memroy_type", "not a memory field"},
		{`{"memory_type": "Facts"}`, "filter.memory_type.eq", "not a memory_type"},
		{`{"tags": {"near": "x"}}`, "filter.tags.near", "not a filter operator"},
		{`{"and": {"tags": "x"}}`, "filter.and", "not a list"},
		{`{"and": [], "tags": "x"}`, "filter", "mixes"},
		{`{"or": [{"created_at": {"gt": "last week"}}]}`, "filter.or[0].created_at.gt", "not a time"},
		{`{"and": [{"tags": {"in": "x"}}]}`, "filter.and[0].tags.in", "not a list"},
		{`{"tags": {"gt": "a"}}`, "filter.tags.gt", "cannot order"},
		{`{"confidence": {"like": "9"}}`, "filter.confidence.like", "not text"},
		{`{"and": [{}]}`, "filter.and[0]", "empty condition"},
	}
	for _, tt := range tests {
		var raw map[string]any
		json.Unmarshal([]byte(tt.filter), &raw)
		_, err := memstore.ParseFilter("filter", raw)
		var fe *memstore.FieldError
		if !errors.As(err, &fe) || fe.Field != tt.field || !strings.Contains(fe.Problem, tt.says) || fe.Fix == "" {
			t.Errorf("%s: err = %v, want field %s saying %q", tt.filter, err, tt.field, tt.says)
		}
	}
	if e, err := memstore.ParseFilter("filter", nil); e != nil || err != nil {
		t.Errorf("empty filter: %v %v", e, err)
	}
}

func TestSearchListAndDeleteWithFiltersTTLAndExpiredOnly(t *testing.T) {
	e := newEnv(t, nil)
	ctx := t.Context()
	e.add(t, memstore.AddRequest{UserID: "u", Tags: []string{"work"}, Info: map[string]string{"date": "2025-03-01"}, Messages: []memstore.Message{user("I met the design team in Berlin")}})
	e.add(t, memstore.AddRequest{UserID: "u", Tags: []string{"travel"}, Info: map[string]string{"date": "2025-07-15"}, Messages: []memstore.Message{user("I flew to Berlin for a holiday")}})
	e.add(t, memstore.AddRequest{UserID: "u", TTL: "1h", Messages: []memstore.Message{user("Berlin hotel room 512")}})

	res, err := e.core.Search(ctx, memstore.SearchRequest{UserID: "u", Query: "Berlin", Filter: map[string]any{"info.date": map[string]any{"gte": "2025-06-01"}}})
	if err != nil || len(res.Memories) != 1 || !strings.Contains(res.Memories[0].Content, "holiday") {
		t.Fatalf("search with a date filter: %v %v", texts(res.Memories), err)
	}
	res, err = e.core.Search(ctx, memstore.SearchRequest{UserID: "u", Query: "Berlin", Filter: map[string]any{"memory": map[string]any{"like": "design"}}})
	if err != nil || len(res.Memories) != 1 || !strings.Contains(res.Memories[0].Content, "design") {
		t.Fatalf("search with a text filter: %v %v", texts(res.Memories), err)
	}
	page, err := e.core.List(ctx, memstore.ListRequest{UserID: "u", Filter: map[string]any{"tags": map[string]any{"contains": "work"}}})
	if err != nil || page.MemoriesTotal != 1 {
		t.Fatalf("list with a tag filter: %+v %v", page, err)
	}
	if _, err := e.core.List(ctx, memstore.ListRequest{UserID: "u", Filter: map[string]any{"bogus": 1}}); !errors.Is(err, memstore.ErrInvalid) {
		t.Fatalf("bad filter: %v", err)
	}
	// ttl and expires_at are alternatives.
	past := e.clock.now().Add(time.Hour)
	if _, err := e.core.AddMessages(ctx, memstore.AddRequest{UserID: "u", TTL: "1h", ExpiresAt: &past, Messages: []memstore.Message{user("x")}}); !errors.Is(err, memstore.ErrInvalid) {
		t.Fatalf("ttl and expires_at: %v", err)
	}
	if _, err := e.core.AddMessages(ctx, memstore.AddRequest{UserID: "u", TTL: "soon", Messages: []memstore.Message{user("x")}}); !errors.Is(err, memstore.ErrInvalid) {
		t.Fatalf("bad ttl: %v", err)
	}
	e.clock.advance(2 * time.Hour)
	// "Delete expired memories" in one call.
	del, err := e.core.Delete(ctx, memstore.DeleteRequest{UserID: "u", ExpiredOnly: true})
	if err != nil || del.DeletedCount != 1 {
		t.Fatalf("expired_only: %+v %v", del, err)
	}
	del, err = e.core.Delete(ctx, memstore.DeleteRequest{UserID: "u", Filter: map[string]any{"tags": map[string]any{"contains": "travel"}}})
	if err != nil || del.DeletedCount != 1 {
		t.Fatalf("delete by filter: %+v %v", del, err)
	}
	all := e.list(t, memstore.ListRequest{UserID: "u", IncludeExpired: true})
	if all.MemoriesTotal != 1 || !strings.Contains(all.Memories[0].Content, "design") {
		t.Fatalf("left after deletes: %+v", all.Memories)
	}
}

func TestParseTTL(t *testing.T) {
	for in, want := range map[string]time.Duration{"90s": 90 * time.Second, "24h": 24 * time.Hour, "7d": 7 * 24 * time.Hour, "2w": 14 * 24 * time.Hour, "3600": time.Hour, "1.5d": 36 * time.Hour} {
		if got, err := memstore.ParseTTL("ttl", in); err != nil || got != want {
			t.Errorf("ParseTTL(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "soon", "-1h", "0", "1000000d"} {
		if _, err := memstore.ParseTTL("ttl", in); !errors.Is(err, memstore.ErrInvalid) {
			t.Errorf("ParseTTL(%q) err = %v", in, err)
		}
	}
}
