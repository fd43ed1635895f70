package memstore

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/rs/zerolog"
)

// Config wires a Core. Store, Embedder and Rules are required; LLM is optional.
type Config struct {
	Store    Store
	Embedder Embedder
	Rules    Rules
	// LLM extracts memories in fine mode and answers chat. Nil runs without a model.
	LLM LLM
	// Messages keeps conversations' transcripts (optional): chat then continues a conversation
	// from its id alone.
	Messages MessageLog
	// Tasks keeps background work (optional): async_mode needs it.
	Tasks TaskQueue
	// QueueLimit bounds the waiting background tasks (default DefaultQueueLimit).
	QueueLimit int
	// TaskPoll is how often idle workers look for due retries (default 1 s).
	TaskPoll time.Duration
	// ConflictSimilarity is the cosine at or above which a new memory is checked against an
	// existing one for a conflict (default DefaultConflictSimilarity).
	ConflictSimilarity float64
	Log                zerolog.Logger
	// Now is the clock; nil means time.Now. Tests set it to control expiry.
	Now func() time.Time
}

// Core is the memory core: it validates requests, orchestrates embedder, store and rules, and
// implements the algorithms (windows, de-duplication, recall, feedback). Safe for concurrent use.
type Core struct {
	store    Store
	embedder Embedder
	rules    Rules
	llm      LLM
	messages MessageLog
	tasks    TaskQueue
	// queueLimit bounds waiting tasks; wake nudges the workers when one is queued.
	queueLimit int
	taskPoll   time.Duration
	wake       chan struct{}
	// conflictSimilarity: see Config.ConflictSimilarity.
	conflictSimilarity float64
	log                zerolog.Logger
	now                func() time.Time
	users              keyedMutex // serialises writes per user, so de-duplication sees every earlier write
}

// New returns a Core.
func New(cfg Config) (*Core, error) {
	if cfg.Store == nil || cfg.Embedder == nil || cfg.Rules == nil {
		return nil, errors.New("memstore.New: Store, Embedder and Rules are required")
	}
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	limit := cfg.QueueLimit
	if limit <= 0 {
		limit = DefaultQueueLimit
	}
	poll := cfg.TaskPoll
	if poll <= 0 {
		poll = taskPollInterval
	}
	sim := cfg.ConflictSimilarity
	if sim <= 0 || sim > 1 {
		sim = DefaultConflictSimilarity
	}
	return &Core{store: cfg.Store, embedder: cfg.Embedder, rules: cfg.Rules, llm: cfg.LLM, messages: cfg.Messages,
		tasks: cfg.Tasks, queueLimit: limit, taskPoll: poll, wake: make(chan struct{}, 1), conflictSimilarity: sim,
		log: cfg.Log, now: now}, nil
}

// HasLLM reports whether a generation model is configured.
func (c *Core) HasLLM() bool { return c.llm != nil }

// EmbedderIdentity returns the configured embedder's identity.
func (c *Core) EmbedderIdentity() EmbedderIdentity { return c.embedder.Identity() }

// clock returns the current time in UTC, truncated to microseconds so that what is stored, what
// is returned and what round-trips through JSON are the same instant.
func (c *Core) clock() time.Time { return c.now().UTC().Truncate(time.Microsecond) }

// newID returns a time-ordered UUID (version 7): ids of memories created later sort later, which
// keeps the (created_at desc, id desc) order stable when timestamps tie.
func newID() string {
	id, err := uuid.NewV7()
	if err != nil {
		return uuid.NewString()
	}
	return id.String()
}

// embed embeds texts with one embedder call.
func (c *Core) embed(ctx context.Context, texts []string) ([][]float32, error) {
	if len(texts) == 0 {
		return nil, nil
	}
	vecs, err := c.embedder.Embed(ctx, texts)
	if err != nil {
		return nil, fmt.Errorf("embed %d texts with %s: %w", len(texts), c.embedder.Identity(), err)
	}
	if len(vecs) != len(texts) {
		return nil, fmt.Errorf("embedder %s returned %d vectors for %d texts", c.embedder.Identity(), len(vecs), len(texts))
	}
	return vecs, nil
}

// keyedMutex is a set of mutexes created on demand and freed when unused.
type keyedMutex struct {
	mu    sync.Mutex
	locks map[string]*keyedLock
}

type keyedLock struct {
	mu   sync.Mutex
	refs int
}

// lock locks key and returns the unlock function.
func (k *keyedMutex) lock(key string) func() {
	k.mu.Lock()
	if k.locks == nil {
		k.locks = make(map[string]*keyedLock)
	}
	l := k.locks[key]
	if l == nil {
		l = &keyedLock{}
		k.locks[key] = l
	}
	l.refs++
	k.mu.Unlock()
	l.mu.Lock()
	return func() {
		l.mu.Unlock()
		k.mu.Lock()
		l.refs--
		if l.refs == 0 {
			delete(k.locks, key)
		}
		k.mu.Unlock()
	}
}
