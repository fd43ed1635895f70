package memstore_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/memos-mcp/memos-mcp/memstore"
	"github.com/memos-mcp/memos-mcp/memstore/builtin"
	"github.com/memos-mcp/memos-mcp/memstore/embedded"
)

// asyncEnv is a Core with a task queue over a store in dir, and running workers when workers > 0.
type asyncEnv struct {
	env
	stop func()
}

func newAsyncEnv(t *testing.T, dir string, llm memstore.LLM, workers, queueLimit int) asyncEnv {
	t.Helper()
	emb := builtin.Embedder{}
	store, err := embedded.Open(dir, emb.Identity(), embedded.Options{})
	if err != nil {
		t.Fatal(err)
	}
	clk := &clock{t: time.Date(2026, 1, 8, 9, 0, 0, 0, time.UTC)}
	core, err := memstore.New(memstore.Config{Store: store, Messages: store, Tasks: store, QueueLimit: queueLimit, TaskPoll: 5 * time.Millisecond,
		Embedder: emb, Rules: builtin.Rules{}, LLM: llm, Now: clk.now})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	wait := core.StartWorkers(ctx, workers)
	var once sync.Once
	stop := func() { once.Do(func() { cancel(); wait(); store.Close() }) }
	t.Cleanup(stop)
	return asyncEnv{env: env{core: core, store: store, clock: clk}, stop: stop}
}

// waitTask polls a task until it is finished (or the deadline passes).
func (e asyncEnv) waitTask(t *testing.T, id string) memstore.Task {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		task, err := e.core.GetTask(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		if task.Status == memstore.TaskDone || task.Status == memstore.TaskFailed {
			return task
		}
		if time.Now().After(deadline) {
			t.Fatalf("task %s still %s after 10 s: %+v", id, task.Status, task)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// flakyLLM is unavailable until ready is set, then extracts like scriptedLLM, recording the order of
// the conversations it was asked about.
type flakyLLM struct {
	scriptedLLM
	ready bool
	order []string
}

func (f *flakyLLM) Chat(ctx context.Context, req memstore.ChatRequestLLM) (memstore.ChatResponseLLM, error) {
	f.Mu.Lock()
	if !f.ready {
		f.Mu.Unlock()
		return memstore.ChatResponseLLM{}, memstore.Unavailable("Ollama is not reachable at http://127.0.0.1:1")
	}
	prompt := req.Messages[len(req.Messages)-1].Content
	if i := strings.Index(prompt, "user ["); i >= 0 {
		f.order = append(f.order, prompt[i:])
	}
	f.Mu.Unlock()
	return f.scriptedLLM.Chat(ctx, req)
}

func (f *flakyLLM) setReady() {
	f.Mu.Lock()
	f.ready = true
	f.Mu.Unlock()
}

func TestAsyncAddWithoutModelIsDoneAtOnce(t *testing.T) {
	e := newAsyncEnv(t, t.TempDir(), nil, 2, 100)
	res := e.add(t, memstore.AddRequest{UserID: "u", AsyncMode: "async", Messages: []memstore.Message{user("I like tea")}})
	if res.TaskID == "" || res.TaskStatus != memstore.TaskDone || len(res.Memories) != 2 {
		t.Fatalf("async add: %+v", res)
	}
	task, err := e.core.GetTask(context.Background(), res.TaskID)
	if err != nil || task.Status != memstore.TaskDone || len(task.MemoryIDs) != 2 {
		t.Fatalf("task %+v %v", task, err)
	}
}

func TestAsyncAddRefinesInTheBackground(t *testing.T) {
	llm := &flakyLLM{scriptedLLM: scriptedLLM{Extraction: goodExtraction}, ready: true}
	e := newAsyncEnv(t, t.TempDir(), llm, 2, 100)
	res := e.add(t, memstore.AddRequest{UserID: "u", AsyncMode: "async", Messages: []memstore.Message{user("I live in Berlin and prefer window seats")}})
	if res.TaskID == "" || res.TaskStatus != memstore.TaskQueued || res.Mode != "fast" || len(res.Memories) == 0 {
		t.Fatalf("async add: %+v", res)
	}
	fast := res.Memories[0].ID
	task := e.waitTask(t, res.TaskID)
	if task.Status != memstore.TaskDone || len(task.MemoryIDs) != 3 {
		t.Fatalf("task %+v", task)
	}
	// The refined memories replaced the fast ones.
	if got, _ := e.store.Get(context.Background(), []string{fast}); len(got) != 0 {
		t.Fatal("the fast-mode memory was not replaced")
	}
	got, _ := e.store.Get(context.Background(), task.MemoryIDs)
	if len(got) != 3 || got[0].Content != "The user lives in Berlin." {
		t.Fatalf("refined memories %+v", got)
	}
}

func TestAsyncTasksRetryWhileTheModelIsDownAndKeepPerUserOrder(t *testing.T) {
	llm := &flakyLLM{}
	e := newAsyncEnv(t, t.TempDir(), llm, 3, 100)
	var ids []string
	for i, text := range []string{"first: I like tea", "second: I like jazz", "third: I like cats"} {
		res := e.add(t, memstore.AddRequest{UserID: "u", AsyncMode: "async", Messages: []memstore.Message{user(text)}})
		ids = append(ids, res.TaskID)
		if len(res.Memories) == 0 {
			t.Fatalf("add %d stored nothing at once", i)
		}
	}
	// While the model is down the first task is retried with backoff, and the others wait for it.
	deadline := time.Now().Add(5 * time.Second)
	for {
		task, _ := e.core.GetTask(context.Background(), ids[0])
		if task.Attempts >= 1 && task.Status == memstore.TaskQueued && task.Error != "" {
			if !task.NotBefore.After(e.clock.now()) {
				t.Fatalf("a retry must wait: %+v", task)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("first task never retried: %+v", task)
		}
		time.Sleep(5 * time.Millisecond)
	}
	for _, id := range ids[1:] {
		if task, _ := e.core.GetTask(context.Background(), id); task.Attempts != 0 {
			t.Fatalf("task %s ran before an earlier task of the same user: %+v", id, task)
		}
	}
	// The model comes back; the backoff passes.
	llm.setReady()
	e.clock.advance(time.Hour)
	for _, id := range ids {
		if task := e.waitTask(t, id); task.Status != memstore.TaskDone {
			t.Fatalf("task %+v", task)
		}
	}
	llm.Mu.Lock()
	order := strings.Join(llm.order, "|")
	llm.Mu.Unlock()
	if !(strings.Index(order, "first") < strings.Index(order, "second") && strings.Index(order, "second") < strings.Index(order, "third")) {
		t.Fatalf("tasks of one user ran out of order: %s", order)
	}
}

func TestQueuedWorkSurvivesARestart(t *testing.T) {
	dir := t.TempDir()
	llm := &flakyLLM{scriptedLLM: scriptedLLM{Extraction: goodExtraction,
		Judge: `{"items":[{"validity":true,"user_attitude":"irrelevant","corrected_info":"The user prefers aisle seats.","key":"seat","tags":["travel"],"is_preference":true}]}`}, ready: true}
	e := newAsyncEnv(t, dir, llm, 0, 100) // no workers: the work stays queued, as when a crash comes first
	res := e.add(t, memstore.AddRequest{UserID: "u", AsyncMode: "async", Messages: []memstore.Message{user("I live in Berlin")}})
	fb, err := e.core.Feedback(context.Background(), memstore.FeedbackRequest{UserID: "u", AsyncMode: "async", FeedbackContent: "I prefer aisle seats"})
	if err != nil || fb.TaskID == "" || fb.TaskStatus != memstore.TaskQueued {
		t.Fatalf("async feedback: %+v %v", fb, err)
	}
	// A task the crashed process had started is resumed too.
	task, _ := e.core.GetTask(context.Background(), res.TaskID)
	task.Status, task.Attempts = memstore.TaskRunning, 1
	if err := e.store.UpdateTask(context.Background(), task); err != nil {
		t.Fatal(err)
	}
	e.stop()

	e2 := newAsyncEnv(t, dir, llm, 2, 100)
	if task := e2.waitTask(t, res.TaskID); task.Status != memstore.TaskDone || task.Attempts != 2 {
		t.Fatalf("refine after restart: %+v", task)
	}
	if task := e2.waitTask(t, fb.TaskID); task.Status != memstore.TaskDone || len(task.MemoryIDs) != 1 {
		t.Fatalf("feedback after restart: %+v", task)
	}
}

func TestQueueIsBounded(t *testing.T) {
	e := newAsyncEnv(t, t.TempDir(), &flakyLLM{}, 0, 1)
	first := e.add(t, memstore.AddRequest{UserID: "u", AsyncMode: "async", Messages: []memstore.Message{user("I like tea")}})
	if first.TaskStatus != memstore.TaskQueued {
		t.Fatalf("first: %+v", first)
	}
	second := e.add(t, memstore.AddRequest{UserID: "u", AsyncMode: "async", Messages: []memstore.Message{user("I like jazz")}})
	if second.TaskID != "" || len(second.Memories) == 0 || len(second.Notes) == 0 || !strings.Contains(second.Notes[0], "queue is full") {
		t.Fatalf("an add beyond the bound keeps the messages and says the refinement was not queued: %+v", second)
	}
	_, err := e.core.Feedback(context.Background(), memstore.FeedbackRequest{UserID: "u", AsyncMode: "async", FeedbackContent: "x"})
	if !errors.Is(err, memstore.ErrUnavailable) || !strings.Contains(err.Error(), "queue is full") || !strings.Contains(err.Error(), "sync") {
		t.Fatalf("feedback beyond the bound: %v", err)
	}
	if _, err := e.core.GetTask(context.Background(), "not-a-task"); !errors.Is(err, memstore.ErrInvalid) {
		t.Fatalf("bad task id: %v", err)
	}
	if _, err := e.core.GetTask(context.Background(), "6b23b583-f4c4-4a8f-b345-58d0c48fea04"); !errors.Is(err, memstore.ErrNotFound) {
		t.Fatalf("unknown task: %v", err)
	}
	if _, err := e.core.AddMessages(context.Background(), memstore.AddRequest{UserID: "u", AsyncMode: "later", Messages: []memstore.Message{user("x")}}); !errors.Is(err, memstore.ErrInvalid) {
		t.Fatalf("bad async_mode: %v", err)
	}
}
