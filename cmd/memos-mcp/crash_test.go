package main

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestCrashSafetyUnderSIGKILL ingests over HTTP from several clients and kills the server with
// SIGKILL at a random moment, 20 times over the same data directory. After every kill the store
// must open cleanly and hold every memory whose add was acknowledged (a 200 reply).
func TestCrashSafetyUnderSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: the crash test restarts the server 20 times")
	}
	const rounds, writers = 20, 4
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 7))
	acked := map[string]map[string]bool{} // user → memory ids acknowledged
	var mu sync.Mutex
	seq := 0
	for round := range rounds {
		s := startHTTP(t, dir)
		base := s.base()
		verifyAcked(t, base, acked, round)

		stop := make(chan struct{})
		var wg sync.WaitGroup
		for w := range writers {
			user := fmt.Sprintf("crash-%d", w)
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					select {
					case <-stop:
						return
					default:
					}
					mu.Lock()
					seq++
					n := seq
					mu.Unlock()
					ids, ok := tryAdd(base, user, fmt.Sprintf("round %d: fact %d about %s", round, n, strings.Repeat("tea ", n%7+1)))
					if !ok {
						return // the server is gone: this add was not acknowledged
					}
					mu.Lock()
					if acked[user] == nil {
						acked[user] = map[string]bool{}
					}
					for _, id := range ids {
						acked[user][id] = true
					}
					mu.Unlock()
				}
			}()
		}
		time.Sleep(time.Duration(20+rng.IntN(300)) * time.Millisecond)
		if err := s.cmd.Process.Kill(); err != nil { // SIGKILL: no chance to flush or clean up
			t.Fatal(err)
		}
		<-s.done
		close(stop)
		wg.Wait()
	}
	s := startHTTP(t, dir)
	total := verifyAcked(t, s.base(), acked, rounds)
	if total < rounds {
		t.Fatalf("only %d memories were acknowledged in %d rounds: the test did not exercise ingest", total, rounds)
	}
	t.Logf("%d acknowledged memories survived %d SIGKILLs", total, rounds)
	s.stop(t)
}

// httpClient gives up on a request the killed server will never answer.
var httpClient = &http.Client{Timeout: 30 * time.Second}

// tryAdd adds one message; ok is false when the server did not acknowledge it.
func tryAdd(base, user, text string) ([]string, bool) {
	body, _ := json.Marshal(map[string]any{"user_id": user, "messages": text, "async_mode": "sync", "mode": "fast"})
	resp, err := httpClient.Post(base+"/product/add", "application/json", strings.NewReader(string(body)))
	if err != nil {
		return nil, false
	}
	defer resp.Body.Close()
	var env struct {
		Code int `json:"code"`
		Data []struct {
			MemoryID string `json:"memory_id"`
		} `json:"data"`
	}
	if resp.StatusCode != 200 || json.NewDecoder(resp.Body).Decode(&env) != nil || env.Code != 200 {
		return nil, false
	}
	ids := make([]string, len(env.Data))
	for i, d := range env.Data {
		ids[i] = d.MemoryID
	}
	return ids, true
}

// verifyAcked lists every user's memories and fails if an acknowledged one is missing.
func verifyAcked(t *testing.T, base string, acked map[string]map[string]bool, round int) int {
	t.Helper()
	total := 0
	for user, ids := range acked {
		var got struct {
			TextMem productGroups `json:"text_mem"`
			PrefMem productGroups `json:"pref_mem"`
		}
		rest(t, "POST", base+"/product/get_memory", "", `{"user_id": "`+user+`"}`).ok(t, "list").into(t, &got)
		present := map[string]bool{}
		for _, g := range append(got.TextMem, got.PrefMem...) {
			for _, m := range g.Memories {
				present[m.ID] = true
			}
		}
		for id := range ids {
			if !present[id] {
				t.Fatalf("after kill %d: memory %s of %s was acknowledged but is gone", round, id, user)
			}
		}
		total += len(ids)
	}
	return total
}
