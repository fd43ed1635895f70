package memstore

import (
	"strings"
	"unicode"
)

// WindowTokens is the size of a message window, as in MemOS's fast mode (chat_window_max_tokens).
const WindowTokens = 1024

// window is a run of consecutive messages that becomes one fact memory in fast mode.
type window struct {
	messages []Message
	first    int  // index of messages[0] in the request
	repeated bool // messages[0] is the previous window's last message, repeated for context
}

// text renders the window as "role: content" lines.
func (w window) text() string {
	var b strings.Builder
	for i, m := range w.messages {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(m.Role)
		b.WriteString(": ")
		b.WriteString(m.Content)
	}
	return b.String()
}

// userOnly reports whether only the user speaks in the window, which makes it a UserMemory.
func (w window) userOnly() bool {
	for _, m := range w.messages {
		if m.Role != RoleUser {
			return false
		}
	}
	return true
}

// windows cuts messages into windows of at most budget tokens. A message is never split: one that
// alone exceeds the budget is a window of its own. When a window is cut, the next one starts with
// the previous window's last message, so a question and its answer are never separated.
func windows(messages []Message, budget int) []window {
	var out []window
	var cur []Message
	first, tokens, repeated := 0, 0, false
	for i, m := range messages {
		t := estimateTokens(m.Content)
		if len(cur) > 0 && tokens+t > budget {
			out = append(out, window{messages: cur, first: first, repeated: repeated})
			last := cur[len(cur)-1]
			cur, tokens, first = nil, 0, i
			repeated = false
			if lt := estimateTokens(last.Content); lt+t <= budget {
				cur, tokens, first, repeated = []Message{last}, lt, i-1, true
			}
		}
		cur = append(cur, m)
		tokens += t
	}
	if len(cur) > 0 {
		out = append(out, window{messages: cur, first: first, repeated: repeated})
	}
	return out
}

// estimateTokens approximates a tokenizer: one token per CJK character, about four bytes per token
// for everything else.
func estimateTokens(s string) int {
	cjk, other := 0, 0
	for _, r := range s {
		if unicode.Is(unicode.Han, r) || unicode.Is(unicode.Hiragana, r) || unicode.Is(unicode.Katakana, r) || unicode.Is(unicode.Hangul, r) {
			cjk++
		} else {
			other++
		}
	}
	return cjk + (other+3)/4
}
