package memstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/memos-mcp/memos-mcp/prompts"
)

// errUnusable marks a model answer that cannot be used; the caller falls back to the rules.
var errUnusable = errors.New("the model's answer was unusable")

const (
	maxJudgedItems       = 5
	maxFeedbackCands     = 8
	feedbackHistoryTurns = 4
)

var judgeSchema = []byte(fmt.Sprintf(`{"type":"object","properties":{"items":{"type":"array","maxItems":%d,"items":{"type":"object","properties":{`+
	`"validity":{"type":"boolean"},"user_attitude":{"type":"string","enum":["dissatisfied","satisfied","irrelevant"]},`+
	`"corrected_info":{"type":"string","maxLength":400},"key":{"type":"string","maxLength":60},`+
	`"tags":{"type":"array","maxItems":3,"items":{"type":"string","maxLength":30}},"is_preference":{"type":"boolean"}},`+
	`"required":["validity","user_attitude","corrected_info","key","tags","is_preference"]}}},"required":["items"]}`, maxJudgedItems))

// opsSchema constrains the operations to the candidates shown (ids "m1", "m2", … or "" for ADD).
func opsSchema(n int) []byte {
	ids := []string{`""`}
	for i := 1; i <= n; i++ {
		ids = append(ids, fmt.Sprintf(`"m%d"`, i))
	}
	return []byte(`{"type":"object","properties":{"operations":{"type":"array","maxItems":3,"items":{"type":"object","properties":{` +
		`"operation":{"type":"string","enum":["ADD","UPDATE","NONE"]},"id":{"type":"string","enum":[` + strings.Join(ids, ",") + `]},` +
		`"text":{"type":"string","maxLength":600},"old_memory":{"type":"string","maxLength":600}},` +
		`"required":["operation","id","text","old_memory"]}}},"required":["operations"]}`)
}

type judgedItem struct {
	Validity      bool     `json:"validity"`
	UserAttitude  string   `json:"user_attitude"`
	CorrectedInfo string   `json:"corrected_info"`
	Key           string   `json:"key"`
	Tags          []string `json:"tags"`
	IsPreference  bool     `json:"is_preference"`
}

type memoryOp struct {
	Operation string `json:"operation"`
	ID        string `json:"id"`
	Text      string `json:"text"`
	OldMemory string `json:"old_memory"`
}

// askJSON asks the model for JSON following schema and decodes it into out; an unusable answer is
// errUnusable, an unavailable model is its own error.
func (c *Core) askJSON(ctx context.Context, prompt string, schema []byte, out any) error {
	temp := 0.0
	resp, err := c.llm.Chat(ctx, ChatRequestLLM{Messages: []LLMMessage{{Role: RoleUser, Content: prompt}}, Temperature: &temp, Format: schema})
	if err != nil {
		return err
	}
	text, _ := splitThinking(resp.Content)
	start, end := strings.Index(text, "{"), strings.LastIndex(text, "}")
	if start < 0 || end < start {
		return fmt.Errorf("%w: no JSON object (%q)", errUnusable, truncate(strings.TrimSpace(text), 60))
	}
	if err := json.Unmarshal([]byte(text[start:end+1]), out); err != nil {
		return fmt.Errorf("%w: %v", errUnusable, err)
	}
	return nil
}

// feedbackLLM is MemOS's feedback algorithm: the model judges the feedback against the recent
// conversation; for each piece of corrected information, the candidate memories (the retrieved ones
// first, then the most similar facts and preferences) are shown to the model, which answers with
// ADD / UPDATE / NONE; UPDATE archives the old memory and inserts the corrected one with the old
// text in its history. Only operations that name a shown candidate are applied, all in one write.
func (c *Core) feedbackLLM(ctx context.Context, req FeedbackRequest, now time.Time, res FeedbackResult) (FeedbackResult, error) {
	lang := "en"
	if isChinese(req.FeedbackContent) {
		lang = "zh"
	}
	history := req.History
	if len(history) > feedbackHistoryTurns {
		history = history[len(history)-feedbackHistoryTurns:]
	}
	convo := renderHistory(history, req.FeedbackContent)
	prompt, err := prompts.Render("feedback_judge_"+lang+".md", map[string]string{
		"History": strings.TrimSpace(renderHistory(history, "")), "Time": req.FeedbackTime.Format("2006-01-02 15:04 MST"), "Feedback": req.FeedbackContent})
	if err != nil {
		return res, err
	}
	var judged struct {
		Items []judgedItem `json:"items"`
	}
	if err := c.askJSON(ctx, prompt, judgeSchema, &judged); err != nil {
		return res, fmt.Errorf("judge the feedback: %w", err)
	}
	var items []judgedItem
	for _, it := range judged.Items {
		if it.Validity && strings.TrimSpace(it.CorrectedInfo) != "" {
			items = append(items, it)
		}
	}
	if len(items) == 0 {
		res.Notes = append(res.Notes, "the model found nothing in the feedback to change")
		return res, nil
	}

	unlock := c.users.lock(req.UserID)
	defer unlock()
	src := Source{Type: "feedback", Role: RoleUser, Content: req.FeedbackContent, ChatTime: req.FeedbackTime}
	var writes []Memory // archived versions and replacements, in write order
	var fresh []draft   // additions, embedded and de-duplicated before writing
	taken := map[string]bool{}
	for _, it := range items {
		cands, err := c.feedbackCandidates(ctx, req, it.CorrectedInfo, now, taken)
		if err != nil {
			return res, err
		}
		ops := []memoryOp{{Operation: "ADD"}}
		if len(cands) > 0 {
			lines := make([]string, len(cands))
			for i, m := range cands {
				lines[i] = fmt.Sprintf("m%d: %s", i+1, m.Text())
			}
			prompt, err := prompts.Render("feedback_update_"+lang+".md", map[string]string{
				"Time": now.Format("2006-01-02 15:04 MST"), "Memories": strings.Join(lines, "\n"), "Conversation": convo, "Fact": it.CorrectedInfo})
			if err != nil {
				return res, err
			}
			var answer struct {
				Operations []memoryOp `json:"operations"`
			}
			if err := c.askJSON(ctx, prompt, opsSchema(len(cands)), &answer); err != nil {
				return res, fmt.Errorf("decide the operations: %w", err)
			}
			ops = normalizeOps(answer.Operations, len(cands))
		}
		for _, op := range ops {
			text := strings.TrimSpace(op.Text)
			if text == "" {
				text = strings.TrimSpace(it.CorrectedInfo)
			}
			switch op.Operation {
			case "UPDATE":
				var i int
				fmt.Sscanf(op.ID, "m%d", &i)
				old := cands[i-1]
				taken[old.ID] = true
				repl := old.Clone()
				repl.ID, repl.Status, repl.CreatedAt, repl.UpdatedAt, repl.ExpiresAt = newID(), StatusActivated, now, now, nil
				repl.History = append(repl.History, Version{Memory: old.Content, Preference: old.Preference, UpdateType: UpdateFeedback,
					ArchivedMemoryID: old.ID, CreatedAt: now})
				if old.Kind == KindPreference {
					repl.Preference = text
					repl.Content = strings.TrimSpace(old.Content + "\n" + req.FeedbackContent)
				} else {
					repl.Content = text
				}
				if k := strings.TrimSpace(it.Key); k != "" {
					repl.Key = truncate(k, 80)
				}
				repl.Sources = append(repl.Sources, src)
				repl.Background = convo
				vec, err := c.embed(ctx, []string{EmbedText(&repl)})
				if err != nil {
					return res, err
				}
				repl.Embedding = vec[0]
				old.Status, old.UpdatedAt = StatusArchived, now
				writes = append(writes, old, repl)
				res.Updated = append(res.Updated, UpdatedMemory{ID: repl.ID, Memory: repl.Text(), PreviousID: old.ID, PreviousMemory: old.Text()})
				res.ArchivedIDs = append(res.ArchivedIDs, old.ID)
			case "ADD":
				m := Memory{UserID: req.UserID, CubeID: c.feedbackCube(req), ConversationID: req.ConversationID,
					Info: map[string]string{"source": "feedback"}, Status: StatusActivated, CreatedAt: now, UpdatedAt: now,
					Background: convo, Confidence: 0.99, Sources: []Source{src}, Key: truncate(strings.TrimSpace(it.Key), 80)}
				for _, tag := range it.Tags {
					if tag = strings.TrimSpace(tag); tag != "" && len(m.Tags) < MaxTags {
						m.Tags = append(m.Tags, truncate(tag, MaxTagRunes))
					}
				}
				if it.IsPreference {
					m.Kind, m.MemoryType, m.PreferenceType = KindPreference, PreferenceMemory, ExplicitPreference
					m.Preference, m.Content, m.Topic = text, req.FeedbackContent, m.Key
				} else {
					m.Kind, m.MemoryType, m.Content = KindFact, UserMemory, text
				}
				fresh = append(fresh, draft{m: m, embedText: EmbedText(&m)})
			}
		}
	}
	if len(fresh) > 0 {
		if err := c.embedDrafts(ctx, fresh); err != nil {
			return res, err
		}
		keep, dups, err := c.newMemories(ctx, fresh, writes, nil)
		if err != nil {
			return res, err
		}
		for _, m := range keep {
			res.Added = append(res.Added, added(m))
		}
		for _, d := range dups {
			res.Notes = append(res.Notes, fmt.Sprintf("%q is already remembered as memory %s", d.Memory, d.ExistingID))
		}
		writes = append(writes, keep...)
	}
	if len(writes) > 0 {
		if err := c.store.Put(ctx, writes); err != nil {
			return res, fmt.Errorf("apply feedback: %w", err)
		}
	}
	if len(res.Added)+len(res.Updated) == 0 {
		res.Notes = append(res.Notes, "the model decided the memories already say this")
	}
	return res, nil
}

// normalizeOps keeps the operations that can be applied: UPDATE must name a shown candidate (and
// one candidate is updated once), NONE is dropped, and when anything is updated, plain additions are
// dropped (MemOS: UPDATE and ADD do not go together).
func normalizeOps(ops []memoryOp, n int) []memoryOp {
	var updates, adds []memoryOp
	seen := map[string]bool{}
	for _, op := range ops {
		op.Operation = strings.ToUpper(strings.TrimSpace(op.Operation))
		op.ID = strings.ToLower(strings.TrimSpace(op.ID))
		switch op.Operation {
		case "UPDATE":
			var i int
			if _, err := fmt.Sscanf(op.ID, "m%d", &i); err != nil || i < 1 || i > n || seen[op.ID] {
				continue
			}
			seen[op.ID] = true
			updates = append(updates, op)
		case "ADD":
			adds = append(adds, op)
		}
	}
	if len(updates) > 0 {
		return updates
	}
	if len(adds) > 1 {
		adds = adds[:1]
	}
	return adds
}

// feedbackCandidates returns the memories a piece of corrected information may update: the
// retrieved ones, then the facts and preferences most similar to it, activated and unexpired, within
// the writable cubes, skipping those already updated by this feedback.
func (c *Core) feedbackCandidates(ctx context.Context, req FeedbackRequest, info string, now time.Time, taken map[string]bool) ([]Memory, error) {
	scope := Scope{UserID: req.UserID, CubeIDs: req.WritableCubeIDs}
	var out []Memory
	add := func(m Memory) {
		if len(out) < maxFeedbackCands && !taken[m.ID] && !slices.ContainsFunc(out, func(o Memory) bool { return o.ID == m.ID }) {
			out = append(out, m)
		}
	}
	if len(req.RetrievedMemoryIDs) > 0 {
		ms, err := c.store.Get(ctx, req.RetrievedMemoryIDs)
		if err != nil {
			return nil, fmt.Errorf("read retrieved memories: %w", err)
		}
		f := Filter{Now: now}
		for _, m := range ms {
			if m.UserID == req.UserID && scope.HasCube(m.CubeID) && f.Match(&m) {
				add(m)
			}
		}
	}
	vecs, err := c.embed(ctx, []string{info})
	if err != nil {
		return nil, err
	}
	for _, kind := range []Kind{KindPreference, KindFact} {
		hits, err := c.store.Search(ctx, VectorQuery{Scope: scope, Filter: Filter{Kind: kind, Now: now}, Vector: vecs[0], Text: info, Limit: 4})
		if err != nil {
			return nil, fmt.Errorf("find memories the feedback may correct: %w", err)
		}
		for _, h := range hits {
			if h.Score > 0.01 {
				add(h.Memory)
			}
		}
	}
	return out, nil
}
