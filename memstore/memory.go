// Package memstore is the memory core of memos-mcp: the vocabulary (memories, kinds, types, statuses),
// the interfaces its backends implement (Store, Embedder, LLM, Rules), and the algorithms that turn
// conversations into memories, recall them, de-duplicate them and correct them from feedback.
//
// Nothing in this package knows about MCP or HTTP; the tools package adapts it to MCP.
package memstore

import (
	"strings"
	"time"
)

// Kind separates the two families of memories a user has. They are listed, searched and paged
// separately, as in MemOS ("text_mem" and "pref_mem").
type Kind string

const (
	KindFact       Kind = "fact"
	KindPreference Kind = "preference"
)

// Valid reports whether k is a known kind.
func (k Kind) Valid() bool { return k == KindFact || k == KindPreference }

// MemoryType is MemOS's memory_type.
type MemoryType string

const (
	// LongTermMemory holds events and facts from conversations that involve more than the user.
	LongTermMemory MemoryType = "LongTermMemory"
	// UserMemory holds what the user said about themselves (a window with only user messages).
	UserMemory MemoryType = "UserMemory"
	// WorkingMemory is a short-term copy; kept in the vocabulary for MemOS compatibility.
	WorkingMemory MemoryType = "WorkingMemory"
	// PreferenceMemory is the memory_type of every preference memory.
	PreferenceMemory MemoryType = "PreferenceMemory"
)

// PreferenceType tells an explicitly stated preference from one inferred from behaviour.
type PreferenceType string

const (
	ExplicitPreference PreferenceType = "explicit_preference"
	ImplicitPreference PreferenceType = "implicit_preference"
)

// Status is a memory's lifecycle state. Only activated memories are recalled; archived ones were
// superseded (by feedback or a conflict) and are kept, with their text, until deleted.
type Status string

const (
	StatusActivated Status = "activated"
	StatusArchived  Status = "archived"
	StatusDeleted   Status = "deleted"
)

// Valid reports whether s is a known status.
func (s Status) Valid() bool {
	return s == StatusActivated || s == StatusArchived || s == StatusDeleted
}

// Memory is one fact or preference memory. Its JSON form is what clients see; the embedding is
// stored by backends but never serialised to clients.
type Memory struct {
	ID             string         `json:"id"`
	UserID         string         `json:"user_id"`
	CubeID         string         `json:"cube_id"`
	ConversationID string         `json:"conversation_id,omitempty"`
	Kind           Kind           `json:"kind"`
	MemoryType     MemoryType     `json:"memory_type"`
	PreferenceType PreferenceType `json:"preference_type,omitempty"`
	// Content is the memory text (JSON "memory", as in MemOS); for a preference, the context summary.
	Content    string `json:"memory"`
	Preference string `json:"preference,omitempty"`
	Key        string `json:"key,omitempty"`
	// Topic and Polarity describe a preference: what it is about ("fruit") and which way it goes.
	// Two preferences on the same topic compete when the user corrects one.
	Topic    string   `json:"topic,omitempty"`
	Polarity Polarity `json:"polarity,omitempty"`
	// Reasoning is why the extractor took this to be a preference (model extraction only).
	Reasoning  string            `json:"reasoning,omitempty"`
	Tags       []string          `json:"tags,omitempty"`
	Info       map[string]string `json:"info,omitempty"`
	Sources    []Source          `json:"sources,omitempty"`
	Background string            `json:"background,omitempty"`
	Confidence float64           `json:"confidence"`
	Status     Status            `json:"status"`
	CreatedAt  time.Time         `json:"created_at"`
	UpdatedAt  time.Time         `json:"updated_at"`
	ExpiresAt  *time.Time        `json:"expires_at,omitempty"`
	History    []Version         `json:"history,omitempty"`

	// Embedding is the vector the memory was indexed with. Never returned to clients.
	Embedding []float32 `json:"-"`
}

// Source is a message a memory came from.
type Source struct {
	// Type is "chat" for conversation messages and "feedback" for add_feedback.
	Type     string    `json:"type"`
	Role     string    `json:"role"`
	Content  string    `json:"content"`
	ChatTime time.Time `json:"chat_time"`
}

// Version is an earlier text of a memory, kept when the memory was superseded.
type Version struct {
	Memory           string    `json:"memory"`
	Preference       string    `json:"preference,omitempty"`
	UpdateType       string    `json:"update_type"`
	ArchivedMemoryID string    `json:"archived_memory_id"`
	CreatedAt        time.Time `json:"created_at"`
}

// Update types recorded in Version.UpdateType, as in MemOS.
const (
	UpdateFeedback  = "feedback"
	UpdateConflict  = "conflict"
	UpdateDuplicate = "duplicate"
)

// Expired reports whether m has an expiry at or before now.
func (m *Memory) Expired(now time.Time) bool {
	return m.ExpiresAt != nil && !m.ExpiresAt.After(now)
}

// Text is the text a memory is recognised by: the preference sentence for a preference, else the
// memory text. Exact-text de-duplication compares this.
func (m *Memory) Text() string {
	if m.Kind == KindPreference && m.Preference != "" {
		return m.Preference
	}
	return m.Content
}

// Clone returns a deep copy, so a backend can hand out memories without sharing slices or maps.
func (m Memory) Clone() Memory {
	c := m
	c.Tags = append([]string(nil), m.Tags...)
	c.Sources = append([]Source(nil), m.Sources...)
	c.History = append([]Version(nil), m.History...)
	c.Embedding = append([]float32(nil), m.Embedding...)
	if m.Info != nil {
		c.Info = make(map[string]string, len(m.Info))
		for k, v := range m.Info {
			c.Info[k] = v
		}
	}
	if m.ExpiresAt != nil {
		t := *m.ExpiresAt
		c.ExpiresAt = &t
	}
	return c
}

// normalizeText folds case and whitespace so that texts differing only in those are "equal".
func normalizeText(s string) string {
	return strings.Join(strings.Fields(strings.ToLower(s)), " ")
}
