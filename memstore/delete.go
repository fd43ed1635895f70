package memstore

import (
	"context"
	"fmt"
	"slices"
)

// MaxDeletedIDsReported caps the ids a delete lists in its result; the count is always exact.
const MaxDeletedIDsReported = 1000

// DeleteRequest deletes memories in exactly one of two ways: by id (any user, any kind), or every
// memory of a user, optionally only those of one conversation.
type DeleteRequest struct {
	// MemoryIDs selects the by-id mode when not nil (an empty, non-nil list is an error).
	MemoryIDs      []string
	UserID         string
	ConversationID string
	// Filter narrows a user's deletion with a MemOS filter expression (see ParseFilter).
	Filter map[string]any
	// ExpiredOnly narrows a user's deletion to memories whose expires_at has passed.
	ExpiredOnly bool
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
	// A memory_ids list that is present but empty is still the by-id mode (and an error), never a
	// reason to fall through to deleting everything of user_id.
	byIDs := req.MemoryIDs != nil
	byUser := req.UserID != "" || req.ConversationID != "" || len(req.Filter) > 0 || req.ExpiredOnly
	switch {
	case byIDs && byUser:
		return DeleteResult{}, Invalid("memory_ids", "cannot be combined with user_id, conversation_id, filter or expired_only",
			"give memory_ids alone to delete those memories, or user_id (narrowed by conversation_id, filter or expired_only) to delete a user's memories")
	case !byIDs && !byUser:
		return DeleteResult{}, Invalid("memory_ids", "is missing, and so is user_id",
			"give memory_ids to delete those memories, or user_id (optionally with conversation_id) to delete all of a user's or a conversation's memories")
	case byIDs:
		return c.deleteByIDs(ctx, req.MemoryIDs)
	}
	if req.UserID == "" {
		return DeleteResult{}, Invalid("user_id", "is missing", "conversation_id, filter and expired_only need the user_id whose memories they select")
	}
	if err := checkName("user_id", req.UserID); err != nil {
		return DeleteResult{}, err
	}
	if err := authorize(ctx, req.UserID); err != nil {
		return DeleteResult{}, err
	}
	if err := checkOptionalName("conversation_id", req.ConversationID); err != nil {
		return DeleteResult{}, err
	}
	expr, err := ParseFilter("filter", req.Filter)
	if err != nil {
		return DeleteResult{}, err
	}
	filter := Filter{ConversationID: req.ConversationID, AnyStatus: true, Expiry: IncludeExpired, Expr: expr}
	if req.ExpiredOnly {
		filter.Expiry, filter.Now = OnlyExpired, c.clock()
	}
	unlock := c.users.lock(req.UserID)
	defer unlock()
	ids, err := c.store.DeleteWhere(ctx, Scope{UserID: req.UserID}, filter)
	if err != nil {
		return DeleteResult{}, fmt.Errorf("delete memories of user %q: %w", req.UserID, err)
	}
	// The transcript goes too: deleting a user's or a conversation's memories forgets what was said
	// (a narrower deletion, by filter or expiry, leaves it).
	if c.messages != nil && expr == nil && !req.ExpiredOnly {
		if err := c.messages.DeleteMessages(ctx, req.UserID, req.ConversationID); err != nil {
			return DeleteResult{}, fmt.Errorf("delete the conversation transcripts of user %q: %w", req.UserID, err)
		}
	}
	return deleteResult(ids, nil), nil
}

func (c *Core) deleteByIDs(ctx context.Context, raw []string) (DeleteResult, error) {
	if len(raw) == 0 {
		return DeleteResult{}, Invalid("memory_ids", "is empty", "give the ids of the memories to delete")
	}
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
	// Lock the owners first (in a fixed order), so a delete cannot interleave with a feedback or an
	// add of the same user that has read these memories and is about to write them back.
	existing, err := c.store.Get(ctx, ids)
	if err != nil {
		return DeleteResult{}, fmt.Errorf("read memories to delete: %w", err)
	}
	var owners []string
	for _, m := range existing {
		if !slices.Contains(owners, m.UserID) {
			owners = append(owners, m.UserID)
		}
	}
	for _, u := range owners { // one memory of another user refuses the whole call: nothing is deleted
		if err := authorize(ctx, u); err != nil {
			return DeleteResult{}, err
		}
	}
	slices.Sort(owners)
	for _, u := range owners {
		unlock := c.users.lock(u)
		defer unlock()
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
