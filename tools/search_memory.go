package tools

import (
	"context"
	"fmt"
	"strings"

	"github.com/mark3labs/mcp-go/server"

	"github.com/memos-mcp/memos-mcp/memstore"
)

type searchMemoryInput struct {
	UserID            string         `json:"user_id,omitempty" jsonschema:"Whose memories to search. Defaults to the server's configured user."`
	Query             string         `json:"query" jsonschema:"What to recall, in natural language, e.g. the user's latest question."`
	TopK              *int           `json:"top_k,omitempty" jsonschema:"How many fact memories to return."`
	Dedup             string         `json:"dedup,omitempty" jsonschema:"How to drop repeats: no keeps all; sim drops results whose cosine to a more relevant one is above 0.92; mmr balances relevance and diversity over facts and preferences. Omit to drop only identical texts."`
	MemCubeIDs        []string       `json:"mem_cube_ids,omitempty" jsonschema:"Limit the search to these cubes. Defaults to all of the user's cubes."`
	IncludePreference *bool          `json:"include_preference,omitempty" jsonschema:"Also return preference memories."`
	PrefTopK          *int           `json:"pref_top_k,omitempty" jsonschema:"How many preference memories to return."`
	Relativity        *float64       `json:"relativity,omitempty" jsonschema:"Minimum relevance score (cosine, 0 to 1) a result needs; 0 disables the threshold."`
	ConversationID    string         `json:"conversation_id,omitempty" jsonschema:"Rank memories from this conversation slightly higher."`
	Mode              string         `json:"mode,omitempty" jsonschema:"fast searches by similarity; fine lets the generation model rewrite the query first (falls back to fast without a model)."`
	Filter            map[string]any `json:"filter,omitempty" jsonschema:"A MemOS filter: {\"and\": [...]} or {\"or\": [...]} of conditions such as {\"tags\": {\"contains\": \"work\"}}, {\"created_at\": {\"gte\": \"2026-01-01\"}} or {\"info.source\": \"feedback\"}; operators eq, gt, lt, gte, lte, contains, in, like."`
}

func searchMemoryTool(d deps) server.ServerTool {
	return define("search_memory",
		"Recall the user's memories relevant to a query: fact memories and preference memories, most relevant first (semantic "+
			"and keyword matches fused), each with its score (cosine similarity). Only active, unexpired memories are returned; "+
			"a filter narrows them by tags, type, time or info. Call it before answering the user.",
		annotations{title: "Search memory", readOnly: true, destructive: false, idempotent: true, ext: false},
		map[string]prop{
			"top_k":              {def: memstore.DefaultTopK, min: num(1), max: num(memstore.MaxTopK)},
			"pref_top_k":         {def: memstore.DefaultPrefTopK, min: num(0), max: num(memstore.MaxTopK)},
			"include_preference": {def: true},
			"relativity":         {def: 0, min: num(0), max: num(1)},
			"dedup":              {enum: []any{memstore.DedupNo, memstore.DedupSim, memstore.DedupMMR}},
			"mode":               {def: memstore.ModeFast, enum: []any{memstore.ModeFast, memstore.ModeFine}},
		},
		d, d.searchMemory, searchMemoryText)
}

func (d deps) searchMemory(ctx context.Context, in searchMemoryInput) (memstore.SearchResult, error) {
	return d.core.Search(ctx, memstore.SearchRequest{
		UserID: d.user(ctx, in.UserID), Query: in.Query, TopK: in.TopK, Dedup: in.Dedup, CubeIDs: in.MemCubeIDs,
		IncludePreference: in.IncludePreference, PrefTopK: in.PrefTopK, Relativity: in.Relativity,
		ConversationID: in.ConversationID, Mode: in.Mode, Filter: in.Filter,
	})
}

func searchMemoryText(r memstore.SearchResult) string {
	if len(r.Memories) == 0 && len(r.Preferences) == 0 {
		return "No memories match this query." + notes(r.Notes)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Found %s and %s.", plural(len(r.Memories), "memory", "memories"), plural(len(r.Preferences), "preference", "preferences"))
	for _, m := range r.Memories {
		fmt.Fprintf(&b, "\n- %s [%s, score %.3f] %s", m.ID, m.MemoryType, m.Score, snippet(m.Content))
	}
	for _, p := range r.Preferences {
		fmt.Fprintf(&b, "\n- %s [%s, score %.3f] %s", p.ID, p.PreferenceType, p.Score, snippet(p.Preference))
	}
	b.WriteString(notes(r.Notes))
	return b.String()
}
