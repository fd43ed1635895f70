package tools

import (
	"context"
	"fmt"

	"github.com/mark3labs/mcp-go/server"

	"github.com/memos-mcp/memos-mcp/memstore"
)

type chatInput struct {
	UserID             string         `json:"user_id,omitempty" jsonschema:"Who is chatting. Defaults to the server's configured user."`
	ConversationID     string         `json:"conversation_id,omitempty" jsonschema:"The conversation to continue. A new id is made and returned when omitted."`
	Query              string         `json:"query" jsonschema:"The user's message to answer."`
	SystemPrompt       string         `json:"system_prompt,omitempty" jsonschema:"Your own system prompt; {memories} in it is replaced by the recalled memories."`
	History            []messageInput `json:"history,omitempty" jsonschema:"Earlier messages of the conversation, oldest first (the last 20 are used). Omit it to continue the conversation the server has kept for conversation_id."`
	TopK               *int           `json:"top_k,omitempty" jsonschema:"How many fact memories to recall."`
	Threshold          *float64       `json:"threshold,omitempty" jsonschema:"Relevance a fact needs to enter the prompt; when fewer than three pass, the best three are used."`
	IncludePreference  *bool          `json:"include_preference,omitempty" jsonschema:"Also recall preference memories."`
	AddMessageOnAnswer *bool          `json:"add_message_on_answer,omitempty" jsonschema:"Remember the question and the answer afterwards."`
	Model              string         `json:"model,omitempty" jsonschema:"Use this generation model instead of the configured one."`
	Temperature        *float64       `json:"temperature,omitempty" jsonschema:"Sampling temperature."`
	MaxTokens          *int           `json:"max_tokens,omitempty" jsonschema:"Longest answer, in tokens."`
}

func chatTool(d deps) server.ServerTool {
	return define("chat",
		"Answer the user's message with their memories: recalls relevant facts and preferences, asks the server's generation "+
			"model, and (by default) remembers the turn. The server keeps each conversation, so conversation_id and query are "+
			"enough to continue one. Needs a generation model configured on the server (--llm ollama).",
		annotations{title: "Chat with memory", readOnly: false, destructive: false, idempotent: false, ext: false},
		map[string]prop{
			"top_k":                 {def: memstore.DefaultTopK, min: num(1), max: num(memstore.MaxTopK)},
			"threshold":             {def: memstore.ChatThreshold, min: num(0), max: num(1)},
			"include_preference":    {def: true},
			"add_message_on_answer": {def: true},
			"temperature":           {min: num(0), max: num(2)},
			"max_tokens":            {min: num(1), max: num(memstore.MaxChatTokens)},
		},
		d, d.chat, chatText)
}

func (d deps) chat(ctx context.Context, in chatInput) (memstore.ChatResult, error) {
	history, err := messages("history", in.History)
	if err != nil {
		return memstore.ChatResult{}, err
	}
	return d.core.Chat(ctx, memstore.ChatRequest{
		UserID: d.user(ctx, in.UserID), ConversationID: in.ConversationID, Query: in.Query, SystemPrompt: in.SystemPrompt,
		History: history, TopK: in.TopK, Threshold: in.Threshold, IncludePreference: in.IncludePreference, AddMessageOnAnswer: in.AddMessageOnAnswer,
		Model: in.Model, Temperature: in.Temperature, MaxTokens: in.MaxTokens,
	})
}

func chatText(r memstore.ChatResult) string {
	return fmt.Sprintf("%s\n\n(conversation %s; %s used)%s", r.Response, r.ConversationID,
		plural(len(r.MemoriesUsed), "memory", "memories"), notes(r.Notes))
}
