package tools

import (
	"context"
	"fmt"
	"strings"

	"github.com/mark3labs/mcp-go/server"

	"github.com/memos-mcp/memos-mcp/memstore"
)

type addFeedbackInput struct {
	UserID                string         `json:"user_id,omitempty" jsonschema:"Whose memories the feedback is about. Defaults to the server's configured user."`
	ConversationID        string         `json:"conversation_id,omitempty" jsonschema:"The conversation the feedback was given in."`
	FeedbackContent       string         `json:"feedback_content" jsonschema:"The user's feedback in their own words, e.g. wrong, actually I like mangosteen."`
	FeedbackTime          string         `json:"feedback_time,omitempty" jsonschema:"When the feedback was given: RFC 3339 or 2025-12-02 10:10:10 (UTC). Defaults to now."`
	History               []messageInput `json:"history,omitempty" jsonschema:"The recent conversation the feedback reacts to, oldest first."`
	RetrievedMemoryIDs    []string       `json:"retrieved_memory_ids,omitempty" jsonschema:"Ids of the memories used in the answer being corrected; they are corrected first."`
	WritableCubeIDs       []string       `json:"writable_cube_ids,omitempty" jsonschema:"Cubes the feedback may change. Defaults to all of the user's cubes."`
	AllowKnowledgebaseIDs []string       `json:"allow_knowledgebase_ids,omitempty" jsonschema:"Accepted for MemOS compatibility; this server has no knowledge bases."`
	AsyncMode             string         `json:"async_mode,omitempty" jsonschema:"sync (default) applies the feedback before returning; async queues it and returns a task_id (see get_task_status)."`
}

func addFeedbackTool(d deps) server.ServerTool {
	return define("add_feedback",
		"Correct the user's memories from their natural-language feedback. A correction of a preference (\"wrong, actually I like "+
			"mangosteen\") archives the conflicting preference (kept in history, not deleted) and adds the corrected one; other "+
			"feedback is remembered as a fact. The result shows exactly what was added, updated (old and new text) and archived.",
		annotations{title: "Correct memories from feedback", readOnly: false, destructive: true, idempotent: false, ext: false},
		map[string]prop{"async_mode": {def: memstore.SyncMode, enum: []any{memstore.SyncMode, memstore.AsyncMode}}},
		d, d.addFeedback, addFeedbackText)
}

func (d deps) addFeedback(ctx context.Context, in addFeedbackInput) (memstore.FeedbackResult, error) {
	history, err := messages("history", in.History)
	if err != nil {
		return memstore.FeedbackResult{}, err
	}
	t, err := parseOptionalTime("feedback_time", in.FeedbackTime)
	if err != nil {
		return memstore.FeedbackResult{}, err
	}
	return d.core.Feedback(ctx, memstore.FeedbackRequest{
		UserID: d.user(ctx, in.UserID), ConversationID: in.ConversationID, FeedbackContent: in.FeedbackContent,
		FeedbackTime: t, History: history, RetrievedMemoryIDs: in.RetrievedMemoryIDs,
		WritableCubeIDs: in.WritableCubeIDs, AllowKnowledgebaseIDs: in.AllowKnowledgebaseIDs, AsyncMode: in.AsyncMode,
	})
}

func addFeedbackText(r memstore.FeedbackResult) string {
	if r.TaskID != "" {
		return fmt.Sprintf("The feedback was queued as background task %s (%s); get_task_status reports its outcome.", r.TaskID, r.TaskStatus)
	}
	if len(r.Added) == 0 && len(r.Updated) == 0 {
		return "No memory changed." + notes(r.Notes)
	}
	var b strings.Builder
	for _, u := range r.Updated {
		fmt.Fprintf(&b, "Updated: %q (%s) replaces %q (%s, now archived).\n", snippet(u.Memory), u.ID, snippet(u.PreviousMemory), u.PreviousID)
	}
	for _, a := range r.Added {
		text := a.Memory
		if a.Preference != "" {
			text = a.Preference
		}
		fmt.Fprintf(&b, "Added: %s [%s] %s\n", a.ID, a.MemoryType, snippet(text))
	}
	return strings.TrimRight(b.String(), "\n") + notes(r.Notes)
}
