package memstore_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/memos-mcp/memos-mcp/memstore"
)

// TestAccessIsEnforcedByTheCore: a caller limited to alice can do nothing to bob's memories through
// any operation, and a refused delete by ids deletes nothing, not even alice's memories in it.
func TestAccessIsEnforcedByTheCore(t *testing.T) {
	e := newEnv(t, nil)
	alice := e.add(t, memstore.AddRequest{UserID: "alice", Messages: []memstore.Message{user("I like green tea")}})
	bob := e.add(t, memstore.AddRequest{UserID: "bob", Messages: []memstore.Message{user("I like black coffee")}})
	before := e.list(t, memstore.ListRequest{UserID: "alice", IncludePreference: ptr(true)})
	asAlice := memstore.WithAccess(context.Background(), memstore.UsersAccess("alice"))
	asAdmin := memstore.WithAccess(context.Background(), memstore.AdminAccess())

	calls := map[string]func(ctx context.Context) error{
		"add": func(ctx context.Context) error {
			_, err := e.core.AddMessages(ctx, memstore.AddRequest{UserID: "bob", Messages: []memstore.Message{user("hi")}})
			return err
		},
		"search": func(ctx context.Context) error {
			_, err := e.core.Search(ctx, memstore.SearchRequest{UserID: "bob", Query: "coffee"})
			return err
		},
		"list": func(ctx context.Context) error {
			_, err := e.core.List(ctx, memstore.ListRequest{UserID: "bob"})
			return err
		},
		"feedback": func(ctx context.Context) error {
			_, err := e.core.Feedback(ctx, memstore.FeedbackRequest{UserID: "bob", FeedbackContent: "I like tea now"})
			return err
		},
		"chat": func(ctx context.Context) error {
			_, err := e.core.Chat(ctx, memstore.ChatRequest{UserID: "bob", Query: "hi"})
			return err
		},
		"delete by user": func(ctx context.Context) error {
			_, err := e.core.Delete(ctx, memstore.DeleteRequest{UserID: "bob", ExpiredOnly: true})
			return err
		},
		"delete by ids": func(ctx context.Context) error {
			_, err := e.core.Delete(ctx, memstore.DeleteRequest{MemoryIDs: []string{alice.Memories[0].ID, bob.Memories[0].ID}})
			return err
		},
	}
	for name, call := range calls {
		t.Run(name, func(t *testing.T) {
			err := call(asAlice)
			if !errors.Is(err, memstore.ErrForbidden) || !containsAll(err.Error(), `"bob"`, "API key") {
				t.Fatalf("as alice: %v, want ErrForbidden naming bob", err)
			}
			if err := call(asAdmin); errors.Is(err, memstore.ErrForbidden) {
				t.Fatalf("as admin: %v", err)
			}
		})
	}
	// The refused delete by ids deleted nothing; the admin's deleted the one of alice's it named.
	page := e.list(t, memstore.ListRequest{UserID: "alice", IncludePreference: ptr(true)})
	if got, want := page.MemoriesTotal+page.PreferencesTotal, before.MemoriesTotal+before.PreferencesTotal-1; got != want {
		t.Fatalf("alice has %d memories after the admin's delete, want %d", got, want)
	}
	// alice's own calls pass, and a key for exactly one user names it.
	if _, err := e.core.List(asAlice, memstore.ListRequest{UserID: "alice"}); err != nil {
		t.Fatalf("alice listing her own memories: %v", err)
	}
	if u, ok := memstore.UsersAccess("alice").OnlyUser(); !ok || u != "alice" {
		t.Fatalf("OnlyUser = %q, %v", u, ok)
	}
	if _, ok := memstore.UsersAccess("a", "b").OnlyUser(); ok {
		t.Fatal("a key for two users has no single user")
	}
}

func containsAll(s string, subs ...string) bool {
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			return false
		}
	}
	return true
}
