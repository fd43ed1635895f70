package memstore

import (
	"context"
	"fmt"
	"math"
)

// DefaultPageSize is get_memory's page size when none is given.
const DefaultPageSize = 10

// ListRequest asks for one page of all of a user's memories, newest first.
type ListRequest struct {
	UserID            string
	CubeID            string // empty: all of the user's cubes
	IncludePreference *bool  // default true
	Page              *int   // 1-based; default 1
	PageSize          *int   // default 10, at most 100
	IncludeExpired    bool
	IncludeArchived   bool
	// Filter is a MemOS filter expression (see ParseFilter) the memories must pass.
	Filter map[string]any
}

// ListedMemory is a memory in a listing, marked when it has expired.
type ListedMemory struct {
	Memory
	Expired bool `json:"expired"`
}

// ListResult is one page of facts and one page of preferences (paged separately, same page and
// size), with the totals of each.
type ListResult struct {
	Memories         []ListedMemory `json:"memories"`
	MemoriesTotal    int            `json:"memories_total"`
	Preferences      []ListedMemory `json:"preferences"`
	PreferencesTotal int            `json:"preferences_total"`
	Page             int            `json:"page"`
	PageSize         int            `json:"page_size"`
}

// List returns a page of a user's memories, newest first (created_at desc, id desc). Archived
// memories are listed only with IncludeArchived, expired ones only with IncludeExpired.
func (c *Core) List(ctx context.Context, req ListRequest) (ListResult, error) {
	if err := checkName("user_id", req.UserID); err != nil {
		return ListResult{}, err
	}
	if err := authorize(ctx, req.UserID); err != nil {
		return ListResult{}, err
	}
	if err := checkOptionalName("mem_cube_id", req.CubeID); err != nil {
		return ListResult{}, err
	}
	if err := defaultInt(&req.Page, "page", 1, 1, math.MaxInt); err != nil {
		return ListResult{}, err
	}
	if err := defaultInt(&req.PageSize, "page_size", DefaultPageSize, 1, MaxPageSize); err != nil {
		return ListResult{}, err
	}
	defaultBool(&req.IncludePreference, true)
	expr, err := ParseFilter("filter", req.Filter)
	if err != nil {
		return ListResult{}, err
	}
	now := c.clock()
	scope := Scope{UserID: req.UserID}
	if req.CubeID != "" {
		scope.CubeIDs = []string{req.CubeID}
	}
	filter := Filter{Now: now, Statuses: []Status{StatusActivated}, Expr: expr}
	if req.IncludeArchived {
		filter.Statuses = append(filter.Statuses, StatusArchived)
	}
	if req.IncludeExpired {
		filter.Expiry = IncludeExpired
	}
	page, size := *req.Page, *req.PageSize
	res := ListResult{Memories: []ListedMemory{}, Preferences: []ListedMemory{}, Page: page, PageSize: size}
	kinds := []Kind{KindFact}
	if *req.IncludePreference {
		kinds = append(kinds, KindPreference)
	}
	for _, kind := range kinds {
		f := filter
		f.Kind = kind
		offset := math.MaxInt // a page so far out it cannot exist (and must not overflow)
		if page-1 <= math.MaxInt/size {
			offset = (page - 1) * size
		}
		p, err := c.store.List(ctx, ListQuery{Scope: scope, Filter: f, Offset: offset, Limit: size})
		if err != nil {
			return ListResult{}, fmt.Errorf("list %s memories: %w", kind, err)
		}
		items := make([]ListedMemory, len(p.Memories))
		for i, m := range p.Memories {
			items[i] = ListedMemory{Memory: m, Expired: m.Expired(now)}
		}
		if kind == KindFact {
			res.Memories, res.MemoriesTotal = items, p.Total
		} else {
			res.Preferences, res.PreferencesTotal = items, p.Total
		}
	}
	return res, nil
}

// GetMemory returns one memory by id (any status, expired or not), marked when it has expired.
func (c *Core) GetMemory(ctx context.Context, id string) (ListedMemory, error) {
	id, err := CheckMemoryID("memory_id", id)
	if err != nil {
		return ListedMemory{}, err
	}
	found, err := c.store.Get(ctx, []string{id})
	if err != nil {
		return ListedMemory{}, fmt.Errorf("read memory %s: %w", id, err)
	}
	if len(found) == 0 {
		return ListedMemory{}, fmt.Errorf("%w: Memory with ID %s not found", ErrNotFound, id)
	}
	m := found[0]
	if err := authorize(ctx, m.UserID); err != nil {
		return ListedMemory{}, err
	}
	m.Embedding = nil
	return ListedMemory{Memory: m, Expired: m.ExpiresAt != nil && !m.ExpiresAt.After(c.clock())}, nil
}
