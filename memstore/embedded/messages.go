package embedded

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"github.com/memos-mcp/memos-mcp/memstore"
)

var _ memstore.MessageLog = (*Store)(nil)

// Messages are keyed user 0x00 conversation 0x00 sequence (8 bytes, big-endian), so one
// conversation's messages are contiguous and in order. Ids cannot contain 0x00 (memstore rejects
// control characters), so the prefix is unambiguous.
func conversationPrefix(userID, conversationID string) []byte {
	p := make([]byte, 0, len(userID)+len(conversationID)+2)
	p = append(p, userID...)
	p = append(p, 0)
	if conversationID != "" {
		p = append(p, conversationID...)
		p = append(p, 0)
	}
	return p
}

type storedMessage struct {
	Role     string `json:"role"`
	Content  string `json:"content"`
	ChatTime string `json:"chat_time"`
}

// trimEvery: the per-conversation limit is enforced on every trimEvery-th append, so appends stay
// cheap; a conversation may briefly hold a few more than the limit.
const trimEvery = 32

// AppendMessages implements memstore.MessageLog.
func (s *Store) AppendMessages(ctx context.Context, userID, conversationID string, msgs []memstore.Message) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if userID == "" || conversationID == "" {
		return fmt.Errorf("append messages: user and conversation ids are required")
	}
	prefix := conversationPrefix(userID, conversationID)
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	err := s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketMessages)
		var seq uint64
		for _, m := range msgs {
			var err error
			if seq, err = b.NextSequence(); err != nil {
				return err
			}
			v, err := json.Marshal(storedMessage{Role: m.Role, Content: m.Content, ChatTime: m.ChatTime.UTC().Format("2006-01-02T15:04:05.999999Z07:00")})
			if err != nil {
				return err
			}
			if err := b.Put(binary.BigEndian.AppendUint64(append([]byte{}, prefix...), seq), v); err != nil {
				return err
			}
		}
		if seq/trimEvery != (seq-uint64(len(msgs)))/trimEvery {
			return trimConversation(b, prefix, memstore.MaxConversationMessages)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("append %d messages to conversation %q: %w", len(msgs), conversationID, err)
	}
	return nil
}

// trimConversation deletes all but the newest keep messages of a conversation.
func trimConversation(b *bolt.Bucket, prefix []byte, keep int) error {
	c := b.Cursor()
	var old [][]byte
	n := 0
	for k, _ := lastWithPrefix(c, prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Prev() {
		if n++; n > keep {
			old = append(old, append([]byte{}, k...))
		}
	}
	for _, k := range old {
		if err := b.Delete(k); err != nil {
			return err
		}
	}
	return nil
}

// lastWithPrefix positions c on the last key with prefix (prefix ends with 0x00, so every such key
// is below prefix with its last byte raised to 0x01).
func lastWithPrefix(c *bolt.Cursor, prefix []byte) ([]byte, []byte) {
	upper := append(append([]byte{}, prefix[:len(prefix)-1]...), 1)
	if k, _ := c.Seek(upper); k == nil {
		return c.Last()
	}
	return c.Prev()
}

// RecentMessages implements memstore.MessageLog.
func (s *Store) RecentMessages(ctx context.Context, userID, conversationID string, limit int) ([]memstore.Message, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if limit <= 0 || conversationID == "" {
		return nil, nil
	}
	prefix := conversationPrefix(userID, conversationID)
	var out []memstore.Message
	err := s.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketMessages).Cursor()
		for k, v := lastWithPrefix(c, prefix); k != nil && bytes.HasPrefix(k, prefix) && len(out) < limit; k, v = c.Prev() {
			var m storedMessage
			if err := json.Unmarshal(v, &m); err != nil {
				return fmt.Errorf("message %x: %w", k, err)
			}
			msg := memstore.Message{Role: m.Role, Content: m.Content}
			msg.ChatTime, _ = memstore.ParseTime("chat_time", m.ChatTime)
			out = append(out, msg)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read conversation %q: %w", conversationID, err)
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out, nil
}

// DeleteMessages implements memstore.MessageLog.
func (s *Store) DeleteMessages(ctx context.Context, userID, conversationID string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	prefix := conversationPrefix(userID, conversationID)
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	err := s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketMessages)
		var keys [][]byte
		c := b.Cursor()
		for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
			keys = append(keys, append([]byte{}, k...))
		}
		for _, k := range keys {
			if err := b.Delete(k); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("delete messages of user %q: %w", userID, err)
	}
	return nil
}
