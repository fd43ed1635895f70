package httpapi

import (
	"errors"
	"strings"
	"testing"

	"github.com/memos-mcp/memos-mcp/memstore"
)

func TestToMessages(t *testing.T) {
	tests := []struct {
		name    string
		in      any
		want    []memstore.Message
		wantErr string
	}{
		{"a string is one user message", "I like tea", []memstore.Message{{Role: "user", Content: "I like tea"}}, ""},
		{"chat messages", []any{map[string]any{"role": "user", "content": "hi", "message_id": "m1"}, map[string]any{"role": "assistant", "content": "hello"}},
			[]memstore.Message{{Role: "user", Content: "hi"}, {Role: "assistant", Content: "hello"}}, ""},
		{"multimodal text parts", []any{map[string]any{"role": "user", "content": []any{map[string]any{"type": "text", "text": "a"}, map[string]any{"type": "text", "text": "b"}}}},
			[]memstore.Message{{Role: "user", Content: "a\nb"}}, ""},
		{"an image part", []any{map[string]any{"role": "user", "content": []any{map[string]any{"type": "image_url", "image_url": "x"}}}}, nil, "messages[0].content"},
		{"a typo in a field", []any{map[string]any{"role": "user", "contnet": "hi"}}, nil, "messages[0].contnet"},
		{"a number", 42.0, nil, "string or a list"},
		{"a bad time", []any{map[string]any{"role": "user", "content": "hi", "chat_time": "yesterday"}}, nil, "messages[0].chat_time"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := toMessages("messages", tt.in)
			if tt.wantErr != "" {
				if !errors.Is(err, memstore.ErrInvalid) || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err %v, want an invalid-request error mentioning %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || len(got) != len(tt.want) {
				t.Fatalf("got %v, %v", got, err)
			}
			for i := range got {
				if got[i].Role != tt.want[i].Role || got[i].Content != tt.want[i].Content {
					t.Fatalf("message %d = %+v, want %+v", i, got[i], tt.want[i])
				}
			}
		})
	}
}
