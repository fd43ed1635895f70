package tools

import (
	"context"
	"fmt"
	"strings"

	"github.com/mark3labs/mcp-go/server"

	"github.com/memos-mcp/memos-mcp/memstore"
)

type getTaskStatusInput struct {
	TaskID string `json:"task_id" jsonschema:"The task_id returned by add_message or add_feedback with async_mode async."`
}

func getTaskStatusTool(d deps) server.ServerTool {
	return define("get_task_status",
		"Report a background task started by add_message or add_feedback with async_mode \"async\": queued, running, done or "+
			"failed, with the ids of the memories it produced. Tasks survive restarts; finished ones are kept for 7 days.",
		annotations{title: "Get background task status", readOnly: true, destructive: false, idempotent: true, ext: false},
		nil, d, d.getTaskStatus, taskText)
}

func (d deps) getTaskStatus(ctx context.Context, in getTaskStatusInput) (memstore.Task, error) {
	t, err := d.core.GetTask(ctx, in.TaskID)
	if t.MemoryIDs == nil {
		t.MemoryIDs = []string{}
	}
	return t, err
}

func taskText(t memstore.Task) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Task %s (%s): %s after %s.", t.ID, t.Kind, t.Status, plural(t.Attempts, "attempt", "attempts"))
	if len(t.MemoryIDs) > 0 {
		fmt.Fprintf(&b, " Memories: %s.", strings.Join(t.MemoryIDs, ", "))
	}
	if t.Error != "" {
		fmt.Fprintf(&b, " Last error: %s", t.Error)
	}
	b.WriteString(notes(t.Notes))
	return b.String()
}
