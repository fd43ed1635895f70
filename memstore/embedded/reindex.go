package embedded

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"github.com/memos-mcp/memos-mcp/memstore"
)

// ReindexBatch is how many memories are re-embedded per embedder call and per transaction.
const ReindexBatch = 64

// Reindex re-embeds every memory in the store in dir with embed, and records target as the
// store's embedder, so a user can switch embedding models without losing anything. text gives the
// text to embed for a memory. It holds the store's lock for the whole run (the server cannot run
// meanwhile) and commits batch by batch, recording its position: if it is interrupted, the store
// refuses to open until Reindex is run again, which continues where it stopped. progress, when not
// nil, is called after each batch with how many memories are done and the total.
func Reindex(ctx context.Context, dir string, target memstore.EmbedderIdentity, embed func(context.Context, []string) ([][]float32, error),
	text func(*memstore.Memory) string, progress func(done, total int), opts Options) (int, error) {
	if target.Name == "" {
		return 0, errors.New("reindex: the target embedder has no name")
	}
	db, path, err := openDB(dir, opts)
	if err != nil {
		return 0, err
	}
	defer db.Close()
	// Writes still in the write-ahead log go into the file first, or they would be reindexed never
	// and replayed, with their old vectors, after it.
	if _, err := replayWAL(db, dir); err != nil {
		return 0, err
	}

	var pos []byte
	total := 0
	err = db.Update(func(tx *bolt.Tx) error {
		meta, err := tx.CreateBucketIfNotExists(bucketMeta)
		if err != nil {
			return err
		}
		mem, err := tx.CreateBucketIfNotExists(bucketMemories)
		if err != nil {
			return err
		}
		if _, err := tx.CreateBucketIfNotExists(bucketMessages); err != nil {
			return err
		}
		total = mem.Stats().KeyN
		// Continue an interrupted reindex to the same embedder; anything else starts over.
		var inProgress memstore.EmbedderIdentity
		if raw := meta.Get(keyReindex); raw != nil && json.Unmarshal(raw, &inProgress) == nil && inProgress.Name == target.Name {
			pos = append([]byte{}, meta.Get(keyReindexPos)...)
			if target.Dim == 0 {
				target.Dim = inProgress.Dim
			}
		}
		b, _ := json.Marshal(target)
		if err := meta.Put(keyReindex, b); err != nil {
			return err
		}
		return meta.Put(keyReindexPos, pos)
	})
	if err != nil {
		return 0, fmt.Errorf("reindex %s: %w", path, err)
	}

	done := 0
	if len(pos) > 0 {
		_ = db.View(func(tx *bolt.Tx) error {
			c := tx.Bucket(bucketMemories).Cursor()
			for k, _ := c.First(); k != nil && bytes.Compare(k, pos) <= 0; k, _ = c.Next() {
				done++
			}
			return nil
		})
	}
	if progress != nil {
		progress(done, total)
	}
	for {
		if err := ctx.Err(); err != nil {
			return done, fmt.Errorf("reindex interrupted after %d of %d memories (run it again to continue): %w", done, total, err)
		}
		// Read the next batch after pos.
		var batch []memstore.Memory
		err := db.View(func(tx *bolt.Tx) error {
			c := tx.Bucket(bucketMemories).Cursor()
			k, v := c.First()
			if len(pos) > 0 {
				k, v = c.Seek(pos)
				if k != nil && bytes.Equal(k, pos) {
					k, v = c.Next()
				}
			}
			for ; k != nil && len(batch) < ReindexBatch; k, v = c.Next() {
				m, err := decodeRecord(v)
				if err != nil {
					return fmt.Errorf("record %x: %w", k, err)
				}
				batch = append(batch, m)
			}
			return nil
		})
		if err != nil {
			return done, fmt.Errorf("reindex %s: %w", path, err)
		}
		if len(batch) == 0 {
			break
		}
		texts := make([]string, len(batch))
		for i := range batch {
			texts[i] = text(&batch[i])
		}
		vecs, err := embed(ctx, texts)
		if err != nil {
			return done, fmt.Errorf("reindex interrupted after %d of %d memories (run it again to continue): %w", done, total, err)
		}
		if len(vecs) != len(batch) {
			return done, fmt.Errorf("reindex: the embedder returned %d vectors for %d texts", len(vecs), len(batch))
		}
		if target.Dim == 0 {
			target.Dim = len(vecs[0])
		}
		err = db.Update(func(tx *bolt.Tx) error {
			b := tx.Bucket(bucketMemories)
			for i := range batch {
				if len(vecs[i]) != target.Dim {
					return fmt.Errorf("the embedder returned vectors of %d and %d dimensions", target.Dim, len(vecs[i]))
				}
				batch[i].Embedding = memstore.Normalize(vecs[i])
				rec, err := encodeRecord(&batch[i])
				if err != nil {
					return err
				}
				key, _ := parseID(batch[i].ID)
				if err := b.Put(key[:], rec); err != nil {
					return err
				}
				pos = key[:]
			}
			meta := tx.Bucket(bucketMeta)
			b2, _ := json.Marshal(target)
			if err := meta.Put(keyReindex, b2); err != nil {
				return err
			}
			return meta.Put(keyReindexPos, pos)
		})
		if err != nil {
			return done, fmt.Errorf("reindex %s: %w", path, err)
		}
		done += len(batch)
		if progress != nil {
			progress(done, total)
		}
	}
	err = db.Update(func(tx *bolt.Tx) error {
		meta := tx.Bucket(bucketMeta)
		if err := writeIdentity(meta, target); err != nil {
			return err
		}
		if err := meta.Delete(keyReindex); err != nil {
			return err
		}
		return meta.Delete(keyReindexPos)
	})
	if err != nil {
		return done, fmt.Errorf("reindex %s: finish: %w", path, err)
	}
	return done, nil
}
