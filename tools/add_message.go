package tools

import (
	"context"
	"fmt"
	"strings"

	"github.com/mark3labs/mcp-go/server"

	"github.com/memos-mcp/memos-mcp/memstore"
)

type addMessageInput struct {
	UserID         string            `json:"user_id,omitempty" jsonschema:"Whose memories these are. Defaults to the server's configured user."`
	ConversationID string            `json:"conversation_id,omitempty" jsonschema:"A stable id for the conversation, so its memories can be found or deleted together."`
	Messages       []messageInput    `json:"messages" jsonschema:"The conversation to remember, oldest first: usually the user's message and your answer."`
	MemCubeID      string            `json:"mem_cube_id,omitempty" jsonschema:"The memory cube (namespace) to write to. Defaults to the user's own cube, whose id is the user id."`
	Mode           string            `json:"mode,omitempty" jsonschema:"fast stores message windows verbatim and recognises explicit preferences by rule; fine lets the generation model extract facts (falls back to fast without a model)."`
	Tags           []string          `json:"tags,omitempty" jsonschema:"Labels to attach to every memory created."`
	Info           map[string]string `json:"info,omitempty" jsonschema:"Free-form string metadata to attach to every memory created."`
	ExpiresAt      string            `json:"expires_at,omitempty" jsonschema:"When the memories stop being recalled: RFC 3339, e.g. 2026-12-31T00:00:00Z. Omit to keep them until deleted."`
	AsyncMode      string            `json:"async_mode,omitempty" jsonschema:"sync (default) does all the work before returning; async stores the messages at once in fast mode and refines them in the background (see get_task_status)."`
	TTL            string            `json:"ttl,omitempty" jsonschema:"Instead of expires_at: how long to keep the memories, e.g. 90s, 24h, 7d, 2w."`
}

func addMessageTool(d deps) server.ServerTool {
	return define("add_message",
		"Remember a conversation. Every window of messages becomes a fact memory, and explicit preferences the user states "+
			"(\"I like …\", \"我喜欢…\") also become preference memories. Memories the user already has are not stored twice; "+
			"the result lists what was stored and what was skipped as a duplicate. Call it after each turn.",
		annotations{title: "Add messages to memory", readOnly: false, destructive: false, idempotent: false, ext: false},
		map[string]prop{
			"mode":       {enum: []any{memstore.ModeFast, memstore.ModeFine}},
			"async_mode": {def: memstore.SyncMode, enum: []any{memstore.SyncMode, memstore.AsyncMode}},
			"messages":   {minItems: intp(1)},
		},
		d, d.addMessage, addMessageText)
}

func (d deps) addMessage(ctx context.Context, in addMessageInput) (memstore.AddResult, error) {
	msgs, err := messages("messages", in.Messages)
	if err != nil {
		return memstore.AddResult{}, err
	}
	req := memstore.AddRequest{
		UserID: d.user(ctx, in.UserID), CubeID: in.MemCubeID, ConversationID: in.ConversationID,
		Messages: msgs, Mode: in.Mode, Tags: in.Tags, Info: in.Info, TTL: in.TTL, AsyncMode: in.AsyncMode,
	}
	if strings.TrimSpace(in.ExpiresAt) != "" {
		t, err := memstore.ParseTime("expires_at", in.ExpiresAt)
		if err != nil {
			return memstore.AddResult{}, err
		}
		req.ExpiresAt = &t
	}
	return d.core.AddMessages(ctx, req)
}

func addMessageText(r memstore.AddResult) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Stored %s (%s mode).", plural(len(r.Memories), "memory", "memories"), r.Mode)
	for _, m := range r.Memories {
		if m.Preference != "" {
			fmt.Fprintf(&b, "\n- %s [%s] %s", m.ID, m.PreferenceType, snippet(m.Preference))
		} else {
			fmt.Fprintf(&b, "\n- %s [%s] %s", m.ID, m.MemoryType, snippet(m.Memory))
		}
	}
	for _, u := range r.Updated {
		fmt.Fprintf(&b, "\nSupersedes %s (%q, now archived).", u.PreviousID, snippet(u.PreviousMemory))
	}
	if len(r.Duplicates) > 0 {
		fmt.Fprintf(&b, "\nAlready remembered, not stored again: %s.", plural(len(r.Duplicates), "memory", "memories"))
		for _, dup := range r.Duplicates {
			fmt.Fprintf(&b, "\n- %s (same as %s)", snippet(dup.Memory), dup.ExistingID)
		}
	}
	if r.TaskID != "" {
		fmt.Fprintf(&b, "\nBackground task %s is %s.", r.TaskID, r.TaskStatus)
	}
	b.WriteString(notes(r.Notes))
	return b.String()
}

func intp(n int) *int { return &n }
