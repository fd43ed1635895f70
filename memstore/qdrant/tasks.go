package qdrant

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/qdrant/go-client/qdrant"

	"github.com/memos-mcp/memos-mcp/memstore"
)

// Background tasks are points of the "<name>_tasks" collection: payload task_id, user_id, status,
// seq (microseconds, orders the queue), owner (the instance that enqueued or last ran it),
// updated_us, and the task itself as JSON.
//
// Several memos-mcp instances may share the collections. Qdrant has no compare-and-set, so tasks
// are not claimed atomically; instead each instance works on the tasks it owns, and adopts another
// instance's pending task only once that task has not been touched for OrphanAfter (its instance
// died or was replaced). Two instances adopting the same orphan at the same moment can both run it
// once; refinements and feedback are written so that running one twice leaves the same memories.

// DefaultOrphanAfter is how long a pending task of another instance waits before it is adopted.
const DefaultOrphanAfter = 10 * time.Minute

// finishedTaskKeep is how long a finished task stays queryable by get_task_status.
const finishedTaskKeep = 7 * 24 * time.Hour

type storedTask struct {
	memstore.Task
	Payload json.RawMessage `json:"payload"`
}

// taskPoint maps a task id to its point id (task ids are UUIDs; anything else, such as a mistyped
// id, maps to a point that does not exist).
func taskPoint(id string) *qdrant.PointId {
	if u, err := uuid.Parse(id); err == nil {
		return qdrant.NewID(u.String())
	}
	return qdrant.NewID(uuid.NewSHA1(uuid.NameSpaceURL, []byte("memos-mcp:task:"+id)).String())
}

func pendingFilter() *qdrant.Condition {
	return qdrant.NewMatchKeywords("status", memstore.TaskQueued, memstore.TaskRunning)
}

func pendingStatus(s string) bool { return s == memstore.TaskQueued || s == memstore.TaskRunning }

func (s *Store) putTask(ctx context.Context, t memstore.Task, what string) error {
	doc, err := json.Marshal(storedTask{Task: t, Payload: t.Payload})
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	payload, err := qdrant.TryValueMap(map[string]any{
		"task_id": t.ID, "user_id": t.UserID, "status": t.Status, "seq": int64(t.Seq), "owner": s.instance,
		"updated_us": t.UpdatedAt.UnixMicro(), "task": string(doc),
	})
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return s.call(ctx, what, func(ctx context.Context) error {
		_, err := s.client.Upsert(ctx, &qdrant.UpsertPoints{CollectionName: s.names.tasks, Wait: qdrant.PtrOf(true),
			Points: []*qdrant.PointStruct{{Id: taskPoint(t.ID), Vectors: placeholder(), Payload: payload}}})
		return err
	})
}

func taskOf(p map[string]*qdrant.Value) (memstore.Task, error) {
	var st storedTask
	if err := json.Unmarshal([]byte(p["task"].GetStringValue()), &st); err != nil {
		return memstore.Task{}, fmt.Errorf("task %s: %w", p["task_id"].GetStringValue(), err)
	}
	t := st.Task
	t.Payload, t.Seq = st.Payload, uint64(p["seq"].GetIntegerValue())
	return t, nil
}

// EnqueueTask implements memstore.TaskQueue. The bound counts the pending tasks of all instances.
func (s *Store) EnqueueTask(ctx context.Context, t *memstore.Task, limit int) error {
	if pendingStatus(t.Status) && limit > 0 {
		n, err := s.count(ctx, s.names.tasks, &qdrant.Filter{Must: []*qdrant.Condition{pendingFilter()}})
		if err != nil {
			return err
		}
		if n >= limit {
			return fmt.Errorf("%w (%d tasks waiting)", memstore.ErrQueueFull, n)
		}
	}
	t.Seq = uint64(s.nextSeq())
	if err := s.putTask(ctx, *t, "queue task "+t.ID); err != nil {
		return err
	}
	if t.Seq%64 == 0 { // now and then, forget tasks finished long ago
		cutoff := t.CreatedAt.Add(-finishedTaskKeep).UnixMicro()
		_ = s.call(ctx, "prune finished tasks", func(ctx context.Context) error {
			_, err := s.client.Delete(ctx, &qdrant.DeletePoints{CollectionName: s.names.tasks, Wait: qdrant.PtrOf(true),
				Points: qdrant.NewPointsSelectorFilter(&qdrant.Filter{MustNot: []*qdrant.Condition{pendingFilter()},
					Must: []*qdrant.Condition{qdrant.NewRange("updated_us", &qdrant.Range{Lt: qdrant.PtrOf(float64(cutoff))})}})})
			return err
		})
	}
	return nil
}

// PendingTasks implements memstore.TaskQueue: this instance's pending tasks and other instances'
// orphans, lowest Seq first.
func (s *Store) PendingTasks(ctx context.Context, limit int) ([]memstore.Task, error) {
	if limit <= 0 {
		return nil, ctx.Err()
	}
	cutoff := time.Now().Add(-s.orphanAfter).UnixMicro()
	f := &qdrant.Filter{
		Must: []*qdrant.Condition{pendingFilter()},
		Should: []*qdrant.Condition{keyword("owner", s.instance),
			qdrant.NewRange("updated_us", &qdrant.Range{Lt: qdrant.PtrOf(float64(cutoff))})},
	}
	var pts []*qdrant.RetrievedPoint
	if err := s.call(ctx, "read pending tasks", func(ctx context.Context) error {
		var err error
		pts, err = s.client.Scroll(ctx, &qdrant.ScrollPoints{CollectionName: s.names.tasks, Filter: f,
			OrderBy: &qdrant.OrderBy{Key: "seq", Direction: qdrant.Direction_Asc.Enum()},
			Limit:   qdrant.PtrOf(uint32(limit)), WithPayload: qdrant.NewWithPayload(true)})
		return err
	}); err != nil {
		return nil, err
	}
	out := make([]memstore.Task, 0, len(pts))
	for _, p := range pts {
		t, err := taskOf(p.GetPayload())
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, nil
}

// UpdateTask implements memstore.TaskQueue. The instance that updates a task becomes its owner.
func (s *Store) UpdateTask(ctx context.Context, t memstore.Task) error {
	old, err := s.GetTask(ctx, t.ID)
	if err != nil {
		if errors.Is(err, memstore.ErrNotFound) {
			return fmt.Errorf("update task %s: %w", t.ID, err)
		}
		return err
	}
	if t.Payload == nil {
		t.Payload = old.Payload
	}
	t.Seq = old.Seq
	return s.putTask(ctx, t, "update task "+t.ID)
}

// GetTask implements memstore.TaskQueue.
func (s *Store) GetTask(ctx context.Context, id string) (memstore.Task, error) {
	var pts []*qdrant.RetrievedPoint
	if err := s.call(ctx, "read task "+id, func(ctx context.Context) error {
		var err error
		pts, err = s.client.Get(ctx, &qdrant.GetPoints{CollectionName: s.names.tasks, Ids: []*qdrant.PointId{taskPoint(id)},
			WithPayload: qdrant.NewWithPayload(true)})
		return err
	}); err != nil {
		return memstore.Task{}, err
	}
	if len(pts) == 0 || pts[0].GetPayload()["task_id"].GetStringValue() != id {
		return memstore.Task{}, memstore.ErrNotFound
	}
	return taskOf(pts[0].GetPayload())
}
