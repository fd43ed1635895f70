package storetest

// Conformance of the optional interfaces a backend may implement besides memstore.Store: the
// conversation log (memstore.MessageLog), the background queue (memstore.TaskQueue) and the
// whole-store scan export and migration use (memstore.Scanner). Both backends implement all three.

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/memos-mcp/memos-mcp/memstore"
)

// unwrap returns the backend's own store behind the suite's close-once wrapper.
func unwrap(st memstore.Store) memstore.Store {
	if c, ok := st.(*closeOnce); ok {
		return c.Store
	}
	return st
}

func (s *suite) testMessages(t *testing.T) {
	st := s.open(t)
	log, ok := unwrap(st).(memstore.MessageLog)
	if !ok {
		t.Skip("the backend keeps no conversation messages (not a memstore.MessageLog)")
	}
	ctx := t.Context()
	at := func(i int) time.Time { return base.Add(time.Duration(i) * time.Minute) }
	msgs := func(from, n int) []memstore.Message {
		out := make([]memstore.Message, n)
		for i := range out {
			role := "user"
			if (from+i)%2 == 1 {
				role = "assistant"
			}
			out[i] = memstore.Message{Role: role, Content: fmt.Sprintf("消息 %d: I like tea", from+i), ChatTime: at(from + i)}
		}
		return out
	}
	append := func(user, conv string, ms []memstore.Message) {
		t.Helper()
		if err := log.AppendMessages(ctx, user, conv, ms); err != nil {
			t.Fatalf("AppendMessages(%s, %s): %v", user, conv, err)
		}
	}
	recent := func(user, conv string, limit int) []memstore.Message {
		t.Helper()
		got, err := log.RecentMessages(ctx, user, conv, limit)
		if err != nil {
			t.Fatalf("RecentMessages(%s, %s, %d): %v", user, conv, limit, err)
		}
		return got
	}
	same := func(where string, got, want []memstore.Message) {
		t.Helper()
		if len(got) != len(want) {
			t.Fatalf("%s: %d messages %v, want %d %v", where, len(got), got, len(want), want)
		}
		for i := range want {
			if got[i].Role != want[i].Role || got[i].Content != want[i].Content || !got[i].ChatTime.Equal(want[i].ChatTime) {
				t.Fatalf("%s: message %d is %+v, want %+v", where, i, got[i], want[i])
			}
		}
	}

	append("u1", "c1", msgs(0, 3))
	append("u1", "c1", msgs(3, 2)) // a later append comes after, whatever the clocks say
	append("u1", "c2", msgs(100, 2))
	append("u2", "c1", msgs(200, 1))
	same("u1/c1", recent("u1", "c1", 10), msgs(0, 5))
	same("u1/c1 last 2", recent("u1", "c1", 2), msgs(3, 2))
	same("u1/c2", recent("u1", "c2", 10), msgs(100, 2))
	same("u2/c1 (another user's conversation of the same name)", recent("u2", "c1", 10), msgs(200, 1))
	same("no such conversation", recent("u1", "c9", 10), nil)
	same("limit 0", recent("u1", "c1", 0), nil)

	if err := log.DeleteMessages(ctx, "u1", "c1"); err != nil {
		t.Fatalf("DeleteMessages(u1, c1): %v", err)
	}
	same("u1/c1 after deleting it", recent("u1", "c1", 10), nil)
	same("u1/c2 after deleting c1", recent("u1", "c2", 10), msgs(100, 2))
	if err := log.DeleteMessages(ctx, "u1", ""); err != nil {
		t.Fatalf("DeleteMessages(u1, all): %v", err)
	}
	same("u1/c2 after deleting all of u1's", recent("u1", "c2", 10), nil)
	same("u2/c1 after deleting all of u1's", recent("u2", "c1", 10), msgs(200, 1))

	// A long conversation keeps its newest messages, about MaxConversationMessages of them.
	const batch = 50
	total := memstore.MaxConversationMessages + 3*batch
	for from := 0; from < total; from += batch {
		append("u3", "long", msgs(1000+from, batch))
	}
	got := recent("u3", "long", total)
	if len(got) < memstore.MaxConversationMessages || len(got) > memstore.MaxConversationMessages+2*batch {
		t.Fatalf("a conversation of %d messages keeps %d; want about %d", total, len(got), memstore.MaxConversationMessages)
	}
	same("the long conversation's newest messages", got, msgs(1000+total-len(got), len(got)))
}

func (s *suite) testTasks(t *testing.T) {
	loc := s.f.NewLocation(t)
	st := s.openAt(t, loc, Identity)
	q, ok := unwrap(st).(memstore.TaskQueue)
	if !ok {
		t.Skip("the backend keeps no background tasks (not a memstore.TaskQueue)")
	}
	ctx := t.Context()
	g := newGen(31)
	task := func(user string, i int) memstore.Task {
		return memstore.Task{ID: g.id(), Kind: memstore.TaskRefine, UserID: user, Status: memstore.TaskQueued, MemoryIDs: []string{},
			CreatedAt: base.Add(time.Duration(i) * time.Second), UpdatedAt: base.Add(time.Duration(i) * time.Second),
			Payload: json.RawMessage(fmt.Sprintf(`{"n":%d,"text":"用户喜欢山竹"}`, i))}
	}
	var queued []memstore.Task
	for i, user := range []string{"a", "b", "a"} {
		tk := task(user, i)
		if err := q.EnqueueTask(ctx, &tk, 10); err != nil {
			t.Fatalf("EnqueueTask: %v", err)
		}
		if i > 0 && tk.Seq <= queued[i-1].Seq {
			t.Fatalf("task %d got Seq %d, not after %d", i, tk.Seq, queued[i-1].Seq)
		}
		queued = append(queued, tk)
	}
	sameTask := func(where string, got, want memstore.Task) {
		t.Helper()
		gj, _ := json.Marshal(got)
		wj, _ := json.Marshal(want)
		if string(gj) != string(wj) || got.Seq != want.Seq || string(got.Payload) != string(want.Payload) {
			t.Fatalf("%s: task\n\t%s seq %d payload %s\nwant\n\t%s seq %d payload %s", where, gj, got.Seq, got.Payload, wj, want.Seq, want.Payload)
		}
	}
	pending, err := q.PendingTasks(ctx, 10)
	if err != nil || len(pending) != 3 {
		t.Fatalf("PendingTasks = %d tasks, %v; want 3", len(pending), err)
	}
	for i := range pending {
		sameTask(fmt.Sprintf("pending task %d", i), pending[i], queued[i])
	}
	if first, err := q.PendingTasks(ctx, 1); err != nil || len(first) != 1 || first[0].ID != queued[0].ID {
		t.Fatalf("PendingTasks(1) = %v, %v; want the first task", first, err)
	}

	// The bound counts waiting tasks; a task recorded as finished takes no room.
	extra := task("c", 9)
	if err := q.EnqueueTask(ctx, &extra, 3); !errors.Is(err, memstore.ErrQueueFull) {
		t.Fatalf("EnqueueTask over the bound: %v, want ErrQueueFull", err)
	}
	finished := task("c", 10)
	finished.Status = memstore.TaskDone
	if err := q.EnqueueTask(ctx, &finished, 3); err != nil {
		t.Fatalf("EnqueueTask of a finished task at the bound: %v", err)
	}

	// Updating keeps the payload when none is given, and a finished task is no longer pending.
	done := queued[0]
	done.Status, done.Attempts, done.MemoryIDs, done.Notes = memstore.TaskDone, 1, []string{g.id()}, []string{"refined 1 memory"}
	done.UpdatedAt = done.UpdatedAt.Add(time.Minute)
	done.Payload = nil
	if err := q.UpdateTask(ctx, done); err != nil {
		t.Fatalf("UpdateTask: %v", err)
	}
	done.Payload = queued[0].Payload
	got, err := q.GetTask(ctx, done.ID)
	if err != nil {
		t.Fatalf("GetTask: %v", err)
	}
	sameTask("the updated task", got, done)
	pending, err = q.PendingTasks(ctx, 10)
	if err != nil || len(pending) != 2 || pending[0].ID != queued[1].ID || pending[1].ID != queued[2].ID {
		t.Fatalf("PendingTasks after finishing the first = %v, %v", pending, err)
	}
	if err := q.EnqueueTask(ctx, &extra, 3); err != nil {
		t.Fatalf("EnqueueTask once a task finished made room: %v", err)
	}

	if _, err := q.GetTask(ctx, "no-such-task"); !errors.Is(err, memstore.ErrNotFound) {
		t.Fatalf("GetTask of an unknown id: %v, want ErrNotFound", err)
	}
	if _, err := q.GetTask(ctx, g.id()); !errors.Is(err, memstore.ErrNotFound) {
		t.Fatalf("GetTask of an unknown UUID: %v, want ErrNotFound", err)
	}
	ghost := task("a", 11)
	if err := q.UpdateTask(ctx, ghost); !errors.Is(err, memstore.ErrNotFound) {
		t.Fatalf("UpdateTask of an unknown task: %v, want ErrNotFound", err)
	}

	if !s.f.Reopenable {
		return
	}
	// The queue survives a restart.
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	q2 := unwrap(s.openAt(t, loc, Identity)).(memstore.TaskQueue)
	pending, err = q2.PendingTasks(ctx, 10)
	if err != nil || len(pending) != 3 {
		t.Fatalf("PendingTasks after reopening = %d, %v; want 3", len(pending), err)
	}
	sameTask("a queued task after reopening", pending[0], queued[1])
	if got, err := q2.GetTask(ctx, done.ID); err != nil || got.Status != memstore.TaskDone {
		t.Fatalf("the finished task after reopening: %+v, %v", got, err)
	}
}

func (s *suite) testScan(t *testing.T) {
	st := s.open(t)
	sc, ok := unwrap(st).(memstore.Scanner)
	if !ok {
		t.Skip("the backend cannot be scanned (not a memstore.Scanner)")
	}
	ctx := t.Context()
	if n, err := sc.Total(ctx); err != nil || n != 0 {
		t.Fatalf("Total of an empty store = %d, %v", n, err)
	}
	if got, err := sc.Scan(ctx, "", 10); err != nil || len(got) != 0 {
		t.Fatalf("Scan of an empty store = %v, %v", ids(got), err)
	}
	g := newGen(37)
	var all []memstore.Memory
	for i := range 23 {
		m := g.memory([]string{"a", "b", "c"}[i%3], "cube", memstore.KindFact, base.Add(time.Duration(i)*time.Second))
		switch i % 4 {
		case 1:
			m.Status = memstore.StatusArchived
		case 2:
			exp := base.Add(-time.Hour) // long expired: export must still carry it
			m.ExpiresAt = &exp
		case 3:
			m.Content = "用户喜欢山竹 " + strings.Repeat("长", i)
			m.History = []memstore.Version{{Memory: "用户喜欢苹果", UpdateType: "feedback", ArchivedMemoryID: g.id(), CreatedAt: base}}
			m.Tags, m.Info = []string{"水果"}, map[string]string{"来源": "对话"}
		}
		all = append(all, m)
	}
	mustPut(t, st, all...)
	slices.SortFunc(all, func(a, b memstore.Memory) int { return strings.Compare(a.ID, b.ID) })

	walk := func(pageSize int) []memstore.Memory {
		t.Helper()
		var out []memstore.Memory
		after := ""
		for range 100 {
			page, err := sc.Scan(ctx, after, pageSize)
			if err != nil {
				t.Fatalf("Scan(after %q, %d): %v", after, pageSize, err)
			}
			if len(page) > pageSize {
				t.Fatalf("Scan(after %q, %d) returned %d memories", after, pageSize, len(page))
			}
			if len(page) == 0 {
				return out
			}
			out = append(out, page...)
			after = page[len(page)-1].ID
		}
		t.Fatal("Scan never ended")
		return nil
	}
	for _, size := range []int{1, 5, 23, 100} {
		got := walk(size)
		if !slices.Equal(ids(got), ids(all)) {
			t.Fatalf("scanning by %d gave\n\t%v\nwant every memory once, in id order:\n\t%v", size, ids(got), ids(all))
		}
		for i := range got {
			checkMemory(t, fmt.Sprintf("Scan by %d", size), got[i], all[i])
		}
	}
	if n, err := sc.Total(ctx); err != nil || n != len(all) {
		t.Fatalf("Total = %d, %v; want %d", n, err, len(all))
	}
	// Scanning on from an id that is not stored (deleted meanwhile) continues after it.
	if _, err := st.Delete(ctx, []string{all[10].ID}); err != nil {
		t.Fatal(err)
	}
	rest, err := sc.Scan(ctx, all[10].ID, 100)
	if err != nil || !slices.Equal(ids(rest), ids(all[11:])) {
		t.Fatalf("Scan after a deleted id = %v, %v; want %v", ids(rest), err, ids(all[11:]))
	}
	if _, err := sc.Scan(ctx, "not-a-uuid", 10); err == nil {
		t.Fatal("Scan after a malformed id: no error")
	}
}
