package tools

import (
	"errors"
	"testing"

	"github.com/memos-mcp/memos-mcp/memstore"
)

// FuzzDecodeArgs decodes arbitrary JSON as the arguments of every tool: it must never panic, and
// every refusal must be an invalid-argument error that names what is wrong (a caller's mistake),
// never an internal one.
func FuzzDecodeArgs(f *testing.F) {
	for _, seed := range []string{
		`{"user_id": "u", "messages": [{"role": "user", "content": "I like tea", "chat_time": "2025-12-02 10:10:10"}]}`,
		`{"query": "tea", "top_k": "10", "dedup": "sim", "include_preference": "true", "filter": {"and": [{"tags": {"contains": "x"}}]}}`,
		`{"page": 2, "size": 3, "include_expired": true}`,
		`{"memory_ids": "0190a1b2-0000-7000-8000-000000000000"}`,
		`{"memory_ids": null, "user_id": "u", "expired_only": "true"}`,
		`{"feedback_content": "wrong", "history": [{"role": "assistant", "content": "x"}], "retrieved_memory_ids": [1, 2]}`,
		`{"task_id": 7}`, `[]`, `"x"`, `null`, `{"messages": {"role": "user"}}`, `{"top_k": 1e400}`, `{"top_k": -0.5}`,
	} {
		f.Add([]byte(seed))
	}
	targets := []func() any{
		func() any { return &addMessageInput{} }, func() any { return &searchMemoryInput{} },
		func() any { return &getMemoryInput{} }, func() any { return &deleteMemoryInput{} },
		func() any { return &addFeedbackInput{} }, func() any { return &chatInput{} }, func() any { return &getTaskStatusInput{} },
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		for _, target := range targets {
			dst := target()
			if err := decodeArgs(raw, dst); err != nil && !errors.Is(err, memstore.ErrInvalid) {
				t.Fatalf("decode %q into %T: %v is not an invalid-argument error", raw, dst, err)
			}
		}
	})
}
