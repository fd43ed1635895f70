package memstore

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Roles a message may have.
const (
	RoleUser      = "user"
	RoleAssistant = "assistant"
	RoleSystem    = "system"
)

// Modes of add_message.
const (
	ModeFast = "fast" // no model: windows and rule-based preferences
	ModeFine = "fine" // the LLM extracts facts and preferences
)

// TagFast marks memories stored verbatim by fast mode, as MemOS does.
const TagFast = "mode:fast"

// DuplicateSimilarity is the cosine at or above which a new memory is the same as an existing one.
const DuplicateSimilarity = 0.97

// Message is one chat message.
type Message struct {
	Role    string
	Content string
	// ChatTime is when the message was said; zero means now.
	ChatTime time.Time
}

// AddRequest asks to remember a conversation.
type AddRequest struct {
	UserID         string
	CubeID         string // empty: the user's own cube (cube id = user id)
	ConversationID string
	Messages       []Message
	Mode           string // "", "fast" or "fine"; empty picks fine when an LLM is configured
	Tags           []string
	Info           map[string]string
	ExpiresAt      *time.Time
	// TTL sets ExpiresAt relative to now ("24h", "7d"); give one of the two.
	TTL string
	// AsyncMode "async" stores the messages at once in fast mode and refines them in the
	// background (see Task); "sync" (the default) does all the work before returning.
	AsyncMode string
}

// AddedMemory is a memory an add created.
type AddedMemory struct {
	ID             string         `json:"id"`
	Memory         string         `json:"memory"`
	MemoryType     MemoryType     `json:"memory_type"`
	PreferenceType PreferenceType `json:"preference_type,omitempty"`
	Preference     string         `json:"preference,omitempty"`
	CubeID         string         `json:"cube_id"`
}

// Duplicate is a memory an add did not store because the user already has it.
type Duplicate struct {
	Memory     string  `json:"memory"`
	ExistingID string  `json:"existing_id"`
	Similarity float64 `json:"similarity"`
}

// AddResult reports what an add stored.
type AddResult struct {
	Memories   []AddedMemory `json:"memories"`
	Duplicates []Duplicate   `json:"duplicates"`
	// Updated lists existing memories the new ones superseded (now archived, kept in history).
	Updated []UpdatedMemory `json:"updated"`
	// Mode is the mode actually used.
	Mode  string   `json:"mode"`
	Notes []string `json:"notes,omitempty"`
	// TaskID names the background refinement of an async add (see get_task_status).
	TaskID     string `json:"task_id,omitempty"`
	TaskStatus string `json:"task_status,omitempty"`
}

// AddMessages turns a conversation into memories: in fast mode every message window becomes a fact
// memory and every explicit preference the user states becomes a preference memory. Memories the
// user already has (same text, or cosine ≥ DuplicateSimilarity) are reported, not stored again.
func (c *Core) AddMessages(ctx context.Context, req AddRequest) (AddResult, error) {
	now := c.clock()
	if err := c.checkAdd(&req, now); err != nil {
		return AddResult{}, err
	}
	if err := authorize(ctx, req.UserID); err != nil {
		return AddResult{}, err
	}
	res := AddResult{Mode: req.Mode, Memories: []AddedMemory{}, Duplicates: []Duplicate{}, Updated: []UpdatedMemory{}}
	for i := range req.Messages {
		if req.Messages[i].ChatTime.IsZero() {
			req.Messages[i].ChatTime = now
		}
	}
	var drafts []draft
	switch {
	case req.AsyncMode == AsyncMode:
		return c.addAsync(ctx, req, now)
	case req.Mode == ModeFine && c.llm == nil:
		res.Mode = ModeFast
		res.Notes = append(res.Notes, "mode fine needs a generation model and none is configured, so the messages were stored in fast mode (verbatim windows and rule-based preferences)")
		drafts = c.fastDrafts(req, now)
	case req.Mode == ModeFine:
		var notes []string
		drafts, notes, _ = c.fineDrafts(ctx, req, now)
		res.Notes = append(res.Notes, notes...)
	default:
		drafts = c.fastDrafts(req, now)
	}
	st, err := c.storeDraftsExcept(ctx, req.UserID, drafts, nil, req.Mode == ModeFine)
	if err != nil {
		return AddResult{}, err
	}
	for _, m := range st.memories {
		res.Memories = append(res.Memories, added(m))
	}
	res.Duplicates = append(res.Duplicates, st.duplicates...)
	res.Updated = append(res.Updated, st.updated...)
	c.logTranscript(ctx, req, &res.Notes)
	c.log.Debug().Str("user", req.UserID).Str("mode", res.Mode).Int("stored", len(st.memories)).Int("duplicates", len(st.duplicates)).Msg("add_message")
	return res, nil
}

// logTranscript appends the request's messages to its conversation's transcript.
func (c *Core) logTranscript(ctx context.Context, req AddRequest, notes *[]string) {
	if c.messages == nil || req.ConversationID == "" {
		return
	}
	if err := c.messages.AppendMessages(ctx, req.UserID, req.ConversationID, req.Messages); err != nil {
		// The memories are stored; only the conversation's transcript is incomplete.
		c.log.Warn().Err(err).Str("user", req.UserID).Msg("add_message: could not log the conversation")
		*notes = append(*notes, "the memories were stored, but the conversation transcript could not be saved: "+err.Error())
	}
}

func added(m Memory) AddedMemory {
	return AddedMemory{ID: m.ID, Memory: m.Content, MemoryType: m.MemoryType, PreferenceType: m.PreferenceType,
		Preference: m.Preference, CubeID: m.CubeID}
}

// checkAdd validates and normalises an AddRequest.
func (c *Core) checkAdd(req *AddRequest, now time.Time) error {
	if err := checkName("user_id", req.UserID); err != nil {
		return err
	}
	if req.CubeID == "" {
		req.CubeID = req.UserID
	}
	if err := checkName("mem_cube_id", req.CubeID); err != nil {
		return err
	}
	if err := checkOptionalName("conversation_id", req.ConversationID); err != nil {
		return err
	}
	if err := checkMessages("messages", req.Messages, true); err != nil {
		return err
	}
	req.Mode = strings.ToLower(strings.TrimSpace(req.Mode))
	switch req.Mode {
	case "":
		req.Mode = ModeFast
		if c.llm != nil {
			req.Mode = ModeFine
		}
	case ModeFast, ModeFine:
	default:
		return Invalidf("mode", `use "fast" (store the conversation as it is) or "fine" (let the model extract facts)`,
			"unknown mode %q", truncate(req.Mode, 30))
	}
	if err := checkAsyncMode(&req.AsyncMode, c.tasks != nil); err != nil {
		return err
	}
	if err := checkTags("tags", req.Tags); err != nil {
		return err
	}
	if err := checkInfo("info", req.Info); err != nil {
		return err
	}
	if req.TTL != "" {
		if req.ExpiresAt != nil {
			return Invalid("ttl", "cannot be combined with expires_at", "give ttl (how long to keep the memories) or expires_at (until when), not both")
		}
		d, err := ParseTTL("ttl", req.TTL)
		if err != nil {
			return err
		}
		t := now.Add(d)
		req.ExpiresAt = &t
	}
	if req.ExpiresAt != nil && !req.ExpiresAt.After(now) {
		return Invalidf("expires_at", "give a time in the future, or leave expires_at out to keep the memories until deleted",
			"%s is not in the future (now is %s)", req.ExpiresAt.Format(time.RFC3339), now.Format(time.RFC3339))
	}
	return nil
}

// checkMessages validates chat messages; roles are normalised to lower case in place.
func checkMessages(field string, msgs []Message, required bool) error {
	if len(msgs) == 0 && required {
		return Invalid(field, "is empty", `give at least one message, e.g. [{"role": "user", "content": "I like apples"}]`)
	}
	if len(msgs) > MaxMessages {
		return Invalidf(field, "send the conversation in several calls", "has %d messages, the limit is %d", len(msgs), MaxMessages)
	}
	for i := range msgs {
		m := &msgs[i]
		if !m.ChatTime.IsZero() && (m.ChatTime.Year() < 1900 || m.ChatTime.After(time.Now().Add(24*time.Hour))) {
			return Invalidf(fmt.Sprintf("%s[%d].chat_time", field, i), "give the time the message was said, or leave chat_time out for now",
				"%s is not a plausible time for a message", m.ChatTime.Format(time.RFC3339))
		}
		m.Role = strings.ToLower(strings.TrimSpace(m.Role))
		switch m.Role {
		case RoleUser, RoleAssistant, RoleSystem:
		case "":
			return Invalidf(fmt.Sprintf("%s[%d].role", field, i), "use one of user, assistant, system", "is missing")
		default:
			return Invalidf(fmt.Sprintf("%s[%d].role", field, i), "use one of user, assistant, system",
				"unknown role %q", truncate(m.Role, 30))
		}
		if strings.TrimSpace(m.Content) == "" {
			return Invalid(fmt.Sprintf("%s[%d].content", field, i), "is empty", "give the message text, or leave the message out")
		}
		if n := utf8.RuneCountInString(m.Content); n > MaxMessageRunes {
			return Invalidf(fmt.Sprintf("%s[%d].content", field, i), "split it into several messages",
				"is %d characters long, the limit is %d", n, MaxMessageRunes)
		}
	}
	return nil
}

// draft is a memory not yet embedded or de-duplicated.
type draft struct {
	m         Memory
	embedText string
}

// fastDrafts builds the fast-mode memories of a request: one fact per window, one preference per
// explicit preference statement in a user message.
func (c *Core) fastDrafts(req AddRequest, now time.Time) []draft {
	var out []draft
	for _, w := range windows(req.Messages, WindowTokens) {
		out = append(out, c.fastWindowDrafts(req, w, now)...)
	}
	return out
}

// fastWindowDrafts builds the fast-mode memories of one window. Preferences are taken from the
// window's user messages, except a first message repeated from the previous window.
func (c *Core) fastWindowDrafts(req AddRequest, w window, now time.Time) []draft {
	base := Memory{
		UserID: req.UserID, CubeID: req.CubeID, ConversationID: req.ConversationID,
		Info: req.Info, Status: StatusActivated, CreatedAt: now, UpdatedAt: now, ExpiresAt: req.ExpiresAt,
	}
	tags := append([]string{TagFast}, req.Tags...)
	m := base
	m.Kind, m.MemoryType = KindFact, LongTermMemory
	if w.userOnly() {
		m.MemoryType = UserMemory
	}
	m.Content = w.text()
	m.Tags = tags
	m.Confidence = 0.99
	m.Sources = sourcesOf("chat", w.messages)
	out := []draft{{m: m, embedText: EmbedText(&m)}}
	for i, msg := range w.messages {
		if msg.Role != RoleUser || (i == 0 && w.repeated) {
			continue
		}
		for _, p := range c.rules.Preferences(msg.Content) {
			pm := preferenceMemory(base, p, msg, "chat", tags)
			out = append(out, draft{m: pm, embedText: EmbedText(&pm)})
		}
	}
	return out
}

// preferenceMemory builds an explicit preference memory from a statement found in msg.
func preferenceMemory(base Memory, p PreferenceStatement, msg Message, sourceType string, tags []string) Memory {
	m := base
	m.Kind, m.MemoryType, m.PreferenceType = KindPreference, PreferenceMemory, ExplicitPreference
	m.Content = msg.Content
	m.Preference = p.Sentence
	m.Key = p.Object
	m.Topic = p.Topic
	m.Polarity = p.Polarity
	m.Tags = tags
	m.Confidence = 0.9
	m.Sources = sourcesOf(sourceType, []Message{msg})
	return m
}

func sourcesOf(typ string, msgs []Message) []Source {
	out := make([]Source, len(msgs))
	for i, m := range msgs {
		out[i] = Source{Type: typ, Role: m.Role, Content: m.Content, ChatTime: m.ChatTime}
	}
	return out
}

// embedDrafts embeds every draft with one embedder call.
func (c *Core) embedDrafts(ctx context.Context, drafts []draft) error {
	texts := make([]string, len(drafts))
	for i, d := range drafts {
		texts[i] = d.embedText
	}
	vecs, err := c.embed(ctx, texts)
	if err != nil {
		return err
	}
	for i := range drafts {
		drafts[i].m.Embedding = vecs[i]
	}
	return nil
}

// storeDrafts embeds drafts, drops the ones the user already has (in the store or earlier in the
// same batch) and stores the rest in one durable write. It holds the user's lock so concurrent
// adds of the same text cannot both pass the check.
func (c *Core) storeDrafts(ctx context.Context, userID string, drafts []draft) ([]Memory, []Duplicate, error) {
	st, err := c.storeDraftsExcept(ctx, userID, drafts, nil, false)
	return st.memories, st.duplicates, err
}

// storeDraftsExcept is storeDrafts for memories that replace the memories with ids in except:
// those do not count as duplicates. It also resolves conflicts with the user's existing memories
// (by model when useModel and one is configured, else by rule), archiving what the new memories
// replace in the same write.
func (c *Core) storeDraftsExcept(ctx context.Context, userID string, drafts []draft, except []string, useModel bool) (stored, error) {
	if len(drafts) == 0 {
		return stored{}, nil
	}
	if err := c.embedDrafts(ctx, drafts); err != nil {
		return stored{}, err
	}
	unlock := c.users.lock(userID)
	defer unlock()
	keep, dups, err := c.newMemories(ctx, drafts, nil, except)
	if err != nil || len(keep) == 0 {
		return stored{duplicates: dups}, err
	}
	now := c.clock()
	keep, archived, updated, notes, err := c.resolveConflicts(ctx, keep, now, useModel)
	if err != nil {
		return stored{}, err
	}
	for _, n := range notes {
		c.log.Debug().Str("user", userID).Msg(n)
	}
	if err := c.store.Put(ctx, append(archived, keep...)); err != nil {
		return stored{}, fmt.Errorf("store memories: %w", err)
	}
	return stored{memories: keep, duplicates: dups, updated: updated}, nil
}

// newMemories returns the embedded drafts that repeat nothing the user has (in the store, in
// pending, or earlier in drafts), with ids assigned, and the duplicates it left out. It writes
// nothing.
func (c *Core) newMemories(ctx context.Context, drafts []draft, pending []Memory, except []string) ([]Memory, []Duplicate, error) {
	now := c.clock()
	var keep []Memory
	var dups []Duplicate
	for _, d := range drafts {
		m := d.m
		if dup, ok, err := c.findDuplicate(ctx, &m, append(slices.Clip(pending), keep...), except, now); err != nil {
			return nil, nil, err
		} else if ok {
			dups = append(dups, dup)
			continue
		}
		if m.ID == "" {
			m.ID = newID()
		}
		keep = append(keep, m)
	}
	return keep, dups, nil
}

// findDuplicate looks for an activated, unexpired memory of the same user, cube and kind that m
// repeats, first among batch (memories about to be stored) and then in the store.
func (c *Core) findDuplicate(ctx context.Context, m *Memory, batch []Memory, except []string, now time.Time) (Duplicate, bool, error) {
	text := normalizeText(m.Text())
	for _, b := range batch {
		if b.Kind != m.Kind || !outlives(&b, m) {
			continue
		}
		if sim := Cosine(b.Embedding, m.Embedding); sim >= DuplicateSimilarity || normalizeText(b.Text()) == text {
			return Duplicate{Memory: m.Text(), ExistingID: b.ID, Similarity: round3(sim)}, true, nil
		}
	}
	hits, err := c.store.Search(ctx, VectorQuery{
		Scope:  Scope{UserID: m.UserID, CubeIDs: []string{m.CubeID}},
		Filter: Filter{Kind: m.Kind, Now: now},
		Vector: m.Embedding,
		Limit:  5,
	})
	if err != nil {
		return Duplicate{}, false, fmt.Errorf("look for duplicates: %w", err)
	}
	for _, h := range hits {
		if !outlives(&h.Memory, m) || slices.Contains(except, h.Memory.ID) {
			continue
		}
		if h.Score >= DuplicateSimilarity || normalizeText(h.Memory.Text()) == text {
			return Duplicate{Memory: m.Text(), ExistingID: h.Memory.ID, Similarity: round3(h.Score)}, true, nil
		}
	}
	return Duplicate{}, false, nil
}

// outlives reports whether existing is remembered at least as long as m: only then does it make m
// a duplicate. A memory that expires sooner must not swallow a lasting one.
func outlives(existing, m *Memory) bool {
	if existing.ExpiresAt == nil {
		return true
	}
	return m.ExpiresAt != nil && !existing.ExpiresAt.Before(*m.ExpiresAt)
}

func round3(f float64) float64 { return math.Round(f*1000) / 1000 }
