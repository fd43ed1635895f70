package memstore

import (
	"context"
	"slices"
	"time"
)

// Store is what a storage backend implements: the embedded bbolt store (default) and Qdrant. A
// call that returns nil has made its effect durable. Every call except Get and Delete is scoped to
// one user; Get and Delete by id are global by design (MemOS: delete by id needs no user).
type Store interface {
	// Put inserts memories or replaces those with the same id, all or nothing. Each memory carries
	// its embedding, whose length must be the store's dimension.
	Put(ctx context.Context, memories []Memory) error
	// Get returns the memories with these ids that exist, in the order asked; missing ids are left out.
	Get(ctx context.Context, ids []string) ([]Memory, error)
	// Search returns up to q.Limit memories matching q.Filter, most similar to q.Vector first.
	Search(ctx context.Context, q VectorQuery) ([]Hit, error)
	// List returns one page of the memories matching q.Filter, newest first (created_at desc, id
	// desc), and how many match in all.
	List(ctx context.Context, q ListQuery) (Page, error)
	// Delete removes the memories with these ids and returns the ids it removed.
	Delete(ctx context.Context, ids []string) ([]string, error)
	// DeleteWhere removes every memory matching the filter in the scope and returns their ids.
	DeleteWhere(ctx context.Context, scope Scope, f Filter) ([]string, error)
	// Close releases the store. Calls after Close fail.
	Close() error
}

// Scanner walks every memory of a store, of every user and status, in id order with embeddings:
// what export and migration read. Both backends implement it.
type Scanner interface {
	// Scan returns up to limit memories whose id sorts after after ("" starts at the first), in
	// ascending order of id (the UUID's bytes, which is also the order of its canonical text).
	Scan(ctx context.Context, after string, limit int) ([]Memory, error)
	// Total returns how many memories the store holds.
	Total(ctx context.Context) (int, error)
}

// Scope selects one user's memories, optionally only some of their cubes.
type Scope struct {
	UserID string
	// CubeIDs limits the scope to these cubes; empty means all of the user's cubes.
	CubeIDs []string
}

// HasCube reports whether cube is inside the scope's cube list (an empty list holds every cube).
func (s Scope) HasCube(cube string) bool {
	return len(s.CubeIDs) == 0 || slices.Contains(s.CubeIDs, cube)
}

// Expiry says how a query treats memories whose expires_at has passed.
type Expiry int

const (
	// ExcludeExpired leaves expired memories out (the default: they are forgotten).
	ExcludeExpired Expiry = iota
	// IncludeExpired lists them alongside the others.
	IncludeExpired
	// OnlyExpired selects only them (for "delete expired memories").
	OnlyExpired
)

// Filter narrows a query. The zero Filter matches activated, unexpired memories of any kind.
type Filter struct {
	// Kind limits to one kind; empty means both.
	Kind Kind
	// Statuses lists the statuses to match; empty means activated only.
	Statuses []Status
	// AnyStatus matches every status, ignoring Statuses.
	AnyStatus bool
	// ConversationID limits to one conversation when set.
	ConversationID string
	// Expiry and Now decide what "expired" means; Now is required unless Expiry is IncludeExpired.
	Expiry Expiry
	Now    time.Time
	// Expr is a MemOS filter expression the memories must also pass (nil: none).
	Expr *Expr
}

// Match reports whether m passes the filter. Backends may evaluate filters natively, but must agree
// with Match; the conformance suite checks that they do.
func (f Filter) Match(m *Memory) bool {
	if f.Kind != "" && m.Kind != f.Kind {
		return false
	}
	if !f.MatchStatus(m.Status) {
		return false
	}
	if f.ConversationID != "" && m.ConversationID != f.ConversationID {
		return false
	}
	return f.MatchExpiry(m.ExpiresAt) && f.Expr.Match(m)
}

// MatchStatus reports whether a memory with status s passes the filter's status condition.
func (f Filter) MatchStatus(s Status) bool {
	if f.AnyStatus {
		return true
	}
	if len(f.Statuses) == 0 {
		return s == StatusActivated
	}
	return slices.Contains(f.Statuses, s)
}

// MatchExpiry reports whether a memory expiring at expiresAt (nil: never) passes the filter.
func (f Filter) MatchExpiry(expiresAt *time.Time) bool {
	expired := expiresAt != nil && !expiresAt.After(f.Now)
	switch f.Expiry {
	case IncludeExpired:
		return true
	case OnlyExpired:
		return expired
	default:
		return !expired
	}
}

// VectorQuery asks for the memories nearest to a vector and, when Text is set, also to the text:
// the store then fuses vector and lexical (BM25) rankings, as far as it supports that.
type VectorQuery struct {
	Scope  Scope
	Filter Filter
	Vector []float32
	Text   string
	Limit  int
}

// Hit is a memory found by a query. Hits come back best first: by the fused ranking when the query
// had text, else by Score.
type Hit struct {
	Memory Memory
	// Score is the cosine similarity between the query vector and the memory's.
	Score float64
	// Relevance is what hits are ordered by: the cosine for a vector query, or, for a query with
	// text, the fused vector and lexical rank score in [0, 1].
	Relevance float64
}

// ListQuery asks for one page of memories, newest first.
type ListQuery struct {
	Scope  Scope
	Filter Filter
	Offset int
	Limit  int
}

// Page is one page of a listing.
type Page struct {
	Memories []Memory
	// Total counts every memory matching the query, not just this page.
	Total int
}

// MessageLog keeps each conversation's raw messages, so chat can continue a conversation from its
// id alone and nothing a user said is lost when extraction keeps only part of it. Backends that
// can hold it implement it next to Store.
type MessageLog interface {
	// AppendMessages adds messages at the end of a conversation.
	AppendMessages(ctx context.Context, userID, conversationID string, msgs []Message) error
	// RecentMessages returns up to limit of the conversation's last messages, oldest first.
	RecentMessages(ctx context.Context, userID, conversationID string, limit int) ([]Message, error)
	// DeleteMessages forgets a conversation's messages, or all of a user's when conversationID is "".
	DeleteMessages(ctx context.Context, userID, conversationID string) error
}

// MaxConversationMessages is how many messages a MessageLog keeps per conversation; older ones go.
const MaxConversationMessages = 1000
