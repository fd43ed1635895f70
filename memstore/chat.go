package memstore

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode"

	"github.com/memos-mcp/memos-mcp/prompts"
)

// Chat defaults, as in MemOS's chat handler.
const (
	ChatThreshold    = 0.5 // memories below this relevance are left out of the prompt …
	chatMinMemories  = 3   // … unless fewer than this many would remain
	chatHistoryLimit = 20  // most recent history messages sent to the model
	MaxChatTokens    = 32768
)

// ChatRequest asks for an answer that uses the user's memories.
type ChatRequest struct {
	UserID         string
	ConversationID string // empty: a new conversation id is made and returned
	Query          string
	SystemPrompt   string // may contain {memories}; empty: the built-in prompt
	// History is the conversation so far; when empty, the server's transcript of ConversationID is used.
	History []Message
	TopK    *int
	// Threshold is the relevance a fact needs to enter the prompt (default 0.5); when fewer than
	// three facts pass, the three best are used.
	Threshold          *float64
	IncludePreference  *bool
	AddMessageOnAnswer *bool // default true: remember the question and the answer
	Model              string
	Temperature        *float64
	MaxTokens          *int
	// Stream, when set, receives the chat as it happens: the memories used ("reference"), then the
	// answer ("text") and the model's reasoning ("reasoning") piece by piece. The result is still
	// returned whole at the end.
	Stream func(ChatEvent)
}

// ChatEvent is one piece of a streamed chat.
type ChatEvent struct {
	Type     string       // "reference", "text" or "reasoning"
	Text     string       // for text and reasoning
	Memories []UsedMemory // for reference
}

// UsedMemory is a memory that went into the prompt.
type UsedMemory struct {
	ID     string  `json:"id"`
	Memory string  `json:"memory"`
	Kind   Kind    `json:"kind"`
	Score  float64 `json:"score"`
}

// ChatResult is the model's answer.
type ChatResult struct {
	Response       string       `json:"response"`
	Reasoning      string       `json:"reasoning,omitempty"`
	MemoriesUsed   []UsedMemory `json:"memories_used"`
	ConversationID string       `json:"conversation_id"`
	Notes          []string     `json:"notes,omitempty"`
}

// Chat recalls memories for the query, builds the prompt, asks the model and, by default, writes
// the turn back to memory.
func (c *Core) Chat(ctx context.Context, req ChatRequest) (ChatResult, error) {
	if err := c.checkChat(&req); err != nil {
		return ChatResult{}, err
	}
	if err := authorize(ctx, req.UserID); err != nil {
		return ChatResult{}, err
	}
	if c.llm == nil {
		return ChatResult{}, Unavailable("chat needs a generation model, and this server runs without one: " +
			"start memos-mcp with --llm ollama --llm-model qwen2.5 (or MEMOS_LLM=ollama, MEMOS_LLM_MODEL=…) and a running Ollama. " +
			"Until then, recall memories with search_memory, answer with your own model, and save the turn with add_message")
	}
	found, err := c.Search(ctx, SearchRequest{UserID: req.UserID, Query: req.Query, TopK: req.TopK,
		IncludePreference: req.IncludePreference, ConversationID: req.ConversationID})
	if err != nil {
		return ChatResult{}, fmt.Errorf("recall memories: %w", err)
	}
	facts := aboveThreshold(found.Memories, *req.Threshold)
	prefs := found.Preferences
	system, err := systemPrompt(req.SystemPrompt, req.Query, facts, prefs, c.clock())
	if err != nil {
		return ChatResult{}, err
	}
	msgs := []LLMMessage{{Role: RoleSystem, Content: system}}
	history := req.History
	if len(history) == 0 && c.messages != nil {
		if history, err = c.messages.RecentMessages(ctx, req.UserID, req.ConversationID, chatHistoryLimit); err != nil {
			return ChatResult{}, fmt.Errorf("read the conversation so far: %w", err)
		}
	}
	if len(history) > chatHistoryLimit {
		history = history[len(history)-chatHistoryLimit:]
	}
	for _, m := range history {
		msgs = append(msgs, LLMMessage{Role: m.Role, Content: m.Content})
	}
	msgs = append(msgs, LLMMessage{Role: RoleUser, Content: req.Query})
	llmReq := ChatRequestLLM{Model: req.Model, Messages: msgs, Temperature: req.Temperature}
	if req.MaxTokens != nil {
		llmReq.MaxTokens = *req.MaxTokens
	}
	res := ChatResult{ConversationID: req.ConversationID, MemoriesUsed: []UsedMemory{}}
	for _, h := range append(append([]SearchHit{}, facts...), prefs...) {
		res.MemoriesUsed = append(res.MemoriesUsed, UsedMemory{ID: h.ID, Memory: h.Text(), Kind: h.Kind, Score: h.Score})
	}
	var split *thinkSplitter
	if req.Stream != nil {
		req.Stream(ChatEvent{Type: "reference", Memories: res.MemoriesUsed})
		split = &thinkSplitter{emit: req.Stream}
		llmReq.OnChunk = split.chunk
	}
	answer, err := c.llm.Chat(ctx, llmReq)
	if split != nil {
		split.flush()
	}
	if err != nil {
		return ChatResult{}, fmt.Errorf("ask %s: %w", c.llm.Name(), err)
	}
	res.Response, res.Reasoning = splitThinking(answer.Content)
	if res.Response == "" {
		return res, nil
	}
	now := c.clock()
	turn := []Message{{Role: RoleUser, Content: req.Query, ChatTime: now}, {Role: RoleAssistant, Content: res.Response, ChatTime: now}}
	// The turn is remembered without holding up the answer: in fast mode now, and refined by the
	// model in the background when there is a task queue.
	if *req.AddMessageOnAnswer {
		add := AddRequest{UserID: req.UserID, ConversationID: req.ConversationID, Mode: ModeFast, Messages: turn}
		if c.tasks != nil {
			add.Mode, add.AsyncMode = ModeFine, AsyncMode
		}
		if _, err := c.AddMessages(ctx, add); err != nil {
			// The answer is still good; say the turn was not remembered rather than fail the chat.
			c.log.Warn().Err(err).Str("user", req.UserID).Msg("chat: could not remember the turn")
			res.Notes = append(res.Notes, "the answer could not be saved to memory: "+err.Error())
		}
	} else if c.messages != nil {
		// Not remembered as memories, but the conversation's transcript still continues.
		if err := c.messages.AppendMessages(ctx, req.UserID, req.ConversationID, turn); err != nil {
			res.Notes = append(res.Notes, "the turn could not be added to the conversation's transcript: "+err.Error())
		}
	}
	return res, nil
}

func (c *Core) checkChat(req *ChatRequest) error {
	if err := checkName("user_id", req.UserID); err != nil {
		return err
	}
	if req.ConversationID == "" {
		req.ConversationID = "conv-" + newID()
	}
	if err := checkName("conversation_id", req.ConversationID); err != nil {
		return err
	}
	if err := checkText("query", &req.Query, MaxMessageRunes, "give the user's message to answer", "shorten the message"); err != nil {
		return err
	}
	if err := checkMessages("history", req.History, false); err != nil {
		return err
	}
	if err := defaultInt(&req.TopK, "top_k", DefaultTopK, 1, MaxTopK); err != nil {
		return err
	}
	defaultBool(&req.IncludePreference, true)
	defaultBool(&req.AddMessageOnAnswer, true)
	if req.Threshold == nil {
		t := ChatThreshold
		req.Threshold = &t
	}
	if *req.Threshold < 0 || *req.Threshold > 1 {
		return Invalidf("threshold", "give a relevance between 0 and 1 (default 0.5)", "%g is out of range", *req.Threshold)
	}
	if req.Temperature != nil && (*req.Temperature < 0 || *req.Temperature > 2) {
		return Invalidf("temperature", "give a value from 0 to 2", "%g is out of range", *req.Temperature)
	}
	if req.MaxTokens != nil && (*req.MaxTokens < 1 || *req.MaxTokens > MaxChatTokens) {
		return Invalidf("max_tokens", fmt.Sprintf("give a number from 1 to %d", MaxChatTokens), "%d is out of range", *req.MaxTokens)
	}
	return nil
}

// aboveThreshold keeps facts at or above threshold, or the best few if too few pass.
func aboveThreshold(hits []SearchHit, threshold float64) []SearchHit {
	var out []SearchHit
	for _, h := range hits {
		if h.Score >= threshold {
			out = append(out, h)
		}
	}
	if len(out) < chatMinMemories {
		out = hits[:min(chatMinMemories, len(hits))]
	}
	return out
}

// systemPrompt builds the system message: the caller's prompt (with {memories} replaced, or the
// memories appended), or the built-in prompt in the query's language.
func systemPrompt(custom, query string, facts, prefs []SearchHit, now time.Time) (string, error) {
	memories := renderMemories(facts, prefs)
	if custom != "" {
		if strings.Contains(custom, "{memories}") {
			return strings.ReplaceAll(custom, "{memories}", memories), nil
		}
		if memories == "" {
			return custom, nil
		}
		return custom + "\n\n## Memories:\n" + memories, nil
	}
	name := "chat_system_en.md"
	if isChinese(query) {
		name = "chat_system_zh.md"
	}
	return prompts.Render(name, map[string]string{"Now": now.Format("2006-01-02 15:04 MST"), "Memories": memories})
}

// renderMemories lists facts and preferences separately, numbered.
func renderMemories(facts, prefs []SearchHit) string {
	var b strings.Builder
	if len(facts) > 0 {
		b.WriteString("Facts:\n")
		for i, h := range facts {
			fmt.Fprintf(&b, "%d. %s\n", i+1, h.Content)
		}
	}
	if len(prefs) > 0 {
		if b.Len() > 0 {
			b.WriteByte('\n')
		}
		b.WriteString("Preferences:\n")
		for i, h := range prefs {
			fmt.Fprintf(&b, "%d. %s\n", i+1, h.Preference)
		}
	}
	return strings.TrimRight(b.String(), "\n")
}

// splitThinking separates a reasoning model's <think>…</think> from its answer.
func splitThinking(s string) (answer, reasoning string) {
	start := strings.Index(s, "<think>")
	end := strings.Index(s, "</think>")
	switch {
	case start >= 0 && end > start:
		reasoning = strings.TrimSpace(s[start+len("<think>") : end])
		answer = s[:start] + s[end+len("</think>"):]
	case start < 0 && end >= 0: // some templates open the tag in the prompt
		reasoning = strings.TrimSpace(s[:end])
		answer = s[end+len("</think>"):]
	default:
		answer = s
	}
	return strings.TrimSpace(answer), reasoning
}

// isChinese reports whether Han characters make up a noticeable part of s.
func isChinese(s string) bool {
	han, total := 0, 0
	for _, r := range s {
		if unicode.IsSpace(r) || unicode.IsPunct(r) {
			continue
		}
		total++
		if unicode.Is(unicode.Han, r) {
			han++
		}
	}
	return total > 0 && han*5 >= total
}

// thinkSplitter streams an answer that may open with a <think>…</think> section: the section goes
// out as "reasoning", the rest as "text". Tags split across chunks are held back until whole.
type thinkSplitter struct {
	emit    func(ChatEvent)
	pending string
	started bool // the first non-space content has been seen
	inThink bool
}

func (s *thinkSplitter) chunk(content, thinking string) {
	if thinking != "" {
		s.emit(ChatEvent{Type: "reasoning", Text: thinking})
	}
	s.pending += content
	for s.pending != "" {
		if !s.started {
			trimmed := strings.TrimLeft(s.pending, " \n\t")
			if trimmed == "" || (len(trimmed) < len("<think>") && strings.HasPrefix("<think>", trimmed)) {
				return // not yet known whether a think section opens
			}
			s.started = true
			if strings.HasPrefix(trimmed, "<think>") {
				s.inThink, s.pending = true, trimmed[len("<think>"):]
			}
			continue
		}
		if !s.inThink {
			s.emit(ChatEvent{Type: "text", Text: s.pending})
			s.pending = ""
			return
		}
		if i := strings.Index(s.pending, "</think>"); i >= 0 {
			if i > 0 {
				s.emit(ChatEvent{Type: "reasoning", Text: s.pending[:i]})
			}
			s.inThink, s.pending = false, strings.TrimLeft(s.pending[i+len("</think>"):], " \n\t")
			continue
		}
		// Keep back what could be the start of a split closing tag.
		keep := 0
		for k := len("</think>") - 1; k > 0; k-- {
			if strings.HasSuffix(s.pending, "</think>"[:k]) {
				keep = k
				break
			}
		}
		if out := s.pending[:len(s.pending)-keep]; out != "" {
			s.emit(ChatEvent{Type: "reasoning", Text: out})
		}
		s.pending = s.pending[len(s.pending)-keep:]
		return
	}
}

// flush sends what was held back when the answer ends.
func (s *thinkSplitter) flush() {
	if s.pending == "" {
		return
	}
	kind := "text"
	if s.inThink {
		kind = "reasoning"
	}
	s.emit(ChatEvent{Type: kind, Text: s.pending})
	s.pending = ""
}
