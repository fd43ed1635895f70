package memstore

import "context"

// LLM generates text. Chat uses it to answer; later the fine extraction, feedback judgement and
// query rewriting use it too. A nil LLM means the server runs without a generation model: add and
// feedback then use the rule-based paths and chat reports that it needs a model.
type LLM interface {
	Chat(ctx context.Context, req ChatRequestLLM) (ChatResponseLLM, error)
	// Name names the model for logs and errors.
	Name() string
}

// LLMMessage is one chat message sent to the model.
type LLMMessage struct {
	Role    string
	Content string
}

// ChatRequestLLM is a generation request.
type ChatRequestLLM struct {
	Model       string // overrides the configured model when set
	Messages    []LLMMessage
	Temperature *float64
	MaxTokens   int
}

// ChatResponseLLM is the model's answer, raw (thinking included).
type ChatResponseLLM struct {
	Content string
}
