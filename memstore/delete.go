package memstore

import (
	"context"
	"fmt"
)

// MaxDeletedIDsReported caps the ids a delete lists in its result; the count is always exact.
const MaxDeletedIDsReported = 1000

// DeleteRequest deletes memories in exactly one of two ways: by id (any user, any kind), or every
// memory of a user, optionally only those of one conversation.
type DeleteRequest struct {
	MemoryIDs      []string
	UserID         string
	ConversationID string
}

// DeleteResult reports what was deleted.
type DeleteResult struct {
	DeletedIDs   []string `json:"deleted_ids"`
	NotFoundIDs  []string `json:"not_found_ids"`
	DeletedCount int      `json:"deleted_count"`
	// DeletedIDsTruncated is true when more memories were deleted than deleted_ids lists.
	DeletedIDsTruncated bool `json:"deleted_ids_truncated,omitempty"`
}

// Delete removes memories physically and at once.
func (c *Core) Delete(ctx context.Context, req DeleteRequest) (DeleteResult, error) {
	byIDs := len(req.MemoryIDs) > 0
	byUser := req.UserID != "" || req.ConversationID != ""
	switch {
	case byIDs && byUser:
		return DeleteResult{}, Invalid("memory_ids", "cannot be combined with user_id or conversation_id",
			"give memory_ids alone to delete those memories, or user_id (with conversation_id to narrow it) alone to delete a user's memories")
	case !byIDs && !byUser:
		return DeleteResult{}, Invalid("memory_ids", "is missing, and so is user_id",
			"give memory_ids to delete those memories, or user_id (optionally with conversation_id) to delete all of a user's or a conversation's memories")
	case byIDs:
		return c.deleteByIDs(ctx, req.MemoryIDs)
	}
	if req.UserID == "" {
		return DeleteResult{}, Invalid("user_id", "is missing", "conversation_id needs the user_id the conversation belongs to")
	}
	if err := checkName("user_id", req.UserID); err != nil {
		return DeleteResult{}, err
	}
	if err := checkOptionalName("conversation_id", req.ConversationID); err != nil {
		return DeleteResult{}, err
	}
	unlock := c.users.lock(req.UserID)
	defer unlock()
	ids, err := c.store.DeleteWhere(ctx, Scope{UserID: req.UserID},
		Filter{ConversationID: req.ConversationID, AnyStatus: true, Expiry: IncludeExpired})
	if err != nil {
		return DeleteResult{}, fmt.Errorf("delete memories of user %q: %w", req.UserID, err)
	}
	// The transcript goes too: deleting a user's or a conversation's memories forgets what was said.
	if c.messages != nil {
		if err := c.messages.DeleteMessages(ctx, req.UserID, req.ConversationID); err != nil {
			return DeleteResult{}, fmt.Errorf("delete the conversation transcripts of user %q: %w", req.UserID, err)
		}
	}
	return deleteResult(ids, nil), nil
}

func (c *Core) deleteByIDs(ctx context.Context, raw []string) (DeleteResult, error) {
	if len(raw) > MaxIDsPerCall {
		return DeleteResult{}, Invalidf("memory_ids", "delete in several calls, or delete by user_id",
			"has %d ids, the limit is %d", len(raw), MaxIDsPerCall)
	}
	ids := make([]string, 0, len(raw))
	seen := make(map[string]bool, len(raw))
	for i, r := range raw {
		id, err := CheckMemoryID(fmt.Sprintf("memory_ids[%d]", i), r)
		if err != nil {
			return DeleteResult{}, err
		}
		if !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	deleted, err := c.store.Delete(ctx, ids)
	if err != nil {
		return DeleteResult{}, fmt.Errorf("delete %d memories: %w", len(ids), err)
	}
	gone := make(map[string]bool, len(deleted))
	for _, id := range deleted {
		gone[id] = true
	}
	var notFound []string
	for _, id := range ids {
		if !gone[id] {
			notFound = append(notFound, id)
		}
	}
	return deleteResult(deleted, notFound), nil
}

func deleteResult(deleted, notFound []string) DeleteResult {
	res := DeleteResult{DeletedIDs: deleted, NotFoundIDs: notFound, DeletedCount: len(deleted)}
	if res.DeletedIDs == nil {
		res.DeletedIDs = []string{}
	}
	if res.NotFoundIDs == nil {
		res.NotFoundIDs = []string{}
	}
	if len(res.DeletedIDs) > MaxDeletedIDsReported {
		res.DeletedIDs = res.DeletedIDs[:MaxDeletedIDsReported]
		res.DeletedIDsTruncated = true
	}
	return res
}
