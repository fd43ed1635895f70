package memstore

import (
	"strings"
	"testing"
)

func TestThinkSplitterStreams(t *testing.T) {
	tests := []struct {
		name      string
		chunks    []string
		text, why string
	}{
		{"plain answer", []string{"Hel", "lo"}, "Hello", ""},
		{"think section", []string{"<think>", "because", "</think>", "Answer"}, "Answer", "because"},
		{"tags split across chunks", []string{" <th", "ink>rea", "son</th", "ink>\nThe an", "swer"}, "The answer", "reason"},
		{"a lone < is text", []string{"<", "3 apples"}, "<3 apples", ""},
		{"unclosed think", []string{"<think>still thinking"}, "", "still thinking"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var text, why strings.Builder
			s := &thinkSplitter{emit: func(e ChatEvent) {
				switch e.Type {
				case "text":
					text.WriteString(e.Text)
				case "reasoning":
					why.WriteString(e.Text)
				default:
					t.Fatalf("event type %q", e.Type)
				}
			}}
			for _, c := range tt.chunks {
				s.chunk(c, "")
			}
			s.flush()
			if text.String() != tt.text || why.String() != tt.why {
				t.Fatalf("text %q reasoning %q, want %q %q", text.String(), why.String(), tt.text, tt.why)
			}
		})
	}
}
