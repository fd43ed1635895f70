package ollama_test

// Integration tests against a real Ollama server with the tiny generated models (see .ci/run).

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/memos-mcp/memos-mcp/internal/ollamatest"
	"github.com/memos-mcp/memos-mcp/memstore"
	"github.com/memos-mcp/memos-mcp/memstore/ollama"
)

func client(t *testing.T, url string, timeout time.Duration) *ollama.Client {
	t.Helper()
	c, err := ollama.New(ollama.Config{URL: url, EmbedTimeout: timeout, ChatTimeout: timeout, NumPredict: 1024})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestEmbedBatch(t *testing.T) {
	c := client(t, ollamatest.URL(t), 30*time.Second)
	e := c.NewEmbedder(ollamatest.EmbedModel)
	if e.Identity().Dim != 0 {
		t.Fatal("the dimension must be unknown before the server answers")
	}
	texts := []string{"the cat sat on the mat", "the cat sat on a mat", "quantum chromodynamics", "我喜欢吃苹果"}
	vecs, err := e.Embed(context.Background(), texts)
	if err != nil {
		t.Fatal(err)
	}
	if len(vecs) != len(texts) || e.Identity().Dim != ollamatest.EmbedDim {
		t.Fatalf("%d vectors, identity %v", len(vecs), e.Identity())
	}
	for _, v := range vecs {
		if len(v) != ollamatest.EmbedDim {
			t.Fatalf("vector of %d dimensions", len(v))
		}
	}
	if near, far := memstore.Cosine(vecs[0], vecs[1]), memstore.Cosine(vecs[0], vecs[2]); !(near > far) {
		t.Fatalf("cosine near %v far %v: the model should at least rank near-identical texts closer", near, far)
	}
	// Deterministic: the same text gives the same vector, alone or in a batch.
	again, err := e.Embed(context.Background(), texts[:1])
	if err != nil || math.Abs(memstore.Cosine(again[0], vecs[0])-1) > 1e-5 {
		t.Fatalf("re-embedding differs: %v", err)
	}
}

func TestChatIsBounded(t *testing.T) {
	c := client(t, ollamatest.URL(t), 30*time.Second)
	llm := c.NewLLM(ollamatest.ChatModel)
	temp := 0.0
	resp, err := llm.Chat(context.Background(), memstore.ChatRequestLLM{
		Messages: []memstore.LLMMessage{{Role: "user", Content: "Hello, who are you?"}}, Temperature: &temp, MaxTokens: 16,
	})
	if err != nil {
		t.Fatal(err)
	}
	if resp.Content == "" || resp.OutputTokens == 0 || resp.OutputTokens > 16 || resp.DoneReason == "" {
		t.Fatalf("response %+v", resp)
	}
}

func TestStructuredOutputFollowsTheSchema(t *testing.T) {
	c := client(t, ollamatest.URL(t), 60*time.Second)
	schema := `{"type":"object","properties":{"facts":{"type":"array","maxItems":3,"items":{"type":"object","properties":{"key":{"type":"string","maxLength":20},"value":{"type":"string","maxLength":40}},"required":["key","value"]}}},"required":["facts"]}`
	resp, err := c.NewLLM(ollamatest.ChatModel).Chat(context.Background(), memstore.ChatRequestLLM{
		Messages: []memstore.LLMMessage{{Role: "user", Content: "extract"}}, MaxTokens: 512, Format: []byte(schema),
	})
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		Facts []struct{ Key, Value string } `json:"facts"`
	}
	if err := json.Unmarshal([]byte(resp.Content), &got); err != nil {
		t.Fatalf("constrained output is not the schema's JSON: %v\n%+v", err, resp)
	}
	if len(got.Facts) > 3 {
		t.Fatalf("%d facts, schema allows 3", len(got.Facts))
	}
}

func TestModelNotFound(t *testing.T) {
	c := client(t, ollamatest.URL(t), 30*time.Second)
	_, err := c.NewEmbedder("no-such-model").Embed(context.Background(), []string{"x"})
	if !errors.Is(err, memstore.ErrUnavailable) || !strings.Contains(err.Error(), "ollama pull no-such-model:latest") {
		t.Fatalf("err = %v", err)
	}
	_, err = c.NewLLM("no-such-model").Chat(context.Background(), memstore.ChatRequestLLM{Messages: []memstore.LLMMessage{{Role: "user", Content: "x"}}})
	if !errors.Is(err, memstore.ErrUnavailable) || !strings.Contains(err.Error(), "ollama pull") {
		t.Fatalf("chat err = %v", err)
	}
}

func TestTimeoutIsEnforced(t *testing.T) {
	c, err := ollama.New(ollama.Config{URL: ollamatest.URL(t), ChatTimeout: 150 * time.Millisecond, NumPredict: 100000})
	if err != nil {
		t.Fatal(err)
	}
	llm := c.NewLLM(ollamatest.ChatModel)
	// Warm the model so the timeout hits generation, not loading.
	if _, err := llm.Chat(context.Background(), memstore.ChatRequestLLM{Messages: []memstore.LLMMessage{{Role: "user", Content: "x"}}, MaxTokens: 1}); err != nil {
		t.Logf("warm-up: %v", err)
	}
	start := time.Now()
	// The tiny model never stops on its own: only the bound or the timeout end it.
	_, err = llm.Chat(context.Background(), memstore.ChatRequestLLM{Messages: []memstore.LLMMessage{{Role: "user", Content: "write forever"}}})
	took := time.Since(start)
	if !errors.Is(err, memstore.ErrUnavailable) || !strings.Contains(err.Error(), "did not finish") || !strings.Contains(err.Error(), "--ollama-timeout") {
		t.Fatalf("err = %v", err)
	}
	if took > 2*time.Second {
		t.Fatalf("the timeout of 150 ms took %s to fire", took)
	}
}

func TestKilledMidCallThenRecovers(t *testing.T) {
	srv := ollamatest.New(t)
	srv.Start()
	c, err := ollama.New(ollama.Config{URL: srv.URL, ChatTimeout: 20 * time.Second, EmbedTimeout: 20 * time.Second, NumPredict: 100000, Retries: 1})
	if err != nil {
		t.Fatal(err)
	}
	llm := c.NewLLM(ollamatest.ChatModel)
	done := make(chan error, 1)
	go func() {
		_, err := llm.Chat(context.Background(), memstore.ChatRequestLLM{Messages: []memstore.LLMMessage{{Role: "user", Content: "write forever"}}})
		done <- err
	}()
	time.Sleep(1500 * time.Millisecond) // let generation start
	killed := time.Now()
	srv.Kill()
	select {
	case err := <-done:
		if !errors.Is(err, memstore.ErrUnavailable) || !strings.Contains(err.Error(), srv.URL) {
			t.Fatalf("err = %v", err)
		}
		if took := time.Since(killed); took > 5*time.Second {
			t.Fatalf("the error came %s after the kill", took)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("the call did not return after the server was killed")
	}
	srv.Start() // same port
	e := c.NewEmbedder(ollamatest.EmbedModel)
	if _, err := e.Embed(context.Background(), []string{"back again"}); err != nil {
		t.Fatalf("no recovery after restart: %v", err)
	}
}
