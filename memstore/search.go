package memstore

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/memos-mcp/memos-mcp/prompts"
)

// Defaults of search, as in MemOS.
const (
	DefaultTopK     = 10
	DefaultPrefTopK = 6
)

// conversationBoost lifts memories from the conversation named in a search by this many places (MemOS
// treats the session as a soft priority, not a filter). Reported scores stay cosine.
const conversationBoost = 3

// SearchRequest asks for the memories relevant to a query.
type SearchRequest struct {
	UserID            string
	Query             string
	TopK              *int // facts to return; default 10
	Dedup             string
	CubeIDs           []string // empty: all of the user's cubes
	IncludePreference *bool    // default true
	PrefTopK          *int     // preferences to return; default 6
	// Relativity drops results whose score is below it; 0 (the default) disables the threshold.
	Relativity     *float64
	ConversationID string
	Mode           string // "fast" (default) or "fine"
	// Filter is a MemOS filter expression (see ParseFilter) the results must pass.
	Filter map[string]any
}

// SearchHit is a recalled memory with its scores.
type SearchHit struct {
	Memory
	// Score is the cosine similarity between the query and the memory, in [-1, 1]; relativity
	// thresholds compare it.
	Score float64 `json:"score"`
	// Relevance, in [0, 1], is what results are ranked by: semantic and keyword (BM25) rankings
	// fused, so an exact keyword match can outrank a higher cosine.
	Relevance float64 `json:"relevance"`
}

// SearchResult holds the recalled facts and preferences, most relevant first.
type SearchResult struct {
	Memories    []SearchHit `json:"memories"`
	Preferences []SearchHit `json:"preferences"`
	Notes       []string    `json:"notes,omitempty"`
}

// Search recalls a user's activated, unexpired memories relevant to a query.
func (c *Core) Search(ctx context.Context, req SearchRequest) (SearchResult, error) {
	if err := c.checkSearch(&req); err != nil {
		return SearchResult{}, err
	}
	if err := authorize(ctx, req.UserID); err != nil {
		return SearchResult{}, err
	}
	expr, err := ParseFilter("filter", req.Filter)
	if err != nil {
		return SearchResult{}, err
	}
	res := SearchResult{Memories: []SearchHit{}, Preferences: []SearchHit{}}
	query := req.Query
	if req.Mode == ModeFine {
		rewritten, note := c.rewriteQuery(ctx, req.Query)
		query = rewritten
		if note != "" {
			res.Notes = append(res.Notes, note)
		}
	}
	vecs, err := c.embed(ctx, []string{query})
	if err != nil {
		return SearchResult{}, err
	}
	req.Query = query
	scope := Scope{UserID: req.UserID, CubeIDs: req.CubeIDs}
	topK, prefTopK := *req.TopK, *req.PrefTopK
	if !*req.IncludePreference {
		prefTopK = 0
	}

	factLimit := topK
	switch req.Dedup {
	case DedupExact:
		factLimit = topK * 2
	case DedupSim:
		factLimit = topK * 5
	case DedupMMR:
		factLimit = topK * 3
	}
	facts, err := c.recall(ctx, scope, KindFact, vecs[0], factLimit, req, expr)
	if err != nil {
		return SearchResult{}, err
	}
	var prefs []ranked
	if prefTopK > 0 {
		prefLimit := prefTopK * 2
		if req.Dedup == DedupMMR {
			prefLimit = prefTopK * 3
		}
		if prefs, err = c.recall(ctx, scope, KindPreference, vecs[0], prefLimit, req, expr); err != nil {
			return SearchResult{}, err
		}
	}

	switch req.Dedup {
	case DedupNo:
	case DedupExact:
		facts, prefs = dedupExactText(facts), dedupExactText(prefs)
	case DedupSim:
		facts, prefs = dedupSimilar(facts, topK), dedupExactText(prefs)
	case DedupMMR:
		all := append(append([]ranked{}, facts...), prefs...)
		sort.SliceStable(all, func(i, j int) bool { return all[i].relevance > all[j].relevance })
		facts, prefs = dedupMMR(all, topK, prefTopK)
	}
	for i, f := range facts {
		if i == topK {
			break
		}
		res.Memories = append(res.Memories, f.hit)
	}
	for i, p := range prefs {
		if i == prefTopK {
			break
		}
		res.Preferences = append(res.Preferences, p.hit)
	}
	return res, nil
}

// recall fetches candidates of one kind, best first (the store fuses vector and lexical ranks),
// applies the relativity threshold, and moves memories of the request's conversation up a little.
func (c *Core) recall(ctx context.Context, scope Scope, kind Kind, vec []float32, limit int, req SearchRequest, expr *Expr) ([]ranked, error) {
	hits, err := c.store.Search(ctx, VectorQuery{Scope: scope, Filter: Filter{Kind: kind, Now: c.clock(), Expr: expr},
		Vector: vec, Text: req.Query, Limit: limit})
	if err != nil {
		return nil, fmt.Errorf("search %s memories: %w", kind, err)
	}
	type placed struct {
		r   ranked
		pos int
	}
	var list []placed
	for i, h := range hits {
		// A memory sharing nothing with the query is not a result, whatever the threshold; unless a
		// filter chose the memories ("my trips last summer"), then they are the results, ranked.
		if (h.Score <= 0 && expr == nil) || (*req.Relativity > 0 && h.Score < *req.Relativity) {
			continue
		}
		pos := i
		if req.ConversationID != "" && h.Memory.ConversationID == req.ConversationID {
			pos -= conversationBoost
		}
		list = append(list, placed{ranked{hit: SearchHit{Memory: h.Memory, Score: round3(h.Score), Relevance: round3(h.Relevance)},
			relevance: h.Score, pref: kind == KindPreference}, pos})
	}
	sort.SliceStable(list, func(i, j int) bool { return list[i].pos < list[j].pos })
	out := make([]ranked, len(list))
	for i, p := range list {
		out[i] = p.r
	}
	return out, nil
}

// rewriteQuery asks the model for a standalone search query (mode fine). Without a model, or when
// it fails, the query is used as given and the note says so.
func (c *Core) rewriteQuery(ctx context.Context, query string) (string, string) {
	if c.llm == nil {
		return query, "mode fine needs a generation model to rewrite the query; searched in fast mode"
	}
	name := "rewrite_en.md"
	if isChinese(query) {
		name = "rewrite_zh.md"
	}
	prompt, err := prompts.Render(name, map[string]string{"Query": query})
	if err != nil {
		return query, "the query could not be rewritten: " + err.Error()
	}
	temp := 0.0
	resp, err := c.llm.Chat(ctx, ChatRequestLLM{Messages: []LLMMessage{{Role: RoleUser, Content: prompt}}, Temperature: &temp,
		MaxTokens: 200, Format: rewriteSchema})
	if err != nil {
		return query, "the model could not rewrite the query, so it was used as given: " + err.Error()
	}
	var out struct {
		Query string `json:"query"`
	}
	text, _ := splitThinking(resp.Content)
	if start, end := strings.Index(text, "{"), strings.LastIndex(text, "}"); start >= 0 && end > start {
		_ = json.Unmarshal([]byte(text[start:end+1]), &out)
	}
	out.Query = strings.TrimSpace(out.Query)
	if out.Query == "" || utf8.RuneCountInString(out.Query) > MaxQueryRunes {
		return query, "the model's rewritten query was unusable, so the query was used as given"
	}
	return out.Query, ""
}

var rewriteSchema = []byte(`{"type":"object","properties":{"query":{"type":"string","maxLength":400}},"required":["query"]}`)

func (c *Core) checkSearch(req *SearchRequest) error {
	if err := checkName("user_id", req.UserID); err != nil {
		return err
	}
	if err := checkText("query", &req.Query, MaxQueryRunes, `give the text to search for, e.g. "what food does the user like?"`, "search with a shorter query"); err != nil {
		return err
	}
	if err := defaultInt(&req.TopK, "top_k", DefaultTopK, 1, MaxTopK); err != nil {
		return err
	}
	if err := defaultInt(&req.PrefTopK, "pref_top_k", DefaultPrefTopK, 0, MaxTopK); err != nil {
		return err
	}
	defaultBool(&req.IncludePreference, true)
	if req.Relativity == nil {
		zero := 0.0
		req.Relativity = &zero
	}
	if r := *req.Relativity; r < 0 || r > 1 {
		return Invalidf("relativity", "give a score between 0 and 1 (0 disables the threshold)", "%g is out of range", r)
	}
	req.Dedup = strings.ToLower(strings.TrimSpace(req.Dedup))
	switch req.Dedup {
	case DedupExact, DedupNo, DedupSim, DedupMMR:
	default:
		return Invalidf("dedup", `use "no", "sim" or "mmr", or leave it out for exact-text de-duplication`,
			"unknown strategy %q", truncate(req.Dedup, 30))
	}
	for i, cube := range req.CubeIDs {
		if err := checkName(fmt.Sprintf("mem_cube_ids[%d]", i), cube); err != nil {
			return err
		}
	}
	if err := checkOptionalName("conversation_id", req.ConversationID); err != nil {
		return err
	}
	req.Mode = strings.ToLower(strings.TrimSpace(req.Mode))
	switch req.Mode {
	case "":
		req.Mode = "fast"
	case ModeFast, ModeFine:
	default:
		return Invalidf("mode", `use "fast" or "fine"`, "unknown mode %q", truncate(req.Mode, 30))
	}
	return nil
}

// defaultInt fills *p with def when nil and checks it lies in [lo, hi].
func defaultInt(p **int, field string, def, lo, hi int) error {
	if *p == nil {
		v := def
		*p = &v
		return nil
	}
	if v := **p; v < lo || v > hi {
		fix := fmt.Sprintf("give a number from %d to %d (default %d)", lo, hi, def)
		if hi == math.MaxInt {
			fix = fmt.Sprintf("give a number from %d up (default %d)", lo, def)
		}
		return Invalidf(field, fix, "%d is out of range", v)
	}
	return nil
}

func defaultBool(p **bool, def bool) {
	if *p == nil {
		*p = &def
	}
}
