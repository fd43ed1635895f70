package qdrant

import (
	"context"
	"fmt"

	"github.com/google/uuid"
	"github.com/qdrant/go-client/qdrant"

	"github.com/memos-mcp/memos-mcp/memstore"
)

// Conversation messages are points of the "<name>_messages" collection, one per message, with a
// payload of user_id, conversation_id, seq (microseconds, strictly increasing per process, so a
// conversation reads back in the order it was written), role, content and chat_time. The vector
// is a constant placeholder: the collection is only filtered and ordered.

// trimSlack is how many messages over memstore.MaxConversationMessages a conversation may hold
// before it is trimmed, so that appends do not trim every time.
const trimSlack = 32

// AppendMessages implements memstore.MessageLog.
func (s *Store) AppendMessages(ctx context.Context, userID, conversationID string, msgs []memstore.Message) error {
	if userID == "" || conversationID == "" {
		return fmt.Errorf("append messages: user and conversation ids are required")
	}
	if len(msgs) == 0 {
		return ctx.Err()
	}
	points := make([]*qdrant.PointStruct, 0, len(msgs))
	for _, m := range msgs {
		payload, err := qdrant.TryValueMap(map[string]any{
			"user_id": userID, "conversation_id": conversationID, "seq": s.nextSeq(),
			"role": m.Role, "content": m.Content, "chat_time": m.ChatTime.UTC().Format("2006-01-02T15:04:05.999999999Z07:00"),
		})
		if err != nil {
			return fmt.Errorf("append messages: %w", err)
		}
		points = append(points, &qdrant.PointStruct{Id: qdrant.NewID(uuid.NewString()), Vectors: placeholder(), Payload: payload})
	}
	if err := s.call(ctx, fmt.Sprintf("append %d messages to conversation %q", len(msgs), conversationID), func(ctx context.Context) error {
		_, err := s.client.Upsert(ctx, &qdrant.UpsertPoints{CollectionName: s.names.messages, Wait: qdrant.PtrOf(true), Points: points})
		return err
	}); err != nil {
		return err
	}
	return s.trimConversation(ctx, conversationFilter(userID, conversationID))
}

// placeholder is the vector of points that only carry a payload.
func placeholder() *qdrant.Vectors { return qdrant.NewVectorsDense([]float32{1}) }

func conversationFilter(userID, conversationID string) *qdrant.Filter {
	f := &qdrant.Filter{Must: []*qdrant.Condition{keyword("user_id", userID)}}
	if conversationID != "" {
		f.Must = append(f.Must, keyword("conversation_id", conversationID))
	}
	return f
}

// trimConversation deletes all but the newest memstore.MaxConversationMessages messages once the
// conversation holds trimSlack more than that.
func (s *Store) trimConversation(ctx context.Context, f *qdrant.Filter) error {
	n, err := s.count(ctx, s.names.messages, f)
	if err != nil || n <= memstore.MaxConversationMessages+trimSlack {
		return err
	}
	newest, err := s.scrollMessages(ctx, f, memstore.MaxConversationMessages)
	if err != nil || len(newest) < memstore.MaxConversationMessages {
		return err
	}
	oldestKept := newest[len(newest)-1].GetPayload()["seq"].GetIntegerValue()
	return s.call(ctx, "trim a conversation", func(ctx context.Context) error {
		_, err := s.client.Delete(ctx, &qdrant.DeletePoints{CollectionName: s.names.messages, Wait: qdrant.PtrOf(true),
			Points: qdrant.NewPointsSelectorFilter(with(f, qdrant.NewRange("seq", &qdrant.Range{Lt: qdrant.PtrOf(float64(oldestKept))})))})
		return err
	})
}

// scrollMessages returns up to limit of the newest messages matching f, newest first.
func (s *Store) scrollMessages(ctx context.Context, f *qdrant.Filter, limit int) ([]*qdrant.RetrievedPoint, error) {
	var pts []*qdrant.RetrievedPoint
	err := s.call(ctx, "read a conversation", func(ctx context.Context) error {
		var err error
		pts, err = s.client.Scroll(ctx, &qdrant.ScrollPoints{CollectionName: s.names.messages, Filter: f,
			OrderBy: &qdrant.OrderBy{Key: "seq", Direction: qdrant.Direction_Desc.Enum()},
			Limit:   qdrant.PtrOf(uint32(limit)), WithPayload: qdrant.NewWithPayload(true)})
		return err
	})
	return pts, err
}

// RecentMessages implements memstore.MessageLog.
func (s *Store) RecentMessages(ctx context.Context, userID, conversationID string, limit int) ([]memstore.Message, error) {
	if limit <= 0 || conversationID == "" {
		return nil, ctx.Err()
	}
	pts, err := s.scrollMessages(ctx, conversationFilter(userID, conversationID), limit)
	if err != nil {
		return nil, err
	}
	out := make([]memstore.Message, len(pts))
	for i, p := range pts {
		pl := p.GetPayload()
		m := memstore.Message{Role: pl["role"].GetStringValue(), Content: pl["content"].GetStringValue()}
		m.ChatTime, _ = memstore.ParseTime("chat_time", pl["chat_time"].GetStringValue())
		out[len(pts)-1-i] = m // oldest first
	}
	return out, nil
}

// DeleteMessages implements memstore.MessageLog.
func (s *Store) DeleteMessages(ctx context.Context, userID, conversationID string) error {
	if userID == "" {
		return fmt.Errorf("delete messages: the user id is required")
	}
	return s.call(ctx, fmt.Sprintf("delete messages of user %q", userID), func(ctx context.Context) error {
		_, err := s.client.Delete(ctx, &qdrant.DeletePoints{CollectionName: s.names.messages, Wait: qdrant.PtrOf(true),
			Points: qdrant.NewPointsSelectorFilter(conversationFilter(userID, conversationID))})
		return err
	})
}
