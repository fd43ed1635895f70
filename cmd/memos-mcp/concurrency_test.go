package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/mcp"

	"github.com/memos-mcp/memos-mcp/memstore"
)

// TestConcurrentClientsOverHTTP: 64 MCP clients over streamable HTTP mix add, search, get and
// delete for a bounded time against one server (built with -race). No call may fail, no
// acknowledged write may be lost, and afterwards every user's totals equal what was added minus
// what was deleted.
func TestConcurrentClientsOverHTTP(t *testing.T) {
	const clients, users = 64, 16
	duration := 8 * time.Second
	if testing.Short() {
		duration = 2 * time.Second
	}
	s := startHTTP(t, t.TempDir())
	type ledger struct {
		mu   sync.Mutex
		live map[string]bool // memory ids added and not deleted
	}
	books := make([]*ledger, users)
	for i := range books {
		books[i] = &ledger{live: map[string]bool{}}
	}
	conns := make([]*client.Client, clients)
	for i := range conns {
		conns[i] = s.client(t)
	}
	deadline := time.Now().Add(duration)
	var wg sync.WaitGroup
	var calls atomic.Int64
	for i, c := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(i), 11))
			u := i % users
			user, book := fmt.Sprintf("user-%d", u), books[u]
			for n := 0; time.Now().Before(deadline); n++ {
				op := []string{"add", "add", "search", "get", "delete"}[rng.IntN(5)]
				var err error
				switch op {
				case "add":
					var res memstore.AddResult
					err = mcpCall(c, "add_message", map[string]any{"user_id": user, "mode": "fast",
						"messages": []any{msg("user", fmt.Sprintf("client %d note %d: I like tea number %d", i, n, rng.IntN(1000)))}}, &res)
					if err == nil {
						book.mu.Lock()
						for _, m := range res.Memories {
							book.live[m.ID] = true
						}
						book.mu.Unlock()
					}
				case "search":
					err = mcpCall(c, "search_memory", map[string]any{"user_id": user, "query": "tea", "top_k": 5}, &memstore.SearchResult{})
				case "get":
					err = mcpCall(c, "get_memory", map[string]any{"user_id": user, "page": 1 + rng.IntN(3), "page_size": 10}, &memstore.ListResult{})
				case "delete":
					book.mu.Lock()
					var victim string
					for id := range book.live {
						victim = id
						delete(book.live, id) // claimed: no other client deletes it too
						break
					}
					book.mu.Unlock()
					if victim == "" {
						continue
					}
					var res memstore.DeleteResult
					err = mcpCall(c, "delete_memory", map[string]any{"memory_ids": []string{victim}}, &res)
					if err == nil && res.DeletedCount != 1 {
						err = fmt.Errorf("deleting %s deleted %d", victim, res.DeletedCount)
					}
				}
				calls.Add(1)
				if err != nil {
					t.Errorf("client %d %s: %v", i, op, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	total := int(calls.Load())
	if total < clients*5 {
		t.Fatalf("only %d calls in %s: the test did not exercise concurrency", total, duration)
	}
	// Every user's memories are exactly the ledger's.
	c := conns[0]
	for u, book := range books {
		user := fmt.Sprintf("user-%d", u)
		var ids []string
		for page := 1; ; page++ {
			var res memstore.ListResult
			if err := mcpCall(c, "get_memory", map[string]any{"user_id": user, "page": page, "page_size": 100}, &res); err != nil {
				t.Fatal(err)
			}
			for _, m := range append(res.Memories, res.Preferences...) {
				ids = append(ids, m.ID)
			}
			if page*100 >= max(res.MemoriesTotal, res.PreferencesTotal) {
				if len(ids) != res.MemoriesTotal+res.PreferencesTotal {
					t.Fatalf("%s: listed %d memories, totals say %d", user, len(ids), res.MemoriesTotal+res.PreferencesTotal)
				}
				break
			}
		}
		want := make([]string, 0, len(book.live))
		for id := range book.live {
			want = append(want, id)
		}
		slices.Sort(ids)
		slices.Sort(want)
		if !slices.Equal(ids, want) {
			t.Fatalf("%s holds %d memories, the ledger %d (lost writes or deletes)", user, len(ids), len(want))
		}
	}
	t.Logf("%d calls by %d clients in %s, no errors, every total consistent", total, clients, duration)
}

// mcpCall calls a tool and decodes its structured result; a tool error is an error.
func mcpCall(c *client.Client, tool string, args map[string]any, out any) error {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var req mcp.CallToolRequest
	req.Params.Name, req.Params.Arguments = tool, args
	res, err := c.CallTool(ctx, req)
	if err != nil {
		return err
	}
	if res.IsError {
		return fmt.Errorf("tool error: %s", resultText(res))
	}
	b, _ := json.Marshal(res.StructuredContent)
	return json.Unmarshal(b, out)
}
