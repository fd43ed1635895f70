package memstore

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/memos-mcp/memos-mcp/prompts"
)

// DefaultConflictSimilarity is the cosine at or above which a new memory is checked against an
// existing one for a conflict (below DuplicateSimilarity, where it is simply the same memory).
const DefaultConflictSimilarity = 0.8

// favoritePrefix marks the topic of "my favourite X is Y" statements: there is one favourite X, so a
// newer one replaces an older one.
const favoritePrefix = "favorite:"

// stored is what a write of new memories did.
type stored struct {
	memories   []Memory
	duplicates []Duplicate
	updated    []UpdatedMemory
}

// resolveConflicts decides, for new memories about to be stored, which existing memories of the
// user they supersede. With a model, each new memory that is close to existing ones (cosine ≥ the
// configured similarity) is shown to the model with them, which answers ADD, UPDATE (the new
// memory replaces one) or NONE (it adds nothing). Without one, or when the model cannot answer, a
// preference replaces the user's preference on the same object with the other polarity, and a
// favourite replaces the older favourite of the same kind. Replaced memories are archived, never
// deleted, and their texts kept in the new memory's history. It returns the new memories to store
// and the archived versions to write with them.
func (c *Core) resolveConflicts(ctx context.Context, keep []Memory, now time.Time, useModel bool) ([]Memory, []Memory, []UpdatedMemory, []string, error) {
	var out, archived []Memory
	var updated []UpdatedMemory
	var notes []string
	superseded := map[string]bool{}
	for _, m := range keep {
		var targets []Memory
		decided := false
		if useModel && c.llm != nil {
			t, drop, err := c.modelConflicts(ctx, m, now, superseded)
			switch {
			case err == nil:
				targets, decided = t, true
				if drop {
					notes = append(notes, fmt.Sprintf("%q was not stored: the model found the memories already say it", truncate(m.Text(), 80)))
					continue
				}
			case ctx.Err() != nil:
				return nil, nil, nil, nil, ctx.Err()
			default:
				notes = append(notes, "conflicts were checked by rule because the model could not decide: "+err.Error())
			}
		}
		if !decided {
			t, err := c.ruleConflicts(ctx, m, now, superseded)
			if err != nil {
				return nil, nil, nil, nil, err
			}
			targets = t
		}
		for _, old := range targets {
			superseded[old.ID] = true
			m.History = append(m.History, Version{Memory: old.Content, Preference: old.Preference, UpdateType: UpdateConflict,
				ArchivedMemoryID: old.ID, CreatedAt: now})
			old.Status, old.UpdatedAt = StatusArchived, now
			archived = append(archived, old)
			updated = append(updated, UpdatedMemory{ID: m.ID, Memory: m.Text(), PreviousID: old.ID, PreviousMemory: old.Text()})
		}
		out = append(out, m)
	}
	return out, archived, updated, notes, nil
}

// ruleConflicts finds the preferences a new preference supersedes by rule.
func (c *Core) ruleConflicts(ctx context.Context, m Memory, now time.Time, superseded map[string]bool) ([]Memory, error) {
	if m.Kind != KindPreference || (m.Key == "" && !strings.HasPrefix(m.Topic, favoritePrefix)) {
		return nil, nil
	}
	var conds []*Expr
	if m.Key != "" {
		conds = append(conds, &Expr{Cond: &Cond{Field: "key", Op: "eq", Value: m.Key}})
	}
	if strings.HasPrefix(m.Topic, favoritePrefix) {
		conds = append(conds, &Expr{Cond: &Cond{Field: "topic", Op: "eq", Value: m.Topic}})
	}
	hits, err := c.store.Search(ctx, VectorQuery{Scope: Scope{UserID: m.UserID, CubeIDs: []string{m.CubeID}},
		Filter: Filter{Kind: KindPreference, Now: now, Expr: &Expr{Or: conds}}, Vector: m.Embedding, Limit: 20})
	if err != nil {
		return nil, fmt.Errorf("look for conflicting preferences: %w", err)
	}
	var out []Memory
	for _, h := range hits {
		old := h.Memory
		if superseded[old.ID] || old.ID == m.ID {
			continue
		}
		sameObjectOtherWay := old.Key != "" && normalizeText(old.Key) == normalizeText(m.Key) && old.Polarity != m.Polarity
		newerFavorite := strings.HasPrefix(m.Topic, favoritePrefix) && old.Topic == m.Topic && normalizeText(old.Preference) != normalizeText(m.Preference)
		if sameObjectOtherWay || newerFavorite {
			out = append(out, old)
		}
	}
	return out, nil
}

// modelConflicts asks the model about the existing memories close to m. It returns the memories m
// replaces, or drop when m adds nothing.
func (c *Core) modelConflicts(ctx context.Context, m Memory, now time.Time, superseded map[string]bool) ([]Memory, bool, error) {
	hits, err := c.store.Search(ctx, VectorQuery{Scope: Scope{UserID: m.UserID, CubeIDs: []string{m.CubeID}},
		Filter: Filter{Kind: m.Kind, Now: now}, Vector: m.Embedding, Limit: maxFeedbackCands})
	if err != nil {
		return nil, false, fmt.Errorf("look for conflicting memories: %w", err)
	}
	var cands []Memory
	for _, h := range hits {
		if h.Score >= c.conflictSimilarity && !superseded[h.Memory.ID] {
			cands = append(cands, h.Memory)
		}
	}
	if len(cands) == 0 {
		return nil, false, nil
	}
	lines := make([]string, len(cands))
	for i, cand := range cands {
		lines[i] = fmt.Sprintf("m%d: %s", i+1, cand.Text())
	}
	lang := "en"
	if isChinese(m.Text()) {
		lang = "zh"
	}
	var convo strings.Builder
	for _, s := range m.Sources {
		fmt.Fprintf(&convo, "%s: %s\n", s.Role, s.Content)
	}
	prompt, err := prompts.Render("feedback_update_"+lang+".md", map[string]string{
		"Time": now.Format("2006-01-02 15:04 MST"), "Memories": strings.Join(lines, "\n"),
		"Conversation": strings.TrimSpace(convo.String()), "Fact": m.Text()})
	if err != nil {
		return nil, false, err
	}
	var answer struct {
		Operations []memoryOp `json:"operations"`
	}
	if err := c.askJSON(ctx, prompt, opsSchema(len(cands)), &answer); err != nil {
		return nil, false, err
	}
	ops := normalizeOps(answer.Operations, len(cands))
	if len(ops) == 0 {
		return nil, true, nil // NONE: the memories already say it
	}
	var targets []Memory
	for _, op := range ops {
		if op.Operation == "UPDATE" {
			var i int
			fmt.Sscanf(op.ID, "m%d", &i)
			targets = append(targets, cands[i-1])
		}
	}
	return targets, false, nil
}
