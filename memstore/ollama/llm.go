package ollama

import (
	"context"

	"github.com/ollama/ollama/api"

	"github.com/memos-mcp/memos-mcp/memstore"
)

// LLM is a memstore.LLM backed by an Ollama chat model.
type LLM struct {
	c     *Client
	model string
}

var _ memstore.LLM = (*LLM)(nil)

// NewLLM returns a generation model client.
func (c *Client) NewLLM(model string) *LLM { return &LLM{c: c, model: modelName(model)} }

// Name implements memstore.LLM.
func (l *LLM) Name() string { return "ollama/" + l.model }

// Chat implements memstore.LLM with one /api/chat call, streamed when the request has OnChunk. Generation is always
// bounded (num_predict), since a model that never emits its stop token would otherwise run until
// its context is full.
func (l *LLM) Chat(ctx context.Context, req memstore.ChatRequestLLM) (memstore.ChatResponseLLM, error) {
	model := l.model
	if req.Model != "" {
		model = modelName(req.Model)
	}
	msgs := make([]api.Message, len(req.Messages))
	for i, m := range req.Messages {
		msgs[i] = api.Message{Role: m.Role, Content: m.Content}
	}
	numPredict := l.c.cfg.NumPredict
	if req.MaxTokens > 0 && req.MaxTokens < numPredict {
		numPredict = req.MaxTokens
	}
	opts := map[string]any{"num_predict": numPredict}
	if req.Temperature != nil {
		opts["temperature"] = *req.Temperature
	}
	stream := req.OnChunk != nil
	chatReq := &api.ChatRequest{Model: model, Messages: msgs, Stream: &stream, Options: opts, Format: req.Format}
	var out memstore.ChatResponseLLM
	err := l.c.call(ctx, l.c.cfg.ChatTimeout, "generation", model, func(ctx context.Context) error {
		out = memstore.ChatResponseLLM{}
		return l.c.api.Chat(ctx, chatReq, func(r api.ChatResponse) error {
			if req.OnChunk != nil && (r.Message.Content != "" || r.Message.Thinking != "") {
				req.OnChunk(r.Message.Content, r.Message.Thinking)
			}
			out.Content += r.Message.Content
			if r.Message.Thinking != "" {
				out.Thinking += r.Message.Thinking
			}
			if r.Done {
				out.DoneReason = r.DoneReason
				out.PromptTokens, out.OutputTokens = r.PromptEvalCount, r.EvalCount
			}
			return nil
		})
	})
	return out, err
}
