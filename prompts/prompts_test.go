package prompts

import (
	"strings"
	"testing"
)

func TestInstructionsNameEveryTool(t *testing.T) {
	got := Instructions()
	for _, tool := range []string{"search_memory", "add_message", "add_feedback", "get_memory", "delete_memory", "chat"} {
		if !strings.Contains(got, "`"+tool+"`") {
			t.Errorf("instructions do not mention %s", tool)
		}
	}
}

func TestRender(t *testing.T) {
	for _, name := range []string{"chat_system_en.md", "chat_system_zh.md"} {
		got, err := Render(name, map[string]string{"Now": "2026-01-08 09:00 UTC", "Memories": "Facts:\n1. x"})
		if err != nil || !strings.Contains(got, "2026-01-08 09:00 UTC") || !strings.Contains(got, "<memories>\nFacts:\n1. x\n</memories>") {
			t.Errorf("Render(%s) = %q, %v", name, got, err)
		}
		if _, err := Render(name, map[string]string{"Now": "x"}); err == nil {
			t.Errorf("Render(%s) without Memories must fail rather than print <no value>", name)
		}
	}
}
