package tools

import (
	"context"
	"fmt"
	"strings"

	"github.com/mark3labs/mcp-go/server"

	"github.com/memos-mcp/memos-mcp/memstore"
)

type getMemoryInput struct {
	UserID            string         `json:"user_id,omitempty" jsonschema:"Whose memories to list. Defaults to the server's configured user."`
	MemCubeID         string         `json:"mem_cube_id,omitempty" jsonschema:"List only this cube. Defaults to all of the user's cubes."`
	IncludePreference *bool          `json:"include_preference,omitempty" jsonschema:"Also list preference memories (paged separately, with the same page and page_size)."`
	Page              *int           `json:"page,omitempty" jsonschema:"Which page, starting at 1."`
	PageSize          *int           `json:"page_size,omitempty" alias:"size" jsonschema:"Memories per page."`
	IncludeExpired    bool           `json:"include_expired,omitempty" jsonschema:"Also list memories whose expires_at has passed (marked expired)."`
	IncludeArchived   bool           `json:"include_archived,omitempty" jsonschema:"Also list archived memories (superseded by feedback)."`
	Filter            map[string]any `json:"filter,omitempty" jsonschema:"A MemOS filter: {\"and\": [...]} or {\"or\": [...]} of conditions such as {\"tags\": {\"contains\": \"work\"}}, {\"created_at\": {\"gte\": \"2026-01-01\"}} or {\"info.source\": \"feedback\"}; operators eq, gt, lt, gte, lte, contains, in, like."`
}

func getMemoryTool(d deps) server.ServerTool {
	return define("get_memory",
		"List all of a user's memories, newest first, page by page, with totals: fact memories and preference memories are "+
			"paged separately. No query needed. Use it to show the user what is remembered about them.",
		annotations{title: "Get all memories", readOnly: true, destructive: false, idempotent: true, ext: false},
		map[string]prop{
			"page":               {def: 1, min: num(1)},
			"page_size":          {def: memstore.DefaultPageSize, min: num(1), max: num(memstore.MaxPageSize)},
			"include_preference": {def: true},
			"include_expired":    {def: false},
			"include_archived":   {def: false},
		},
		d, d.getMemory, getMemoryText)
}

func (d deps) getMemory(ctx context.Context, in getMemoryInput) (memstore.ListResult, error) {
	return d.core.List(ctx, memstore.ListRequest{
		UserID: d.user(ctx, in.UserID), CubeID: in.MemCubeID, IncludePreference: in.IncludePreference,
		Page: in.Page, PageSize: in.PageSize, IncludeExpired: in.IncludeExpired, IncludeArchived: in.IncludeArchived,
		Filter: in.Filter,
	})
}

func getMemoryText(r memstore.ListResult) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Page %d (page size %d): %d of %s, %d of %s.", r.Page, r.PageSize,
		len(r.Memories), plural(r.MemoriesTotal, "memory", "memories"), len(r.Preferences), plural(r.PreferencesTotal, "preference", "preferences"))
	for _, m := range r.Memories {
		fmt.Fprintf(&b, "\n- %s [%s%s] %s", m.ID, m.MemoryType, badges(m), snippet(m.Content))
	}
	for _, p := range r.Preferences {
		fmt.Fprintf(&b, "\n- %s [%s%s] %s", p.ID, p.PreferenceType, badges(p), snippet(p.Preference))
	}
	return b.String()
}

func badges(m memstore.ListedMemory) string {
	s := ""
	if m.Status != memstore.StatusActivated {
		s += ", " + string(m.Status)
	}
	if m.Expired {
		s += ", expired"
	}
	return s
}
