package tools

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"

	"github.com/mark3labs/mcp-go/server"

	"github.com/memos-mcp/memos-mcp/memstore"
)

type deleteMemoryInput struct {
	MemoryIDs      idList         `json:"memory_ids,omitempty" jsonschema:"Delete these memories (any user, any kind). Give this alone."`
	UserID         string         `json:"user_id,omitempty" jsonschema:"Delete all of this user's memories. Give this (optionally with conversation_id) instead of memory_ids. Never defaulted: a user's memories are only deleted when named."`
	ConversationID string         `json:"conversation_id,omitempty" jsonschema:"With user_id: delete only this conversation's memories."`
	Filter         map[string]any `json:"filter,omitempty" jsonschema:"With user_id: delete only the memories passing this MemOS filter (same language as search_memory's)."`
	ExpiredOnly    bool           `json:"expired_only,omitempty" jsonschema:"With user_id: delete only the memories whose expires_at has passed."`
}

func deleteMemoryTool(d deps) server.ServerTool {
	return define("delete_memory",
		"Delete memories permanently and at once. Exactly one way per call: memory_ids (the ids from search_memory or get_memory), "+
			"or user_id to delete all of a user's memories, narrowed by conversation_id, a filter, or expired_only (all expired "+
			"memories at once). Confirm with the user first.",
		annotations{title: "Delete memories", readOnly: false, destructive: true, idempotent: true, ext: false},
		map[string]prop{"memory_ids": {minItems: intp(1)}},
		d, d.deleteMemory, deleteMemoryText)
}

// deleteMemory does not default user_id: deleting everything of the configured user because an
// argument was left out would be the worst possible surprise.
func (d deps) deleteMemory(ctx context.Context, in deleteMemoryInput) (memstore.DeleteResult, error) {
	return d.core.Delete(ctx, memstore.DeleteRequest{MemoryIDs: in.MemoryIDs.ids, UserID: in.UserID, ConversationID: in.ConversationID,
		Filter: in.Filter, ExpiredOnly: in.ExpiredOnly})
}

// idList is a list of memory ids that remembers whether it was given at all: for delete_memory, an
// empty list or an explicit null is a by-id request with no ids (an error), never "no list", which
// together with user_id would delete everything the user has.
type idList struct{ ids []string }

func (l *idList) decodeArg(path string, raw json.RawMessage) error {
	if string(raw) == "null" {
		l.ids = []string{}
		return nil
	}
	var ids []string
	if err := decodeValue(path, raw, reflect.ValueOf(&ids).Elem()); err != nil {
		return err
	}
	if ids == nil {
		ids = []string{}
	}
	l.ids = ids
	return nil
}

func deleteMemoryText(r memstore.DeleteResult) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Deleted %s.", plural(r.DeletedCount, "memory", "memories"))
	if len(r.NotFoundIDs) > 0 {
		fmt.Fprintf(&b, " Not found (already deleted or never existed): %s.", strings.Join(r.NotFoundIDs, ", "))
	}
	return b.String()
}
