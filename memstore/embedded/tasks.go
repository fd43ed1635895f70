package embedded

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/memos-mcp/memos-mcp/memstore"
)

var _ memstore.TaskQueue = (*Store)(nil)

var (
	bucketTasks   = []byte("tasks")    // seq (8 bytes, big-endian) → task JSON
	bucketTaskIDs = []byte("task-ids") // task id → seq
	keyPending    = []byte("pending")  // meta: number of queued or running tasks
)

// finishedTaskKeep is how long a finished task stays queryable by get_task_status.
const finishedTaskKeep = 7 * 24 * time.Hour

// storedTask is a task with its payload, as kept on disk.
type storedTask struct {
	memstore.Task
	Payload json.RawMessage `json:"payload"`
	Seq     uint64          `json:"seq"`
}

func seqKey(seq uint64) []byte { return binary.BigEndian.AppendUint64(nil, seq) }

func pendingStatus(s string) bool { return s == memstore.TaskQueued || s == memstore.TaskRunning }

func getPending(meta *bolt.Bucket) uint64 {
	if v := meta.Get(keyPending); len(v) == 8 {
		return binary.BigEndian.Uint64(v)
	}
	return 0
}

func putPending(meta *bolt.Bucket, n uint64) error { return meta.Put(keyPending, seqKey(n)) }

// EnqueueTask implements memstore.TaskQueue.
func (s *Store) EnqueueTask(ctx context.Context, t *memstore.Task, limit int) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	return s.db.Update(func(tx *bolt.Tx) error {
		tasks, ids, meta, err := taskBuckets(tx)
		if err != nil {
			return err
		}
		pending := getPending(meta)
		counts := pendingStatus(t.Status) // a task recorded as already finished takes no room
		if counts && limit > 0 && pending >= uint64(limit) {
			return fmt.Errorf("%w (%d tasks waiting)", memstore.ErrQueueFull, pending)
		}
		seq, err := tasks.NextSequence()
		if err != nil {
			return err
		}
		t.Seq = seq
		b, err := json.Marshal(storedTask{Task: *t, Payload: t.Payload, Seq: seq})
		if err != nil {
			return err
		}
		if err := tasks.Put(seqKey(seq), b); err != nil {
			return err
		}
		if err := ids.Put([]byte(t.ID), seqKey(seq)); err != nil {
			return err
		}
		if seq%64 == 0 {
			pruneFinished(tasks, ids, t.CreatedAt.Add(-finishedTaskKeep))
		}
		if !counts {
			return nil
		}
		return putPending(meta, pending+1)
	})
}

func taskBuckets(tx *bolt.Tx) (tasks, ids, meta *bolt.Bucket, err error) {
	if tasks, err = tx.CreateBucketIfNotExists(bucketTasks); err != nil {
		return
	}
	if ids, err = tx.CreateBucketIfNotExists(bucketTaskIDs); err != nil {
		return
	}
	meta, err = tx.CreateBucketIfNotExists(bucketMeta)
	return
}

// pruneFinished drops finished tasks last updated before cutoff.
func pruneFinished(tasks, ids *bolt.Bucket, cutoff time.Time) {
	var old [][]byte
	var oldIDs []string
	_ = tasks.ForEach(func(k, v []byte) error {
		var st storedTask
		if json.Unmarshal(v, &st) == nil && !pendingStatus(st.Status) && st.UpdatedAt.Before(cutoff) {
			old = append(old, append([]byte{}, k...))
			oldIDs = append(oldIDs, st.ID)
		}
		return nil
	})
	for i, k := range old {
		_ = tasks.Delete(k)
		_ = ids.Delete([]byte(oldIDs[i]))
	}
}

// PendingTasks implements memstore.TaskQueue.
func (s *Store) PendingTasks(ctx context.Context, limit int) ([]memstore.Task, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var out []memstore.Task
	err := s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketTasks)
		if b == nil {
			return nil
		}
		c := b.Cursor()
		for k, v := c.First(); k != nil && len(out) < limit; k, v = c.Next() {
			var st storedTask
			if err := json.Unmarshal(v, &st); err != nil {
				return fmt.Errorf("task %x: %w", k, err)
			}
			if pendingStatus(st.Status) {
				t := st.Task
				t.Payload, t.Seq = st.Payload, st.Seq
				out = append(out, t)
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read pending tasks: %w", err)
	}
	return out, nil
}

// UpdateTask implements memstore.TaskQueue.
func (s *Store) UpdateTask(ctx context.Context, t memstore.Task) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	return s.db.Update(func(tx *bolt.Tx) error {
		tasks, ids, meta, err := taskBuckets(tx)
		if err != nil {
			return err
		}
		key := ids.Get([]byte(t.ID))
		if key == nil {
			return fmt.Errorf("update task %s: %w", t.ID, memstore.ErrNotFound)
		}
		var old storedTask
		if err := json.Unmarshal(tasks.Get(key), &old); err != nil {
			return fmt.Errorf("task %s: %w", t.ID, err)
		}
		if pendingStatus(old.Status) && !pendingStatus(t.Status) {
			if n := getPending(meta); n > 0 {
				if err := putPending(meta, n-1); err != nil {
					return err
				}
			}
		}
		payload := t.Payload
		if payload == nil {
			payload = old.Payload
		}
		b, err := json.Marshal(storedTask{Task: t, Payload: payload, Seq: old.Seq})
		if err != nil {
			return err
		}
		return tasks.Put(key, b)
	})
}

// GetTask implements memstore.TaskQueue.
func (s *Store) GetTask(ctx context.Context, id string) (memstore.Task, error) {
	if err := ctx.Err(); err != nil {
		return memstore.Task{}, err
	}
	var t memstore.Task
	err := s.db.View(func(tx *bolt.Tx) error {
		ids, tasks := tx.Bucket(bucketTaskIDs), tx.Bucket(bucketTasks)
		if ids == nil || tasks == nil {
			return memstore.ErrNotFound
		}
		key := ids.Get([]byte(id))
		if key == nil {
			return memstore.ErrNotFound
		}
		var st storedTask
		if err := json.Unmarshal(tasks.Get(key), &st); err != nil {
			return err
		}
		t = st.Task
		t.Payload, t.Seq = st.Payload, st.Seq
		return nil
	})
	return t, err
}
