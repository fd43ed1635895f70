package memstore

import (
	"context"
	"encoding/json"
	"errors"
	"time"
)

// Task statuses.
const (
	TaskQueued  = "queued"
	TaskRunning = "running"
	TaskDone    = "done"
	TaskFailed  = "failed"
)

// Task kinds.
const (
	TaskRefine   = "refine"   // fine extraction of messages already stored in fast mode
	TaskFeedback = "feedback" // a feedback applied in the background
)

// Task is a unit of background work, kept in the store so that it survives a crash or restart.
type Task struct {
	ID        string          `json:"task_id"`
	Kind      string          `json:"kind"`
	UserID    string          `json:"user_id"`
	Status    string          `json:"status"`
	Attempts  int             `json:"attempts"`
	Error     string          `json:"error,omitempty"`
	MemoryIDs []string        `json:"memory_ids"`
	Notes     []string        `json:"notes,omitempty"`
	CreatedAt time.Time       `json:"created_at"`
	UpdatedAt time.Time       `json:"updated_at"`
	NotBefore time.Time       `json:"not_before,omitzero"` // a retry waits until then
	Payload   json.RawMessage `json:"-"`
	// Seq orders tasks: per user, tasks run in Seq order. Assigned by the queue.
	Seq uint64 `json:"-"`
}

// TaskQueue keeps background tasks durably. The embedded store implements it; a Store that
// implements it makes async_mode available.
type TaskQueue interface {
	// EnqueueTask stores a new task, assigning its Seq; it returns ErrQueueFull when limit tasks
	// are already waiting.
	EnqueueTask(ctx context.Context, t *Task, limit int) error
	// PendingTasks returns up to limit queued or running tasks, lowest Seq first.
	PendingTasks(ctx context.Context, limit int) ([]Task, error)
	// UpdateTask rewrites a task (status, attempts, results).
	UpdateTask(ctx context.Context, t Task) error
	// GetTask returns a task by id, or ErrNotFound.
	GetTask(ctx context.Context, id string) (Task, error)
}

// ErrQueueFull is returned when the background queue is at its bound.
var ErrQueueFull = errors.New("the background task queue is full")
