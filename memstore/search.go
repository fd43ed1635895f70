package memstore

import (
	"context"
	"fmt"
	"math"
	"sort"
	"strings"
)

// Defaults of search, as in MemOS.
const (
	DefaultTopK     = 10
	DefaultPrefTopK = 6
)

// conversationBoost lifts memories from the conversation named in a search (MemOS treats the
// session as a soft priority, not a filter). It changes the ranking only; reported scores stay cosine.
const conversationBoost = 0.05

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
}

// SearchHit is a recalled memory with its relevance: the cosine similarity between the query and
// the memory, in [-1, 1].
type SearchHit struct {
	Memory
	Score float64 `json:"score"`
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
	res := SearchResult{Memories: []SearchHit{}, Preferences: []SearchHit{}}
	if req.Mode == ModeFine {
		res.Notes = append(res.Notes, "mode fine needs a generation model to rewrite the query; searched in fast mode")
	}
	vecs, err := c.embed(ctx, []string{req.Query})
	if err != nil {
		return SearchResult{}, err
	}
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
	facts, err := c.recall(ctx, scope, KindFact, vecs[0], factLimit, req)
	if err != nil {
		return SearchResult{}, err
	}
	var prefs []ranked
	if prefTopK > 0 {
		prefLimit := prefTopK * 2
		if req.Dedup == DedupMMR {
			prefLimit = prefTopK * 3
		}
		if prefs, err = c.recall(ctx, scope, KindPreference, vecs[0], prefLimit, req); err != nil {
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

// recall fetches candidates of one kind, applies the relativity threshold and the conversation
// boost, and returns them by relevance.
func (c *Core) recall(ctx context.Context, scope Scope, kind Kind, vec []float32, limit int, req SearchRequest) ([]ranked, error) {
	hits, err := c.store.Search(ctx, VectorQuery{Scope: scope, Filter: Filter{Kind: kind, Now: c.clock()}, Vector: vec, Limit: limit})
	if err != nil {
		return nil, fmt.Errorf("search %s memories: %w", kind, err)
	}
	out := make([]ranked, 0, len(hits))
	for _, h := range hits {
		// A memory sharing nothing with the query is not a result, whatever the threshold.
		if h.Score <= 0 || h.Score < *req.Relativity {
			continue
		}
		r := ranked{hit: SearchHit{Memory: h.Memory, Score: round3(h.Score)}, relevance: h.Score, pref: kind == KindPreference}
		if req.ConversationID != "" && h.Memory.ConversationID == req.ConversationID {
			r.relevance += conversationBoost
		}
		out = append(out, r)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].relevance > out[j].relevance })
	return out, nil
}

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
