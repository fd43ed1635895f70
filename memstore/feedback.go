package memstore

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/memos-mcp/memos-mcp/memstore/lexical"
)

// maxPreferenceCandidates bounds how many of a user's preferences a feedback is checked against.
const maxPreferenceCandidates = 2000

// FeedbackRequest is a user's natural-language feedback on what the assistant remembered.
type FeedbackRequest struct {
	UserID          string
	ConversationID  string
	FeedbackContent string
	FeedbackTime    time.Time // zero: now
	// History is the conversation the feedback reacts to (most recent last).
	History []Message
	// RetrievedMemoryIDs are the memories shown to the assistant in the turn being corrected; they
	// are the first candidates for correction.
	RetrievedMemoryIDs []string
	// WritableCubeIDs limits which cubes the feedback may change; empty means all the user's cubes.
	WritableCubeIDs []string
	// AllowKnowledgebaseIDs is accepted for MemOS compatibility; this server has no knowledge bases.
	AllowKnowledgebaseIDs []string
	// AsyncMode "async" queues the feedback and returns at once (see Task); "sync" is the default.
	AsyncMode string
}

// UpdatedMemory is a memory that replaced an earlier one.
type UpdatedMemory struct {
	ID             string `json:"id"`
	Memory         string `json:"memory"`
	PreviousID     string `json:"previous_id"`
	PreviousMemory string `json:"previous_memory"`
}

// FeedbackResult says exactly what a feedback changed.
type FeedbackResult struct {
	Added       []AddedMemory   `json:"added"`
	Updated     []UpdatedMemory `json:"updated"`
	ArchivedIDs []string        `json:"archived_ids"`
	Notes       []string        `json:"notes,omitempty"`
	// TaskID names the queued work of an async feedback (see get_task_status).
	TaskID     string `json:"task_id,omitempty"`
	TaskStatus string `json:"task_status,omitempty"`
}

// Feedback applies a user's feedback. With a model it follows MemOS's algorithm (feedbackLLM); when
// the model is unavailable or its answers are unusable, and without a model, it is rule-based: a feedback that states a
// preference archives the user's conflicting preferences (same object with the other polarity; or,
// when the feedback is a correction, same topic and polarity, or what the corrected answer said)
// and adds or reuses the corrected preference, keeping the archived texts in its history. Any
// other feedback is stored as a fact with source "feedback". Nothing is deleted.
func (c *Core) Feedback(ctx context.Context, req FeedbackRequest) (FeedbackResult, error) {
	now := c.clock()
	if err := c.checkFeedback(&req); err != nil {
		return FeedbackResult{}, err
	}
	if err := authorize(ctx, req.UserID); err != nil {
		return FeedbackResult{}, err
	}
	if req.FeedbackTime.IsZero() {
		req.FeedbackTime = now
	}
	if req.AsyncMode == AsyncMode {
		return c.feedbackAsync(ctx, req, now)
	}
	res := FeedbackResult{Added: []AddedMemory{}, Updated: []UpdatedMemory{}, ArchivedIDs: []string{}}
	if len(req.AllowKnowledgebaseIDs) > 0 {
		res.Notes = append(res.Notes, "allow_knowledgebase_ids was ignored: this server has no knowledge bases")
	}
	if c.llm != nil {
		out, err := c.feedbackLLM(ctx, req, now, res)
		if err == nil {
			return out, nil
		}
		if !errors.Is(err, errUnusable) && !errors.Is(err, ErrUnavailable) {
			return FeedbackResult{}, err
		}
		c.log.Warn().Err(err).Str("user", req.UserID).Msg("feedback: the model could not process it; applying it by rule")
		res.Notes = append(res.Notes, "the model could not process the feedback ("+err.Error()+"), so it was applied by rule")
	}
	msg := Message{Role: RoleUser, Content: req.FeedbackContent, ChatTime: req.FeedbackTime}
	base := Memory{
		UserID: req.UserID, CubeID: c.feedbackCube(req), ConversationID: req.ConversationID,
		Info: map[string]string{"source": "feedback"}, Status: StatusActivated, CreatedAt: now, UpdatedAt: now,
		Background: renderHistory(req.History, req.FeedbackContent),
	}
	statements := c.rules.Preferences(req.FeedbackContent)
	if len(statements) == 0 {
		m := base
		m.Kind, m.MemoryType = KindFact, UserMemory
		m.Content = req.FeedbackContent
		m.Confidence = 0.99
		m.Sources = sourcesOf("feedback", []Message{msg})
		stored, dups, err := c.storeDrafts(ctx, req.UserID, []draft{{m: m, embedText: m.Content}})
		if err != nil {
			return FeedbackResult{}, err
		}
		for _, s := range stored {
			res.Added = append(res.Added, added(s))
		}
		for _, d := range dups {
			res.Notes = append(res.Notes, fmt.Sprintf("already remembered as memory %s", d.ExistingID))
		}
		return res, nil
	}

	drafts := make([]draft, len(statements))
	for i, p := range statements {
		drafts[i] = draft{m: preferenceMemory(base, p, msg, "feedback", nil), embedText: p.Sentence + "\n" + msg.Content}
	}
	if err := c.embedDrafts(ctx, drafts); err != nil {
		return FeedbackResult{}, err
	}
	unlock := c.users.lock(req.UserID)
	defer unlock()
	cands, err := c.preferenceCandidates(ctx, req, now)
	if err != nil {
		return FeedbackResult{}, err
	}
	correction := c.rules.IsCorrection(req.FeedbackContent)
	corrected := correctedText(req.History)
	// Every change of this feedback is collected and written in one transaction at the end: a
	// failure leaves nothing half-applied.
	var writes []Memory
	for i, p := range statements {
		target := drafts[i].m
		var same *Memory
		var conflicts []Memory
		var byTopic *Memory // the newest preference conflicting only by topic
		for j := range cands {
			old := &cands[j]
			if samePreference(old, p) {
				same = old
				continue
			}
			switch conflictsWith(old, p, correction, corrected, req.RetrievedMemoryIDs) {
			case conflictDirect:
				conflicts = append(conflicts, *old)
			case conflictTopic:
				if byTopic == nil || byTopic.CreatedAt.Before(old.CreatedAt) {
					byTopic = old
				}
			}
		}
		// Without the corrected answer or the retrieved memories, a correction ("wrong, actually I
		// like mangosteen") is taken to target the latest statement on its topic, not all of them.
		if byTopic != nil && len(conflicts) == 0 && same == nil {
			conflicts = append(conflicts, *byTopic)
		}
		if len(conflicts) == 0 {
			if same != nil {
				res.Notes = append(res.Notes, fmt.Sprintf("%q is already remembered as memory %s", p.Sentence, same.ID))
				continue
			}
			fresh, dups, err := c.newMemories(ctx, []draft{drafts[i]}, writes, nil)
			if err != nil {
				return FeedbackResult{}, err
			}
			for _, m := range fresh {
				res.Added = append(res.Added, added(m))
				cands = append(cands, m)
			}
			writes = append(writes, fresh...)
			for _, d := range dups {
				res.Notes = append(res.Notes, fmt.Sprintf("%q is already remembered as memory %s", p.Sentence, d.ExistingID))
			}
			continue
		}
		// Archive-old + insert-new (or reuse the memory that already says it).
		if target.ID == "" {
			target.ID = newID()
			target.CubeID = conflicts[0].CubeID
		}
		target.UpdatedAt = now
		for _, old := range conflicts {
			target.History = append(target.History, Version{
				Memory: old.Content, Preference: old.Preference, UpdateType: UpdateFeedback,
				ArchivedMemoryID: old.ID, CreatedAt: now,
			})
			old.Status, old.UpdatedAt = StatusArchived, now
			writes = upsert(writes, old)
		}
		writes = upsert(writes, target)
		if same == nil {
			res.Added = append(res.Added, added(target))
		}
		for _, old := range conflicts {
			res.Updated = append(res.Updated, UpdatedMemory{ID: target.ID, Memory: target.Preference,
				PreviousID: old.ID, PreviousMemory: old.Preference})
			res.ArchivedIDs = append(res.ArchivedIDs, old.ID)
		}
		// Later statements of the same feedback see the new state.
		cands = slices.DeleteFunc(cands, func(m Memory) bool {
			return m.ID == target.ID || slices.ContainsFunc(conflicts, func(o Memory) bool { return o.ID == m.ID })
		})
		cands = append(cands, target)
	}
	if len(writes) > 0 {
		if err := c.store.Put(ctx, writes); err != nil {
			return FeedbackResult{}, fmt.Errorf("apply feedback: %w", err)
		}
	}
	return res, nil
}

// upsert replaces the memory with m's id in list, or appends m.
func upsert(list []Memory, m Memory) []Memory {
	for i := range list {
		if list[i].ID == m.ID {
			list[i] = m
			return list
		}
	}
	return append(list, m)
}

// feedbackCube is where a new memory from feedback goes: the first writable cube, else the user's own.
func (c *Core) feedbackCube(req FeedbackRequest) string {
	if len(req.WritableCubeIDs) > 0 {
		return req.WritableCubeIDs[0]
	}
	return req.UserID
}

// preferenceCandidates returns the user's activated, unexpired preferences the feedback may change:
// the retrieved ones first, then the newest others, within the writable cubes.
func (c *Core) preferenceCandidates(ctx context.Context, req FeedbackRequest, now time.Time) ([]Memory, error) {
	scope := Scope{UserID: req.UserID, CubeIDs: req.WritableCubeIDs}
	filter := Filter{Kind: KindPreference, Now: now}
	var out []Memory
	seen := make(map[string]bool)
	if len(req.RetrievedMemoryIDs) > 0 {
		ms, err := c.store.Get(ctx, req.RetrievedMemoryIDs)
		if err != nil {
			return nil, fmt.Errorf("read retrieved memories: %w", err)
		}
		for _, m := range ms {
			if m.UserID == req.UserID && scope.HasCube(m.CubeID) && filter.Match(&m) {
				out = append(out, m)
				seen[m.ID] = true
			}
		}
	}
	for offset := 0; offset < maxPreferenceCandidates; offset += MaxPageSize * 5 {
		page, err := c.store.List(ctx, ListQuery{Scope: scope, Filter: filter, Offset: offset, Limit: MaxPageSize * 5})
		if err != nil {
			return nil, fmt.Errorf("read preferences: %w", err)
		}
		for _, m := range page.Memories {
			if !seen[m.ID] {
				out = append(out, m)
				seen[m.ID] = true
			}
		}
		if offset+len(page.Memories) >= page.Total || len(page.Memories) == 0 {
			break
		}
	}
	return out, nil
}

// samePreference reports whether old already states p.
func samePreference(old *Memory, p PreferenceStatement) bool {
	if normalizeText(old.Preference) == normalizeText(p.Sentence) {
		return true
	}
	return old.Polarity == p.Polarity && old.Key != "" && normalizeText(old.Key) == normalizeText(p.Object)
}

// conflict is why a new preference statement supersedes an old one.
type conflict int

const (
	conflictNone   conflict = iota
	conflictDirect          // same object, other polarity; or what the corrected turn relied on
	conflictTopic           // a correction on the same topic, with nothing more specific to go by
)

// conflictsWith reports whether, and why, the new statement p supersedes old.
func conflictsWith(old *Memory, p PreferenceStatement, correction bool, corrected string, retrieved []string) conflict {
	sameObject := old.Key != "" && normalizeText(old.Key) == normalizeText(p.Object)
	if sameObject && old.Polarity != p.Polarity {
		return conflictDirect // the user changed their mind about the same thing
	}
	if !correction || old.Polarity != p.Polarity {
		return conflictNone
	}
	// A correction targets what the corrected turn relied on: the memories retrieved for it, and the
	// preferences its answer repeated ("你喜欢苹果" → the apple preference).
	if slices.Contains(retrieved, old.ID) {
		return conflictDirect
	}
	if corrected != "" || len(retrieved) > 0 {
		if old.Key != "" && corrected != "" && mentions(corrected, old.Key) {
			return conflictDirect
		}
		return conflictNone
	}
	if old.Topic != "" && normalizeText(old.Topic) == normalizeText(p.Topic) {
		return conflictTopic
	}
	return conflictNone
}

// mentions reports whether text speaks of the thing key names: it contains the key, or (for
// space-separated languages) at least half of the key's content words.
func mentions(text, key string) bool {
	text, key = strings.ToLower(text), strings.ToLower(key)
	if strings.Contains(text, key) {
		return true
	}
	words := strings.FieldsFunc(text, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
	var content, found int
	for _, w := range strings.FieldsFunc(key, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }) {
		if lexical.Stopwords[w] || len([]rune(w)) < 2 {
			continue
		}
		content++
		if slices.Contains(words, w) {
			found++
		}
	}
	return content > 0 && found*2 >= content
}

// correctedText is what the assistant said last in the history: the answer a feedback corrects.
func correctedText(history []Message) string {
	for i := len(history) - 1; i >= 0; i-- {
		if history[i].Role == RoleAssistant {
			return history[i].Content
		}
	}
	return ""
}

// renderHistory renders the conversation and the feedback as the memory's background.
func renderHistory(history []Message, feedback string) string {
	var b strings.Builder
	for _, m := range history {
		b.WriteString(m.Role)
		b.WriteString(": ")
		b.WriteString(m.Content)
		b.WriteByte('\n')
	}
	b.WriteString("feedback: ")
	b.WriteString(feedback)
	return b.String()
}

func (c *Core) checkFeedback(req *FeedbackRequest) error {
	if err := checkName("user_id", req.UserID); err != nil {
		return err
	}
	if err := checkOptionalName("conversation_id", req.ConversationID); err != nil {
		return err
	}
	if err := checkText("feedback_content", &req.FeedbackContent, MaxMessageRunes, `give the user's feedback, e.g. "wrong, actually I like mangosteen"`, "shorten it"); err != nil {
		return err
	}
	if err := checkMessages("history", req.History, false); err != nil {
		return err
	}
	if len(req.RetrievedMemoryIDs) > MaxIDsPerCall {
		return Invalidf("retrieved_memory_ids", "pass the ids shown in the last turn only", "has %d ids, the limit is %d", len(req.RetrievedMemoryIDs), MaxIDsPerCall)
	}
	for i, id := range req.RetrievedMemoryIDs {
		canon, err := CheckMemoryID(fmt.Sprintf("retrieved_memory_ids[%d]", i), id)
		if err != nil {
			return err
		}
		req.RetrievedMemoryIDs[i] = canon
	}
	for i, cube := range req.WritableCubeIDs {
		if err := checkName(fmt.Sprintf("writable_cube_ids[%d]", i), cube); err != nil {
			return err
		}
	}
	for i, kb := range req.AllowKnowledgebaseIDs {
		if err := checkName(fmt.Sprintf("allow_knowledgebase_ids[%d]", i), kb); err != nil {
			return err
		}
	}
	return checkAsyncMode(&req.AsyncMode, c.tasks != nil)
}
