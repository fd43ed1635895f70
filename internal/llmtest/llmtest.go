// Package llmtest provides a scripted stand-in for a generation model, for testing the logic that
// uses one (extraction, feedback, conflicts, chat) without a model server.
package llmtest

import (
	"context"
	"strings"
	"sync"

	"github.com/memos-mcp/memos-mcp/memstore"
)

// Scripted answers like a model would, by the kind of request: chats with Answer, and requests with
// a JSON schema by the schema's shape: extraction (memory_list) with Extraction, feedback and
// conflict operations (operations) with Ops, feedback judgements (items) with Judge. Empty fields
// give neutral answers. It records every request. Safe for concurrent use; set fields before use
// or under Mu.
type Scripted struct {
	Mu         sync.Mutex
	Answer     string
	Extraction string
	Judge      string
	Ops        string
	Rewrite    string // answer to query rewriting (a schema with "query")
	Err        error

	Chats       []memstore.ChatRequestLLM // free-text requests
	Extractions []memstore.ChatRequestLLM
	Judgements  []memstore.ChatRequestLLM // judgements and operations
}

var _ memstore.LLM = (*Scripted)(nil)

// Name implements memstore.LLM.
func (s *Scripted) Name() string { return "scripted" }

// Chat implements memstore.LLM.
func (s *Scripted) Chat(_ context.Context, req memstore.ChatRequestLLM) (memstore.ChatResponseLLM, error) {
	s.Mu.Lock()
	defer s.Mu.Unlock()
	if s.Err != nil {
		return memstore.ChatResponseLLM{}, s.Err
	}
	answer := func(text, neutral string) (memstore.ChatResponseLLM, error) {
		if text == "" {
			text = neutral
		}
		return memstore.ChatResponseLLM{Content: text, DoneReason: "stop"}, nil
	}
	schema := string(req.Format)
	switch {
	case strings.Contains(schema, `"memory_list"`):
		s.Extractions = append(s.Extractions, req)
		return answer(s.Extraction, `{"memory_list":[],"explicit_preferences":[],"implicit_preferences":[],"summary":""}`)
	case strings.Contains(schema, `"operations"`): // checked before "items": its arrays have items too
		s.Judgements = append(s.Judgements, req)
		return answer(s.Ops, `{"operations":[{"operation":"ADD","id":"","text":"","old_memory":""}]}`)
	case strings.Contains(schema, `"items"`):
		s.Judgements = append(s.Judgements, req)
		return answer(s.Judge, `{"items":[]}`)
	case strings.Contains(schema, `"query"`):
		s.Judgements = append(s.Judgements, req)
		return answer(s.Rewrite, `{"query":""}`)
	case schema != "":
		return answer("", `{}`)
	}
	s.Chats = append(s.Chats, req)
	return memstore.ChatResponseLLM{Content: s.Answer, DoneReason: "stop"}, nil
}
