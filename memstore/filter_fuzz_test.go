package memstore

import (
	"encoding/json"
	"errors"
	"testing"
	"time"
)

// FuzzParseFilter parses arbitrary JSON as a MemOS filter. It must never panic; a refusal must be
// an invalid-argument error; an accepted filter must evaluate on any memory without panicking.
func FuzzParseFilter(f *testing.F) {
	for _, seed := range []string{
		`{"and": [{"tags": {"contains": "Programming"}}, {"created_at": {"gt": "2026-01-01"}}]}`,
		`{"or": [{"memory_type": "UserMemory"}, {"info.source": {"in": ["chat", "feedback"]}}]}`,
		`{"memory": {"like": "%tea%"}, "confidence": {"gte": 0.5}}`,
		`{"updated_at": {"lt": "2025-06-10T00:00:00+08:00"}}`,
		`{"cube-1": {"key": "x"}, "cube-2": {"topic": {"in": []}}}`,
		`{"and": []}`, `{"and": {"tags": "x"}}`, `{"nope": 1}`, `{"created_at": {"between": [1, 2]}}`,
		`{"info.来源": "对话"}`, `{"expires_at": {"lte": "9999-12-31"}}`,
	} {
		f.Add([]byte(seed))
	}
	exp := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	memories := []Memory{
		{}, {ID: "0190a1b2-0000-7000-8000-000000000000", UserID: "u", CubeID: "c", Kind: KindFact, MemoryType: LongTermMemory,
			Content: "I like tea", Tags: []string{"drink"}, Info: map[string]string{"source": "chat"}, Confidence: 0.9,
			Status: StatusActivated, CreatedAt: exp, UpdatedAt: exp, ExpiresAt: &exp},
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		var obj map[string]any
		if json.Unmarshal(raw, &obj) != nil {
			return
		}
		expr, err := ParseFilter("filter", obj)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("ParseFilter(%s): %v is not an invalid-argument error", raw, err)
			}
			return
		}
		for i := range memories {
			_ = expr.Match(&memories[i])
		}
		_ = expr.NeedsText()
	})
}
