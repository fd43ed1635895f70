package memstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"
)

// Async modes of add_message and add_feedback.
const (
	AsyncMode = "async"
	SyncMode  = "sync"
)

// Background work bounds.
const (
	DefaultQueueLimit = 10_000
	maxTaskAttempts   = 5
	taskTimeout       = 10 * time.Minute
	taskPollInterval  = time.Second
)

func checkAsyncMode(mode *string, haveQueue bool) error {
	*mode = strings.ToLower(strings.TrimSpace(*mode))
	switch *mode {
	case "", SyncMode:
		*mode = SyncMode
	case AsyncMode:
		if !haveQueue {
			return Invalid("async_mode", "is not available with this store", `use "sync"`)
		}
	default:
		return Invalidf("async_mode", `use "sync" (the work is done before the call returns) or "async" (store now, refine in the background)`,
			"unknown mode %q", truncate(*mode, 30))
	}
	return nil
}

// refinePayload is what a refinement task needs.
type refinePayload struct {
	Request AddRequest `json:"request"`
	FastIDs []string   `json:"fast_ids"`
}

// addAsync stores the messages in fast mode at once and queues their fine extraction.
func (c *Core) addAsync(ctx context.Context, req AddRequest, now time.Time) (AddResult, error) {
	st, err := c.storeDraftsExcept(ctx, req.UserID, c.fastDrafts(req, now), nil, false)
	if err != nil {
		return AddResult{}, err
	}
	res := AddResult{Mode: ModeFast, Memories: []AddedMemory{}, Duplicates: append([]Duplicate{}, st.duplicates...),
		Updated: append([]UpdatedMemory{}, st.updated...)}
	var ids []string
	for _, m := range st.memories {
		res.Memories = append(res.Memories, added(m))
		ids = append(ids, m.ID)
	}
	c.logTranscript(ctx, req, &res.Notes)
	task := Task{ID: newID(), Kind: TaskRefine, UserID: req.UserID, Status: TaskQueued, MemoryIDs: ids, CreatedAt: now, UpdatedAt: now}
	if req.Mode != ModeFine || c.llm == nil {
		// Nothing to refine: the fast memories are the result. The task is recorded as done so
		// that get_task_status answers for it like for any other.
		task.Status = TaskDone
		if req.Mode == ModeFine {
			task.Notes = []string{"no generation model is configured, so the fast-mode memories are final"}
		}
	}
	task.Payload, _ = json.Marshal(refinePayload{Request: req, FastIDs: ids})
	if err := c.tasks.EnqueueTask(ctx, &task, c.queueLimit); err != nil {
		if errors.Is(err, ErrQueueFull) {
			res.Notes = append(res.Notes, "the messages were stored in fast mode, but their refinement was not queued: "+err.Error())
			return res, nil
		}
		return AddResult{}, fmt.Errorf("queue the refinement: %w", err)
	}
	res.TaskID, res.TaskStatus = task.ID, task.Status
	c.wakeWorkers()
	return res, nil
}

// FeedbackAsync queues a feedback to be applied in the background.
func (c *Core) feedbackAsync(ctx context.Context, req FeedbackRequest, now time.Time) (FeedbackResult, error) {
	req.AsyncMode = SyncMode // the worker applies it synchronously
	task := Task{ID: newID(), Kind: TaskFeedback, UserID: req.UserID, Status: TaskQueued, MemoryIDs: []string{}, CreatedAt: now, UpdatedAt: now}
	task.Payload, _ = json.Marshal(req)
	if err := c.tasks.EnqueueTask(ctx, &task, c.queueLimit); err != nil {
		if errors.Is(err, ErrQueueFull) {
			return FeedbackResult{}, Unavailable(err.Error() + "; retry later, or send the feedback with async_mode \"sync\"")
		}
		return FeedbackResult{}, fmt.Errorf("queue the feedback: %w", err)
	}
	c.wakeWorkers()
	return FeedbackResult{Added: []AddedMemory{}, Updated: []UpdatedMemory{}, ArchivedIDs: []string{}, TaskID: task.ID, TaskStatus: task.Status}, nil
}

// GetTask returns a background task's state.
func (c *Core) GetTask(ctx context.Context, id string) (Task, error) {
	id, err := CheckMemoryID("task_id", id)
	if err != nil {
		return Task{}, Invalid("task_id", "is not a task id", "give the task_id returned by add_message or add_feedback with async_mode \"async\"")
	}
	if c.tasks == nil {
		return Task{}, Unavailable("this store keeps no background tasks")
	}
	t, err := c.tasks.GetTask(ctx, id)
	if errors.Is(err, ErrNotFound) {
		return Task{}, fmt.Errorf("%w: no task %s (finished tasks are kept for 7 days)", ErrNotFound, id)
	}
	if err != nil {
		return Task{}, err
	}
	if err := authorize(ctx, t.UserID); err != nil {
		return Task{}, err
	}
	return t, nil
}

func (c *Core) wakeWorkers() {
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// StartWorkers runs the background worker pool until ctx is cancelled; the returned function
// waits for it to stop. Tasks left running by a crash are started again, tasks of one user run
// one at a time in the order they were queued, and a task whose model is unavailable is retried
// with backoff before it fails.
func (c *Core) StartWorkers(ctx context.Context, workers int) (wait func()) {
	if c.tasks == nil || workers <= 0 {
		return func() {}
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		c.dispatch(ctx, workers)
	}()
	return wg.Wait
}

func (c *Core) dispatch(ctx context.Context, workers int) {
	var running sync.WaitGroup
	defer running.Wait()
	busy := make(map[string]bool)     // users with a task in flight
	inFlight := make(map[string]bool) // tasks this process is running
	done := make(chan Task, workers)
	free := workers
	for {
		if ctx.Err() != nil {
			return
		}
		tasks, err := c.tasks.PendingTasks(ctx, 1000)
		if err != nil && ctx.Err() == nil {
			c.log.Error().Err(err).Msg("background tasks: cannot read the queue")
		}
		now := c.clock()
		blocked := make(map[string]bool) // users whose earliest pending task cannot start now
		for _, t := range tasks {
			if free == 0 {
				break
			}
			if busy[t.UserID] || blocked[t.UserID] || inFlight[t.ID] || t.NotBefore.After(now) {
				blocked[t.UserID] = true // later tasks of this user wait: per-user order
				continue
			}
			t.Status, t.Attempts, t.UpdatedAt = TaskRunning, t.Attempts+1, now
			if err := c.tasks.UpdateTask(ctx, t); err != nil {
				c.log.Error().Err(err).Str("task", t.ID).Msg("background tasks: cannot start a task")
				blocked[t.UserID] = true
				continue
			}
			busy[t.UserID], inFlight[t.ID] = true, true
			free--
			running.Add(1)
			go func(t Task) {
				defer running.Done()
				done <- c.runTask(ctx, t)
			}(t)
		}
		select {
		case <-ctx.Done():
			return
		case t := <-done:
			delete(busy, t.UserID)
			delete(inFlight, t.ID)
			free++
		case <-c.wake:
		case <-time.After(c.taskPoll):
		}
	}
}

// runTask executes one task and records its outcome.
func (c *Core) runTask(ctx context.Context, t Task) Task {
	tctx, cancel := context.WithTimeout(ctx, taskTimeout)
	defer cancel()
	ids, notes, err := c.execute(tctx, t)
	now := c.clock()
	t.UpdatedAt = now
	switch {
	case err == nil:
		t.Status, t.MemoryIDs, t.Notes, t.Error = TaskDone, ids, notes, ""
	case ctx.Err() != nil:
		// Shutting down: leave the task to be resumed at the next start.
		return t
	case errors.Is(err, ErrUnavailable) && t.Attempts < maxTaskAttempts:
		backoff := min(2*time.Second*time.Duration(1<<(2*(t.Attempts-1))), 5*time.Minute)
		t.Status, t.NotBefore, t.Error = TaskQueued, now.Add(backoff), err.Error()
	default:
		t.Status, t.Error = TaskFailed, err.Error()
		c.log.Warn().Err(err).Str("task", t.ID).Str("kind", t.Kind).Msg("background task failed")
	}
	// The outcome is written even when ctx ends meanwhile, so a finished task is not run twice.
	if uerr := c.tasks.UpdateTask(context.WithoutCancel(ctx), t); uerr != nil {
		c.log.Error().Err(uerr).Str("task", t.ID).Msg("background tasks: cannot record the outcome")
	}
	return t
}

func (c *Core) execute(ctx context.Context, t Task) ([]string, []string, error) {
	switch t.Kind {
	case TaskRefine:
		var p refinePayload
		if err := json.Unmarshal(t.Payload, &p); err != nil {
			return nil, nil, fmt.Errorf("task payload: %w", err)
		}
		return c.refine(ctx, p)
	case TaskFeedback:
		var req FeedbackRequest
		if err := json.Unmarshal(t.Payload, &req); err != nil {
			return nil, nil, fmt.Errorf("task payload: %w", err)
		}
		res, err := c.Feedback(ctx, req)
		if err != nil {
			return nil, nil, err
		}
		ids := []string{}
		for _, a := range res.Added {
			ids = append(ids, a.ID)
		}
		for _, u := range res.Updated {
			if !contains(ids, u.ID) {
				ids = append(ids, u.ID)
			}
		}
		return ids, res.Notes, nil
	}
	return nil, nil, fmt.Errorf("unknown task kind %q", t.Kind)
}

// refine runs the fine extraction of messages stored in fast mode, stores what it extracts and
// removes the fast memories it replaces. If the model is unavailable it changes nothing and
// reports it, so the task is retried; if its answer is unusable for some window, the fast memories
// are kept (nothing is lost) alongside what was extracted.
func (c *Core) refine(ctx context.Context, p refinePayload) ([]string, []string, error) {
	if c.llm == nil {
		return p.FastIDs, []string{"no generation model is configured, so the fast-mode memories are final"}, nil
	}
	drafts, notes, unavailable := c.fineDrafts(ctx, p.Request, c.clock())
	if unavailable != nil {
		return nil, nil, unavailable
	}
	// The fast memories are not duplicates of what replaces them: they are about to go.
	fallback := len(notes) > 0 && containsAny(notes, "fast mode")
	st, err := c.storeDraftsExcept(ctx, p.Request.UserID, drafts, p.FastIDs, true)
	if err != nil {
		return nil, nil, err
	}
	ids := make([]string, 0, len(st.memories))
	for _, m := range st.memories {
		ids = append(ids, m.ID)
	}
	if fallback {
		return append(p.FastIDs, ids...), append(notes, "the fast-mode memories were kept"), nil
	}
	if len(p.FastIDs) > 0 {
		if _, err := c.Delete(ctx, DeleteRequest{MemoryIDs: p.FastIDs}); err != nil && !errors.Is(err, ErrInvalid) {
			return nil, nil, fmt.Errorf("remove the fast-mode memories: %w", err)
		}
	}
	return ids, notes, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func containsAny(list []string, sub string) bool {
	for _, x := range list {
		if strings.Contains(x, sub) {
			return true
		}
	}
	return false
}

// QueueStatus reports how many background tasks wait or run (counted up to the limit) and the
// limit; ok is false when the store keeps no tasks.
func (c *Core) QueueStatus(ctx context.Context) (pending, limit int, ok bool, err error) {
	if c.tasks == nil {
		return 0, 0, false, nil
	}
	tasks, err := c.tasks.PendingTasks(ctx, c.queueLimit)
	if err != nil {
		return 0, c.queueLimit, true, fmt.Errorf("read the task queue: %w", err)
	}
	return len(tasks), c.queueLimit, true, nil
}
