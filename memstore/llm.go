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
	// MaxTokens lowers the server's bound on the answer's length when set.
	MaxTokens int
	// Format is a JSON schema the answer must follow (structured output), or nil for free text.
	Format []byte
	// OnChunk, when set, receives the answer as it is generated: content and separately returned
	// reasoning, piece by piece. The full answer is still returned at the end.
	OnChunk func(content, thinking string)
}

// ChatResponseLLM is the model's answer, raw (a <think> section included when the model writes one).
type ChatResponseLLM struct {
	Content string
	// Thinking is reasoning the server returned separately from the content.
	Thinking string
	// DoneReason is why generation stopped ("stop", or "length" when cut at the token bound).
	DoneReason                 string
	PromptTokens, OutputTokens int
}
