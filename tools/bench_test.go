package tools_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/memos-mcp/memos-mcp/memstore"
)

// BenchmarkMCPRoundTrip measures what MCP adds to a tool call: the same add_message and
// search_memory through an in-process MCP client (JSON-RPC encoding, argument decoding, schema'd
// results) and directly on the core, at a few hundred memories.
func BenchmarkMCPRoundTrip(b *testing.B) {
	h := newBenchHarness(b)
	ctx := context.Background()
	for i := range 300 {
		if _, err := h.core.AddMessages(ctx, memstore.AddRequest{UserID: "u", Mode: "fast",
			Messages: []memstore.Message{{Role: "user", Content: fmt.Sprintf("note %d: I like tea number %d", i, i)}}}); err != nil {
			b.Fatal(err)
		}
	}
	b.Run("add/mcp", func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			var req mcp.CallToolRequest
			req.Params.Name = "add_message"
			req.Params.Arguments = map[string]any{"user_id": "u", "mode": "fast", "messages": []any{map[string]any{"role": "user", "content": fmt.Sprintf("mcp %d: I like coffee %d", i, i)}}}
			if res, err := h.client.CallTool(ctx, req); err != nil || res.IsError {
				b.Fatal(err, res)
			}
		}
	})
	b.Run("add/core", func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			if _, err := h.core.AddMessages(ctx, memstore.AddRequest{UserID: "u", Mode: "fast",
				Messages: []memstore.Message{{Role: "user", Content: fmt.Sprintf("core %d: I like coffee %d", i, i)}}}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("search/mcp", func(b *testing.B) {
		for b.Loop() {
			var req mcp.CallToolRequest
			req.Params.Name = "search_memory"
			req.Params.Arguments = map[string]any{"user_id": "u", "query": "what do I like to drink", "top_k": 10}
			if res, err := h.client.CallTool(ctx, req); err != nil || res.IsError {
				b.Fatal(err, res)
			}
		}
	})
	b.Run("search/core", func(b *testing.B) {
		for b.Loop() {
			if _, err := h.core.Search(ctx, memstore.SearchRequest{UserID: "u", Query: "what do I like to drink"}); err != nil {
				b.Fatal(err)
			}
		}
	})
}
