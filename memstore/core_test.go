package memstore_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/memos-mcp/memos-mcp/memstore"
	"github.com/memos-mcp/memos-mcp/memstore/builtin"
	"github.com/memos-mcp/memos-mcp/memstore/embedded"
)

// clock is a settable time source.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(time.Millisecond) // every reading is later than the previous one
	return c.t
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

type env struct {
	core  *memstore.Core
	store *embedded.Store
	clock *clock
}

// newEnv returns a Core over a fresh embedded store, with the built-in embedder and rules.
func newEnv(t testing.TB, llm memstore.LLM) env {
	t.Helper()
	emb := builtin.Embedder{}
	store, err := embedded.Open(t.TempDir(), emb.Identity(), embedded.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	clk := &clock{t: time.Date(2026, 1, 8, 9, 0, 0, 0, time.UTC)}
	core, err := memstore.New(memstore.Config{Store: store, Messages: store, Embedder: emb, Rules: builtin.Rules{}, LLM: llm, Now: clk.now})
	if err != nil {
		t.Fatal(err)
	}
	return env{core: core, store: store, clock: clk}
}

func user(content string) memstore.Message { return memstore.Message{Role: "user", Content: content} }
func assistant(content string) memstore.Message {
	return memstore.Message{Role: "assistant", Content: content}
}

func (e env) add(t *testing.T, req memstore.AddRequest) memstore.AddResult {
	t.Helper()
	res, err := e.core.AddMessages(context.Background(), req)
	if err != nil {
		t.Fatalf("AddMessages: %v", err)
	}
	return res
}

func (e env) list(t *testing.T, req memstore.ListRequest) memstore.ListResult {
	t.Helper()
	res, err := e.core.List(context.Background(), req)
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	return res
}

func ptr[T any](v T) *T { return &v }

func TestAddFastModeWindowsAndPreferences(t *testing.T) {
	e := newEnv(t, nil)
	res := e.add(t, memstore.AddRequest{UserID: "u1", ConversationID: "c1", Tags: []string{"fruit"},
		Info: map[string]string{"app": "test"},
		Messages: []memstore.Message{
			{Role: "user", Content: "我喜欢吃苹果,不喜欢香蕉", ChatTime: time.Date(2025, 12, 2, 10, 10, 10, 0, time.UTC)},
			assistant("好的,我记住了"),
		}})
	if res.Mode != memstore.ModeFast || len(res.Duplicates) != 0 {
		t.Fatalf("mode %q duplicates %v", res.Mode, res.Duplicates)
	}
	var facts, prefs []memstore.AddedMemory
	for _, m := range res.Memories {
		if m.MemoryType == memstore.PreferenceMemory {
			prefs = append(prefs, m)
		} else {
			facts = append(facts, m)
		}
	}
	if len(facts) != 1 || facts[0].MemoryType != memstore.LongTermMemory || facts[0].Memory != "user: 我喜欢吃苹果,不喜欢香蕉\nassistant: 好的,我记住了" {
		t.Fatalf("facts = %+v", facts)
	}
	gotPrefs := []string{}
	for _, p := range prefs {
		if p.PreferenceType != memstore.ExplicitPreference || p.CubeID != "u1" {
			t.Errorf("preference %+v", p)
		}
		gotPrefs = append(gotPrefs, p.Preference)
	}
	if want := []string{"用户喜欢吃苹果", "用户不喜欢香蕉"}; !slices.Equal(gotPrefs, want) {
		t.Fatalf("preferences %q, want %q", gotPrefs, want)
	}
	// The stored memory carries sources, tags, info and the conversation.
	stored, err := e.store.Get(context.Background(), []string{facts[0].ID})
	if err != nil || len(stored) != 1 {
		t.Fatalf("Get: %v %v", stored, err)
	}
	m := stored[0]
	if m.ConversationID != "c1" || !slices.Equal(m.Tags, []string{memstore.TagFast, "fruit"}) || m.Info["app"] != "test" ||
		len(m.Sources) != 2 || m.Sources[0].Role != "user" || !m.Sources[0].ChatTime.Equal(time.Date(2025, 12, 2, 10, 10, 10, 0, time.UTC)) ||
		m.Status != memstore.StatusActivated || m.Kind != memstore.KindFact {
		t.Fatalf("stored memory %+v", m)
	}
	if m.Sources[1].ChatTime.IsZero() {
		t.Fatal("a message without chat_time must get the current time")
	}

	// A user-only window is a UserMemory.
	res = e.add(t, memstore.AddRequest{UserID: "u1", Messages: []memstore.Message{user("I live in Berlin")}})
	if len(res.Memories) != 1 || res.Memories[0].MemoryType != memstore.UserMemory {
		t.Fatalf("user-only window: %+v", res.Memories)
	}
}

func TestAddSkipsDuplicates(t *testing.T) {
	e := newEnv(t, nil)
	first := e.add(t, memstore.AddRequest{UserID: "u1", Messages: []memstore.Message{user("I like apples")}})
	if len(first.Memories) != 2 { // the window and the preference
		t.Fatalf("first add stored %+v", first.Memories)
	}
	tests := []struct {
		name     string
		userID   string
		messages []memstore.Message
		stored   int
		dups     int
	}{
		{"same text again", "u1", []memstore.Message{user("I like apples")}, 0, 2},
		{"differs only in case and spacing", "u1", []memstore.Message{user("i  LIKE apples")}, 0, 2},
		{"another user may say the same", "u2", []memstore.Message{user("I like apples")}, 2, 0},
		{"something new", "u1", []memstore.Message{user("I like pears")}, 2, 0},
		{"repeated within one call", "u1", []memstore.Message{user("I like plums"), assistant("ok"), user("I like plums")}, 2, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := e.add(t, memstore.AddRequest{UserID: tt.userID, Messages: tt.messages})
			if len(res.Memories) != tt.stored || len(res.Duplicates) != tt.dups {
				t.Fatalf("stored %d duplicates %d, want %d and %d: %+v", len(res.Memories), len(res.Duplicates), tt.stored, tt.dups, res)
			}
			for _, d := range res.Duplicates {
				if d.ExistingID == "" || d.Memory == "" {
					t.Errorf("duplicate without reference: %+v", d)
				}
			}
		})
	}
	total := e.list(t, memstore.ListRequest{UserID: "u1", PageSize: ptr(100)})
	if total.MemoriesTotal != 3 || total.PreferencesTotal != 3 {
		t.Fatalf("u1 has %d facts and %d preferences, want 3 and 3", total.MemoriesTotal, total.PreferencesTotal)
	}
}

func TestAddConcurrentDuplicatesStoredOnce(t *testing.T) {
	e := newEnv(t, nil)
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := e.core.AddMessages(context.Background(), memstore.AddRequest{UserID: "u1", Messages: []memstore.Message{user("I like apples")}}); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	got := e.list(t, memstore.ListRequest{UserID: "u1"})
	if got.MemoriesTotal != 1 || got.PreferencesTotal != 1 {
		t.Fatalf("8 concurrent identical adds left %d facts and %d preferences, want 1 and 1", got.MemoriesTotal, got.PreferencesTotal)
	}
}

func TestAddLongConversationIsWindowed(t *testing.T) {
	e := newEnv(t, nil)
	var msgs []memstore.Message
	for i := range 40 {
		msgs = append(msgs, user(fmt.Sprintf("message %d: %s", i, strings.Repeat("word ", 120))))
	}
	res := e.add(t, memstore.AddRequest{UserID: "u1", Messages: msgs})
	if len(res.Memories) < 5 {
		t.Fatalf("40 long messages made %d windows, want several", len(res.Memories))
	}
	// Every message appears in some window.
	joined := ""
	for _, m := range res.Memories {
		joined += m.Memory + "\n"
	}
	for i := range 40 {
		if !strings.Contains(joined, fmt.Sprintf("message %d:", i)) {
			t.Fatalf("message %d is in no window", i)
		}
	}
}

func TestAddRejectsBadInputAndStoresNothing(t *testing.T) {
	e := newEnv(t, nil)
	past := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	ok := []memstore.Message{user("I like apples")}
	tests := []struct {
		name  string
		req   memstore.AddRequest
		field string
	}{
		{"no messages", memstore.AddRequest{UserID: "u1"}, "messages"},
		{"unknown role", memstore.AddRequest{UserID: "u1", Messages: []memstore.Message{user("hi"), {Role: "bot", Content: "x"}}}, "messages[1].role"},
		{"missing role", memstore.AddRequest{UserID: "u1", Messages: []memstore.Message{{Content: "x"}}}, "messages[0].role"},
		{"empty content", memstore.AddRequest{UserID: "u1", Messages: []memstore.Message{user("  ")}}, "messages[0].content"},
		{"huge content", memstore.AddRequest{UserID: "u1", Messages: []memstore.Message{user(strings.Repeat("x", memstore.MaxMessageRunes+1))}}, "messages[0].content"},
		{"unknown mode", memstore.AddRequest{UserID: "u1", Messages: ok, Mode: "turbo"}, "mode"},
		{"expiry in the past", memstore.AddRequest{UserID: "u1", Messages: ok, ExpiresAt: &past}, "expires_at"},
		{"empty user", memstore.AddRequest{Messages: ok}, "user_id"},
		{"user with control characters", memstore.AddRequest{UserID: "u\x00", Messages: ok}, "user_id"},
		{"empty tag", memstore.AddRequest{UserID: "u1", Messages: ok, Tags: []string{"a", ""}}, "tags[1]"},
		{"bad cube", memstore.AddRequest{UserID: "u1", CubeID: " c", Messages: ok}, "mem_cube_id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e.core.AddMessages(context.Background(), tt.req)
			var fe *memstore.FieldError
			if !errors.As(err, &fe) || !errors.Is(err, memstore.ErrInvalid) {
				t.Fatalf("err = %v, want a FieldError", err)
			}
			if fe.Field != tt.field || fe.Fix == "" {
				t.Fatalf("error names %q (fix %q), want %q", fe.Field, fe.Fix, tt.field)
			}
		})
	}
	if e.store.Count() != 0 {
		t.Fatalf("rejected adds stored %d memories", e.store.Count())
	}
}

func TestFineModeWithoutModelFallsBackAndSaysSo(t *testing.T) {
	e := newEnv(t, nil)
	res := e.add(t, memstore.AddRequest{UserID: "u1", Mode: "fine", Messages: []memstore.Message{user("I like apples")}})
	if res.Mode != memstore.ModeFast || len(res.Memories) != 2 || len(res.Notes) == 0 || !strings.Contains(res.Notes[0], "fast mode") {
		t.Fatalf("fine without a model: %+v", res)
	}
}

func TestListNewestFirstPagedSeparately(t *testing.T) {
	e := newEnv(t, nil)
	var facts []string
	for i := range 7 {
		res := e.add(t, memstore.AddRequest{UserID: "u1", Messages: []memstore.Message{user(fmt.Sprintf("fact number %d about the garden", i))}})
		facts = append(facts, res.Memories[0].ID)
	}
	e.add(t, memstore.AddRequest{UserID: "u1", Messages: []memstore.Message{user("I like apples and I love tea")}})
	e.add(t, memstore.AddRequest{UserID: "other", Messages: []memstore.Message{user("someone else's fact")}})

	page2 := e.list(t, memstore.ListRequest{UserID: "u1", Page: ptr(2), PageSize: ptr(3)})
	if page2.MemoriesTotal != 8 || page2.PreferencesTotal != 2 || page2.Page != 2 || page2.PageSize != 3 {
		t.Fatalf("totals %+v", page2)
	}
	// Newest first: the 8th fact (the preference message's window) is item 1; items 4–6 are facts 4,3,2.
	got := []string{}
	for _, m := range page2.Memories {
		got = append(got, m.ID)
	}
	if want := []string{facts[4], facts[3], facts[2]}; !slices.Equal(got, want) {
		t.Fatalf("page 2 = %v, want %v", got, want)
	}
	if len(page2.Preferences) != 0 {
		t.Fatalf("page 2 of 2 preferences should be empty, got %d", len(page2.Preferences))
	}
	noPrefs := e.list(t, memstore.ListRequest{UserID: "u1", IncludePreference: ptr(false)})
	if len(noPrefs.Preferences) != 0 || noPrefs.PreferencesTotal != 0 || len(noPrefs.Memories) != 8 {
		t.Fatalf("include_preference false: %+v", noPrefs)
	}
	for _, bad := range []memstore.ListRequest{{UserID: "u1", Page: ptr(0)}, {UserID: "u1", PageSize: ptr(10000)}, {UserID: "u1", PageSize: ptr(0)}} {
		if _, err := e.core.List(context.Background(), bad); !errors.Is(err, memstore.ErrInvalid) {
			t.Errorf("List(%+v) err = %v, want invalid", bad, err)
		}
	}
	far := e.list(t, memstore.ListRequest{UserID: "u1", Page: ptr(1 << 62), PageSize: ptr(100)})
	if len(far.Memories) != 0 || far.MemoriesTotal != 8 {
		t.Fatalf("a page far past the end: %+v", far)
	}
}

func TestExpiry(t *testing.T) {
	e := newEnv(t, nil)
	soon := e.clock.now().Add(time.Hour)
	e.add(t, memstore.AddRequest{UserID: "u1", ExpiresAt: &soon, Messages: []memstore.Message{user("the parking spot is B12")}})
	e.add(t, memstore.AddRequest{UserID: "u1", Messages: []memstore.Message{user("the parking garage closes at ten")}})
	search := func() int {
		res, err := e.core.Search(context.Background(), memstore.SearchRequest{UserID: "u1", Query: "parking"})
		if err != nil {
			t.Fatal(err)
		}
		return len(res.Memories)
	}
	if n := search(); n != 2 {
		t.Fatalf("before expiry search found %d, want 2", n)
	}
	e.clock.advance(2 * time.Hour)
	if n := search(); n != 1 {
		t.Fatalf("after expiry search found %d, want 1", n)
	}
	if got := e.list(t, memstore.ListRequest{UserID: "u1"}); got.MemoriesTotal != 1 {
		t.Fatalf("listing hides expired memories by default, got %d", got.MemoriesTotal)
	}
	all := e.list(t, memstore.ListRequest{UserID: "u1", IncludeExpired: true})
	if all.MemoriesTotal != 2 {
		t.Fatalf("include_expired total %d, want 2", all.MemoriesTotal)
	}
	expired := 0
	for _, m := range all.Memories {
		if m.Expired {
			expired++
			if !strings.Contains(m.Content, "B12") {
				t.Errorf("wrong memory marked expired: %q", m.Content)
			}
		}
	}
	if expired != 1 {
		t.Fatalf("%d memories marked expired, want 1", expired)
	}
}

func TestDelete(t *testing.T) {
	e := newEnv(t, nil)
	a := e.add(t, memstore.AddRequest{UserID: "u1", ConversationID: "c1", Messages: []memstore.Message{user("I like apples")}})
	e.add(t, memstore.AddRequest{UserID: "u1", ConversationID: "c2", Messages: []memstore.Message{user("I like tea")}})
	e.add(t, memstore.AddRequest{UserID: "u2", ConversationID: "c1", Messages: []memstore.Message{user("I like coffee")}})
	ctx := context.Background()

	missing := "6b23b583-f4c4-4a8f-b345-58d0c48fea04"
	ids := []string{strings.ToUpper(a.Memories[0].ID), a.Memories[1].ID, missing, a.Memories[1].ID}
	res, err := e.core.Delete(ctx, memstore.DeleteRequest{MemoryIDs: ids})
	if err != nil {
		t.Fatal(err)
	}
	if res.DeletedCount != 2 || !slices.Equal(res.NotFoundIDs, []string{missing}) {
		t.Fatalf("delete by ids: %+v", res)
	}
	res, err = e.core.Delete(ctx, memstore.DeleteRequest{MemoryIDs: []string{a.Memories[0].ID}})
	if err != nil || res.DeletedCount != 0 || len(res.NotFoundIDs) != 1 {
		t.Fatalf("deleting again: %+v %v", res, err)
	}

	res, err = e.core.Delete(ctx, memstore.DeleteRequest{UserID: "u1", ConversationID: "c2"})
	if err != nil || res.DeletedCount != 2 {
		t.Fatalf("delete conversation: %+v %v", res, err)
	}
	if got := e.list(t, memstore.ListRequest{UserID: "u2"}); got.MemoriesTotal != 1 || got.PreferencesTotal != 1 {
		t.Fatalf("another user's memories were touched: %+v", got)
	}
	res, err = e.core.Delete(ctx, memstore.DeleteRequest{UserID: "u2"})
	if err != nil || res.DeletedCount != 2 || e.store.Count() != 0 {
		t.Fatalf("delete user: %+v %v (left %d)", res, err, e.store.Count())
	}

	bad := []struct {
		name  string
		req   memstore.DeleteRequest
		field string
	}{
		{"both modes", memstore.DeleteRequest{MemoryIDs: []string{missing}, UserID: "u1"}, "memory_ids"},
		{"ids and conversation", memstore.DeleteRequest{MemoryIDs: []string{missing}, ConversationID: "c1"}, "memory_ids"},
		{"neither", memstore.DeleteRequest{}, "memory_ids"},
		{"conversation without user", memstore.DeleteRequest{ConversationID: "c1"}, "user_id"},
		{"not a uuid", memstore.DeleteRequest{MemoryIDs: []string{missing, "mem-1"}}, "memory_ids[1]"},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e.core.Delete(ctx, tt.req)
			var fe *memstore.FieldError
			if !errors.As(err, &fe) || fe.Field != tt.field {
				t.Fatalf("err = %v, want a FieldError on %s", err, tt.field)
			}
		})
	}
}

// TestExpiringMemoryDoesNotSwallowALastingOne: a memory that expires is no duplicate of the same text
// added to be kept; otherwise the lasting copy would vanish with the expiring one.
func TestExpiringMemoryDoesNotSwallowALastingOne(t *testing.T) {
	e := newEnv(t, nil)
	soon := e.clock.now().Add(time.Hour)
	later := e.clock.now().Add(48 * time.Hour)
	text := []memstore.Message{user("My passport number is X123")}
	first := e.add(t, memstore.AddRequest{UserID: "u", ExpiresAt: &soon, Messages: text})
	if len(first.Memories) != 1 {
		t.Fatalf("first add %+v", first)
	}
	for _, tt := range []struct {
		name    string
		expires *time.Time
		stored  int
	}{
		{"expiring sooner is a duplicate", &soon, 0},
		{"kept longer is stored", &later, 1},
		{"kept forever is stored", nil, 1},
		{"kept forever again is a duplicate", nil, 0},
	} {
		res := e.add(t, memstore.AddRequest{UserID: "u", ExpiresAt: tt.expires, Messages: text})
		if len(res.Memories) != tt.stored {
			t.Fatalf("%s: stored %d, want %d (%+v)", tt.name, len(res.Memories), tt.stored, res)
		}
	}
	e.clock.advance(72 * time.Hour)
	got := e.list(t, memstore.ListRequest{UserID: "u"})
	if got.MemoriesTotal != 1 {
		t.Fatalf("after the expiring copies expired, %d memories remain, want the lasting one", got.MemoriesTotal)
	}
}
