package main

// The Playground memory page in a real headless Chromium, driven through the DevTools protocol
// (chromedp) against the real binary: memories are seeded and checked over MCP, and the page must
// show, page, search and delete them as a person would use it.

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/client/transport"

	"github.com/memos-mcp/memos-mcp/memstore"
)

// findChromium returns the browser to test with: $MEMOS_TEST_CHROMIUM, else the first of the
// usual names on PATH. Without one the test fails in CI and is skipped (loudly) elsewhere.
func findChromium(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("MEMOS_TEST_CHROMIUM"); p != "" {
		if _, err := exec.LookPath(p); err != nil {
			t.Fatalf("MEMOS_TEST_CHROMIUM=%s is not an executable: %v", p, err)
		}
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	const why = "no Chromium: set MEMOS_TEST_CHROMIUM or install one (apt-get install chromium); .ci/run installs it"
	if os.Getenv("CI") != "" {
		t.Fatal(why)
	}
	fmt.Fprintf(os.Stderr, "\n*** SKIPPING the Playground browser test: %s ***\n\n", why)
	t.Skip(why)
	return ""
}

// artifactDir is where the screenshots go: $MEMOS_TEST_ARTIFACTS, else a temporary directory.
func artifactDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("MEMOS_TEST_ARTIFACTS")
	if dir == "" {
		return t.TempDir()
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatalf("artifacts directory: %v", err)
	}
	return dir
}

// browser is one headless Chromium tab and what the page reported while the test ran.
type browser struct {
	t         *testing.T
	ctx       context.Context
	artifacts string

	mu       sync.Mutex
	problems []string // uncaught exceptions, CSP violations, console errors
}

func newBrowser(t *testing.T, exe, artifacts string) *browser {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(exe),
		// CI runs as root, where Chromium refuses to start sandboxed; the page is our own.
		chromedp.NoSandbox,
		chromedp.WindowSize(1280, 900),
		chromedp.Flag("lang", "en-US"),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(allocCtx)
	// The whole test's budget: a hung browser fails the test instead of hanging the run.
	ctx, cancelTimeout := context.WithTimeout(ctx, 4*time.Minute)
	t.Cleanup(func() { cancelTimeout(); cancelCtx(); cancelAlloc() })
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start Chromium (%s): %v", exe, err)
	}
	b := &browser{t: t, ctx: ctx, artifacts: artifacts}
	exceptions := chromedp.Events(ctx, runtime.ExceptionThrown)
	entries := chromedp.Events(ctx, log.EntryAdded)
	console := chromedp.Events(ctx, runtime.ConsoleAPICalled)
	go func() {
		for ev, err := range exceptions {
			if err != nil {
				return
			}
			d := ev.ExceptionDetails
			what := d.Text
			if d.Exception != nil {
				what += " " + d.Exception.Description
			}
			b.problem("uncaught exception at %s:%d: %s", d.URL, d.LineNumber, what)
		}
	}()
	go func() {
		for ev, err := range entries {
			if err != nil {
				return
			}
			// Failed requests (the 401 and 403 the test provokes) are logged by the network;
			// anything the page itself or the security policy reports is a problem.
			if ev.Entry.Source != log.EntrySourceNetwork && ev.Entry.Level == log.EntryLevelError {
				b.problem("browser log (%s): %s %s", ev.Entry.Source, ev.Entry.Text, ev.Entry.URL)
			}
		}
	}()
	go func() {
		for ev, err := range console {
			if err != nil {
				return
			}
			if ev.Type == runtime.ConsoleAPICalledTypeError || ev.Type == runtime.ConsoleAPICalledTypeAssert {
				var args []string
				for _, a := range ev.Args {
					args = append(args, string(a.Value)+a.Description)
				}
				b.problem("console.%s: %s", ev.Type, strings.Join(args, " "))
			}
		}
	}()
	return b
}

func (b *browser) problem(format string, args ...any) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.problems = append(b.problems, fmt.Sprintf(format, args...))
}

func (b *browser) Problems() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return slices.Clone(b.problems)
}

// stepTimeout bounds every browser action and wait, so that a page that never gets where the
// test expects fails that step with its state, instead of using up the whole budget.
const stepTimeout = 20 * time.Second

// step returns a context for one action: the browser's, with its own deadline.
func (b *browser) step() (context.Context, context.CancelFunc) {
	return context.WithTimeout(b.ctx, stepTimeout)
}

// do runs actions, failing the test (with the page's state) on an error.
func (b *browser) do(what string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := b.step()
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		b.fail("%s: %v", what, err)
	}
}

// jsEval evaluates a JavaScript expression and decodes its value into T.
func jsEval[T any](b *browser, expr string) T {
	b.t.Helper()
	ctx, cancel := b.step()
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		b.fail("evaluate %s: %v", expr, err)
	}
	return v
}

// waitFor waits until a JavaScript condition holds on the page.
func (b *browser) waitFor(what, cond string) {
	b.t.Helper()
	ctx, cancel := b.step()
	defer cancel()
	if _, err := chromedp.Run(ctx, chromedp.Poll[chromedp.Void](cond, chromedp.WithPollingTimeout(stepTimeout))); err != nil {
		b.fail("waiting for %s (%s): %v", what, cond, err)
	}
}

// fullPagePNG captures the whole page as a PNG, beyond the window's height. (chromedp's
// FullScreenshot captures only the viewport when the page is taller.)
func fullPagePNG(ctx context.Context, t *chromedp.Target) ([]byte, error) {
	m, err := cdp.Call(ctx, t, page.GetLayoutMetrics, cdp.Empty{})
	if err != nil {
		return nil, fmt.Errorf("layout metrics: %w", err)
	}
	if m.CSSContentSize == nil {
		return nil, fmt.Errorf("layout metrics have no content size")
	}
	yes := true
	r, err := cdp.Call(ctx, t, page.CaptureScreenshot, page.CaptureScreenshotParams{
		Format:                page.CaptureScreenshotFormatPng,
		CaptureBeyondViewport: &yes,
		FromSurface:           &yes,
		Clip:                  &page.Viewport{Width: m.CSSContentSize.Width, Height: m.CSSContentSize.Height, Scale: 1},
	})
	if err != nil {
		return nil, fmt.Errorf("capture: %w", err)
	}
	return r.Data, nil
}

// screenshot saves a full-page PNG of the page in the artifacts directory.
func (b *browser) screenshot(name string) {
	b.t.Helper()
	ctx, cancel := b.step()
	defer cancel()
	png, err := chromedp.Run(ctx, fullPagePNG)
	if err != nil {
		b.t.Fatalf("screenshot: %v", err)
	}
	if len(png) < 8 || string(png[1:4]) != "PNG" {
		b.t.Fatalf("the screenshot is not a PNG (%d bytes)", len(png))
	}
	p := filepath.Join(b.artifacts, name)
	if err := os.WriteFile(p, png, 0o644); err != nil {
		b.t.Fatalf("save the screenshot: %v", err)
	}
	b.t.Logf("screenshot: %s", p)
}

// fail reports the page's state and saves a screenshot of it.
func (b *browser) fail(format string, args ...any) {
	b.t.Helper()
	ctx, cancel := b.step()
	defer cancel()
	state, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`JSON.stringify({
		status: document.querySelector("[data-testid=status]")?.textContent,
		page: document.querySelector("[data-testid=page-info]")?.textContent,
		view: document.querySelector("[data-testid=memory-list]")?.dataset.view,
		kind: document.querySelector("[data-testid=memory-list]")?.dataset.kind,
		facts: document.querySelector("[data-testid=total-facts]")?.textContent,
		prefs: document.querySelector("[data-testid=total-prefs]")?.textContent,
		rows: Array.from(document.querySelectorAll("[data-testid=memory-row]"), r => r.dataset.id),
	})`))
	if png, err := chromedp.Run(ctx, fullPagePNG); err == nil {
		p := filepath.Join(b.artifacts, "playground-failure.png")
		if werr := os.WriteFile(p, png, 0o644); werr == nil {
			b.t.Logf("screenshot of the failure: %s", p)
		}
	}
	b.t.Fatalf(format+"\npage state: %s\nbrowser problems: %q", append(args, state, b.Problems())...)
}

// js quotes a Go value for a JavaScript expression.
func js(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

const (
	statusText = `document.querySelector("[data-testid=status]").textContent`
	rowIDs     = `Array.from(document.querySelectorAll("[data-testid=memory-row]"), r => r.dataset.id)`
)

func testid(id string) chromedp.CSS { return chromedp.CSS(`[data-testid="` + id + `"]`) }

func rowSel(id, inner string) chromedp.CSS {
	return chromedp.CSS(`tr[data-testid="memory-row"][data-id="` + id + `"] ` + inner)
}

// waitRows waits until the shown rows are exactly ids, in order.
func (b *browser) waitRows(what string, ids []string) {
	b.t.Helper()
	b.waitFor(what, `JSON.stringify(`+rowIDs+`) === `+js(string(mustJSON(ids))))
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

// selectOption picks an option of a <select> as a person would: the value changes and the page
// hears a change event.
func (b *browser) selectOption(id, value string) {
	b.t.Helper()
	b.do("select "+value+" in "+id, chromedp.Evaluate[chromedp.Void](`(() => {
		const s = document.querySelector('[data-testid=`+js(id)+`]');
		s.value = `+js(value)+`;
		if (s.value !== `+js(value)+`) throw new Error("no option " + `+js(value)+`);
		s.dispatchEvent(new Event("change", {bubbles: true}));
	})()`))
}

// confirm answers the page's in-page confirmation dialog.
func (b *browser) confirm(wantText, button string) {
	b.t.Helper()
	b.do("the confirmation dialog opens", chromedp.WaitVisible(testid("confirm-dialog")))
	if got := jsEval[string](b, `document.querySelector("[data-testid=confirm-text]").textContent`); !strings.Contains(got, wantText) {
		b.fail("dialog says %q, want it to mention %q", got, wantText)
	}
	if !jsEval[bool](b, `document.querySelector("[data-testid=confirm-dialog]").open`) {
		b.fail("the dialog is visible but not open")
	}
	b.do("answer the dialog with "+button, chromedp.Click(testid(button)), chromedp.WaitNotVisible(testid("confirm-dialog")))
}

func ids(ms []memstore.ListedMemory) []string {
	out := []string{}
	for _, m := range ms {
		out = append(out, m.ID)
	}
	return out
}

func hitIDs(hs []memstore.SearchHit) []string {
	out := []string{}
	for _, h := range hs {
		out = append(out, h.ID)
	}
	return out
}

func TestPlaygroundInBrowser(t *testing.T) {
	exe := findChromium(t)
	artifacts := artifactDir(t)
	// A failure screenshot left by an earlier run must not be taken for this one's.
	if err := os.Remove(filepath.Join(artifacts, "playground-failure.png")); err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	const user = "alice"
	key := "k_test_playground_" + strconv.FormatInt(time.Now().UnixNano(), 36)
	s := startHTTP(t, t.TempDir(), "MEMOS_API_KEYS="+key+"="+user)
	base := strings.TrimSuffix(s.url, "/mcp")

	mcpClient, err := client.NewStreamableHttpClient(s.url, transport.WithHTTPHeaders(map[string]string{"Authorization": "Bearer " + key}))
	if err != nil {
		t.Fatal(err)
	}
	if err := mcpClient.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { mcpClient.Close() })
	initialize(t, mcpClient)

	// ---- seed alice's memories through MCP ----
	var factIDs, prefIDs []string // in the order they were created
	add := func(text string, extra map[string]any) memstore.AddResult {
		t.Helper()
		args := map[string]any{"user_id": user, "messages": []any{msg("user", text)}}
		for k, v := range extra {
			args[k] = v
		}
		var res memstore.AddResult
		call(t, mcpClient, "add_message", args, &res)
		for _, m := range res.Memories {
			if m.MemoryType == memstore.PreferenceMemory {
				prefIDs = append(prefIDs, m.ID)
			} else {
				factIDs = append(factIDs, m.ID)
			}
		}
		return res
	}
	// First, so that it has expired by the time the page opens: a fact and a preference.
	if res := add("I like the rooftop pool at the Lisbon hotel", map[string]any{"ttl": "1s", "tags": []string{"travel"}}); len(res.Memories) != 2 {
		t.Fatalf("the expiring add made %d memories, want a fact and a preference: %+v", len(res.Memories), res)
	}
	expiringFact, expiringPref := factIDs[0], prefIDs[0]
	for i, text := range []string{
		"My flight to Lisbon leaves on Friday at 7am",
		"The project deadline moved to the end of March",
		"My sister Ana lives in Porto with two cats",
		"The car needs new tyres before the winter",
		"Dentist appointment on the 14th at 3pm",
		"The wifi password at the office changed last week",
		"I finished reading The Name of the Rose",
		"Quarterly report numbers go to Maria on Monday",
		// Markup in a memory is text, never HTML.
		`The newsletter template shows <b>bold</b> & <img src=x onerror="alert(1)"> literally`,
	} {
		add(text, map[string]any{"tags": []string{"note", fmt.Sprintf("n%d", i+1)}})
	}
	// A near-duplicate pair (cosine 0.945: kept, but dedup "sim" shows only one of them).
	if res := add("我喜欢吃苹果,尤其是红富士", nil); len(res.Memories) != 2 {
		t.Fatalf("the apple add made %+v, want a fact and a preference", res)
	}
	applePref := prefIDs[len(prefIDs)-1]
	appleFacts := []string{factIDs[len(factIDs)-1]}
	add("我很喜欢吃苹果,尤其是红富士", nil)
	appleFacts = append(appleFacts, factIDs[len(factIDs)-1])
	add("I prefer window seats on long flights", map[string]any{"tags": []string{"travel"}})
	// A correction archives the apple preference and adds the mangosteen one.
	var fb memstore.FeedbackResult
	call(t, mcpClient, "add_feedback", map[string]any{"user_id": user, "feedback_content": "错啦,实际上我喜欢的是山竹",
		"retrieved_memory_ids": []string{applePref}}, &fb)
	if !slices.Contains(fb.ArchivedIDs, applePref) || len(fb.Added) == 0 {
		t.Fatalf("feedback did not archive the apple preference: %+v", fb)
	}
	for _, a := range fb.Added {
		if a.MemoryType == memstore.PreferenceMemory {
			prefIDs = append(prefIDs, a.ID)
		} else {
			factIDs = append(factIDs, a.ID)
		}
	}

	// Wait (with a deadline) until the ttl has run out, then take the newest-first truth.
	everything := map[string]any{"user_id": user, "page_size": 100, "include_expired": true, "include_archived": true}
	var truth memstore.ListResult
	for deadline := time.Now().Add(20 * time.Second); ; {
		call(t, mcpClient, "get_memory", everything, &truth)
		expired := 0
		for _, m := range append(slices.Clone(truth.Memories), truth.Preferences...) {
			if m.Expired {
				expired++
			}
		}
		if expired == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the 1s ttl memories never expired: %+v", truth)
		}
		time.Sleep(100 * time.Millisecond)
	}
	newestFacts := slices.Clone(factIDs)
	slices.Reverse(newestFacts)
	newestPrefs := slices.Clone(prefIDs)
	slices.Reverse(newestPrefs)
	if !slices.Equal(ids(truth.Memories), newestFacts) || truth.MemoriesTotal != 13 {
		t.Fatalf("MCP lists facts %v (total %d), want the 13 added, newest first: %v", ids(truth.Memories), truth.MemoriesTotal, newestFacts)
	}
	if !slices.Equal(ids(truth.Preferences), newestPrefs) || truth.PreferencesTotal != len(prefIDs) || len(prefIDs) < 4 {
		t.Fatalf("MCP lists preferences %v (total %d), want %v", ids(truth.Preferences), truth.PreferencesTotal, newestPrefs)
	}
	prefText := map[string]string{}
	for _, p := range truth.Preferences {
		prefText[p.ID] = p.Preference
	}
	nPrefs := strconv.Itoa(len(prefIDs))
	nPrefsLeft := strconv.Itoa(len(prefIDs) - 1)

	b := newBrowser(t, exe, artifacts)
	pageURL := base + "/playground/"
	// Each step builds on the one before, so the first failure ends the test.
	step := func(name string, f func(t *testing.T)) {
		t.Helper()
		ok := t.Run(name, func(t *testing.T) { b.t = t; f(t) })
		b.t = t
		if !ok {
			t.FailNow()
		}
	}

	step("without a key the page asks for one", func(t *testing.T) {
		b.do("open the page", chromedp.Navigate(pageURL))
		b.waitFor("the 401 message", `document.querySelector("[data-testid=status]").dataset.level === "error" && `+
			statusText+`.includes("Enter a valid API key")`)
		if n := jsEval[int](b, `document.querySelectorAll("[data-testid=memory-row]").length`); n != 0 {
			b.fail("%d memories shown without a key", n)
		}
	})

	step("the key fills in the user and lists facts newest first", func(t *testing.T) {
		b.do("enter the key", chromedp.SendKeys(testid("api-key"), key+"\n"))
		b.waitFor("the user id from /api/whoami", `document.querySelector("[data-testid=user-id]").value === "alice"`)
		b.waitFor("the totals", `document.querySelector("[data-testid=total-facts]").textContent === "13" && `+
			`document.querySelector("[data-testid=total-prefs]").textContent === `+js(nPrefs))
		b.waitRows("page 1 of the facts", newestFacts[:10])
		if got := jsEval[string](b, `document.querySelector("[data-testid=page-info]").textContent`); got != "page 1 of 2" {
			b.fail("page info %q, want page 1 of 2", got)
		}
		if !strings.Contains(jsEval[string](b, `document.querySelector("[data-testid=whoami]").textContent`), user) {
			b.fail("the page does not say whom the key is for")
		}
		first := truth.Memories[0]
		if got := jsEval[string](b, `document.querySelector("[data-testid=memory-row] [data-testid=memory-text]").textContent`); got != first.Content {
			b.fail("first row text %q, want %q", got, first.Content)
		}
		if got := jsEval[string](b, `document.querySelector("[data-testid=memory-row] [data-testid=memory-created]").getAttribute("datetime")`); got == "" {
			b.fail("no creation time shown")
		}
		if got := jsEval[[]string](b, `Array.from(document.querySelectorAll("[data-testid=memory-row]:nth-child(1) [data-testid=memory-tag]"), e => e.textContent)`); !slices.Equal(got, first.Tags) && !(len(got) == 0 && len(first.Tags) == 0) {
			b.fail("tags %q, want %q", got, first.Tags)
		}
		markup := truth.Memories[slices.IndexFunc(truth.Memories, func(m memstore.ListedMemory) bool { return strings.Contains(m.Content, "<img") })]
		if got := jsEval[string](b, `document.querySelector('tr[data-id=`+js(markup.ID)+`] [data-testid=memory-text]').textContent`); got != markup.Content {
			b.fail("the memory with markup shows %q, want %q", got, markup.Content)
		}
		if n := jsEval[int](b, `document.querySelectorAll("[data-testid=memory-rows] img, [data-testid=memory-rows] b").length`); n != 0 {
			b.fail("memory text was parsed as HTML: %d elements", n)
		}
		if jsEval[bool](b, `!!document.querySelector("[data-testid=page-prev]:not([disabled])")`) {
			b.fail("previous is enabled on page 1")
		}
	})

	step("paging", func(t *testing.T) {
		b.do("next page", chromedp.Click(testid("page-next")))
		b.waitFor("page 2", `document.querySelector("[data-testid=page-info]").textContent === "page 2 of 2"`)
		b.waitRows("page 2 of the facts", newestFacts[10:])
		b.do("the expired fact is marked", chromedp.WaitVisible(rowSel(expiringFact, `[data-testid="badge-expired"]`)))
		if jsEval[bool](b, `!!document.querySelector("[data-testid=page-next]:not([disabled])")`) {
			b.fail("next is enabled on the last page")
		}
		b.selectOption("page-size", "20")
		b.waitFor("one page of 20", `document.querySelector("[data-testid=page-info]").textContent === "page 1 of 1"`)
		b.waitRows("all facts on one page", newestFacts)
		b.selectOption("page-size", "10")
		b.waitRows("back to pages of 10", newestFacts[:10])
	})

	step("preferences", func(t *testing.T) {
		b.do("switch to preferences", chromedp.Click(testid("kind-pref")))
		b.waitRows("the preferences, newest first", newestPrefs)
		b.do("expired and archived badges", chromedp.WaitVisible(rowSel(expiringPref, `[data-testid="badge-expired"]`)),
			chromedp.WaitVisible(rowSel(applePref, `[data-testid="badge-archived"]`)))
		for _, id := range newestPrefs {
			got := jsEval[string](b, `document.querySelector('tr[data-id=`+js(id)+`] [data-testid=memory-preference]').textContent`)
			if got != prefText[id] || got == "" {
				b.fail("preference %s shows %q, want %q", id, got, prefText[id])
			}
		}
		if n := jsEval[int](b, `document.querySelectorAll("[data-testid=badge-expired]").length`); n != 1 {
			b.fail("%d expired badges among the preferences, want 1", n)
		}
		b.screenshot("playground-preferences.png")
		b.do("back to facts", chromedp.Click(testid("kind-text")))
		b.waitRows("the facts again", newestFacts[:10])
	})

	step("search with dedup", func(t *testing.T) {
		const query = "我喜欢吃苹果,尤其是红富士"
		var plain, sim memstore.SearchResult
		call(t, mcpClient, "search_memory", map[string]any{"user_id": user, "query": query, "top_k": 10, "dedup": "no"}, &plain)
		call(t, mcpClient, "search_memory", map[string]any{"user_id": user, "query": query, "top_k": 10, "dedup": "sim"}, &sim)
		if !slices.Contains(hitIDs(plain.Memories), appleFacts[0]) || !slices.Contains(hitIDs(plain.Memories), appleFacts[1]) {
			t.Fatalf("the near-duplicates must both be found without dedup for this test to mean anything: %v", hitIDs(plain.Memories))
		}
		if slices.Contains(hitIDs(sim.Memories), appleFacts[0]) && slices.Contains(hitIDs(sim.Memories), appleFacts[1]) {
			t.Fatalf("dedup sim kept both near-duplicates: %v", hitIDs(sim.Memories))
		}
		b.do("search without dedup", chromedp.SendKeys(testid("search-query"), query))
		b.selectOption("search-dedup", "no")
		b.do("submit", chromedp.Click(testid("search-submit")))
		b.waitFor("search results", `document.querySelector("[data-testid=memory-list]").dataset.view === "search"`)
		b.waitRows("the results of dedup no", hitIDs(plain.Memories))

		b.selectOption("search-dedup", "sim")
		b.do("search with dedup sim", chromedp.Click(testid("search-submit")))
		b.waitRows("the results of dedup sim", hitIDs(sim.Memories))
		rel := jsEval[[]string](b, `Array.from(document.querySelectorAll("[data-testid=memory-row] [data-testid=memory-relativity]"), e => e.textContent)`)
		for i, r := range rel {
			f, err := strconv.ParseFloat(r, 64)
			if err != nil || f < -1 || f > 1 || (i == 0 && f <= 0) {
				b.fail("relativity %q of result %d is not a cosine", r, i)
			}
		}
		if !jsEval[bool](b, `document.querySelector("[data-testid=pager]").hidden && !document.querySelector("[data-testid=back-to-list]").hidden`) {
			b.fail("search results should hide the pager and offer the way back")
		}
		b.do("preference results", chromedp.Click(testid("kind-pref")))
		b.waitRows("the preferences found", hitIDs(sim.Preferences))
		b.do("facts again", chromedp.Click(testid("kind-text")))
		b.do("back to the list", chromedp.Click(testid("back-to-list")))
		b.waitFor("the list", `document.querySelector("[data-testid=memory-list]").dataset.view === "list"`)
		b.waitRows("the facts list again", newestFacts[:10])
	})

	step("delete selected, after the dialog", func(t *testing.T) {
		victim := newestFacts[0]
		b.do("select the newest fact", chromedp.Click(rowSel(victim, `[data-testid="select-memory"]`)))
		b.waitFor("the button counts it", `document.querySelector("[data-testid=delete-selected]").textContent === "Delete selected (1)"`)
		b.do("delete selected", chromedp.Click(testid("delete-selected")))
		b.confirm("selected memory", "confirm-cancel")
		b.waitFor("nothing deleted", statusText+` === "Nothing deleted."`)
		if got := jsEval[string](b, `document.querySelector("[data-testid=total-facts]").textContent`); got != "13" {
			b.fail("cancel changed the total to %s", got)
		}
		b.do("delete selected", chromedp.Click(testid("delete-selected")))
		b.confirm("selected memory", "confirm-ok")
		b.waitFor("the result", statusText+` === "Deleted 1 memory."`)
		b.waitFor("the new total", `document.querySelector("[data-testid=total-facts]").textContent === "12"`)
		b.waitRows("the list without it", newestFacts[1:11])
	})

	step("delete all expired, after the dialog", func(t *testing.T) {
		b.do("delete expired", chromedp.Click(testid("delete-expired")))
		b.confirm("expired memories of alice", "confirm-ok")
		b.waitFor("the result", statusText+` === "Deleted 2 memories."`)
		b.waitFor("the new totals", `document.querySelector("[data-testid=total-facts]").textContent === "11" && `+
			`document.querySelector("[data-testid=total-prefs]").textContent === `+js(nPrefsLeft))
		b.waitFor("one page", `document.querySelector("[data-testid=page-info]").textContent === "page 1 of 2"`)
		b.do("last page", chromedp.Click(testid("page-next")))
		b.waitRows("the oldest facts, the expired one gone", newestFacts[11:12])
		b.do("preferences", chromedp.Click(testid("kind-pref")))
		b.waitRows("the preferences without the expired one", newestPrefs[:len(newestPrefs)-1])
		if n := jsEval[int](b, `document.querySelectorAll("[data-testid=badge-expired]").length`); n != 0 {
			b.fail("%d expired badges left", n)
		}
		b.do("facts", chromedp.Click(testid("kind-text")))
		b.waitRows("facts page 1", newestFacts[1:11])
	})

	step("the deletions are real", func(t *testing.T) {
		var after memstore.ListResult
		call(t, mcpClient, "get_memory", everything, &after)
		wantFacts := slices.Clone(newestFacts[1:12])
		wantPrefs := slices.Clone(newestPrefs[:len(newestPrefs)-1])
		if !slices.Equal(ids(after.Memories), wantFacts) || after.MemoriesTotal != 11 {
			t.Fatalf("facts after the deletes: %v (total %d), want %v", ids(after.Memories), after.MemoriesTotal, wantFacts)
		}
		if !slices.Equal(ids(after.Preferences), wantPrefs) || after.PreferencesTotal != len(wantPrefs) {
			t.Fatalf("preferences after the deletes: %v (total %d), want %v", ids(after.Preferences), after.PreferencesTotal, wantPrefs)
		}
		for _, m := range append(after.Memories, after.Preferences...) {
			if m.Expired || m.ID == expiringFact || m.ID == expiringPref || m.ID == newestFacts[0] {
				t.Fatalf("memory %s should be gone: %+v", m.ID, m)
			}
		}
	})

	step("another user's memories are refused with the server's message", func(t *testing.T) {
		// Select the user id's text, as a person would, and type over it.
		b.do("ask for bob", chromedp.Evaluate[chromedp.Void](`document.querySelector("[data-testid=user-id]").select()`),
			chromedp.SendKeys(testid("user-id"), "bob\n"))
		b.waitFor("the 403 message", `document.querySelector("[data-testid=status]").dataset.level === "error" && `+
			statusText+`.includes('may not access user "bob"')`)
		if n := jsEval[int](b, `document.querySelectorAll("[data-testid=memory-row]").length`); n != 0 {
			b.fail("%d rows shown for a refused user", n)
		}
	})

	step("the key survives a reload", func(t *testing.T) {
		b.do("reload", chromedp.Navigate(pageURL))
		b.waitFor("the key from sessionStorage", `document.querySelector("[data-testid=api-key]").value === `+js(key))
		// The key is bound to alice alone, so she is filled in again.
		b.waitRows("alice's facts", newestFacts[1:11])
		b.waitFor("the totals", `document.querySelector("[data-testid=total-facts]").textContent === "11"`)
	})

	b.screenshot("playground.png")
	if p := b.Problems(); len(p) > 0 {
		t.Fatalf("the page reported problems:\n%s", strings.Join(p, "\n"))
	}
}
